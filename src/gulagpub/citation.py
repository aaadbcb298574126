"""What a document is, said the ways researchers' tools read it: Highwire
Press `citation_*` tags (Google Scholar, Zotero), Dublin Core, Open Graph
(Mastodon's and others' link cards), schema.org JSON-LD, a Chicago
citation (notes and bibliography) and an RIS file. Pure: a `Cited` of
plain values in, text out.

One `Cited` says everything once; each format is a view of it, so the
formats cannot disagree. What the document is: a text published on this
site on its date (`published`), by its author (for a document from
elsewhere, the original's author, never the team member who posted it),
maybe translated (`translators`), from an `original` first published
elsewhere.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from markupsafe import escape

from .render import English, Words, human_date
from .xmlsafe import is_xml_safe, strip_forbidden

@dataclass(frozen=True)
class Original:
    """The text a document reproduces or translates, where it was first published."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    publication: str | None = None  # the periodical, press or site it first appeared in
    via: str | None = None  # through whom it reached us
    date: str | None = None  # as precise as known: '1924-01', '1978'
    lang: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        _clean_fields(self)


@dataclass(frozen=True)
class Correction:
    date: str  # ISO date
    note: str

    def __post_init__(self) -> None:
        _clean_fields(self)


@dataclass(frozen=True)
class Picture:
    """A document's lead image as link cards show it."""

    url: str
    alt: str
    width: int = 0  # pixels (0: unknown)
    height: int = 0

    def __post_init__(self) -> None:
        _clean_fields(self)


@dataclass(frozen=True)
class Cited:
    """A document as citations describe it (see the module's docstring)."""

    title: str
    url: str
    lang: str
    site: str  # the site's title: the website, and its publisher
    site_url: str
    published: datetime | None
    modified: datetime | None
    authors: tuple[str, ...] = ()
    translators: tuple[str, ...] = ()
    from_lang: str | None = None
    original: Original | None = None
    reprints: tuple[tuple[str, str | None], ...] = ()  # (publication, date)
    summary: str = ""
    tags: tuple[str, ...] = ()
    versions: tuple[tuple[str, str], ...] = ()  # its other language versions: (lang, url)
    translation_of: str | None = None  # a language version: the URL of the post it translates
    pdf: str | None = None
    fediverse: tuple[str, ...] = ()  # the fediverse handles of the team members who made it
    corrections: tuple[Correction, ...] = ()
    image: Picture | None = None  # its lead image

    def __post_init__(self) -> None:
        _clean_fields(self)


class Meta(NamedTuple):
    """One <meta>: `attr` is 'name' or 'property' (Open Graph's)."""

    attr: str
    key: str
    value: str


# --- the head of a page ----------------------------------------------------------


def meta_tags(c: Cited) -> list[Meta]:
    """The <meta> tags of a document's page: Highwire, Dublin Core, Open Graph, fediverse."""
    out: list[Meta] = []

    def add(attr: str, key: str, value: str | None) -> None:
        if value:
            out.append(Meta(attr, key, value))

    # Highwire Press, as Google Scholar documents them and Zotero reads them.
    add("name", "citation_title", c.title)
    for a in c.authors:
        add("name", "citation_author", a)
    if c.published:
        add("name", "citation_publication_date", f"{c.published.year:04d}/{c.published.month:02d}/"
                                                 f"{c.published.day:02d}")
    add("name", "citation_language", c.lang)
    add("name", "citation_public_url", c.url)
    add("name", "citation_pdf_url", c.pdf)
    if c.tags:
        add("name", "citation_keywords", "; ".join(c.tags))
    # Zotero's own namespace names the item type: with citation_title alone it
    # would guess "journal article"; this is a document on a website.
    add("name", "z.itemType", "webpage")
    # Dublin Core (DC-HTML; the <link rel="schema.DC"> is written with them).
    add("name", "DC.title", c.title)
    for a in c.authors:
        add("name", "DC.creator", a)
    for t in c.translators:
        add("name", "DC.contributor", t)
    if c.published:
        add("name", "DC.date", c.published.date().isoformat())
    add("name", "DC.language", c.lang)
    add("name", "DC.publisher", c.site)
    add("name", "DC.identifier", c.url)
    add("name", "DC.type", "Text")
    add("name", "DC.format", "text/html")
    add("name", "DC.source", original_text(c) or (c.original.url if c.original else None))
    for t in c.tags:
        add("name", "DC.subject", t)
    if c.modified:
        add("name", "DCTERMS.modified", c.modified.date().isoformat())
    # Open Graph (the link cards of Mastodon and others).
    add("property", "og:type", "article")
    add("property", "og:title", c.title)
    add("property", "og:url", c.url)
    add("property", "og:site_name", c.site)
    add("property", "og:description", c.summary)
    add("property", "og:locale", locale(c.lang))
    for lang, _ in c.versions:
        add("property", "og:locale:alternate", locale(lang))
    if c.image:
        add("property", "og:image", c.image.url)
        if c.image.width:
            add("property", "og:image:width", str(c.image.width))
            add("property", "og:image:height", str(c.image.height))
        add("property", "og:image:alt", c.image.alt)
    if c.published:
        add("property", "article:published_time", c.published.isoformat())
    if c.modified:
        add("property", "article:modified_time", c.modified.isoformat())
    for t in c.tags:
        add("property", "article:tag", t)
    for handle in c.fediverse:
        add("name", "fediverse:creator", handle)
    return out


_HEAD_LINKS = ('<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">\n'
               '<link rel="schema.DCTERMS" href="http://purl.org/dc/terms/">\n')


def head_html(c: Cited) -> str:
    """The <meta> tags and the JSON-LD of a page, as HTML (every value escaped)."""
    metas = meta_tags(c)
    # Every value escaped at once (NUL, which no value holds, between them).
    values = str(escape("\0".join(m.value for m in metas))).split("\0")
    tags = "".join([f'<meta {m.attr}="{m.key}" content="{v}">\n' for m, v in zip(metas, values)])
    return (_HEAD_LINKS + tags + '<script type="application/ld+json">' + json_ld(c) + "</script>\n")


def locale(lang: str) -> str:
    """A BCP 47 tag as Open Graph writes locales: 'pt-BR' -> 'pt_BR', 'en' -> 'en'."""
    parts = lang.split("-")
    region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return f"{parts[0].lower()}_{region.upper()}" if region else parts[0].lower()


# --- schema.org ---------------------------------------------------------------------


def _people(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"@type": "Person", "name": n} for n in names]


def _work(o: Original) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork"}
    if o.title:
        work["name"] = o.title
    if o.authors:
        work["author"] = _people(o.authors)
    if o.publication:
        work["publisher"] = {"@type": "Organization", "name": o.publication}
    if o.date:
        work["datePublished"] = o.date
    if o.lang:
        work["inLanguage"] = o.lang
    if o.url:
        work["url"] = o.url
    return work


def json_ld(c: Cited) -> str:
    """The schema.org description of the document (an Article), as JSON text safe
    inside a <script> element."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Article", "@id": c.url, "url": c.url,
                            "mainEntityOfPage": c.url, "headline": c.title, "name": c.title,
                            "inLanguage": c.lang}
    if c.summary:
        data["description"] = c.summary
    if c.published:
        data["datePublished"] = c.published.isoformat()
    if c.modified:
        data["dateModified"] = c.modified.isoformat()
    if c.authors:
        data["author"] = _people(c.authors)
    if c.translators:
        data["translator"] = _people(c.translators)
    data["publisher"] = {"@type": "Organization", "name": c.site, "url": c.site_url}
    if c.original:
        data["isBasedOn"] = _work(c.original)
    if c.translation_of:
        data["translationOfWork"] = {"@type": "Article", "@id": c.translation_of, "url": c.translation_of}
    elif c.translators and c.original:
        data["translationOfWork"] = _work(c.original)
    if c.versions and not c.translation_of:
        data["workTranslation"] = [{"@type": "Article", "@id": url, "url": url, "inLanguage": lang}
                                   for lang, url in c.versions]
    if c.tags:
        data["keywords"] = list(c.tags)
    if c.pdf:
        data["associatedMedia"] = {"@type": "MediaObject", "contentUrl": c.pdf, "encodingFormat": "application/pdf"}
    if c.corrections:
        data["correction"] = [{"@type": "CorrectionComment", "datePublished": k.date, "text": k.note}
                              for k in c.corrections]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Nothing the text holds can end the <script> element or start markup in it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- Chicago, notes and bibliography ---------------------------------------------------


class Citation(NamedTuple):
    """A ready citation, as HTML (titles of publications in italics) and as text."""

    note: str
    bibliography: str
    note_text: str
    bibliography_text: str


def _partial_date(value: str) -> str:
    """'1924-01' -> 'January 1924', '1924-01-05' -> 'January 5, 1924' (Chicago's order)."""
    return human_date(value, month_first=True)


class _ChicagoEnglish(English):
    """The messages as written, with dates in Chicago's order ('August 19, 2008'):
    the words of a citation given no reader's language (i18n.Interface's
    English writes its dates so too)."""

    @staticmethod
    def human_date(value: str) -> str:
        return _partial_date(value)


ENGLISH: Words = _ChicagoEnglish()


def inverted(name: str) -> str:
    """'Mollie Steimer' -> 'Steimer, Mollie'; 'K. N. Morozov' -> 'Morozov, K. N.'; one word stays."""
    parts = name.split()
    return f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else name


def _listed(first: str, rest: tuple[str, ...], words: Words, serial: bool = False) -> str:
    """`first` and the `rest` of a list of names, joined as the reader's
    language joins them; `serial`: with the comma before the last (English
    puts it after an inverted name, and in a list of three or more)."""
    if not rest:
        return first
    if len(rest) == 1 and not serial:
        return words.gettext("%(names)s and %(last)s") % {"names": first, "last": rest[0]}
    return words.gettext("%(names)s, and %(last)s") % {"names": ", ".join((first, *rest[:-1])), "last": rest[-1]}


def _names(names: tuple[str, ...], words: Words) -> str:
    return _listed(names[0], names[1:], words)


def _bib_names(names: tuple[str, ...], words: Words) -> str:
    """The first name inverted, as a bibliography lists authors."""
    return _listed(inverted(names[0]), names[1:], words, serial=True)


def _language(code: str | None, words: Words) -> str | None:
    """'es' -> 'Spanish' (in the reader's language); None for a language without a name."""
    name = words.language_name(code) if code else None
    return name if name != code else None


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


class _Parts:
    """Text runs, some in italics, joined into HTML and into text alike."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, bool]] = []

    def add(self, text: str, italic: bool = False) -> None:
        # (A date ending with its own full stop, '20 августа 2008 г.', ends the sentence too.)
        self.runs.append((text if italic or ".." not in text else _DOUBLE_STOP.sub(".", text), italic))

    def add_with(self, message: str, title: str) -> None:
        """A translated `message` whose `%(publication)s` is the italic `title`."""
        before, _, after = message.partition("%(publication)s")
        self.add(before)
        self.add(title, True)
        self.add(after)

    def html(self) -> str:
        return "".join(f"<i>{html.escape(t, quote=False)}</i>" if i else html.escape(t, quote=False)
                       for t, i in self.runs if t)

    def text(self) -> str:
        return "".join(t for t, _ in self.runs)


def original_text(c: Cited, words: Words = ENGLISH) -> str | None:
    """'Freedom, January 1924; reprinted in …': where the original was first published, in words."""
    _ = words.gettext
    o = c.original
    if not o or not (o.publication or o.via):
        return None
    s = o.publication or o.via or ""
    if o.publication and o.via:
        s += " " + _("(via %(via)s)") % {"via": o.via}
    if o.date:
        s += f", {words.human_date(o.date)}"
    for pub, when in c.reprints:
        s += _("; reprinted in %(reprints)s") % {"reprints": pub + (f", {words.human_date(when)}" if when else "")}
    return s


def chicago(c: Cited, words: Words = ENGLISH) -> Citation:
    """The document cited in Chicago notes-bibliography style: a website's
    content, with its translator, the original's first publication and the
    day of its last correction; its words and dates in the reader's
    language (`words`: the page's i18n.Interface)."""
    _ = words.gettext
    title = c.title.rstrip(".")
    o = c.original
    trans_from = _language(c.from_lang or (o.lang if o else None), words)
    note, bib = _Parts(), _Parts()
    if c.authors:
        note.add(_names(c.authors, words) + ", ")
        bib.add(_bib_names(c.authors, words) + ". ")
    note.add(_("“%(title)s,”") % {"title": title} + " ")
    bib.add(_("“%(title)s.”") % {"title": title} + " ")
    if c.translators:
        names = _names(c.translators, words)
        note.add(_("trans. %(names)s") % {"names": names} + ", ")
        bib.add((_("Translated from the %(language)s by %(names)s.") % {"language": trans_from, "names": names}
                 if trans_from else _("Translated by %(names)s.") % {"names": names}) + " ")
    if o and (o.publication or o.via):
        pub = o.publication or o.via or ""
        when = f", {words.human_date(o.date)}" if o.date else ""
        note.add_with(_("originally published in %(publication)s"), pub)
        note.add(when + ", ")
        bib.add_with(_("Originally published in %(publication)s"), pub)
        bib.add(when + (" " + _("(via %(via)s)") % {"via": o.via} if o.publication and o.via else "") + ". ")
    note.add(c.site, True)
    bib.add(c.site, True)
    when = f", {words.human_date(c.published.date().isoformat())}" if c.published else ""
    last = max((k.date for k in c.corrections), default=None)
    note.add(when + (", " + _("corrected on %(date)s") % {"date": words.human_date(last)} if last else "")
             + f", {c.url}.")
    bib.add(f"{when}." + (" " + _("Corrected on %(date)s.") % {"date": words.human_date(last)} if last else "")
            + f" {c.url}.")
    return Citation(note.html(), bib.html(), note.text(), bib.text())


# --- RIS ------------------------------------------------------------------------


def ris(c: Cited, words: Words = ENGLISH) -> str:
    """The document as an RIS record (Zotero, EndNote, Mendeley, JabRef import it):
    a web page, its authors (AU), translators (A4), website (T2), and notes
    (N1) saying where the original was first published, what it was translated
    from and each correction. The notes are text a person reads in the
    reference manager, next to the record's language (LA): they are in the
    document's language (`words`: its page's interface), each correction's day
    as ISO 8601 (data: unambiguous in any language, and sortable)."""
    _ = words.gettext
    lines = [("TY", "ELEC"), ("TI", c.title)]
    lines += [("AU", inverted(a)) for a in c.authors]
    lines += [("A4", inverted(t)) for t in c.translators]
    lines.append(("T2", c.site))
    if c.published:
        lines.append(("PY", f"{c.published.year:04d}"))
        lines.append(("DA", f"{c.published.year:04d}/{c.published.month:02d}/{c.published.day:02d}"))
    lines.append(("LA", c.lang))
    lines.append(("UR", c.url))
    if c.pdf:
        lines.append(("L1", c.pdf))
    if c.summary:
        lines.append(("AB", c.summary))
    lines += [("KW", t) for t in c.tags]
    origin = original_text(c, words)
    if origin:
        lines.append(("N1", _("Originally published in %(publication)s") % {"publication": origin} + "."))
    from_lang = _language(c.from_lang or (c.original.lang if c.original else None), words)
    if c.translators and from_lang:
        lines.append(("N1", _("Translated from the %(language)s.") % {"language": from_lang}))
    for k in c.corrections:
        lines.append(("N1", _("Corrected on %(date)s: %(note)s") % {"date": k.date, "note": k.note}))
    lines.append(("ER", ""))
    # RIS: one tag, two spaces, a hyphen and a space per line; CRLF endings.
    return "".join(f"{tag}  - {' '.join(value.split())}".rstrip() + "\r\n" for tag, value in lines)


# --- what every record holds ---------------------------------------------------------


def _clean_fields(record: Any) -> None:
    """Every text of a record made only of characters XML 1.0 allows, and
    trimmed: done once when the record is made, so that the formats write
    its values as they are. Most records need nothing: one look at all
    their texts together says so."""
    values = vars(record)
    texts: list[str] = []
    for v in values.values():  # texts, tuples of texts, tuples of pairs of texts
        if type(v) is str:
            texts.append(v)
        elif type(v) is tuple:
            for x in v:
                if type(x) is str:
                    texts.append(x)
                elif type(x) is tuple:
                    texts += [y for y in x if type(y) is str]
    if is_xml_safe("".join(texts)) and not _UNTRIMMED.search("\0".join(texts)):  # (NUL: not in a safe text)
        return
    for name, value in values.items():
        object.__setattr__(record, name, _cleaned(value))  # (a frozen dataclass, still being made)


_UNTRIMMED = re.compile(r"\A\s|\s\Z|\s\0|\0\s")


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return strip_forbidden(value).strip()
    if isinstance(value, tuple):
        return tuple(_cleaned(v) for v in value)
    return value  # (dates, and the records inside, which cleaned themselves)
