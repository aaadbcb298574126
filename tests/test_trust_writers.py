"""Trust, one writer at a time: commands that commit, run at once in one working
tree by real processes acting as different people, never lose or mix what
they report as done, and never end in a traceback.

The issue measured two editors approving one post at once (20 rounds): twice
one approval vanished, and 12 commits carried one editor's trailer with the
other's review record. ROUNDS rounds here fail that way without the lock and
the guarded commit (checked by hand against the code before them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ALICE, BORIS, TANIA, Repo, post_text
from flow import gp, into_english, ok
from gulagpub import gitstore, lock

ROUNDS = int(os.environ.get("GULAGPUB_RACE_ROUNDS", "8"))
POST = "posts/letter.md"


def gulagpub(root: Path, who: tuple[str, str], *args: str) -> subprocess.Popen[str]:
    """`gulagpub -C ROOT ARGS` started as a process of its own, acting as
    `who` (git's environment configuration: the working tree is shared)."""
    env = {**os.environ, "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": who[0],
           "GIT_CONFIG_KEY_1": "user.email", "GIT_CONFIG_VALUE_1": who[1], "GITHUB_ACTIONS": "false"}
    return subprocess.Popen([sys.executable, "-m", "gulagpub", "-C", str(root), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def together(*procs: subprocess.Popen[str]) -> list[tuple[int, str, str]]:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, out, err))
    for code, out, err in results:
        assert "Traceback" not in err, err
        assert code in (0, 1), (code, out, err)
        if code == 1:
            assert err.startswith("error: ") or "\nerror: " in err, err
    return results


def reviews_at(repo: Repo, rev: str) -> list[dict[str, object]]:
    text = repo.git("show", f"{rev}:{POST}")
    return yaml.safe_load(text.split("---\n")[1]).get("reviews") or []


def assert_clean(repo: Repo) -> None:
    assert repo.git("status", "--porcelain").strip() == "", repo.git("status", "--porcelain")


@pytest.fixture
def in_review(repo: Repo) -> tuple[Repo, str]:
    """An original post by Tania (not an editor's own), taken to review with
    real commands; approvals_required = 2 so that both editors' count."""
    repo.write("gulagpub.toml", repo.read("gulagpub.toml").replace("approvals_required = 1",
                                                                   "approvals_required = 2"))
    repo.commit("Two approvals", who=ALICE)
    repo.write(POST, post_text("A letter", "draft", "Dear comrades,\n", author="Tania Translator"))
    repo.commit("Draft", who=TANIA)
    ok(gp(repo, "submit", POST, who=ALICE))
    base = repo.git("rev-parse", "HEAD").strip()
    return repo, base


def test_two_editors_approving_at_once_both_count_or_one_is_refused(in_review: tuple[Repo, str]) -> None:
    repo, base = in_review
    for _ in range(ROUNDS):
        repo.git("reset", "-q", "--hard", base)
        results = together(gulagpub(repo.root, ALICE, "approve", POST),
                           gulagpub(repo.root, BORIS, "approve", POST))
        assert_clean(repo)
        done = [who for who, (code, _, _) in zip((ALICE, BORIS), results) if code == 0]
        assert done, results
        commits = repo.git("rev-list", "--reverse", f"{base}..HEAD").split()
        assert len(commits) == len(done)  # every "committed" is a commit, and nothing else is
        # Each commit adds exactly its own editor's approval, and its trailer names that editor.
        for sha in commits:
            before = reviews_at(repo, f"{sha}^")
            after = reviews_at(repo, sha)
            added = [r for r in after if r not in before]
            trailer = repo.git("log", "-1", "--format=%(trailers:key=Approved-by,valueonly)", sha).strip()
            assert len(added) == 1 and after[:len(before)] == before, (before, after)
            assert trailer.endswith(f"<{added[0]['by']}>"), (trailer, added)
        assert sorted(r["by"] for r in reviews_at(repo, "HEAD")) == sorted(who[1] for who in done)
        check = gp(repo, "check", "--base", base)
        assert check.code == 0, check.out


def test_submit_and_request_changes_at_once_leave_nothing_uncommitted(repo: Repo) -> None:
    """Two posts, two people, one working tree: both steps are committed (the
    second waits for the first), and no edit is left behind uncommitted."""
    into_english(repo)
    fields = dict(author="Alice Editor", translation="\n  translator: Tania Translator\n  from_lang: es",
                  source="\n  publication: Freedom")
    repo.write("posts/a.md", post_text("A letter", "translation", "Dear comrades,\n", **fields))
    repo.write("posts/b.md", post_text("B letter", "translation", "Dear friends,\n", **fields))
    repo.commit("In translation", who=ALICE)
    ok(gp(repo, "submit", "posts/b.md", who=TANIA))
    base = repo.git("rev-parse", "HEAD").strip()
    for _ in range(ROUNDS):
        repo.git("reset", "-q", "--hard", base)
        results = together(gulagpub(repo.root, TANIA, "submit", "posts/a.md"),
                           gulagpub(repo.root, BORIS, "request-changes", "posts/b.md", "-m", "Check the dates"))
        assert_clean(repo)
        assert [code for code, _, _ in results] == [0, 0], results
        assert repo.git("rev-list", "--count", f"{base}..HEAD").strip() == "2"
        assert "state: review" in repo.read("posts/a.md") and "state: translation" in repo.read("posts/b.md")
        assert gp(repo, "check", "--base", base).code == 0


def _due(repo: Repo) -> None:
    from test_publisher import approved_text

    repo.write("posts/2026-11-01-due.md", approved_text("Due post", "Ready.\n", date="2026-11-01 10:00"))
    repo.commit("An approved post", who=ALICE)


@pytest.mark.parametrize("no_wait", [False, True], ids=["waiting", "no-wait"])
def test_two_publish_runs_at_once_publish_once_without_a_traceback(repo: Repo, tmp_path: Path,
                                                                    no_wait: bool) -> None:
    _due(repo)
    base = repo.git("rev-parse", "HEAD").strip()
    extra = ["--no-wait"] if no_wait else []
    for i in range(max(2, ROUNDS // 2)):
        repo.git("reset", "-q", "--hard", base)
        args = ["publish", "--no-announce", "--now", "2026-11-27T12:00:00Z", *extra]
        results = together(gulagpub(repo.root, ALICE, *args, "--out", str(tmp_path / f"a{i}")),
                           gulagpub(repo.root, ALICE, *args, "--out", str(tmp_path / f"b{i}")))
        assert_clean(repo)
        assert repo.git("rev-list", "--count", f"{base}..HEAD").strip() == "1"
        published = [out for code, out, _ in results if "published posts/2026-11-01-due.md" in out]
        assert len(published) == 1, results
        for code, _, err in results:
            if code == 1:
                assert no_wait and "another gulagpub command is running" in err, err


def test_no_wait_fails_at_once_and_waiting_says_so(in_review: tuple[Repo, str]) -> None:
    repo, base = in_review
    with lock.exclusive(repo.root, "a test holding the lock"):
        started = time.monotonic()
        code, _, err = together(gulagpub(repo.root, BORIS, "approve", POST, "--no-wait"))[0]
        assert code == 1 and time.monotonic() - started < 30
        assert "another gulagpub command is running" in err and "a test holding the lock" in err
        waiting = gulagpub(repo.root, BORIS, "approve", POST)
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert "waiting for another gulagpub command" in line and "a test holding the lock" in line
        assert repo.git("rev-parse", "HEAD").strip() == base  # it waits: nothing committed yet
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert [r["by"] for r in reviews_at(repo, "HEAD")] == [BORIS[1]]


def test_a_commit_is_refused_when_head_moved_since_it_was_read(repo: Repo) -> None:
    """The guarded commit alone (a library caller that takes no lock): HEAD
    moved by someone else between reading and committing."""
    read_at = repo.git("rev-parse", "HEAD").strip()
    repo.write("notes.txt", "someone else's commit\n")
    theirs = repo.commit("Someone else", who=BORIS)
    with pytest.raises(gitstore.Moved, match="the repository changed while this command ran"):
        gitstore.commit(repo.root, [], "Mine", contents={"posts/mine.md": b"---\ntitle: x\n---\n"},
                        expect_head=read_at)
    assert repo.git("rev-parse", "HEAD").strip() == theirs
    assert not (repo.root / "posts/mine.md").exists()  # the working tree is untouched
    assert repo.git("status", "--porcelain").strip() == ""


def test_a_commit_is_refused_when_its_file_was_staged_meanwhile(repo: Repo) -> None:
    repo.write(POST, post_text("A letter"))
    repo.commit("Draft", who=ALICE)
    read_at = repo.git("rev-parse", "HEAD").strip()
    repo.write(POST, post_text("Someone else's edit"))
    repo.git("add", POST)
    with pytest.raises(gitstore.Moved, match="changed in the index"):
        gitstore.commit(repo.root, [], "Mine", contents={POST: post_text("Mine").encode()}, expect_head=read_at)
    assert "Someone else's edit" in repo.read(POST)  # not overwritten
    assert repo.git("rev-parse", "HEAD").strip() == read_at


def test_a_commit_takes_only_its_own_files_along(repo: Repo) -> None:
    repo.write("posts/other.md", post_text("Staged by the user"))
    repo.git("add", "posts/other.md")
    sha = gitstore.commit(repo.root, [], "Mine", contents={POST: post_text("Mine").encode()})
    assert repo.git("show", "--name-only", "--format=", sha).split() == [POST]
    assert "A  posts/other.md" in repo.git("status", "--porcelain")  # still staged, not committed
    assert repo.read(POST) == post_text("Mine")
