"""The rules `gulagpub check` applies, over values. Pure.

Two kinds of judgement:

- `state_problems`: the posts as they are now (stale approvals of approved
  posts, approvals by non-editors, self-approvals, states whose
  preconditions do not hold);
- `change_problems`: one content file changed by one commit, judged against
  the file before (its first parent; for a merge, both parents), with the
  settings as they were before the commit (so nobody can make themselves an
  editor and use the new role in the same commit).

Gathering these values from git is `history.py`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .config import Config, Role
from .errors import Problem
from .model import Post, Review, State, Verdict, content_digest
from .workflow import (
    Action,
    label,
    may,
    member_by_email,
    missing_for,
    missing_for_approved,
    refusal,
    tally,
    transition,
    who,
)

GOOD_SIGNATURE = "G"


@dataclass(frozen=True)
class CommitInfo:
    """What the check needs to know about one commit."""

    sha: str
    author_name: str
    author_email: str
    trailers: tuple[tuple[str, str], ...] = ()
    signature: str = "N"  # git's %G?: G good, B bad, U unknown key, N none, ...
    signer: str = ""  # git's %GS: for SSH, the principal (e-mail) of the allowed signer
    merge: bool = False

    def trailer(self, key: str) -> list[str]:
        return [v for k, v in self.trailers if k.lower() == key.lower()]


@dataclass(frozen=True)
class FileChange:
    """One content file as a commit left it, and as it was before."""

    commit: CommitInfo
    path: str
    config: Config  # the settings at the first parent: the rules in force
    old: Post | None  # at the first parent (None: the file is new)
    new: Post | None  # at the commit (None: deleted)
    other: Post | None = None  # a merge's second parent's version
    other_exists: bool = False


# --- the posts as they are -----------------------------------------------------

def state_problems(posts: list[Post], config: Config) -> list[Problem]:
    """Workflow rules on the current state of every post."""
    problems: list[Problem] = []
    for post in posts:
        t = tally(post, config)
        # Lines are looked up only for a problem: a cached post reads them again.
        for _, why in t.refused:
            problems.append(Problem(post.path, post.line_of("reviews"), f"{why}; it does not count"))
        if post.state == State.APPROVED:
            for r in t.stale:
                problems.append(Problem(
                    post.path, post.line_of("reviews"),
                    f"stale approval by {r.by}: given on content {r.content}, the post is now "
                    f"{post.digest}; send it back to review with `gulagpub submit {post.path}`"))
            if not t.enough:
                problems.append(Problem(
                    post.path, post.line_of("state"),
                    f"state is approved with {len(t.valid)} of {t.required} valid approval(s) on the "
                    f"current content; run `gulagpub submit {post.path}` to send it back to review"))
        if post.state in (State.TRANSLATION, State.REVIEW, State.WITHDRAWN) or (
                post.state == State.APPROVED and t.enough):
            target = State.REVIEW if post.state == State.APPROVED else post.state
            for m in missing_for(target, post, config):
                problems.append(Problem(post.path, post.line_of("state"), f"state is {post.state} but {m}"))
    return problems


# --- one change made by one commit -----------------------------------------------

def _key(entry: Any) -> str:
    return json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False)


def _review_entries(post: Post | None) -> list[Any]:
    if post is None:
        return []
    raw = post.meta.get("reviews")
    return list(raw) if isinstance(raw, list) else []


def _as_review(post: Post, entry: Any) -> Review | None:
    for r in post.reviews:
        if isinstance(entry, dict) and r.by == str(entry.get("by")) and r.content == str(entry.get("content")) \
                and r.verdict.value == str(entry.get("verdict")):
            return r
    return None


def change_problems(ch: FileChange) -> list[Problem]:
    """Everything wrong with what `ch.commit` did to `ch.path`."""
    c = ch.commit
    config = ch.config
    actor = member_by_email(config, c.author_email)
    by = f"commit {c.sha[:10]} by {c.author_email}"
    out: list[Problem] = []
    post = ch.new or ch.old
    assert post is not None

    def bad(key: str, message: str) -> None:
        line = ch.new.line_of(key) if ch.new is not None else 0
        out.append(Problem(ch.path, line, f"{by}: {message}"))

    befores = [ch.old] + ([ch.other] if c.merge and ch.other_exists else [])
    states = {b.state if b is not None else None for b in befores}
    digests = {b.digest for b in befores if b is not None}
    known: dict[str, Any] = {}
    for b in befores:
        for e in _review_entries(b):
            known.setdefault(_key(e), e)
    now_there = {_key(e): e for e in _review_entries(ch.new)}
    # A merge whose state and review records all come from its parents (as in
    # a pull request's test merge; its text may combine both sides) brings no
    # workflow step of its own, so its author's role does not matter.
    novel = ch.new is None or ch.new.state not in states or any(k not in known for k in now_there)
    if actor is None and (novel or not c.merge):
        bad("title", "the author is not on the team; changes to content come from team members "
                     "(an editor adds people with `gulagpub team add`; GitHub web commits map through "
                     "the member's 'github' login)")
    if ch.new is None:
        if ch.old is not None and ch.old.state in (State.APPROVED, State.PUBLISHED, State.WITHDRAWN):
            bad("state", f"deleted a post in state {ch.old.state}; withdraw it instead "
                         "(`gulagpub withdraw POST --reason ...`)")
        return out
    new = ch.new

    # The state: a legal step, by someone allowed to take it.
    if new.state not in states:
        source = ch.old.state if ch.old is not None else None
        t = transition(source, new.state)
        if t is None:
            bad("state", f"{label(source)} -> {new.state} is not a step of the workflow (see docs/workflow.md)")
        else:
            if actor is not None:
                why = may(actor, t, new)
                if why:
                    bad("state", f"{t}: {why}")
            if t.action == Action.IMPORT and not c.trailer("Imported-from"):
                bad("state", f"a post may enter {new.state} directly only in an import commit (trailer "
                             "'Imported-from:') by an editor; otherwise it goes through review and approval")
            missing = list(missing_for(new.state, new, config))
            if t.action == Action.PUBLISH and ch.old is not None:
                # Approvals vouch for the approved version (publishing may add the date).
                missing += missing_for_approved(ch.old, config)
                after = {k: v for k, v in new.meta.items() if not (k == "date" and ch.old.date is None)}
                if content_digest(after, new.body) != ch.old.digest:
                    bad("title", "the publishing commit also changed the content; publish only what was approved")
            for m in missing:
                bad("state", f"{t} without what it needs: {m}")
    elif new.digest not in digests and ch.old is not None:
        # The content changed, the state did not.
        if new.state == State.APPROVED:
            bad("state", "changed the content of an approved post and left it approved: its approvals are "
                         f"stale; set 'state: review' (`gulagpub submit {new.path}`)")
        if new.state in (State.PUBLISHED, State.WITHDRAWN) and actor is not None and not actor.has(Role.EDITOR):
            bad("title", f"{who(actor)} changed a {new.state} post; only an editor may")

    # The review records: each written by the editor it names, and kept.
    for k, entry in known.items():
        if k not in now_there:
            name = entry.get("by") if isinstance(entry, dict) else entry
            if c.merge:
                bad("reviews", f"the merge lost the review by {name}; when resolving a conflict in "
                               "'reviews:' keep both sides' entries (docs/workflow.md)")
            else:
                bad("reviews", f"removed the review record by {name}; reviews are history and stay")
    for k, entry in now_there.items():
        if k in known:
            continue
        named = str(entry.get("by", "")) if isinstance(entry, dict) else ""
        if actor is None or named.lower() != actor.email.lower():
            bad("reviews", f"FORGERY: wrote a review record in the name of {named or 'nobody'}; only that "
                           "editor may record their own review (with `gulagpub approve`/`request-changes`)")
            continue
        if not actor.has(Role.EDITOR):
            bad("reviews", f"{who(actor)} recorded a review but is not an editor")
            continue
        review = _as_review(new, entry)
        if review is None or review.verdict != Verdict.APPROVED:
            continue
        why = refusal(review, new, config)
        if why:
            bad("reviews", why)
        if review.content != new.digest:
            bad("reviews", f"approval by {review.by} recorded for content {review.content}, but this "
                           f"commit leaves the content as {new.digest}; approve the content as it is")
        if config.workflow.signed_approvals:
            if c.signature != GOOD_SIGNATURE:
                bad("reviews", f"approval by {review.by} is not in a commit with a good SSH signature "
                               f"(git reports %G? = {c.signature}); approvals must be signed "
                               "(`gulagpub approve` signs with your user.signingkey)")
            elif c.signer.lower() != review.by.lower():
                bad("reviews", f"approval by {review.by} is signed with the key of {c.signer or 'someone else'}")
    return out


def settings_problems(commit: CommitInfo, config: Config | None, path: str) -> list[Problem]:
    """gulagpub.toml (the team, the rules) may be changed by editors only."""
    if config is None:
        return []
    actor = member_by_email(config, commit.author_email)
    if actor is None or not actor.has(Role.EDITOR):
        name = who(actor) if actor else commit.author_email
        return [Problem(path, 0, f"commit {commit.sha[:10]} by {commit.author_email}: {name} changed the "
                                 "settings or the team, which only an editor may")]
    return []


__all__ = ["CommitInfo", "FileChange", "change_problems", "settings_problems", "state_problems"]
