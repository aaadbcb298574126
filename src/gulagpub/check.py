"""The rules `gulagpub check` applies, over values. Pure.

Three kinds of judgement:

- `state_problems`: the posts as they are now (stale approvals of approved
  posts, approvals by non-editors, self-approvals, states whose
  preconditions do not hold);
- `change_problems`: one content file changed by one commit, judged against
  the file before (its first parent; for a merge, both parents), with the
  settings as they were before the commit (so nobody can make themselves an
  editor and use the new role in the same commit);
- `publisher_problems`: a commit under the [publisher] identity (the bot
  that runs `publish` and `announce` in CI, not on the team) may do only
  what those commands do: make due approved posts published (judged by
  `change_problems` like any publication) and append records to the
  announcement ledger. Anything else it commits is refused;
- `editor_only_problems`: any other file changed by a commit. Translators
  change content (`posts/`, `translations/`, `pages/`, `media/`); every
  other file (the settings, templates, code, workflows, `_redirects`, the
  announcement ledger...) is read by the build, run on editors' machines or
  in CI, so only an editor may change it. With signed approvals, such a
  change counts only in a commit signed by an editor's key that was on the
  team before it: the author a commit claims proves nothing.

Gathering these values from git is `history.py`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .config import CONFIG_FILE, Config, Role
from .errors import Problem
from .model import Post, Review, State, Verdict, content_digest, kind_of
from .workflow import (
    Action,
    may,
    member_by_email,
    missing_for,
    missing_for_approved,
    not_a_step,
    refusal,
    tally,
    transition,
    who,
)

GOOD_SIGNATURE = "G"

# What git's %G? says about a commit's signature, checked against the team's
# keys only, in words, with what to do.
_SIGNING = ("`git config gpg.format ssh`, `git config user.signingkey ~/.ssh/gulagpub_signing.pub`, "
            "and sign again: `git commit --amend --no-edit -S`")
SIGNATURE_WORDS = {
    # (For SSH, git also says N for a signature by a key outside the allowed
    # signers, which here are the team's keys.)
    "N": "the commit is unsigned, or signed with a key that is not on the team; sign with the key that is "
         f"your signing_key in gulagpub.toml ({_SIGNING}), or have an editor record your key "
         "(`gulagpub team set YOU --signing-key KEY.pub`)",
    "U": "it is signed with a key that is not on the team; sign with the key that is your signing_key in "
         "gulagpub.toml, or an editor records your key (`gulagpub team set YOU --signing-key KEY.pub`)",
    "E": "its signature cannot be checked (an unknown key, or a kind of signature other than SSH); sign with "
         f"your SSH key on the team ({_SIGNING})",
    "B": "its signature is bad (the commit was changed after it was signed); sign it again "
         "(`git commit --amend --no-edit -S`)",
    "X": "its signature has expired; sign it again (`git commit --amend --no-edit -S`)",
    "Y": "it is signed with an expired key; make a new key and have an editor record it "
         "(`gulagpub team set YOU --signing-key KEY.pub`)",
    "R": "it is signed with a revoked key; make a new key and have an editor record it "
         "(`gulagpub team set YOU --signing-key KEY.pub`)",
}


def signature_words(code: str) -> str:
    return SIGNATURE_WORDS.get(code, f"git could not verify its signature (%G? = {code})")

# The folders of what the team writes: anyone on the team may change them
# (as the workflow rules allow); everything else is the editors'.
CONTENT_FOLDERS = ("posts", "translations", "pages", "media")
# What the build reads from the repository: never a symbolic link (or a
# submodule) in git, where the check could not see what it points to.
READ_BY_BUILD = (*CONTENT_FOLDERS, "templates", CONFIG_FILE, "_redirects", "announcements.jsonl")


def is_content(path: str) -> bool:
    """A path the team may change: a content file, or a file under media/ or originals/."""
    return kind_of(path) is not None or path.startswith(("media/", "originals/"))


def link_problem(path: str, submodule: bool = False) -> Problem:
    """A symbolic link (or submodule) where the build reads files."""
    what = "a submodule (git mode 160000)" if submodule else "a symbolic link (git mode 120000)"
    return Problem(path, 0, f"is {what}; the build would read whatever it points to, which no review "
                            "sees: commit the files themselves (`git rm --cached` the link, copy the files in)")


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
        # A published (or withdrawn) post's approvals were judged when it was
        # published, by the team then (`check --base`): an editor who has left
        # the team since does not make them wrong.
        refused = t.refused if post.state not in (State.PUBLISHED, State.WITHDRAWN) else ()
        # Lines are looked up only for a problem: a cached post reads them again.
        for _, why in refused:
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


def _publishes(ch: FileChange) -> bool:
    """Does this change publish the post (approved -> published)?"""
    return ch.old is not None and ch.new is not None and ch.old.state == State.APPROVED \
        and ch.new.state == State.PUBLISHED


PUBLISHER_MAY = ("may only publish due approved posts (`gulagpub publish`) and append records to "
                 "announcements.jsonl (`gulagpub announce`); make any other change under your own name")


def _by_publisher(commit: CommitInfo, config: Config) -> bool:
    return not commit.merge and config.publisher.is_author(commit.author_email)


def _publisher_hint(commit: CommitInfo, config: Config) -> str:
    """For a commit by someone not on the team that `publish` or `announce`
    made, when the settings name no publisher: how to add one."""
    made_by_us = commit.trailer("Published-by") or commit.trailer("Gulagpub-Command")
    if config.publisher.email or not made_by_us:
        return ""
    return (f"; it was made by `gulagpub publish`/`announce`: if {commit.author_email} is your publishing "
            f"workflow, an editor adds a [publisher] section to {CONFIG_FILE} with name = "
            f"\"{commit.author_name}\" and email = \"{commit.author_email}\" (commits before that one stay "
            "refused: each commit is judged by the settings before it)")


def publisher_problems(commit: CommitInfo, config: Config, path: str, old: bytes | None,
                       new: bytes | None) -> list[Problem]:
    """What a commit under the publisher's identity did to `path`, a file
    that is not a post: only records appended to the ledger are its to make."""
    from .ledger import LEDGER_FILE, parse_ledger

    why = f"changed {path}"
    if path == LEDGER_FILE and new is not None:
        before = old or b""
        if new.startswith(before):
            try:
                _, unreadable = parse_ledger(new[len(before):].decode("utf-8"))
            except UnicodeDecodeError:
                unreadable = [None]  # type: ignore[list-item]
            if not unreadable:
                return []
            why = f"appended unreadable records to {path}"
        else:
            why = f"changed or removed records already in {path} (the ledger is only appended to)"
    return [Problem(path, 0, f"commit {commit.sha[:10]} by {commit.author_email}: committed under the "
                             f"publisher's identity ({config.publisher}), which {PUBLISHER_MAY}: {why}")]


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

    publisher = _by_publisher(c, config)
    if publisher and not _publishes(ch):
        bad("state", f"committed under the publisher's identity ({config.publisher}), which {PUBLISHER_MAY}")
        return out

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
    if actor is None and not publisher and (novel or not c.merge):
        bad("title", "the author is not on the team; changes to content come from team members "
                     "(an editor adds people with `gulagpub team add`; GitHub web commits map through "
                     "the member's 'github' login)" + _publisher_hint(c, config))
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
            bad("state", not_a_step(source, new.state))
        else:
            if actor is not None and not publisher:
                why = may(actor, t, new, ch.old)
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

    if ch.old is not None and ch.old.state in (State.PUBLISHED, State.WITHDRAWN) \
            and (actor is None or not actor.has(Role.EDITOR)):
        # What readers, feeds and the bot know a published post by: its id and
        # the date it first appeared. Changing them republishes it as new.
        for key, was, now in (("id", ch.old.id, new.id), ("date", ch.old.date, new.date)):
            if all(b is None or getattr(b, key) != now for b in befores):
                bad(key, f"changed '{key}' of a {ch.old.state} post ({was} -> {now}); only an editor may "
                         "(feeds and the announcer know the post by its id and first publication date)")
    if _publishes(ch) and ch.old is not None and ch.old.id and new.id != ch.old.id:
        bad("id", f"the publishing commit changed 'id' ({ch.old.id} -> {new.id}); publish keeps the id it finds")

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
                bad("reviews", f"approval by {review.by} is not in a commit with a good SSH signature: "
                               f"{signature_words(c.signature)}; approvals must be signed "
                               "(`gulagpub approve` signs with your user.signingkey)")
            elif c.signer.lower() != review.by.lower():
                bad("reviews", f"approval by {review.by} is signed with the key of {c.signer or 'someone else'}")
    return out


def editor_only_problems(commit: CommitInfo, config: Config | None, path: str) -> list[Problem]:
    """`path` is not content (the settings, a template, code...): only an
    editor may change it; with signed approvals, only in a commit signed by
    an editor's key on the team of `config` (the settings before the commit)."""
    if config is None:
        return []
    by = f"commit {commit.sha[:10]} by {commit.author_email}"
    what = ("the settings or the team" if path == CONFIG_FILE else
            f"{path}, which is not content (templates, settings, code and workflows run on editors' "
            "machines and in CI; translators change posts/, translations/, pages/ and media/)")
    if config.workflow.signed_approvals:
        signer = member_by_email(config, commit.signer) if commit.signature == GOOD_SIGNATURE else None
        if signer is None or not signer.has(Role.EDITOR):
            why = (f"it is signed by the key of {who(signer)}, who is not an editor" if signer is not None else
                   f"it has no good SSH signature by a key on the team: {signature_words(commit.signature)}")
            return [Problem(path, 0, f"{by}: changed {what}, but {why}; with signed_approvals = true such "
                                     "changes count only in a commit signed by an editor whose key was on the "
                                     "team before it (`git commit -S`; `gulagpub team add` signs)")]
        return []
    actor = member_by_email(config, commit.author_email)
    if actor is None or not actor.has(Role.EDITOR):
        name = who(actor) if actor else commit.author_email
        return [Problem(path, 0, f"{by}: {name} changed {what}, which only an editor may")]
    return []


settings_problems = editor_only_problems  # (gulagpub.toml is one of the editors' files)


__all__ = ["CONTENT_FOLDERS", "READ_BY_BUILD", "CommitInfo", "FileChange", "change_problems",
           "editor_only_problems", "is_content", "link_problem", "publisher_problems", "state_problems"]
