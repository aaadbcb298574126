"""Entries -> Atom 1.0, RSS 2.0 and JSON Feed 1.1 documents. Pure.

The formats are one registry (`FORMATS`): each says its file, media type,
whether it keeps archives, and how it writes an entry and a document. The
build makes every feed in every format of the registry, and links them from
the pages: adding a format is adding an entry.

Every date is given (never "now"), entries come sorted by the caller and are
written newest first, so the same content gives byte-identical feeds. A feed
holds the newest `per_doc` entries; older ones go to RFC 5005 archive
documents (Atom), fixed pages counted from the oldest, so an archive page
never changes once full and the whole history stays reachable from the feed
through `prev-archive` links.

feedgen's pitfalls (see feedcheck's README) are avoided here: an author is
always set, the self link is added first and is per format, dates are set
explicitly, entries are added oldest first.
"""

from __future__ import annotations

import functools
import html
import json
from json.encoder import encode_basestring as _json_str  # what dumps(ensure_ascii=False) uses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .xmlsafe import is_xml_safe, strip_forbidden

if TYPE_CHECKING:  # feedgen and lxml are imported when used: ordinary feeds are written without them
    from feedgen.entry import FeedEntry
    from feedgen.feed import FeedGenerator

FH_NS = "http://purl.org/syndication/history/1.0"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Entry:
    """One post as a feed entry; every text already safe, every URL absolute."""

    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    author: str
    lang: str
    summary: str
    content_html: str
    contributors: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (name, scheme: base_url + 'tag/' or 'category/')
    via: str | None = None  # source URL
    source: str | None = None  # where it comes from, in words (dc:source)
    rights: str | None = None
    enclosure: Enclosure | None = None


class Enclosure(NamedTuple):
    """A file an entry carries (its lead image): Atom's link rel="enclosure",
    RSS's <enclosure>, JSON Feed's "image"."""

    url: str  # absolute
    length: int  # bytes
    type: str  # media type


@dataclass(frozen=True)
class FeedInfo:
    """One logical feed: the site's, a tag's, a category's or a language's."""

    title: str
    subtitle: str
    home: str  # absolute URL of the page the feed follows
    base: str  # absolute URL of the folder the feed's files live in, ends with '/'
    lang: str
    author: str
    archives: bool = True
    stylesheet: str = ""  # the site path of the XSLT a browser shows the feed with (feed.xsl), if any


T = TypeVar("T")


@dataclass(frozen=True)
class Document(Generic[T]):
    """One feed document: the current one (number 0) or an archive page."""

    number: int  # 0 = current; 1.. = archive pages, oldest first
    entries: tuple[T, ...]  # newest first
    pages: int  # how many archive pages the feed has

    def name(self, ext: str = "atom") -> str:
        return f"feed.{ext}" if self.number == 0 else f"archive/{self.number}.atom"


def plan(entries: Sequence[T], per_doc: int, archives: bool = True) -> list[Document[T]]:
    """The documents of one feed. `entries` sorted oldest first."""
    current = list(entries[-per_doc:]) if entries else []
    older = list(entries[: max(0, len(entries) - per_doc)]) if archives else []
    pages = (len(older) + per_doc - 1) // per_doc
    docs = [Document(0, tuple(reversed(current)), pages)]
    for n in range(pages):
        chunk = older[n * per_doc:(n + 1) * per_doc]
        docs.append(Document(n + 1, tuple(reversed(chunk)), pages))
    return docs


def _utc(when: datetime) -> datetime:
    return when.astimezone(timezone.utc)


@functools.cache
def _link_attributes() -> type:
    """feedgen 1.0.0 writes entry links without rel, type and hreflang (a
    variable shadowed in FeedEntry.atom_entry), so a `via` link read as a
    second alternate link (invalid Atom): this extension puts the attributes back."""
    from feedgen.ext.base import BaseEntryExtension

    class _AtomLinkAttributes(BaseEntryExtension):  # type: ignore[misc]
        def __init__(self) -> None:
            self.links: list[dict[str, str]] = []

        def extend_atom(self, entry: Any) -> Any:
            for element, attrs in zip(entry.findall("link"), self.links):
                for key, value in attrs.items():
                    element.set(key, value)
            return entry

    return _AtomLinkAttributes


def _feed_entry(e: Entry) -> FeedEntry:
    from feedgen.entry import FeedEntry
    from feedgen.ext.dc import DcEntryExtension

    fe = FeedEntry()
    # register_extension, not load_extension: the latter retries a failing
    # import on every entry (a third of the time per entry, profiled).
    fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    fe.id(e.id)
    fe.guid(e.id, permalink=False)
    fe.title(strip_forbidden(e.title))
    fe.register_extension("links", _link_attributes(), atom=True, rss=False)
    links = [{"href": e.url, "rel": "alternate", "type": "text/html", "hreflang": e.lang}]
    if e.via:
        links.append({"href": e.via, "rel": "via"})
    if e.enclosure:  # (feedgen makes it RSS's <enclosure> too)
        links.append({"href": e.enclosure.url, "rel": "enclosure", "type": e.enclosure.type,
                      "length": str(e.enclosure.length)})
    for link in links:
        fe.link(**{k: v for k, v in link.items() if v})
    fe.links.links = [{k: v for k, v in link.items() if v and k != "href"} for link in links]
    fe.published(_utc(e.published))
    fe.updated(_utc(e.updated))
    fe.author({"name": e.author})
    for name in e.contributors:
        fe.contributor({"name": name})
    for name, scheme in e.categories:
        fe.category(term=name, scheme=scheme, label=name)
    # The summary is plain text; RSS's <description> holds HTML, and Atom's
    # plain-text summary must not look like markup (see _summary_html).
    if "<" in e.summary:
        fe.summary(_summary_html(e.summary), type="html")
    else:
        fe.summary(e.summary)
    fe.description(_summary_html(e.summary))
    fe.content(e.content_html, type="html")
    if e.rights:
        fe.rights(e.rights)
    fe.dc.dc_creator(e.author)
    for name in e.contributors:
        fe.dc.dc_contributor(name)
    if e.source or e.via:
        fe.dc.dc_source(e.via or e.source)
    return fe


@dataclass(frozen=True)
class Rendered:
    """One entry serialized once for each format, to be spliced into every
    feed document it belongs to (a post is in the site feed, its language's,
    and each of its tags' and categories')."""

    # The documents read only the entry's dates: the entry itself (its content
    # in every serialization already) is not kept (memory, 10,000 posts).
    published: datetime
    updated: datetime
    parts: dict[str, bytes]  # format name -> the entry in that format (UTF-8)


def serialize(e: Entry, formats: Sequence[Format]) -> Rendered:
    """`e` in each of `formats`."""
    return Rendered(e.published, e.updated, {f.name: f.entry(e) for f in formats})


@functools.lru_cache(maxsize=1)
def _xml(e: Entry) -> tuple[bytes, bytes]:
    """The Atom entry and RSS item of `e`, made together (they share their
    escaped texts) and kept for the format asking next."""
    return _direct_xml(e) or _feedgen_xml(e)


def _atom_entry(e: Entry) -> bytes:
    return _xml(e)[0]


def _rss_item(e: Entry) -> bytes:
    return _xml(e)[1]


def _json_entry(e: Entry) -> bytes:
    return _json_item(e).encode("utf-8")


def _feedgen_xml(e: Entry) -> tuple[bytes, bytes]:
    """The Atom entry and RSS item of `e`, made by feedgen and lxml: the
    reference `_direct_xml` is held to, and the way for unusual entries."""
    from lxml import etree

    fe = _feed_entry(e)
    a = fe.atom_entry()
    a.set(XML_LANG, e.lang)
    _text_as_html(a.find("title"))  # feedgen writes un-namespaced children
    r = fe.rss_entry()
    # RSS readers take an item's title for HTML: plain text is escaped for HTML first.
    r.find("title").text = _as_html(e.title)
    # The documents declare these namespaces once; lxml repeats them on a lone element.
    atom_xml = etree.tostring(a, pretty_print=True, encoding="UTF-8").replace(
        b' xmlns="http://www.w3.org/2005/Atom"', b"", 1)
    rss_xml = etree.tostring(r, pretty_print=True, encoding="UTF-8")
    for ns in (b' xmlns:dc="http://purl.org/dc/elements/1.1/"',
               b' xmlns:content="http://purl.org/rss/1.0/modules/content/"'):
        rss_xml = rss_xml.replace(ns, b"")
    # content:encoded by its conventional prefix, which readers look for (lxml names it ns0).
    rss_xml = rss_xml.replace(b'<ns0:encoded xmlns:ns0="http://purl.org/rss/1.0/modules/content/">',
                              b"<content:encoded>").replace(b"</ns0:encoded>", b"</content:encoded>")
    return atom_xml, rss_xml


# What `_direct_xml` leaves to feedgen: characters XML forbids (lxml refuses
# them), carriage returns (lxml writes them as references) and, in attribute
# values, tabs and newlines (the same).
_ODD_IN_TEXT = bytes(c for c in range(0x20) if c not in (0x09, 0x0A))
_ODD_IN_ATTR = bytes(range(0x20))
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _t(text: str) -> str:
    """Element text escaped as lxml escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _a(text: str) -> str:
    """An attribute value escaped as lxml escapes it (no control characters: see _ODD_IN_ATTR)."""
    return _t(text).replace('"', "&quot;")


def _rfc2822(when: datetime) -> str:
    """feedgen's formatRFC2822 (strftime in the C locale) of a UTC time, without
    switching locales or calling strftime (10 µs a call, profiled); %Y is not padded."""
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year} "
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} +0000")


def _as_html(text: str) -> str:
    """Plain text as HTML showing it (RSS titles and channel descriptions are read as HTML)."""
    return html.escape(text, quote=False)


def _summary_html(text: str) -> str:
    """A plain-text summary as the HTML that shows it: what RSS's
    <description> holds, and Atom's summary when the text holds a '<' (a
    post about HTML), which readers would otherwise take for a tag. Such a
    text is put in a paragraph: escaped tags alone ('&lt;p&gt;') are what
    double-escaped feeds look like, and readers and validators unescape
    them once more."""
    escaped = html.escape(text, quote=False)
    return f"<p>{escaped}</p>" if "<" in text else escaped


def _direct_xml(e: Entry) -> tuple[bytes, bytes] | None:
    """The same bytes as `_feedgen_xml(e)`, written directly (feedgen and lxml
    took a millisecond per entry, the largest part of making the feeds,
    profiled); None for an entry this does not cover (empty fields, control
    characters), which feedgen then makes. tests/test_feeds.py holds the two
    equal over generated hostile entries."""
    names = (e.title, e.author, *e.contributors, *(name for name, _ in e.categories))
    attrs = (e.url, e.lang, e.via or "", *(scheme for _, scheme in e.categories),
             *((e.enclosure.url, e.enclosure.type) if e.enclosure else ()))
    texts = (e.id, e.summary, e.content_html, e.source or "", e.rights or "")
    if (not (e.id and e.title and e.url and e.lang and e.author and e.summary and e.content_html)
            or not all(names) or not all(scheme for _, scheme in e.categories)
            or (e.enclosure is not None and not (e.enclosure.url and e.enclosure.type))
            or not is_xml_safe("".join((*names, *texts)), _ODD_IN_TEXT)
            or not is_xml_safe("".join((*names, *attrs)), _ODD_IN_ATTR)
            or e.published.tzinfo is None or e.updated.tzinfo is None):
        return None
    published, updated = _utc(e.published), _utc(e.updated)
    title = _t(e.title)
    summary = _t(e.summary)
    summary_html = _t(_summary_html(e.summary))
    content = _t(e.content_html)
    author = _t(e.author)
    contributors = [_t(c) for c in e.contributors]
    atom = [f'<entry xml:lang="{_a(e.lang)}">\n  <id>{_t(e.id)}</id>\n']
    if "<" in e.title:
        atom.append(f'  <title type="xhtml">\n    <div xmlns="{XHTML_NS}">{title}</div>\n  </title>\n')
    else:
        atom.append(f"  <title>{title}</title>\n")
    atom.append(f"  <updated>{updated.isoformat()}</updated>\n"
                f"  <author>\n    <name>{author}</name>\n  </author>\n"
                f'  <content type="html">{content}</content>\n'
                f'  <link href="{_a(e.url)}" rel="alternate" type="text/html" hreflang="{_a(e.lang)}"/>\n')
    if e.via:
        atom.append(f'  <link href="{_a(e.via)}" rel="via"/>\n')
    if e.enclosure:
        enc = e.enclosure
        atom.append(f'  <link href="{_a(enc.url)}" rel="enclosure" type="{_a(enc.type)}" length="{enc.length}"/>\n')
    if "<" in e.summary:
        atom.append(f'  <summary type="html">{summary_html}</summary>\n')
    else:
        atom.append(f"  <summary>{summary}</summary>\n")
    atom.extend(f'  <category term="{_a(n)}" scheme="{_a(s)}" label="{_a(n)}"/>\n' for n, s in e.categories)
    atom.extend(f"  <contributor>\n    <name>{c}</name>\n  </contributor>\n" for c in contributors)
    atom.append(f"  <published>{published.isoformat()}</published>\n")
    if e.rights:
        atom.append(f"  <rights>{_t(e.rights)}</rights>\n")
    atom.append("</entry>\n")
    rss = [f"<item>\n  <title>{_t(_as_html(e.title))}</title>\n  <link>{_t(e.url)}</link>\n"
           f"  <description>{summary_html}</description>\n"
           f"  <content:encoded>{content}</content:encoded>\n"
           f'  <guid isPermaLink="false">{_t(e.id)}</guid>\n']
    rss.extend(f'  <category domain="{_a(s)}">{_t(n)}</category>\n' for n, s in e.categories)
    if e.enclosure:
        enc = e.enclosure
        rss.append(f'  <enclosure url="{_a(enc.url)}" length="{enc.length}" type="{_a(enc.type)}"/>\n')
    rss.append(f"  <pubDate>{_rfc2822(published)}</pubDate>\n")
    rss.extend(f"  <dc:contributor>{c}</dc:contributor>\n" for c in contributors)
    rss.append(f"  <dc:creator>{author}</dc:creator>\n")
    if e.via or e.source:
        rss.append(f"  <dc:source>{_t(e.via or e.source or '')}</dc:source>\n")
    rss.append("</item>\n")
    return "".join(atom).encode("utf-8"), "".join(rss).encode("utf-8")


def _generator(info: FeedInfo, doc: Document[Rendered], fallback: datetime) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(info.base + "feed.atom")
    fg.title(strip_forbidden(info.title))
    fg.subtitle(strip_forbidden(info.subtitle or info.title))
    fg.author({"name": strip_forbidden(info.author)})
    fg.language(info.lang)
    fg.generator("gulagpub", uri=_GENERATOR)
    updated = _utc(max((r.updated for r in doc.entries), default=fallback))
    fg.updated(updated)
    fg.lastBuildDate(updated)
    if doc.entries:
        fg.pubDate(_utc(max(r.published for r in doc.entries)))
    return fg


def _text_as_html(el: Any) -> None:
    """A title whose text looks like markup ('<b>' as a tag name) is sent as
    XHTML holding that text, so no reader can take the text for markup."""
    if el is not None and el.text and "<" in el.text:
        from lxml import etree

        div = etree.SubElement(el, f"{{{XHTML_NS}}}div", nsmap={None: XHTML_NS})
        div.text, el.text = el.text, None
        el.set("type", "xhtml")


def _splice(head: bytes, closing: bytes, parts: list[bytes]) -> bytes:
    """The document `head` with the entries inserted before its `closing` tag."""
    at = head.rindex(closing)
    return b"".join([head[:at], *parts, head[at:]])  # (one copy of the entries, which are most of it)


_GENERATOR = "https://github.com/gulaganarchists/gulagpub"
_ATOM_TYPE = "application/atom+xml"


def _plain(info: FeedInfo) -> bool:
    """Whether `_direct_head` writes this feed's head: none of its texts empty,
    looking like markup (see _text_as_html) or holding what lxml refuses or
    writes as a reference; otherwise feedgen and lxml write it."""
    texts = (info.title, info.subtitle or info.title, info.author)
    return (all(texts) and all((info.lang, info.home, info.base)) and "<" not in texts[0] and "<" not in texts[1]
            and is_xml_safe("".join(texts), _ODD_IN_TEXT)
            and is_xml_safe(info.base + info.home + info.lang, _ODD_IN_ATTR))


def _direct_head(info: FeedInfo, doc: Document[Rendered], fallback: datetime, fmt: str) -> bytes:
    """The bytes feedgen and lxml write for the document without its entries
    (`_atom_head`, `_rss_head`), written directly for a `_plain` feed: they
    took a third of a millisecond per document (profiled). tests/test_feeds.py
    holds the two equal over generated hostile feeds."""
    updated = _utc(max((r.updated for r in doc.entries), default=fallback))
    title, subtitle = _t(info.title), _t(info.subtitle or info.title)
    if fmt == "rss":
        pub = (f"    <pubDate>{_rfc2822(_utc(max(r.published for r in doc.entries)))}</pubDate>\n"
               if doc.entries else "")
        return ("<?xml version='1.0' encoding='UTF-8'?>\n"
                '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n'
                f"  <channel>\n    <title>{_t(_as_html(info.title))}</title>\n    <link>{_t(info.home)}</link>\n"
                f"    <description>{_t(_as_html(info.subtitle or info.title))}</description>\n"
                f'    <atom:link href="{_a(info.base)}feed.rss" rel="self" type="application/rss+xml"/>\n'
                "    <docs>http://www.rssboard.org/rss-specification</docs>\n"
                f"    <generator>gulagpub</generator>\n    <language>{_t(info.lang)}</language>\n"
                f"    <lastBuildDate>{_rfc2822(updated)}</lastBuildDate>\n{pub}"
                "  </channel>\n</rss>\n").encode("utf-8")
    base = _a(info.base)
    links = [(f"{base}{doc.name()}", "self"), (_a(info.home), "alternate")]
    if doc.number:
        links.append((f"{base}feed.atom", "current"))
        if doc.number > 1:
            links.append((f"{base}archive/{doc.number - 1}.atom", "prev-archive"))
        if doc.number < doc.pages:
            links.append((f"{base}archive/{doc.number + 1}.atom", "next-archive"))
    elif doc.pages:
        links.append((f"{base}archive/{doc.pages}.atom", "prev-archive"))
    return ("<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{_a(info.lang)}">\n'
            f"  <id>{_t(info.base)}feed.atom</id>\n  <title>{title}</title>\n"
            f"  <updated>{updated.isoformat()}</updated>\n"
            f"  <author>\n    <name>{_t(info.author)}</name>\n  </author>\n"
            + "".join(f'  <link href="{href}" rel="{rel}" type="'
                      + ("text/html" if rel == "alternate" else _ATOM_TYPE) + '"/>\n' for href, rel in links)
            + f'  <generator uri="{_GENERATOR}">gulagpub</generator>\n  <subtitle>{subtitle}</subtitle>\n'
            + (f'  <fh:archive xmlns:fh="{FH_NS}"/>\n' if doc.number else "")
            + "</feed>\n").encode("utf-8")


def _with_stylesheet(head: bytes, info: FeedInfo) -> bytes:
    """The document with the processing instruction that has a browser show it
    through the site's XSLT (a page saying what a feed is); readers ignore it."""
    if not info.stylesheet:
        return head
    at = head.index(b"?>\n") + 3  # (after the XML declaration)
    return b"".join([head[:at], f'<?xml-stylesheet type="text/xsl" href="{_a(info.stylesheet)}"?>\n'.encode(),
                     head[at:]])


def atom(info: FeedInfo, doc: Document[Rendered], fallback: datetime) -> bytes:
    """The Atom document: the subscription feed, or an archive page."""
    head = _direct_head(info, doc, fallback, "atom") if _plain(info) else _atom_head(info, doc, fallback)
    head = _with_stylesheet(head, info)
    if not doc.entries:
        return head
    return _splice(head, b"</feed>", [r.parts["atom"] for r in doc.entries])


def _atom_head(info: FeedInfo, doc: Document[Rendered], fallback: datetime) -> bytes:
    """The Atom document without its entries, made by feedgen and lxml."""
    from lxml import etree

    fg = _generator(info, doc, fallback)
    fg.link(href=info.base + doc.name(), rel="self", type="application/atom+xml")
    fg.link(href=info.home, rel="alternate", type="text/html")
    if doc.number:
        fg.link(href=info.base + "feed.atom", rel="current", type="application/atom+xml")
        if doc.number > 1:
            fg.link(href=f"{info.base}archive/{doc.number - 1}.atom", rel="prev-archive",
                    type="application/atom+xml")
        if doc.number < doc.pages:
            fg.link(href=f"{info.base}archive/{doc.number + 1}.atom", rel="next-archive",
                    type="application/atom+xml")
    elif doc.pages:
        fg.link(href=f"{info.base}archive/{doc.pages}.atom", rel="prev-archive",
                type="application/atom+xml")
    feed, _ = fg._create_atom()  # the lxml tree, to add what feedgen cannot say
    _text_as_html(feed.find("title"))
    _text_as_html(feed.find("subtitle"))
    if doc.number:
        # RFC 5005: archive documents say so with fh:archive (feed metadata, before entries).
        feed.append(etree.Element(f"{{{FH_NS}}}archive", nsmap={"fh": FH_NS}))
    head = etree.tostring(feed, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    if head.rstrip().endswith(b"/>"):  # an empty <feed .../> cannot happen: id/title are set
        raise ValueError("feed without metadata")
    return head


def rss(info: FeedInfo, doc: Document[Rendered], fallback: datetime) -> bytes:
    head = _direct_head(info, doc, fallback, "rss") if _plain(info) else _rss_head(info, doc, fallback)
    head = _with_stylesheet(head, info)
    if not doc.entries:
        return head
    return _splice(head, b"</channel>", [r.parts["rss"] for r in doc.entries])


def _rss_head(info: FeedInfo, doc: Document[Rendered], fallback: datetime) -> bytes:
    """The RSS document without its items, made by feedgen and lxml."""
    fg = _generator(info, doc, fallback)
    fg.load_extension("dc", atom=False, rss=True)
    # The self link first: feedgen makes the last link the channel's <link>.
    fg.link(href=info.base + "feed.rss", rel="self", type="application/rss+xml")
    fg.link(href=info.home, rel="alternate", type="text/html")
    # RSS readers take the channel's title and description for HTML.
    fg.title(_as_html(strip_forbidden(info.title)))
    fg.subtitle(_as_html(strip_forbidden(info.subtitle or info.title)))
    # content:encoded in the items needs its namespace declared once.
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _rfc3339(when: datetime) -> str:
    """strftime("%Y-%m-%dT%H:%M:%SZ") of the UTC time, without strftime (10 µs a call, profiled)."""
    t = _utc(when)
    return f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def _json_item(e: Entry) -> str:
    """One entry as a JSON Feed item, dumped once for all the feeds it is in: the
    text json.dumps(item, ensure_ascii=False) makes of the dict below, written
    directly with json's own string encoder (dumps took twice as long, profiled):
    {"id", "url", "title", "content_html", "summary", "date_published",
    "date_modified", "authors": [{"name"}], "language", then "tags" when there
    are categories, "external_url" when there is a via link, "image" when it has a lead image}."""
    s = _json_str
    text = (f'{{"id": {s(e.id)}, "url": {s(e.url)}, "title": {s(strip_forbidden(e.title))}, '
            f'"content_html": {s(e.content_html)}, "summary": {s(e.summary)}, '
            f'"date_published": "{_rfc3339(e.published)}", "date_modified": "{_rfc3339(e.updated)}", '
            f'"authors": [{{"name": {s(e.author)}}}], "language": {s(e.lang)}')
    if e.categories:
        text += ', "tags": [' + ", ".join(s(name) for name, _ in e.categories) + "]"
    if e.via:
        text += ', "external_url": ' + s(e.via)
    if e.enclosure:
        text += ', "image": ' + s(e.enclosure.url)
    return text + "}"


def json_feed(info: FeedInfo, doc: Document[Rendered], fallback: datetime | None = None) -> bytes:
    """JSON Feed 1.1 (current document only; JSON Feed has no archives)."""
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": strip_forbidden(info.title),
        "home_page_url": info.home,
        "feed_url": info.base + "feed.json",
        "description": strip_forbidden(info.subtitle or info.title),
        "language": info.lang,
        "authors": [{"name": strip_forbidden(info.author)}],
        "items": [],
    }
    # No indent: json's C encoder only runs without one (5x faster, profiled).
    # The items were dumped once per entry (serialize) and are spliced in: the
    # same bytes as dumping the whole document, as "items" is its last key.
    head = json.dumps(data, ensure_ascii=False).encode("utf-8")
    assert head.endswith(b'"items": []}')
    return b"".join([head[:-2], b", ".join([r.parts["json"] for r in doc.entries]), b"]}\n"])


@dataclass(frozen=True)
class Format:
    """One feed format: where its documents go, what they are, how they are written."""

    name: str
    label: str  # how a page's link names it: "Site title (Atom)"
    media_type: str
    archives: bool  # older entries go to RFC 5005 archive documents (archive/N.EXT) in this format
    entry: Callable[[Entry], bytes]
    document: Callable[[FeedInfo, Document[Rendered], datetime], bytes]
    extension: str = ""  # of its files (default: the name)
    optional: str = ""  # the [feeds] setting that turns it off, if any

    @property
    def ext(self) -> str:
        return self.extension or self.name

    def file(self, doc: Document[Any]) -> str:
        """The document's file name within its feed's folder."""
        return f"feed.{self.ext}" if doc.number == 0 else f"archive/{doc.number}.{self.ext}"


FORMATS: tuple[Format, ...] = (
    Format("atom", "Atom", "application/atom+xml", True, _atom_entry, atom),
    Format("rss", "RSS", "application/rss+xml", False, _rss_item, rss),
    Format("json", "JSON Feed", "application/feed+json", False, _json_entry, json_feed, optional="json_feed"),
)
