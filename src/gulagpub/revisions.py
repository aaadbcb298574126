"""`gulagpub diff POST`: what changed in a post since an editor last
approved it. Edge module (git).

Each approval records the commit whose content it vouched for (`reviews[].commit`,
the HEAD the approving editor read); an older approval without one is found
by its content digest in the post's history. The diff compares the post's
*content* then and now (the body and every author-written field: what the
approval vouched for, `model.content_digest`), not the review records and
states the workflow wrote meanwhile, and says whether the stored original
(originals/) changed too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from . import gitstore, originals
from .config import Config
from .errors import GitError, WorkflowError
from .model import WORKFLOW_KEYS, Post, Review, Verdict
from .history import newest_version
from .postfile import dump_yaml, read_post
from .workflow import member_named, who

_DEPTH = 500  # versions of the post searched for an approval that recorded no commit


@dataclass(frozen=True)
class Revision:
    """What changed in a post since one editor's last approval."""

    path: str
    review: Review
    commit: str  # the commit whose content the approval vouched for
    diff: str  # unified diff of the content (empty: unchanged)
    original_changed: bool | None  # the stored original since (None: none was recorded or stored)

    @property
    def changed(self) -> bool:
        return bool(self.diff)


def content_text(post: Post) -> str:
    """A post's content as approvals see it: its author-written fields, then its body."""
    fields = {k: v for k, v in post.meta.items() if k not in WORKFLOW_KEYS}
    return "---\n" + dump_yaml(fields) + "---\n" + post.body.strip().replace("\r\n", "\n") + "\n"


def last_approval(post: Post, config: Config, editor: str) -> Review:
    """The newest approval of `post` by `editor` (an e-mail, name or GitHub login)."""
    member = member_named(config, editor)
    email = member.email if member is not None else editor.strip()
    found = [r for r in post.reviews if r.by.lower() == email.lower() and r.verdict == Verdict.APPROVED]
    if not found:
        name = who(member) if member is not None else email
        approvers = sorted({r.by for r in post.reviews if r.verdict == Verdict.APPROVED})
        hint = f"approved by: {', '.join(approvers)}; give --editor NAME" if approvers else "nobody approved it yet"
        raise WorkflowError(f"{name} has not approved {post.path} ({hint})")
    return found[-1]


def since_approval(root: Path, post: Post, config: Config, editor: str) -> Revision:
    """The content of `post` now (the working tree) against what `editor` last approved."""
    review = last_approval(post, config, editor)
    commit, then = _approved_version(root, post, config, review)
    diff = "".join(difflib.unified_diff(
        content_text(then).splitlines(keepends=True), content_text(post).splitlines(keepends=True),
        f"{post.path} @ {commit[:10]} (approved by {review.name or review.by}, {review.at:%Y-%m-%d})",
        f"{post.path} (now)"))
    original_changed = None
    if review.original is not None:
        now = originals.read(root, post)
        original_changed = now is None or now.digest != review.original
    return Revision(post.path, review, commit, diff, original_changed)


def _approved_version(root: Path, post: Post, config: Config, review: Review) -> tuple[str, Post]:
    path = post.path
    try:
        if review.commit:
            spec = f"{review.commit}:{path}"
            data = gitstore.read_blobs(root, [spec]).get(spec)
            then = read_post(path, data, config)[0] if data is not None else None
            if then is not None and then.digest == review.content:
                return review.commit, then
        # No commit recorded (an older approval), or not that content there: by its digest.
        found = newest_version(root, path, config, lambda p: p.digest == review.content, _DEPTH)
    except GitError as exc:
        raise WorkflowError(f"cannot read the history of {path}: {exc}") from exc
    if found is None:
        raise WorkflowError(f"the version of {path} that {review.by} approved (content {review.content}) is not "
                            "in this clone's history (a shallow clone? `git fetch --unshallow`)")
    return found.commit, found.post
