"""The rule that makes approved posts public. Pure.

An approved post (or language version) whose date has come is *due*; it is
published only if its approvals still hold on its current content (enough
editors, none of them its author or translator: `workflow.missing_for_approved`).
A due post whose approvals do not hold (its text changed after approval, or
an approval is by someone who may not give it) is refused, never published.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .model import Post, State

if TYPE_CHECKING:
    from .config import Config


def is_due(post: Post, now: datetime) -> bool:
    """An approved post (or language version) whose date has come.
    An approved post with no date is due at once: `publish` dates it."""
    return post.state == State.APPROVED and (post.date is None or post.date <= now)


# (Records as NamedTuples: the build imports this module for is_due, and a
# dataclass costs it a millisecond to make at import.)
class Refused(NamedTuple):
    """A due post that is not published, and why."""

    post: Post
    reasons: tuple[str, ...]


class Due(NamedTuple):
    """What `publish` does at a moment: the posts it publishes, in path order,
    and the due posts it refuses."""

    ready: tuple[Post, ...]
    refused: tuple[Refused, ...]


def due(posts: list[Post], config: Config, now: datetime) -> Due:
    """The due posts at `now`, split into those whose approvals hold and the others."""
    # (The workflow table is imported here: a build, which asks only is_due, needs none of it.)
    from .workflow import missing_for_approved

    ready: list[Post] = []
    refused: list[Refused] = []
    for post in sorted((p for p in posts if is_due(p, now)), key=lambda p: p.path):
        missing = missing_for_approved(post, config)
        if missing:
            refused.append(Refused(post, tuple(missing)))
        else:
            ready.append(post)
    return Due(tuple(ready), tuple(refused))
