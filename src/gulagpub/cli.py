"""The `gulagpub` command: thin click wrappers over the library.

Each command parses its options, makes one library call and formats the
result. `GulagpubError` becomes a message on stderr and exit 1, in one place.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from . import content as content_mod
from .errors import GulagpubError, UsageError


class Ctx:
    """What every command gets: where the content repository is."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def root(self) -> Path:
        return content_mod.find_root(self.directory)

    def load(self) -> content_mod.Content:
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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@click.pass_obj
def status(obj: Ctx, as_json: bool) -> None:
    """Show where every post stands: what awaits translation or review.

    \b
    Example:
      gulagpub status
      gulagpub status --json
    """
    content = obj.load()
    rows = [
        {"path": p.path, "state": p.state.value, "title": p.title, "lang": p.lang}
        for p in content.posts
    ]
    if as_json:
        echo_json({"posts": rows, "problems": [str(p) for p in content.problems]})
        return
    for r in rows:
        click.echo(f"{r['state']:<12} {r['path']}  {r['title']}")
    for p in content.problems:
        click.echo(str(p), err=True)


@main.command()
@click.pass_obj
def check(obj: Ctx) -> None:
    """Validate every post; exit 1 if any has problems.

    Prints one line per problem, `path:line: message`.

    \b
    Example:
      gulagpub check
    """
    content = obj.load()
    for p in content.problems:
        click.echo(str(p))
    n = len(content.posts)
    if content.problems:
        click.echo(f"{len(content.problems)} problem(s) in {n} file(s) checked", err=True)
        sys.exit(1)
    click.echo(f"{n} file(s) checked, no problems", err=True)


# --- the publisher -------------------------------------------------------------

def _now(value: str | None) -> Any:
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
@click.pass_obj
def build(obj: Ctx, out: Path | None, drafts: bool, now_text: str | None, dry_run: bool) -> None:
    """Build the static site and its feeds from the published posts.

    Writes pages, Atom/RSS/JSON feeds (site, per language, tag, category),
    sitemap.xml and robots.txt into a new folder and swaps it in atomically:
    a failed build leaves the previous site as it was. A published (or due)
    post with problems stops the build with `path:line: message`; drafts with
    problems are only reported. Unchanged posts are not rendered again
    (cache in .gulagpub-cache/).

    \b
    Example:
      gulagpub build
      gulagpub build --out /tmp/site --now 2026-11-27T12:00:00Z
    """
    from .build import build as build_site

    root = obj.root
    target = _out(obj, out)
    if dry_run:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            result = build_site(root, Path(tmp) / "site", now=_now(now_text), drafts=drafts,
                                progress=_progress)
        click.echo(f"dry run: {result.pages} page(s) and {result.feeds} feed(s) would be written to {target}", err=True)
        return
    result = build_site(root, target, now=_now(now_text), drafts=drafts, progress=_progress)
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
@click.pass_obj
def publish(obj: Ctx, out: Path | None, now_text: str | None, dry_run: bool) -> None:
    """Publish approved posts whose date has come, then build the site.

    Every approved post (or language version) dated now or earlier becomes
    published in ONE commit (trailers `Transition: approved -> published`,
    `Published-by: gulagpub publish`); a post without an `id:` gets its
    stable id written at that moment. Approved posts dated in the future
    stay approved until a later run. Then the site is built as `build` does.

    \b
    Example:
      gulagpub publish --dry-run
      gulagpub publish --out _site
    """
    from .publisher import publish as publish_site

    root = obj.root
    result = publish_site(root, _out(obj, out), _now(now_text), dry_run=dry_run, progress=_progress)
    for p in result.promoted:
        click.echo(f"{'would publish' if dry_run else 'published'} {p.path}  {p.title}")
    if not result.promoted:
        click.echo("no approved post is due", err=True)
    if result.build is not None:
        for w in result.build.warnings:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"built {result.build.posts} post(s) into {result.build.out}", err=True)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to build into (default: _site/ in the content repository).")
@click.option("--drafts", is_flag=True, help="Also show drafts and posts in review.")
@click.pass_obj
def serve(obj: Ctx, port: int, out: Path | None, drafts: bool) -> None:
    """Preview the site on http://127.0.0.1:PORT/, rebuilding when files change.

    Serves on 127.0.0.1 only. Edits to posts, pages, translations, templates
    or gulagpub.toml trigger a rebuild (problems are printed, the last good
    site stays up). Stop with Ctrl-C.

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
            result = build_site(root, target, now=_now(None), drafts=drafts)
            click.echo(f"rebuilt: {result.report.written} file(s) written", err=True)
        except GulagpubError as exc:
            click.echo(f"error: {exc}", err=True)

    build_site(root, target, now=_now(None), drafts=drafts, progress=_progress)
    try:
        server = make_server(target, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0") from exc
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(root, rebuild, stop), daemon=True)
    watcher.start()
    click.echo(f"serving {target} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
