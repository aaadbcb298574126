"""The text of a post's Mastodon announcement, counted as Mastodon counts. Pure.

A status is: the title, an optional short summary, the link to the post's
page, and hashtags made from the post's tags and categories. Mastodon
counts a status as the grapheme clusters of its content warning plus its
text, where every URL counts as `characters_reserved_per_url` and a mention
`@user@domain` as `@user` only. When the whole does not fit, the summary
goes first, then the hashtags, then the title is cut at a word boundary;
the link and the content warning are never cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

from .config import MastodonSettings
from .errors import AnnounceError
from .model import Post

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
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


def content_warning(post: Post, settings: MastodonSettings) -> str:
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


def _assemble(title: str, summary: str, link: str, tags: list[str]) -> str:
    parts = [p for p in (title, summary, link) if p]
    if tags:
        parts.append(" ".join(tags))
    return "\n\n".join(parts)


def _trim_title(title: str, fits: Callable[[str], bool]) -> str:
    """The longest start of `title` that fits, cut at a word boundary when
    there is one, with an ellipsis; '' when not even that fits."""
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
    language = language_of(post)
    title = clean(post.title)
    summary = clean(post.summary) if settings.summary else ""
    tags = hashtags((*post.tags, *post.categories))
    limit = limits.max_characters

    def length(text: str) -> int:
        return status_length(text, spoiler, limits.url_length, (link,))

    bare = _assemble("", "", link, [])
    if length(bare) > limit:
        raise AnnounceError(
            f"{post.path}: the content warning ({len(graphemes(spoiler))} characters) and the link "
            f"do not fit in the instance's {limit} characters; shorten the content_warning "
            "(or the warning mapped from its tags in gulagpub.toml [mastodon] content_warnings)"
        )
    shortened: list[str] = []
    text = _assemble(title, summary, link, tags)
    if length(text) > limit and summary:
        summary = ""
        shortened.append("summary")
        text = _assemble(title, summary, link, tags)
    if length(text) > limit and tags:
        # Keep as many hashtags as fit, in order, before giving up on them.
        kept: list[str] = []
        for tag in tags:
            if length(_assemble(title, "", link, [*kept, tag])) <= limit:
                kept.append(tag)
        if not kept or length(_assemble(title, "", link, kept)) > limit:
            kept = []
        if kept != tags:
            shortened.append("hashtags")
        tags = kept
        text = _assemble(title, summary, link, tags)
    if length(text) > limit:
        title = _trim_title(title, lambda t: length(_assemble(t, "", link, tags)) <= limit)
        shortened.append("title")
        text = _assemble(title, "", link, tags)
    return Status(
        text=text,
        spoiler_text=spoiler,
        language=language,
        visibility=settings.visibility,
        length=length(text),
        shortened=tuple(shortened),
    )
