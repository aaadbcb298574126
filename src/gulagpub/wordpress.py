"""WordPress eXtended RSS (WXR) exports: parsing, and mapping to our content model.

Pure: `parse_export` takes the export's bytes (and its name, for messages);
`to_documents` maps the parsed export to the files gulagpub keeps, given the
site's settings. Nothing here reads or writes files.

The XML is read with defusedxml's streaming parser, with DTDs forbidden:
WordPress never writes one, and every entity-expansion ("billion laughs")
and external-entity (XXE) attack needs one, so such a file is refused
before anything is expanded or fetched. Items are cleared as they are read,
so memory stays bounded by the largest item, not the file.

Namespaces are matched on what they are, not their exact URI: WXR 1.0-1.2
exports use http:// or https://wordpress.org/export/VERSION/.
"""

from __future__ import annotations

import html
import html.entities
import io
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

from . import slugs
from .config import Config, Member
from .errors import ImportFailed
from .model import Kind, Post, State, content_digest, is_valid_slug
from .urls import entry_id, path_of
from .wpmarkup import Attachment, Context, embed_titles, fix_c1, footnote_texts, to_markdown, to_text

MAX_EXPORT_BYTES = 512 * 1024 * 1024  # far above any blog's export; refuses a runaway file

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class WpAuthor:
    login: str
    email: str  # used only to match the team; never written to the repository
    display_name: str


@dataclass(frozen=True)
class WpComment:
    id: int
    author: str
    date: datetime | None  # naive, GMT
    date_local: datetime | None  # naive, the site's time
    content: str
    approved: str  # '1' approved, '0' waiting, 'spam', 'trash'
    type: str  # '' or 'comment', 'pingback', 'trackback'
    parent: int


@dataclass(frozen=True)
class WpTerm:
    domain: str  # 'category', 'post_tag', 'post_format', ...
    nicename: str
    name: str


@dataclass(frozen=True)
class WpItem:
    wp_id: int
    post_type: str
    status: str
    title: str
    link: str
    guid: str
    creator: str
    content: str
    excerpt: str
    date_gmt: datetime | None  # naive
    date_local: datetime | None  # naive, the site's time
    name: str  # post_name, percent-decoded
    parent: int
    password: str
    is_sticky: bool
    terms: tuple[WpTerm, ...] = ()
    comments: tuple[WpComment, ...] = ()
    attachment_url: str = ""
    old_slugs: tuple[str, ...] = ()  # postmeta _wp_old_slug: WordPress redirected these
    menu_order: int = 0  # a page's place in WordPress's page order (and menus built from it)
    image_alt: str = ""  # an attachment's alternative text (postmeta _wp_attachment_image_alt)
    oembeds: tuple[str, ...] = ()  # postmeta _oembed_*: the HTML WordPress cached for each embed
    footnotes: str = ""  # postmeta footnotes: the block editor's footnotes (JSON)
    thumbnail: int = 0  # postmeta _thumbnail_id: the attachment that is its featured image


@dataclass(frozen=True)
class Export:
    name: str  # the export file, for messages
    title: str
    link: str
    base_blog_url: str
    wxr_version: str
    language: str
    authors: tuple[WpAuthor, ...]
    items: tuple[WpItem, ...]
    sticky_ids: frozenset[int] = frozenset()
    warnings: tuple[str, ...] = ()  # what was wrong with the file and how it was read anyway


@lru_cache(maxsize=64)
def _prefix(uri: str) -> str:
    """A namespace URI as the prefix WordPress uses for it, whatever its
    scheme or WXR version."""
    if re.match(r"^https?://wordpress\.org/export/[\d.]+/excerpt/?$", uri):
        return "excerpt"
    if re.match(r"^https?://wordpress\.org/export/[\d.]+/?$", uri):
        return "wp"
    if re.match(r"^https?://purl\.org/rss/1\.0/modules/content/?$", uri):
        return "content"
    if re.match(r"^https?://purl\.org/dc/elements/1\.1/?$", uri):
        return "dc"
    return uri


@lru_cache(maxsize=512)
def _qname(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{_prefix(uri)}:{local}"
    return tag


def _text(el: Element | None) -> str:
    return (el.text or "") if el is not None else ""


def _children(el: Element) -> dict[str, str]:
    """Text of the first child of each name (later ones do not override)."""
    out: dict[str, str] = {}
    for child in el:
        out.setdefault(_qname(child.tag), child.text or "")
    return out


def _wp_date(value: str) -> datetime | None:
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:  # '2012-10-20 14:32:00': what WordPress writes, and what fromisoformat reads (fast)
        return datetime.fromisoformat(value[:19]) if len(value) >= 19 and value[10] == " " else None
    except ValueError:
        return None


def _int(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() else 0


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _line_of(data: bytes, needle: bytes) -> int:
    pos = data.find(needle)
    return data.count(b"\n", 0, pos) + 1 if pos >= 0 else 0


def _item(el: Element) -> WpItem:
    f = _children(el)
    terms = []
    comments = []
    old_slugs = []
    oembeds: list[str] = []
    alt = footnotes = ""
    thumbnail = 0
    for child in el:
        q = _qname(child.tag)
        if q == "category":
            domain = child.get("domain", "category")
            terms.append(WpTerm(domain, child.get("nicename", ""), html.unescape((child.text or "").strip())))
        elif q == "wp:comment":
            c = _children(child)
            comments.append(WpComment(
                id=_int(c.get("wp:comment_id", "")),
                author=fix_c1(html.unescape(c.get("wp:comment_author", "").strip())),
                date=_wp_date(c.get("wp:comment_date_gmt", "")),
                date_local=_wp_date(c.get("wp:comment_date", "")),
                content=c.get("wp:comment_content", ""),
                approved=c.get("wp:comment_approved", "").strip(),
                type=c.get("wp:comment_type", "").strip(),
                parent=_int(c.get("wp:comment_parent", "")),
            ))
        elif q == "wp:postmeta":
            m = _children(child)
            key, value = m.get("wp:meta_key", "").strip(), m.get("wp:meta_value", "").strip()
            if key == "_wp_old_slug" and value:
                old_slugs.append(unquote(value))
            elif key == "_wp_attachment_image_alt":
                alt = value
            elif key == "footnotes":
                footnotes = value
            elif key == "_thumbnail_id":
                thumbnail = _int(value)
            elif key.startswith("_oembed_") and not key.startswith("_oembed_time_") and value.startswith("<"):
                oembeds.append(value)
    return WpItem(
        wp_id=_int(f.get("wp:post_id", "")),
        post_type=f.get("wp:post_type", "").strip(),
        status=f.get("wp:status", "").strip(),
        title=f.get("title", ""),
        link=f.get("link", "").strip(),
        guid=f.get("guid", "").strip(),
        creator=f.get("dc:creator", "").strip(" \t\n<>"),
        content=f.get("content:encoded", ""),
        excerpt=f.get("excerpt:encoded", ""),
        date_gmt=_wp_date(f.get("wp:post_date_gmt", "")),
        date_local=_wp_date(f.get("wp:post_date", "")),
        name=unquote(f.get("wp:post_name", "").strip()),
        parent=_int(f.get("wp:post_parent", "")),
        password=f.get("wp:post_password", ""),
        is_sticky=f.get("wp:is_sticky", "").strip() == "1",
        terms=tuple(terms),
        comments=tuple(comments),
        attachment_url=f.get("wp:attachment_url", "").strip(),
        old_slugs=tuple(old_slugs),
        menu_order=_int(f.get("wp:menu_order", "")),
        image_alt=alt,
        oembeds=tuple(oembeds),
        footnotes=footnotes,
        thumbnail=thumbnail,
    )


# The namespaces WordPress exports use, by the prefix they are written with.
# WordPress.com exports of 2010-2015 wrote <atom:link> in the channel without
# declaring `atom:`, and exporters and plugins have dropped others: a file
# using one of these prefixes undeclared is read with it declared, and warned of.
COMMON_NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "wp": "http://wordpress.org/export/1.2/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "georss": "http://www.georss.org/georss",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "media": "http://search.yahoo.com/mrss/",
}
# C0 controls XML 1.0 forbids (all but tab, LF, CR): old posts pasted from word
# processors hold them, and some WordPress versions export them as they are.
_C0 = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_ENTITY_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_XML_ENTITIES = frozenset((b"amp", b"lt", b"gt", b"quot", b"apos"))


def _root_tag_end(data: bytes) -> int:
    """The offset just after the root element's name (`<rss`), or -1."""
    m = re.search(rb"<(?![?!])[A-Za-z_][\w.-]*", data[:65536])
    return m.end() if m else -1


def _declare_prefixes(data: bytes) -> tuple[bytes, str] | None:
    """`data` with each common prefix it uses but never declares declared on
    its root element (no line moves); None when there is none to declare."""
    at = _root_tag_end(data)
    if at < 0:
        return None
    close = data.find(b">", at)
    root_tag = data[at:close]
    version = re.search(rb"<wp:wxr_version>\s*(?:<!\[CDATA\[)?\s*([\d.]+)", data)
    added: list[str] = []
    declarations = []
    for prefix, uri in COMMON_NAMESPACES.items():
        if re.search(rb"xmlns:" + prefix.encode() + rb"\s*=", root_tag):
            continue
        used = re.search(rb"</?" + prefix.encode() + rb":[A-Za-z]", data)
        if used is None:
            continue
        if prefix in ("wp", "excerpt") and version:
            uri = uri.replace("1.2", version.group(1).decode())
        declarations.append(f' xmlns:{prefix}="{uri}"'.encode())
        added.append(f"'{prefix}:' (first used at line {_line_at(data, used.start())})")
    if not declarations:
        return None
    return data[:at] + b"".join(declarations) + data[at:], (
        "namespace prefix(es) used without a declaration, as WordPress.com exports of 2010-2015 "
        f"do: {', '.join(added)}; read as WordPress means them")


def _drop_controls(data: bytes) -> tuple[bytes, str] | None:
    """`data` without the C0 control characters XML forbids; None when it has none."""
    kept = data.translate(None, _C0)
    if len(kept) == len(data):
        return None
    first = min(i for i in (data.find(bytes([c])) for c in _C0) if i >= 0)
    return kept, (f"{len(data) - len(kept)} control character(s) that XML does not allow (first at "
                  f"line {_line_at(data, first)}) were dropped")


def _known_entities(data: bytes) -> tuple[bytes, str] | None:
    """`data` with HTML's named character references (`&nbsp;`, which XML does
    not define) written as numbers, and names HTML does not know either
    (`&hl;`) kept as text (`&amp;hl;`); None when there are none."""
    unknown: Counter[str] = Counter()
    named = 0

    def one(m: re.Match[bytes]) -> bytes:
        nonlocal named
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        code = html.entities.name2codepoint.get(name.decode("ascii"))
        if code is not None:
            named += 1
            return b"&#%d;" % code
        unknown[name.decode("ascii")] += 1
        return b"&amp;" + name + b";"

    fixed = _ENTITY_REF.sub(one, data)
    if fixed == data:
        return None
    parts = []
    if named:
        parts.append(f"{named} HTML entity reference(s) XML does not define (&nbsp;...) read as the characters they name")
    if unknown:
        parts.append("unknown entity reference(s) kept as text: " + ", ".join(
            f"&{n}; ({c}x)" for n, c in unknown.most_common()))
    return fixed, "; ".join(parts)


# expat's reason for refusing a file -> the repair that mends it.
REPAIRS: dict[str, Callable[[bytes], tuple[bytes, str] | None]] = {
    "unbound prefix": _declare_prefixes,
    "not well-formed (invalid token)": _drop_controls,
    "undefined entity": _known_entities,
}


def _line_text(data: bytes, line: int) -> str:
    lines = data.split(b"\n", line)
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    return text.decode("utf-8", "replace").strip()[:80]


def _parse_failure(exc: ParseError, data: bytes, name: str) -> ImportFailed:
    """What is wrong with a file expat refused, where, and what to do: a new
    export only when one would help (a cut-off download), an edit otherwise."""
    line, col = exc.position if exc.position else (0, 0)
    reason = str(exc).split(":")[0]
    at = f"{name}:{line}"
    last_line = data.rstrip().count(b"\n") + 1
    if reason in ("no element found", "unclosed token") or (line >= last_line and reason != "junk after document element"):
        return ImportFailed(
            f"{at}: the file ends before the export does ({reason} at its last line): the download "
            "or copy was cut off. Download the export again from WordPress (Tools > Export) and "
            "import the new file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        bad_line = data.count(b"\n", 0, bad.start) + 1
        return ImportFailed(
            f"{name}:{bad_line}: bytes that are not UTF-8 ({data[bad.start:bad.start + 4]!r}): the file "
            "was saved in another encoding after WordPress wrote it (WordPress writes UTF-8). Open it "
            "in an editor that can save it as UTF-8, or import the file WordPress downloaded")
    if reason == "unbound prefix":
        m = re.match(r"\s*</?([\w.-]+):", _line_text(data, line)[max(col - 1, 0):] or "")
        prefix = m.group(1) if m else "?"
        return ImportFailed(
            f"{at}: the element uses the namespace prefix '{prefix}:', which the file never declares "
            f"and which is not one of WordPress's; add xmlns:{prefix}=\"...\" to the <rss> tag at the "
            "top of the file, or delete the element, and import again")
    return ImportFailed(
        f"{at}:{col + 1}: not well-formed XML ({reason}) in `{_line_text(data, line)}`. WordPress does "
        "not write this (it splits ']]>' inside a CDATA section, for one), so the file was changed "
        "after the export: correct that line in a text editor, or export it again from WordPress if "
        "you have not edited it")


def parse_export(data: bytes, name: str, *, max_bytes: int = MAX_EXPORT_BYTES,
                 progress: Progress | None = None) -> Export:
    """Read a WXR export. Raises ImportFailed naming the file (and line) for
    anything that is not a well-formed, harmless WordPress export; what
    real exports get wrong in known ways (undeclared prefixes, control
    characters, HTML entities) is repaired, each with a warning, and only
    when the file as it is cannot be read (a file that reads costs nothing)."""
    if len(data) > max_bytes:
        raise ImportFailed(
            f"{name}: the export is {len(data):,} bytes, more than the {max_bytes:,} this import "
            "accepts; WordPress can export one post type or one date range at a time "
            "(Tools > Export), import the parts one after the other"
        )
    warnings: list[str] = []
    repairs = dict(REPAIRS)
    while True:
        try:
            return replace(_read(data, name, progress), warnings=tuple(warnings))
        except ParseError as exc:
            # Each repair mends all of its kind at once: none applies twice.
            repair = repairs.pop(str(exc).split(":")[0], None)
            repaired = repair(data) if repair is not None else None
            if repaired is None:
                raise _parse_failure(exc, data, name) from exc
            data, said = repaired
            warnings.append(said)


def _read(data: bytes, name: str, progress: Progress | None) -> Export:
    stack: list[str] = []
    channel: dict[str, str] = {}
    authors: list[WpAuthor] = []
    items: list[WpItem] = []
    sticky: set[int] = set()
    source = io.BytesIO(data)
    try:
        for event, el in iterparse(source, events=("start", "end"), forbid_dtd=True,
                                   forbid_entities=True, forbid_external=True):
            if event == "start":
                stack.append(_qname(el.tag))
                continue
            q = stack.pop()
            depth = len(stack)
            if q == "item" and depth == 2:
                items.append(_item(el))
                el.clear()
                if progress and len(items) % 500 == 0:
                    progress("reading", source.tell(), len(data))
            elif depth == 2 and stack[-1] == "channel":
                if q == "wp:author":
                    a = _children(el)
                    authors.append(WpAuthor(
                        login=html.unescape(a.get("wp:author_login", "").strip()),
                        email=a.get("wp:author_email", "").strip(),
                        display_name=fix_c1(html.unescape(a.get("wp:author_display_name", "").strip())),
                    ))
                elif "sticky" in q:  # a list of sticky post ids, where an exporter writes one
                    sticky.update(int(x) for x in re.findall(r"\d+", _text(el)))
                elif len(el) == 0:
                    channel.setdefault(q, (el.text or "").strip())
                el.clear()
    except defusedxml.DTDForbidden as exc:
        raise ImportFailed(
            f"{name}:{_line_of(data, b'<!DOCTYPE')}: the file declares a DTD (<!DOCTYPE>), which "
            "WordPress exports never do; it is refused because a DTD can expand entities without "
            "bound or read local files (XXE). Export the site again from WordPress"
        ) from exc
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise ImportFailed(
            f"{name}:{_line_of(data, b'<!ENTITY')}: the file declares XML entities, which WordPress "
            "exports never do; refused as possibly hostile. Export the site again from WordPress"
        ) from exc
    if progress:
        progress("reading", len(data), len(data))
    if not channel.get("wp:wxr_version"):
        raise ImportFailed(
            f"{name}: not a WordPress export (no <wp:wxr_version> in the channel); in WordPress, "
            "use Tools > Export > All content and import the file it downloads"
        )
    for it in items:
        if it.is_sticky:
            sticky.add(it.wp_id)
    return Export(
        name=name,
        title=html.unescape(channel.get("title", "")),
        link=channel.get("link", ""),
        base_blog_url=channel.get("wp:base_blog_url", "") or channel.get("link", ""),
        wxr_version=channel.get("wp:wxr_version", ""),
        language=channel.get("language", ""),
        authors=tuple(authors),
        items=tuple(items),
        sticky_ids=frozenset(sticky),
    )


# --- mapping to our model -------------------------------------------------

STATES = {
    "publish": State.PUBLISHED,
    "draft": State.DRAFT,
    "pending": State.REVIEW,
    "future": State.APPROVED,
}
PRIVATE = ("private", "trash")


@dataclass
class Document:
    """One file to write, in our model, and what to tell a person about it."""

    path: str
    kind: Kind
    meta: dict[str, Any]
    body: str
    item: WpItem
    new_path: str  # its path on the new site
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (old URL path, new path)
    comments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnknownAuthor:
    """A WordPress author no team member matches."""

    login: str
    name: str  # what their posts' `author` says
    email: str  # from the export, to suggest the command that adds them; never written
    posts: int


@dataclass
class Mapped:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (URL, attached to)
    notes: list[str] = field(default_factory=list)  # about the export as a whole
    comments_skipped: int = 0
    unknown_authors: list[str] = field(default_factory=list)
    authors: list[UnknownAuthor] = field(default_factory=list)  # the unknown ones, in detail
    shortcodes: Counter[str] = field(default_factory=Counter)  # kept as text, by name
    shortcode_files: dict[str, list[str]] = field(default_factory=dict)
    uploads: dict[int, Attachment] = field(default_factory=dict)  # the export's attachments, by id


def site_offset(items: tuple[WpItem, ...]) -> timedelta | None:
    """The site's usual UTC offset, from the items that have both times."""
    offsets = Counter(
        it.date_local - it.date_gmt for it in items
        if it.date_local is not None and it.date_gmt is not None
        and abs(it.date_local - it.date_gmt) <= timedelta(hours=14)
    )
    return offsets.most_common(1)[0][0] if offsets else None


def item_date(gmt: datetime | None, local: datetime | None, fallback: timedelta | None,
              tz: tzinfo) -> datetime | None:
    """An aware date in the site's own offset: from the GMT time when there is
    one, else the local time read in the export's usual offset (or `tz`)."""
    if gmt is not None:
        offset = (local - gmt) if local is not None and abs(local - gmt) <= timedelta(hours=14) else fallback
        zone = timezone(offset) if offset is not None else timezone.utc
        return gmt.replace(tzinfo=timezone.utc).astimezone(zone)
    if local is not None:
        return local.replace(tzinfo=timezone(fallback) if fallback is not None else tz)
    return None


def match_author(author: WpAuthor | None, login: str, team: tuple[Member, ...]) -> Member | None:
    keys = {login.lower()}
    if author is not None:
        keys |= {author.display_name.lower(), author.email.lower()}
    keys.discard("")
    for m in team:
        if m.email.lower() in keys or m.name.lower() in keys or (m.github and m.github.lower() in keys):
            return m
    return None


def _site_path(url: str, base_path: str) -> str | None:
    """An old URL as a path of the site ('/2012/10/20/slug/'); None for
    query links (?p=123), which only a server's redirect map can catch."""
    parts = urlsplit(url)
    if parts.query or not parts.path:
        return None
    path = re.sub(r"/{2,}", "/", parts.path)
    if base_path and path.startswith(base_path):
        path = path[len(base_path):] or "/"
    if not path.startswith("/"):
        path = "/" + path
    if path == "/" or any(c in path for c in " \"'<>\\") or ".." in path.split("/"):
        return None
    return path


def read_author_map(text: str, name: str) -> dict[str, str]:
    """An authors file: one `LOGIN = EMAIL` (or `LOGIN,EMAIL`) a line; blank
    lines and `#` comments are skipped. Raises ImportFailed naming the line."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([^=,\s]+)\s*[=,]\s*(\S+@\S+)", line)
        if not m:
            raise ImportFailed(f"{name}:{n}: {line!r} is not `LOGIN = EMAIL` (a WordPress login, then "
                               "the e-mail of a team member in gulagpub.toml)")
        out[m.group(1)] = m.group(2)
    return out


def map_authors(export: Export, config: Config, author_map: Mapping[str, str]) -> tuple[dict[str, str], list[UnknownAuthor], list[str]]:
    """Each WordPress login's name in our posts: the team member it maps to
    (`author_map`: login -> e-mail, else by the export's login, e-mail or
    display name), else its display name, reported. Also notes about the
    mapping itself (a login the export does not have)."""
    authors = {a.login: a for a in export.authors}
    by_email = {m.email.lower(): m for m in config.team}
    names: dict[str, str] = {}
    notes: list[str] = []
    for login, email in author_map.items():
        if email.lower() not in by_email:
            raise ImportFailed(
                f"--map-author {login}={email}: nobody in gulagpub.toml's team has that e-mail; add them "
                f"first (gulagpub team add \"NAME\" {email} --role translator) or correct the e-mail")
    posts = Counter(it.creator for it in export.items if it.creator and it.post_type in ("post", "page"))
    for login in author_map:
        if login not in posts:
            notes.append(f"--map-author {login}: no post or page of the export has that login as its author")
    unknown: list[UnknownAuthor] = []
    for login in sorted(set(posts) | {it.creator for it in export.items if it.creator}):
        a = authors.get(login)
        member = by_email.get(author_map[login].lower()) if login in author_map else \
            match_author(a, login, config.team)
        if member is not None:
            names[login] = member.name
            continue
        names[login] = a.display_name if a and a.display_name else login
        if posts[login]:
            unknown.append(UnknownAuthor(login=login, name=names[login], email=a.email if a else "",
                                         posts=posts[login]))
    return names, unknown, notes


def to_documents(export: Export, config: Config, *, include_private: bool = False,
                 taken: frozenset[str] = frozenset(), taken_ids: frozenset[str] = frozenset(),
                 author_map: Mapping[str, str] | None = None,
                 progress: Progress | None = None) -> Mapped:
    """Map a parsed export to the posts and pages to write. `taken`: slugs
    (and `taken_ids`: feed ids) already used by content that did not come
    from this export; `author_map`: WordPress login -> a team member's e-mail."""
    out = Mapped()
    out.notes.extend(export.warnings)
    fallback = site_offset(export.items)
    tz = config.site.tz
    base_path = urlsplit(export.base_blog_url).path.rstrip("/")
    author_names, out.authors, author_notes = map_authors(export, config, author_map or {})
    out.notes.extend(author_notes)
    out.unknown_authors = sorted({a.name for a in out.authors})
    used: set[str] = set(taken)
    attachments = out.uploads = {it.wp_id: Attachment(
        id=it.wp_id, url=it.attachment_url, title=to_text(it.title), caption=to_text(it.excerpt),
        alt=to_text(it.image_alt), parent=it.parent, menu_order=it.menu_order, page=it.link)
        for it in export.items if it.post_type == "attachment" and it.attachment_url}
    fresh_ids: dict[int, str] = {}  # position in out.documents -> the id it gets if its GUID is taken
    lang = None
    export_lang = export.language.split("-")[0].lower()
    if export_lang and export_lang != config.site.lang.split("-")[0].lower():
        lang = export.language
    contents = [it for it in export.items if it.post_type in ("post", "page")]
    for it in export.items:
        if it.post_type in ("post", "page"):
            continue
        what = f"{it.post_type or 'item'} {it.wp_id} '{to_text(it.title)}'"
        if it.post_type == "attachment":
            if it.attachment_url:
                out.attachments.append((it.attachment_url, f"{it.parent}" if it.parent else ""))
            continue
        if it.post_type == "nav_menu_item":
            out.skipped.append((what, "navigation menu entry: menus are not content; rebuild the menu in the site's templates"))
            continue
        if it.post_type not in ("post", "page"):
            out.skipped.append((what, f"post type '{it.post_type}' is not imported (only posts, pages and attachments are)"))
            continue
    done = 0
    for it in contents:
        done += 1
        if progress and (done % 250 == 0 or done == len(contents)):
            progress("converting", done, len(contents))
        title = to_text(it.title)
        what = f"{it.post_type} {it.wp_id} '{title}'"
        notes: list[str] = []
        if it.status in PRIVATE:
            if not include_private:
                out.skipped.append((what, f"status '{it.status}': left out (import with --include-private to keep it as a draft)"))
                continue
            state = State.DRAFT
            notes.append(f"was '{it.status}' on WordPress: imported as a draft")
        elif it.status in STATES:
            state = STATES[it.status]
        else:
            out.skipped.append((what, f"status '{it.status}' is not a post's state (autosave or revision)"))
            continue
        if it.password.strip():
            state = State.DRAFT
            notes.append("was password-protected on WordPress: imported as a draft so it is not published openly")
        kind = Kind.PAGE if it.post_type == "page" else Kind.POST
        if not title:
            title = "Untitled"
            notes.append("had no title: titled 'Untitled'")
        slug = it.name
        if not slug:
            slug = slugs.slug(title) or f"{it.post_type}-{it.wp_id}"
        elif not is_valid_slug(slug):
            new = slugs.slug(slug) or slugs.slug(title) or f"{it.post_type}-{it.wp_id}"
            notes.append(f"WordPress slug {slug!r} is not a valid slug here: using {new!r}")
            slug = new
        if slug in used:
            n = 2
            while f"{slug}-{n}" in used:
                n += 1
            notes.append(f"slug {slug!r} is taken: using '{slug}-{n}'")
            slug = f"{slug}-{n}"
        used.add(slug)
        date = item_date(it.date_gmt, it.date_local, fallback, tz)
        if kind == Kind.PAGE:
            path = f"pages/{slug}.md"
        elif date is not None:
            path = f"posts/{date.astimezone(tz).strftime('%Y-%m-%d')}-{slug}.md"
        else:
            path = f"posts/{slug}.md"
        name = path.rsplit("/", 1)[1][:-3]
        ctx = Context(post_id=it.wp_id, attachments=attachments, embed_titles=embed_titles(it.oembeds),
                      footnotes=footnote_texts(it.footnotes))
        converted = to_markdown(it.content, ctx)
        notes.extend(converted.notes)
        for code, n in converted.shortcodes.items():
            out.shortcodes[code] += n
            out.shortcode_files.setdefault(code, []).append(path)
        tags = tuple(dict.fromkeys(fix_c1(t.name) for t in it.terms if t.domain == "post_tag" and t.name))
        cats = tuple(dict.fromkeys(fix_c1(t.name) for t in it.terms if t.domain == "category" and t.name))
        probe = Post(path=path, kind=kind, name=name, slug=slug, title=title, state=state,
                     lang=lang or config.site.lang, body="", date=date)
        new_path = path_of(probe, config)
        old_paths = []
        link_path = _site_path(it.link, base_path)
        if link_path:
            old_paths.append(link_path)
        if link_path and it.name and f"/{it.name}/" in link_path:
            # WordPress redirects a post's former slugs (postmeta _wp_old_slug): keep them working.
            old_paths.extend(link_path.replace(f"/{it.name}/", f"/{old}/") for old in it.old_slugs)
        # Compared decoded: '/2012/%d0%b0/' (WordPress writes lower-case
        # escapes) is the page '/2012/%D0%B0/' itself, not a redirect to it.
        aliases = [p for p in dict.fromkeys(old_paths) if unquote(p) != unquote(new_path)
                   and not any(c in p for c in " \"'<>\\")]
        redirects: list[tuple[str, str]] = []
        if state == State.PUBLISHED:
            query = "page_id" if kind == Kind.PAGE else "p"
            redirects.append((f"/?{query}={it.wp_id}", new_path))
            redirects.extend((a, new_path) for a in aliases)
        meta: dict[str, Any] = {"title": title}
        guid = it.guid
        fresh_ids[len(out.documents)] = entry_id(probe, config)
        if guid and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", guid):
            meta["id"] = guid
        else:
            notes.append(f"GUID {guid!r} is not a URI: the post gets a new feed id")
        meta["slug"] = slug
        meta["state"] = state.value
        if it.creator:
            meta["author"] = author_names.get(it.creator, it.creator)
        if date is not None:
            meta["date"] = date
        elif state in (State.PUBLISHED, State.APPROVED):
            notes.append("has no date in the export")
        if lang:
            meta["lang"] = lang
        for what, names, most in (("tags", tags, config.limits.tags), ("categories", cats, config.limits.categories)):
            long = [n for n in names if len(n) > config.limits.tag_length]
            if long:
                notes.append(f"{len(long)} of its {what} longer than {config.limits.tag_length} characters "
                             "left out ([limits] tag_length)")
            if len(names) - len(long) > most:
                notes.append(f"had {len(names) - len(long)} {what}: the first {most} kept ([limits] {what})")
        tags = tuple(n for n in tags if len(n) <= config.limits.tag_length)[:config.limits.tags]
        cats = tuple(n for n in cats if len(n) <= config.limits.tag_length)[:config.limits.categories]
        if tags:
            meta["tags"] = list(tags)
        if cats:
            meta["categories"] = list(cats)
        summary = to_text(it.excerpt)
        if summary:
            meta["summary"] = summary
        if aliases:
            meta["aliases"] = aliases
        if kind == Kind.POST and it.wp_id in export.sticky_ids:
            meta["sticky"] = True
        meta["import"] = {"from": "wordpress", "site": export.base_blog_url, "wp_id": it.wp_id,
                          "guid": it.guid, "link": it.link}
        if kind == Kind.PAGE:
            # WordPress's page order and parent, for the site's menu (the
            # navigation issue, #16, reads them; nothing else does yet).
            meta["import"]["menu_order"] = it.menu_order
            if it.parent:
                meta["import"]["parent"] = it.parent
        if state == State.APPROVED:
            # Scheduled on WordPress: approved there, by its own editors. The
            # approval holds for this content only (see workflow.tally).
            meta["import"]["approved_content"] = content_digest(meta, converted.markdown)
        comments = []
        for c in it.comments:
            if c.approved != "1":
                out.comments_skipped += 1
                continue
            entry: dict[str, Any] = {"id": c.id, "author": c.author or "Anonymous"}
            when = item_date(c.date, c.date_local, fallback, tz)
            if when is not None:
                entry["date"] = when
            if c.parent:
                entry["parent"] = c.parent
            if c.type and c.type != "comment":
                entry["type"] = c.type
            entry["text"] = to_markdown(c.content, Context(post_id=it.wp_id)).markdown.strip()
            comments.append(entry)
        out.documents.append(Document(
            path=path, kind=kind, meta=meta, body=converted.markdown, item=it, new_path=new_path,
            redirects=redirects, comments=comments, notes=notes, media=converted.media,
        ))
    _unique_ids(out, fresh_ids, taken_ids)
    _unique_redirects(out)
    for doc in out.documents:
        if "approved_content" in doc.meta["import"]:  # its aliases may have changed
            doc.meta["import"]["approved_content"] = content_digest(doc.meta, doc.body)
    for code, n in out.shortcodes.most_common():
        files = list(dict.fromkeys(out.shortcode_files[code]))
        out.notes.append(
            f"shortcode [{code}] kept as text {n} time(s) in {len(files)} file(s) ("
            + ", ".join(files[:5]) + (", ..." if len(files) > 5 else "")
            + "): nothing here draws it; rewrite those passages by hand")
    return out


def _unique_ids(out: Mapped, fresh_ids: dict[int, str], taken_ids: frozenset[str]) -> None:
    """One feed id per post: of posts sharing a GUID (duplicated by a plugin,
    or two WordPress items with one GUID), the earliest keeps it and each
    later one gets `fresh_ids`' id; its GUID stays in `import.guid`."""
    order = sorted(range(len(out.documents)), key=lambda i: (
        out.documents[i].meta.get("date") is None,
        out.documents[i].meta["date"].timestamp() if out.documents[i].meta.get("date") is not None else 0, i))
    owner: dict[str, Document | None] = {i: None for i in taken_ids}
    for i in order:
        doc = out.documents[i]
        guid = doc.meta.get("id")
        if guid is None:
            continue
        if guid not in owner:
            owner[guid] = doc
            continue
        first = owner[guid]
        doc.meta = {k: (fresh_ids[i] if k == "id" else v) for k, v in doc.meta.items()}
        if first is None:
            why = "a file already in the repository has it as its id"
        else:
            why = f"{first.path} (earlier) has it too"
            first.notes.append(f"GUID {guid} is shared with {doc.path}, which got a new feed id")
        doc.notes.append(f"GUID {guid} is not unique ({why}): this post's feed id is {fresh_ids[i]}; "
                         "the GUID stays in import.guid")
        out.notes.append(f"GUID {guid} shared by {first.path if first else 'a file in the repository'} "
                         f"and {doc.path}: the later gets the new feed id {fresh_ids[i]}")


def _unique_redirects(out: Mapped) -> None:
    """Each old path redirects to one post: a path that is another post's
    page, or that an earlier post already redirects, is dropped from the
    later one and reported with both."""
    owner: dict[str, Document] = {unquote(d.new_path): d for d in out.documents}
    for doc in out.documents:
        aliases = doc.meta.get("aliases")
        if not aliases:
            continue
        keep = []
        for alias in aliases:
            key = unquote(alias)
            first = owner.get(key)
            if first is None or first is doc:
                owner[key] = doc
                keep.append(alias)
                continue
            what = "is the page of" if unquote(first.new_path) == key else "already redirects to"
            note = (f"old path {alias} {what} {first.path} and was also {doc.path}'s: it stays with "
                    f"{first.path}; link to {doc.new_path} where {doc.path} was meant")
            doc.notes.append(note)
            out.notes.append(note)
            doc.redirects = [r for r in doc.redirects if r[0] != alias]
        if keep:
            doc.meta["aliases"] = keep
        else:
            del doc.meta["aliases"]
