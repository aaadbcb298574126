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
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

from .config import Config, Member
from .errors import ImportFailed
from .model import Kind, Post, State, content_digest, is_valid_slug
from .urls import path_of
from .wpmarkup import to_markdown, to_text

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
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _int(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() else 0


def _line_of(data: bytes, needle: bytes) -> int:
    pos = data.find(needle)
    return data.count(b"\n", 0, pos) + 1 if pos >= 0 else 0


def _item(el: Element) -> WpItem:
    f = _children(el)
    terms = []
    comments = []
    old_slugs = []
    for child in el:
        q = _qname(child.tag)
        if q == "category":
            domain = child.get("domain", "category")
            terms.append(WpTerm(domain, child.get("nicename", ""), html.unescape((child.text or "").strip())))
        elif q == "wp:comment":
            c = _children(child)
            comments.append(WpComment(
                id=_int(c.get("wp:comment_id", "")),
                author=html.unescape(c.get("wp:comment_author", "").strip()),
                date=_wp_date(c.get("wp:comment_date_gmt", "")),
                date_local=_wp_date(c.get("wp:comment_date", "")),
                content=c.get("wp:comment_content", ""),
                approved=c.get("wp:comment_approved", "").strip(),
                type=c.get("wp:comment_type", "").strip(),
                parent=_int(c.get("wp:comment_parent", "")),
            ))
        elif q == "wp:postmeta":
            m = _children(child)
            if m.get("wp:meta_key", "").strip() == "_wp_old_slug" and m.get("wp:meta_value", "").strip():
                old_slugs.append(unquote(m["wp:meta_value"].strip()))
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
    )


def parse_export(data: bytes, name: str, *, max_bytes: int = MAX_EXPORT_BYTES,
                 progress: Progress | None = None) -> Export:
    """Read a WXR export. Raises ImportFailed naming the file (and line) for
    anything that is not a well-formed, harmless WordPress export."""
    if len(data) > max_bytes:
        raise ImportFailed(
            f"{name}: the export is {len(data):,} bytes, more than the {max_bytes:,} this import "
            "accepts; WordPress can export one post type or one date range at a time "
            "(Tools > Export), import the parts one after the other"
        )
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
                        display_name=html.unescape(a.get("wp:author_display_name", "").strip()),
                    ))
                elif "sticky" in q:  # a list of sticky post ids, where an exporter writes one
                    sticky.update(int(x) for x in re.findall(r"\d+", _text(el)))
                elif len(el) == 0:
                    channel.setdefault(q, (el.text or "").strip())
                el.clear()
    except ParseError as exc:
        line = exc.position[0] if exc.position else 0
        reason = str(exc).split(":")[0]
        raise ImportFailed(
            f"{name}:{line}: not well-formed XML ({reason}); the export is damaged or incomplete "
            "(a broken CDATA section or a cut-off download): export it again from WordPress"
        ) from exc
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


@dataclass
class Mapped:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (URL, attached to)
    notes: list[str] = field(default_factory=list)  # about the export as a whole
    comments_skipped: int = 0
    unknown_authors: list[str] = field(default_factory=list)


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


def safe_slug(text: str) -> str:
    """Letters (any script), digits and hyphens: what is_valid_slug accepts."""
    slug = re.sub(r"[\W_]+", "-", text.lower()).strip("-")
    return slug[:80].strip("-")


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


def to_documents(export: Export, config: Config, *, include_private: bool = False,
                 taken: frozenset[str] = frozenset(), progress: Progress | None = None) -> Mapped:
    """Map a parsed export to the posts and pages to write. `taken`: slugs
    already used by content that did not come from this export."""
    out = Mapped()
    fallback = site_offset(export.items)
    tz = config.site.tz
    base_path = urlsplit(export.base_blog_url).path.rstrip("/")
    authors = {a.login: a for a in export.authors}
    author_names: dict[str, str] = {}
    unknown: set[str] = set()
    for login in sorted({it.creator for it in export.items if it.creator}):
        member = match_author(authors.get(login), login, config.team)
        if member is not None:
            author_names[login] = member.name
        else:
            a = authors.get(login)
            author_names[login] = (a.display_name if a and a.display_name else login)
            unknown.add(author_names[login])
    out.unknown_authors = sorted(unknown)
    used: set[str] = set(taken)
    guids: Counter[str] = Counter(it.guid for it in export.items if it.post_type in ("post", "page"))
    lang = None
    export_lang = export.language.split("-")[0].lower()
    if export_lang and export_lang != config.site.lang.split("-")[0].lower():
        lang = export.language
    contents = [it for it in export.items if it.post_type in ("post", "page")]
    for it in export.items:
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
        what = f"{it.post_type} {it.wp_id} '{to_text(it.title)}'"
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
        title = to_text(it.title)
        if not title:
            title = "Untitled"
            notes.append("had no title: titled 'Untitled'")
        slug = it.name
        if not slug:
            slug = safe_slug(title) or f"{it.post_type}-{it.wp_id}"
        elif not is_valid_slug(slug):
            new = safe_slug(slug) or safe_slug(title) or f"{it.post_type}-{it.wp_id}"
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
        converted = to_markdown(it.content)
        notes.extend(converted.notes)
        tags = tuple(dict.fromkeys(t.name for t in it.terms if t.domain == "post_tag" and t.name))
        cats = tuple(dict.fromkeys(t.name for t in it.terms if t.domain == "category" and t.name))
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
        aliases = [p for p in dict.fromkeys(old_paths) if p != new_path
                   and not any(c in p for c in " \"'<>\\")]
        redirects: list[tuple[str, str]] = []
        if state == State.PUBLISHED:
            query = "page_id" if kind == Kind.PAGE else "p"
            redirects.append((f"/?{query}={it.wp_id}", new_path))
            redirects.extend((a, new_path) for a in aliases)
        meta: dict[str, Any] = {"title": title}
        guid = it.guid
        if guid and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", guid):
            if guids[guid] > 1:
                notes.append(f"GUID {guid} is shared with another item: feed readers may merge them")
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
            entry["text"] = to_markdown(c.content).markdown.strip()
            comments.append(entry)
        out.documents.append(Document(
            path=path, kind=kind, meta=meta, body=converted.markdown, item=it, new_path=new_path,
            redirects=redirects, comments=comments, notes=notes, media=converted.media,
        ))
    return out
