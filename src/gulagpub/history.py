"""A post's history and a range's changes, read from Git. Edge module.

Each function runs a fixed number of git processes whatever the number of
posts or commits: one `git log` pass, one `git cat-file --batch` for every
version it needs, and (for signed approvals) one `git log` for signatures.
A post's history finds its commits in the history index (historyindex.py)
instead of a `git log -- PATH` over the whole history.

Content-change times for the publisher (merged from branch pub, which
added a history.py of its own):

When each post's content last really changed, from Git. Edge module.

A commit "really changes" a post when the post's content digest
(model.content_digest: body and author-written fields) differs before and
after it; commits that only touch workflow fields (state, reviews, id, an
approval, a publication) do not count, and neither does the commit that
added the file. One `git log --raw` pass gives each change's blob ids; the
digest of each blob is computed once and remembered in the build cache, and
the result for a HEAD is extended, not recomputed, when HEAD moves forward.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import gitstore, yamlsubset
from .errors import GitError, Problem, UsageError
from .model import Post, State, Verdict, content_digest, kind_of
from .postfile import read_post, split

if TYPE_CHECKING:
    from .config import Config

# `check` and the settings parser are imported where they are used: `history
# POST` needs neither, and starts faster without them; the history index and
# the workflow table likewise, as a build needs neither.



@dataclass(frozen=True)
class Event:
    """One state change (or review) of a post, as Git recorded it."""

    commit: str
    when: datetime
    name: str
    email: str
    source: State | None
    target: State | None  # None: the file was deleted
    action: str
    note: str | None
    subject: str

    def as_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit, "when": self.when.isoformat(), "name": self.name,
            "email": self.email, "from": self.source.value if self.source else None,
            "to": self.target.value if self.target else None, "action": self.action,
            "note": self.note, "subject": self.subject,
        }


def parse_version(path: str, data: bytes | None, config: Config) -> Post | None:
    """One version of a content file as git holds it (None: no such file, or
    too broken to read), read with the settings `config`."""
    if data is None:
        return None
    post, _ = read_post(path, data, config)
    return post


def post_history(root: Path, path: str, config: Config) -> list[Event]:
    """Every state change and review of the file at `path`, oldest first: the
    commits `git log -- PATH` lists, found in the history index."""
    from . import historyindex
    from .workflow import transition

    changes = historyindex.path_log(root, path)
    commits = gitstore.commits(root, [sha for sha, _ in changes])
    blobs = gitstore.read_blobs(root, sorted({blob for _, blob in changes if blob}))
    events: list[Event] = []
    prev: Post | None = None
    for c, (_, blob) in zip(commits, changes, strict=True):
        data = blobs[blob] if blob else None
        post = parse_version(path, data, config)
        if data is not None and post is None:
            continue  # a broken version: the state is unknown until it is fixed
        source = prev.state if prev is not None else None
        target = post.state if post is not None else None
        seen = set(prev.reviews) if prev is not None else set()
        added = [r for r in (post.reviews if post else ()) if r not in seen]
        note = None
        if added:
            action = "approve" if added[-1].verdict == Verdict.APPROVED else "request-changes"
            note = added[-1].note
        elif target is None:
            action = "delete"
        else:
            t = transition(source, target)
            action = t.action.value if t else "edit"
        if post is not None and post.withdrawn and (prev is None or not prev.withdrawn):
            note = post.withdrawn.reason
        if source != target or added:
            events.append(Event(c.sha, c.author_date, c.author_name, c.author_email, source, target,
                                action, note, c.subject))
        prev = post
    return events


def verify_base(root: Path, base: str) -> str:
    sha = gitstore.git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False).strip()
    if not sha or base.startswith("-"):
        raise UsageError(f"--base {base!r} is not a commit in this repository; give a branch, tag or "
                         "commit (e.g. --base main, or --base origin/main in a pull request)")
    return sha


def _config(blob: bytes | None, cache: dict[bytes, Config | None]) -> Config | None:
    from .config import parse_config
    from .errors import ConfigError

    if blob is None:
        return None
    if blob not in cache:
        try:
            cache[blob] = parse_config(blob.decode("utf-8"))
        except (ConfigError, UnicodeDecodeError):
            cache[blob] = None
    return cache[blob]


def signatures(root: Path, shas: list[str], config: Config) -> dict[str, tuple[str, str]]:
    """(%G?, %GS) of each commit of `shas`, verified by git against the signing
    keys of `config`'s team only (the team in force for those commits: a key
    that a commit itself adds or swaps in does not verify it), in one `git log`."""
    import tempfile

    lines = [f'{m.email} namespaces="git" {m.signing_key}' for m in config.team if m.signing_key]
    if not shas or not lines:
        return {}
    fd, allowed = tempfile.mkstemp(prefix="gulagpub-allowed-signers-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(set(lines))) + "\n")
        out = gitstore.git(root, "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed}",
                           "log", "--no-walk=unsorted", "--stdin", "--format=%H\x1f%G?\x1f%GS\x1e",
                           input="".join(s + "\n" for s in shas).encode("ascii"))
    finally:
        os.unlink(allowed)
    result = {}
    for rec in out.split("\x1e"):
        parts = rec.strip().split("\x1f")
        if len(parts) == 3:
            result[parts[0]] = (parts[1], parts[2])
    return result


def link_problems(root: Path, rev: str = "HEAD") -> list[Problem]:
    """Symbolic links and submodules where the build reads files, in the tree
    of `rev` (the check judges the files git holds, and a link's target is
    not among them)."""
    from .check import READ_BY_BUILD, link_problem

    return [link_problem(e.path, e.is_submodule) for e in gitstore.tree_entries(root, rev, list(READ_BY_BUILD))
            if e.is_link or e.is_submodule]


def range_problems(root: Path, base: str) -> list[Problem]:
    """Judge every change in `base..HEAD`: content by the workflow's rules,
    any other file as the editors' (see `check`)."""
    from .check import (
        CommitInfo,
        FileChange,
        change_problems,
        editor_only_problems,
        is_content,
        publisher_problems,
    )
    from .config import CONFIG_FILE
    from .ledger import LEDGER_FILE
    verify_base(root, base)
    revs = f"{base}..HEAD"
    commits = gitstore.log(root, [revs], reverse=True, merges_against_each_parent=True)
    specs: list[str] = []
    for c in commits:
        parent = f"{c.sha}^1" if c.parents else None
        specs.append(f"{parent or c.sha}:{CONFIG_FILE}")
        for _, path in c.files:
            content = kind_of(path) is not None
            if not content and len(c.parents) < 2 and path != LEDGER_FILE:
                continue  # (another file: its versions matter only in a merge)
            specs.append(f"{c.sha}:{path}")
            if parent:
                specs.append(f"{parent}:{path}")
            if len(c.parents) > 1:
                specs.append(f"{c.sha}^2:{path}")
    blobs = gitstore.read_blobs(root, specs, {s: b for c in commits for s, b in c.versions().items()})
    cache: dict[bytes, Config | None] = {}
    # Signatures, verified against the team in force for each commit.
    by_config: dict[bytes, list[str]] = {}
    for c in commits:
        raw = blobs.get(f"{c.sha}^1:{CONFIG_FILE}" if c.parents else f"{c.sha}:{CONFIG_FILE}")
        cfg = _config(raw, cache)
        if raw is not None and cfg is not None and cfg.workflow.signed_approvals:
            by_config.setdefault(raw, []).append(c.sha)
    sigs: dict[str, tuple[str, str]] = {}
    for raw, shas in by_config.items():
        cfg = _config(raw, cache)
        assert cfg is not None
        sigs.update(signatures(root, shas, cfg))

    problems: list[Problem] = link_problems(root)
    for c in commits:
        parent = f"{c.sha}^1" if c.parents else None
        config = _config(blobs.get(f"{parent or c.sha}:{CONFIG_FILE}"), cache)
        sig, signer = sigs.get(c.sha, ("N", ""))
        info = CommitInfo(c.sha, c.author_name, c.author_email, c.trailers, sig, signer, len(c.parents) > 1)
        for _, path in c.files:
            new_b = blobs.get(f"{c.sha}:{path}")
            other_b = blobs.get(f"{c.sha}^2:{path}") if info.merge else None
            old_b = blobs.get(f"{parent}:{path}") if parent else None
            if config is not None and not info.merge and config.publisher.is_author(info.author_email) \
                    and kind_of(path) is None:
                problems += publisher_problems(info, config, path, old_b, new_b)
                continue
            if path == CONFIG_FILE or not is_content(path):
                if not info.merge or new_b not in (old_b, other_b):
                    problems += editor_only_problems(info, config, path)
                continue
            if kind_of(path) is None or config is None:
                continue
            if info.merge and (new_b == other_b or old_b == new_b == other_b):
                continue  # the branch's own commits carry this change and were judged
            new, old = parse_version(path, new_b, config), parse_version(path, old_b, config)
            if (new_b is not None and new is None) or (old_b is not None and old is None):
                continue  # a broken version: `check` reports it if it is still broken
            other = parse_version(path, other_b, config)
            problems += change_problems(FileChange(info, path, config, old, new, other, other is not None))
    return problems


# --- when each post last really changed (the publisher) ---------------------

_NULL = "0" * 40


@dataclass
class History:
    """Content-change times per path at `head`, and the blob digest memo."""

    head: str | None = None
    changed: dict[str, str] = field(default_factory=dict)  # path -> ISO time
    digests: dict[str, str] = field(default_factory=dict)  # blob id -> content digest


def blob_digest(data: bytes) -> str:
    """The content digest of one version of a file (unparseable: a hash of the bytes)."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    fm, body = split(text)
    # The plain subset (most front matter) without PyYAML: the same values.
    fast = yamlsubset.load(fm) if fm else None
    if fast is not None:
        meta: Any = fast[0]
    else:
        import yaml

        try:
            meta = yaml.load(fm or "", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        except yaml.YAMLError:
            meta = {"_unparseable": text}
    if not isinstance(meta, dict):
        meta = {"_unparseable": text}
    return content_digest(meta, body.lstrip("\n"))


def update(root: Path, history: History, prefixes: tuple[str, ...], head: str | None = None) -> History:
    """`history` brought up to the repository's HEAD (a new one when the old
    head is not an ancestor, e.g. after a rebase). `head`: HEAD, when the
    caller has just read it (saves two git processes)."""
    if head is None:
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
    changes: list[tuple[str, str, str, str, str]] = []  # (time, status, old, new, path)
    for commit in gitstore.log(root, revs, list(prefixes), first_parent=True, reverse=True):
        when = commit.author_date.isoformat()
        letters = {path: letter for letter, path in commit.files}
        changes += [(when, letters[path], old, new, path) for path, old, new in commit.blobs]
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
