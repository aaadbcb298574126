"""What the outputs are made from, loaded only when something asks: each
public file's record, Post, rendered HTML and `Item` (the post as lists,
feeds and the sitemap show it). Edge module (reads the parse cache, and a
file again when the cache lost what it needs).

A build after an edit reads a few records and fewer Posts of 10,000; a full
build reads them all once.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .catalog import Catalog
from .config import Config
from .errors import BuildError
from .images import FileInfo
from .media import published_path
from .model import Post
from .reading import Reading, file_sha, with_summary
from .records import Record
from .taxonomy import Term
from .urls import absolute, site_path, stable_id

if TYPE_CHECKING:
    from .i18n import Interface


def digest(*parts: object) -> str:
    """A short hash naming a combination of values: how every key is made."""
    text = "\0".join(map(str, parts))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def joined(texts: list[str]) -> str:
    """One hash for many texts (a list's member keys)."""
    return hashlib.blake2b("\0".join(texts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@functools.lru_cache(maxsize=1 << 15)
def when_of(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def lastmod_of(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sitemap_row(url: str, lastmod: str | None) -> str:
    """One <url> of sitemap.xml."""
    loc = url.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")  # xml.sax.saxutils.escape
    return f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"


class ItemState(NamedTuple):
    """What a build keeps of each public post for the next: what its key was
    made from (content hash, time of last change, publication time, site
    path), and what it gave."""

    sha: str
    changed: str | None
    published: str
    path: str
    key: str
    lastmod: str
    row: str  # its <url> in sitemap.xml (joined, not made again, after an edit)
    entry_id: str
    current: bool = False  # in some feed's current document (its entry is made in every format)
    image: tuple[int, int, int] | None = None  # the stat of its lead image's file
    scans: tuple[tuple[int, int, int] | None, ...] = ()  # the stat of each of the original's scans it shows


class Scan(NamedTuple):
    """A page of the original (`source.scans`) as a feed entry shows it."""

    number: int  # its place in `source.scans`
    url: str  # absolute: its file, published beside the post's page (or in /media/)
    width: int
    height: int


@dataclass(slots=True)
class Item:
    """A public post (or language version) as lists, feeds and the sitemap show it."""

    src: str
    rec: Record
    sha: str
    path: str  # its page, as a site path
    url: str
    entry_id: str
    when: int  # sorting key: the date, or the build's time when undated
    published: str  # ISO 8601: its date, or the build's time
    updated: datetime
    key: str  # names what lists and feeds show of it: its path, dates, summary, terms and content
    lastmod: str  # its time in sitemap.xml
    row: str  # its <url> in sitemap.xml
    image: FileInfo | None = None  # its lead image's file
    image_url: str | None = None
    scans: tuple[Scan, ...] = ()  # the original's scans its page shows, those that are images
    scan_stats: tuple[tuple[int, int, int] | None, ...] = ()  # (what `scans` was made from)


class Sources:
    """Records, Posts, HTML and items of the public files, by content path."""

    def __init__(self, root: Path, config: Config, reading: Reading, catalog: Catalog | None,
                 changed: dict[str, str], now: datetime) -> None:
        self.root, self.config, self.reading, self.cache = root, config, reading, reading.cache
        self.catalog = catalog
        self.changed = changed  # path -> ISO time of its last real change (history)
        self.now_iso = now.isoformat()
        self.now_when = int((now - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1_000_000)
        self._records: dict[str, Record] = dict(reading.records)  # by content hash
        # (Posts and HTML are not kept once used: a writer shows each once or twice,
        # and keeping them would hold the whole site's text in memory.)
        self._html: dict[str, str] = reading.html  # rendered by the reading stage, by content hash
        self.items: dict[str, Item] = {}
        # A post's provenance sentences, by content hash and interface language: its
        # page and its feed entry show the same ones (a few short strings a post).
        self._provenance: dict[tuple[str, str], list[str]] = {}
        self.files: dict[str, FileInfo] = {}  # the media files public files name (the build's media stage)
        self.rendered = reading.rendered  # Markdown files rendered in this build

    def sha(self, src: str) -> str:
        return self.reading.sha(src)

    def size(self, src: str) -> int:
        """The content file's size in bytes."""
        files = self.reading.files
        return files.col("stat")[files.pos[src]][1] or 0

    # --- records ---------------------------------------------------------------
    def record(self, src: str) -> Record:
        sha = self.sha(src)
        rec = self._records.get(sha) or self.cache.record(sha)
        if rec is None:  # the cache lost it: from the Post
            from .media import record_of

            post = self.post(src)
            rec = record_of(post, None)
            self.cache.put_record(sha, rec)
        self._records[sha] = rec
        return rec

    def load_records(self, srcs: list[str]) -> dict[str, Record]:
        """The records of many files at once (a full plan)."""
        wanted = {self.sha(s) for s in srcs} - self._records.keys()
        self._records.update(self.cache.records(wanted))
        return {s: self.record(s) for s in srcs}

    def summary(self, src: str) -> str:
        """The record's summary, made (from the rendered body) if the reading stage did not render it."""
        rec = self.record(src)
        if rec.summary is None:
            from . import render

            post = self.shown(src)
            rec = with_summary(self.cache, self.sha(src), rec, render.summary_of(post, self.html(src)))
            self._records[self.sha(src)] = rec
        return rec.summary or ""

    # --- posts and HTML --------------------------------------------------------
    def shown(self, src: str) -> Post:
        """The Post of a content file as pages and feeds show it (its body may be left out)."""
        raw = self.reading.shown.get(self.sha(src))
        if raw is not None:
            post = pickle.loads(raw)  # (made by the reading stage's workers in this build)
            if isinstance(post, Post):
                return post
        return self.post(src)

    def post(self, src: str) -> Post:
        """The Post of a content file, with its body."""
        sha = self.sha(src)
        post = self.cache.post(sha)
        if post is None:  # the cache lost it: parse the file again
            post = self._parse(src)
            self.cache.keep_post(sha, post)
        return post

    def _parse(self, src: str) -> Post:
        from .postfile import read_post

        data = (self.root / src).read_bytes()
        original = self.reading.files[src].original
        post, _ = read_post(src, data, self.config, original)
        if post is None or file_sha(src, data, original) != self.sha(src):
            raise BuildError(f"{src}: changed during the build; build again")
        return post

    def html(self, src: str) -> str:
        """The post's body as safe HTML (rendered once per content)."""
        sha = self.sha(src)
        html = self._html.get(sha) or self.cache.html(sha)
        if html is None:  # the HTML cache lost it: render again
            from . import render

            html = render.markdown_to_html(self.post(src).body)
            self.cache.put_html(sha, html)
            self._html[sha] = html
            self.rendered += 1
        return html

    def provenance(self, src: str, post: Post, ui: Interface) -> list[str]:
        """render.provenance of the file's Post in the language of `ui`, made once."""
        key = (self.sha(src), ui.lang)
        done = self._provenance.get(key)
        if done is None:
            from . import render

            done = self._provenance[key] = render.provenance(post, ui)
        return done

    # --- items -----------------------------------------------------------------
    def item(self, src: str, kept: ItemState | None = None) -> Item:
        """The item of a public post; its key is taken from `kept` (what the
        last build made of it) when what it was made from is unchanged."""
        done = self.items.get(src)
        if done is not None:
            return done
        rec = self.record(src)
        cfg = self.config
        date = when_of(rec.date) if rec.date else None
        path = site_path(rec.kind, rec.slug, date, rec.lang, cfg)
        published = rec.date or self.now_iso
        changed = self.changed.get(src)
        sha = self.sha(src)
        url = absolute(path, cfg)
        entry_id = stable_id(rec.id, date, src, cfg)
        if rec.updated:
            updated = when_of(rec.updated)
        else:
            updated = max(when_of(published), when_of(changed)) if changed else when_of(published)
        image = self.files.get(rec.image) if rec.image else None
        lead = image.stat if image else None
        # The original's scans, as its page shows them: a language version without scans of its own shows its post's.
        scan_paths = rec.scans or (self.record(rec.original).scans if rec.original else ())
        scan_infos = [self.files.get(p) for p in scan_paths]
        scan_stats = tuple(info.stat if info else None for info in scan_infos)
        if kept is not None and (kept.sha, kept.changed, kept.published, kept.path, kept.image, kept.scans) == (
                sha, changed, published, path, lead, scan_stats):
            key, lastmod, row = kept.key, kept.lastmod, kept.row
        else:
            assert self.catalog is not None
            tags = [self.catalog.tags[t] for t in rec.tags]
            cats = [self.catalog.categories[c] for c in rec.categories]
            key = digest(sha, path, updated.isoformat(), published, self.summary(src),
                         [(t.name, t.slug) for t in tags], [(c.name, c.slug) for c in cats], image,
                         list(zip(scan_paths, scan_infos)))
            lastmod = lastmod_of(updated)
            row = sitemap_row(url, lastmod)
            rec = self.record(src)  # (with its summary now)
        image_url = absolute(published_path(src, path, rec.image), cfg) if image and rec.image else None
        scans = tuple(Scan(n, absolute(published_path(src, path, p), cfg), info.width, info.height)
                      for n, (p, info) in enumerate(zip(scan_paths, scan_infos), start=1)
                      if info is not None and info.width)
        item = Item(src, rec, sha, path, url, entry_id, rec.when if rec.date else self.now_when, published,
                    updated, key, lastmod, row, image, image_url, scans, scan_stats)
        self.items[src] = item
        return item

    def state_of(self, item: Item, current: bool) -> ItemState:
        return ItemState(item.sha, self.changed.get(item.src), item.published, item.path, item.key,
                         item.lastmod, item.row, item.entry_id, current, item.image.stat if item.image else None,
                         item.scan_stats)

    def terms(self, item: Item) -> tuple[list[Term], list[Term]]:
        assert self.catalog is not None
        return ([self.catalog.tags[t] for t in item.rec.tags],
                [self.catalog.categories[c] for c in item.rec.categories])
