"""A post as a feed entry, serialized once per build for every feed it is in.
Edge module (keeps serialized entries in the state database).

A post is in the site's feed, its language's and each of its tags' and
categories': its entry is made once, in every format of the registry that
one of those documents needs, and spliced into each. After an edit, the
neighbours of the edited post in the documents made again are taken as an
earlier build serialized them. A writer keeps an entry only until the last
document holding it is made (feed documents are made newest first, so a
post's documents come close together).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from . import i18n
from .config import Config
from .feeds import Enclosure, Entry, Format, Rendered, serialize
from .media import under
from .sources import Item, Scan, Sources, digest, joined
from .store import Database, unpickled
from .urls import absolute


def _esc(text: str) -> str:
    return str(Markup.escape(text))


def _scans_html(scans: Sequence[Scan], title: str, ui: i18n.Interface) -> str:
    """The original's scans as the post's page shows them, "Page N" in the entry's language."""
    figures = "".join(
        f'<figure><a href="{_esc(s.url)}"><img src="{_esc(s.url)}" '
        f'alt="{_esc(ui.gettext("Page %(number)s of the original of %(title)s") % {"number": s.number, "title": title})}" '
        f'width="{s.width}" height="{s.height}"></a>'
        f'<figcaption>{_esc(ui.gettext("Page %(number)s") % {"number": s.number})}</figcaption></figure>'
        for s in scans)
    return f"<section><h2>{_esc(ui.gettext('Scans of the original'))}</h2>{figures}</section>"


class FeedEntries:
    def __init__(self, config: Config, sources: Sources, formats: Sequence[Format], gen: str, now: datetime,
                 db: Database) -> None:
        self.config, self.sources, self.gen, self.now, self.db = config, sources, gen, now, db
        self.formats = formats
        self.current_formats = tuple(formats)
        self.archive_formats = tuple(f for f in formats if f.archives)
        self.cached = False  # look entries up in (and keep them in) the database: when few documents are made
        self.done: dict[str, Rendered] = {}
        self.uses: dict[str, int] = {}  # documents to make holding each entry, by content path
        self.prefix = urlsplit(config.site.base_url).path or "/"  # the site's path (site-wide files are under it)

    def key(self, it: Item, current: bool) -> str:
        """Names a serialized entry: the item's key names its content; `current`, its formats."""
        return joined([self.gen, it.key, "current" if current else ""])

    def rendered(self, it: Item, current: bool) -> Rendered:
        """The entry of `it` in the formats of the documents it is in (all of them
        when it is in some feed's current document, else those with archives)."""
        done = self.done.get(it.src)
        if done is not None:
            return done
        key = self.key(it, current)
        if self.cached:
            found = unpickled(self.db.get("entry:" + key))
            done = found if isinstance(found, Rendered) else None
        if done is None:
            done = serialize(self.entry(it), self.current_formats if current else self.archive_formats)
            if self.cached:
                self.db.put("entry:" + key, pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
        self.done[it.src] = done
        return done

    def forget(self, it_key: str, current: bool) -> None:
        """An entry no item has any more (its post changed): its row goes."""
        self.db.delete("entry:" + joined([self.gen, it_key, "current" if current else ""]))

    def used(self, chosen: list[Item]) -> None:
        """A document holding `chosen` was made: entries no other document needs are let go."""
        uses, done = self.uses, self.done
        for it in chosen:
            left = uses.get(it.src, 0) - 1
            uses[it.src] = left
            if left == 0:
                done.pop(it.src, None)

    def entry(self, it: Item) -> Entry:
        from . import render

        cfg = self.config
        src = self.sources
        p = src.shown(it.src)
        tags, cats = src.terms(it)
        # The words around the text in the entry's language, as its page has them
        # (the catalogs are part of every key: `gen`).
        ui = i18n.interface(i18n.interface_lang(p.lang, cfg.site.lang))
        prov = src.provenance(it.src, p, ui)
        # Each entry's footnotes get ids of their own: a document holds many entries.
        html = render.anchored(render.absolutize(under(src.html(it.src), self.prefix), it.url),
                               "n" + digest(it.entry_id)[:8] + "-")
        if p.content_warning:
            html = f"<p><strong>{_esc(ui.gettext('Content warning:'))}</strong> {_esc(p.content_warning)}</p>\n" + html
        if it.scans:  # (after the text, as on its page: the page's words, each file's absolute address)
            html += "\n" + _scans_html(it.scans, p.title, ui)
        if prov:
            html += "\n<p><em>" + _esc(" ".join(prov)) + "</em></p>"
        for iso, day, note in render.correction_lines(p, ui):
            # (The page's message: the catalogs' markup around the escaped day.)
            said = ui.gettext('Corrected on <time datetime="%(iso)s">%(day)s</time>:') % {"iso": _esc(iso), "day": _esc(day)}
            html += f"\n<p><strong>{said}</strong> {_esc(note)}</p>"
        source = p.source
        source_text = None
        if source and (source.publication or source.via or source.title):
            source_text = ", ".join(x for x in (source.title, source.publication, source.via) if x)
        strip = render.strip_forbidden
        return Entry(
            id=it.entry_id, title=strip(p.title), url=it.url, published=p.date or self.now, updated=it.updated,
            author=strip(p.author or cfg.site.title), lang=p.lang, summary=src.summary(it.src),
            content_html=strip(html), contributors=tuple(strip(t) for t in p.translators),
            categories=tuple((strip(t.name), absolute("/tag/", cfg)) for t in tags)
            + tuple((strip(c.name), absolute("/category/", cfg)) for c in cats),
            via=source.url if source else None, source=strip(source_text) if source_text else None,
            rights=strip(source.rights) if source and source.rights else None,
            enclosure=Enclosure(it.image_url, it.image.size, it.image.mime or "application/octet-stream")
            if it.image and it.image_url else None,
        )
