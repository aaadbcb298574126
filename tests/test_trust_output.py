"""Attacks on the build's output: no command destroys what it did not make,
no path leaves the site folder, disk errors are one line and leave the
previous site whole, content reached through symbolic links is never read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import post_text
from gulagpub.build import build
from gulagpub.errors import BuildError, GulagpubError
from gulagpub.site import Output, write_site
from sitehelp import NOW, bundled, commit_all, gulagpub, snapshot


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return bundled(tmp_path)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file and folder below `folder` but gulagpub's own state in a .git folder."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*")) if not (folder.name == ".git" and
                                                        p.relative_to(folder).parts[0] == "gulagpub")}


@pytest.mark.parametrize("target", ["posts", ".git", "documents"])
def test_out_at_a_folder_gulagpub_did_not_make_is_refused_and_nothing_moves(root: Path, tmp_path: Path,
                                                                            target: str) -> None:
    if target == "documents":
        folder = tmp_path / "Documents"
        folder.mkdir()
        (folder / "thesis.odt").write_bytes(b"three years of work")
    else:
        folder = root / target
    before = _tree(folder)
    parent_before = sorted(p.name for p in folder.parent.iterdir())
    for _ in range(2):  # (the second build is the one that used to erase what the first moved aside)
        result = gulagpub("-C", str(root), "build", "--out", str(folder))
        assert result.returncode == 1, result.stderr
        assert f"{folder}: is not empty, and is not a site gulagpub built" in result.stderr
        assert "nothing was changed" in result.stderr and "Traceback" not in result.stderr
    assert _tree(folder) == before
    assert sorted(p.name for p in folder.parent.iterdir()) == parent_before  # no spare beside it


def test_a_new_an_empty_and_its_own_folder_are_built(root: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new", empty):
        build(root, out, now=NOW)
        assert (out / "index.html").is_file()
        (root / "posts/2012-10-20-vicente-monclus-guallar.md").write_text(
            (root / "posts/2012-10-20-vicente-monclus-guallar.md").read_text() + "\nOne more line.\n")
        build(root, out, now=NOW)  # its own site: rebuilt in place
        assert b"One more line." in (out / "2012/10/20/vicente-monclus-guallar/index.html").read_bytes()


def test_a_site_whose_manifest_was_lost_is_still_its_own(root: Path, tmp_path: Path) -> None:
    # A crash between the swap and the new manifest leaves a folder gulagpub made with no manifest.
    out = tmp_path / "site"
    build(root, out, now=NOW)
    for f in (root / ".git" / "gulagpub").glob("site-*.live"):
        f.unlink()
    build(root, out, now=NOW)
    assert (out / "index.html").is_file()


def test_output_paths_cannot_leave_the_site(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    for bad in ("../escaped.html", "a/../../escaped.html", "/etc/passwd", "a//b.html", "./x.html"):
        with pytest.raises(BuildError, match="would leave the site folder"):
            write_site(tmp_path / "site", [Output(bad, "k", lambda: b"x")], state=state)
    assert not (tmp_path / "escaped.html").exists()


def test_a_slug_with_dots_cannot_leave_the_site(root: Path, tmp_path: Path) -> None:
    (root / "pages").mkdir(exist_ok=True)
    (root / "pages/escape.md").write_text(post_text("Escape", state="published", slug="../../escaped"))
    out = tmp_path / "site"
    with pytest.raises(GulagpubError):
        build(root, out, now=NOW)
    assert not list(tmp_path.glob("escaped*")) and not list(root.glob("escaped*"))


def test_folders_left_empty_by_a_deleted_post_are_removed(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(root, out, now=NOW)
    assert (out / "2014/04/06").is_dir()
    (root / "posts/2014-04-06-the-guillotine-at-work-part-two.md").unlink()
    build(root, out, now=NOW)
    assert not (out / "2014").exists()


def test_symlinked_content_folders_and_files_are_never_read(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "es").mkdir(parents=True)
    (elsewhere / "es/2012-10-20-vicente-monclus-guallar.md").write_text(
        post_text("Planted", state="published", body="UNREVIEWED TEXT\n"))
    (root / "translations").symlink_to(elsewhere)
    (root / "pages").mkdir(exist_ok=True)
    (root / "pages/sub").symlink_to(elsewhere / "es")
    outside = tmp_path / "outside.md"
    outside.write_text(post_text("Outside", state="published", body="UNREVIEWED TEXT\n"))
    (root / "pages/outside.md").symlink_to(outside)
    out = tmp_path / "site"
    result = gulagpub("-C", str(root), "check")
    assert result.returncode == 1
    for link in ("translations:", "pages/sub:", "pages/outside.md:"):
        assert f"{link} is a symbolic link" in result.stdout, result.stdout
    build(root, out, now=NOW)  # the links are reported, never followed
    assert not any(b"UNREVIEWED TEXT" in data for data in snapshot(out).values())


def test_templates_through_a_link_are_refused(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "tpl"
    elsewhere.mkdir()
    (elsewhere / "404.html").write_text("planted")
    (root / "templates").symlink_to(elsewhere)
    with pytest.raises(BuildError, match="templates: is a symbolic link"):
        build(root, tmp_path / "site", now=NOW)
    (root / "templates").unlink()
    (root / "templates").mkdir()
    (root / "templates/404.html").symlink_to(elsewhere / "404.html")
    with pytest.raises(BuildError, match="templates/404.html: is a symbolic link"):
        build(root, tmp_path / "site", now=NOW)


MARKER_TEMPLATES = {
    "globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "format": "{{ '{0.__class__}'.format(site) }}",
    "builder": "{% for i in items %}{% endfor %}{{ items._builder.root }}",
}


@pytest.mark.parametrize("attack", sorted(MARKER_TEMPLATES))
def test_a_template_from_the_repository_cannot_reach_python(root: Path, tmp_path: Path, attack: str) -> None:
    marker = tmp_path / "MARKER"
    (root / "templates").mkdir()
    source = MARKER_TEMPLATES[attack].replace("MARKER", str(marker))
    (root / "templates/404.html").write_text(source)
    (root / "templates/list.html").write_text(source)
    commit_all(root, "A pull request's templates")
    env = {**os.environ, "MASTODON_ACCESS_TOKEN": "secret-token-xyz"}
    result = subprocess.run([str(Path(os.sys.executable).parent / "gulagpub"), "-C", str(root), "build",
                             "--drafts", "--out", str(tmp_path / "site")], capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "templates/" in result.stderr and "fix the template" in result.stderr
    assert not marker.exists()
    assert "secret-token-xyz" not in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_well_behaved_template_of_the_repository_renders_sandboxed(root: Path, tmp_path: Path) -> None:
    (root / "templates").mkdir()
    (root / "templates/404.html").write_text("<!doctype html><title>{{ site.title }}</title><p>Not here, {{ lang }}")
    build(root, tmp_path / "site", now=NOW)
    assert "Not here, en" in (tmp_path / "site/404.html").read_text()


def _tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"this machine does not let the tests mount a tmpfs ({done.stderr.decode().strip()})")


def test_disk_full_is_one_line_and_leaves_the_previous_site_and_no_spare(root: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _tmpfs(disk, "600k")
    try:
        out = disk / "site"
        build(root, out, now=NOW)
        before = snapshot(out)
        post = root / "posts/2012-10-20-vicente-monclus-guallar.md"
        post.write_text(post.read_text() + "\n" + "A very long paragraph. " * 40000 + "\n")
        result = gulagpub("-C", str(root), "build", "--out", str(out))
        assert result.returncode == 1
        assert "no space left on the disk: free some space and run again" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 3
        assert snapshot(out) == before
        assert not (disk / ".site.gulagpub-next").exists()  # the half-written spare does not fill the disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_read_only_output_and_a_file_in_the_way_are_messages(root: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _tmpfs(disk, "20m")
    try:
        build(root, disk / "site", now=NOW)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        (root / "posts/2012-10-20-vicente-monclus-guallar.md").write_text(
            (root / "posts/2012-10-20-vicente-monclus-guallar.md").read_text() + "\nMore.\n")
        result = gulagpub("-C", str(root), "build", "--out", str(disk / "site"))
        assert result.returncode == 1 and "read-only" in result.stderr and "Traceback" not in result.stderr
    finally:
        subprocess.run(["umount", str(disk)], check=False)
    (tmp_path / "afile").write_text("x")
    result = gulagpub("-C", str(root), "build", "--out", str(tmp_path / "afile" / "site"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "afile" in result.stderr


def test_caches_planted_by_a_pull_request_never_run(root: Path, tmp_path: Path) -> None:
    # A branch force-adds pickles where gulagpub once kept its caches, and where it keeps them now
    # (a commit cannot write into .git, so only the working tree is reachable).
    import pickle

    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    evil = pickle.dumps(Evil())
    for name in (".gulagpub-cache/index.pickle", ".gulagpub-cache/plan.pickle", ".gulagpub-cache/history.pickle",
                 "gulagpub/parse-index", "gulagpub/cache.sqlite", ".git-gulagpub/parse-index"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(evil)
    subprocess.run(["git", "-C", str(root), "add", "-f", "."], check=True)
    commit_all(root, "A pull request's caches")
    result = gulagpub("-C", str(root), "build", "--drafts", "--out", str(tmp_path / "preview"))
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    # ...and a planted site marker does not make a folder of posts a site
    (root / "posts" / ".gulagpub-site").write_bytes((tmp_path / "preview" / ".gulagpub-site").read_bytes())
    commit_all(root, "A marker among the posts")
    result = gulagpub("-C", str(root), "build", "--out", str(root / "posts"))
    assert result.returncode == 1 and "is not a site gulagpub built" in result.stderr
    assert (root / "posts/2012-10-20-vicente-monclus-guallar.md").exists()


def test_a_site_far_larger_than_its_content_is_refused_before_anything_is_written(root: Path,
                                                                                   tmp_path: Path) -> None:
    config = root / "gulagpub.toml"
    config.write_text(config.read_text() + '\n[limits]\noutput_size = "50 KB"\n')
    out = tmp_path / "site"
    result = gulagpub("-C", str(root), "build", "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "the site would take about" in result.stderr and "output_size" in result.stderr
    assert not out.exists() and "Traceback" not in result.stderr
    config.write_text(config.read_text().replace('"50 KB"', '"50 MB"'))
    assert gulagpub("-C", str(root), "build", "--out", str(out)).returncode == 0
