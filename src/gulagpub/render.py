"""Markdown -> safe HTML, links made absolute, text made XML-safe, and the
provenance sentences a reader sees. Pure: values in, values out.

Markdown is CommonMark (+ GFM tables, strikethrough, autolinks and
footnotes) rendered by cmarkgfm (C, fast), then sanitized by nh3 (Rust's
ammonia): whatever the author writes, no script, event handler,
`javascript:`/`data:` link, frame, object, style or form reaches a page or a
feed. The only ids a post keeps are its footnotes' (`fn-…`, `fnref-…`), so
that no text can take an id the site's own pages use.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from html import escape, unescape
from typing import Any, Protocol
from urllib.parse import urljoin

import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

from .config import DEFAULT_LIMITS
from .model import Post
from .xmlsafe import FORBIDDEN_CONTROLS, is_xml_safe, strip_forbidden  # noqa: F401 - part of this module's API

# Tags a post may use. nh3's defaults minus image maps; no iframe, object,
# embed, style, form, script (nh3 never allows those anyway).
_TAGS = (set(nh3.ALLOWED_TAGS) - {"map", "area"}) | {"section"}
_ATTRIBUTES = {
    **{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title", "id", "aria-label"},  # (id and aria-label: footnotes)
    "li": {"id"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope", "colspan", "rowspan", "align"},
    "td": {"colspan", "rowspan", "align"},
    "*": {"lang", "dir"},
}
# The only classes a post keeps (no other, so a post cannot borrow the site's
# own): a figure's alignment ([caption align=...] in WordPress) and what it
# holds (an embed, a gallery), which the stylesheet lays out; and the
# footnotes' (cmark-gfm's names for them).
_CLASSES = {"figure": {"alignleft", "alignright", "aligncenter", "alignnone", "embed", "gallery"},
            "sup": {"footnote-ref"}, "a": {"footnote-backref"}, "section": {"footnotes"}}
_SCHEMES = {"http", "https", "mailto"}
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "form"}
_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_VALIDATE_UTF8 | Options.CMARK_OPT_FOOTNOTES
_EXTENSIONS = ["table", "strikethrough", "autolink"]
_EXTERNAL_A = re.compile(r'<a href="(https?:)?//')
_REL = 'rel="noopener noreferrer nofollow"'


def markdown_to_html(markdown: str, nesting: int = DEFAULT_LIMITS.nesting) -> str:
    """Safe HTML for a post body. External links get rel=noopener noreferrer nofollow.
    Elements nested deeper than twice `nesting` lose their tags (not their
    text): the check refuses such texts (postfile.nesting_problems), and this
    keeps the time to sanitize any text linear in its length."""
    # No GFM "tagfilter": it would show <script> as text; nh3 removes it with its content.
    markdown = strip_forbidden(markdown)
    if _freeing() is None:  # a cmarkgfm build without the symbol: its own call, leaking as it does
        import cmarkgfm

        html = cmarkgfm.markdown_to_html_with_extensions(markdown, options=_OPTIONS, extensions=_EXTENSIONS)
    else:
        html = _cmark_html(markdown)
    return figures(sanitize(flatten(html, 2 * nesting)))


# An image alone in its paragraph, with a title: `![Page 1](scan.jpg "Scan: IISH")`.
_FIGURE = re.compile(r'<p><img ([^>]*?) title="([^"]*)"></p>')


def figures(html: str) -> str:
    """Sanitized `html` in which an image standing alone in its paragraph with
    a title becomes a figure whose caption is the title (a caption, a credit:
    "Scan: International Institute of Social History"); the title
    "decorative" marks an image without alt text, not a caption."""
    if "<p><img" not in html:
        return html

    def figure(m: re.Match[str]) -> str:
        caption = unescape(m.group(2)).strip()
        if not caption or caption.lower() == "decorative":
            return m.group(0)
        return f"<figure><img {m.group(1)}><figcaption>{escape(caption, quote=False)}</figcaption></figure>"

    return _FIGURE.sub(figure, html)


_VOID = "area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr"
# A tag that opens ('') or closes ('/') an element: void elements never nest.
_NESTING = re.compile(rf"<(/?)(?!(?:{_VOID})\b)[A-Za-z]", re.I)
_NESTING_TAG = re.compile(rf"<(/?)(?!(?:{_VOID})\b)[A-Za-z][^>]*>", re.I)
_STEP = {"": 1, "/": -1}


def flatten(html: str, most: int) -> str:
    """`html` without the tags of elements nested more than `most` deep.

    nh3 (html5ever's tree builder) takes time that grows with the square of
    the nesting of block elements (100,000 nested '>' took it 45 s; cmark
    renders them in milliseconds), so nothing deeper reaches it. The result
    is sanitized after, so a tag dropped here cannot let anything through."""
    if html.count("<") <= most:
        return html  # cannot nest deeper (most texts end here)
    deepest = max(itertools.accumulate(map(_STEP.__getitem__, _NESTING.findall(html))), default=0)
    if deepest <= most:
        return html
    depth = 0
    out: list[str] = []
    last = 0
    for t in _NESTING_TAG.finditer(html):
        closing = bool(t.group(1))
        if closing:
            depth = max(depth - 1, 0)
        if depth >= most:
            out.append(html[last:t.start()])
            last = t.end()
        if not closing:
            depth += 1
    out.append(html[last:])
    return "".join(out)


def _cmark_html(markdown: str) -> str:
    """cmarkgfm.markdown_to_html_with_extensions(markdown, _OPTIONS, _EXTENSIONS),
    freeing what it leaves allocated: the document tree and the HTML it renders
    (about 40 KB a post: parsing 10,000 posts grew each worker by 200 MB;
    the leak is theacodes/cmarkgfm#53, closed without a fix)."""
    lib, ffi = _cmark.lib, _cmark.ffi
    free_node, free = _freeing()  # type: ignore[misc]
    lib.cmark_gfm_core_extensions_ensure_registered()
    parser = lib.cmark_parser_new(_OPTIONS)
    try:
        for name in _EXTENSIONS:
            lib.cmark_parser_attach_syntax_extension(parser, lib.cmark_find_syntax_extension(name.encode()))
        data = markdown.encode("utf-8")
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)
        try:
            raw = lib.cmark_render_html(root, _OPTIONS, lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return ffi.string(raw).decode("utf-8")
            finally:
                free(int(ffi.cast("uintptr_t", raw)))
        finally:
            free_node(int(ffi.cast("uintptr_t", root)))
    finally:
        lib.cmark_parser_free(parser)


@functools.cache
def _freeing() -> tuple[Any, Any] | None:
    """cmark_node_free (in cmarkgfm's library, not in its bindings) and the C
    library's free (cmark's default allocator), called through ctypes; None
    where the library does not export it."""
    import ctypes

    try:
        node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
    except (OSError, AttributeError):
        return None
    node_free.argtypes, node_free.restype = [ctypes.c_void_p], None
    free = ctypes.CDLL(None).free
    free.argtypes, free.restype = [ctypes.c_void_p], None
    return node_free, free


_ID = re.compile(r' id="([^"]*)"')
_NOTE_ID = re.compile(r"fn(?:ref)?-[^\s\"]+")


def sanitize(html: str) -> str:
    clean = _cleaner()(html)
    if ' id="' in clean:  # only footnotes keep their ids (cmark-gfm's fn-LABEL, fnref-LABEL)
        clean = _ID.sub(lambda m: m.group(0) if _NOTE_ID.fullmatch(m.group(1)) else "", clean)
    if _CMARK_NOTES in clean:
        clean = _endnotes(clean)
    return _EXTERNAL_A.sub(lambda m: f"<a {_REL} {m.group(0)[3:]}", clean)


@functools.cache
def _cleaner() -> Callable[[str], str]:
    """nh3's sanitizer with our rules, made once: nh3.clean builds its rules
    again from the Python sets at every call, half of its time for a post
    (measured: 0.18 -> 0.10 ms). nh3.Cleaner (nh3 0.3) keeps them."""
    rules: dict[str, Any] = dict(tags=_TAGS, attributes=_ATTRIBUTES, allowed_classes=_CLASSES, url_schemes=_SCHEMES,
                                 clean_content_tags=_CLEAN_CONTENT, link_rel=None, strip_comments=True)
    cleaner = getattr(nh3, "Cleaner", None)
    return cleaner(**rules).clean if cleaner is not None else functools.partial(nh3.clean, **rules)


_URL_ATTR = re.compile(r'(<(?:a|img)\b[^>]*?\s(?:href|src)=")([^"]*)(")')


_SRCSET_ATTR = re.compile(r'(<img\b[^>]*?\ssrcset=")([^"]*)(")')
_CANDIDATE = re.compile(r"(\s*)([^\s,][^\s]*)([^,]*,?)")


def srcset_mapped(value: str, fix: Callable[[str], str]) -> str:
    """A `srcset` attribute's value with each candidate's URL (up to the first
    space; its width descriptor and the comma after it kept) passed through `fix`."""
    return _CANDIDATE.sub(lambda m: m.group(1) + fix(m.group(2)) + m.group(3), value)


def absolutize(html: str, base: str) -> str:
    """Every link and image in sanitized `html` made absolute against `base`
    (the post's URL), for feeds, which readers show away from the site; an
    image's `srcset` (its smaller copies) too. A link within the text
    (`#fn-1`) stays one (see `anchored`)."""

    def joined(url: str) -> str:
        if url.startswith("#") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
            return url
        # nh3 escapes '&' as '&amp;' inside attributes; urljoin keeps it as is.
        return urljoin(base, url)

    html = _URL_ATTR.sub(lambda m: m.group(1) + joined(m.group(2)) + m.group(3), html)
    if " srcset=" in html:
        html = _SRCSET_ATTR.sub(lambda m: m.group(1) + srcset_mapped(m.group(2), joined) + m.group(3), html)
    return html


# cmark-gfm puts a text's footnotes last, in a <section> without a heading
# (which HTML checkers report: a section is a part with a heading). They are
# the text's endnotes: a <div> with that role says so (DPUB-ARIA).
_CMARK_NOTES = '<section class="footnotes">'
_NOTES = '<div class="footnotes" role="doc-endnotes">'


def _endnotes(html: str) -> str:
    start = html.rindex(_CMARK_NOTES)
    end = html.rfind("</section>")
    if end < start:
        return html
    return html[:start] + _NOTES + html[start + len(_CMARK_NOTES):end] + "</div>" + html[end + len("</section>"):]


_ANCHOR = re.compile(r'( id="| href="#)(fn(?:ref)?-)')


def anchored(html: str, prefix: str) -> str:
    """Sanitized `html` with its footnotes' ids (and the links to them) made
    `prefix`-first: a feed document holds many entries, whose footnotes must
    not share ids (`fn-1` in each)."""
    return _ANCHOR.sub(lambda m: m.group(1) + prefix + m.group(2), html) if "fn" in html else html


LANGUAGES = {
    "en": "English", "es": "Spanish", "ru": "Russian", "fr": "French", "de": "German",
    "it": "Italian", "pt": "Portuguese", "ca": "Catalan", "eu": "Basque", "gl": "Galician",
    "uk": "Ukrainian", "be": "Belarusian", "pl": "Polish", "cs": "Czech", "bg": "Bulgarian",
    "yi": "Yiddish", "he": "Hebrew", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean", "el": "Greek", "tr": "Turkish", "nl": "Dutch", "sv": "Swedish",
    "eo": "Esperanto", "ka": "Georgian", "hy": "Armenian", "fa": "Persian", "ro": "Romanian",
    "hu": "Hungarian", "fi": "Finnish", "lt": "Lithuanian", "lv": "Latvian", "et": "Estonian",
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def language_name(code: str) -> str:
    """'es' -> 'Spanish', 'pt-BR' -> 'Portuguese'; unknown codes come back as given."""
    return LANGUAGES.get(code.split("-", 1)[0].lower(), code)


def spell_date(value: str, month_year: Callable[[int, int], str], day: Callable[[int, int, int], str]) -> str:
    """A date as front matter writes it ('1978', '1924-01', '1924-01-05') in words:
    the year as it is, a month by `month_year`, a day by `day`; anything else
    (and a day that does not exist) is returned as written."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        return value
    year, month, dd = m.groups()
    if not month:
        return year
    if not dd:
        return month_year(int(year), int(month))
    try:
        return day(int(year), int(month), int(dd))
    except ValueError:
        return value


@functools.lru_cache(maxsize=1 << 14)  # (a date is spelled for a post's page, its citations and its entry)
def human_date(value: str, *, month_first: bool = False) -> str:
    """'1924-01' -> 'January 1924', '1924-01-05' -> '5 January 1924' (with
    `month_first`, Chicago's 'January 5, 1924'), '1978' -> '1978'; anything
    else is returned as written."""
    if month_first:
        return spell_date(value, lambda y, m: f"{MONTHS[m - 1]} {y}", lambda y, m, d: f"{MONTHS[m - 1]} {d}, {y}")
    return spell_date(value, lambda y, m: f"{MONTHS[m - 1]} {y}", lambda y, m, d: f"{d} {MONTHS[m - 1]} {y}")


# A tag of sanitized HTML (nh3 writes every attribute value in double quotes).
_ANY_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"]|"[^"]*")*>')
_VOIDS = frozenset(_VOID.split("|"))


def html_blocks(html: str) -> list[str]:
    """Sanitized HTML cut into its top-level blocks (paragraphs, lists, quotes,
    the endnotes): what the parallel view pairs. Cut after rendering, not in
    the Markdown, so that footnotes and reference links defined elsewhere in
    the text still resolve, numbered as on the post's page."""
    out: list[str] = []
    depth, start, end = 0, 0, 0
    for m in _ANY_TAG.finditer(html):
        closing, name = m.group(1), m.group(2).lower()
        if depth == 0 and not closing:
            if html[end:m.start()].strip():  # (text standing alone between blocks)
                out.append(html[end:m.start()].strip())
            start = m.start()
        if name in _VOIDS or m.group(0).endswith("/>"):
            if depth == 0:
                out.append(m.group(0))
                end = m.end()
            continue
        depth += -1 if closing else 1
        if depth == 0:
            out.append(html[start:m.end()])
            end = m.end()
        depth = max(depth, 0)
    if html[end:].strip():
        out.append(html[end:].strip())
    return out


class Words(Protocol):
    """What the provenance sentences need of the reader's language (i18n.Interface)."""

    def gettext(self, message: str) -> str: ...

    def language_name(self, code: str) -> str: ...

    def human_date(self, value: str) -> str: ...


class English:
    """The messages as written, for callers with no interface language (announcements, tests)."""

    @staticmethod
    def gettext(message: str) -> str:
        return message

    @staticmethod
    def language_name(code: str) -> str:
        return language_name(code)

    @staticmethod
    def human_date(value: str) -> str:
        return human_date(value)


ENGLISH: Words = English()


def correction_lines(post: Post, words: Words = ENGLISH) -> list[tuple[str, str, str]]:
    """Each published correction of a post as (ISO day, '12 December 2026' in
    the reader's language, note), oldest first: its page and feed entry say
    'Corrected on DAY: NOTE'."""
    return [(c.date, words.human_date(c.date), c.note) for c in post.corrections]


def provenance(post: Post, words: Words = ENGLISH) -> list[str]:
    """Plain-text sentences saying where the text comes from, from the
    structured fields, in the reader's language (`words`), e.g. "From: O
    Crabero, via Huesca-Info. Translated from the Spanish by Paul Sharkey."
    and "First published in Freedom, January 1924; reprinted in Cienfuegos
    Press Anarchist Review, #4 (1978).". (The messages are in the catalogs:
    see i18n.py.)"""
    _ = words.gettext
    out: list[str] = []
    src = post.source
    tr = post.translation

    def dated(publication: str, date: str | None) -> str:
        return _("%(publication)s, %(date)s") % {"publication": publication, "date": words.human_date(date)} \
            if date else publication

    def reprints() -> str:
        return "; ".join(_("%(publication)s (%(date)s)") % {"publication": r.publication,
                                                             "date": words.human_date(r.date)}
                         if r.date else r.publication for r in post.reprints)

    if src and (src.publication or src.via) and not src.date:
        if src.publication and src.via:
            out.append(_("From: %(publication)s, via %(via)s.") % {"publication": src.publication, "via": src.via})
        else:
            out.append(_("From: %(publication)s.") % {"publication": src.publication or src.via or ""})
    if src and src.author and src.title:
        out.append(_("“%(title)s” by %(author)s.") % {"title": src.title, "author": src.author})
    elif src and src.author:
        out.append(_("By %(author)s.") % {"author": src.author})
    elif src and src.title and not src.publication:
        out.append(_("Source: %(title)s.") % {"title": src.title})
    if tr and tr.translators:
        names = _join(tr.translators, words)
        from_lang = tr.from_lang or (src.lang if src else None)
        out.append(_("Translated from the %(language)s by %(names)s.")
                   % {"language": words.language_name(from_lang), "names": names} if from_lang
                   else _("Translated by %(names)s.") % {"names": names})
    if src and src.publication and src.date:
        s = _("First published in %(publication)s") % {"publication": dated(src.publication, src.date)}
        if src.via:
            s += _(", via %(via)s") % {"via": src.via}
        if post.reprints:
            s += _("; reprinted in %(reprints)s") % {"reprints": reprints()}
        out.append(s + ".")
    elif post.reprints:
        out.append(_("Reprinted in %(reprints)s.") % {"reprints": reprints()})
    if src and src.rights:
        out.append(_("Rights: %(rights)s.") % {"rights": src.rights})
    return [strip_forbidden(_sentence(s)) for s in out]


def _sentence(text: str) -> str:
    """`text` ending with exactly one full stop (names like 'M. S.' keep theirs)."""
    text = text.rstrip()
    while text.endswith("..") and not text.endswith("..."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _join(names: tuple[str, ...], words: Words = ENGLISH) -> str:
    if len(names) <= 1:
        return "".join(names)
    return words.gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


_TAG = re.compile(r"<[^>]+>")
_NOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.S)


def summary_of(post: Post, html: str, limit: int = 300) -> str:
    """The post's `summary`, or the start of its text, as plain text (without
    its footnotes, or the numbers that point to them)."""
    if post.summary:
        return strip_forbidden(post.summary)
    import html as _html

    head = html[: limit * 8]
    if "footnote" in head:
        head = _NOTE_REF.sub("", html.split(_NOTES, 1)[0])[: limit * 8]
    text = _html.unescape(_TAG.sub(" ", head))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return strip_forbidden(text)
