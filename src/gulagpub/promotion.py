"""The rule that makes approved posts public: approved + date come -> published. Pure."""

from __future__ import annotations

from datetime import datetime

from .model import Post, State


def is_due(post: Post, now: datetime) -> bool:
    """An approved post (or language version) whose date has come.
    An approved post with no date is due at once: `publish` dates it."""
    return post.state == State.APPROVED and (post.date is None or post.date <= now)


def due(posts: list[Post], now: datetime) -> list[Post]:
    """The posts `publish` promotes at `now`, in path order."""
    return sorted((p for p in posts if is_due(p, now)), key=lambda p: p.path)
