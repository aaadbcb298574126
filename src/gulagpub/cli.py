"""The `gulagpub` command: thin click wrappers over the library.

Each command parses its options, makes one library call and formats the
result. `GulagpubError` becomes a message on stderr and exit 1, in one place.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import GulagpubError, UsageError

if TYPE_CHECKING:
    from . import content as content_mod


class Ctx:
    """What every command gets: where the content repository is."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    # content (and the YAML parser behind it) is imported when used: a build
    # that parses no file does not load it.
    @property
    def root(self) -> Path:
        from . import content as content_mod

        return content_mod.find_root(self.directory)

    def load(self) -> content_mod.Content:
        from . import content as content_mod

        return content_mod.load(self.root)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except GulagpubError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:  # the disk or the system refused something no library call expected
            from .errors import disk_error

            click.echo(f"error: {disk_error(exc, 'gulagpub ' + (ctx.invoked_subcommand or ''))}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Run as if started in this content repository (like `git -C`).")
@click.version_option(package_name="gulagpub")
@click.pass_context
def main(ctx: click.Context, directory: Path) -> None:
    """gulagpub: publish translated historical documents from Git.

    Posts are Markdown files with YAML front matter in posts/ (language
    versions in translations/LANG/). They move draft -> translation ->
    review -> approved -> published; every change is a git commit.

    \b
    Example:
      gulagpub status
      gulagpub -C ~/blog check
    """
    ctx.obj = Ctx(directory)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _now() -> datetime:
    """The one place the CLI reads the clock; the library takes `now`."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def _done(outcome: Any) -> None:
    """Report a use case's outcome: the commit on stdout, details on stderr."""
    if outcome is None:
        click.echo("nothing to do", err=True)
        return
    if outcome.dry_run:
        click.echo(outcome.describe())
        click.echo("dry run: nothing was written or committed", err=True)
    else:
        click.echo(outcome.commit)
        click.echo(outcome.describe(), err=True)


dry_run_option = click.option("--dry-run", is_flag=True,
                              help="Print what would be written and committed; change nothing.")
no_wait_option = click.option("--no-wait", is_flag=True,
                              help="Fail at once if another gulagpub command is writing to this repository "
                                   "(default: wait for it to finish).")


@contextmanager
def _writing(root: Path, what: str, no_wait: bool, dry_run: bool = False) -> Iterator[None]:
    """Hold the repository's lock (lock.exclusive) while a command reads and
    commits: one writer at a time, so nothing one command reports as done is
    lost to another. A dry run writes nothing and takes no lock."""
    if dry_run:
        yield
        return
    from . import lock

    with lock.exclusive(root, what, wait=not no_wait, say=lambda m: click.echo(m, err=True)):
        yield


def _say(text: str) -> str:
    """`text` with no line breaks or other control characters left as they are
    (shown as \\n, \\x1b...): a file name or a title can never start a line
    of its own in a terminal or a CI log (GitHub reads `::command::` lines)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
                   for c in text)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@click.pass_obj
def status(obj: Ctx, as_json: bool) -> None:
    """Show where every post stands and who has it.

    Lists what awaits translation (and by whom), what awaits review (and
    how many approvals it has), approved posts whose approvals went stale
    because the content changed, and language versions whose post changed
    after they were translated. Reads the working tree only, not history.

    \b
    Example:
      gulagpub status
      gulagpub status --json | jq '.posts[] | select(.state == "review")'
    """
    from .workflow import standings

    content = obj.load()
    rows = standings(content.posts, content.config)
    if as_json:
        echo_json({"posts": [r.as_dict() for r in rows], "problems": [str(p) for p in content.problems]})
        return
    lines = []  # written at once: 10,000 click.echo calls cost a tenth of a second
    for r in rows:
        line = f"{r.state.value:<12} {r.path}  {r.title}"
        if r.waiting_for and r.state.value not in ("published", "withdrawn"):
            line += f"  [waits for {r.waiting_for}]"
        lines.append(line)
        lines += [f"{'':<12} ! {problem}" for problem in r.problems]
    if lines:
        click.echo("\n".join(lines))
    for p in content.problems:
        click.echo(str(p), err=True)


def _escape_data(text: str) -> str:
    """A workflow command's message, as GitHub Actions reads it back (its
    toolkit's escapeData): no line break can end the command early."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value (the toolkit's escapeProperty): no
    ',' or ':' in a file name can end the property, nor '::' the command."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(problem: Any) -> str:
    """A GitHub Actions error annotation for `problem`. Every character a file
    name or message holds is escaped, and any other control character shown
    as text: nothing in a pull request can inject a workflow command."""
    line = f",line={problem.line}" if problem.line else ""
    return (f"::error file={_escape_property(_say(problem.path))}{line}::"
            f"{_escape_data(_say(problem.message))}")


@main.command()
@click.option("--base", metavar="REF",
              help="Also judge every commit in REF..HEAD (e.g. the pull request's target branch).")
@click.option("--pr-author", metavar="LOGIN",
              help="With --base: judge what HEAD changes since REF as a whole, as done by this "
                   "GitHub user (the pull request's author; see docs/guide-editors.md).")
@click.option("--allow-shallow", is_flag=True,
              help="With --base in a shallow clone: go on with the history there is (with a warning) "
                   "instead of failing.")
@click.pass_obj
def check(obj: Ctx, base: str | None, pr_author: str | None, allow_shallow: bool) -> None:
    """Validate every post and the workflow; exit 1 if anything is wrong.

    Checks every file in posts/, translations/ and pages/ (a broken file
    does not stop the others) and the workflow rules on the current state:
    stale approvals, approvals by non-editors, self-approvals.

    With --base REF it also judges every commit in REF..HEAD: each state
    change legal and made by someone whose role allows it (the commit's
    author, mapped to the team by e-mail or GitHub login), review records
    written only by the editor they name (anything else is a forgery),
    signatures where approvals must be signed, no approval lost in a merge.
    Files that are not content (settings, templates, code, workflows,
    `_redirects`, anything outside posts/, translations/, pages/ and media/)
    may be changed by editors only, and symbolic links where the build reads
    files are refused. It needs the whole history: in a shallow clone it
    fails (run `git fetch --unshallow`) unless --allow-shallow.

    Prints one line per problem, `path:line: message` (and GitHub Actions
    annotations when GITHUB_ACTIONS=true). Exit 0: all well; 1: problems;
    2: usage error (such as a REF that is not a commit).

    With --pr-author LOGIN (in a pull request) the changes since REF are
    judged as a whole and attributed to that GitHub user, whatever identity
    the commits carry (GitHub's web editor, a desktop tool); only commits
    with a good SSH signature from a team member's key count as that
    member's (an editor approving on the branch).

    \b
    Example:
      gulagpub check
      gulagpub check --base origin/main
      gulagpub check --base origin/main --pr-author tania-gh
    """
    import os

    problems, n = _problems(obj, base, pr_author, allow_shallow)
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for p in problems:
        click.echo(_say(str(p)))
        if annotate:
            click.echo(_annotation(p))
    if problems:
        click.echo(f"{len(problems)} problem(s); {n} file(s) checked", err=True)
        sys.exit(1)
    click.echo(f"{n} file(s) checked, no problems", err=True)


@main.command("pr-comment")
@click.option("--base", required=True, metavar="REF", help="The branch the pull request goes into (origin/main).")
@click.option("--pr-author", required=True, metavar="LOGIN", help="The GitHub login that opened the pull request.")
@click.option("--preview", "preview_text", metavar="TEXT",
              default="To read it as the site will show it: download the artifact **preview** of this run "
                      "(the check's page → Summary → Artifacts), unzip it and open `index.html` in a browser.",
              help="How to open the preview (a line of Markdown).")
@click.option("--allow-shallow", is_flag=True, help="Go on in a shallow clone (with a warning).")
@click.pass_obj
def pr_comment(obj: Ctx, base: str, pr_author: str, preview_text: str, allow_shallow: bool) -> None:
    """Print the pull request's comment (Markdown): what it changes, the check's verdict, the preview.

    For each post, translation or page the pull request changes: its state
    before and after (a correction with its note), and for a translation
    what it translates and whether its original is stored; then what
    `check --base REF --pr-author LOGIN` finds, and how to open the preview.
    pr.yml writes it into the preview artifact, and a separate workflow
    with the right to comment (and nothing of the pull request's to run)
    posts it, updating its earlier comment in place.

    \b
    Example:
      gulagpub pr-comment --base origin/main --pr-author tania-gh > comment.md
    """
    from .pullrequest import changes, comment

    problems, _ = _problems(obj, base, pr_author, allow_shallow)
    click.echo(comment(changes(obj.root, base), [str(p) for p in problems], preview_text))


def _problems(obj: Ctx, base: str | None, pr_author: str | None, allow_shallow: bool) -> tuple[list[Any], int]:
    """What `check` reports, and how many files it read."""
    from .check import state_problems
    from .gitstore import require_history
    from .history import range_problems
    from .originals import problems as original_problems

    content = obj.load()
    state = state_problems(content.posts, content.config)
    changes: list[Any] = []
    if base is not None:
        require_history(content.root, "`check --base`", allow_shallow=allow_shallow,
                        warn=lambda m: click.echo(f"warning: {m}", err=True))
    if pr_author is not None:
        from .pullrequest import pr_problems

        if base is None:
            raise UsageError("--pr-author needs --base REF (the branch the pull request goes into)")
        changes = pr_problems(content.root, base, pr_author)
        # A file the pull request is told how to fix: its state's problems say the same less plainly.
        told = {p.path for p in changes}
        state = [p for p in state if p.path not in told]
    elif base is not None:
        changes = range_problems(content.root, base)
    problems = list(content.problems) + state + original_problems(content.root, content.posts, content.config) + changes
    n = len(content.posts) + len({p.path for p in content.problems} - {p.path for p in content.posts})
    return problems, n


# --- the publisher -------------------------------------------------------------

def _when(value: str | None) -> Any:
    """--now ISO, or the clock (named apart from core's `_now()`)."""
    from datetime import datetime, timezone

    if value is None:
        return datetime.now(timezone.utc)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--now {value!r} is not an ISO 8601 time like 2026-11-27T12:00:00Z") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _progress(message: str) -> None:
    click.echo(f"build: {message}", err=True)


def _out(obj: Ctx, out: Path | None) -> Path:
    return out if out is not None else obj.root / "_site"


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to build into (default: _site/ in the content repository).")
@click.option("--drafts", is_flag=True, help="Also show drafts and posts in review (a preview; never deploy it).")
@click.option("--now", "now_text", metavar="ISO", default=None,
              help="Build as if it were this time (decides which approved posts are due).")
@click.option("--dry-run", is_flag=True, help="Check everything but write nothing.")
@click.option("--no-wait", is_flag=True,
              help="Fail at once when another gulagpub command is running in this repository "
                   "(by default the build waits for it).")
@click.option("--allow-shallow", is_flag=True,
              help="Build a shallow clone anyway (the times posts last changed may be wrong).")
@click.option("--relative-links", is_flag=True,
              help="Link pages to each other by relative paths to their files, so that the site opens "
                   "from disk without a server (a preview, e.g. of a pull request; never deploy it).")
@click.pass_obj
def build(obj: Ctx, out: Path | None, drafts: bool, now_text: str | None, dry_run: bool, no_wait: bool,
          allow_shallow: bool, relative_links: bool) -> None:
    """Build the static site and its feeds from the published posts.

    Writes pages, Atom/RSS/JSON feeds (site, per language, tag, category),
    sitemap.xml and robots.txt into a new folder and swaps it in atomically:
    a failed build leaves the previous site as it was. A published (or due)
    post with problems stops the build with `path:line: message`; drafts with
    problems are only reported. Unchanged posts are not rendered again
    (caches in .git/gulagpub/). --out must be a new or empty folder or a
    site gulagpub built; another build or a committing command in the same
    repository is waited for (--no-wait: fail at once). A shallow clone is
    refused unless --allow-shallow.

    \b
    Example:
      gulagpub build
      gulagpub build --out /tmp/site --now 2026-11-27T12:00:00Z
      gulagpub build --drafts --relative-links --out /tmp/preview   # open /tmp/preview/index.html
    """
    from .build import build as build_site

    root = obj.root
    target = _out(obj, out)
    result = build_site(root, target, now=_when(now_text), drafts=drafts, progress=_progress, wait=not no_wait,
                        dry_run=dry_run, allow_shallow=allow_shallow, relative_links=relative_links)
    if dry_run:
        for w in result.warnings:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"dry run: {result.pages} page(s) and {result.feeds} feed(s) would be written to {target}; "
                   "nothing was written", err=True)
        return
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(str(result.out))
    click.echo(f"built {result.posts} post(s): {result.pages} page(s), {result.feeds} feed(s) "
               f"({result.report.written} file(s) written, {result.rendered} rendered)", err=True)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to build into (default: _site/ in the content repository).")
@click.option("--now", "now_text", metavar="ISO", default=None,
              help="Publish as if it were this time.")
@click.option("--dry-run", is_flag=True, help="Show what would be published; commit and write nothing.")
@click.option("--announce/--no-announce", "do_announce", default=True, show_default=True,
              help="End by announcing new posts on Mastodon and Bluesky, as `gulagpub announce` does "
                   "(the outbox in OUT/outbox/ when no credentials are set).")
@no_wait_option
@click.pass_obj
def publish(obj: Ctx, out: Path | None, now_text: str | None, dry_run: bool, do_announce: bool,
            no_wait: bool) -> None:
    """Publish approved posts whose date has come, build the site, announce.

    Every approved post (or language version) dated now or earlier becomes
    published in ONE commit (trailers `Transition: approved -> published`,
    `Published-by: gulagpub publish`); a post without an `id:` gets its
    stable id written at that moment. Approved posts dated in the future
    stay approved until a later run. A due post whose approvals no longer
    hold (its text changed after approval, or an approval that does not
    count) is refused: never published, named on stderr, exit 1 at the end
    (the others are published). Then the site is built as `build` does,
    and new posts are announced as `gulagpub announce` does (use
    --no-announce when the site must be deployed before the announcement,
    as the GitHub workflow does). Exits 1 when something was left unannounced.

    \b
    Example:
      gulagpub publish --dry-run
      gulagpub publish --out _site
      gulagpub publish --no-announce && deploy && gulagpub announce
    """
    from .publisher import publish as publish_site

    root = obj.root
    now = _when(now_text)
    target = _out(obj, out)
    with _writing(root, "publish", no_wait, dry_run):
        result = publish_site(root, target, now, dry_run=dry_run, progress=_progress)
        for p in result.promoted:
            click.echo(_say(f"{'would publish' if dry_run else 'published'} {p.path}  {p.title}"))
        for r in result.refused:
            click.echo(_say(f"error: refused to publish {r.post.path}: its approvals do not hold: "
                            + "; ".join(r.reasons)), err=True)
        if not result.promoted and not result.refused:
            click.echo("no approved post is due", err=True)
        if result.build is not None:
            for w in result.build.warnings:
                click.echo(f"warning: {w}", err=True)
            click.echo(f"built {result.build.posts} post(s) into {result.build.out}", err=True)
        announced = not do_announce or _announce(root, target, now, None, dry_run, False)
    if result.refused or not announced:
        sys.exit(1)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to build into (default: _site/ in the content repository).")
@click.option("--drafts", is_flag=True, help="Also show drafts and posts in review.")
@click.pass_obj
def serve(obj: Ctx, port: int, out: Path | None, drafts: bool) -> None:
    """Preview the site on http://127.0.0.1:PORT/, rebuilding when files change.

    Serves on 127.0.0.1 only, under the path of base_url as the host will
    (a GitHub Pages project site at https://NAME.github.io/blog/ is served at
    http://127.0.0.1:PORT/blog/), with the site's own 404 page. Edits to
    posts, pages, translations, templates or gulagpub.toml trigger a rebuild
    (problems are printed, the last good site stays up). Stop with Ctrl-C.

    \b
    Example:
      gulagpub serve
      gulagpub serve --port 8080 --drafts
    """
    import threading

    from .build import build as build_site
    from .preview import make_server, watch

    root = obj.root
    target = _out(obj, out)

    def rebuild() -> None:
        try:
            result = build_site(root, target, now=_when(None), drafts=drafts)
            click.echo(f"rebuilt: {result.report.written} file(s) written", err=True)
        except GulagpubError as exc:
            click.echo(f"error: {exc}", err=True)

    from urllib.parse import urlsplit

    from .content import load_config

    build_site(root, target, now=_when(None), drafts=drafts, progress=_progress)
    base_path = urlsplit(load_config(root).site.base_url).path or "/"
    try:
        server = make_server(target, port, base_path)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0") from exc
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(root, rebuild, stop), daemon=True)
    watcher.start()
    click.echo(f"serving {target} on http://127.0.0.1:{server.server_address[1]}{base_path} (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


@main.command()
@click.option("--dry-run", is_flag=True,
              help="Read the accounts and print what would be posted and what is already there; "
                   "post, write and commit nothing.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Post at most N posts per network in this run (default: limit in gulagpub.toml "
                   "[mastodon] and [bluesky]).")
@click.option("--network", "networks", type=click.Choice(["mastodon", "bluesky"]), multiple=True,
              help="Only this network (repeatable; default: every network with credentials, "
                   "or Mastodon for the outbox).")
@click.option("--mark-existing", is_flag=True,
              help="Record every published post not yet in the ledger as never to be announced "
                   "(on every network, or on --network), and commit.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Build output folder; without credentials the outbox goes to OUT/outbox/ (default: _site).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@no_wait_option
@click.pass_obj
def announce(obj: Ctx, dry_run: bool, limit: int | None, networks: tuple[str, ...], mark_existing: bool,
             out: Path | None, as_json: bool, no_wait: bool) -> None:
    """Announce new published posts on Mastodon and Bluesky, each exactly once.

    Posts every published post (and language version, in its language) not
    yet announced, oldest first, at most --limit per network and run, and
    records each in announcements.jsonl, committed to git. Before posting,
    it reads the account's own recent posts: an announcement already there
    (a run killed, a ledger lost with a CI runner) is recorded, not posted
    again. Posts published before `announce_since` (gulagpub.toml) or marked
    with --mark-existing are never announced, and a post whose file has
    problems (those `gulagpub check` reports) is not announced until they
    are fixed. A post's lead image (`image:`) goes with it, its alt text as
    the description (a smaller copy when it is over the network's limits),
    uploaded once. Prints one line per post on stdout: what was done,
    where, and the URL; progress goes to stderr. Exits 1 when a post was
    refused or held back, or a network could not be used: run again later,
    nothing is posted twice.

    \b
    Environment (never printed, logged or written anywhere):
      MASTODON_API_BASE_URL   the instance, e.g. https://mastodon.social
      MASTODON_ACCESS_TOKEN   the bot account's token (scopes read:accounts,
                              write:statuses, write:media)
      BLUESKY_HANDLE          the account, e.g. gulaganarchists.bsky.social
      BLUESKY_APP_PASSWORD    an app password of that account
    A network is used when both of its variables are set. With none set,
    nothing is posted: the Mastodon statuses (or those of --network) are
    written as JSON files to OUT/outbox/ and listed.

    \b
    Example:
      gulagpub announce --mark-existing      # once, on an existing archive
      gulagpub announce --dry-run
      MASTODON_API_BASE_URL=https://example.social \\
      MASTODON_ACCESS_TOKEN=... gulagpub announce --limit 2
    """
    root = obj.root
    now = datetime.now(timezone.utc)
    with _writing(root, "announce", no_wait, dry_run):
        _announce_command(root, now, dry_run, limit, networks, mark_existing, out, as_json)


def _announce_command(root: Path, now: datetime, dry_run: bool, limit: int | None, networks: tuple[str, ...],
                      mark_existing: bool, out: Path | None, as_json: bool) -> None:
    from . import announce as announce_mod

    if mark_existing:
        records, sha = announce_mod.mark_existing(root, now, networks=networks or None, dry_run=dry_run)
        if as_json:
            echo_json({"skipped": [{"network": r.network, "path": r.path} for r in records], "commit": sha})
        for r in records if not as_json else ():
            click.echo(f"{'would skip' if dry_run else 'skipped':<12} {r.network:<9} {r.path}")
        click.echo(f"{len(records)} announcement(s) marked as not to be made"
                   + (f" (commit {sha[:10]})" if sha else ""), err=True)
        return
    if not _announce(root, out if out is not None else root / "_site", now, limit, dry_run, as_json,
                     networks or None):
        sys.exit(1)


ENV_HINT = "no credentials for Mastodon or Bluesky in the environment, nothing posted:"


def _announce(root: Path, out: Path, now: Any, limit: int | None, dry_run: bool, as_json: bool,
              networks: tuple[str, ...] | None = None) -> bool:
    """Run the announcer and print its outcomes; False when something was left unannounced."""
    import os

    from . import announce as announce_mod
    from .compose import Status

    credentials = announce_mod.credentials_from_env(os.environ)
    report = announce_mod.announce(
        root, now, out=out, credentials=credentials, networks=networks,
        limit=limit, dry_run=dry_run, progress=lambda m: click.echo(m, err=True),
        checkpoint=announce_mod.pause_from_env(os.environ),
    )
    if as_json:
        echo_json({
            "mode": report.mode, "stopped": report.stopped, "waiting": report.waiting, "commit": report.commit,
            "scans": report.scans,
            "outcomes": [{"network": o.network, "path": o.path, "post": o.post, "action": o.action, "url": o.url,
                          "message": o.message, "text": o.draft.text if o.draft else None,
                          "spoiler_text": o.draft.spoiler_text if isinstance(o.draft, Status) else None,
                          "image": o.image.as_json() if o.image is not None else None}
                         for o in report.outcomes],
        })
    else:
        for o in report.outcomes:
            if o.action == "failed":
                continue
            click.echo(f"{o.action:<12} {o.network:<9} {o.path}  {o.url or ''}".rstrip())
            if o.action in ("would-post", "would-record") and o.draft is not None:
                if isinstance(o.draft, Status) and o.draft.spoiler_text:
                    click.echo(f"  CW: {o.draft.spoiler_text}")
                for line in o.draft.text.splitlines():
                    click.echo(f"  | {line}".rstrip())
            if o.image is not None:
                for line in o.image.describe():
                    click.echo(f"  {line}")
    for o in report.failed:
        click.echo(f"error: {o.message}", err=True)
    if report.mode == "outbox":
        click.echo(f"{ENV_HINT} {len(report.outcomes)} announcement(s) written to the outbox", err=True)
    if report.waiting:
        click.echo(f"{report.waiting} more post(s) left for the next run (--limit)", err=True)
    if not report.outcomes and not report.waiting and not report.stopped:
        click.echo("nothing to announce", err=True)
    for why in report.stopped:
        click.echo(f"error: stopped: {why}", err=True)
    return report.ok


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", required=True, help="The site's title.")
@click.option("--base-url", required=True, help="Where the site will live, e.g. https://blog.example.org/.")
@click.option("--lang", default="en", show_default=True, help="The site's default language (BCP 47).")
@click.option("--timezone", "tz", default="UTC", show_default=True,
              help="IANA timezone for dates written without one, e.g. Europe/Madrid.")
@click.option("--description", default="",
              help="One sentence on what the site publishes: the lists' and 404 page's meta "
                   "description and the feeds' subtitle (can be set later in gulagpub.toml).")
@dry_run_option
def init(directory: Path, title: str, base_url: str, lang: str, tz: str, description: str, dry_run: bool) -> None:
    """Create a new content repository in DIRECTORY.

    Makes posts/, translations/, gulagpub.toml with you (git config
    user.name / user.email) as the first editor and the publishing bot as
    [publisher], a .gitignore for the built site (_site/), and the first
    commit. DIRECTORY may exist, but not hold a gulagpub.toml yet.

    \b
    Example:
      gulagpub init blog --title "Anarchists in the Gulag" \\
          --base-url https://gulaganarchists.github.io/ --timezone Europe/Madrid \\
          --description "Primary sources on the repression of anarchists in Soviet Russia."
    """
    from . import editorial

    _done(editorial.init(directory, title, base_url, lang=lang, timezone=tz, description=description,
                         dry_run=dry_run))


signing_key_option = click.option("--signing-key", type=click.Path(dir_okay=False, path_type=Path),
                                  help="Their SSH public key file (.pub), for signed approvals.")


@main.command()
@click.option("--git-config", is_flag=True,
              help="Also make it the identity git commits as in this clone (git config user.name/email).")
@click.pass_obj
def publisher(obj: Ctx, git_config: bool) -> None:
    """Show the publisher's identity ([publisher] in gulagpub.toml).

    The publishing workflow commits as this identity (a bot, not on the
    team); `check --base` accepts from it only promotions of due approved
    posts and records appended to announcements.jsonl, and refuses anything
    else committed under it. Fails, saying what to add, when it is not set.

    \b
    Example:
      gulagpub publisher
      gulagpub publisher --git-config   # in .github/workflows/publish.yml
    """
    from . import editorial

    found = editorial.publisher(obj.root, git_config=git_config)
    click.echo(str(found))
    if git_config:
        click.echo(f"git in {obj.root} now commits as {found}", err=True)


@main.group()
def setup() -> None:
    """Make the repository ready for where it runs.

    \b
    Example:
      gulagpub setup github
    """


@setup.command("github")
@dry_run_option
@no_wait_option
@click.pass_obj
def setup_github(obj: Ctx, dry_run: bool, no_wait: bool) -> None:
    """Ready the repository for its GitHub workflows (editors only).

    Adds the [publisher] identity the publishing workflow commits as to
    gulagpub.toml when it is missing (one commit), then lists, numbered,
    what is left to do in GitHub's pages (Pages, secrets, branch protection)
    and in the team file (GitHub logins, signing keys). Run it again at any
    time: it commits only what is missing.

    \b
    Example:
      gulagpub setup github
      git push origin main
    """
    from . import editorial

    with _writing(obj.root, "setup github", no_wait, dry_run):
        done = editorial.setup_github(obj.root, dry_run=dry_run)
    if done.outcome is not None:
        _done(done.outcome)
    else:
        click.echo(f"[publisher] is set already: {done.publisher}", err=True)
    click.echo("What is left to do:")
    for n, step in enumerate(done.todo, 1):
        click.echo(_say(f"{n}. {step}"))


@main.group()
def team() -> None:
    """List and change the team in gulagpub.toml (changes: editors only, one commit each).

    \b
    Example:
      gulagpub team list
      gulagpub team add "Tania T" tania@example.org --role translator --lang es
      gulagpub team set tania@example.org --lang es --lang en
      gulagpub team remove tania@example.org
    """


@team.command("add")
@click.argument("name")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(["editor", "translator"]),
              help="editor or translator; repeat for both.")
@click.option("--lang", "langs", multiple=True, help="A language they work in; repeat for more.")
@click.option("--github", help="Their GitHub login (maps web-editor commits to them).")
@signing_key_option
@dry_run_option
@no_wait_option
@click.pass_obj
def team_add(obj: Ctx, name: str, email: str, roles: tuple[str, ...], langs: tuple[str, ...],
             github: str | None, signing_key: Path | None, dry_run: bool, no_wait: bool) -> None:
    """Add a person to the team (editors only); one commit.

    Appends a [[team]] entry to gulagpub.toml; the rest of the file,
    comments included, stays as it was.

    \b
    Example:
      gulagpub team add "Paul Sharkey" paul@example.org --role translator --lang es --lang en
      gulagpub team add "Boris" boris@example.org --role editor --signing-key boris.pub
    """
    from . import editorial
    from .config import Member, Role

    key = editorial.read_public_key(signing_key) if signing_key else None
    member = Member(name=name, email=email, roles=frozenset(Role(r) for r in roles), langs=langs,
                    github=github, signing_key=key)
    with _writing(obj.root, "team add", no_wait, dry_run):
        _done(editorial.team_add(obj.root, member, dry_run=dry_run))


@team.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the team as JSON.")
@click.pass_obj
def team_list(obj: Ctx, as_json: bool) -> None:
    """List the team: name, e-mail, roles, languages, GitHub login, key.

    \b
    Example:
      gulagpub team list
      gulagpub team list --json | jq -r '.team[] | select(.roles | index("editor")) | .email'
    """
    from .content import load_config

    config = load_config(obj.root)
    rows: list[dict[str, Any]] = [
        {"name": m.name, "email": m.email, "roles": sorted(r.value for r in m.roles), "langs": list(m.langs),
         "github": m.github, "signing_key": m.signing_key} for m in config.team]
    if as_json:
        pub = config.publisher
        echo_json({"team": rows, "publisher": {"name": pub.name, "email": pub.email} if pub.email else None})
        return
    for r in rows:
        extra = [f"langs {','.join(r['langs'])}" if r["langs"] else "", f"github {r['github']}" if r["github"] else "",
                 "signing key" if r["signing_key"] else ""]
        click.echo(_say(f"{r['name']} <{r['email']}>  {', '.join(r['roles'])}"
                        + "".join(f"; {x}" for x in extra if x)))


@team.command("set")
@click.argument("member")
@click.option("--role", "roles", multiple=True, type=click.Choice(["editor", "translator"]),
              help="Their roles from now on: editor or translator; repeat for both.")
@click.option("--lang", "langs", multiple=True, help="Their languages from now on; repeat for more.")
@click.option("--github", help="Their GitHub login.")
@signing_key_option
@dry_run_option
@no_wait_option
@click.pass_obj
def team_set(obj: Ctx, member: str, roles: tuple[str, ...], langs: tuple[str, ...], github: str | None,
             signing_key: Path | None, dry_run: bool, no_wait: bool) -> None:
    """Change MEMBER (name, e-mail or GitHub login) in the team (editors only); one commit.

    What you give replaces what they had; the rest stays. Their [[team]]
    table is rewritten; the rest of gulagpub.toml stays as it was.

    \b
    Example:
      gulagpub team set tania@example.org --role translator --lang es --lang ru --lang en
      gulagpub team set Boris --signing-key boris-new.pub
    """
    from . import editorial
    from .config import Role

    key = editorial.read_public_key(signing_key) if signing_key else None
    with _writing(obj.root, "team set", no_wait, dry_run):
        _done(editorial.team_set(obj.root, member, roles=frozenset(Role(r) for r in roles) if roles else None,
                                 langs=langs or None, github=github, signing_key=key, dry_run=dry_run))


@team.command("remove")
@click.argument("member")
@dry_run_option
@no_wait_option
@click.pass_obj
def team_remove(obj: Ctx, member: str, dry_run: bool, no_wait: bool) -> None:
    """Take MEMBER (name, e-mail or GitHub login) off the team (editors only); one commit.

    The last editor cannot be removed. What they did before stays valid:
    `check --base` judges each commit by the team as it was then.

    \b
    Example:
      gulagpub team remove tania@example.org
    """
    from . import editorial

    with _writing(obj.root, "team remove", no_wait, dry_run):
        _done(editorial.team_remove(obj.root, member, dry_run=dry_run))


def details_options(f: Any) -> Any:
    """--date, --tag, --category and --summary, as `new` and `translate` take them."""
    for option in reversed((
        click.option("--date", help="Publication date: YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (the site's time zone)."),
        click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeat for several)."),
        click.option("--category", "categories", multiple=True, metavar="NAME",
                     help="A category (repeat for several)."),
        click.option("--summary", help="One or two sentences for lists, feeds and announcements."),
    )):
        f = option(f)
    return f


@main.command()
@click.argument("title", required=False)
@click.option("--from-issue", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="Take the details from a 'Translation request' issue's text (- reads stdin).")
@click.option("--page", is_flag=True, help="A standalone page pages/SLUG.md (About, Contact: at /SLUG/, "
              "undated, in no list or feed; a menu names it by its slug) instead of a post.")
@click.option("--slug", help="File name and URL slug (default: made from the title).")
@click.option("--lang", help="Language of this text (default: the site's).")
@click.option("--translate-from", metavar="LANG", help="The text is translated from this language.")
@click.option("--source-title", help="Title of the original text.")
@click.option("--source-author", help="Author of the original text.")
@click.option("--source-publication", help="Where the original appeared.")
@click.option("--source-via", help="Through whom or what it reached us.")
@click.option("--source-url", help="Link to the original.")
@click.option("--source-lang", metavar="LANG", help="Language of the original (default: --translate-from).")
@details_options
@dry_run_option
@no_wait_option
@click.pass_obj
def new(obj: Ctx, title: str | None, from_issue: Any, page: bool, slug: str | None, lang: str | None,
        translate_from: str | None,
        source_title: str | None, source_author: str | None, source_publication: str | None,
        source_via: str | None, source_url: str | None, source_lang: str | None, date: str | None,
        tags: tuple[str, ...], categories: tuple[str, ...], summary: str | None, dry_run: bool,
        no_wait: bool) -> None:
    """Start a draft posts/SLUG.md with you as its author; one commit.

    With --date the draft has its address (and its preview its URL) from
    the start; tags, categories and the summary can be given at once too.
    With --page it is a standalone page pages/SLUG.md instead, which goes
    through the same review and is published at /SLUG/.

    \b
    Example:
      gulagpub new "Vicente Monclús Guallar" --translate-from es \\
          --source-publication "O Crabero" --source-via Huesca-Info \\
          --date 2012-10-20 --tag Spain --category Biographies
      gh issue view 12 --json body -q .body | gulagpub new --from-issue -
      gulagpub new --page "About this archive" --slug about

    With --from-issue the title (the original's, until the translator gives
    hers), the source and both languages come from a translation request
    made with the issue form; the options given beside it win.
    """
    from . import editorial

    source = {"title": source_title, "author": source_author, "publication": source_publication,
              "via": source_via, "url": source_url, "lang": source_lang}
    if from_issue is not None:
        from .issueform import offer

        found = offer(from_issue.read(), from_lang=translate_from, lang=lang)
        title, translate_from, lang = title or found.title, found.from_lang, found.lang
        source = {**found.source, **{k: v for k, v in source.items() if v}}
    if page and from_issue is not None:
        raise UsageError("--from-issue makes a post (a translation request), not a standalone --page")
    if not title:
        raise UsageError("give the post's TITLE (or --from-issue FILE)")
    details = editorial.Details(date, tags, categories, summary)
    with _writing(obj.root, f"new {title}", no_wait, dry_run):
        _done(editorial.new(obj.root, title, slug=slug, lang=lang, translate_from=translate_from,
                            source={k: v for k, v in source.items() if v}, details=details, page=page,
                            dry_run=dry_run))


@main.command()
@click.argument("post")
@click.option("--lang", required=True, help="The language of the new version.")
@click.option("--translator", metavar="EMAIL", help="Assign this translator at once (state translation).")
@details_options
@dry_run_option
@no_wait_option
@click.pass_obj
def translate(obj: Ctx, post: str, lang: str, translator: str | None, date: str | None, tags: tuple[str, ...],
              categories: tuple[str, ...], summary: str | None, dry_run: bool, no_wait: bool) -> None:
    """Start a language version translations/LANG/NAME.md of POST; one commit.

    The new file copies the post's fields and text, records the language
    it is translated from and the post's content digest (so `status` can
    tell when the post changes afterwards). --tag, --category and --summary
    (in the new language) replace the post's.

    \b
    Example:
      gulagpub translate vicente-monclus-guallar --lang es --translator tania@example.org \\
          --summary "Un anarquista aragonés en el Gulag"
    """
    from . import editorial

    details = editorial.Details(date, tags, categories, summary)
    with _writing(obj.root, f"translate {post}", no_wait, dry_run):
        _done(editorial.translate(obj.root, post, lang, translator=translator, details=details, dry_run=dry_run))


@main.command()
@click.argument("post")
@click.argument("translator")
@dry_run_option
@no_wait_option
@click.pass_obj
def assign(obj: Ctx, post: str, translator: str, dry_run: bool, no_wait: bool) -> None:
    """Assign TRANSLATOR (e-mail, name or GitHub login) to POST; one commit.

    A draft moves to translation. Needs a source language and a team
    member with the translator role (who works in the post's language).

    \b
    Example:
      gulagpub assign posts/vicente.md tania@example.org
    """
    from . import editorial

    with _writing(obj.root, f"assign {post}", no_wait, dry_run):
        _done(editorial.assign(obj.root, post, translator, dry_run=dry_run))


@main.command()
@click.argument("post")
@click.option("--note", help="For a published post: what was corrected, shown on the page and in the feeds.")
@click.option("--minor", is_flag=True, help="For a published post (editors): a typo fix, with no public note.")
@dry_run_option
@no_wait_option
@click.pass_obj
def submit(obj: Ctx, post: str, note: str | None, minor: bool, dry_run: bool, no_wait: bool) -> None:
    """Send POST to review; one commit.

    From translation (by its translator or an editor), from draft (an
    editor, for an original post), or from approved when its content
    changed after approval. Needs a body and, for a translation, the
    translator and the source attribution.

    A published post is corrected this way: edit its text, then submit it
    with --note saying what was corrected (anyone on the team), or --minor
    for a typo (an editor). The commit holds your edit; the site shows the
    version last published until another editor approves the correction and
    `gulagpub publish` publishes it again, with the note and `updated`.

    \b
    Example:
      gulagpub submit vicente-monclus-guallar
      gulagpub submit vicente-monclus-guallar --note "the date of the arrest was 20-4-1950, not 1951"
    """
    from . import editorial

    with _writing(obj.root, f"submit {post}", no_wait, dry_run):
        _done(editorial.submit(obj.root, post, note=note, minor=minor, dry_run=dry_run))


@main.command()
@click.argument("post")
@click.option("-m", "--message", "note", help="A note kept in the review record.")
@dry_run_option
@no_wait_option
@click.pass_obj
def approve(obj: Ctx, post: str, note: str | None, dry_run: bool, no_wait: bool) -> None:
    """Approve POST's current content (editors only; never your own); one commit.

    The approval is recorded in the post's `reviews:` with the content
    digest; the post becomes approved once it has the approvals
    [workflow] approvals_required asks for. With signed_approvals = true
    the commit is SSH-signed with your `git config user.signingkey`.

    \b
    Example:
      gulagpub approve vicente-monclus-guallar -m "Checked against the Spanish"
    """
    from . import editorial

    with _writing(obj.root, f"approve {post}", no_wait, dry_run):
        _done(editorial.approve(obj.root, post, _now(), note=note, dry_run=dry_run))


@main.command("request-changes")
@click.argument("post")
@click.option("-m", "--message", "note", required=True, help="What should change (kept in the review record).")
@dry_run_option
@no_wait_option
@click.pass_obj
def request_changes(obj: Ctx, post: str, note: str, dry_run: bool, no_wait: bool) -> None:
    """Send POST back from review (editors only); one commit.

    A translation goes back to translation, an original post to draft;
    the note stays in the post's review record.

    \b
    Example:
      gulagpub request-changes vicente -m "Paragraph 3: check the dates"
    """
    from . import editorial

    with _writing(obj.root, f"request-changes {post}", no_wait, dry_run):
        _done(editorial.request_changes(obj.root, post, note, _now(), dry_run=dry_run))


@main.command()
@click.argument("post")
@click.option("--reason", required=True, help="Why the post is withdrawn (kept in the post, shown on its page).")
@click.option("--private-reason", is_flag=True,
              help="Do not show the reason on the page left at the post's address (it stays in the post).")
@dry_run_option
@no_wait_option
@click.pass_obj
def withdraw(obj: Ctx, post: str, reason: str, private_reason: bool, dry_run: bool, no_wait: bool) -> None:
    """Withdraw a published POST (editors only), with a reason; one commit.

    Its published language versions (translations/LANG/NAME.md) are
    withdrawn with it, in the same commit and with the same reason. At the
    next build its feed entries go, and each address serves a page saying
    it was withdrawn, when, and why (unless --private-reason).

    \b
    Example:
      gulagpub withdraw the-tragedy-of-karaganda --reason "Rights holder asked us to"
    """
    from . import editorial

    with _writing(obj.root, f"withdraw {post}", no_wait, dry_run):
        _done(editorial.withdraw(obj.root, post, reason, _now(), public=not private_reason, dry_run=dry_run))


@main.command()
@click.argument("post")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.option("--allow-shallow", is_flag=True,
              help="In a shallow clone, list the events there are (with a warning) instead of failing.")
@click.pass_obj
def history(obj: Ctx, post: str, as_json: bool, allow_shallow: bool) -> None:
    """List each state change and review of POST: who, when, which commit.

    Read from Git in one pass over the post's history (a shallow clone
    lacks part of it: `git fetch --unshallow`, or --allow-shallow).

    \b
    Example:
      gulagpub history vicente-monclus-guallar
      gulagpub history posts/x.md --json
    """
    from . import content as content_mod
    from .history import post_history
    from .model import kind_of

    from .gitstore import require_history

    root = obj.root
    require_history(root, "`history`", allow_shallow=allow_shallow,
                    warn=lambda m: click.echo(f"warning: {m}", err=True))
    # Only this post's file is looked up, not every post parsed: history stays
    # fast however large the repository is.
    path = content_mod.locate(root, post)
    if path is None and kind_of(post.strip()) is not None:
        path = post.strip()  # a file that no longer exists still has a history
    if path is None:
        found = obj.load().find(post)  # a slug set by a 'slug:' field
        if found is None:
            raise UsageError(f"no post {post!r}: give a path (posts/x.md), a file name or a slug")
        path = found.path
    events = post_history(root, path, content_mod.load_config(root))
    if as_json:
        echo_json({"path": path, "events": [e.as_dict() for e in events]})
        return
    for e in events:
        arrow = f"{e.source.value if e.source else '(new)'} -> {e.target.value if e.target else '(deleted)'}"
        line = f"{e.when.isoformat()}  {e.commit[:10]}  {arrow:<26} {e.action:<16} {e.name} <{e.email}>"
        if e.note:
            line += f"  \"{e.note}\""
        click.echo(line)


@main.command()
@click.argument("post")
@click.option("--editor", "editor", metavar="WHO",
              help="Whose last approval to compare with (e-mail, name or GitHub login); default: you.")
@click.pass_obj
def diff(obj: Ctx, post: str, editor: str | None) -> None:
    """Show what changed in POST since an editor last approved it.

    Compares the post's content (its text and author-written fields, what an
    approval vouches for; not review records or states) as it is now with
    the version that editor approved (the commit each approval records), as
    a unified diff on stdout, and says whether the stored original changed
    too. Exit 0 in both cases; 1 when there is no such approval.

    \b
    Example:
      gulagpub diff vicente-monclus-guallar
      gulagpub diff posts/x.md --editor boris@example.org
    """
    from . import gitstore
    from .revisions import since_approval

    content = obj.load()
    found = content.find(post)
    if found is None:
        raise UsageError(f"no post {post!r}: give a path (posts/x.md), a file name or a slug")
    who_ = editor or gitstore.identity(obj.root)[1]
    rev = since_approval(obj.root, found, content.config, who_)
    name = rev.review.name or rev.review.by
    if rev.diff:
        click.echo(rev.diff, nl=False)
        click.echo(f"{found.path} changed since {name} approved it (commit {rev.commit[:10]})", err=True)
    else:
        click.echo(f"{found.path}: no change since {name} approved it (commit {rev.commit[:10]})", err=True)
    if rev.original_changed:
        click.echo("its stored original changed too since that approval: compare it again", err=True)


@main.group("import")
def import_() -> None:
    """Bring a blog in from another publishing system (WordPress).

    \b
    Example:
      gulagpub import wordpress export.xml --dry-run
    """


@import_.command("wordpress")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Write nothing, commit nothing: print the report.")
@click.option("--include-private", is_flag=True,
              help="Also import private and trashed posts (as drafts); left out by default.")
@click.option("--map-author", "map_author", multiple=True, metavar="LOGIN=EMAIL",
              help="Posts by this WordPress login are by the team member with this e-mail; repeat "
                   "for more.")
@click.option("--authors", "authors_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of `LOGIN = EMAIL` lines (# comments allowed), the same as many --map-author.")
@click.option("--no-download", is_flag=True,
              help="Fetch nothing from the old site: its files stay linked there, and the report lists "
                   "them (copies already in the repository are still used). Links between imported "
                   "posts still go to their new addresses.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@no_wait_option
@click.pass_obj
def wordpress(obj: Ctx, export: Path, dry_run: bool, include_private: bool, map_author: tuple[str, ...],
              authors_file: Path | None, no_download: bool, as_json: bool, no_wait: bool) -> None:
    """Import a WordPress export (WXR 1.0-1.2) into posts/ and pages/.

    EXPORT is the .xml file from WordPress's Tools > Export > All content
    (on WordPress.com: Tools > Export > Export all). Posts keep their
    title, slug, author, dates, state, tags, categories, excerpt (as
    summary), their GUID as feed id and their old links as `aliases`;
    comments go to posts/NAME.comments.yaml (no e-mail or IP addresses);
    `redirects.map` (nginx) and `_redirects` cover every old URL, including
    ?p=123 links. Everything lands in one commit with an `Imported-from:`
    trailer. Importing again updates only files nobody edited since; a
    second run of the same export changes nothing.

    The old site's files (attachments, and the images, sounds and PDFs
    posts use) are downloaded into the post's bundle (posts/NAME/index.md
    with its files) when one post uses them, else into media/, and the
    posts link to the copies; featured images become `image:` (with their
    alt text; the report names those without). Links between imported posts
    go to their new addresses. A file that could not be fetched (the report
    says why) stays linked to the old site: run the same command again to
    fetch it; files already there are not fetched again. --no-download
    fetches nothing (links between posts are still rewritten). See
    docs/wordpress.md.

    Authors are matched to the team by login, e-mail or name; map the
    others with --map-author or --authors. Shortcodes and embeds become
    HTML (videos a link with their title, galleries their images); what
    cannot be rendered is reported by name.

    \b
    Example:
      gulagpub import wordpress blog.wordpress.2024-05-01.xml --dry-run
      gulagpub import wordpress blog.wordpress.2024-05-01.xml \\
          --map-author paulsharkey=paul@example.org
      gulagpub -C ~/blog import wordpress export.xml --authors authors.txt --json > report.json
    """
    from .importer import import_wordpress

    mapping: dict[str, str] = {}
    for pair in map_author:
        login, sep, email = pair.partition("=")
        if not sep or not login.strip() or "@" not in email:
            raise click.BadParameter(f"{pair!r} is not LOGIN=EMAIL (e.g. paulsharkey=paul@example.org)",
                                     param_hint="--map-author")
        mapping[login.strip()] = email.strip()

    progress = import_progress(sys.stderr.isatty(), lambda text, nl: click.echo(text, err=True, nl=nl))

    from .download import Settings
    from .content import load_config

    download = None if no_download else Settings(max_bytes=int(load_config(obj.root).limits.file_size))
    with _writing(obj.root, "import wordpress", no_wait, dry_run):
        report = import_wordpress(obj.root, export, dry_run=dry_run, include_private=include_private,
                                  progress=progress, author_map=mapping, authors_file=authors_file,
                                  download=download)
    if as_json:
        echo_json(report.to_dict())
        return
    _print_import_report(report)


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def import_progress(tty: bool, echo: Callable[[str, bool], None]) -> Callable[[str, int, int], None]:
    """The import's progress, for stderr. On a terminal the download is one
    line redrawn: a bar of the files and how far the file on its way is. In
    a log (CI, a pipe) it is a line at the start, at every tenth of the files
    and at the end, and never a carriage return: a log keeps every redraw."""
    files = {"done": 0, "total": 0, "tenth": -1}

    def bar(detail: str = "") -> None:
        done, total = files["done"], files["total"]
        filled = done * 20 // max(total, 1)
        echo(f"\rdownloading the old site's media [{'#' * filled}{'.' * (20 - filled)}] {done}/{total} files"
             + (f"; this one {detail}" if detail else "") + "\x1b[K", done == total and not detail)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "reading":
            echo(f"reading the export: {done * 100 // max(total, 1)}%", True)
        elif stage == "downloading":
            files["done"], files["total"] = done, total
            if tty:
                bar()
            elif (tenth := done * 10 // max(total, 1)) != files["tenth"] or done == total:
                files["tenth"] = tenth
                echo(f"downloading the old site's media: {done}/{total} files", True)
        elif stage == "receiving":
            if tty:
                bar(f"{_megabytes(done)}" + (f" of {_megabytes(total)}" if total else ""))
        else:
            echo(f"{stage}: {done}/{total}", True)

    return progress


def _print_import_report(report: Any) -> None:
    from .importer import add_author_command

    out = click.echo
    out(f"WordPress import from {report.source} ({report.site})"
        + (" -- dry run, nothing written" if report.dry_run else ""))
    for kind, states in sorted(report.imported.items()):
        detail = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        out(f"  {kind}s: {sum(states.values())} ({detail})")
    out(f"  comments: {report.comments} kept, {report.comments_skipped} not approved (left out)")
    if report.download:
        verb = "to download" if report.dry_run else "downloaded"
        out(f"  media: {len(report.files)} file(s) of the old site ({len(report.attachments)} attachment(s)); "
            f"{verb}: {len(report.fetched)}"
            + (f" ({len(report.resumed)} resumed where a run before stopped)" if report.resumed else "")
            + ", already there: "
            f"{report.present}, failed: {len(report.failed)}")
    else:
        out(f"  attachments to fetch: {len(report.attachments)}; other media on the old site: {len(report.media)}")
    out(f"  texts whose links to the old site now go to the copies and new pages: {report.links}")
    out(f"  redirects: {report.redirects} old URL(s) in redirects.map and _redirects")
    verb = "would write" if report.dry_run else "written"
    out(f"  files {verb}: {len(report.written)}; unchanged: {report.unchanged}")
    if report.moved:
        out(f"  single-file posts {'to move' if report.dry_run else 'moved'} into bundles, with their files: "
            f"{len(report.moved)}")
        for old, new in report.moved:
            out(f"    {old} -> {new}")
    if report.commit:
        out(f"  commit: {report.commit[:12]}")
    reasons = Counter(why for _, why in report.skipped)
    if reasons:
        out(f"skipped: {len(report.skipped)}")
        for why, n in reasons.most_common():
            out(f"  {n} x {why}")
    if report.kept:
        out(f"not overwritten: {len(report.kept)}")
        for path, why in report.kept:
            out(f"  {path}: {why}")
    if report.notes:
        out("about the export:")
        for note in report.notes:
            out(f"  {note}")
    if report.authors:
        out(f"authors not in the team: {len(report.authors)} (their posts keep the name as 'author:')")
        for a in report.authors:
            out(f"  {a.name} (login {a.login}, {a.posts} post(s)): {add_author_command(a)}")
        out("  then import again (a team member is found by e-mail), or map a login to someone "
            "already in the team: --map-author LOGIN=EMAIL, or --authors FILE")
    if report.attention:
        out("needs a person's attention:")
        for path, note in report.attention:
            out(f"  {path}: {note}")
    if report.failed:
        out(f"not downloaded: {len(report.failed)} (the posts link to the old site for these)")
        for f in report.failed:
            out(f"  {f.url} -> {f.dest}: {f.reason}")
        out(f"  run again to fetch them (files already there are not fetched again): {report.rerun()}")
    if not report.download and (report.attachments or report.media):
        out("to fetch (nothing was downloaded):")
        for url, post_id in report.attachments:
            out(f"  {url}" + (f"  (post {post_id})" if post_id else ""))
        for url in report.media:
            out(f"  {url}")


def run() -> None:
    """The `gulagpub` command (pyproject's console script, and `python -m
    gulagpub`): `main` in a process that ends with it. Tests call `main`."""
    from .parallel import end_quietly

    try:
        main()
    finally:
        end_quietly()  # (files are closed by then)
