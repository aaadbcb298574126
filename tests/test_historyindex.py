"""The history index answers what `git log -- PATH` answers, with and
without its file, after new commits, resets, amends and merges, and
survives a damaged or concurrent file."""

from __future__ import annotations

import hashlib
import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BORIS, PROJECT, TANIA, Repo
from flow import approved, gp, ok

from gulagpub import gitstore, historyindex

INDEX = historyindex.FILE_NAME


def git_log(root: Path, path: str) -> list[tuple[str, str | None]]:
    """What git itself lists for PATH, oldest first, with PATH's blob in each
    commit: the `git log` `history` ran before it had an index (gitstore.log:
    -m --diff-merges=first-parent, which walks the full history)."""
    out = subprocess.run(["git", "-C", str(root), "log", "--reverse", "-m", "--diff-merges=first-parent", "--raw",
                          "--format=commit %H", "--", path], capture_output=True, text=True, check=True).stdout
    shas = [line.split()[1] for line in out.splitlines() if line.startswith("commit ")]
    blobs = subprocess.run(["git", "-C", str(root), "cat-file", "--batch-check=%(objectname)"],
                           input="".join(f"{s}:{path}\n" for s in shas), capture_output=True, text=True,
                           check=True).stdout.split("\n")
    return [(s, None if b.endswith(" missing") else b) for s, b in zip(shas, blobs)]


def all_paths(root: Path) -> set[str]:
    out = subprocess.run(["git", "-C", str(root), "log", "--all", "-m", "--format=", "--name-only"],
                         capture_output=True, text=True, check=True).stdout
    return {line for line in out.splitlines() if line}


def fast_import(root: Path, seed: int, commits: int = 70) -> None:
    """A random history made in one `git fast-import`: branches, merges (two and
    three parents) whose result takes a side, both or neither, files edited,
    reverted, deleted and brought back, commit times with ties and clock skew."""
    rng = random.Random(seed)
    names = ["posts/a.md", "posts/b.md", "posts/c.md", "pages/d.md"]
    lines: list[str] = []
    trees: dict[int, dict[str, str]] = {}
    heads: list[int] = []
    when = 1_700_000_000
    for mark in range(1, commits + 1):
        tree: dict[str, str]
        parents: list[int] = []
        if heads and len(heads) > 1 and rng.random() < 0.3:
            parents = rng.sample(heads, min(len(heads), rng.choice([2, 2, 2, 3])))
            pick = rng.random()
            if pick < 0.3:
                tree = dict(trees[parents[0]])
            elif pick < 0.6:
                tree = dict(trees[parents[1]])
            else:
                tree = {n: rng.choice([trees[p] for p in parents]).get(n, "x") for n in names}
                tree = {n: v for n, v in tree.items() if v != "x"}
                if rng.random() < 0.5:
                    tree[rng.choice(names)] = f"resolved {mark}\n"
            for p in parents:
                heads.remove(p)
        else:
            if heads and rng.random() < 0.8:
                parents = [rng.choice(heads)]
                if rng.random() < 0.7:
                    heads.remove(parents[0])
            tree = dict(trees[parents[0]]) if parents else {}
            name = rng.choice(names)
            roll = rng.random()
            if roll < 0.15 and name in tree:
                del tree[name]
            elif roll < 0.3 and parents and len(trees) > 2:
                old = trees[rng.choice(list(trees))]  # back to an older version (a revert)
                if name in old:
                    tree[name] = old[name]
            else:
                tree[name] = f"{name} version {rng.randrange(4)}\n"
        heads.append(mark)
        trees[mark] = tree
        when += rng.choice([0, 0, 60, 3600, -7200])  # ties, and clocks that go back
        lines += [f"commit refs/heads/b{mark}", f"mark :{mark}",
                  f"committer T <t@example.org> {when} +0000", "data 2", f"{mark}"]
        if parents:
            lines.append(f"from :{parents[0]}")
            lines += [f"merge :{p}" for p in parents[1:]]
        lines.append("deleteall")
        for name, text in sorted(tree.items()):
            lines += [f"M 100644 inline {name}", f"data {len(text.encode())}", text.rstrip("\n")]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input="\n".join(lines) + "\n",
                   text=True, check=True)
    final = f"refs/heads/b{commits}"
    subprocess.run(["git", "-C", str(root), "symbolic-ref", "HEAD", final], check=True)


@pytest.mark.parametrize("seed", range(12))
def test_every_path_lists_what_git_log_lists_in_a_random_history_with_merges(tmp_path, seed):
    root = tmp_path / "r"
    fast_import(root, seed)
    branches = subprocess.run(["git", "-C", str(root), "for-each-ref", "--format=%(refname)", "refs/heads"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert int(subprocess.run(["git", "-C", str(root), "rev-list", "--merges", "--count", "--all"],
                              capture_output=True, text=True).stdout) > 3
    checked = 0
    # HEAD moves as people move it: forward, back, across branches, each move
    # an update of the index of some kind (or none, when HEAD is indexed).
    for ref in [branches[-1]] + random.Random(seed).sample(branches, 11):
        subprocess.run(["git", "-C", str(root), "symbolic-ref", "HEAD", ref], check=True)
        for path in sorted(all_paths(root)) + ["posts/never.md"]:
            found = historyindex.path_log(root, path)
            assert found == git_log(root, path), (seed, ref, path)
            assert [sha for sha, _ in found] == [c.sha for c in gitstore.log(root, paths=[path], reverse=True)]
            checked += 1
    assert checked > 20


def test_history_equals_with_and_without_the_index_file(repo):
    approved(repo)
    first = ok(gp(repo, "history", "vicente", "--json")).out
    index = repo.root / ".git" / INDEX
    assert index.is_file()
    assert ok(gp(repo, "history", "vicente", "--json")).out == first
    index.unlink()
    assert ok(gp(repo, "history", "vicente", "--json")).out == first


def test_new_commits_are_added_to_the_index_not_rebuilt(repo):
    path = approved(repo)
    assert historyindex.path_log(repo.root, path) == git_log(repo.root, path)
    size = len(load(repo))
    repo.write(path, repo.read(path).replace("state: approved", "state: review"))
    repo.commit("Back to review", who=BORIS)
    repo.write("notes.txt", "not a post\n")
    repo.commit("Notes")
    assert historyindex.path_log(repo.root, path) == git_log(repo.root, path)
    assert len(load(repo)) == size + 2


def test_an_amended_or_reset_head_gets_the_right_answer_and_keeps_what_was_indexed(repo):
    path = approved(repo)
    before = historyindex.path_log(repo.root, path)
    size = len(load(repo))
    repo.write(path, repo.read(path) + "\nA late line.\n")
    repo.git("commit", "-q", "--amend", "--no-edit", "-a", who=BORIS)  # rewrites HEAD
    after = historyindex.path_log(repo.root, path)
    assert after == git_log(repo.root, path) and after[:-1] == before[:-1] and after[-1] != before[-1]
    assert len(load(repo)) == size + 1  # the amended commit added; the old one does no harm
    repo.git("reset", "-q", "--hard", "HEAD~2")
    assert historyindex.path_log(repo.root, path) == git_log(repo.root, path) == before[:-2]
    repo.git("rebase", "-q", "--force-rebase", "HEAD~1", who=TANIA)  # a new commit for HEAD
    assert historyindex.path_log(repo.root, path) == git_log(repo.root, path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty", "foreign", "old-format",
                                    "directory"])
def test_a_damaged_index_costs_time_never_the_answer(repo, tmp_path, damage):
    path = approved(repo)
    expected = ok(gp(repo, "history", path, "--json")).out
    index = repo.root / ".git" / INDEX
    data = index.read_bytes()
    if damage == "garbage":
        index.write_bytes(b"\x80\x05not a pickle at all" * 50)
    elif damage == "truncated":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # a bit changed in the payload: the digest says so
        index.write_bytes(data[:-20] + bytes([data[-20] ^ 1]) + data[-19:])
    elif damage == "empty":
        index.write_bytes(b"")
    elif damage == "foreign":  # a sound index of another repository
        other = Repo(tmp_path / "other")
        other.root.mkdir()
        other.git("init", "-q")
        other.write("posts/x.md", "---\ntitle: X\nstate: draft\n---\n\nx\n")
        other.commit("Other")
        historyindex.path_log(other.root, "posts/x.md")
        index.write_bytes((other.root / ".git" / INDEX).read_bytes())
    elif damage == "old-format":  # a sound file, written by a gulagpub that kept other fields
        payload = pickle.dumps(pickle.loads(data[len(historyindex._MAGIC) + 32:])[:-2])
        index.write_bytes(historyindex._MAGIC + hashlib.sha256(payload).digest() + payload)
    else:
        index.unlink()
        index.mkdir()  # cannot be read or replaced: it is rebuilt in memory each time
    run = ok(gp(repo, "history", path, "--json"))
    assert run.out == expected and "Traceback" not in run.err
    if damage != "directory":
        assert historyindex.load(index) is not None  # written again, sound
    assert historyindex.path_log(repo.root, path) == git_log(repo.root, path)


def test_a_renamed_and_a_deleted_post_keep_their_history(repo):
    path = approved(repo)
    repo.git("mv", path, "posts/vicente-monclus.md")
    repo.commit("Rename", who=BORIS)
    for p in (path, "posts/vicente-monclus.md"):
        assert historyindex.path_log(repo.root, p) == git_log(repo.root, p)
    events = json.loads(ok(gp(repo, "history", path, "--json")).out)["events"]
    assert (events[-1]["from"], events[-1]["to"], events[-1]["action"]) == ("approved", None, "delete")
    renamed = json.loads(ok(gp(repo, "history", "posts/vicente-monclus.md", "--json")).out)["events"]
    assert [(e["from"], e["to"]) for e in renamed] == [(None, "approved")]


def test_two_commands_at_once_both_answer_and_leave_a_sound_index(repo):
    path = approved(repo)
    for n in range(30):  # enough history that the two builds overlap
        repo.write(f"posts/other-{n}.md", f"---\ntitle: Other {n}\nstate: draft\n---\n\n{n}\n")
        repo.commit(f"Other {n}")
    expected = git_log(repo.root, path)
    code = ("import sys, json; from pathlib import Path; from gulagpub import historyindex; "
            "print(json.dumps(historyindex.path_log(Path(sys.argv[1]), sys.argv[2])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(repo.root), path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=PROJECT) for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert [tuple(x) for x in json.loads(out)] == expected
    assert historyindex.load(repo.root / ".git" / INDEX) is not None
    assert not [f for f in (repo.root / ".git").iterdir() if f.name.startswith(INDEX + ".")]  # no temp files left


def test_no_commit_yet_no_history(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert historyindex.path_log(tmp_path, "posts/x.md") == []


def load(repo: Repo) -> historyindex.HistoryIndex:
    index = historyindex.load(repo.root / ".git" / INDEX)
    assert index is not None
    return index

