"""Where an imported blog's media go, and its posts' links rewritten to them. Pure.

A WordPress blog keeps its files on the old site (`*.files.wordpress.com`,
or `/wp-content/uploads/` of a self-hosted one), and its posts link to them
and to each other by the old domain: both die with the old blog. `place`
decides, for every attachment of the export and every file of the old site
a post uses, the path of its copy in the repository:

- a file only one post uses (and, for an attachment, whose WordPress parent
  is that post or none) goes into that post's bundle, `posts/NAME/index.md`
  with the file beside it, by its own name;
- any other (used by several posts, by a page, attached to a post that does
  not use it, or used by none) goes to `media/`, under its upload path
  (`media/2012/05/letter.jpg`), the place for site-wide files.

`rewrite` turns a post's links into the copies (relative in its bundle,
`/media/...` otherwise; a link to an attachment's page on the old site, as
galleries have, to the file that page showed) and its links to other
imported posts into their new paths, whatever markup holds them (Markdown, inline HTML, an
autolink): one pass over the URLs of the old site in the text, so the
image in `<a href="FILE"><img src="FILE?w=300"></a>` and its link both come
home. WordPress.com's resizing query (`?w=300`) names the same file: the
copy is the original, and the build makes the sizes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from .wpmarkup import Attachment

# What a blog's uploads are, by the end of their name: images, sound, video, documents.
FILE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff",
                 ".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".opus",
                 ".mp4", ".m4v", ".mov", ".webm", ".ogv",
                 ".pdf", ".doc", ".docx", ".odt", ".rtf", ".epub", ".djvu", ".zip", ".txt")
# The query WordPress.com (and Jetpack's Photon) add to ask for a size of the same file.
_RESIZE = frozenset(("w", "h", "resize", "fit", "crop", "zoom", "quality", "strip", "ssl", "dpr"))
# A URL in Markdown or HTML text: up to a space, a quote, a bracket or an angle bracket.
_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s\"'<>()\[\]\\]*)?")
_TRAILING = ".,;:!?"
_UPLOAD_ROOTS = ("wp-content/uploads/", "files/")


@dataclass(frozen=True)
class OldSite:
    """The blog being left: its hosts (with and without `www.`) and the path it lived under."""

    hosts: frozenset[str]
    base_path: str

    @classmethod
    def of(cls, base_blog_url: str) -> OldSite:
        parts = urlsplit(base_blog_url.strip())
        host = parts.netloc.lower()
        bare = host.removeprefix("www.")
        return cls(frozenset(h for h in (host, bare, "www." + bare) if h), parts.path.rstrip("/"))

    def holds_file(self, url: str) -> bool:
        """True for a file kept on the old site (not a page of it, not another site's)."""
        parts = urlsplit(fetchable(url))
        host = parts.netloc.lower()
        if host.endswith(".files.wordpress.com"):
            return True
        return host in self.hosts and parts.path.lower().endswith(FILE_SUFFIXES)

    def page_path(self, url: str) -> str | None:
        """A URL of the old site as the key its page has in `Uses.links`: the
        path decoded, without the blog's base path, with its trailing slash
        (`/2012/05/01/letter/`), or `/?p=123`; None for another site's."""
        parts = urlsplit(html.unescape(url))
        if parts.netloc.lower() not in self.hosts:
            return None
        return page_key(parts.path, parts.query, self.base_path)


def page_key(path: str, query: str = "", base_path: str = "") -> str:
    """The one spelling of an old page's address that `page_path` compares."""
    path = re.sub(r"/{2,}", "/", unquote(path))
    if base_path and path.startswith(base_path):
        path = path[len(base_path):]
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    m = re.fullmatch(r"(p|page_id)=(\d+)", query)
    return f"/?{m.group(1)}={m.group(2)}" if m and path == "/" else path if not query else f"{path}?{query}"


def fetchable(url: str) -> str:
    """The URL to fetch a file at: entities read, `//host` as https, and
    without WordPress.com's resizing query (the original file)."""
    url = html.unescape(url.strip())
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.query:
        kept = "&".join(p for p in parts.query.split("&") if p.split("=", 1)[0].lower() not in _RESIZE)
        parts = parts._replace(query=kept)
    return urlunsplit(parts._replace(fragment=""))


def file_key(url: str) -> str:
    """One key for every spelling of a file's URL (http or https, escaped or not, resized)."""
    parts = urlsplit(fetchable(url))
    return f"{parts.netloc.lower()}{unquote(parts.path)}" + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Uses:
    """One imported document, as placing the media sees it."""

    wp_id: int
    path: str  # its content file as it would be written without media
    bundle: bool  # it may become a bundle (a post not pinned to a single file)
    body: str  # its Markdown, with the old site's URLs as WordPress wrote them
    new_path: str  # its page on the new site
    links: tuple[str, ...] = ()  # the page_key()s of its old addresses
    thumbnail: int = 0  # its featured image (postmeta _thumbnail_id): an attachment's id


@dataclass(frozen=True)
class Placed:
    """A file of the old site and where its copy lives in the repository."""

    url: str  # to fetch
    dest: str  # repository path: posts/NAME/FILE or media/YYYY/MM/FILE


@dataclass
class MediaPlan:
    files: dict[str, Placed] = field(default_factory=dict)  # file_key -> its copy
    bundles: dict[int, str] = field(default_factory=dict)  # wp_id -> posts/NAME/index.md, for a post with files
    pages: dict[str, str] = field(default_factory=dict)  # page_key of an old address -> new path
    thumbnails: dict[int, str] = field(default_factory=dict)  # wp_id -> file_key of its featured image
    # An attachment's page on the old site (a gallery's images link there) -> file_key of its file.
    attachment_pages: dict[str, str] = field(default_factory=dict)


def urls_in(text: str) -> list[str]:
    """The absolute URLs of a text (Markdown or HTML), as written."""
    return [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)] if "//" in text else []


def bundle_of(path: str) -> str:
    """posts/NAME.md -> posts/NAME/index.md (a bundle stays itself)."""
    return path if path.endswith("/index.md") else path.removesuffix(".md") + "/index.md"


def _safe_name(name: str) -> str:
    """A file name that needs no escaping in a Markdown link and cannot be
    taken for content (`.md`, `.yaml`) or for a hidden file."""
    stem, dot, ext = unquote(name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "file"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    if ext.lower() in ("md", "yaml", "yml"):
        ext += ".txt"
    return f"{stem}.{ext}" if ext else stem


def _unique(folder: str, name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 1
    path = folder + name
    while path.lower() in taken:
        n += 1
        path = f"{folder}{stem}-{n}" + (f".{ext}" if ext else "")
    taken.add(path.lower())
    return path


def _media_path(url: str) -> tuple[str, str]:
    """(folder under media/, name) for a site-wide file: its upload path
    (`2012/05/`), without WordPress's own roots (`wp-content/uploads/`)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    for root in _UPLOAD_ROOTS:
        if root in path:
            path = path.split(root, 1)[1]
            break
    *folders, name = path.split("/") if path else ["file"]
    folders = [re.sub(r"[^A-Za-z0-9_-]+", "-", f).strip("-") for f in folders]
    return "media/" + "".join(f + "/" for f in folders if f), _safe_name(name)


def place(site: OldSite, docs: Sequence[Uses], attachments: Mapping[int, Attachment]) -> MediaPlan:
    """Where every attachment and every old-site file the documents use goes."""
    plan = MediaPlan()
    by_id = {d.wp_id: d for d in docs}
    url_of: dict[str, str] = {}
    parent: dict[str, int] = {}
    users: dict[str, set[int]] = {}
    for a in sorted(attachments.values(), key=lambda a: a.id):
        key = file_key(a.url)
        url_of.setdefault(key, fetchable(a.url))
        parent.setdefault(key, a.parent)
        if a.page and (page := site.page_path(a.page)):
            plan.attachment_pages.setdefault(page, key)
    for d in docs:
        for link in d.links:
            plan.pages.setdefault(link, d.new_path)
        for url in urls_in(d.body):
            if site.holds_file(url) or file_key(url) in url_of:
                key = file_key(url)
                url_of.setdefault(key, fetchable(url))
                users.setdefault(key, set()).add(d.wp_id)
        thumb = attachments.get(d.thumbnail) if d.thumbnail else None
        if thumb is not None:
            key = file_key(thumb.url)
            users.setdefault(key, set()).add(d.wp_id)
            plan.thumbnails[d.wp_id] = key
    taken: set[str] = set()
    for key in sorted(url_of):
        holders = users.get(key, set()) | ({parent[key]} if parent.get(key) in by_id else set())
        owner = by_id[next(iter(holders))] if len(holders) == 1 else None
        if owner is not None and owner.bundle:
            index = bundle_of(owner.path)
            folder = index.removesuffix("index.md")
            taken.update((index.lower(), index.removesuffix(".md").lower() + ".comments.yaml"))
            dest = _unique(folder, _safe_name(urlsplit(url_of[key]).path.rsplit("/", 1)[-1]), taken)
            plan.bundles[owner.wp_id] = index
        else:
            folder, name = _media_path(url_of[key])
            dest = _unique(folder, name, taken)
        plan.files[key] = Placed(url_of[key], dest)
    return plan


def link_to(dest: str, path: str) -> str | None:
    """How the content file `path` names the repository file `dest`: by its
    name in its own bundle, as /media/... when site-wide; None when it cannot
    (another post's bundle)."""
    if dest.startswith("media/"):
        return "/" + dest
    folder = path.removesuffix("index.md") if path.endswith("/index.md") else None
    return dest[len(folder):] if folder and dest.startswith(folder) else None


def rewrite(site: OldSite, text: str, path: str, plan: MediaPlan, present: Mapping[str, str]) -> str:
    """`text` (of the content file `path`) with each URL of a file whose copy
    is `present` (file_key -> repository path) made a link to the copy, and
    each link to an imported post's old address made its new path. Anything
    else stays as it is (a file that could not be fetched stays on the old
    site, where a later import can still fetch it)."""
    def one(m: re.Match[str]) -> str:
        whole = m.group(0)
        url = whole.rstrip(_TRAILING)
        rest = whole[len(url):]
        key = file_key(url)
        if key in present:
            local = link_to(present[key], path)
            if local is not None:
                return local + rest
        if not site.hosts & {urlsplit(html.unescape(url)).netloc.lower()}:
            return whole
        base, _, fragment = url.partition("#")
        page = site.page_path(base) or ""
        new = plan.pages.get(page)
        if new is None and plan.attachment_pages.get(page) in present:  # the page that showed a file: the file
            new, fragment = link_to(present[plan.attachment_pages[page]], path), ""
        return (new + (f"#{fragment}" if fragment else "") + rest) if new else whole

    return _URL.sub(one, text) if "//" in text else text
