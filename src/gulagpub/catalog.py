"""The site's shape: which lists it has, what each holds and in which order,
its languages, tags and categories, and the language versions of each post.
Pure: records in, a Catalog out.

A catalog depends only on which files are public and on each one's form
(`reading.Record.form`: its kind, state, language, slug, date, tags,
categories, aliases, original and id — not its title or text). So after an
edit that changes no file's form, the last build's catalog is this build's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import NamedTuple
from urllib.parse import quote

from .records import Record
from .taxonomy import Term, assign_slugs


class Month(NamedTuple):
    """A month of a list's archive: its posts, newest first."""

    year: int
    month: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Listed:
    """One list of the site: its posts (newest first), with pages and feeds."""

    base: str  # its folder on the site: '/', '/es/', '/tag/gulag/'
    kind: str  # 'home', 'lang' (a language's posts), 'tag' or 'category'
    name: str  # the tag's or category's name ('' for the others)
    lang: str  # the language its pages are shown in
    members: tuple[str, ...]  # content paths, newest first
    archives: bool  # whether its Atom feed keeps RFC 5005 archives
    months: tuple[Month, ...] = ()  # a section's archive (the home page, a language's list), newest first


@dataclass(frozen=True)
class Catalog:
    """The site's shape (see the module's docstring)."""

    langs: tuple[str, ...]  # the languages of posts (sorted): the menu shows them when more than one
    tags: dict[str, Term]
    categories: dict[str, Term]
    lists: dict[str, Listed]  # by base, in the order the site lists them
    family: dict[str, tuple[str, ...]]  # a post's path -> it and its language versions (only posts with some)
    posts: tuple[str, ...]  # posts and language versions (not pages), in path order
    pages: tuple[str, ...]  # standalone pages, in path order
    undated: frozenset[str]  # posts without a date: dated at each build's time
    family_langs: dict[str, str] = field(default_factory=dict)  # each post of a family -> its language

    def section_of(self, rec: Record) -> str:
        """The base of the list a post is read in with its neighbours: its
        language's when the site has several, else the home page."""
        return lang_base(rec.lang) if len(self.langs) > 1 else "/"

    def indexes(self) -> dict[str, list[str]]:
        """The indexes of terms ('/tag/', '/category/', and '/es/tag/' for another
        language's lists), each with the bases of the lists it names."""
        found: dict[str, list[str]] = {}
        for base, listed in self.lists.items():
            if listed.kind in ("tag", "category"):
                found.setdefault(base[:base.rstrip("/").rindex("/") + 1], []).append(base)
        return found

    def lists_of(self, src: str, rec: Record) -> list[str]:
        """The bases of the lists a post is in (a site-wide list of a tag holds one
        version of each document: not always this one)."""
        bases = ["/"] if src in self.lists["/"].members else []
        several = len(self.langs) > 1
        if several:
            bases.append(lang_base(rec.lang))
        for kind, names, terms in (("tag", rec.tags, self.tags), ("category", rec.categories, self.categories)):
            for name in names:
                base = f"/{kind}/{terms[name].quoted}/"
                if src in self.lists[base].members:
                    bases.append(base)
                if several and rec.lang != self.lists["/"].lang:
                    bases.append(f"{lang_base(rec.lang)}{kind}/{terms[name].quoted}/")
        return bases


def lang_base(lang: str) -> str:
    """The base of a language's list."""
    return f"/{quote(lang.lower())}/"


def month_of(rec: Record, now_when: int, tz: tzinfo) -> tuple[int, int]:
    """The year and month a post is archived under (its date's, in the site's time zone)."""
    when = datetime.fromtimestamp((rec.when if rec.date else now_when) / 1e6, timezone.utc).astimezone(tz)
    return when.year, when.month


def _by_month(members: list[str], visible: dict[str, Record], now_when: int, tz: tzinfo) -> tuple[Month, ...]:
    months: dict[tuple[int, int], list[str]] = {}
    for src in members:  # (newest first: so are the months)
        months.setdefault(month_of(visible[src], now_when, tz), []).append(src)
    return tuple(Month(y, m, tuple(srcs)) for (y, m), srcs in months.items())


def _one_per_document(members: list[str], visible: dict[str, Record], site_lang: str) -> list[str]:
    """A term's posts (newest first) with each document once: the version in the
    site's language where it has the term, else its original, else its newest
    version with the term; in the place of the one shown."""
    chosen: dict[str, str] = {}  # a document (its original's path) -> the version shown
    for src in members:
        doc = visible[src].original or src
        have = chosen.get(doc)
        if have is None or _preferred(visible[src], src == doc, site_lang) > _preferred(
                visible[have], have == doc, site_lang):
            chosen[doc] = src
    shown = set(chosen.values())
    return [src for src in members if src in shown]


def _preferred(rec: Record, original: bool, site_lang: str) -> int:
    return 2 if rec.lang == site_lang else 1 if original else 0


def catalog_of(visible: dict[str, Record], site_lang: str, now_when: int, tz: tzinfo = timezone.utc) -> Catalog:
    """The catalog of the public files (`visible`, by path, in path order);
    `now_when` dates the undated (microseconds since 1970); `tz` is the
    site's time zone (its archive's months)."""
    tags = assign_slugs({t for r in visible.values() for t in r.tags})
    cats = assign_slugs({c for r in visible.values() for c in r.categories})
    posts = [src for src, r in visible.items() if r.kind != "page"]
    pages = tuple(src for src, r in visible.items() if r.kind == "page")
    langs = tuple(sorted({visible[src].lang for src in posts}))
    with_versions = {r.original for r in visible.values() if r.original}
    family: dict[str, list[str]] = {}
    for src in posts:
        r = visible[src]
        if r.original or src in with_versions:
            family.setdefault(r.original or src, []).append(src)
    newest_first = sorted(posts, key=lambda s: (visible[s].when if visible[s].date else now_when, s), reverse=True)
    originals: list[str] = []
    by_lang: dict[str, list[str]] = {}
    by_tag: dict[str, list[str]] = {}
    by_cat: dict[str, list[str]] = {}
    for src in newest_first:
        r = visible[src]
        if r.kind == "post" or r.original:
            originals.append(src)
        by_lang.setdefault(r.lang, []).append(src)
        for name in r.tags:
            by_tag.setdefault(name, []).append(src)
        for name in r.categories:
            by_cat.setdefault(name, []).append(src)
    if family:  # each document once, in the site's language where it has a version
        originals = _one_per_document(originals, visible, site_lang)
    lists = [Listed("/", "home", "", site_lang, tuple(originals), True, _by_month(originals, visible, now_when, tz))]
    several = len(langs) > 1
    if several:
        lists += [Listed(lang_base(code), "lang", "", code, tuple(by_lang.get(code, ())), True,
                         _by_month(by_lang.get(code, []), visible, now_when, tz)) for code in langs]
    for kind, terms, members in (("tag", tags, by_tag), ("category", cats, by_cat)):
        ordered = sorted(terms.items(), key=lambda kv: kv[1].slug)
        for name, term in ordered:
            found = members.get(name, [])
            listed = _one_per_document(found, visible, site_lang) if family else found
            lists.append(Listed(f"/{kind}/{term.quoted}/", kind, name, site_lang, tuple(listed), False))
        if several:  # each other language's own list of the term (its own feeds): its versions only
            for code in langs:
                if code == site_lang:  # (the site's list is its language's: it shows its version first)
                    continue
                for name, term in ordered:
                    mine = tuple(src for src in members.get(name, ()) if visible[src].lang == code)
                    if mine:
                        lists.append(Listed(f"{lang_base(code)}{kind}/{term.quoted}/", kind, name, code, mine, False))
    return Catalog(langs, tags, cats, {listed.base: listed for listed in lists},
                   {k: tuple(v) for k, v in family.items()}, tuple(posts), pages,
                   frozenset(src for src in posts if not visible[src].date),
                   {src: visible[src].lang for members in family.values() for src in members})
