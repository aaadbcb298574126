"""Every output of the site, with the inputs it reads: the planner.

Each output file gets a key that is the digest of exactly what it reads —
its verifying trace (Mokhov, Mitchell and Peyton Jones, "Build systems à la
carte"): a post's page reads its item (content, path, dates, summary,
terms), its language versions' titles, its Mastodon link and its old
comments; a list page reads the items on it; a feed document the entries in
it; the sitemap every item's address and time. `site.write_site` makes only
the files whose key the live site does not have.

What the planner lists is the one question:

- every output, when the site's shape may have changed (another set of
  public files, a file whose form changed, other settings or templates, a
  first build): keys are computed for all of them, and write_site keeps
  whatever the live site has with the same key;
- otherwise only the outputs that read an input that changed — the pages of
  the changed posts and of their language versions, the list pages and feed
  documents holding a post whose item changed, the site-wide files — and
  every other file stays as the live site holds it.

Both ways use the same definitions below; a test builds each way and
compares (tests/test_build_incremental.py, and GULAGPUB_CHECK_PLAN=1 checks
on every build that the short list missed nothing the long one would make).
"""

from __future__ import annotations

from functools import partial
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from html import escape  # (not xml.sax.saxutils.escape: importing it imports urllib.request, http and email)

from .catalog import Catalog, Listed, Month, month_of
from .config import Config
from .errors import Problem
from .feedentries import FeedEntries
from .feeds import Document, FeedInfo, Format, plan as feed_plan
from .images import VARIANTS, FileInfo, variant, variant_name, variant_widths, without_location
from . import originals
from .media import published_path
from .pages import Pages, file_of, ris_path
from .search import Doc, bundle, shards_of
from .site import Output
from .sources import Item, ItemState, Sources, digest, joined, sitemap_row, when_of
from .store import Table
from .urls import absolute, site_path

_FRAME = 8_000  # bytes of a page or feed around its content (head, menu, footer)
_HTML_PER_BYTE = 1.5  # bytes of HTML, escaped in a feed, per byte of Markdown

# The group (site.Output.group) of the feed documents: made by one writer,
# which then serializes each entry once for all the documents it is in.
FEEDS_GROUP = 0


class Counts(NamedTuple):
    files: int
    pages: int  # HTML files
    feeds: int  # feed documents
    posts: int  # posts and language versions on the site


@dataclass
class Inputs:
    """What the site is made from besides the content files."""

    gen: str  # names the settings, the templates, the build's code and mode: part of every key
    mastodon: dict[str, str]  # entry id -> the URL of its status (the page's "Discuss on Mastodon")
    comments: dict[str, tuple[int, int, int]]  # the comments files kept from WordPress, with their stat
    redirects: bytes | None  # _redirects (from the WordPress import), as it is
    withdrawn: dict[str, str] = field(default_factory=dict)  # withdrawn posts and versions -> content hash
    originals: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # originals/ files, with their stat
    files: dict[str, FileInfo] = field(default_factory=dict)  # the media the public files name: stat, size, type
    copies: Path | None = None  # the folder of images' smaller copies (in the state folder; None: not kept)


@dataclass
class Planned:
    """What a plan gives: the outputs to make (or keep), and what to keep for the next build."""

    outputs: list[Output]
    complete: bool  # the whole site; else what may have changed, the rest as the live site has it
    counts: Counts
    items: Table[ItemState]
    by_path: list[int]  # the posts (places in Catalog.posts) in the order of their site paths (the sitemap's)
    feed_docs: dict[str, list[Item]] = field(default_factory=dict)  # each feed document: its entries
    warnings: list[Problem] = field(default_factory=list)
    estimate: int = 0  # bytes the whole site takes, roughly (0: not estimated, the shape is the last build's)
    # The search index's shards and their documents (None: [site] search is off);
    # build.py has them indexed (search.py) and adds their files.
    shards: dict[str, list[Doc]] | None = None


class Planner:
    def __init__(self, config: Config, catalog: Catalog, sources: Sources, pages: Pages, entries: FeedEntries,
                 formats: Sequence[Format], inputs: Inputs, kept: Table[ItemState] | None) -> None:
        self.config, self.catalog, self.sources, self.pages, self.entries = config, catalog, sources, pages, entries
        self.formats = formats
        self.inputs = inputs
        self.gen = inputs.gen
        self.kept = kept if kept is not None else Table(ItemState)  # what the last build made of each item
        self.feed_docs: dict[str, list[Item]] = {}
        self.warnings: list[Problem] = []
        self.alias_of: dict[int, str] = {}  # id of an alias output -> the content file it is an old address of
        self._places: dict[str, dict[str, int]] = {}  # a section's base -> each member's place in it
        self.placed: set[str] = set()  # media outputs listed (a site-wide file many posts name is listed once)
        self.shards: dict[str, list[Doc]] | None = None

    def item(self, src: str) -> Item:
        return self.sources.item(src, self.kept.get(src))

    # --- the two ways ------------------------------------------------------------
    def everything(self) -> Planned:
        """Every output of the site, with its key."""
        cat = self.catalog
        outputs: list[Output] = []
        for src in cat.posts:
            outputs += self.post_group(self.item(src))
        page_urls = []
        for src in cat.pages:
            path, made = self.page_group(src)
            page_urls.append(absolute(path, self.config))
            outputs += made
        current = self.current_members()
        for listed in cat.lists.values():
            made = self.list_group(listed, None, current)
            outputs += made
            outputs += self.archive_group(listed, None)
        items = [self.item(src) for src in cat.posts]
        by_path = sorted(range(len(items)), key=lambda n: items[n].path)
        states = [self.sources.state_of(it, it.src in current) for it in items]
        table = Table(ItemState, [it.src for it in items], [list(c) for c in zip(*states)] if states else None)
        self.plan_search(table)
        outputs += self._site_outputs([it.key for it in items],
                                      [(items[n].src, items[n].lastmod, items[n].row) for n in by_path], page_urls)
        outputs = self.without_colliding_aliases(outputs)
        n_pages = sum(1 for o in outputs if o.path.endswith(".html"))
        n_feeds = sum(1 for o in outputs if o.group == FEEDS_GROUP)
        return Planned(outputs, True, Counts(len(outputs), n_pages, n_feeds, len(items)), table, by_path,
                       self.feed_docs, self.warnings, self.estimate(len(outputs)), self.shards)

    def estimate(self, files: int) -> int:
        """The bytes the site takes, roughly, from the sizes of the content files:
        each post's text is on its page and in every feed document holding it (in
        every format for a feed's current document), and every file has its frame."""
        size = self.sources.size
        per, formats = self.config.feeds.entries, len(self.formats)
        total = _FRAME * files + sum(size(src) for src in self.catalog.posts)
        for listed in self.catalog.lists.values():
            total += sum(size(src) for src in listed.members[per:])
            total += formats * sum(size(src) for src in listed.members[:per])
        return int(total * _HTML_PER_BYTE)

    def changes(self, dirty: set[str], counts: Counts, by_path: list[int]) -> Planned:
        """The outputs reading a changed input: `dirty` names the public files
        whose own inputs changed (content, history, comments, Mastodon link, or
        undated); every other output keeps its key, as the live site has it."""
        cat = self.catalog
        family = cat.family
        for src in list(dirty):  # a post's page shows its language versions' titles
            rec = self.sources.record(src)
            dirty.update(family.get(rec.original or src, ()))
        outputs: list[Output] = []
        moved: dict[str, set[int]] = {}  # list base -> places of its posts whose item changed
        years: dict[str, set[int]] = {}  # section base -> the years of its archive holding one
        neighbours: set[str] = set()  # posts whose page names a changed post (newer, older)
        states = self.kept
        for src in sorted(dirty):
            rec = self.sources.record(src)
            if rec.kind == "page":
                outputs += self.page_group(src)[1]
                continue
            before = states.get(src)
            it = self.item(src)
            states.set(src, self.sources.state_of(it, before.current if before else False))
            outputs += self.post_group(it)
            if before is None or before.key != it.key:
                if before is not None:
                    self.entries.forget(before.key, before.current)
                for base in cat.lists_of(src, rec):
                    if cat.lists[base].months:
                        years.setdefault(base, set()).add(month_of(rec, self.sources.now_when, self.config.site.tz)[0])
                # Its row and those of its other versions (which name it) wherever they are listed.
                for member in family.get(rec.original or src, (src,)):
                    for base in cat.lists_of(member, self.sources.record(member)):
                        moved.setdefault(base, set()).add(cat.lists[base].members.index(member))
                neighbours.update(n for n in self.adjacent(src) if n is not None)
        for src in sorted(neighbours - dirty):
            outputs += self.post_group(self.item(src))
        flags = states.col("current")
        current = {src for src, i in states.pos.items() if flags[i]}
        for base, places in moved.items():
            outputs += self.list_group(cat.lists[base], places, current)
        for base, wanted in years.items():
            outputs += self.archive_group(cat.lists[base], wanted)
        page_urls = [absolute(site_path("page", self.sources.record(src).slug, None, "", self.config), self.config)
                     for src in cat.pages]
        pos, keys, rows, lastmods = states.pos, states.col("key"), states.col("row"), states.col("lastmod")
        at = [pos[s] for s in cat.posts]
        self.plan_search(states)
        outputs += self._site_outputs([keys[i] for i in at],
                                      [(cat.posts[n], lastmods[at[n]], rows[at[n]]) for n in by_path], page_urls)
        return Planned(outputs, False, counts, states, by_path, self.feed_docs, self.warnings, shards=self.shards)

    def current_members(self) -> set[str]:
        """The posts in some feed's current document (their entries are made in every format)."""
        per = self.config.feeds.entries
        return {src for listed in self.catalog.lists.values() for src in listed.members[:per]}

    # --- a post's page -----------------------------------------------------------
    def post_group(self, it: Item) -> list[Output]:
        """A post's page and its aliases."""
        src, rec = it.src, it.rec
        mastodon = self.inputs.mastodon.get(it.entry_id)
        family = self.catalog.family.get(rec.original or src, ())
        others = sorted([self.item(o) for o in family if o != src], key=lambda o: o.rec.lang)
        comments = src[:-3] + ".comments.yaml"
        archived = (self.sources.root / comments).read_bytes() if comments in self.inputs.comments else b""
        newer, older = (self.item(n) if n is not None else None for n in self.adjacent(src))
        pages = self.pages
        # The original's scans: a language version without scans of its own shows its post's (the bundle's).
        scans = rec.scans or (self.sources.record(rec.original).scans if rec.original else ())
        named = {*rec.files, *scans}
        files = self.files_of(named)
        # Beside its stored original (originals/, listed with the inputs), paragraph by paragraph,
        # with the files both texts name (the original's images are published with the post).
        original = rec.original_file if rec.original_file in self.inputs.originals else None
        parallel = None
        group = []
        if original is not None:
            data = (self.sources.root / original).read_bytes()
            o_lang = original.split("/")[1]
            parallel = (it.path + "parallel/", o_lang)
            text, _ = originals.parse(original, data)
            if text is not None:
                named.update(originals.named_files(src, text))
            both = self.files_of(named)
            group.append(Output(file_of(parallel[0]), digest(self.gen, "parallel", it.key, original, digest(data),
                                                             sorted(both.items())),
                                partial(pages.parallel_page, it, parallel[0], original, data, both)))
        key = digest(self.gen, "post", it.key, mastodon, [(o.rec.lang, o.path, o.rec.title) for o in others],
                     digest(archived), [(n.path, n.rec.title, n.rec.lang) if n else None for n in (newer, older)],
                     parallel, sorted(files.items()), scans)
        group += [Output(file_of(it.path), key,
                         lambda: pages.post_page(it, others, mastodon, archived, files, newer, older, parallel,
                                                 scans)),
                 # Its citation file reads only the post (and the settings); `others` only lets it
                 # share the page's reading of the post (RIS shows nothing of them).
                 Output(file_of(ris_path(it.path)), digest(self.gen, "ris", it.key), lambda: pages.ris_file(it, others))]
        group += self.aliases(src, it.path, rec.title, rec.aliases)
        return group + self.media(src, it.path, sorted(named))

    def adjacent(self, src: str) -> tuple[str | None, str | None]:
        """The posts before and after one in its section's list (newer, older)."""
        rec = self.sources.record(src)
        base = self.catalog.section_of(rec)
        places = self._places.get(base)
        if places is None:
            listed = self.catalog.lists.get(base)
            places = self._places[base] = {m: i for i, m in enumerate(listed.members)} if listed else {}
        at = places.get(src)
        if at is None:
            return None, None
        members = self.catalog.lists[base].members
        return (members[at - 1] if at > 0 else None), (members[at + 1] if at + 1 < len(members) else None)

    def page_group(self, src: str) -> tuple[str, list[Output]]:
        """A standalone page and its aliases, with its path."""
        rec = self.sources.record(src)
        path = site_path(rec.kind, rec.slug, None, rec.lang, self.config)
        pages = self.pages
        files = self.files_of(rec.files)
        outputs = [Output(file_of(path), digest(self.gen, "page", self.sources.sha(src), sorted(files.items())),
                          lambda: pages.standalone_page(src, path, files))]
        return path, outputs + self.aliases(src, path, rec.title, rec.aliases) + self.media(src, path, rec.files)

    def files_of(self, paths: Iterable[str]) -> dict[str, FileInfo]:
        """What a page shows of the files it names (their size, type, an image's size)."""
        known = self.inputs.files
        return {p: known[p] for p in paths if p in known}

    def media(self, src: str, page: str, files: Iterable[str]) -> list[Output]:
        """The files a content file's text names, published as they are (linked, not
        read), each keyed by its stat; a photo holding GPS data is published without
        it (a copy, made); a large image with its smaller copies beside it (made
        by one writer, together: one group per image). A file that cannot be
        published (the build reports it) is left out."""
        root, known, placed = self.sources.root, self.inputs.files, self.placed
        outputs = []
        for path in files:
            info = known.get(path)
            target = file_of(published_path(src, page, path))
            if info is None or target in placed:
                continue
            placed.add(target)
            if info.located:
                outputs.append(Output(target, digest("file", "without location", *info.stat),
                                      partial(_without_location, root / path)))
            else:
                outputs.append(Output(target, digest("file", *info.stat), _unread, source=root / path))
            widths = variant_widths(info)
            if widths:
                copies = self.inputs.copies
                group = -len(placed)  # (its own: the feeds' group is 0, and every file is placed once)
                named = (info.blob,) if info.blob else info.stat  # (the same bytes in a fresh clone: the same key)
                outputs += [Output(variant_name(target, w), digest("copy", VARIANTS, *named, w),
                                   partial(variant, root / path, info.stat, info.blob, widths, w, copies), group)
                            for w in widths]
        return outputs

    def aliases(self, src: str, path: str, title: str, aliases: Iterable[str]) -> list[Output]:
        """Redirect pages at a file's old addresses (one that is its own page spelled otherwise is left out)."""
        own = file_of(path)
        pages = self.pages
        made = [Output(file_of(alias), digest(self.gen, "alias", path, title), lambda: pages.redirect(src, path))
                for alias in aliases if file_of(alias) != own]
        for o in made:
            self.alias_of[id(o)] = src
        return made

    def without_colliding_aliases(self, outputs: list[Output]) -> list[Output]:
        """An old address another page has, or another post's old address too, is a
        warning naming both (the first keeps it), never a failed build."""
        alias_of = self.alias_of
        pages = {o.path for o in outputs if id(o) not in alias_of}
        taken: dict[str, str] = {}
        kept = []
        for o in outputs:
            src = alias_of.get(id(o))
            if src is not None:
                if o.path in pages or o.path in taken:
                    self.warnings.append(Problem(
                        src, 0, f"the old address /{o.path.removesuffix('index.html')} is also "
                        + (f"an old address of {taken[o.path]}" if o.path in taken else "a page of this site")
                        + "; remove it from this file's 'aliases:' (it is left out)"))
                    continue
                taken[o.path] = src
            kept.append(o)
        return kept

    # --- lists ---------------------------------------------------------------------
    def list_group(self, listed: Listed, places: set[int] | None, current: set[str]) -> list[Output]:
        """A list's pages and feed documents (with `places`, those holding a member
        at one of these places)."""
        cfg = self.config
        heading = self.pages.heading(listed.kind, listed.name, listed.lang)
        members = listed.members
        per = cfg.site.per_page
        n_pages = max(1, (len(members) + per - 1) // per)
        wanted = {i // per + 1 for i in places} if places is not None else None
        outputs: list[Output] = []
        pages = self.pages
        family = self.catalog.family
        for n in range(1, n_pages + 1):
            if wanted is not None and n not in wanted:
                continue
            chunk = [self.item(m) for m in members[(n - 1) * per:n * per]]
            path = listed.base if n == 1 else f"{listed.base}page/{n}/"
            versions = {}  # each document's other versions, shown in its row
            for it in chunk:
                fam = family.get(it.rec.original or it.src) if family else None
                if fam:
                    versions[it.src] = sorted((o.rec.lang, o.path) for o in map(self.item, fam) if o.src != it.src)
            key = joined([self.gen, "list", listed.base, heading, listed.lang, str(n), str(n_pages),
                          *[i.key for i in chunk], *[f"{s}:{v}" for s, v in versions.items()]])
            outputs.append(Output(file_of(path), key, partial(pages.list_page, listed.base, heading, listed.lang,
                                                              chunk, n, n_pages, versions)))
        docs = feed_plan(range(len(members) - 1, -1, -1), cfg.feeds.entries, listed.archives)
        site_title = cfg.site.title_in(listed.lang)  # (a language's feeds are titled as its pages are)
        title = f"{site_title} – {heading}" if heading else site_title
        info = FeedInfo(title=title, subtitle=cfg.site.description_in(listed.lang) or title,
                        home=absolute(listed.base, cfg), base=absolute(listed.base, cfg), lang=listed.lang,
                        author=site_title,
                        archives=listed.archives, stylesheet=self.pages.href("/feed.xsl"))
        info_text = str(info)
        fallback = datetime(1970, 1, 1, tzinfo=timezone.utc)
        for doc in docs:
            if places is not None and places.isdisjoint(doc.entries):
                continue
            chosen = [self.item(members[i]) for i in doc.entries]
            key = digest(self.gen, "feed", info_text, doc.number, doc.pages, [i.key + i.path for i in chosen])
            formats = [fmt for fmt in self.formats if fmt.archives or not doc.number]
            real = self._documents(doc, chosen, current, len(formats))
            for fmt in formats:
                path = file_of(listed.base + fmt.file(doc))
                self.feed_docs[path] = chosen
                outputs.append(Output(path, key + fmt.name,
                                      partial(_feed_document, fmt, info, real, fallback), FEEDS_GROUP))
        return outputs

    def _documents(self, doc: Document[int], chosen: list[Item], current: set[str],
                   formats: int) -> Callable[[], Document[object]]:
        """How a feed document's entries are made when one of its `formats` is written
        (once for all of them, and let go after the last: the outputs, which hold
        this function, live to the end of the write)."""
        made: list[Document[object]] = []
        asked = [0]
        entries = self.entries

        def real() -> Document[object]:
            if not made:
                made.append(Document(doc.number, tuple(entries.rendered(i, i.src in current) for i in chosen),
                                     doc.pages))
                entries.used(chosen)
            asked[0] += 1
            return made[0] if asked[0] < formats else made.pop()

        return real

    # --- archives ------------------------------------------------------------------
    def archive_group(self, listed: Listed, years: set[int] | None) -> list[Output]:
        """A section's archive: its index (each year and month, with how many posts:
        the catalog's shape alone) and a page per year, reading its posts' items
        (with `years`, only those years' pages)."""
        if not listed.months:
            return []
        by_year: dict[int, list[Month]] = {}
        for month in listed.months:
            by_year.setdefault(month.year, []).append(month)
        pages, base = self.pages, listed.base
        outputs: list[Output] = []
        if self.archive_moved(listed):
            # The site's language's section is the home page's: its archive is /archive/.
            # The old addresses (/en/archive/, /en/archive/YEAR/) lead there; they read the shape alone.
            home_years = {m.year for m in self.catalog.lists["/"].months}
            for y in [None, *by_year]:
                if years is not None and y not in years:
                    continue
                target = "/archive/" if y is None else f"/archive/{y}/" if y in home_years else "/archive/"
                outputs.append(Output(file_of(f"{base}archive/" + (f"{y}/" if y else "")),
                                      digest(self.gen, "archive-moved", base, str(y), target),
                                      partial(pages.moved, listed.lang, target, y)))
            return outputs
        if years is None:
            rows = [(y, [(m.month, len(m.members)) for m in months]) for y, months in by_year.items()]
            outputs.append(Output(file_of(f"{base}archive/"), digest(self.gen, "archive", base, listed.lang, rows),
                                  partial(pages.archive_index, base, listed.lang, rows)))
        for y, months in by_year.items():
            if years is not None and y not in years:
                continue
            chosen = [(m.month, [self.item(src) for src in m.members]) for m in months]
            key = joined([self.gen, "archive-year", base, listed.lang, str(y),
                          *[f"{m}:{it.key}" for m, items in chosen for it in items]])
            outputs.append(Output(file_of(f"{base}archive/{y}/"), key,
                                  partial(pages.archive_year, base, listed.lang, y, chosen)))
        return outputs

    def archive_moved(self, listed: Listed) -> bool:
        """Whether a list is the site's own language's (its archive is the home page's)."""
        return listed.kind == "lang" and listed.lang == self.catalog.lists["/"].lang

    # --- the site as a whole -------------------------------------------------------
    def _site_outputs(self, keys: list[str], rows: list[tuple[str, str, str]], page_urls: list[str]) -> list[Output]:
        """The files of the site as a whole; `keys` the posts' keys (they name their
        address and time), `rows` each post's content path, time and sitemap row, in
        path order."""
        cfg = self.config
        pages, gen = self.pages, self.gen
        outputs = [Output("404.html", digest(gen, "404"), pages.not_found)]
        for static in ("style.css", "favicon.svg") + (("search.js",) if cfg.site.search else ()):
            outputs.append(Output(static, digest(gen, static), partial(pages.static, static)))
        outputs.append(Output("feed.xsl", digest(gen, "feed.xsl"), pages.feed_stylesheet))
        if urlsplit(cfg.site.base_url).path in ("", "/"):
            # Crawlers read robots.txt at the host's root only: a site in a sub-folder
            # (a GitHub Pages project site) has none of its own (docs/publishing.md).
            outputs.append(Output("robots.txt", digest(gen, "robots"), lambda: (
                f"User-agent: *\nAllow: /\nSitemap: {absolute('/sitemap.xml', cfg)}\n").encode()))
        redirects = self.inputs.redirects
        if redirects is not None:
            outputs.append(Output("_redirects", digest(gen, "redirects", redirects), lambda: redirects))
        cat = self.catalog
        lists = [base for base in cat.lists if base != "/"]
        indexes = list(cat.indexes())
        for listed in cat.lists.values():  # the archives: an index and a page per year
            if listed.months and not self.archive_moved(listed):
                indexes.append(f"{listed.base}archive/")
                indexes += [f"{listed.base}archive/{y}/" for y in dict.fromkeys(m.year for m in listed.months)]
        outputs.append(Output("sitemap.xml", digest(gen, "sitemap", joined(keys), page_urls, lists, indexes),
                              partial(self.sitemap, rows, page_urls, lists, indexes)))
        outputs += self.term_indexes()
        outputs += self.withdrawn_pages()
        outputs += self.search_pages()
        return outputs

    def withdrawn_pages(self) -> list[Output]:
        """At each withdrawn post's address, the page saying it was withdrawn
        (it reads the file alone: its title, address and withdrawal)."""
        cfg, pages, sources = self.config, self.pages, self.sources
        outputs = []
        for src, sha in self.inputs.withdrawn.items():
            rec = sources.record(src)
            path = site_path(rec.kind, rec.slug, when_of(rec.date) if rec.date else None, rec.lang, cfg)
            outputs.append(Output(file_of(path), digest(self.gen, "withdrawn", src, sha, path),
                                  partial(pages.withdrawn_page, src, path)))
        return outputs

    def sitemap(self, rows: list[tuple[str, str, str]], page_urls: list[str], lists: list[str],
                indexes: list[str]) -> bytes:
        """sitemap.xml: the home page, every post (with its language versions as
        alternates), standalone page, list, index of tags and categories and archive.
        It reads the posts' addresses and times (their keys) and the site's shape."""
        cfg, cat = self.config, self.catalog
        lastmod = {src: when for src, when, _ in rows}
        alternates: dict[str, str] = {}  # a post with language versions -> its <xhtml:link>s
        url_of = self.url_finder()
        for original, members in cat.family.items():  # (x-default: the original, for a reader of another language)
            links = "".join(f'<xhtml:link rel="alternate" hreflang="{lang}" href="{escape(url)}"/>'
                            for lang, url in [*sorted((cat.family_langs[m], url_of(m)) for m in members),
                                              ("x-default", url_of(original))])
            alternates.update((m, links) for m in members)
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
                 sitemap_row(absolute("/", cfg), max(lastmod.values(), default=None))]
        for src, _, row in rows:
            more = alternates.get(src)
            lines.append(row if more is None else row[: -len("</url>")] + more + "</url>")
        lines += [sitemap_row(u, None) for u in page_urls]
        lines += [sitemap_row(absolute(base, cfg), lastmod.get(cat.lists[base].members[0])
                              if cat.lists[base].members else None) for base in lists]  # (its newest post's)
        lines += [sitemap_row(absolute(base, cfg), None) for base in indexes]
        return ("\n".join([*lines, "</urlset>"]) + "\n").encode("utf-8")

    def url_finder(self) -> Callable[[str], str]:
        """A public post's address: of its item when this plan made one, else as
        the last build kept it (unchanged: it would be dirty otherwise)."""
        made, pos, paths, cfg = self.sources.items, self.kept.pos, self.kept.col("path"), self.config

        def url_of(src: str) -> str:
            it = made.get(src)
            if it is not None:
                return it.url
            i = pos.get(src)
            return absolute(paths[i], cfg) if i is not None else self.item(src).url

        return url_of

    # --- search ----------------------------------------------------------------------
    def plan_search(self, states: Table[ItemState]) -> None:
        """The search index's shards, when [site] search is on: every public post
        and page, each named by its content hash and address (search.py)."""
        if not self.config.site.search:
            return
        files, default = self.sources.reading.files, self.config.site.lang
        langs, pos = files.col("lang"), files.pos
        shas, paths = states.col("sha"), states.col("path")
        docs = [Doc(src, langs[pos[src]] or default, paths[i], shas[i]) for src, i in states.pos.items()]
        for src in self.catalog.pages:
            rec = self.sources.record(src)
            docs.append(Doc(src, rec.lang or default, site_path("page", rec.slug, None, "", self.config),
                            self.sources.sha(src)))
        self.shards = shards_of(docs)

    def search_pages(self) -> list[Output]:
        """A search page per language section ('/search/', '/es/search/'), naming its language's shards."""
        if self.shards is None:
            return []
        pages, site_lang = self.pages, self.config.site.lang
        # Each section's page (the site's language's at /search/) searches the shards of
        # the languages whose home is that section's (a language without a section of
        # its own, such as a standalone page's, is searched from /search/).
        sections: dict[str, tuple[str, list[str]]] = {"/search/": (site_lang, [])}
        for name in self.shards:
            lang = name.partition("/")[0]
            path = pages.section_home(lang) + "search/"
            sections.setdefault(path, (lang, []))[1].append(pages.href(bundle(name)))
        outputs = []
        for path, (lang, bundles) in sorted(sections.items()):
            links = sorted((other, pages.href(p)) for p, (other, _) in sections.items() if p != path)
            outputs.append(Output(file_of(path), digest(self.gen, "search", lang, bundles, links),
                                  partial(pages.search_page, path, lang, bundles, links)))
        return outputs

    def term_indexes(self) -> list[Output]:
        """/tag/ and /category/: every tag (every category) with how many documents
        it has; /LANG/tag/ and /LANG/category/ the same of another language's lists."""
        cat, pages = self.catalog, self.pages
        outputs = []
        for index, bases in cat.indexes().items():
            kind, lang = cat.lists[bases[0]].kind, cat.lists[bases[0]].lang
            rows = sorted(((cat.lists[b].name, b, len(cat.lists[b].members)) for b in bases),
                          key=lambda row: (row[0].casefold(), row[0]))
            outputs.append(Output(file_of(index), digest(self.gen, "terms", index, lang, rows),
                                  partial(pages.term_index, index, kind, rows, lang)))
        return outputs


def _without_location(path: Any) -> bytes:
    with open(path, "rb") as f:
        return without_location(f.read())


def _unread() -> bytes:
    raise AssertionError("a media output is linked, never made")


def _feed_document(fmt: Any, info: Any, entries: Callable[[], Any], fallback: Any) -> bytes:
    """A feed document of `fmt` over the entries `entries()` gives (read only when made)."""
    return fmt.document(info, entries(), fallback)
