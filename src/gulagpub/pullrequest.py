"""A pull request judged as a whole, by the person who opened it. Edge module (git).

On GitHub many translators edit files in the web editor: their commits carry
`LOGIN@users.noreply.github.com`, or whatever name a desktop tool set, and a
pull request may hold a dozen "fix typo" commits whose middle steps are not
meant to stand on their own. What counts is who opened the pull request
(GitHub vouches for that login) and what the pull request changes: each
content file as it was at the merge base, and as it is at HEAD.

A commit inside the pull request counts as someone else's only when git
verifies its SSH signature against that person's key in the team (an editor
approving on the branch). Every other commit is the pull request author's,
whatever identity it claims: an unsigned commit can name anybody.

So each changed file is cut at the signed commits that touched it; the
pieces between them are judged as one change by the pull request author,
and each signed commit as a change by its signer, with the rules of
`check.change_problems` and the settings in force at the merge base.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

from . import gitstore
from .check import GOOD_SIGNATURE, CommitInfo, FileChange, change_problems, editor_only_problems, is_content
from .config import CONFIG_FILE, Config, Member, Role, parse_config
from .errors import ConfigError, Problem, UsageError
from .history import link_problems, parse_version, signatures, verify_base
from .model import Post, State, kind_of
from .workflow import TRANSITIONS, Action, is_person, is_translation, label, member_by_email, misfit, transition

PR = "pull-request"  # the pseudo-commit id of "what the pull request author changed"


@dataclass(frozen=True)
class Author:
    """The pull request's author: a GitHub login, and the team member it maps to."""

    login: str
    member: Member | None

    @property
    def email(self) -> str:
        return self.member.email if self.member else f"{self.login}@users.noreply.github.com"


def author_of(config: Config, login: str) -> Author:
    login = login.strip().lstrip("@")
    if not login or any(c.isspace() for c in login):
        raise UsageError(f"--pr-author {login!r} is not a GitHub login")
    return Author(login, config.member(github=login))


def _steps(source: State | None, target: State, roles: frozenset[object], post: Post) -> list[State] | None:
    """The shortest way through the workflow table from `source` to `target`
    using only steps these roles may take (the states after each step), or
    None. A pull request may hold several steps (create, then submit)."""
    queue: deque[tuple[State | None, list[State]]] = deque([(source, [])])
    seen: set[State | None] = {source}
    while queue:
        state, path = queue.popleft()
        for t in TRANSITIONS:
            if t.source != state or t.target in seen or not (t.roles & roles) \
                    or t.action in (Action.IMPORT, Action.PUBLISH) or misfit(t, post):
                continue
            if t.target == target:
                return path + [target]
            seen.add(t.target)
            queue.append((t.target, path + [t.target]))
    return None


def _net_change(info: CommitInfo, path: str, config: Config, old: Post | None, new: Post | None) -> list[Problem]:
    """Judge a piece of the pull request as one change; when it takes
    several workflow steps at once (a new translation submitted for review),
    judge each step the author could have taken on the way."""
    member = member_by_email(config, info.author_email)
    fixes = _translation_lines(member, new)
    if fixes:
        return fixes
    source = old.state if old is not None else None
    if new is None or new.state == source or transition(source, new.state) is not None:
        return change_problems(FileChange(info, path, config, old, new))
    steps = _steps(source, new.state, frozenset(member.roles) if member else frozenset(), new)
    if steps is None:
        problems = change_problems(FileChange(info, path, config, old, new))
        if member is not None and _steps(source, new.state, frozenset(Role), new) is not None:
            problems = [p for p in problems if "is not a step of the workflow" not in p.message]
            problems.append(Problem(path, new.line_of("state"), (
                f"{label(source)} -> {new.state}: only an editor can mark a post {new.state}; set "
                "`state: review` when the text is ready, and an editor will take it from there")))
        return problems
    problems = []
    before = old
    for state in steps:
        after = new if state == new.state else replace(new, state=state)
        problems += change_problems(FileChange(info, path, config, before, after))
        before = after
    return problems


def _translation_lines(member: Member | None, post: Post | None) -> list[Problem]:
    """A translator who writes a translation's front matter by hand (in the
    browser) and leaves out the original's language or the line naming her
    its translator, or names herself otherwise than the team does: the line
    to write, with the value (her team name). Every workflow step that needs
    them would only say the same less clearly, with commands she cannot run
    in a browser."""
    if member is None or post is None or member.has(Role.EDITOR) or not member.has(Role.TRANSLATOR) \
            or not is_translation(post) or post.state not in (State.TRANSLATION, State.REVIEW):
        return []
    if not (post.translation and post.translation.from_lang) and not (post.source and post.source.lang):
        return [Problem(post.path, post.line_of("translation") if "translation" in post.meta else post.line_of("title"), (
            "this translation does not say what language it is translated from: add `translation.from_lang: "
            "CODE` with the original's language code, like ru or es (the line `  from_lang: ru` under "
            "`translation:`)"))]
    if any(is_person(member, t) for t in post.translators):
        return []
    line = f"`translation.translator: {member.name}`"
    if not post.translators and "translation" not in post.meta:
        source = post.source.lang if post.source and post.source.lang else "LANG"
        return [Problem(post.path, post.line_of("source") if "source" in post.meta else post.line_of("title"), (
            f"this translation names no translator: add {line} (a line `translation:`, then below it "
            f"`  translator: {member.name}` and `  from_lang: {source}`, the original's language)"))]
    if not post.translators:
        return [Problem(post.path, post.line_of("translation"), (
            f"this translation names no translator: add {line} (the line `  translator: {member.name}` "
            "under `translation:`)"))]
    named = ", ".join(post.translators)
    return [Problem(post.path, post.line_of("translation"), (
        f"'translator: {named}' is not the name the team knows you by: use your team name: {member.name} "
        f"(write {line})"))]


def _explain(message: str, author: Author) -> str:
    """Add what a translator working in the browser can do about a problem."""
    low = message.lower()
    hints = []
    if "forgery" in low or "recorded a review but is not an editor" in low:
        hints.append("only an editor can approve or request changes: remove the `reviews:` entry this "
                     "pull request adds, keep `state: review`, and an editor will review it here")
    elif "may not approve" in low or "may not publish" in low or "may not withdraw" in low or "may not import" in low \
            or "may not request-changes" in low:
        hints.append("only an editor can mark a post approved, published or withdrawn: set `state: review` "
                     "and an editor will take it from there")
    if "not on the team" in low and author.member is None:
        hints.append(f"@{author.login} is not in the team yet: ask an editor to add you to gulagpub.toml "
                     f"(`gulagpub team add \"Your Name\" you@example.org --role translator --github {author.login}`)")
    return message + "".join(f". What to do: {h}" for h in hints)


def _retell(problems: list[Problem], info: CommitInfo, author: Author, whose: str) -> list[Problem]:
    prefix = f"commit {info.sha[:10]} by {info.author_email}: "
    out = []
    for p in problems:
        message = p.message.removeprefix(prefix)
        out.append(Problem(p.path, p.line, f"{whose}: {_explain(message, author)}"))
    return out


def pr_problems(root: Path, base: str, login: str) -> list[Problem]:
    """Everything wrong with what HEAD changes since its merge base with
    `base`, as done by the GitHub user `login` (see the module's doc)."""
    verify_base(root, base)
    mb = gitstore.git(root, "merge-base", base, "HEAD", check=False).strip()
    if not mb:
        raise UsageError(f"HEAD has no common history with {base}; fetch the whole history "
                         "(actions/checkout with fetch-depth: 0)")
    blobs0 = gitstore.read_blobs(root, [f"{mb}:{CONFIG_FILE}", f"HEAD:{CONFIG_FILE}"])
    raw = blobs0[f"{mb}:{CONFIG_FILE}"] or blobs0[f"HEAD:{CONFIG_FILE}"]
    if raw is None:
        raise ConfigError(f"{CONFIG_FILE}: not found at {base} or HEAD; this is not a gulagpub repository")
    try:
        config = parse_config(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{CONFIG_FILE}: not valid UTF-8 at the merge base") from exc
    author = author_of(config, login)
    actor = CommitInfo(PR, author.login, author.email)
    whose = f"this pull request (by @{author.login})"

    revs = f"{mb}..HEAD"
    commits = gitstore.log(root, [revs], first_parent=True, reverse=True)
    sigs = signatures(root, [c.sha for c in commits], config)
    touched: dict[str, list[CommitInfo]] = {}
    for c in commits:
        sig, signer = sigs.get(c.sha, ("N", ""))
        if sig != GOOD_SIGNATURE or signer.lower() != c.author_email.lower() \
                or member_by_email(config, c.author_email) is None:
            continue
        info = CommitInfo(c.sha, c.author_name, c.author_email, c.trailers, sig, signer, len(c.parents) > 1)
        for _, path in c.files:
            touched.setdefault(path, []).append(info)

    out = gitstore.git(root, "diff", "--name-only", "-z", "--no-renames", mb, "HEAD")
    # (Media files have no rule of their own yet, and may be large: not read.)
    changed = sorted(p for p in {p for p in out.split("\0") if p} | set(touched)
                     if not (is_content(p) and kind_of(p) is None))

    # Every version needed, in one `git cat-file --batch`.
    specs = []
    for path in changed:
        specs += [f"{mb}:{path}", f"HEAD:{path}"]
        for info in touched.get(path, []):
            specs += [f"{info.sha}^1:{path}", f"{info.sha}:{path}"]
    blobs = gitstore.read_blobs(root, specs)

    problems: list[Problem] = link_problems(root)
    for path in changed:
        # The file's life in the pull request: author's pieces between signed commits.
        pieces: list[tuple[str, str, CommitInfo]] = []
        start = f"{mb}:{path}"
        for info in touched.get(path, []):
            pieces += [(start, f"{info.sha}^1:{path}", actor), (f"{info.sha}^1:{path}", f"{info.sha}:{path}", info)]
            start = f"{info.sha}:{path}"
        pieces.append((start, f"HEAD:{path}", actor))
        for before, after, info in pieces:
            old_b, new_b = blobs.get(before), blobs.get(after)
            if old_b == new_b:
                continue
            if path == CONFIG_FILE or not is_content(path):
                found = editor_only_problems(info, config, path)
            elif kind_of(path) is None:
                continue
            else:
                new, old = parse_version(path, new_b, config), parse_version(path, old_b, config)
                if (new_b is not None and new is None) or (old_b is not None and old is None) \
                        or (new is None and old is None):
                    continue  # a broken version: `check` reports the file as it is now
                found = _net_change(info, path, config, old, new) if info is actor else \
                    change_problems(FileChange(info, path, config, old, new))
            if info is actor:
                problems += _retell(found, info, author, whose)
            else:
                problems += found
    return sorted(set(problems))


# --- what a pull request changes, for its comment ---------------------------------

@dataclass(frozen=True)
class Changed:
    """A content file a pull request changes: its state before and after."""

    path: str
    title: str
    lang: str
    before: State | None  # None: new in the pull request
    after: State | None  # None: deleted
    original: str | None  # a translation: what it translates (a post's path, or its source)


def changes(root: Path, base: str) -> list[Changed]:
    """The content files HEAD changes since its merge base with `base`."""
    verify_base(root, base)
    mb = gitstore.git(root, "merge-base", base, "HEAD", check=False).strip()
    if not mb:
        raise UsageError(f"HEAD has no common history with {base}; fetch the whole history "
                         "(actions/checkout with fetch-depth: 0)")
    raw = gitstore.read_blobs(root, [f"HEAD:{CONFIG_FILE}"])[f"HEAD:{CONFIG_FILE}"]
    if raw is None:
        raise ConfigError(f"{CONFIG_FILE}: not found at HEAD; this is not a gulagpub repository")
    config = parse_config(raw.decode("utf-8", "replace"))
    out = gitstore.git(root, "diff", "--name-only", "-z", "--no-renames", mb, "HEAD")
    paths = sorted(p for p in out.split("\0") if p and kind_of(p) is not None)
    blobs = gitstore.read_blobs(root, [f"{rev}:{p}" for p in paths for rev in (mb, "HEAD")])
    found = []
    for path in paths:
        old = parse_version(path, blobs.get(f"{mb}:{path}"), config)
        new = parse_version(path, blobs.get(f"HEAD:{path}"), config)
        post = new or old
        if post is None:
            continue
        original = post.original
        if original is None and post.source is not None and (post.translation or post.source.lang):
            original = ", ".join(x for x in (post.source.title, post.source.publication, post.source.url) if x) or None
        found.append(Changed(path, post.title, post.lang, old.state if old else None, new.state if new else None,
                             original))
    return found


MARKER = "<!-- gulagpub-preview -->"


def comment(changed: list[Changed], problems: list[str], preview: str) -> str:
    """The pull request's comment (Markdown): what it changes, the check's
    verdict, and how to open the preview. Titles and messages come from the
    pull request: shown as code, they cannot format or link."""
    def code(text: str) -> str:
        text = text.replace("\n", " ").replace("`", "'").replace("|", "\\|")  # (a table's cell ends at '|')
        return f"`` {text} ``"

    lines = [MARKER, "### Preview of this pull request", ""]
    if changed:
        lines += ["| file | title | state | translates |", "| --- | --- | --- | --- |"]
        for c in changed:
            state = f"{label(c.before)} → {label(c.after) if c.after else '(deleted)'}" if c.before != c.after \
                else f"{label(c.after)} (unchanged)"
            lines.append(f"| {code(c.path)} | {code(c.title)} ({c.lang}) | {state} | "
                         f"{code(c.original) if c.original else ''} |")
    else:
        lines.append("This pull request changes no post, translation or page.")
    lines.append("")
    if problems:
        lines.append(f"**The check found {len(problems)} problem(s)** (the \"workflow rules\" check shows them "
                     "on the lines of the files):")
        lines += [f"- {code(p)}" for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"- ... and {len(problems) - 20} more")
    else:
        lines.append("**The check passes:** every change follows the workflow's rules.")
    lines += ["", preview, ""]
    return "\n".join(lines)