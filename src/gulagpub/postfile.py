"""Text <-> Post: front matter parsed safely, validated, with line numbers.

Pure: `parse_post` takes the file's path (for messages and the kind) and its
bytes; `render_post` gives back the text. Front matter in the plain subset
people write is read by `yamlsubset` (the values PyYAML would give, several
times faster); anything else with PyYAML's safe loader (no object
construction: `!!python/...` tags are errors) and a bound on aliases, so an
alias bomb is refused before anything is expanded.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any

from .frontyaml import MAX_ALIASES, load_fields, read_front  # noqa: F401 - read_front: part of this module's API
from .config import DEFAULT_LIMITS, Config, LimitSettings
from .errors import Problem
from .languages import not_a_tag
from .workflow import START_AFRESH
from .model import (
    Correction,
    Kind,
    LeadImage,
    Post,
    ProposedCorrection,
    Reprint,
    Review,
    Source,
    State,
    Translation,
    Verdict,
    Withdrawal,
    is_valid_lang,
    is_valid_slug,
    kind_of,
    name_of,
    primed,
    slug_from_name,
)


KNOWN_KEYS = (
    "title", "id", "slug", "state", "author", "date", "updated", "lang", "tags",
    "categories", "summary", "content_warning", "source", "translation", "reprints",
    "reviews", "withdrawn", "correction", "corrections", "original", "aliases", "sticky", "published_by", "import",
    "image",
)
SOURCE_KEYS = ("title", "author", "publication", "via", "url", "date", "lang", "rights")
POST_SOURCE_KEYS = (*SOURCE_KEYS, "scans")  # (a stored original has no scans of its own: its post carries them)
_KNOWN = frozenset(KNOWN_KEYS)
_STATES = {s.value: s for s in State}
_HTTP_URL = re.compile(r"^https?://\S+$")
_ABSOLUTE_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")

_OPENING = re.compile(r"---[ \t]*\n")
_CLOSING = re.compile(r"---[ \t]*(?:\n|\Z)")


def split(text: str) -> tuple[str | None, str]:
    """(front matter, body); front matter None when the file has none.

    The front matter is what stands between a first line '---' and the next
    line '---' (spaces or tabs may follow either)."""
    m = _OPENING.match(text)
    if m is None:
        return None, text
    start = i = m.end()
    while True:  # str.find, not a lazy regex over the front matter: four times faster
        if text.startswith("---", i):
            end = _CLOSING.match(text, i)
            if end is not None:
                return text[start:i], text[end.end():]
        i = text.find("\n---", i) + 1
        if i == 0:
            return None, text


def _conflict_line(text: str) -> int:
    """The line of git's first conflict marker in `text` (0: none)."""
    if text.startswith("<<<<<<< "):
        return 1
    at = text.find("\n<<<<<<< ")
    return text.count("\n", 0, at + 1) + 1 if at >= 0 else 0


def read_post(path: str, data: bytes, config: Config, original: str | None = None) -> tuple[Post | None, list[Problem]]:
    """`parse_post` with the site's language, time zone and limits."""
    return parse_post(path, data, default_lang=config.site.lang, tz=config.site.tz, limits=config.limits,
                      original=original)


def parse_post(
    path: str, data: bytes, *, default_lang: str = "en", tz: tzinfo | None = None,
    limits: LimitSettings = DEFAULT_LIMITS, original: str | None = None,
) -> tuple[Post | None, list[Problem]]:
    """Parse and validate one content file. Returns the post (None when it is
    too broken to use) and every problem found in it. For a language version,
    `original` is the path of its post (default `posts/NAME.md`; the caller,
    who sees the files, says `posts/NAME/index.md` when the post is a bundle). The work is bounded
    whatever the file holds (`limits`: its size, how many tags, how deeply
    its front matter and its text nest)."""
    problems: list[Problem] = []

    def bad(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    where = kind_of(path)
    if where is None:
        bad(0, "not a content file: posts live in posts/NAME.md (or posts/NAME/index.md), language versions in "
               "translations/LANG/NAME.md, pages in pages/NAME.md")
        return None, problems
    kind, folder_lang = where
    name = name_of(path)

    if len(data) > limits.post_size:
        bad(0, f"file is {len(data):,} bytes, more than the {limits.post_size:,} allowed "
               "([limits] post_size in gulagpub.toml); split it")
        return None, problems
    if data.startswith(b"\xef\xbb\xbf"):
        bad(1, "file starts with a byte-order mark; save it as UTF-8 without BOM")
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad(line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
        return None, problems
    if "\r" in text:
        bad(text[: text.index("\r")].count("\n") + 1,
            "CRLF (Windows) line endings; save with LF line endings "
            "(git config core.autocrlf input, or your editor's 'LF' setting)")
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    conflict = _conflict_line(text)
    if conflict:
        bad(conflict, f"an unresolved merge conflict (a '<<<<<<<' line): keep one side, or both where they "
                      f"add to a list, and delete the '<<<<<<<', '=======' and '>>>>>>>' lines; {START_AFRESH}")
        return None, problems
    fm, body = split(text)
    if fm is None:
        bad(1, "no front matter: the file must start with a '---' line, the YAML fields "
               "(at least 'title: ...'), and another '---' line")
        return None, problems
    if body.startswith("\n"):
        body = body[1:]

    loaded = load_fields(fm, bad)
    if loaded is None:
        return None, problems
    meta, lines = loaded
    deep = _too_deep(meta, limits.yaml_nesting) if _may_nest(fm, limits.yaml_nesting) else None
    if deep is not None:
        bad(lines.get(deep, 1), f"'{deep}' is nested more than {limits.yaml_nesting} levels deep "
                                f"([limits] yaml_nesting in gulagpub.toml); write the values out flat")
        return None, problems
    for line, message in nesting_problems(body, limits.nesting):
        bad(text.count("\n", 0, len(text) - len(body)) + 1 + line, message)

    def at(key: str) -> int:
        return lines.get(key, 1)

    def at_in(parent: str, key: str) -> int:
        """The line of `parent.key` (a field of a mapping), else of `parent`;
        looked for only for a problem's line."""
        fm_lines = fm.split("\n")
        start = at(parent)  # the file's line N is fm_lines[N - 2] (line 1 is the opening '---')
        for n in range(start - 1, len(fm_lines)):
            line = fm_lines[n]
            if line and not line[0].isspace():
                break
            if line.strip().startswith(f"{key}:"):
                return n + 2
        return start

    for key in meta:
        if key not in _KNOWN:
            bad(at(str(key)), f"unknown field '{key}'; known fields: {', '.join(KNOWN_KEYS)}")

    def text_field(key: str, container: dict[str, Any] = meta, line: int | None = None,
                   prefix: str = "") -> str | None:
        value = container.get(key)
        if value is None:
            return None
        if type(value) is str:
            return value.strip() or None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if not isinstance(value, str):
            bad(line or at(key), f"'{prefix}{key}' must be text, not {type(value).__name__}")
            return None
        return value.strip() or None

    def list_field(key: str, most: int, length: int | None = None) -> tuple[str, ...]:
        """The names of a list field, at most `most` (more is a problem: every
        name may become a page), each at most `length` characters."""
        value = meta.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        out: dict[str, None] = {}  # (ordered, and found in constant time)
        if isinstance(value, list):
            if len(value) > most:
                bad(at(key), f"'{key}' has {len(value):,} entries, more than the {most} allowed "
                             f"([limits] in gulagpub.toml); keep the {most} that matter most")
                value = value[:most]
            for v in value:
                if type(v) is not str and (not isinstance(v, (str, int)) or isinstance(v, bool)):
                    break
                s = str(v).strip()
                if length is not None and len(s) > length:
                    bad(at(key), f"'{key}' entry {s[:40]!r}... is {len(s):,} characters long, more than the "
                                 f"{length} allowed ([limits] tag_length in gulagpub.toml); shorten it")
                    continue
                if s:
                    out[s] = None
            else:
                return tuple(out)
        bad(at(key), f"'{key}' must be a list of names, like [{key[:-1]}-one, {key[:-1]}-two]")
        return ()

    def time_field(key: str, container: dict[str, Any] = meta, line: int | None = None, label: str | None = None) -> datetime | None:
        value = container.get(key)
        if value is None:
            return None
        return to_datetime(value, tz, lambda msg: bad(line or at(key), f"'{label or key}' {msg}"))

    title = text_field("title")
    if title is None and "title" not in meta:
        bad(1, "no 'title'; add a line 'title: ...' to the front matter")
    elif title is None:
        bad(at("title"), "'title' is empty; give the post a title")

    state = State.DRAFT
    raw_state = meta.get("state")
    if raw_state is not None:
        found = _STATES.get(str(raw_state).strip().lower())
        if found is not None:
            state = found
        else:
            bad(at("state"), f"unknown state {raw_state!r}; use one of: {', '.join(s.value for s in State)}")

    slug = slug_from_name(name)
    if meta.get("slug") is not None:
        slug = str(meta["slug"]).strip()
    if not is_valid_slug(slug):
        bad(at("slug") if "slug" in meta else 1,
            f"slug {slug!r} is not allowed; use letters, digits and hyphens only (no '/', '.', spaces)")

    lang = text_field("lang") or folder_lang or default_lang
    if not is_valid_lang(lang):
        bad(at("lang"), not_a_tag("lang", lang) or "")
    if folder_lang is not None:
        if not is_valid_lang(folder_lang):
            bad(0, f"folder translations/{folder_lang}/ is not named by a language tag like 'es'")
        elif lang.lower() != folder_lang.lower():
            bad(at("lang"), f"'lang' is {lang!r} but the file is in translations/{folder_lang}/; make them agree")

    def scans_field(value: Any) -> tuple[str, ...]:
        """`source.scans`: the files of the original's pages, in order (where each
        is and whether it is an image, media.problems judges)."""
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        how = ("write the scans as a list of files beside the post or in /media/, page by page: "
               "'scans: [scan-p1.jpg, scan-p2.jpg]'")
        if not isinstance(items, list) or not all(type(v) is str and v.strip() for v in items):
            bad(at_in("source", "scans"), f"'source.scans' must be a list of file names; {how}")
            return ()
        return tuple(v.strip() for v in items)

    source = None
    raw_source = meta.get("source")
    if raw_source is not None:
        if isinstance(raw_source, str):
            source = Source(title=raw_source.strip() or None)
        elif not isinstance(raw_source, dict):
            bad(at("source"), f"'source' must be a mapping with some of: {', '.join(SOURCE_KEYS)}")
        else:
            for k in raw_source:
                if k not in POST_SOURCE_KEYS:
                    bad(at("source"), f"unknown field 'source.{k}'; known: {', '.join(POST_SOURCE_KEYS)}")
            line = at("source")
            values: dict[str, str | None] = dict.fromkeys(SOURCE_KEYS)
            for k in SOURCE_KEYS:
                if k in raw_source:
                    values[k] = text_field(k, raw_source, line, "source.")
            if values["lang"] and not is_valid_lang(values["lang"]):
                bad(at_in("source", "lang"), not_a_tag("source.lang", values["lang"]) or "")
            if values["url"] and not _HTTP_URL.match(values["url"]):
                bad(at("source"), f"'source.url' {values['url']!r} must be an absolute http(s) URL")
            source = Source(**values, scans=scans_field(raw_source.get("scans")))

    image = None
    raw_image = meta.get("image")
    if raw_image is not None:
        how = ("write it as a mapping: 'image: {src: scan-p1.jpg, alt: Page 1 of the letter}' (src: a file "
               "beside the post, or /media/NAME; alt: what it shows)")
        if not isinstance(raw_image, dict) or set(raw_image) - {"src", "alt"}:
            bad(at("image"), f"'image' must have a 'src' and an 'alt'; {how}")
        else:
            image_src = text_field("src", raw_image, at("image"), "image.")
            image_alt = text_field("alt", raw_image, at("image"), "image.")
            if not image_src:
                bad(at("image"), f"'image' has no 'src'; {how}")
            elif not image_alt:
                bad(at("image"), f"'image' has no 'alt': describe the image for readers who cannot see it; {how}")
            else:
                image = LeadImage(image_src, image_alt)

    translation = None
    raw_tr = meta.get("translation")
    if raw_tr is not None:
        if not isinstance(raw_tr, dict):
            bad(at("translation"), "'translation' must be a mapping: translator: NAME (or a list), from_lang: LANG")
        else:
            for k in raw_tr:
                if k not in ("translator", "from_lang", "of_digest"):
                    bad(at("translation"), f"unknown field 'translation.{k}'; use 'translator', 'from_lang' and 'of_digest'")
            tr = raw_tr.get("translator")
            names: list[str] = []
            if isinstance(tr, str):
                names = [tr.strip()] if tr.strip() else []
            elif isinstance(tr, list) and all(isinstance(x, str) for x in tr):
                names = [x.strip() for x in tr if x.strip()]
            elif tr is not None:
                bad(at("translation"), "'translation.translator' must be a name or a list of names")
            from_lang = text_field("from_lang", raw_tr, at("translation"), "translation.")
            if from_lang and not is_valid_lang(from_lang):
                bad(at_in("translation", "from_lang"), not_a_tag("translation.from_lang", from_lang) or "")
            of_digest = text_field("of_digest", raw_tr, at("translation"), "translation.")
            translation = Translation(translators=tuple(names), from_lang=from_lang, of_digest=of_digest)

    reprints: list[Reprint] = []
    raw_rep = meta.get("reprints")
    if raw_rep is not None:
        if not isinstance(raw_rep, list):
            bad(at("reprints"), "'reprints' must be a list of '- publication: ..., date: ...' items")
        else:
            for item in raw_rep:
                if isinstance(item, str):
                    reprints.append(Reprint(publication=item))
                elif isinstance(item, dict) and item.get("publication"):
                    reprints.append(Reprint(
                        publication=str(item["publication"]),
                        date=text_field("date", item, at("reprints"), "reprints."),
                    ))
                else:
                    bad(at("reprints"), "each reprint needs a 'publication'")

    reviews: list[Review] = []
    raw_reviews = meta.get("reviews")
    if raw_reviews is not None:
        if not isinstance(raw_reviews, list):
            bad(at("reviews"), "'reviews' is written by `gulagpub approve` / `request-changes`; it must be a list")
        else:
            for item in raw_reviews:
                if not isinstance(item, dict) or not all(k in item for k in ("by", "verdict", "at", "content")):
                    bad(at("reviews"), "each review needs by, verdict, at and content; record reviews with `gulagpub approve`")
                    continue
                try:
                    verdict = Verdict(str(item["verdict"]))
                except ValueError:
                    bad(at("reviews"), f"unknown review verdict {item['verdict']!r}; use 'approved' or 'changes-requested'")
                    continue
                when = time_field("at", item, at("reviews"), "reviews.at")
                if when is None:
                    continue
                reviews.append(Review(
                    by=str(item["by"]), verdict=verdict, at=when, content=str(item["content"]),
                    name=text_field("name", item, at("reviews")), note=text_field("note", item, at("reviews")),
                    commit=text_field("commit", item, at("reviews")),
                    original=text_field("original", item, at("reviews")),
                ))

    withdrawn = None
    raw_w = meta.get("withdrawn")
    if raw_w is not None:
        if not isinstance(raw_w, dict) or not raw_w.get("reason"):
            bad(at("withdrawn"), "'withdrawn' needs by, at and reason; withdraw with `gulagpub withdraw --reason`")
        else:
            when = time_field("at", raw_w, at("withdrawn"), "withdrawn.at")
            public = raw_w.get("public", True)
            if not isinstance(public, bool):
                bad(at("withdrawn"), "'withdrawn.public' must be true or false (false: the page does not give "
                                     "the reason)")
                public = True
            if when is not None:
                withdrawn = Withdrawal(by=str(raw_w.get("by", "")), at=when, reason=str(raw_w["reason"]),
                                       public=public)

    correction = None
    raw_c = meta.get("correction")
    if raw_c is not None:
        if not isinstance(raw_c, dict):
            bad(at("correction"), "'correction' must hold 'note:' (what was corrected, shown on the page) and "
                                  "'by:' (your e-mail); `gulagpub submit POST --note NOTE` writes it")
        else:
            minor = raw_c.get("minor", False)
            if not isinstance(minor, bool):
                bad(at("correction"), "'correction.minor' must be true or false")
                minor = False
            note = text_field("note", raw_c, at("correction"), "correction.")
            if note is None and not minor:
                bad(at("correction"), "a correction needs a 'note' saying what was corrected, e.g. 'the date of "
                                      "the arrest was 20-4-1950, not 1951' (or 'minor: true' for an editor's "
                                      "typo fix)")
            elif note is not None and minor:
                bad(at("correction"), "a minor fix has no public note: remove 'note' or 'minor: true'")
            correction = ProposedCorrection(by=text_field("by", raw_c, at("correction"), "correction."),
                                            note=None if minor else note, minor=minor)

    corrections: list[Correction] = []
    raw_cs = meta.get("corrections")
    if raw_cs is not None:
        if not isinstance(raw_cs, list):
            bad(at("corrections"), "'corrections' must be a list of '- date: YYYY-MM-DD' / 'note: ...' entries "
                                   "(written by `gulagpub publish`)")
        else:
            for item in raw_cs:
                if not isinstance(item, dict):
                    bad(at("corrections"), "each entry of 'corrections' needs 'date' and 'note'")
                    continue
                day = text_field("date", item, at("corrections"), "corrections.")
                note = text_field("note", item, at("corrections"), "corrections.")
                if day is None or note is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day[:10]):
                    bad(at("corrections"), "each entry of 'corrections' needs 'date' (YYYY-MM-DD) and 'note'")
                    continue
                corrections.append(Correction(date=day[:10], note=note))

    original_text = text_field("original")
    if original_text is not None and (not re.fullmatch(r"originals/[A-Za-z0-9-]+/[^/\\]+\.md", original_text)
                                      or ".." in original_text):
        bad(at("original"), f"'original' {original_text!r} must name a file in originals/LANG/, like "
                            "originals/es/NAME.md (the text this one translates)")
        original_text = None

    sticky = meta.get("sticky", False)
    if not isinstance(sticky, bool):
        bad(at("sticky"), "'sticky' must be true or false")
        sticky = False

    aliases = list_field("aliases", limits.tags)
    for a in aliases:
        if not a.startswith("/") or ".." in a.split("/") or any(c in a for c in " \"'<>\\"):
            bad(at("aliases"), f"alias {a!r} must be a URL path starting with '/', like /2012/10/20/old-slug/")

    post_id = text_field("id")
    if post_id and not _ABSOLUTE_URI.match(post_id):
        bad(at("id"), f"'id' {post_id!r} must be an absolute URI (a tag:, urn: or http(s): URI)")

    post_date = time_field("date")
    if state in (State.APPROVED, State.PUBLISHED) and "date" in meta and post_date is None:
        pass  # already reported
    if state == State.PUBLISHED and post_date is None and "date" not in meta:
        bad(1, "a published post needs a 'date' (its publication time)")

    if kind == Kind.TRANSLATION and translation is None and state != State.DRAFT:
        pass  # the workflow rules say what a translation needs, per transition

    imported = meta.get("import")
    approved_on_import = imported.get("approved_content") if isinstance(imported, dict) else None
    if not isinstance(approved_on_import, str):
        approved_on_import = None
    post = Post(
        path=path,
        kind=kind,
        name=name,
        slug=slug,
        title=title or "",
        state=state,
        lang=lang,
        body=body,
        id=post_id,
        author=text_field("author"),
        date=post_date,
        updated=time_field("updated"),
        tags=list_field("tags", limits.tags, limits.tag_length),
        categories=list_field("categories", limits.categories, limits.tag_length),
        summary=text_field("summary"),
        content_warning=text_field("content_warning"),
        source=source,
        translation=translation,
        reprints=tuple(reprints),
        reviews=tuple(reviews),
        withdrawn=withdrawn,
        correction=correction,
        corrections=tuple(corrections),
        original_text=original_text,
        aliases=aliases,
        sticky=sticky,
        image=image,
        original=(original or f"posts/{name}.md") if kind == Kind.TRANSLATION else None,
        approved_on_import=approved_on_import,
        front=fm,
    )
    return primed(post, meta, lines), problems


def _may_nest(fm: str, most: int) -> bool:
    """Whether front matter could nest more than `most` levels deep: each
    level takes a flow bracket, a '- ' or '? ' entry, or one more space of
    indentation, so text with fewer of them together cannot (most files: the
    walk over their values, a twentieth of reading a post, is left out)."""
    marks = fm.count("[") + fm.count("{") + fm.count("- ") + fm.count("? ")
    if marks + 1 >= most:
        return True
    return re.search(rf"^ {{{most - 1 - marks}}}", fm, re.M) is not None


def _too_deep(meta: dict[Any, Any], most: int) -> str | None:
    """The top-level field whose value nests lists and mappings more than
    `most` levels deep (the front matter itself is level 1), or None. Without
    recursion: the value may be nested a thousand deep (libyaml's own bound)."""
    for key, value in meta.items():
        if not isinstance(value, (list, dict)):
            continue  # (most fields: nothing to walk)
        todo = [(value, 2)]
        while todo:
            item, depth = todo.pop()
            if depth > most:
                return str(key)
            for v in item.values() if isinstance(item, dict) else item:
                if isinstance(v, (list, dict)):
                    todo.append((v, depth + 1))
    return None


# Block quotes and list items open on a line: `> `, `- `, `* `, `+ `, `1. `, `1) `.
_CONTAINER = r"(?> {0,3}(?:>|[-+*](?= )|\d{1,9}[.)](?= )) ?)"
# Raw HTML elements that nest (those with optional end tags, such as <p> and
# <li>, close themselves at the next one and do not; void ones never do).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_FLAT = frozenset("area base br col embed hr img input link meta source track wbr p li dt dd option "
                  "optgroup tr td th thead tbody tfoot colgroup caption rb rt rtc rp".split())


@functools.cache
def _containers(most: int) -> re.Pattern[str]:
    return re.compile(rf"^{_CONTAINER}{{{most + 1}}}", re.M)


def nesting_problems(body: str, most: int) -> list[tuple[int, str]]:
    """(line in the body, 0-based; message) where the text nests block quotes
    and lists, or HTML elements, more than `most` deep. Found in linear time,
    before anything is rendered: the HTML sanitizer's time grows with the
    square of the nesting (100,000 nested '>' took it 45 s)."""
    found = []
    # (Nesting more than `most` block quotes takes more than `most` '>': the
    # search, a tenth of the time to read a post, is left out for the rest.
    # Lists alone cmark nests at most about a hundred deep itself.)
    if body.count(">") > most:
        m = _containers(most).search(body)
        if m is not None:
            found.append((body.count("\n", 0, m.start()), (
                f"block quotes or lists are nested more than {most} deep here ([limits] nesting in "
                "gulagpub.toml); nest them less")))
    if body.count("<") > most:
        depth = 0
        for t in _TAG.finditer(body):
            name = t.group(2).lower()
            if name in _FLAT:
                continue
            if t.group(1):
                depth = max(depth - 1, 0)
                continue
            depth += 1
            if depth > most:
                found.append((body.count("\n", 0, t.start()), (
                    f"HTML elements are nested more than {most} deep here (<{name}> inside {most} "
                    "others that are not closed; [limits] nesting in gulagpub.toml); close them, or nest less")))
                break
    return found


DATE_FORMAT = ("write it as YYYY-MM-DD, or YYYY-MM-DD HH:MM with the time (optionally with the zone, +01:00), "
               "like 2024-01-05 10:00")


def to_datetime(value: Any, tz: tzinfo | None, complain: Any) -> datetime | None:
    """A YAML value as an aware datetime; naive times are in `tz` (UTC if None)."""
    zone = tz or timezone.utc
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            result = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            complain(f"{value!r} is not a date: {DATE_FORMAT}")
            return None
    else:
        complain(f"must be a date like 2012-10-20 14:32, not {type(value).__name__}")
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=zone)
    return result


def _str_presenter(dumper: Any, data: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


@functools.cache
def _dumper() -> Any:
    import yaml

    # libyaml when PyYAML has it: the same YAML, several times faster for big imports.
    class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        pass

    _Dumper.add_representer(str, _str_presenter)
    return _Dumper


def dump_yaml(data: dict[str, Any]) -> str:
    """`data` as the YAML gulagpub writes: keys in the order given, text with
    line breaks as literal blocks, any script as itself."""
    import yaml

    return str(yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100))


def render_post(meta: dict[str, Any], body: str) -> str:
    """The text of a content file: front matter in the order given, then the body."""
    import frontmatter  # here: reading posts (a build) does not need it

    post = frontmatter.Post(body.rstrip("\n") + "\n" if body.strip() else "", **meta)
    fm = dump_yaml(meta) if meta else ""
    del post
    text = "---\n" + fm + "---\n"
    if body.strip():
        text += "\n" + body.strip("\n") + "\n"
    return text


def update_meta(text: str, changes: dict[str, Any]) -> str:
    """Set (or, with value None, remove) front-matter fields of a file's text
    and keep its body byte for byte. Keys keep their order; new keys go last."""
    fm, body = split(text)
    if fm is None:
        raise ValueError("no front matter")
    import frontmatter

    meta = frontmatter.loads(text).metadata  # safe loader
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    fm_text = dump_yaml(meta)
    return "---\n" + fm_text + "---\n" + body
