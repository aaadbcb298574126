"""The editorial workflow: the transition table as data, and the rules.

Pure: takes posts, settings and people as values and returns values. The
use cases (`editorial`) and the check (`check`) both ask these functions, so
the CLI and CI cannot disagree about what is allowed.

Every precondition function returns ALL that is missing, as sentences a
person can act on; an empty list means the step may be taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .config import Config, Member, Role
from .model import Kind, Post, Review, State, Verdict, is_valid_lang


class Action(str, Enum):
    """What a person does to move a post from one state to another."""

    CREATE = "create"
    IMPORT = "import"
    ASSIGN = "assign"
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request-changes"
    RESUBMIT = "resubmit"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Transition:
    source: State | None  # None: the file is new
    target: State
    action: Action
    roles: frozenset[Role]
    why: str

    def __str__(self) -> str:
        return f"{label(self.source)} -> {self.target}"


_E = frozenset({Role.EDITOR})
_ET = frozenset({Role.EDITOR, Role.TRANSLATOR})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(None, State.DRAFT, Action.CREATE, _ET, "anyone on the team starts a draft"),
    Transition(None, State.TRANSLATION, Action.CREATE, _ET,
               "a language version created with its translator already assigned"),
    Transition(None, State.PUBLISHED, Action.IMPORT, _E,
               "an editor imports posts published elsewhere (commit trailer 'Imported-from:')"),
    Transition(None, State.APPROVED, Action.IMPORT, _E,
               "an editor imports posts scheduled elsewhere (commit trailer 'Imported-from:')"),
    Transition(State.DRAFT, State.TRANSLATION, Action.ASSIGN, _ET,
               "an editor assigns a translator, or a translator takes the post"),
    Transition(State.TRANSLATION, State.REVIEW, Action.SUBMIT, _ET,
               "the translator (or an editor) submits the translation for review"),
    Transition(State.DRAFT, State.REVIEW, Action.SUBMIT, _ET,
               "an editor, or its author, submits an original, non-translated post for review"),
    Transition(State.REVIEW, State.APPROVED, Action.APPROVE, _E,
               "enough editors approved the current content"),
    Transition(State.REVIEW, State.DRAFT, Action.REQUEST_CHANGES, _E,
               "an editor requests changes to an original post"),
    Transition(State.REVIEW, State.TRANSLATION, Action.REQUEST_CHANGES, _E,
               "an editor requests changes to a translation"),
    Transition(State.APPROVED, State.REVIEW, Action.RESUBMIT, _ET,
               "the content changed after approval: the approvals are stale"),
    Transition(State.APPROVED, State.PUBLISHED, Action.PUBLISH, _E,
               "the publisher (`gulagpub publish`, run as an editor) publishes a due post"),
    Transition(State.PUBLISHED, State.WITHDRAWN, Action.WITHDRAW, _E,
               "an editor withdraws a published post, with a reason"),
)


def label(state: State | None) -> str:
    return "(new)" if state is None else state.value


# A branch whose pull request was merged is done: what it holds is behind
# main, and work on it again conflicts with what editors did since.
START_AFRESH = ("if this branch's pull request was merged before, it is done: start a new branch from "
                "upstream/main (`git fetch upstream` then `git switch -c NEW-NAME upstream/main`, or on GitHub "
                "sync your fork and make a new branch) and make the change there")

_ORDER = {s: i for i, s in enumerate(State)}


def goes_back(source: State | None, target: State) -> bool:
    """A move to a state a post has already passed (as on a reused branch)."""
    return source is not None and _ORDER[target] <= _ORDER[source]


def not_a_step(source: State | None, target: State) -> str:
    """Why a move outside the table is refused, and what to do."""
    message = f"{label(source)} -> {target} is not a step of the workflow (see docs/workflow.md)"
    return message + (f"; {START_AFRESH}" if goes_back(source, target) else "")


def transition(source: State | None, target: State) -> Transition | None:
    """The table's entry for this move (None: the move is not allowed)."""
    for t in TRANSITIONS:
        if t.source == source and t.target == target:
            return t
    return None


# --- people -----------------------------------------------------------------

_NOREPLY = re.compile(r"^(?:\d+\+)?([A-Za-z0-9-]+)@users\.noreply\.github\.com$", re.I)


def member_by_email(config: Config, email: str) -> Member | None:
    """The team member a commit e-mail belongs to: by e-mail, or for GitHub's
    web editor (`LOGIN@users.noreply.github.com`, `ID+LOGIN@...`) by login."""
    found = config.member(email=email)
    if found is not None:
        return found
    m = _NOREPLY.match(email.strip())
    return config.member(github=m.group(1)) if m else None


def member_named(config: Config, who: str) -> Member | None:
    """A member by e-mail, name or GitHub login (case-insensitive)."""
    who = who.strip().lower()
    for m in config.team:
        if who in (m.email.lower(), m.name.lower(), (m.github or "").lower()):
            return m
    return None


def is_person(member: Member, text: str | None) -> bool:
    """Does a name written in a post (author, translator) mean this member?"""
    return text is not None and text.strip().lower() in member.identities


def is_author(member: Member, post: Post) -> bool:
    return is_person(member, post.author)


def is_translator(member: Member, post: Post) -> bool:
    return any(is_person(member, t) for t in post.translators)


def who(member: Member) -> str:
    return f"{member.name} <{member.email}>"


def is_translation(post: Post) -> bool:
    """A language version, or a post translated from another language (its
    `translation:`, or a source in another language than its own)."""
    return post.kind == Kind.TRANSLATION or post.translation is not None or (
        post.source is not None and post.source.lang is not None and post.source.lang.lower() != post.lang.lower())


# --- preconditions ------------------------------------------------------------

def missing_for_translation(post: Post, config: Config) -> list[str]:
    """What stops `post` from entering the translation state."""
    missing = []
    from_lang = (post.translation.from_lang if post.translation else None) or (
        post.source.lang if post.source else None)
    if not from_lang:
        missing.append(
            f"{post.path} has no source language: set 'translation.from_lang' (or 'source.lang'), "
            "e.g. `gulagpub new TITLE --translate-from es`")
    assigned = [m for m in config.team if is_translator(m, post) and m.has(Role.TRANSLATOR)]
    if not assigned:
        named = ", ".join(post.translators) or "nobody"
        missing.append(
            f"{post.path} has no assigned translator on the team with the translator role "
            f"(translator: {named}); run `gulagpub assign {post.path} EMAIL`")
    elif is_valid_lang(post.lang):  # (a 'lang' that is not a tag is the file's own problem, told apart)
        fits = [m for m in assigned if not m.langs or post.lang in m.langs]
        if not fits:
            missing.append(
                f"no assigned translator of {post.path} translates into '{post.lang}' "
                f"({', '.join(f'{m.name}: {list(m.langs)}' for m in assigned)}); assign another "
                "translator or add the language to their 'langs' in gulagpub.toml")
    return missing


def missing_for_review(post: Post) -> list[str]:
    """What stops `post` from entering review."""
    missing = []
    if not post.body.strip():
        missing.append(f"{post.path} has an empty body; write the text below the front matter")
    if is_translation(post):
        if not post.translators:
            missing.append(
                f"{post.path} is a translation but names no translator; set 'translation.translator' "
                f"or run `gulagpub assign {post.path} EMAIL`")
        s = post.source
        if s is None or not (s.publication or s.title or s.url):
            missing.append(
                f"{post.path} is a translation without source attribution; set 'source.publication', "
                "'source.title' or 'source.url' (where the original text comes from)")
    return missing


@dataclass(frozen=True)
class Tally:
    """The approvals of a post, judged against its current content."""

    required: int
    valid: tuple[Review, ...]
    stale: tuple[Review, ...]  # given on a different content digest
    refused: tuple[tuple[Review, str], ...]  # not counted, and why (a rule was broken)
    imported: bool = False  # approved elsewhere (a scheduled WordPress post), content unchanged

    @property
    def enough(self) -> bool:
        return self.imported or len(self.valid) >= self.required


def imported_approval(post: Post) -> bool:
    """A post imported as scheduled (approved on the old system) stays
    approved while its content is the content that was imported. Only an
    import can write this: `check --base` refuses a new file entering
    approved, and an edit changes the digest."""
    return post.approved_on_import is not None and post.approved_on_import == post.digest


def refusal(review: Review, post: Post, config: Config) -> str | None:
    """Why an approval can never count for this post (None: it may)."""
    member = member_by_email(config, review.by)
    if member is None:
        return f"approval by {review.by}, who is not on the team"
    if not member.has(Role.EDITOR):
        return f"approval by {who(member)}, who is not an editor"
    if is_author(member, post):
        return f"self-approval: {who(member)} is the author of {post.path}"
    if is_translator(member, post):
        return f"self-approval: {who(member)} is a translator of {post.path}"
    if post.kind == Kind.TRANSLATION and member.langs and post.lang.lower() not in {x.lower() for x in member.langs}:
        return (f"{who(member)} reviews {', '.join(member.langs)} (their langs in gulagpub.toml), not "
                f"'{post.lang}', the language of {post.path}; an editor who reads it approves it (or an editor "
                f"adds the language: `gulagpub team set {member.email} --lang ...`)")
    return None


def tally(post: Post, config: Config) -> Tally:
    """Count approvals: the latest verdict of each editor, given on the
    current content, by someone who is neither author nor translator."""
    required = config.workflow.approvals_required
    if not post.reviews:
        return Tally(required, (), (), (), imported_approval(post))
    latest = {r.by.lower(): r for r in post.reviews}
    valid, stale, refused = [], [], []
    digest = post.digest
    for r in latest.values():
        if r.verdict != Verdict.APPROVED:
            continue
        reason = refusal(r, post, config)
        if reason:
            refused.append((r, reason))
        elif r.content != digest:
            stale.append(r)
        else:
            valid.append(r)
    # A refused approval is refused wherever it stands in the history.
    for r in post.reviews if len(latest) < len(post.reviews) else ():
        if r.verdict == Verdict.APPROVED and r not in latest.values():
            reason = refusal(r, post, config)
            if reason:
                refused.append((r, reason))
    return Tally(required, tuple(valid), tuple(stale), tuple(refused), imported_approval(post))


def missing_for_approved(post: Post, config: Config) -> list[str]:
    t = tally(post, config)
    missing = [f"{post.path}: {why}; it does not count" for _, why in t.refused]
    if not t.enough:
        stale = f" ({len(t.stale)} stale: given on earlier content)" if t.stale else ""
        missing.append(
            f"{post.path} has {len(t.valid)} of {t.required} approval(s) needed on its current "
            f"content{stale}; an editor who is neither its author nor a translator runs "
            f"`gulagpub approve {post.path}`")
    return missing


def missing_for(target: State, post: Post, config: Config) -> list[str]:
    """Everything `post` lacks to stand in state `target`."""
    if target == State.TRANSLATION:
        return missing_for_translation(post, config)
    if target == State.REVIEW:
        return missing_for_review(post)
    if target == State.APPROVED:
        return missing_for_review(post) + missing_for_approved(post, config)
    if target == State.WITHDRAWN:
        return [] if post.withdrawn else [
            f"{post.path} is withdrawn without a reason; run `gulagpub withdraw {post.path} --reason ...`"]
    return []


def misfit(t: Transition, post: Post) -> str | None:
    """Why step `t` is not one this kind of post takes, whoever takes it
    (None: it is)."""
    if t.source == State.DRAFT and t.target == State.REVIEW and is_translation(post):
        return (f"{post.path} is a translation in draft; it goes through translation first: assign its "
                f"translator (`gulagpub assign {post.path} EMAIL`), who then submits it")
    return None


def may(member: Member | None, t: Transition, post: Post, before: Post | None = None) -> str | None:
    """Why `member` may not make transition `t` on `post` (None: they may).
    `post` is the post as it is after the transition, `before` as it was (its
    author is the one who may submit an original draft: a commit that names
    someone else the author does not make them so)."""
    if member is None:
        return "not on the team; an editor adds people with `gulagpub team add`"
    why = misfit(t, post)
    if why:
        return why
    if not (member.roles & t.roles):
        roles = " or ".join(sorted(r.value for r in t.roles))
        return (f"{who(member)} may not {t.action.value} ({t}): only a team member with the "
                f"{roles} role may")
    if not member.has(Role.EDITOR):
        if t.action == Action.ASSIGN and not is_translator(member, post):
            return f"a translator may only assign a post to themselves, and {who(member)} is not its translator"
        if t.action == Action.SUBMIT and t.source == State.DRAFT and not is_author(member, before or post):
            return (f"{who(member)} is not the author of {post.path}; only its author or an editor may "
                    "submit an original draft")
        if t.action == Action.SUBMIT and t.source != State.DRAFT and not is_translator(member, post):
            return f"{who(member)} is not a translator of {post.path}; only its translator or an editor may submit it"
        if t.action == Action.CREATE and t.target == State.TRANSLATION and not is_translator(member, post):
            return "a translator may only create a language version assigned to themselves"
    return None


# --- where each post stands ------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    """One row of `gulagpub status`."""

    path: str
    state: State
    title: str
    lang: str
    waiting_for: str  # who or what the post waits for
    translators: tuple[str, ...]
    approvals: int
    approvals_required: int
    stale_approvals: tuple[str, ...]  # e-mails
    outdated_translation: bool  # its post changed after it was translated
    problems: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path, "state": self.state.value, "title": self.title, "lang": self.lang,
            "waiting_for": self.waiting_for, "translators": list(self.translators),
            "approvals": self.approvals, "approvals_required": self.approvals_required,
            "stale_approvals": list(self.stale_approvals),
            "outdated_translation": self.outdated_translation, "problems": list(self.problems),
        }


def standing(post: Post, config: Config, original: Post | None = None) -> Standing:
    t = tally(post, config)
    problems: list[str] = []
    waiting = ""
    if post.state == State.DRAFT:
        waiting = "its author (or an editor: assign a translator / submit)"
    elif post.state == State.TRANSLATION:
        waiting = "translation by " + (", ".join(post.translators) or "nobody (assign a translator)")
    elif post.state == State.REVIEW:
        waiting = f"review by an editor ({len(t.valid)} of {t.required} approvals)"
    elif post.state == State.APPROVED:
        if t.enough and not t.refused:
            waiting = "publishing" + (f" on {post.date.isoformat()}" if post.date else "")
        else:
            waiting = "review again: its approvals are stale (run `gulagpub submit`)"
            problems += missing_for_approved(post, config)
    outdated = bool(
        original is not None and post.translation is not None and post.translation.of_digest
        and post.translation.of_digest != original.digest
        and post.state not in (State.WITHDRAWN,)
    )
    if outdated:
        problems.append(f"{post.original} changed after this version was translated; update the translation")
    return Standing(
        path=post.path, state=post.state, title=post.title, lang=post.lang, waiting_for=waiting,
        translators=post.translators, approvals=len(t.valid), approvals_required=t.required,
        stale_approvals=tuple(r.by for r in t.stale) if post.state in (State.APPROVED, State.REVIEW) else (),
        outdated_translation=outdated, problems=tuple(problems),
    )


def standings(posts: list[Post], config: Config) -> list[Standing]:
    by_path = {p.path: p for p in posts}
    return [standing(p, config, by_path.get(p.original or "")) for p in posts]
