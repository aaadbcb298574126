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
    by_path = {p.path: p for p in posts}
    going: set[str] = set()
    # (posts/ sorts before translations/: a post published in this run is known to its versions)
    for post in sorted((p for p in posts if is_due(p, now)), key=lambda p: p.path):
        original = by_path.get(post.original) if post.original else None
        on_site = original is not None and (original.state == State.PUBLISHED or original.correction is not None
                                            or original.path in going)
        if post.original and not on_site:
            continue  # a language version waits for its post (and never follows a withdrawn one)
        missing = missing_for_approved(post, config)
        if missing:
            refused.append(Refused(post, tuple(missing)))
        else:
            ready.append(post)
            going.add(post.path)
    return Due(tuple(ready), tuple(refused))
