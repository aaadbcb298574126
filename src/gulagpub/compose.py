"""The text of a post's announcement, counted as each network counts. Pure.

An announcement is: the title, an optional short summary, the credit (the
source and the translator, in the post's language), the link to the post's
page, and hashtags made from the post's tags and categories. When the whole
does not fit, the summary goes first, then the hashtags, then the source,
then the translator, then the title is cut at a word boundary; the link and
the content warning are never cut.

Mastodon (`compose`) counts a status as the grapheme clusters of its content
warning plus its text, where every URL counts as `characters_reserved_per_url`
and a mention `@user@domain` as `@user` only. Bluesky (`compose_bluesky`)
counts the graphemes of the text (300 at most), which holds the warning and
the link's shortened display text; the link itself is in a facet and in the
external embed (the link card, with the title and the summary), the warning
also a self-label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import regex

from .config import BlueskySettings, MastodonSettings, NetworkSettings
from .errors import AnnounceError
from .model import Post
from .render import language_name

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
BLUESKY_LINK_DISPLAY = 30  # graphemes of the link's display text, ellipsis included
BLUESKY_MAX_TAG = 64  # graphemes of one hashtag, '#' not counted
ELLIPSIS = "…"

# Anything that may be a link to Mastodon: which of these it counts as a URL
# depends on its list of top-level domains and rules on what may precede
# and end a URL, so the text we did not write is counted pessimistically.
_URLISH = regex.compile(r"https?://\S*", regex.IGNORECASE)
# Mastodon's mention: @user or @user@domain; only '@user' counts. Matched
# only after a space or at the start, a subset of where Mastodon sees one,
# so that a mention is never counted shorter than Mastodon counts it.
_MENTION = regex.compile(
    r"(?<=^|\s)@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\p{L}\p{M}\p{Nd}_.-]+[\p{L}\p{M}\p{Nd}_])?",
    regex.IGNORECASE,
)
_WORD_RUN = regex.compile(r"[\p{L}\p{M}\p{Nd}_]+")
_HAS_LETTER = regex.compile(r"[\p{L}_]")
_SPACE = regex.compile(r"\s+")
# Control characters, lone surrogates (not sendable as UTF-8), line/paragraph
# separators, and bidi embeddings/overrides/isolates: an unclosed override in
# a title would reverse how the rest of the status, the link included, reads.
_CONTROL = regex.compile(r"[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Limits:
    """What the instance allows: from /api/v2/instance (or v1), else defaults."""

    max_characters: int = DEFAULT_MAX_CHARACTERS
    url_length: int = DEFAULT_URL_LENGTH


@dataclass(frozen=True)
class Status:
    """One announcement, ready for POST /api/v1/statuses."""

    text: str
    spoiler_text: str  # '' for none
    language: str | None
    visibility: str
    length: int  # as Mastodon counts it, content warning included
    shortened: tuple[str, ...] = ()  # what was dropped or cut: 'summary', 'hashtags', 'title'


def graphemes(text: str) -> list[str]:
    chunks: list[str] = regex.findall(r"\X", text)
    return chunks


def status_length(text: str, spoiler_text: str = "", url_length: int = DEFAULT_URL_LENGTH,
                  links: tuple[str, ...] = ()) -> int:
    """The length Mastodon's validator gives a status with this content
    warning: grapheme clusters, a mention as its '@user' part, and each of
    `links` (URLs we wrote, standing alone) as `url_length`. Any other URL-like
    run counts as its own length plus `url_length` per 'http' in it: never
    less than Mastodon counts it, whether or not Mastodon recognises it."""

    def url(m: regex.Match[str]) -> str:
        run: str = m.group(0)
        if run in links:
            return "x" * url_length
        return run + "x" * (url_length * run.lower().count("http"))

    countable = _URLISH.sub(url, text)
    countable = _MENTION.sub(lambda m: "@" + m.group(1), countable)
    return len(graphemes(spoiler_text + countable))


def hashtag(tag: str) -> str | None:
    """'Sources / Links' -> '#SourcesLinks', 'prison and exile' -> '#PrisonAndExile',
    'gulag' -> '#gulag'; None when nothing usable is left (emoji, digits only)."""
    words: list[str] = _WORD_RUN.findall(tag)
    if not words:
        return None
    if len(words) == 1:
        name = words[0]
    else:
        name = "".join(w[:1].upper() + w[1:] for w in words)
    if not _HAS_LETTER.search(name):
        return None
    return "#" + name


def hashtags(labels: tuple[str, ...] | list[str]) -> list[str]:
    """Hashtags for these tags, in order, each once (Mastodon's tags are case-insensitive)."""
    seen: set[str] = set()
    out: list[str] = []
    for label in labels:
        tag = hashtag(label)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def clean(text: str | None) -> str:
    """One line of plain text: control characters removed, whitespace runs made one space."""
    if not text:
        return ""
    return str(_SPACE.sub(" ", _CONTROL.sub(" ", text))).strip()


def content_warning(post: Post, settings: NetworkSettings) -> str:
    """The post's own `content_warning`, else the warnings its tags map to in
    the settings (several joined with '; ')."""
    own = clean(post.content_warning)
    if own:
        return own
    mapped: list[str] = []
    wanted = {k.casefold(): v for k, v in settings.content_warnings.items()}
    for label in (*post.tags, *post.categories):
        warning = clean(wanted.get(label.casefold()))
        if warning and warning not in mapped:
            mapped.append(warning)
    return "; ".join(mapped)


def language_of(post: Post) -> str | None:
    """Mastodon takes an ISO 639 code: the primary subtag of the post's BCP 47 tag."""
    primary = post.lang.split("-", 1)[0].lower() if post.lang else ""
    return primary if 2 <= len(primary) <= 3 and primary.isascii() and primary.isalpha() else None


# The credit in the post's language: (source, translated from LANGUAGE,
# translated, the word joining the last two names). Only English names the
# language translated from (the site's own credit line is English); the
# others would need each language's grammar for it (Spanish "del ruso",
# Russian "с испанского").
CREDITS: dict[str, tuple[str, str | None, str, str]] = {
    "en": ("From: {source}.", "Translated from the {language} by {names}.", "Translated by {names}.", "and"),
    "es": ("Fuente: {source}.", None, "Traducción: {names}.", "y"),
    "ru": ("Источник: {source}.", None, "Перевод: {names}.", "и"),
    "fr": ("Source : {source}.", None, "Traduction : {names}.", "et"),
    "de": ("Quelle: {source}.", None, "Übersetzung: {names}.", "und"),
    "it": ("Fonte: {source}.", None, "Traduzione: {names}.", "e"),
    "pt": ("Fonte: {source}.", None, "Tradução: {names}.", "e"),
    "ca": ("Font: {source}.", None, "Traducció: {names}.", "i"),
}


@dataclass(frozen=True)
class Credit:
    """Who the text is from and who translated it, one sentence each ('' for none)."""

    source: str = ""
    translation: str = ""


def _sentence(template: str, **values: str) -> str:
    text = template.format(**values)
    return text[:-1] if text.endswith("..") else text


def credit(post: Post) -> Credit:
    """"From: O Crabero, via Huesca-Info." and "Translated from the Spanish by
    Paul Sharkey." for an English post; "Traducción: Tania." for a Spanish
    version. Languages without a phrase here get the English one (as the
    site's credit line)."""
    phrases = CREDITS.get((post.lang or "en").split("-", 1)[0].lower(), CREDITS["en"])
    from_phrase, translated_from, translated, conjunction = phrases
    src = post.source
    source = ""
    if src is not None:
        name = clean(src.publication or src.title)
        via = clean(src.via)
        if name and via:
            name = f"{name}, via {via}"
        name = name or via
        if name:
            source = _sentence(from_phrase, source=name)
    translation = ""
    names = [clean(n) for n in post.translators if clean(n)]
    if names:
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]
        from_lang = (post.translation.from_lang if post.translation else None) or (src.lang if src else None)
        if from_lang and translated_from:
            translation = _sentence(translated_from, language=language_name(from_lang), names=joined)
        else:
            translation = _sentence(translated, names=joined)
    return Credit(source, translation)


@dataclass(frozen=True)
class Parts:
    """What an announcement is made of, before it is laid out for a network."""

    title: str
    summary: str
    credit: Credit
    tags: tuple[str, ...]

    def text(self, link: str, warning: str = "") -> str:
        """The paragraphs: [warning,] title, summary, credit, link, hashtags."""
        credit = " ".join(p for p in (self.credit.source, self.credit.translation) if p)
        paragraphs = [p for p in (warning, self.title, self.summary, credit, link) if p]
        if self.tags:
            paragraphs.append(" ".join(self.tags))
        return "\n\n".join(paragraphs)


def _shorten(parts: Parts, fits: Callable[[Parts], bool]) -> tuple[Parts, tuple[str, ...]]:
    """`parts` with as much left out as needed to fit, in the order of the
    module's docstring, and the names of what was left out or cut."""
    shortened: list[str] = []
    if not fits(parts) and parts.summary:
        parts = replace(parts, summary="")
        shortened.append("summary")
    if not fits(parts) and parts.tags:
        # Keep as many hashtags as fit, in order, before giving up on them.
        kept: list[str] = []
        for tag in parts.tags:
            if fits(replace(parts, tags=(*kept, tag))):
                kept.append(tag)
        if tuple(kept) != parts.tags:
            shortened.append("hashtags")
        parts = replace(parts, tags=tuple(kept))
    if not fits(parts) and parts.credit.source:
        parts = replace(parts, credit=replace(parts.credit, source=""))
        shortened.append("source")
    if not fits(parts) and parts.credit.translation:
        parts = replace(parts, credit=Credit())
        shortened.append("translator")
    if not fits(parts):
        parts = replace(parts, title=trimmed(parts.title, lambda t: fits(replace(parts, title=t))))
        shortened.append("title")
    return parts, tuple(shortened)


def _parts(post: Post, settings: NetworkSettings) -> Parts:
    return Parts(clean(post.title), clean(post.summary) if settings.summary else "", credit(post),
                 tuple(hashtags((*post.tags, *post.categories))))


def trimmed(title: str, fits: Callable[[str], bool]) -> str:
    """The longest start of `title` (or of any text) that fits, cut at a word
    boundary when there is one, with an ellipsis; '' when not even that fits."""
    if fits(title):
        return title
    chunks = graphemes(title)
    # Longest prefix (in graphemes) that fits with the ellipsis. The length
    # grows with the prefix (URLs and mentions aside), so search.
    lo, hi = 0, len(chunks)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits("".join(chunks[:mid]).rstrip() + ELLIPSIS):
            lo = mid
        else:
            hi = mid - 1
    prefix = "".join(chunks[:lo])
    candidates = []
    if lo < len(chunks) and not chunks[lo].isspace() and prefix.rfind(" ") > 0:
        candidates.append(prefix[: prefix.rfind(" ")])  # cut inside a word: back to the last space
    candidates.append(prefix)  # one long word: cut between graphemes
    for candidate in candidates:
        candidate = candidate.rstrip()
        if candidate and fits(candidate + ELLIPSIS):
            return candidate + ELLIPSIS
    return ""


def compose(post: Post, link: str, settings: MastodonSettings, limits: Limits = Limits()) -> Status:
    """The status announcing `post` at `link`; AnnounceError when even the
    content warning and the link alone exceed the instance's limit."""
    spoiler = content_warning(post, settings)
    limit = limits.max_characters

    def length(text: str) -> int:
        return status_length(text, spoiler, limits.url_length, (link,))

    if length(link) > limit:
        raise AnnounceError(
            f"{post.path}: the content warning ({len(graphemes(spoiler))} characters) and the link "
            f"do not fit in the instance's {limit} characters; shorten the content_warning "
            "(or the warning mapped from its tags in gulagpub.toml [mastodon] content_warnings)"
        )
    parts, shortened = _shorten(_parts(post, settings), lambda p: length(p.text(link)) <= limit)
    text = parts.text(link)
    return Status(
        text=text,
        spoiler_text=spoiler,
        language=language_of(post),
        visibility=settings.visibility,
        length=length(text),
        shortened=shortened,
    )


@dataclass(frozen=True)
class Facet:
    """A span of a Bluesky post's text (UTF-8 byte offsets) that is a link or a hashtag."""

    start: int
    end: int
    link: str | None = None  # the URI of a link
    tag: str | None = None  # a hashtag, without '#'


@dataclass(frozen=True)
class LinkCard:
    """Bluesky's external embed: the card under the post."""

    uri: str
    title: str
    description: str


@dataclass(frozen=True)
class BlueskyPost:
    """One announcement, ready to be an app.bsky.feed.post record."""

    text: str
    facets: tuple[Facet, ...]
    card: LinkCard
    langs: tuple[str, ...]
    labels: tuple[str, ...]  # self-labels
    length: int  # graphemes
    shortened: tuple[str, ...] = ()


def link_display(link: str) -> str:
    """The link as a Bluesky post shows it: without the scheme, shortened
    to BLUESKY_LINK_DISPLAY graphemes (the facet holds the whole link)."""
    shown = link.split("://", 1)[-1]
    chunks = graphemes(shown)
    if len(chunks) > BLUESKY_LINK_DISPLAY:
        shown = "".join(chunks[: BLUESKY_LINK_DISPLAY - 1]) + ELLIPSIS
    return shown


def _facets(text: str, link: str, shown: str, tags: tuple[str, ...]) -> tuple[Facet, ...]:
    data = text.encode("utf-8")
    out = []
    at = data.rfind(("\n\n" + shown).encode("utf-8"))
    start = at + 2 if at >= 0 else data.find(shown.encode("utf-8"))
    out.append(Facet(start, start + len(shown.encode("utf-8")), link=link))
    if tags:
        # The hashtags are the last paragraph, after the link.
        pos = len(data) - len(" ".join(tags).encode("utf-8"))
        for tag in tags:
            size = len(tag.encode("utf-8"))
            out.append(Facet(pos, pos + size, tag=tag[1:]))
            pos += size + 1
    return tuple(out)


def compose_bluesky(post: Post, link: str, settings: BlueskySettings) -> BlueskyPost:
    """The Bluesky post announcing `post` at `link`; AnnounceError when even
    the content warning and the link alone exceed 300 graphemes."""
    warning = content_warning(post, settings)
    opening = f"⚠ {warning}" if warning else ""
    shown = link_display(link)

    def fits(parts: Parts) -> bool:
        text = parts.text(shown, opening)
        return len(graphemes(text)) <= BLUESKY_MAX_GRAPHEMES and len(text.encode("utf-8")) <= BLUESKY_MAX_BYTES

    empty = Parts("", "", Credit(), ())
    if not fits(empty):
        raise AnnounceError(
            f"{post.path}: the content warning ({len(graphemes(warning))} characters) and the link do not "
            f"fit in Bluesky's {BLUESKY_MAX_GRAPHEMES} characters; shorten the content_warning (or the "
            "warning mapped from its tags in gulagpub.toml [bluesky] content_warnings)"
        )
    # The summary is the link card's description: not in the text as well.
    parts = replace(_parts(post, settings), summary="")
    parts = replace(parts, tags=tuple(t for t in parts.tags if len(graphemes(t)) <= BLUESKY_MAX_TAG + 1))
    parts, shortened = _shorten(parts, fits)
    text = parts.text(shown, opening)
    description = clean(post.summary) if settings.summary else ""
    if len(graphemes(description)) > BLUESKY_MAX_GRAPHEMES:
        description = "".join(graphemes(description)[: BLUESKY_MAX_GRAPHEMES - 1]).rstrip() + ELLIPSIS
    return BlueskyPost(
        text=text,
        facets=_facets(text, link, shown, parts.tags),
        card=LinkCard(link, clean(post.title), description),
        langs=(post.lang,) if post.lang else (),
        labels=(settings.content_warning_label,) if warning and settings.content_warning_label else (),
        length=len(graphemes(text)),
        shortened=shortened,
    )
