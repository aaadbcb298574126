"""`gulagpub publish`: due approved posts become published in one commit; future ones wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, post_text
from gulagpub.model import State
from gulagpub.postfile import parse_post
from gulagpub.promotion import due, is_due
from sitehelp import NOW, gulagpub


def _parse(text: str, path: str = "posts/x.md"):  # noqa: ANN202
    post, problems = parse_post(path, text.encode())
    assert post is not None and not problems, problems
    return post


@pytest.mark.parametrize("state, date, expected", [
    ("approved", "2026-11-27 11:59", True),
    ("approved", "2026-11-27 12:00", True),
    ("approved", "2026-11-27 12:01", False),
    ("review", "2020-01-01 10:00", False),
    ("published", "2020-01-01 10:00", False),
])
def test_the_promotion_rule(state: str, date: str, expected: bool) -> None:
    post = _parse(post_text("T", state, date=date))
    assert is_due(post, NOW) is expected


def approved_text(title: str, body: str = "Some text.\n", **fields: str) -> str:
    """An approved post by Alice with Boris's approval of exactly this content."""
    text = post_text(title, "approved", body, author="Alice Editor", **fields)
    digest = _parse(text).digest
    review = ("reviews:\n- by: boris@example.org\n  verdict: approved\n"
              f"  at: 2026-11-20 10:00:00+00:00\n  content: {digest}\n---\n")
    return text.replace("\n---\n", "\n" + review, 1)


def test_an_undated_approved_post_is_due() -> None:
    from gulagpub.config import parse_config
    from conftest import BASE_CONFIG

    assert due([_parse(approved_text("T"))], parse_config(BASE_CONFIG), NOW).ready


def _approved(repo: Repo) -> None:
    repo.write("posts/2026-11-01-due.md", approved_text("Due post", "Ready.\n", date="2026-11-01 10:00"))
    repo.write("posts/2026-12-24-later.md", approved_text("Later post", "Soon.\n", date="2026-12-24 10:00"))
    repo.write("posts/2026-11-02-undated.md", approved_text("Undated post", "Now.\n"))
    repo.commit("Approve three posts")


def test_publish_promotes_due_posts_in_one_commit_and_builds(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    head = repo.git("rev-parse", "HEAD").strip()
    out = tmp_path / "site"
    result = gulagpub("-C", str(repo.root), "publish", "--out", str(out), "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "published posts/2026-11-01-due.md  Due post",
        "published posts/2026-11-02-undated.md  Undated post",
    ]
    # no Mastodon credentials: publish ends by writing the announcements to the outbox
    assert [line.split()[:3:2] for line in result.stdout.splitlines()[2:]] == [
        ["outbox", "posts/2026-11-01-due.md"], ["outbox", "posts/2026-11-02-undated.md"]]
    assert len(list((out / "outbox").glob("*.json"))) == 2
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    message = repo.git("log", "-1", "--format=%B")
    assert message.count("Transition: approved -> published") == 2
    assert "Post: posts/2026-11-01-due.md" in message and "Published-by: gulagpub publish" in message
    due_text = repo.read("posts/2026-11-01-due.md")
    assert "state: published" in due_text
    assert "id: tag:blog.example.org,2026-11-01:posts/2026-11-01-due" in due_text
    undated = repo.read("posts/2026-11-02-undated.md")
    assert "date: 2026-11-27 13:00" in undated  # the site's time zone (Europe/Madrid)
    assert "state: approved" in repo.read("posts/2026-12-24-later.md")
    assert (out / "2026/11/01/due/index.html").is_file()
    assert not (out / "2026/12/24").exists()
    assert repo.git("status", "--porcelain").strip() == ""


def test_publish_dry_run_changes_nothing(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    head = repo.git("rev-parse", "HEAD").strip()
    result = gulagpub("-C", str(repo.root), "publish", "--dry-run", "--out", str(tmp_path / "site"),
                      "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert "would publish posts/2026-11-01-due.md  Due post" in result.stdout
    assert repo.git("rev-parse", "HEAD").strip() == head
    assert "state: approved" in repo.read("posts/2026-11-01-due.md")
    assert not (tmp_path / "site").exists()


def test_publish_with_nothing_due_still_builds(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/2026-12-24-later.md", approved_text("Later", date="2026-12-24 10:00"))
    repo.commit("Approve one")
    result = gulagpub("-C", str(repo.root), "publish", "--out", str(tmp_path / "site"), "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 0 and "no approved post is due" in result.stderr
    assert (tmp_path / "site/index.html").is_file()


def test_publish_refuses_uncommitted_changes_to_a_due_post(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    repo.write("posts/2026-11-01-due.md", approved_text("Due post", "Changed after approval.\n",
                                                        date="2026-11-01 10:00"))
    result = gulagpub("-C", str(repo.root), "publish", "--out", str(tmp_path / "site"), "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 1
    assert "uncommitted changes in posts/2026-11-01-due.md" in result.stderr


def test_build_help_ends_with_an_example() -> None:
    for command in ("build", "publish", "serve"):
        result = gulagpub(command, "--help")
        assert result.returncode == 0 and "Example:" in result.stdout


def test_published_state_is_parsed_back(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    gulagpub("-C", str(repo.root), "publish", "--out", str(tmp_path / "site"), "--now", "2026-11-27T12:00:00Z")
    post = _parse(repo.read("posts/2026-11-01-due.md"), "posts/2026-11-01-due.md")
    assert post.state == State.PUBLISHED


def test_publish_ends_by_announcing_each_new_post_once(repo: Repo, tmp_path: Path,
                                                       mastodon_test_server: Any) -> None:
    import os
    import subprocess
    import sys

    _approved(repo)
    server = mastodon_test_server
    env = {**os.environ, "MASTODON_API_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": server.token}
    exe = Path(sys.executable).parent / "gulagpub"
    args = [str(exe), "-C", str(repo.root), "publish", "--out", str(tmp_path / "site"),
            "--now", "2026-11-27T12:00:00Z"]
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert len(server.statuses) == 2
    assert "/2026/11/01/due/" in " ".join(s["content"] for s in server.statuses.values())
    assert "announcements.jsonl" in repo.git("show", "--stat", "--format=", "HEAD")
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(server.statuses) == 2  # nothing posted twice
    assert server.token not in first.stdout + first.stderr + again.stdout + again.stderr
    # --no-announce leaves announcing to a later `gulagpub announce`
    repo.write("posts/2026-11-03-third.md", approved_text("Third", "More.\n", date="2026-11-03 10:00"))
    repo.commit("Approve a third post")
    third = subprocess.run(args + ["--no-announce"], capture_output=True, text=True, env=env, timeout=300)
    assert third.returncode == 0, third.stderr
    assert len(server.statuses) == 2
