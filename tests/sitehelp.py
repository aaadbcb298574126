"""Helpers for the publisher's tests: the bundled posts in a real git repo,
builds with a fixed time, the built site as bytes, feedcheck."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from conftest import PROJECT, run_git
from PIL import Image

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
FIXED = "2026-11-27T10:00:00+00:00"
GPS_IFD = 0x8825
MAKE = 0x010F


def jpeg(width: int, height: int, gps: bool = False) -> bytes:
    """A real JPEG from Pillow, with a camera make and (with `gps`) the place it was taken."""
    im = Image.new("RGB", (width, height), (200, 180, 150))
    for x in range(0, width, 7):
        im.putpixel((x, x % height), (10, 20, 30))
    exif = Image.Exif()
    exif[MAKE] = "Zorki"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def commit_all(root: Path, message: str, when: str = FIXED) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_AUTHOR_NAME": "Alice Editor", "GIT_AUTHOR_EMAIL": "alice@example.org",
           "GIT_COMMITTER_NAME": "Alice Editor", "GIT_COMMITTER_EMAIL": "alice@example.org"}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "--no-gpg-sign", "-m", message],
                   check=True, env=env)
    return run_git(root, "rev-parse", "HEAD").strip()


def bundled(tmp_path: Path, config_extra: str = "") -> Path:
    """The project's bundled posts and gulagpub.toml, committed in a new repo."""
    root = tmp_path / "blog"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "config", "user.name", "Alice Editor")
    run_git(root, "config", "user.email", "alice@example.org")
    shutil.copytree(PROJECT / "posts", root / "posts")
    config = (PROJECT / "gulagpub.toml").read_text(encoding="utf-8")
    (root / "gulagpub.toml").write_text(config + config_extra, encoding="utf-8")
    (root / ".gitignore").write_text(".gulagpub-cache/\n_site/\n", encoding="utf-8")
    commit_all(root, "Import the bundled posts")
    return root


def project_site(tmp_path: Path) -> Path:
    """The bundled repo as a GitHub Pages project site: base_url https://team.github.io/gulag/."""
    root = bundled(tmp_path)
    toml = root / "gulagpub.toml"
    toml.write_text(re.sub(r'base_url = "[^"]*"', 'base_url = "https://team.github.io/gulag/"', toml.read_text()))
    commit_all(root, "A project site")
    return root


SPANISH_MOLLIE = "translations/es/2008-08-19-on-leaving-russia-mollie-steimer.md"


def spanish_mollie(root: Path) -> Path:
    """A published Spanish version of the bundled Mollie Steimer letter (not committed)."""
    tr = root / SPANISH_MOLLIE
    tr.parent.mkdir(parents=True, exist_ok=True)
    tr.write_text("---\ntitle: Al dejar Rusia\nstate: published\ndate: 2008-08-20 10:00\n"
                  "translation:\n  translator: Tania Translator\n  from_lang: en\n---\n\nTexto.\n")
    return tr


def about_and_two_versions(root: Path, body: str) -> None:
    """An About page and a Spanish and a Russian version (text `body`) of the
    bundled Mollie Steimer letter, committed: a site to find one's way around."""
    from conftest import post_text

    (root / "pages").mkdir()
    (root / "pages/about.md").write_text(post_text("About us", "published", "Who we are.\n", date="2025-01-01 10:00"),
                                         encoding="utf-8")
    for lang, title in (("es", "Al dejar Rusia"), ("ru", "Покидая Россию")):
        tr = root / f"translations/{lang}/2008-08-19-on-leaving-russia-mollie-steimer.md"
        tr.parent.mkdir(parents=True)
        tr.write_text(post_text(title, "published", body, date="2008-08-20 10:00", tags="[gulag]",
                                translation="\n  translator: Tania Translator\n  from_lang: en"), encoding="utf-8")
    commit_all(root, "About, and two versions")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def feedcheck(shared: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """The project's strict validator, run for real with --werror."""
    tool = shared / "tools" / "feedcheck" / "feedcheck"
    return subprocess.run([sys.executable, str(tool), "--werror", *map(str, paths)],
                          capture_output=True, text=True, timeout=300)


def gulagpub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "gulagpub"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def wait_for_line(proc: subprocess.Popen[str], pattern: str, seconds: float, what: str) -> re.Match[str]:
    """Read `proc`'s stderr until a line matches `pattern` (a process that says
    where it listens); fail with `what` when it exits or time runs out first."""
    assert proc.stderr is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited first")
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError(f"{what}: nothing matched {pattern!r} in {seconds} s")


def english_interface_words() -> set[str]:
    """The words of the interface's English messages (the catalogs' .pot) that
    no other language writes the same: one of them on a Spanish or Russian page,
    outside the texts, is a word left untranslated."""
    from babel.messages.pofile import read_po

    from gulagpub import i18n

    with (i18n.LOCALES_DIR / "gulagpub.pot").open("rb") as f:
        msgids = [m.id for m in read_po(f) if m.id and isinstance(m.id, str)]
    words = set()
    for msgid in msgids:
        words |= set(re.findall(r"[A-Za-z]{4,}", re.sub(r"<[^>]+>|%\(\w+\)s", " ", msgid)))
    return words - {"Feed", "Site", "Pages", "Mastodon", "pingback", "trackback", "href", "original",
                    "Chicago", "Zotero", "EndNote", "Mendeley", "JabRef", "Thunderbird", "NetNewsWire",
                    "Feeder", "Inoreader"}
