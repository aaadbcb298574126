"""Builds that run together: two builds into one site, and builds during a
`serve` rebuild, leave the live site equal to a clean build every round."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gulagpub.build import build
from gulagpub.lock import exclusive
from sitehelp import NOW, snapshot

EXE = str(Path(sys.executable).parent / "gulagpub")


def clean_build(root: Path, tmp_path: Path, name: str, now: datetime = NOW) -> dict[str, bytes]:
    copy = tmp_path / f"clean-{name}"
    shutil.copytree(root, copy, ignore=lambda folder, names: ["gulagpub"] if Path(folder).name == ".git" else [],
                    symlinks=True)
    build(copy, tmp_path / f"clean-{name}-site", now=now)
    return snapshot(tmp_path / f"clean-{name}-site")


def edit(root: Path, n: int) -> None:
    p = sorted((root / "posts").glob("*.md"))[n]
    p.write_text(p.read_text().replace("## Part one", f"## Part one, round {n}", 1))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    from corpus import generate

    root = tmp_path / "gen"
    generate(root, 2000)
    return root


def test_two_builds_into_one_site_leave_it_whole_every_round(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(corpus, out, now=NOW)
    for n in range(3):
        edit(corpus, n)
        cmd = [EXE, "-C", str(corpus), "build", "--out", str(out), "--now", "2026-11-27T12:00:00Z"]
        logs = [tmp_path / f"a{n}.err", tmp_path / f"b{n}.err"]
        # The test holds the lock until both builds wait for it, so they
        # really contend (started freely, one could finish before the other
        # begins); then it lets go and they run one after the other.
        with exclusive(corpus, "test"), ExitStack() as files:
            runs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=files.enter_context(log.open("w")))
                    for log in logs]
            deadline = time.monotonic() + 120
            while not all("waiting for another gulagpub command" in log.read_text() for log in logs):
                assert time.monotonic() < deadline, [log.read_text() for log in logs]
                assert all(run.poll() is None for run in runs), [log.read_text() for log in logs]
                time.sleep(0.05)
            files.close()  # (the builds hold their own copies)
        codes = [run.wait(timeout=300) for run in runs]
        assert codes == [0, 0], [log.read_text() for log in logs]
        assert snapshot(out) == clean_build(corpus, tmp_path, str(n)), f"round {n}"


def test_a_build_during_serve_leaves_the_site_whole(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    serve = subprocess.Popen([EXE, "-C", str(corpus), "serve", "--port", "0", "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "index.html").exists():
            assert serve.poll() is None and time.monotonic() < deadline, "serve did not build"
            time.sleep(0.1)
        for n in range(2):
            edit(corpus, n)  # serve sees it and rebuilds, while this build runs
            done = subprocess.run([EXE, "-C", str(corpus), "build", "--out", str(out)],
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            time.sleep(1.5)  # serve's rebuild, if it came after, is done
            wait_quiet(corpus)
            now = [p for p in snapshot(out) if p.endswith(".html")]
            assert len(now) > 2000
            # (serve builds at the clock's time, as does this build without --now)
            assert snapshot(out) == clean_build(corpus, tmp_path, str(n), datetime.now(timezone.utc))
    finally:
        serve.terminate()
        serve.communicate(timeout=30)


def wait_quiet(root: Path) -> None:
    """Until no gulagpub command holds the repository's lock."""
    from gulagpub import lock

    with lock.exclusive(root, "test"):
        pass
