"""The editorial use cases: init, team add, new, translate, assign, submit,
approve, request changes, withdraw, publish.

Each reads the content repository, asks `workflow` whether the acting person
(`git config user.email`) may do it, writes the file(s) and makes ONE commit
with trailers (`Post:`, `Transition:`, `Approved-by:` ...). With `dry_run`
nothing is written and the returned `Outcome` says what would have been.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from . import gitstore, originals, slugs
from .config import (
    CONFIG_FILE,
    GITHUB_ACTIONS_BOT,
    Config,
    Member,
    PublisherSettings,
    Role,
    dump_member,
    dump_publisher,
    parse_config,
    toml_string,
)
from .content import Content, load
from .errors import PermissionDenied, UsageError, WorkflowError
from .model import Kind, Post, Review, State, Verdict, is_valid_lang, is_valid_slug, name_of, original_path
from .postfile import DATE_FORMAT, read_post, render_post, to_datetime, update_meta
from .workflow import (
    Action,
    Transition,
    is_person,
    is_translation,
    label,
    may,
    member_by_email,
    member_named,
    missing_for,
    missing_for_approved,
    missing_for_correction,
    not_a_step,
    refusal,
    tally,
    transition,
    who,
)


@dataclass(frozen=True)
class Outcome:
    """What a use case did (or, with dry_run, would do)."""

    subject: str
    paths: tuple[str, ...]
    trailers: tuple[tuple[str, str], ...] = ()
    commit: str | None = None  # None on a dry run
    dry_run: bool = False
    signed: bool = False
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        head = "would commit" if self.dry_run else f"committed {self.commit[:10] if self.commit else ''}"
        lines = [f"{head}: {self.subject}"]
        lines += [f"  {k}: {v}" for k, v in self.trailers]
        lines.append(f"  files: {', '.join(self.paths)}")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


# --- shared steps ---------------------------------------------------------------

@dataclass
class Desk:
    """The content repository and the person acting on it."""

    root: Path
    content: Content
    name: str
    email: str
    member: Member | None
    head: str | None = None  # HEAD when the content was read: the commit goes on top of it, or not at all

    @property
    def config(self) -> Config:
        return self.content.config

    def need_member(self) -> Member:
        if self.member is None:
            raise PermissionDenied(
                f"{self.email} (git config user.email) is not on the team in {CONFIG_FILE}; "
                "ask an editor to run `gulagpub team add NAME EMAIL --role ...`, or set "
                "`git config user.email` to the address you are listed with")
        return self.member

    def need_editor(self, doing: str) -> Member:
        m = self.need_member()
        if not m.has(Role.EDITOR):
            raise PermissionDenied(f"{who(m)} may not {doing}: only an editor may; ask an editor")
        return m

    def post(self, ref: str) -> Post:
        post = self.content.find(ref)
        if post is None:
            broken = [p for p in self.content.problems if ref in p.path]
            if broken:
                raise WorkflowError(
                    "\n".join(str(p) for p in broken) + "\nfix these problems first (`gulagpub check`)")
            raise UsageError(f"no post {ref!r}: give a path (posts/x.md), a file name or a slug; "
                             "`gulagpub status` lists them")
        mine = [p for p in self.content.problems if p.path == post.path]
        if mine:
            raise WorkflowError(
                "\n".join(str(p) for p in mine) + f"\nfix {post.path} first (`gulagpub check`)")
        return post

    def clean(self, *paths: str) -> None:
        changed = gitstore.dirty(self.root, list(paths))
        if changed:
            raise WorkflowError(
                f"{', '.join(changed)} has uncommitted changes; commit them (`git commit`) or set "
                "them aside (`git stash`) first, so this step commits only what it says")


def open_desk(root: Path) -> Desk:
    name, email = gitstore.identity(root)
    head = gitstore.head(root)  # before reading: what is read is at least this new
    content = load(root)
    return Desk(root, content, name, email, member_by_email(content.config, email), head)


def _reparse(desk: Desk, path: str, text: str) -> Post:
    original = None
    if path.startswith("translations/"):  # a version of a bundle uses its post's files
        original = original_path(path, (desk.root / "posts" / name_of(path) / "index.md").is_file())
    post, problems = read_post(path, text.encode("utf-8"), desk.config, original)
    if post is None or problems:
        raise WorkflowError("\n".join(str(p) for p in problems))
    return post


def _refuse_if(missing: list[str], doing: str) -> None:
    if missing:
        raise WorkflowError(f"cannot {doing}:\n" + "\n".join(f"- {m}" for m in missing))


def _check_move(desk: Desk, old: Post | None, new: Post, doing: str) -> Transition:
    source = old.state if old is not None else None
    t = transition(source, new.state)
    if t is None:
        raise WorkflowError(f"cannot {doing}: {new.path} is {label(source)}, and {not_a_step(source, new.state)}")
    why = may(desk.member, t, new)
    if why:
        raise PermissionDenied(f"cannot {doing}: {why}")
    missing = missing_for(new.state, new, desk.config)
    if t.action == Action.CORRECT:
        missing += missing_for_correction(new)
    _refuse_if(missing, doing)
    return t


def _commit(desk: Desk, files: dict[str, str], subject: str, trailers: list[tuple[str, str]],
            dry_run: bool, *, sign_key: str | None = None, notes: tuple[str, ...] = ()) -> Outcome:
    if dry_run:
        return Outcome(subject, tuple(files), tuple(trailers), None, True, bool(sign_key), notes)
    # The files go into the commit as computed here (not as the working tree
    # may hold them by then), on top of the HEAD they were read at, and into the
    # working tree once committed (gitstore.commit).
    sha = gitstore.commit(desk.root, [], subject, trailers=trailers, sign_key=sign_key,
                          contents={path: text.encode("utf-8") for path, text in files.items()},
                          expect_head=desk.head)
    return Outcome(subject, tuple(files), tuple(trailers), sha, False, bool(sign_key), notes)


def _read(desk: Desk, post: Post) -> str:
    return (desk.root / post.path).read_text(encoding="utf-8")


def _post_trailers(post: Post, t: Transition) -> list[tuple[str, str]]:
    return [("Post", post.path), ("Transition", str(t))]


def _editor_on(root: Path, ref: str, doing: str, state: State, why: str, text: str | None = None,
               text_hint: str = "") -> tuple[Desk, Member, Post]:
    """An editor acting on a post in `state` that has no uncommitted changes."""
    desk = open_desk(root)
    editor = desk.need_editor(doing)
    if text is not None and not text.strip():
        raise UsageError(text_hint)
    post = desk.post(ref)
    if post.state != state:
        raise WorkflowError(f"{post.path} is {post.state}; {why}")
    desk.clean(post.path)
    return desk, editor, post


def _move(desk: Desk, post: Post, changes: dict[str, Any], doing: str, subject: str,
          trailers: list[tuple[str, str]], dry_run: bool) -> Outcome:
    """The common step: change the front matter, check the move against the
    workflow, and commit the file with the transition's trailers."""
    text = update_meta(_read(desk, post), changes)
    t = _check_move(desk, post, _reparse(desk, post.path, text), f"{doing} {post.path}")
    return _commit(desk, {post.path: text}, f"{subject} {post.path}: {post.title}",
                   _post_trailers(post, t) + trailers, dry_run)


# --- init and team ---------------------------------------------------------------

# What a content repository never commits: the built site (`build`'s default
# folder, and the spare folder a build keeps beside it), the temporary files of
# an interrupted write (gitstore.py, importer.py) and Python's leftovers.
# The build's own state lives in .git/gulagpub/, where no commit can reach it.
GITIGNORE = """\
# Made by gulagpub init. The built site (gulagpub build's default --out) and
# the spare folder each build keeps beside it:
/_site/
/._site.gulagpub-next/
# What an interrupted write leaves:
.*.gulagpub-[0-9]*
*.gulagpub-tmp
# Python and editors:
__pycache__/
.venv/
*.swp
.DS_Store
"""


def init(directory: Path, title: str, base_url: str, *, lang: str = "en",
         timezone: str = "UTC", description: str = "", dry_run: bool = False) -> Outcome:
    """A new content repository: posts/, translations/, gulagpub.toml with the
    person in `git config` as first editor, a .gitignore for the built site,
    and the first commit."""
    if (directory / CONFIG_FILE).exists():
        raise UsageError(f"{directory / CONFIG_FILE} already exists; this is a content repository already")
    probe = directory if directory.is_dir() else Path.cwd()
    name, email = gitstore.identity(probe)
    member = Member(name=name or email, email=email, roles=frozenset({Role.EDITOR}), langs=(lang,))

    q = toml_string
    text = (
        f"# Settings of {title.replace(chr(10), ' ')}. See docs/content-model.md for every setting.\n\n"
        f"[site]\ntitle = {q(title)}\nbase_url = {q(base_url)}\nlang = {q(lang)}\ntimezone = {q(timezone)}\n"
        # (the meta description of the lists and the 404 page, the feeds' subtitle)
        f"description = {q(' '.join(description.split()))}\n\n"
        "[workflow]\napprovals_required = 1\nsigned_approvals = false\n\n"
        "# Who the publishing workflow commits as (.github/workflows/publish.yml): `check --base`\n"
        "# accepts only promotions of due approved posts and announcement records from it.\n"
        + dump_publisher(*GITHUB_ACTIONS_BOT) + "\n"
        + dump_member(member)
    )
    parse_config(text)  # refuses a bad URL, language or timezone before anything is made
    subject = f"Start {title}"
    paths = (CONFIG_FILE, ".gitignore", "posts/.gitkeep", "translations/.gitkeep")
    if dry_run:
        return Outcome(subject, paths, (("Editor", who(member)),), None, True)
    directory.mkdir(parents=True, exist_ok=True)
    if not gitstore.is_repo(directory) or gitstore.git(directory, "rev-parse", "--show-toplevel").strip() != str(directory.resolve()):
        gitstore.git(directory, "init", "-q")
    (directory / "posts").mkdir(exist_ok=True)
    (directory / "translations").mkdir(exist_ok=True)
    (directory / "posts/.gitkeep").write_text("")
    (directory / "translations/.gitkeep").write_text("")
    (directory / CONFIG_FILE).write_text(text, encoding="utf-8")
    ignore = directory / ".gitignore"
    if ignore.exists():  # (an existing folder's own rules are kept, ours added)
        kept = ignore.read_text(encoding="utf-8")
        ignore.write_text(kept + ("" if kept.endswith("\n") or not kept else "\n") + GITIGNORE, encoding="utf-8")
    else:
        ignore.write_text(GITIGNORE, encoding="utf-8")
    sha = gitstore.commit(directory, list(paths), subject, trailers=[("Editor", who(member))])
    return Outcome(subject, paths, (("Editor", who(member)),), sha)


def publisher(root: Path, *, git_config: bool = False) -> PublisherSettings:
    """The [publisher] identity of gulagpub.toml; with `git_config`, made the
    identity git commits as in this clone (what the publishing workflow does
    before `publish` and `announce`)."""
    from .content import load_config

    found = load_config(root).publisher
    if not found.email:
        raise WorkflowError(
            f"{CONFIG_FILE} has no [publisher]: the identity the publishing workflow commits as, which "
            "`gulagpub check --base` accepts promotions and announcement records from. An editor adds it "
            f"(one commit; GitHub Actions commits as this bot):\n\n{dump_publisher(*GITHUB_ACTIONS_BOT)}")
    if git_config:
        gitstore.git(root, "config", "user.name", found.name or found.email)
        gitstore.git(root, "config", "user.email", found.email)
    return found


@dataclass(frozen=True)
class GitHubSetup:
    """What `setup github` did to gulagpub.toml (None: nothing was needed),
    and what is left to do in GitHub's pages and the team file."""

    outcome: Outcome | None
    publisher: PublisherSettings
    todo: tuple[str, ...]


_CODEOWNERS_PLACEHOLDER = "@gulaganarchists/editors"


def setup_github(root: Path, *, dry_run: bool = False) -> GitHubSetup:
    """Make the repository ready for its GitHub workflows (by an editor): the
    [publisher] identity publish.yml commits as (one commit, when missing),
    then every step left that only GitHub's pages or the team can take."""
    desk = open_desk(root)
    editor = desk.need_editor("set the repository up for GitHub")
    config = desk.config
    outcome = None
    publisher = config.publisher
    if not publisher.email:
        desk.clean(CONFIG_FILE)
        text = (root / CONFIG_FILE).read_text(encoding="utf-8")
        section = ("# Who the publishing workflow commits as (.github/workflows/publish.yml): `check --base`\n"
                   "# accepts only promotions of due approved posts and announcement records from it.\n"
                   + dump_publisher(*GITHUB_ACTIONS_BOT))
        lines = text.split("\n")
        first_team = next((i for i, line in enumerate(lines) if _TEAM_TABLE.match(line)), None)
        if first_team is None:
            new_text = text.rstrip("\n") + "\n\n" + section
        else:
            while first_team > 0 and lines[first_team - 1].lstrip().startswith("#"):
                first_team -= 1  # the comments before the first [[team]] stay with it
            new_text = "\n".join(lines[:first_team]).rstrip("\n") + "\n\n" + section + "\n" + \
                "\n".join(lines[first_team:])
        publisher = parse_config(new_text).publisher
        outcome = _commit(desk, {CONFIG_FILE: new_text}, "Name the publisher: the publishing workflow's bot",
                          [("Publisher", str(publisher)), ("Changed-by", who(editor))], dry_run,
                          sign_key=settings_key(desk, editor))
    todo = [
        "Settings -> Pages -> Source: GitHub Actions (publish.yml deploys the site there).",
        "Settings -> Secrets and variables -> Actions: the secrets MASTODON_API_BASE_URL and "
        "MASTODON_ACCESS_TOKEN (and BLUESKY_HANDLE, BLUESKY_APP_PASSWORD for Bluesky); only publish.yml's "
        "announce step reads them.",
        "Settings -> Branches -> protect main: require a pull request, the checks \"workflow rules\" and "
        "\"tests and feed validation\", and review from Code Owners; let editors and "
        f"{publisher.name or publisher.email} push to main (the publisher pushes state changes and the "
        "announcement ledger).",
        "Settings -> Actions -> General: keep \"Require approval for first-time contributors\" on.",
    ]
    for workflow in ("pr.yml", "publish.yml"):
        if not (root / ".github" / "workflows" / workflow).is_file():
            todo.append(f".github/workflows/{workflow} is missing: copy it from gulagpub's own repository.")
    owners = root / ".github" / "CODEOWNERS"
    try:
        placeholder = _CODEOWNERS_PLACEHOLDER in owners.read_text(encoding="utf-8")
    except OSError:
        placeholder = False
    if placeholder:
        todo.append(f".github/CODEOWNERS names {_CODEOWNERS_PLACEHOLDER}, a placeholder: replace it with your "
                    "editors' team (Organisation -> Teams) or their logins.")
    for m in config.team:
        if not m.github:
            todo.append(f"{who(m)} has no GitHub login in {CONFIG_FILE}, so their pull requests are not known "
                        f"as theirs: `gulagpub team set {m.email} --github LOGIN`.")
    if not config.workflow.signed_approvals:
        todo.append(f"Approvals are not signed: once every editor has a signing key (`gulagpub team set EMAIL "
                    f"--signing-key FILE.pub`), set signed_approvals = true under [workflow] in {CONFIG_FILE} "
                    "(docs/guide-setup.md).")
    else:
        for m in config.team:
            if m.has(Role.EDITOR) and not m.signing_key:
                todo.append(f"{who(m)} is an editor without a signing key, so cannot approve: "
                            f"`gulagpub team set {m.email} --signing-key FILE.pub`.")
    return GitHubSetup(outcome, publisher, tuple(todo))


def read_public_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}; give the .pub file of an SSH key") from exc
    if "PRIVATE KEY" in key:
        raise UsageError(f"{path} is a PRIVATE key; give the public one ({path}.pub)")
    if not re.match(r"^(ssh-(ed25519|rsa)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$", key):
        raise UsageError(f"{path} is not an SSH public key (a line like 'ssh-ed25519 AAAA... name')")
    return key


def team_add(root: Path, member: Member, *, dry_run: bool = False) -> Outcome:
    """Append a [[team]] member to gulagpub.toml (by an editor), keeping the file's comments."""
    desk = open_desk(root)
    editor = desk.need_editor("change the team")
    if desk.config.member(email=member.email) is not None:
        raise WorkflowError(f"{member.email} is already on the team in {CONFIG_FILE}; edit their entry there")
    for lang in member.langs:
        if not is_valid_lang(lang):
            raise UsageError(f"--lang {lang!r} is not a language tag like 'es' or 'ru'")
    desk.clean(CONFIG_FILE)
    text = (root / CONFIG_FILE).read_text(encoding="utf-8")
    new_text = text.rstrip("\n") + "\n\n" + dump_member(member)
    parse_config(new_text)
    roles = ", ".join(sorted(r.value for r in member.roles))
    subject = f"Add {member.name} to the team ({roles})"
    trailers = [("Team-added", who(member)), ("Roles", roles), ("Added-by", who(editor))]
    return _commit(desk, {CONFIG_FILE: new_text}, subject, trailers, dry_run,
                   sign_key=settings_key(desk, editor))


_TABLE = re.compile(r"^\s*\[")
_TEAM_TABLE = re.compile(r"^\s*\[\[\s*team\s*\]\]\s*(#.*)?$")


def _team_table(lines: list[str], nth: int) -> tuple[int, int]:
    """The lines [start, end) of the `nth` (0-based) [[team]] table: its header
    to the next table, less the blank lines and comments before that table
    (they belong to it)."""
    starts = [i for i, line in enumerate(lines) if _TEAM_TABLE.match(line)]
    start = starts[nth]
    end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return start, end


def _team_member(desk: Desk, ref: str) -> tuple[int, Member]:
    found = member_named(desk.config, ref)
    if found is None:
        raise UsageError(f"{ref!r} is not on the team; give the name, e-mail or GitHub login of a member "
                         "(`gulagpub team list` lists them)")
    return desk.config.team.index(found), found


def _team_change(desk: Desk, editor: Member, nth: int, member: Member | None, subject: str,
                 trailers: list[tuple[str, str]], dry_run: bool) -> Outcome:
    """Replace (or with `member` None, remove) the `nth` [[team]] table and
    commit; the rest of gulagpub.toml, comments included, stays as written."""
    if not any(m.has(Role.EDITOR) for i, m in enumerate(desk.config.team) if i != nth) and (
            member is None or not member.has(Role.EDITOR)):
        raise WorkflowError(f"{who(desk.config.team[nth])} is the team's last editor; add another editor "
                            "first (`gulagpub team add NAME EMAIL --role editor`): only editors approve, "
                            "publish and change the team")
    desk.clean(CONFIG_FILE)
    lines = (desk.root / CONFIG_FILE).read_text(encoding="utf-8").split("\n")
    start, end = _team_table(lines, nth)
    lines[start:end] = dump_member(member).rstrip("\n").split("\n") if member is not None else []
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    parse_config(text)
    return _commit(desk, {CONFIG_FILE: text}, subject, trailers + [("Changed-by", who(editor))], dry_run,
                   sign_key=settings_key(desk, editor))


def team_set(root: Path, ref: str, *, roles: frozenset[Role] | None = None, langs: tuple[str, ...] | None = None,
             github: str | None = None, signing_key: str | None = None, dry_run: bool = False) -> Outcome:
    """Change a member's roles, languages, GitHub login or signing key (by an
    editor); what is not given stays. One commit."""
    desk = open_desk(root)
    editor = desk.need_editor("change the team")
    nth, old = _team_member(desk, ref)
    for lang in langs or ():
        if not is_valid_lang(lang):
            raise UsageError(f"--lang {lang!r} is not a language tag like 'es' or 'ru'")
    changes: dict[str, Any] = {k: v for k, v in (("roles", roles), ("langs", langs), ("github", github),
                                                 ("signing_key", signing_key)) if v is not None}
    if not changes:
        raise UsageError("nothing to change: give --role, --lang, --github or --signing-key")
    member = replace(old, **changes)
    if member == old:
        raise WorkflowError(f"{who(old)} has these settings already; nothing to change")
    said = ", ".join(sorted(changes))
    return _team_change(desk, editor, nth, member, f"Change {old.name}'s {said} in the team",
                        [("Team-changed", who(member)), ("Changed", said)], dry_run)


def team_remove(root: Path, ref: str, *, dry_run: bool = False) -> Outcome:
    """Take a member off the team (by an editor; never the last editor). What
    they did stays valid: `check --base` judges each commit by the team then."""
    desk = open_desk(root)
    editor = desk.need_editor("change the team")
    nth, old = _team_member(desk, ref)
    return _team_change(desk, editor, nth, None, f"Remove {old.name} from the team",
                        [("Team-removed", who(old))], dry_run)


def settings_key(desk: Desk, editor: Member) -> str | None:
    """With signed approvals, a change of the settings (the team, its keys, the
    rules) counts only in a commit signed by an editor already on the team: the
    key that signs it (None: signing is off)."""
    if not desk.config.workflow.signed_approvals:
        return None
    key = signing_key(desk.root, f"changes to {CONFIG_FILE}")
    if not editor.signing_key:
        raise WorkflowError(
            f"changes to {CONFIG_FILE} must be signed ([workflow] signed_approvals = true) but {who(editor)} "
            f"has no signing_key in {CONFIG_FILE}; an editor with a key makes this change")
    return key


# --- new drafts and language versions -----------------------------------------------

@dataclass(frozen=True)
class Details:
    """What a new draft or language version may be given at once, so that its
    preview has its address and its listing its summary (`new`, `translate`)."""

    date: str | None = None  # YYYY-MM-DD or YYYY-MM-DD HH:MM, as in front matter
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    summary: str | None = None

    def fields(self, tz: Any) -> dict[str, Any]:
        """The front-matter fields these set (a date checked as the file's would be)."""
        out: dict[str, Any] = {}
        if self.date is not None:
            if to_datetime(self.date.strip(), tz, lambda m: None) is None:
                raise UsageError(f"--date {self.date!r} is not a date: {DATE_FORMAT}")
            out["date"] = self.date.strip()
        if self.tags:
            out["tags"] = list(self.tags)
        if self.categories:
            out["categories"] = list(self.categories)
        if self.summary is not None and self.summary.strip():
            out["summary"] = self.summary.strip()
        return out


# The site's own folders at its root (outputs.py, urls.py): a standalone page
# (at /SLUG/) named like one would take its place.
RESERVED_PAGE_SLUGS = frozenset({"tag", "category", "archive", "page", "media"})


def new(root: Path, title: str, *, slug: str | None = None, lang: str | None = None,
        translate_from: str | None = None, source: dict[str, str] | None = None,
        details: Details = Details(), page: bool = False, dry_run: bool = False) -> Outcome:
    """A draft posts/SLUG.md whose author is the acting person (with `page`, a
    standalone page pages/SLUG.md: at /SLUG/, undated, in no list or feed)."""
    desk = open_desk(root)
    member = desk.need_member()
    what = "page" if page else "post"
    if not title.strip():
        raise UsageError(f"the title is empty; give the {what} a title")
    if page and (translate_from or source or details.date or details.tags or details.categories):
        raise UsageError("a standalone page (--page) has no date, tags, categories, source or translation; "
                         "give it only a title, --slug, --lang and --summary")
    slug = slug or slugs.slug(title, plain_latin=True)
    if not is_valid_slug(slug):
        raise UsageError(f"slug {slug!r} is not allowed; use letters, digits and hyphens (--slug my-{what})")
    if page and slug.lower() in RESERVED_PAGE_SLUGS:
        raise UsageError(f"/{slug}/ is a folder of the site itself; choose another --slug for the page")
    path = f"pages/{slug}.md" if page else f"posts/{slug}.md"
    if (root / path).exists():
        raise WorkflowError(f"{path} exists already; choose another --slug")
    taken = [p for p in desk.content.posts if p.slug == slug and p.kind != Kind.TRANSLATION]
    if taken:
        raise WorkflowError(f"slug '{slug}' is used by {taken[0].path}; choose another --slug")
    for tag, opt in ((lang, "--lang"), (translate_from, "--translate-from")):
        if tag and not is_valid_lang(tag):
            raise UsageError(f"{opt} {tag!r} is not a language tag like 'en' or 'es'")
    meta: dict[str, Any] = {"title": title.strip(), "state": State.DRAFT.value, "author": member.name,
                            "lang": lang or desk.config.site.lang, **details.fields(desk.config.site.tz)}
    src = {k: v for k, v in (source or {}).items() if v}
    if src.get("lang") and not is_valid_lang(src["lang"]):
        raise UsageError(f"--source-lang {src['lang']!r} is not a language tag like 'en' or 'es'")
    if translate_from:
        src.setdefault("lang", translate_from)
    if src:
        meta["source"] = src
    if translate_from:
        meta["translation"] = {"from_lang": translate_from}
    text = render_post(meta, "")
    post = _reparse(desk, path, text)
    t = _check_move(desk, None, post, f"create {path}")
    return _commit(desk, {path: text}, f"New draft {path}: {post.title}", _post_trailers(post, t), dry_run)


_NOT_COPIED = {"state", "reviews", "withdrawn", "id", "published_by", "import", "date", "updated",
               "aliases", "sticky", "slug", "lang", "translation"}


def translate(root: Path, ref: str, lang: str, *, translator: str | None = None,
              details: Details = Details(), dry_run: bool = False) -> Outcome:
    """translations/LANG/NAME.md as a draft copy of the post (or, with a
    translator, straight in translation), recording what it translates."""
    desk = open_desk(root)
    desk.need_member()
    post = desk.post(ref)
    if post.kind != Kind.POST:
        raise UsageError(f"{post.path} is not a post in posts/; translate the post itself")
    if not is_valid_lang(lang):
        raise UsageError(f"--lang {lang!r} is not a language tag like 'es' or 'ru'")
    if lang.lower() == post.lang.lower():
        raise UsageError(f"{post.path} is already in '{lang}'; choose another --lang")
    path = f"translations/{lang}/{post.name}.md"
    if (root / path).exists():
        raise WorkflowError(f"{path} exists already; edit it, or `gulagpub assign {path} TRANSLATOR`")
    meta: dict[str, Any] = {k: v for k, v in post.meta.items() if k not in _NOT_COPIED}
    meta = {"title": meta.pop("title"), "state": State.DRAFT.value, **meta, "lang": lang,
            **details.fields(desk.config.site.tz)}
    if "source" not in meta:
        meta["source"] = {"title": post.title}
    tr: dict[str, Any] = {"from_lang": post.lang, "of_digest": post.digest}
    notes: tuple[str, ...] = ()
    if translator:
        member = _translator(desk, translator)
        tr = {"translator": member.name, **tr}
        meta["state"] = State.TRANSLATION.value
        notes = (f"assigned to {who(member)}",)
    meta["translation"] = tr
    text = render_post(meta, post.body)
    new_post = _reparse(desk, path, text)
    t = _check_move(desk, None, new_post, f"create {path}")
    trailers = _post_trailers(new_post, t) + [("Translation-of", post.path)]
    if translator:
        trailers.append(("Assigned-to", who(_translator(desk, translator))))
    return _commit(desk, {path: text}, f"New {lang} version {path}: {post.title}", trailers, dry_run, notes=notes)


def _translator(desk: Desk, ref: str) -> Member:
    member = member_named(desk.config, ref)
    if member is None:
        raise WorkflowError(f"{ref!r} is not on the team; give the e-mail, name or GitHub login of a "
                            "translator listed in gulagpub.toml (an editor adds one with `gulagpub team add`)")
    if not member.has(Role.TRANSLATOR):
        raise WorkflowError(f"{who(member)} does not have the translator role; add it in gulagpub.toml "
                            "or choose a translator")
    return member


# --- moves of an existing post -----------------------------------------------------------

def assign(root: Path, ref: str, translator: str, *, dry_run: bool = False) -> Outcome:
    """Assign a translator; a draft moves to translation."""
    desk = open_desk(root)
    desk.need_member()
    post = desk.post(ref)
    member = _translator(desk, translator)
    if post.state not in (State.DRAFT, State.TRANSLATION):
        raise WorkflowError(f"{post.path} is {post.state}; a translator is assigned to a draft (or added "
                            "during translation). Ask for changes first to send it back")
    desk.clean(post.path)
    raw = post.meta.get("translation")
    raw = raw if isinstance(raw, dict) else {}
    names = [n for n in post.translators if not is_person(member, n)]
    names.append(member.name)
    tr = {"translator": names[0] if len(names) == 1 else names,
          **{k: v for k, v in raw.items() if k != "translator"}}
    text = update_meta(_read(desk, post), {"translation": tr, "state": State.TRANSLATION.value})
    new_post = _reparse(desk, post.path, text)
    if post.state == State.TRANSLATION:
        if desk.member is None or not (desk.member.has(Role.EDITOR) or desk.member == member):
            raise PermissionDenied(f"only an editor may add a translator to {post.path}")
        _refuse_if(missing_for(State.TRANSLATION, new_post, desk.config), f"assign {post.path}")
        trailers = [("Post", post.path), ("Assigned-to", who(member))]
    else:
        t = _check_move(desk, post, new_post, f"assign {post.path}")
        trailers = _post_trailers(post, t) + [("Assigned-to", who(member))]
    return _commit(desk, {post.path: text}, f"Assign {post.path} to {member.name}: {post.title}",
                   trailers, dry_run)


def submit(root: Path, ref: str, *, note: str | None = None, minor: bool = False,
           dry_run: bool = False) -> Outcome:
    """Send a post to review (from translation, from draft for an original
    post, or back from approved when its content changed). A published post
    is sent to review as a proposed correction: its text as edited in the
    working tree, with the public `note` saying what was corrected (or, by an
    editor, `minor` for a typo: no note)."""
    desk = open_desk(root)
    member = desk.need_member()
    post = desk.post(ref)
    if post.state == State.PUBLISHED:
        return _propose_correction(desk, member, post, note, minor, dry_run)
    if note or minor:
        raise UsageError(f"{post.path} is {post.state}, not published: --note and --minor are for corrections "
                         f"of published posts; submit it without them")
    desk.clean(post.path)
    changes: dict[str, Any] = {"state": State.REVIEW.value}
    if post.state == State.APPROVED and not missing_for_approved(post, desk.config):
        raise WorkflowError(f"{post.path} is approved and its approvals hold; there is nothing to submit")
    if post.kind == Kind.TRANSLATION and post.original:
        original = desk.content.by_path().get(post.original)
        raw = post.meta.get("translation")
        if original is not None and isinstance(raw, dict) and raw.get("of_digest") != original.digest:
            # The translator vouches that this version follows the post as it is now.
            changes["translation"] = {**raw, "of_digest": original.digest}
    return _move(desk, post, changes, "submit", "Submit", [("Submitted-by", who(desk.need_member()))],
                 dry_run)


def _propose_correction(desk: Desk, member: Member, post: Post, note: str | None, minor: bool,
                        dry_run: bool) -> Outcome:
    """published -> review: the edit in the working tree, proposed as a correction."""
    if minor and note:
        raise UsageError("a minor fix has no public note: give --note NOTE or --minor, not both")
    if not minor and not (note and note.strip()):
        raise UsageError(f"{post.path} is published: sending it to review proposes a correction; say what was "
                         "corrected with --note 'the date of the arrest was 20-4-1950, not 1951' (shown on the "
                         "page and in the feeds), or, as an editor, --minor for a typo")
    if minor:
        desk.need_editor("mark a correction minor (no public note)")
    spec = f"HEAD:{post.path}"
    committed = gitstore.read_blobs(desk.root, [spec]).get(spec)
    text = _read(desk, post)
    if committed is None or committed.decode("utf-8", "replace") == text:
        raise WorkflowError(f"{post.path} has no change to propose: edit its text (or front matter) first, then "
                            f"run this again (it commits your edit with the correction note)")
    correction: dict[str, Any] = {"by": member.email}
    correction.update({"minor": True} if minor else {"note": " ".join((note or "").split())})
    text = update_meta(text, {"state": State.REVIEW.value, "correction": correction})
    was, _ = read_post(post.path, committed, desk.config)
    new_post = _reparse(desk, post.path, text)
    t = _check_move(desk, was or post, new_post, f"propose a correction of {post.path}")
    for key in ("id", "date", "slug"):
        if was is not None and getattr(was, key) != getattr(new_post, key):
            raise WorkflowError(f"cannot propose a correction of {post.path}: it changes the post's {key} "
                                f"({getattr(was, key)} -> {getattr(new_post, key)}), which a correction keeps "
                                "(readers, feeds and the announcer know the post by it); undo that change")
    what = "minor fix" if minor else correction["note"]
    return _commit(desk, {post.path: text}, f"Propose a correction of {post.path}: {post.title}",
                   _post_trailers(post, t) + [("Correction", what), ("Proposed-by", who(member))], dry_run)


def _review_entry(desk: Desk, member: Member, verdict: Verdict, post: Post, now: datetime,
                  note: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"by": member.email, "name": member.name, "verdict": verdict.value,
                             "at": now.replace(microsecond=0), "content": post.digest}
    if note:
        entry["note"] = note
    if desk.head:  # the commit whose content this verdict is on (the file is clean): `gulagpub diff` starts there
        entry["commit"] = desk.head
    if post.original_text or post.kind == Kind.POST:
        original = originals.read(desk.root, post)
        if original is not None:
            entry["original"] = original.digest
    return entry


def _reviews(post: Post) -> list[Any]:
    raw = post.meta.get("reviews")
    return list(raw) if isinstance(raw, list) else []


def signing_key(root: Path, what: str = "approvals") -> str:
    key = gitstore.git(root, "config", "user.signingkey", check=False).strip()
    if not key:
        raise WorkflowError(
            f"{what} must be signed ([workflow] signed_approvals = true) but git has no signing key; "
            "run `git config user.signingkey ~/.ssh/id_ed25519.pub` (your SSH key) and make sure its "
            "public key is your signing_key in gulagpub.toml")
    return key


def approve(root: Path, ref: str, now: datetime, *, note: str | None = None,
            dry_run: bool = False) -> Outcome:
    """Record the acting editor's approval of the post's current content; the
    post becomes approved once it has the approvals the settings require."""
    desk = open_desk(root)
    editor = desk.need_editor("approve")
    post = desk.post(ref)
    if post.state != State.REVIEW:
        hint = " (it was approved already)" if post.state == State.APPROVED else ""
        raise WorkflowError(f"{post.path} is {post.state}, not in review{hint}; only a post in review "
                            f"can be approved (`gulagpub submit {post.path}`)")
    entry = _review_entry(desk, editor, Verdict.APPROVED, post, now, note)
    why = refusal(Review(by=editor.email, verdict=Verdict.APPROVED, at=now, content=post.digest), post, desk.config)
    if why:
        raise PermissionDenied(f"cannot approve {post.path}: {why}; another editor must approve it")
    if any(r.by.lower() == editor.email.lower() and r.verdict == Verdict.APPROVED and r.content == post.digest
           for r in post.reviews):
        raise WorkflowError(f"{who(editor)} approved this content of {post.path} already; "
                            "another editor's approval is needed")
    sign_key = None
    if desk.config.workflow.signed_approvals:
        sign_key = signing_key(root)
        if not editor.signing_key:
            raise WorkflowError(
                f"approvals must be signed but {who(editor)} has no signing_key in {CONFIG_FILE}; "
                "an editor adds the public key there so that `gulagpub check` can verify the signature")
    desk.clean(post.path)
    reviews = _reviews(post) + [entry]
    text = update_meta(_read(desk, post), {"reviews": reviews})
    counted = _reparse(desk, post.path, text)
    enough = tally(counted, desk.config).enough
    if enough:
        text = update_meta(text, {"state": State.APPROVED.value})
        counted = _reparse(desk, post.path, text)
        t = _check_move(desk, post, counted, f"approve {post.path}")
        trailers = _post_trailers(post, t)
    else:
        n = len(tally(counted, desk.config).valid)
        trailers = [("Post", post.path),
                    ("Transition", f"review -> review ({n} of {desk.config.workflow.approvals_required} approvals)")]
    trailers.append(("Approved-by", who(editor)))
    return _commit(desk, {post.path: text}, f"Approve {post.path}: {post.title}", trailers, dry_run,
                   sign_key=sign_key)


def request_changes(root: Path, ref: str, note: str, now: datetime, *, dry_run: bool = False) -> Outcome:
    """Send a post in review back to its translator (translation) or author
    (draft), keeping the editor's note in the review record."""
    desk, editor, post = _editor_on(root, ref, "request changes", State.REVIEW,
                                    "changes are requested on a post in review", note,
                                    "say what should change: -m 'NOTE' is required")
    back = State.TRANSLATION if (is_translation(post) and post.translators) else State.DRAFT
    entry = _review_entry(desk, editor, Verdict.CHANGES_REQUESTED, post, now, note.strip())
    if post.correction is not None:
        # A correction stays in review while it is reworked: the site keeps
        # showing the version last published.
        text = update_meta(_read(desk, post), {"reviews": _reviews(post) + [entry]})
        _reparse(desk, post.path, text)
        return _commit(desk, {post.path: text}, f"Request changes to {post.path}: {post.title}",
                       [("Post", post.path), ("Transition", "review -> review (correction)"),
                        ("Changes-requested-by", who(editor))], dry_run)
    return _move(desk, post, {"reviews": _reviews(post) + [entry], "state": back.value}, "request changes to",
                 "Request changes to", [("Changes-requested-by", who(editor))], dry_run)


def withdraw(root: Path, ref: str, reason: str, now: datetime, *, public: bool = True,
             dry_run: bool = False) -> Outcome:
    """Take a published post off the site (by an editor, with a reason), and
    its published language versions with it. Its address then serves a page
    saying it was withdrawn and when, and why unless `public` is false (the
    reason stays in the post and its history)."""
    desk, editor, post = _editor_on(root, ref, "withdraw a post", State.PUBLISHED,
                                    "only a published post can be withdrawn", reason,
                                    "say why: --reason 'REASON' is required")
    withdrawal: dict[str, Any] = {"by": editor.email, "at": now.replace(microsecond=0), "reason": reason.strip()}
    if not public:
        withdrawal["public"] = False
    changes = {"state": State.WITHDRAWN.value, "withdrawn": withdrawal}
    # A post's published language versions go with it, in the same commit: a
    # version left published would still be listed (status, announce) with a
    # link to a page the site no longer has.
    versions = [v for v in desk.content.posts if v.kind == Kind.TRANSLATION and v.original == post.path
                and v.state == State.PUBLISHED] if post.kind == Kind.POST else []
    for v in versions:
        desk.clean(v.path)
    files: dict[str, str] = {}
    transition = None
    for p in [post, *versions]:
        text = update_meta(_read(desk, p), changes)
        t = _check_move(desk, p, _reparse(desk, p.path, text), f"withdraw {p.path}")
        transition = transition or t
        files[p.path] = text
    assert transition is not None
    trailers = _post_trailers(post, transition) + [("Post", v.path) for v in versions]
    return _commit(desk, files, f"Withdraw {post.path}: {post.title}",
                   trailers + [("Withdrawn-by", who(editor)), ("Reason", reason.strip())], dry_run)


__all__ = [
    "Desk", "Outcome", "approve", "assign", "init", "new", "open_desk",
    "request_changes", "submit", "team_add", "translate", "withdraw",
]
