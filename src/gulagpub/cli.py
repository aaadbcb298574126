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
