"""Tags and categories: names -> safe, stable URL slugs. Pure.

A slug keeps letters and digits of any script (lower-cased, NFKC), joins the
rest with hyphens, and is percent-encoded only when it becomes a URL. Names
that collide ("Gulag" and "gulag!") are told apart deterministically: the
name that sorts first keeps the plain slug, the others get a short suffix
made from a hash of the name, which does not change when tags come and go.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from . import slugs



def slugify(name: str) -> str:
    """'Spanish Civil War' -> 'spanish-civil-war', 'Гулаг' -> 'гулаг',
    '../../x' -> 'x', '<b>' -> 'b'; a name with no letters or digits gets
    a slug from its hash."""
    return slugs.slug(name) or "t-" + _hash(name)


def _hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]


@dataclass(frozen=True)
class Term:
    """A tag or category: its name as written and its slug."""

    name: str
    slug: str

    @property
    def quoted(self) -> str:
        """The slug as a URL path segment."""
        return quote(self.slug, safe="-")


def assign_slugs(names: set[str] | list[str]) -> dict[str, Term]:
    """A Term for each name, slugs unique across the set."""
    by_slug: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        by_slug.setdefault(slugify(name), []).append(name)
    terms: dict[str, Term] = {}
    for slug, group in by_slug.items():
        terms[group[0]] = Term(group[0], slug)
        for name in group[1:]:
            terms[name] = Term(name, f"{slug}-{_hash(name)}")
    return terms
