"""`gulagpub publish`: promote due approved posts in one commit, then build. Use case.

The rule (approved, date come, approvals holding -> published) is
`promotion.due`; this module reads the files, writes the new front matter,
commits and builds. A due post whose approvals no longer hold is refused
(never published), and said so. The announcer is called after this by the
CLI (a separate step).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from . import gitstore
from .build import BuildResult, Progress, build
from .content import load
from .errors import BuildError, WorkflowError
from .model import Post, State
from .postfile import read_post, update_meta
from .promotion import Refused, due
from .urls import entry_id

PUBLISHED_BY = "gulagpub publish"


@dataclass(frozen=True)
class PublishResult:
    promoted: list[Post]  # as they are after promotion (with id, state published)
    commit: str | None  # None on a dry run or when nothing was due
    build: BuildResult | None  # None on a dry run
    refused: tuple[Refused, ...] = ()  # due, but their approvals do not hold: not published


@dataclass(frozen=True)
class Promotion:
    """What `promote` did: the posts it published (as they are now) and its
    commit (None on a dry run or when none was ready), and those it refused."""

    promoted: list[Post]
    commit: str | None
    refused: tuple[Refused, ...] = ()


def promote(root: Path, now: datetime, *, dry_run: bool = False) -> Promotion:
    """Publish every due approved post whose approvals hold, in one commit."""
    head = gitstore.head(root) if gitstore.is_repo(root) else None  # (read before the files)
    content = load(root)
    found = due(content.posts, content.config, now)
    posts = list(found.ready)
    if not posts:
        return Promotion([], None, found.refused)
    broken = [p for p in content.problems if p.path in {q.path for q in posts}]
    if broken:
        raise BuildError("due posts have problems; fix them before publishing:\n"
                         + "\n".join(str(p) for p in broken))
    if not dry_run:
        dirty = gitstore.dirty(root, [p.path for p in posts])
        if dirty:
            raise WorkflowError(
                f"uncommitted changes in {', '.join(dirty)}; commit or stash them first "
                "(publish commits exactly what was approved)")
    tz = content.config.site.tz
    promoted: list[Post] = []
    texts: dict[str, str] = {}
    for post in posts:
        changes: dict[str, object] = {"state": State.PUBLISHED.value}
        dated = post
        if post.date is None:
            changes["date"] = now.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            dated = replace(post, date=now.astimezone(tz).replace(second=0, microsecond=0))
        if not post.id:
            changes["id"] = entry_id(dated, content.config)
        text = update_meta((root / post.path).read_text(encoding="utf-8"), changes)
        new, problems = read_post(post.path, text.encode("utf-8"), content.config, post.original)
        if new is None or problems:
            raise BuildError("\n".join(str(p) for p in problems) or f"{post.path}: cannot be published")
        texts[post.path] = text
        promoted.append(new)
    if dry_run:
        return Promotion(promoted, None, found.refused)
    trailers: list[tuple[str, str]] = []
    for p in promoted:
        trailers += [("Post", p.path), ("Transition", "approved -> published")]
    trailers.append(("Published-by", PUBLISHED_BY))
    subject = (f"Publish {promoted[0].path}: {promoted[0].title}" if len(promoted) == 1
               else f"Publish {len(promoted)} posts")
    sha = gitstore.commit(root, [], subject, trailers=trailers, expect_head=head,
                          contents={path: text.encode("utf-8") for path, text in texts.items()})
    return Promotion(promoted, sha, found.refused)


def publish(root: Path, out: Path, now: datetime, *, dry_run: bool = False,
            progress: Progress | None = None) -> PublishResult:
    """Promote due posts (one commit), then build the site into `out`."""
    done = promote(root, now, dry_run=dry_run)
    if dry_run:
        return PublishResult(done.promoted, None, None, done.refused)
    return PublishResult(done.promoted, done.commit, build(root, out, now=now, progress=progress), done.refused)
