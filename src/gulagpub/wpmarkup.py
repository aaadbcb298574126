"""WordPress post markup -> clean Markdown. Pure: text in, text and notes out.

WordPress stores a post body as HTML with three quirks that a plain HTML
converter gets wrong: classic-editor content has no <p> tags (WordPress adds
them on display with `wpautop`, so blank lines are paragraphs), shortcodes
like [caption] stand for markup, and embeds (iframes, videos) have no
Markdown form. `to_markdown` applies wpautop semantics first, handles the
common shortcodes, converts with markdownify, keeps what Markdown cannot say
(complex tables, superscripts...) as inline HTML, turns embeds into links,
drops scripts, and returns a note for everything a person should look at.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Comment
from markdownify import MarkdownConverter

# The block elements of WordPress's wpautop (wp-includes/formatting.php).
_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
    r"form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|"
    r"article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
_BLOCK_OPEN = re.compile(r"(<" + _ALLBLOCKS + r"[\s/>])", re.I)
_BLOCK_CLOSE = re.compile(r"(</" + _ALLBLOCKS + r">)", re.I)
_TAG = re.compile(r"<[^<>]*>")


def wpautop(text: str) -> str:
    """WordPress's wpautop: blank lines become paragraphs, single newlines
    <br />, except around block elements and inside <pre>."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    if "<" not in text:
        return _autop_plain(text)
    return _autop_tags(text)


_EMPTY_P = re.compile(r"<p>\s*</p>")
_NEWLINE = re.compile(r"(?<!<br />)\s*\n")
_BR_AFTER_P = re.compile(r"(</?p>)\s*<br />")
_BR_BEFORE_P = re.compile(r"<br />(\s*</?p>)")


def _autop_plain(text: str) -> str:
    """_autop_tags for a text without tags (most comments, many classic
    posts): the steps that change such a text, a tenth of the regex work
    (tests hold the two equal)."""
    text = re.sub(r"\n\n+", "\n\n", text)
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in re.split(r"\n\s*\n", text) if p)
    text = _EMPTY_P.sub("", text)
    text = _NEWLINE.sub("<br />\n", text)
    text = _BR_AFTER_P.sub(r"\1", text)
    text = _BR_BEFORE_P.sub(r"\1", text)
    return text[:-5] + "</p>" if text.endswith("\n</p>") else text


def _autop_tags(text: str) -> str:
    pres: dict[str, str] = {}
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        out = []
        for i, part in enumerate(parts):
            start = part.find("<pre")
            if start == -1:
                out.append(part)
                continue
            key = f"<pre wp-pre-tag-{i}></pre>"
            pres[key] = part[start:] + "</pre>"
            out.append(part[:start] + key)
        text = "".join(out) + last
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _BLOCK_OPEN.sub(r"\n\n\1", text)
    text = _BLOCK_CLOSE.sub(r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = _TAG.sub(lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<(script|style|svg|math).*?</\1>",
                  lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text, flags=re.S)
    text = re.sub(r"<br\s*/?>", "<br />", text)
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for key, value in pres.items():
        text = text.replace(key, value)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


# Shortcodes of WordPress core and WordPress.com that we render. Other
# [bracketed words] are prose ("[sic]", "[presumably Kirovabad]"), as on
# WordPress itself, unless they look like a shortcode a plugin rendered
# (see _OTHER): those are kept as text and reported by name.
_EMBED_CODES = {"embed", "youtube", "vimeo", "soundcloud", "dailymotion", "ted", "flickr",
                "googlemaps", "googlevideo", "wpvideo", "videopress", "scribd", "slideshare",
                "twitter", "tweet", "instagram", "spotify", "audio", "video"}
_CODE_CODES = {"code", "sourcecode", "source"}
_KEPT_CODES = {"playlist", "contact-form", "contact_form", "archives", "polldaddy",
               "crowdsignal", "slideshow", "recipe", "portfolio", "testimonials", "blog-posts",
               "instagram-gallery", "jetpack_subscription_form", "wpforms", "gravityform"}
_SHORTCODES = {"caption", "wp_caption", "gallery"} | _EMBED_CODES | _CODE_CODES | _KEPT_CODES
_NAMES = "|".join(sorted((re.escape(n) for n in _SHORTCODES), key=len, reverse=True))
_ENCLOSED = re.compile(r"\[(" + _NAMES + r")(?![\w-])([^\]]*)\](.*?)\[/\1\]", re.S)
_SINGLE = re.compile(r"\[(" + _NAMES + r")(?![\w-])([^\]]*?)/?\]")
# A plugin's shortcode: a lower-case name with attributes (`[poll id="3"]`,
# `[wufoo=x]`), or with its closing tag. A bare `[sic]` stays prose.
_OTHER = re.compile(r"\[([a-z][a-z0-9_-]{1,40})(?:(\s+[\w-]+\s*=[^\]]*|=[^\]]+)\]|\](?=.*?\[/\1\]))", re.S)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*'([^']*)'|([\w-]+)\s*=\s*([^\s'"]+)|"([^"]*)"|(\S+)""")


def shortcode_attrs(text: str) -> dict[str, str]:
    """`a="1" b='2' c=3 http://x` -> {'a': '1', 'b': '2', 'c': '3', '0': 'http://x'};
    WordPress.com's `=URL` form (`[youtube=URL]`) -> {'0': 'URL'}."""
    text = html.unescape(text.replace("\u201d", '"').replace("\u2033", '"'))  # curly quotes from wptexturize
    if text.startswith("="):
        return {"0": text[1:].strip()}
    attrs: dict[str, str] = {}
    positional = 0
    for m in _ATTR.finditer(text):
        if m.group(1):
            attrs[m.group(1).lower()] = m.group(2)
        elif m.group(3):
            attrs[m.group(3).lower()] = m.group(4)
        elif m.group(5):
            attrs[m.group(5).lower()] = m.group(6)
        else:
            attrs[str(positional)] = m.group(7) if m.group(7) is not None else m.group(8)
            positional += 1
    return attrs


@dataclass(frozen=True)
class Attachment:
    """A media file of the export (an `attachment` item), as a gallery shows it."""

    id: int
    url: str
    title: str = ""
    caption: str = ""
    alt: str = ""
    parent: int = 0
    menu_order: int = 0
    page: str = ""  # its attachment page on the old site (the item's link), which shows the file


def _same_url(url: str) -> str:
    return url


@dataclass(frozen=True)
class Context:
    """What a post's markup refers to outside itself: the export's media
    (for [gallery]), the titles WordPress cached for its embeds, and where
    a media file will live (`media_url`, the old URL as it is until the
    media download, issue #14, maps it to the copy it keeps)."""

    post_id: int = 0
    attachments: Mapping[int, Attachment] = field(default_factory=dict)
    embed_titles: Mapping[str, str] = field(default_factory=dict)  # video_key(url) -> title
    media_url: Callable[[str], str] = _same_url
    footnotes: Mapping[str, str] = field(default_factory=dict)  # block-editor footnotes: id -> HTML text


def footnote_texts(raw: str) -> dict[str, str]:
    """The block editor's footnotes (postmeta `footnotes`: a JSON list of
    {"id", "content"}) by id; {} for anything else."""
    import json

    try:
        found = json.loads(raw) if raw.strip() else []
    except ValueError:
        return {}
    if not isinstance(found, list):
        return {}
    return {str(f["id"]): str(f.get("content") or "") for f in found
            if isinstance(f, dict) and isinstance(f.get("id"), str)}


# Footnotes, as WordPress writes them: the block editor's (a numbered <sup>
# whose text is kept in postmeta, shown by the core/footnotes block) and the
# anchors that Word and LibreOffice paste (`#_ftn1` in the text, `#_ftnref1`
# before the note at the end; `_edn` for endnotes). Both become Markdown
# footnotes: in the text a marker (private-use characters, which no export
# holds), replaced by `[^N]` once the text is Markdown.
_BLOCK_NOTE = re.compile(r'<sup\b[^>]*\bdata-fn="([^"]+)"[^>]*>.*?</sup>|<a\b[^>]*\bdata-fn="([^"]+)"[^>]*>\*</a>',
                         re.S | re.I)
_PASTED_REF = re.compile(r'(?:<sup>\s*)?<a\b[^>]*\bhref="#_(ftn|edn)(\d+)"[^>]*>.*?</a>(?:\s*</sup>)?', re.S | re.I)
_PASTED_NOTE = re.compile(
    r'<p\b[^>]*>\s*(?:<[a-z]+[^>]*>\s*)*<a\b[^>]*\bhref="#_(ftn|edn)ref(\d+)"[^>]*>.*?</a>(.*?)</p>', re.S | re.I)
_NOTES_BLOCK = re.compile(r"<!--\s*/?wp:footnotes\b.*?-->", re.S)
_MARK = "\ue000{}\ue001"
_MARKED = re.compile("\ue000(\\d+)\ue001")


def take_footnotes(text: str, ctx: Context, notes: list[str]) -> tuple[str, list[str]]:
    """`text` with its footnotes' references replaced by markers, and the
    notes' texts (HTML) in the order of their markers."""
    texts: list[str] = []
    if "data-fn" in text:
        def block(m: re.Match[str]) -> str:
            key = m.group(1) or m.group(2)
            if key not in ctx.footnotes:
                notes.append(f"footnote {key} has no text in the export (postmeta 'footnotes'): kept as its number")
                return f"<sup>{_TAG.sub('', m.group(0))}</sup>"
            texts.append(ctx.footnotes[key])
            return _MARK.format(len(texts))

        text = _NOTES_BLOCK.sub("", _BLOCK_NOTE.sub(block, text))
    if "#_ftn" in text or "#_edn" in text:
        pasted: dict[tuple[str, str], str] = {}

        def note(m: re.Match[str]) -> str:
            body = re.sub(r"^\s*(?:</[a-z]+>\s*)*", "", m.group(3))
            pasted[(m.group(1).lower(), m.group(2))] = body.strip()
            return ""

        text = _PASTED_NOTE.sub(note, text)
        found = 0

        def ref(m: re.Match[str]) -> str:
            nonlocal found
            key = (m.group(1).lower(), m.group(2))
            if key not in pasted:
                return m.group(0)
            found += 1
            texts.append(pasted.pop(key))
            return _MARK.format(len(texts))

        text = _PASTED_REF.sub(ref, text)
        for kind, n in pasted:
            notes.append(f"{'end' if kind == 'edn' else 'foot'}note {n} is not referred to in the text: left out")
        if found:
            notes.append(f"{found} pasted footnote(s) (#_ftn/#_edn anchors) made Markdown footnotes")
    if texts:  # the rule and the empty blocks the notes stood in, at the end
        text = re.sub(r"<div\b[^>]*>\s*</div>", "", text)
        text = re.sub(r"(?:\s|<br\s*/?>|<p>\s*</p>)*<hr\b[^>]*>(?:\s|<br\s*/?>|<p>\s*</p>)*$", "", text)
    return text, texts


_PROVIDERS = (
    (re.compile(r"^(?:https?:)?//(?:www\.|m\.)?(?:youtube(?:-nocookie)?\.com/(?:watch\?(?:.*&)?v=|embed/|v/|shorts/)|youtu\.be/)([\w-]{6,})"),
     "youtube", "YouTube", "https://www.youtube.com/watch?v={}"),
    (re.compile(r"^(?:https?:)?//(?:www\.|player\.)?vimeo\.com/(?:video/|channels/[\w-]+/)?(\d+)"),
     "vimeo", "Vimeo", "https://vimeo.com/{}"),
    (re.compile(r"^(?:https?:)?//(?:www\.)?dailymotion\.com/(?:embed/)?video/(\w+)"),
     "dailymotion", "Dailymotion", "https://www.dailymotion.com/video/{}"),
    (re.compile(r"^(?:https?:)?//video\.google\.com/(?:googleplayer\.swf|videoplay)\?(?:.*&)?doc[iI]d=(-?\d+)"),
     "googlevideo", "Google Video", "http://video.google.com/videoplay?docid={}"),
    (re.compile(r"^(?:https?:)?//(?:www\.)?(?:videopress\.com/(?:v|embed)/|video\.wordpress\.com/(?:v|embed)/)(\w+)"),
     "videopress", "VideoPress", "https://videopress.com/v/{}"),
)
# Sites WordPress embeds from a URL alone on its line (its oEmbed providers).
_OEMBED_HOSTS = re.compile(
    r"^https?://(?:www\.|m\.)?(?:youtube\.com/watch|youtu\.be/|vimeo\.com/\d|dailymotion\.com/video/|"
    r"soundcloud\.com/|twitter\.com/\w+/status|x\.com/\w+/status|flickr\.com/photos/|flic\.kr/|"
    r"slideshare\.net/|ted\.com/talks/|open\.spotify\.com/|instagram\.com/p/|wordpress\.tv/|"
    r"videopress\.com/v/|scribd\.com/doc|archive\.org/details/|mixcloud\.com/|issuu\.com/)", re.I)
_AUDIO = (".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".opus")
_IMAGE = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff")


def video_key(url: str) -> str:
    """One key for every form of a video's URL (watch page, embed player,
    short link): 'youtube:ID'; other URLs are their own key."""
    url = html.unescape(url.strip())
    for pattern, provider, _, _ in _PROVIDERS:
        m = pattern.match(url)
        if m:
            return f"{provider}:{m.group(1)}"
    return url.split("#", 1)[0]


def embed_titles(cached: tuple[str, ...]) -> dict[str, str]:
    """The titles in the HTML WordPress cached for a post's embeds (postmeta
    `_oembed_*`: `<iframe title="..." src="...">`), by video_key of the source."""
    titles: dict[str, str] = {}
    for snippet in cached:
        src = re.search(r"""\bsrc=["']([^"']+)""", snippet)
        title = re.search(r"""\btitle=["']([^"']+)""", snippet)
        if src and title:
            titles.setdefault(video_key(src.group(1)), html.unescape(title.group(1)).strip())
    return titles


def _provider(url: str) -> tuple[str, str, str]:
    """(provider slug, its name, the URL a reader opens) for an embed URL."""
    for pattern, provider, label, page in _PROVIDERS:
        m = pattern.match(url)
        if m:
            return provider, label, page.format(m.group(1))
    host = re.sub(r"^(?:https?:)?//(?:www\.)?([^/:?#]+).*$", r"\1", url)
    if url.lower().split("?")[0].endswith(_AUDIO):
        return "audio", "Audio", url
    return re.sub(r"\W+", "-", host.split(".")[-2] if "." in host else host).lower() or "link", host, url


_VIDEO_SITES = ("youtube", "vimeo", "dailymotion", "googlevideo", "videopress")
_FILES = _AUDIO + (".mp4", ".m4v", ".mov", ".webm", ".ogv")


def embed_figure(url: str, ctx: Context, notes: list[str], media: list[str], *,
                 kind: str = "", title: str = "", caption: str = "") -> str:
    """An embed (a video, a sound, a tweet) as a figure holding a link to it
    and its title: no third-party player, script or frame on our pages.
    `caption` is HTML (a block embed's own caption)."""
    url = html.unescape(url.strip())
    if url.startswith("//"):
        url = "https:" + url
    provider, label, page = _provider(url)
    title = title or ctx.embed_titles.get(video_key(url), "")
    path = url.lower().split("?")[0]
    if path.endswith(_FILES):  # a sound or video file of the old site: one of the media to keep
        media.append(url)
        page = ctx.media_url(url)
        what = "Audio" if kind == "audio" or path.endswith(_AUDIO) else "Video"
        text = title or f"{what}: {page.rsplit('/', 1)[-1] or page}"
    elif title:
        text = title
        caption = caption or (f"Video on {label}" if provider in _VIDEO_SITES else html.escape(label))
    else:
        text = f"Video on {label}" if provider in _VIDEO_SITES else page
    if provider == "googlevideo":
        caption = caption or "Google Video closed in 2012: the link may no longer play"
    notes.append(f"embed {page} shown as a link titled '{title}'" if title else
                 f"embed {page} shown as a link (the export has no title for it: add one if it helps)")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure class="embed"><p><a href="{html.escape(page, quote=True)}">'
            f"{html.escape(text, quote=False)}</a></p>{cap}</figure>")


def _gallery(attrs: dict[str, str], ctx: Context, notes: list[str], media: list[str]) -> str | None:
    """[gallery]: its images, each linking to the file, in WordPress's order
    (`ids`/`include` as listed, else the post's attachments by menu order)."""
    def ids(key: str) -> list[int]:
        return [int(x) for x in re.findall(r"\d+", attrs.get(key, ""))]

    chosen = ids("ids") or ids("include")
    if chosen:
        images = [ctx.attachments[i] for i in chosen if i in ctx.attachments]
    else:
        parent = int(attrs["id"]) if attrs.get("id", "").isdigit() else ctx.post_id
        images = sorted((a for a in ctx.attachments.values() if a.parent == parent),
                        key=lambda a: (a.menu_order, a.id))
    excluded = set(ids("exclude"))
    images = [a for a in images if a.id not in excluded and a.url.lower().split("?")[0].endswith(_IMAGE)]
    if not images:
        return None
    parts = []
    for a in images:
        media.append(a.url)
        src = html.escape(ctx.media_url(a.url), quote=True)
        alt = html.escape(a.alt or a.title, quote=True)
        img = f'<a href="{src}"><img src="{src}" alt="{alt}" /></a>'
        cap = f"<figcaption>{html.escape(a.caption, quote=False)}</figcaption>" if a.caption else ""
        parts.append(f"<figure>{img}{cap}</figure>")
    notes.append(f"[gallery] of {len(images)} image(s) kept as their images")
    return '<figure class="gallery">' + "".join(parts) + "</figure>"


_ALIGN = re.compile(r"\balign(left|right|center)\b")


def expand_shortcodes(text: str, notes: list[str], ctx: Context | None = None,
                      media: list[str] | None = None, unknown: Counter[str] | None = None) -> str:
    """Replace the shortcodes we can say in HTML; keep the others as text,
    counted by name in `unknown`, and note each thing a person should check."""
    ctx = ctx or Context()
    media = media if media is not None else []
    unknown = unknown if unknown is not None else Counter()

    held: list[str] = []

    def kept(name: str, whole: str) -> str:
        """The shortcode as it is, held out of the later passes (which would
        count an enclosed one's opening tag, or what it encloses, again)."""
        notes.append(f"shortcode [{name}] kept as text: {whole[:80]}")
        unknown[name] += 1
        held.append(whole)
        return f"\0{len(held) - 1}\0"  # NUL: never in an export's text (XML forbids it)

    def one(name: str, raw_attrs: str, inner: str | None, whole: str) -> str:
        name = name.lower()
        attrs = shortcode_attrs(raw_attrs)
        if name in ("caption", "wp_caption"):
            body = inner or ""
            m = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", body, re.S)
            image, caption = (m.group(1), m.group(2).strip()) if m else (body, "")
            caption = caption or attrs.get("caption", "")
            align = _ALIGN.search(attrs.get("align", "") + " " + (m.group(1) if m else ""))
            cls = f' class="align{align.group(1)}"' if align else ""
            return f"<figure{cls}>{image}<figcaption>{caption}</figcaption></figure>" if caption \
                else f"<figure{cls}>{image}</figure>"
        if name in _CODE_CODES:
            lang = attrs.get("language") or attrs.get("lang") or ""
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            return f"<pre><code{cls}>{html.escape(html.unescape((inner or '').strip(chr(10))))}</code></pre>"
        if name == "gallery":
            return _gallery(attrs, ctx, notes, media) or kept(name, whole)
        if name in _EMBED_CODES:
            url = ((inner or "").strip() if name == "embed" else "") or attrs.get("src") or attrs.get("url") \
                or attrs.get("mp3") or attrs.get("mp4") or attrs.get("m4v") or attrs.get("ogg") \
                or attrs.get("webm") or attrs.get("0") or (inner or "").strip()
            if name == "audio" and "|" in url:  # WordPress.com: [audio URL|titles=...|artists=...]
                url = url.split("|", 1)[0]
            url = url.strip()
            if name == "vimeo" and url.isdigit():
                url = f"https://vimeo.com/{url}"
            elif name == "youtube" and re.fullmatch(r"[\w-]{11}", url):
                url = f"https://www.youtube.com/watch?v={url}"
            elif name in ("wpvideo", "videopress") and re.fullmatch(r"\w+", url):
                url = f"https://videopress.com/v/{url}"
            if name == "youtube":  # WordPress.com's size and player options are not the video's
                url = re.sub(r"&(?:w|h|fs|hd|rel|showsearch|showinfo|iv_load_policy|start|border|color1|color2)=[^&]*", "", url)
            if url.startswith(("http://", "https://", "//")):
                return embed_figure(url, ctx, notes, media, kind=name, title=attrs.get("title", ""))
        return kept(name, whole)

    def enclosed(m: re.Match[str]) -> str:
        if m.start() > 0 and m.string[m.start() - 1] == "[":
            return m.group(0)  # [[caption]] is WordPress's escape for a literal
        return one(m.group(1), m.group(2), m.group(3), m.group(0))

    def single(m: re.Match[str]) -> str:
        if m.start() > 0 and m.string[m.start() - 1] == "[":
            return m.group(0)
        return one(m.group(1), m.group(2), None, m.group(0))

    def other(m: re.Match[str]) -> str:
        if m.group(1) not in _SHORTCODES and not (m.start() > 0 and m.string[m.start() - 1] == "["):
            kept(m.group(1), m.group(0))
        return m.group(0)

    if "[" not in text:
        return text
    text = _ENCLOSED.sub(enclosed, text)
    text = _SINGLE.sub(single, text)
    _OTHER.sub(other, text)
    if held:
        text = re.sub(r"\0(\d+)\0", lambda m: held[int(m.group(1))], text)
    return text


# A URL alone on its line, which WordPress replaces with the embed of its
# site (autoembed); the block editor writes it in a wp-block-embed figure.
_BARE_URL = re.compile(r"^[ \t]*(https?://[^\s<>\"'\[\]]+)[ \t]*$", re.M)
_BLOCK_EMBED = re.compile(
    r"<figure\b[^>]*\bwp-block-embed\b[^>]*>\s*<div\b[^>]*>\s*(https?://[^\s<>\"]+)\s*</div>\s*"
    r"(?:<figcaption[^>]*>(.*?)</figcaption>\s*)?</figure>", re.S | re.I)


def expand_embeds(text: str, ctx: Context, notes: list[str], media: list[str]) -> str:
    """Block-editor embeds and URLs alone on a line, as WordPress shows them
    (outside <pre>, where a URL is text)."""
    if "http" not in text:
        return text
    text = _BLOCK_EMBED.sub(lambda m: embed_figure(m.group(1), ctx, notes, media,
                                                   caption=(m.group(2) or "").strip()), text)
    if "<pre" in text:
        return text  # a URL on its own line in code is code
    return _BARE_URL.sub(lambda m: embed_figure(m.group(1), ctx, notes, media)
                         if _OEMBED_HOSTS.match(m.group(1)) else m.group(0), text)


# C1 controls (U+0080-U+009F) in old posts are Windows-1252 bytes read as
# Latin-1: mapped as browsers do (WHATWG Encoding: windows-1252), and the
# five bytes it leaves undefined dropped.
_C1 = {c: (bytes([c]).decode("cp1252") if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else None)
       for c in range(0x80, 0xA0)}


def fix_c1(text: str) -> str:
    """`text` with C1 control characters read as Windows-1252."""
    return text.translate(_C1) if re.search("[\x80-\x9f]", text) else text


_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


def keep_unknown_entities(text: str) -> str:
    """`&hl;`, a reference HTML does not define, as the text it shows on
    WordPress (`&amp;hl;`): the HTML parser would drop its semicolon."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: m.group(0) if m.group(1) + ";" in html.entities.html5
                       else "&amp;" + m.group(0)[1:], text)


def clean_text(text: str) -> str:
    """What every text of an export goes through before it is parsed as HTML."""
    return keep_unknown_entities(fix_c1(text))


_INLINE_HTML = ("sup", "sub", "u", "ins", "mark", "abbr", "small", "cite", "dfn", "bdi", "bdo",
                "time", "var")
_EMBED_TAGS = ("iframe", "embed", "object", "video", "audio")
_SAFE_ATTRS = {"href", "src", "alt", "title", "colspan", "rowspan", "scope", "headers", "align",
               "valign", "width", "height", "lang", "dir", "datetime", "cite", "class", "id"}


def _clean_html(el: Any) -> str:
    """An element as HTML without scripts, styles or event attributes: what
    is kept as inline HTML in the Markdown."""
    soup = BeautifulSoup(str(el), "html.parser")
    for bad in soup.find_all(["script", "style"]):
        bad.decompose()
    for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    for tag in soup.find_all(True):
        for attr in list(tag.attrs):
            if attr.lower() not in _SAFE_ATTRS or str(tag.attrs[attr]).strip().lower().startswith("javascript:"):
                del tag.attrs[attr]
    out = str(soup)
    # CommonMark ends an HTML block at a blank line: keep the block in one piece.
    return re.sub(r"\n\s*\n", "\n", out).strip()


class _Converter(MarkdownConverter):
    """markdownify, with WordPress's leftovers handled and noted."""

    def __init__(self, notes: list[str], media: list[str], ctx: Context, **options: Any) -> None:
        super().__init__(**options)
        self.notes = notes
        self.media = media
        self.ctx = ctx

    def _embed(self, el: Any, text: str) -> str:
        src = el.get("src") or el.get("data") or ""
        if not src:
            source = el.find("source", src=True)
            src = source["src"] if source else ""
        if not src:
            param = el.find("param", attrs={"name": "movie"})
            src = param.get("value", "") if param else ""
        if not src:
            self.notes.append(f"<{el.name}> without a source dropped")
            return text
        kind = "audio" if el.name == "audio" else ""
        figure = embed_figure(src, self.ctx, self.notes, self.media, kind=kind, title=el.get("title") or "")
        return f"\n\n{figure}\n\n"

    def convert_iframe(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._embed(el, text)

    convert_embed = convert_object = convert_video = convert_audio = convert_iframe

    def convert_script(self, el: Any, text: str, parent_tags: Any) -> str:
        self.notes.append(f"<{el.name}> removed (scripts and styles are not kept)")
        return ""

    convert_style = convert_noscript = convert_form = convert_script

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        src = el.get("src") or ""
        if src:
            self.media.append(src)
            el["src"] = self.ctx.media_url(src)
        return str(super().convert_img(el, text, parent_tags))  # type: ignore[misc]

    def convert_table(self, el: Any, text: str, parent_tags: Any) -> str:
        complex_ = any(
            tag.has_attr("colspan") or tag.has_attr("rowspan")
            for tag in el.find_all(["td", "th"])
        ) or el.find(["table", "ul", "ol", "pre", "blockquote", "img", "p"]) is not None \
            or any(tag.has_attr("style") or tag.has_attr("class") for tag in [el, *el.find_all(True)])
        if complex_:
            self.notes.append("table kept as HTML (Markdown tables cannot hold its layout)")
            return "\n\n" + _clean_html(el) + "\n\n"
        return str(super().convert_table(el, text, parent_tags))  # type: ignore[misc]

    def convert_figure(self, el: Any, text: str, parent_tags: Any) -> str:
        if any(c in ("embed", "gallery") or c.startswith("align") for c in el.get("class", [])):
            # Markdown has no figure: a classed one (an embed, a gallery, an
            # aligned caption) is kept whole as HTML.
            for img in el.find_all("img", src=True):
                img["src"] = self.ctx.media_url(img["src"])
            return "\n\n" + _clean_html(el) + "\n\n"
        return "\n\n" + text.strip() + "\n\n"

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        caption = text.strip()
        return f"\n\n*{caption}*\n\n" if caption else ""



def _keep_inline(tag: str) -> Any:
    def convert(self: _Converter, el: Any, text: str, parent_tags: Any) -> str:
        return f"<{tag}>{text}</{tag}>" if text.strip() else text
    return convert


# Tags Markdown has no syntax for: kept as inline HTML around their converted text.
for _tag in _INLINE_HTML:
    setattr(_Converter, f"convert_{_tag}", _keep_inline(_tag))


def _code_language(el: Any) -> str:
    code = el.find("code")
    for cls in (code.get("class", []) if code else []) + el.get("class", []):
        if cls.startswith("language-"):
            return str(cls[9:])
    return ""


@dataclass
class Converted:
    markdown: str
    notes: list[str] = field(default_factory=list)  # what a person should look at
    media: list[str] = field(default_factory=list)  # image/audio/video URLs the text uses
    shortcodes: Counter[str] = field(default_factory=Counter)  # kept as text, by name


# Text that every step below leaves as words, spaces and line breaks: no
# tag, reference, shortcode, URL or Markdown syntax (most comments).
_PLAIN = re.compile(r"[\w \t\n.,;:!?'\"()\u2018-\u201f\u2013\u2014\u2026%/@€£«»°]*\Z")


def _plain_markdown(text: str) -> str:
    """to_markdown of a _PLAIN text, without parsing it as HTML (a third of a
    millisecond a comment; tests hold the two equal): paragraphs at blank
    lines, a line break (backslash) at each other newline, spaces collapsed."""
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        if any(lines):
            paragraphs.append("\\\n".join(line for line in lines if line))
    md = "\n\n".join(paragraphs)
    return md + "\n" if md else ""


def to_markdown(content: str, ctx: Context | None = None) -> Converted:
    """A WordPress post body (classic or block editor) as Markdown."""
    text = clean_text(content.replace("\r\n", "\n").replace("\r", "\n"))
    if "://" not in text and _PLAIN.match(text):
        return Converted(markdown=_plain_markdown(text))
    return _converted(text, ctx or Context())


def _converted(text: str, ctx: Context) -> Converted:
    """to_markdown of a cleaned text, every step."""
    notes: list[str] = []
    media: list[str] = []
    unknown: Counter[str] = Counter()
    text = re.sub(r"<!--\s*(more|nextpage|noteaser)\b.*?-->", "", text)
    text = expand_shortcodes(text, notes, ctx, media, unknown)
    text = expand_embeds(text, ctx, notes, media)
    if "<!-- wp:" not in text:
        # Classic editor: WordPress adds the paragraphs on display. Block
        # editor content has its <p> tags and WordPress leaves it alone.
        text = wpautop(text)
    text, footnotes = take_footnotes(text, ctx, notes)
    converter = _Converter(notes, media, ctx, heading_style="ATX", bullets="-", newline_style="BACKSLASH",
                           code_language_callback=_code_language,
                           escape_underscores=False, strip_document="strip")
    md = converter.convert(text)
    md = re.sub(r"[ \t]+\n", "\n", md)
    md = re.sub(r"\n{3,}", "\n\n", md).strip()
    if footnotes:
        md = _MARKED.sub(lambda m: f"[^{m.group(1)}]", md)
        defs = []
        for n, note_html in enumerate(footnotes, 1):
            note_md = re.sub(r"\n{3,}", "\n\n", converter.convert(note_html)).strip()
            # A note's later paragraphs are indented, as Markdown footnotes continue.
            defs.append(f"[^{n}]: " + note_md.replace("\n", "\n    ").replace("\n    \n", "\n\n"))
        md += "\n\n" + "\n".join(defs)
    return Converted(markdown=md + "\n" if md else "", notes=list(dict.fromkeys(notes)),
                     media=list(dict.fromkeys(media)), shortcodes=unknown)


def to_text(content: str) -> str:
    """HTML (an excerpt) as one line of plain text."""
    if "<" not in content:  # most titles: no tags to parse, only references to read
        return " ".join(html.unescape(clean_text(content)).split())
    soup = BeautifulSoup(clean_text(content), "html.parser")
    for bad in soup.find_all(["script", "style"]):
        bad.decompose()
    return " ".join(soup.get_text(" ").split())
