"""What planning and the whole-set checks need of each content file, as
plain values: its Record (one per content hash: the build plans with these,
10,000 of them load in milliseconds where as many Posts take a fifth of a
second) and its Identity (what names it among the others), and the checks
only the whole set of files can make. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from .errors import Problem
from .model import Post, original_file

class Identity(NamedTuple):
    """What names a content file among the others: its slug, id, language and original."""

    path: str
    kind: str
    lang: str
    slug: str
    slug_line: int
    id: str | None
    id_line: int
    original: str | None

    @classmethod
    def of(cls, post: Post) -> Identity:
        return cls(post.path, post.kind.value, post.lang, post.slug, post.line_of("slug"), post.id,
                   post.line_of("id") if post.id else 0, post.original)

    @classmethod
    def of_record(cls, path: str, rec: Record) -> Identity:
        return cls(path, rec.kind, rec.lang, rec.slug, rec.slug_line, rec.id, rec.id_line, rec.original)


def set_problems(files: Iterable[Identity], paths: set[str]) -> list[Problem]:
    """What only the whole set of files can tell: duplicate slugs and ids,
    language versions without their post."""
    problems: list[Problem] = []
    files = list(files)
    seen: dict[tuple[str, str], Identity] = {}
    ids: dict[str, Identity] = {}
    originals = {p.path for p in files if p.kind == "post"} | {p for p in paths if p.startswith("posts/")}
    for p in files:
        key = (f"tr-{p.lang}", p.slug) if p.kind == "translation" else ("post-or-page", p.slug)
        other = seen.get(key)
        if other is not None:
            problems.append(Problem(
                p.path, p.slug_line,
                f"slug '{p.slug}' is also used by {other.path}; rename one of the files "
                "(or set a different 'slug:')",
            ))
        else:
            seen[key] = p
        if p.id:
            first = ids.setdefault(p.id, p)
            if first is not p:
                # Feed readers keep one entry per id: the other is dropped, or
                # shown as an edit of the first (a copied front matter does this).
                problems.append(Problem(
                    p.path, p.id_line,
                    f"id '{p.id}' is also the id of {first.path}: feed readers would show only one "
                    f"of the two; keep it on the file it belongs to and delete the 'id:' line of "
                    "the other (which then gets an id made from its path)",
                ))
        if p.kind == "translation" and p.original not in originals:
            problems.append(Problem(
                p.path, 0,
                f"no {p.original} to be a translation of; a language version must have the "
                "same file name as its post in posts/ (NAME.md, or the bundle NAME/index.md)",
            ))
    return problems


# --- records ------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)


def micros(dt: datetime) -> int:
    """Microseconds since 1970 (exact, unlike a float timestamp): how records sort by date."""
    return (dt - _EPOCH) // _MICRO


class Record(NamedTuple):
    """What planning needs of one parsed content file, as plain values (one
    per content hash): the Post itself is loaded only to render something
    about it."""

    kind: str
    state: str
    lang: str
    name: str
    slug: str
    title: str
    date: str | None  # ISO 8601 with offset
    when: int  # the date in microseconds since 1970 (sorting); 0 when undated
    updated: str | None  # the post's own `updated:`, ISO 8601
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    aliases: tuple[str, ...]
    original: str | None
    id: str | None
    summary: str | None  # plain text, from the rendered body (None: not rendered yet)
    slug_line: int  # where `slug:` and `id:` stand (for messages; 1 when absent)
    id_line: int
    original_file: str | None = None  # where its original text would be stored (model.original_file)
    files: tuple[str, ...] = ()  # the repository files it names (media.named_files), published with it
    image: str | None = None  # its lead image, a repository path (media.lead_image)
    scans: tuple[str, ...] = ()  # the original's scans, page by page, repository paths (media.scan_files)

    @classmethod
    def of(cls, post: Post, summary: str | None, files: tuple[str, ...] = (), image: str | None = None,
           scans: tuple[str, ...] = ()) -> Record:
        return cls(post.kind.value, post.state.value, post.lang, post.name, post.slug, post.title,
                   post.date.isoformat() if post.date else None, micros(post.date) if post.date else 0,
                   post.updated.isoformat() if post.updated else None, tuple(post.tags),
                   tuple(post.categories), tuple(post.aliases), post.original, post.id, summary,
                   post.line_of("slug"), post.line_of("id") if post.id else 0, original_file(post), files, image,
                   scans)

    def form(self) -> tuple[Any, ...]:
        """What places the file among the others (all but its title, summary and `updated:`),
        and the files it publishes: while no file's form changes, the site keeps its shape."""
        return (self.kind, self.state, self.lang, self.name, self.slug, self.date, self.when, self.tags,
                self.categories, self.aliases, self.original, self.id, self.files)
