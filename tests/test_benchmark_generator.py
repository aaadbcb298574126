"""The workflow benchmark's generator makes a repository that is what it
claims: the history asked for, several people acting, and only legal
changes (so timing `check --base` on it times a passing check)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT

BENCH = PROJECT / "benchmarks" / "workflow_bench.py"


def gulagpub(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from gulagpub.cli import main; main()", *args], cwd=root,
                          capture_output=True, text=True)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def generate(keep: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), "--posts", "20", "--commits", "100", "--compare-commits", "0",
         "--keep", str(keep), "--generate-only"],
        capture_output=True, text=True,
    )


def test_small_repository_has_the_history_asked_for_and_passes_the_check(tmp_path: Path) -> None:
    made = generate(tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "posts20-commits100-seed1"
    facts = json.loads((root / ".git" / "gulagpub-bench.json").read_text())

    assert git(root, "rev-list", "--count", "main").strip() == "100"
    assert git(root, "rev-list", "--count", "main..HEAD").strip() == "20"
    assert git(root, "branch", "--show-current").strip() == "tania-translations"
    assert len(list((root / "posts").glob("*.md"))) == 20
    authors = set(git(root, "log", "--format=%ae", "--all").split())
    assert len(authors) >= 5, authors
    assert set(git(root, "log", "--format=%ae", "main..HEAD").split()) == {
        "tania@example.org", "boris@example.org"}

    checked = gulagpub(root, "check", "--base", "main")  # every post, and the branch's commits
    assert checked.returncode == 0, (checked.stdout, checked.stderr)
    assert "no problems" in checked.stderr

    history = gulagpub(root, "history", facts["long_post"])
    assert history.returncode == 0, history.stderr
    assert "review -> approved" in history.stdout
    assert "approved -> published" in history.stdout

    again = generate(tmp_path)
    assert again.returncode == 0 and "reusing" in again.stderr


def test_too_little_history_for_the_posts_is_refused_with_the_minimum(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--posts", "20", "--commits", "30", "--keep", str(tmp_path),
         "--generate-only"],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "--commits must be at least" in result.stderr
