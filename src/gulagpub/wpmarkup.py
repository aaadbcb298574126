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
import re
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


# Shortcodes of WordPress core and WordPress.com. Only these are treated as
# shortcodes: other [bracketed words] are prose, as on WordPress itself.
_EMBED_CODES = {"embed", "youtube", "vimeo", "soundcloud", "dailymotion", "ted", "flickr",
                "googlemaps", "googlevideo", "wpvideo", "scribd", "slideshare", "twitter",
                "tweet", "instagram", "spotify", "audio", "video"}
_CODE_CODES = {"code", "sourcecode", "source"}
_KEPT_CODES = {"gallery", "playlist", "contact-form", "contact_form", "archives", "polldaddy",
               "crowdsignal", "slideshow", "recipe", "portfolio", "testimonials", "blog-posts",
               "instagram-gallery", "jetpack_subscription_form", "wpforms", "gravityform"}
_SHORTCODES = {"caption", "wp_caption"} | _EMBED_CODES | _CODE_CODES | _KEPT_CODES
_NAMES = "|".join(sorted((re.escape(n) for n in _SHORTCODES), key=len, reverse=True))
_ENCLOSED = re.compile(r"\[(" + _NAMES + r")(?![\w-])([^\]]*)\](.*?)\[/\1\]", re.S)
_SINGLE = re.compile(r"\[(" + _NAMES + r")(?![\w-])([^\]]*?)/?\]")
_ATTR = re.compile(r"""([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*'([^']*)'|([\w-]+)\s*=\s*([^\s'"]+)|"([^"]*)"|(\S+)""")


def shortcode_attrs(text: str) -> dict[str, str]:
    """`a="1" b='2' c=3 http://x` -> {'a': '1', 'b': '2', 'c': '3', '0': 'http://x'}."""
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


def _link(url: str, label: str) -> str:
    u = html.escape(url, quote=True)
    return f'<p><a href="{u}">{html.escape(label)}</a></p>'


def expand_shortcodes(text: str, notes: list[str]) -> str:
    """Replace the shortcodes we can say in HTML; keep the others as text
    and add a note for each kind of thing a person should check."""

    def one(name: str, raw_attrs: str, inner: str | None, whole: str) -> str:
        name = name.lower()
        attrs = shortcode_attrs(raw_attrs)
        if name in ("caption", "wp_caption"):
            body = inner or ""
            m = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", body, re.S)
            image, caption = (m.group(1), m.group(2).strip()) if m else (body, "")
            caption = caption or attrs.get("caption", "")
            return f"<figure>{image}<figcaption>{caption}</figcaption></figure>" if caption else f"<figure>{image}</figure>"
        if name in _CODE_CODES:
            lang = attrs.get("language") or attrs.get("lang") or ""
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            return f"<pre><code{cls}>{html.escape(html.unescape((inner or '').strip(chr(10))))}</code></pre>"
        if name in _EMBED_CODES:
            url = (inner or "").strip() or attrs.get("src") or attrs.get("url") or attrs.get("mp3") \
                or attrs.get("mp4") or attrs.get("0") or ""
            if url.startswith(("http://", "https://", "//")):
                notes.append(f"embed [{name}] kept as a link: {url}")
                return _link(url, f"Embedded {name}: {url}" if name != "embed" else url)
        notes.append(f"shortcode [{name}] kept as text: {whole[:80]}")
        return whole

    def enclosed(m: re.Match[str]) -> str:
        if m.start() > 0 and text[m.start() - 1] == "[":
            return m.group(0)  # [[caption]] is WordPress's escape for a literal
        return one(m.group(1), m.group(2), m.group(3), m.group(0))

    def single(m: re.Match[str]) -> str:
        if m.start() > 0 and m.string[m.start() - 1] == "[":
            return m.group(0)
        return one(m.group(1), m.group(2), None, m.group(0))

    text = _ENCLOSED.sub(enclosed, text)
    return _SINGLE.sub(single, text)


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

    def __init__(self, notes: list[str], media: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.notes = notes
        self.media = media

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
        self.notes.append(f"<{el.name}> kept as a link: {src}")
        if el.name in ("video", "audio"):
            self.media.append(src)
        return f"\n\n[{el.name.capitalize()}: {src}]({src})\n\n"

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


def to_markdown(content: str) -> Converted:
    """A WordPress post body (classic or block editor) as Markdown."""
    notes: list[str] = []
    media: list[str] = []
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"<!--\s*(more|nextpage|noteaser)\b.*?-->", "", text)
    text = expand_shortcodes(text, notes)
    if "<!-- wp:" not in text:
        # Classic editor: WordPress adds the paragraphs on display. Block
        # editor content has its <p> tags and WordPress leaves it alone.
        text = wpautop(text)
    converter = _Converter(notes, media, heading_style="ATX", bullets="-", newline_style="BACKSLASH",
                           code_language_callback=_code_language,
                           escape_underscores=False, strip_document="strip")
    md = converter.convert(text)
    md = re.sub(r"[ \t]+\n", "\n", md)
    md = re.sub(r"\n{3,}", "\n\n", md).strip()
    return Converted(markdown=md + "\n" if md else "", notes=list(dict.fromkeys(notes)),
                     media=list(dict.fromkeys(media)))


def to_text(content: str) -> str:
    """HTML (an excerpt) as one line of plain text."""
    soup = BeautifulSoup(content, "html.parser")
    for bad in soup.find_all(["script", "style"]):
        bad.decompose()
    return " ".join(soup.get_text(" ").split())
