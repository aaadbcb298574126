"""gitstore: shallow clones are detected, and commands that need the whole
history say so instead of judging half of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ALICE, Repo, post_text, run_git
from flow import approved, gp
from gulagpub import gitstore


@pytest.fixture
def shallow(repo: Repo, tmp_path: Path) -> Repo:
    approved(repo)
    clone = tmp_path / "shallow"
    run_git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    run_git(clone, "config", "user.email", ALICE[1])
    run_git(clone, "config", "user.name", ALICE[0])
    return Repo(clone)


def test_a_shallow_clone_is_detected(repo: Repo, shallow: Repo) -> None:
    assert gitstore.is_shallow(shallow.root)
    assert not gitstore.is_shallow(repo.root)
    with pytest.raises(gitstore.ShallowClone, match=r"git fetch --unshallow"):
        gitstore.require_history(shallow.root, "the test")
    heard: list[str] = []
    gitstore.require_history(shallow.root, "the test", allow_shallow=True, warn=heard.append)
    assert len(heard) == 1 and "shallow clone" in heard[0]


def test_check_base_and_history_fail_in_a_shallow_clone_and_say_what_to_do(shallow: Repo) -> None:
    for args in (("check", "--base", "HEAD"), ("history", "posts/vicente.md")):
        run = gp(shallow, *args)
        assert run.code == 1 and "Traceback" not in run.err
        assert "is a shallow clone (.git/shallow)" in run.err and "git fetch --unshallow" in run.err, run.err
        allowed = gp(shallow, *args, "--allow-shallow")
        assert allowed.code == 0, allowed.err
        assert allowed.err.startswith("warning: ") and "--allow-shallow" in allowed.err
    assert gp(shallow, "check").code == 0  # the working tree alone needs no history


def test_unshallowing_is_enough(repo: Repo, shallow: Repo) -> None:
    shallow.git("fetch", "-q", "--unshallow")
    assert not gitstore.is_shallow(shallow.root)
    assert gp(shallow, "history", "posts/vicente.md").code == 0


def test_tree_entries_tell_links_and_submodules(repo: Repo) -> None:
    (repo.root / "posts").mkdir(exist_ok=True)
    (repo.root / "posts/link.md").symlink_to("/etc/hostname")
    repo.write("posts/plain.md", post_text("Plain"))
    repo.commit("Files")
    entries = {e.path: e for e in gitstore.tree_entries(repo.root, "HEAD", ["posts", "missing"])}
    assert entries["posts"].mode == "040000"
    assert entries["posts/link.md"].is_link and not entries["posts/plain.md"].is_link


def test_blob_ids_are_git_s_ids_of_the_work_tree_s_bytes(repo: Repo, tmp_path: Path) -> None:
    """From the index for files it holds unchanged, even once the build hard-linked them
    (their change time moves); hashed by git for changed, staged-then-changed and new
    files; left out for files that are not there."""
    repo.write("posts/a/scan.jpg", b"first scan")
    repo.write("posts/a/other.jpg", b"other scan")
    repo.write("media/map.png", b"a map")
    repo.commit("Scans")
    os.link(repo.root / "media/map.png", tmp_path / "published.png")  # (what a build does)
    repo.write("posts/a/other.jpg", b"other scan, cropped")  # changed, not committed
    repo.write("posts/a/new.jpg", b"a new scan")  # untracked
    wanted = ["posts/a/scan.jpg", "posts/a/other.jpg", "media/map.png", "posts/a/new.jpg", "posts/a/gone.jpg"]
    ids = gitstore.blob_ids(repo.root, wanted)
    expected = run_git(repo.root, "hash-object", *wanted[:4]).split()
    assert ids == dict(zip(wanted[:4], expected))
    assert gitstore.blob_ids(repo.root / "posts", ["a/scan.jpg"]) == {"a/scan.jpg": expected[0]}
    assert gitstore.blob_ids(repo.root, []) == {}
