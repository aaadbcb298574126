"""When each post's content last really changed, from Git. Edge module.

A commit "really changes" a post when the post's content digest
(model.content_digest: body and author-written fields) differs before and
after it; commits that only touch workflow fields (state, reviews, id, an
approval, a publication) do not count, and neither does the commit that
added the file. One `git log --raw` pass gives each change's blob ids; the
digest of each blob is computed once and remembered in the build cache, and
the result for a HEAD is extended, not recomputed, when HEAD moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from . import gitstore
from .errors import GitError
from .model import content_digest
from .postfile import split

_NULL = "0" * 40
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class History:
    """Content-change times per path at `head`, and the blob digest memo."""

    head: str | None = None
    changed: dict[str, str] = field(default_factory=dict)  # path -> ISO time
    digests: dict[str, str] = field(default_factory=dict)  # blob id -> content digest

    def last_change(self, path: str) -> datetime | None:
        at = self.changed.get(path)
        return datetime.fromisoformat(at) if at else None


def blob_digest(data: bytes) -> str:
    """The content digest of one version of a file (unparseable: a hash of the bytes)."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    fm, body = split(text)
    try:
        meta = yaml.load(fm or "", Loader=_Loader) or {}
    except yaml.YAMLError:
        meta = {"_unparseable": text}
    if not isinstance(meta, dict):
        meta = {"_unparseable": text}
    return content_digest(meta, body.lstrip("\n"))


def update(root: Path, history: History, prefixes: tuple[str, ...]) -> History:
    """`history` brought up to the repository's HEAD (a new one when the old
    head is not an ancestor, e.g. after a rebase)."""
    if not gitstore.is_repo(root):
        return History()
    head = gitstore.head(root)
    if head is None:
        return History()
    if head == history.head:
        return history
    base = history.head
    if base and _is_ancestor(root, base, head):
        revs = [f"{base}..{head}"]
        changed = dict(history.changed)
    else:
        revs = [head]
        changed = {}
    out = gitstore.git(root, "log", "-z", "--raw", "--abbrev=40", "--no-renames", "--reverse",
                       "--first-parent", "-m", "--diff-merges=first-parent",
                       "--format=\x1e%aI", *revs, "--", *prefixes)
    changes: list[tuple[str, str, str, str, str]] = []  # (time, status, old, new, path)
    for record in out.split("\x1e")[1:]:
        when, _, rest = record.partition("\0")
        tokens = rest.lstrip("\n").split("\0")
        for i in range(0, len(tokens) - 1, 2):
            meta = tokens[i].lstrip("\n").split()
            if len(meta) < 5:
                continue
            changes.append((when.strip(), meta[4][0], meta[2], meta[3], tokens[i + 1]))
    digests = history.digests
    wanted = sorted({b for c in changes if c[1] == "M" for b in (c[2], c[3])} - digests.keys() - {_NULL})
    blobs = gitstore.read_blobs(root, wanted)
    for blob, data in blobs.items():
        digests[blob] = blob_digest(data or b"")
    for when, status, old, new, path in changes:
        if status == "D":
            changed.pop(path, None)
        elif status == "M" and digests.get(old) != digests.get(new):
            changed[path] = when
    return History(head=head, changed=changed, digests=digests)


def _is_ancestor(root: Path, base: str, head: str) -> bool:
    try:
        gitstore.git(root, "merge-base", "--is-ancestor", base, head)
    except GitError:
        return False
    return True
