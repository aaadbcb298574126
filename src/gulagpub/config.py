"""Typed settings from `gulagpub.toml` at the root of a content repository.

Pure: `parse_config(text, path)` takes the file's text. Every setting is
validated (its type, its range, that it is not empty) and ALL problems are
reported at once, each with its line. Unknown keys are errors (a typo must
not silently switch a setting off). `check` and `build` both read the
settings through here, so they can never disagree about them.

A section is a frozen dataclass; each field's type is its annotation and its
bounds are in the field's metadata (`_setting`), so a new setting is
validated by declaring it.
"""

from __future__ import annotations

import functools
import json
import re
import string
import tomllib
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import datetime, timezone, tzinfo
from enum import Enum
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .model import is_valid_lang

CONFIG_FILE = "gulagpub.toml"


class Role(str, Enum):
    EDITOR = "editor"
    TRANSLATOR = "translator"

    def __str__(self) -> str:
        return self.value


class Size(int):
    """A number of bytes; written in gulagpub.toml as a whole number of bytes or
    as text with a unit: "20 MB", "1 GB", "512 KiB"."""


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(value: Any) -> Size | None:
    """Bytes from 20000000, "20 MB" or "1.5 GiB"; None when it is not a size."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Size(value)
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m and m.group(2).lower() in _UNITS:
            return Size(int(float(m.group(1)) * _UNITS[m.group(2).lower()]))
    return None


def _setting(default: Any, *, min: float | None = None, max: float | None = None, above: float | None = None,
             choices: tuple[str, ...] = (), nonempty: bool = False, unit: str = "") -> Any:
    """A setting's default and the bounds `parse_config` holds it to (`above`:
    it must be more than that)."""
    meta = {"min": min, "max": max, "above": above, "choices": choices, "nonempty": nonempty, "unit": unit}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Member:
    """One person of the [[team]]: who they are and what they may do."""

    name: str
    email: str
    roles: frozenset[Role]
    langs: tuple[str, ...] = ()
    github: str | None = None  # GitHub login, for pull requests made on the web
    signing_key: str | None = None  # SSH public key, "ssh-ed25519 AAAA... comment"

    def has(self, role: Role) -> bool:
        return role in self.roles

    @cached_property
    def identities(self) -> frozenset[str]:
        """What may name this member in a post (author, translator): name,
        e-mail, GitHub login, lower-cased."""
        return frozenset(x.lower() for x in (self.name, self.email, self.github) if x)


@dataclass(frozen=True)
class SiteSettings:
    """[site]: the title, address, language, time zone and URLs of the site."""

    title: str = _setting(MISSING, nonempty=True)
    base_url: str = _setting(MISSING, nonempty=True)  # absolute, ends with '/'
    lang: str = _setting("en")
    timezone: str = _setting("UTC")
    description: str = _setting("")
    permalink: str = _setting("/{year}/{month}/{day}/{slug}/")
    per_page: int = _setting(10, min=1, max=1000)
    # The title and description in other languages ([site.titles] es = "..."), for the
    # pages of that language; the two above stand for every language not named.
    titles: dict[str, str] = _setting({})
    descriptions: dict[str, str] = _setting({})
    # The menu at the top of every page, in order: the site's own parts (MENU_PARTS)
    # and the slugs of standalone pages (pages/NAME.md, shown by their title).
    menu: list[str] = _setting(["home", "archive", "tags", "about", "feeds", "search"])
    # A search page per language over a Pagefind index (search.py); off by
    # default: indexing costs about 4 ms of CPU a post (docs/publishing.md).
    search: bool = _setting(False)

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def title_in(self, lang: str) -> str:
        return _in_lang(self.titles, lang) or self.title

    def description_in(self, lang: str) -> str:
        return _in_lang(self.descriptions, lang) or self.description


# What a menu entry may name besides a standalone page's slug.
MENU_PARTS = ("home", "archive", "tags", "categories", "feeds", "search")
DEFAULT_MENU = ["home", "archive", "tags", "about", "feeds", "search"]


def _in_lang(texts: dict[str, str], lang: str) -> str | None:
    """The text for `lang` ('es-AR', else 'es'), matching tags without regard to case."""
    by_tag = {k.lower(): v for k, v in texts.items()}
    return by_tag.get(lang.lower()) or by_tag.get(lang.split("-")[0].lower())


@dataclass(frozen=True)
class WorkflowSettings:
    """[workflow]: how many approvals publish a post, and whether they are signed."""

    approvals_required: int = _setting(1, min=1)
    signed_approvals: bool = _setting(False)


@dataclass(frozen=True)
class FeedSettings:
    """[feeds]: how many entries a feed document holds, and whether JSON Feed is made."""

    entries: int = _setting(20, min=1, max=1000)  # newest entries per feed document; older go to archives
    json_feed: bool = _setting(True)


@dataclass(frozen=True)
class NetworkSettings:
    """What [mastodon] and [bluesky] both hold: how and when posts are announced there."""

    limit: int = _setting(3, min=0)  # posts per run at most
    announce_since: datetime | None = _setting(None)  # posts published before are not announced
    on_withdraw: str = _setting("leave", choices=("leave", "delete"))
    content_warnings: dict[str, str] = _setting({})  # tag -> warning
    summary: bool = _setting(True)
    retry_for: float = _setting(60, min=0, unit="seconds")  # of retrying network errors and 5xx, then stop
    rate_limit_wait: float = _setting(120, min=0, unit="seconds")  # longest wait for a rate limit's reset
    # Seconds for one whole HTTP request, however the server drips.
    request_timeout: float = _setting(30, min=0, above=0, unit="seconds")
    # Seconds for one run on this network, then stop (what is left waits).
    run_timeout: float = _setting(300, min=0, above=0, unit="seconds")
    # Pages of the account's own recent posts read before posting, to find
    # an announcement that was made but not recorded (a lost ledger, a lost
    # reply); reading stops earlier at the oldest post due.
    search_pages: int = _setting(5, min=0)


@dataclass(frozen=True)
class MastodonSettings(NetworkSettings):
    """[mastodon]: how and when posts are announced on Mastodon."""

    visibility: str = _setting("public", choices=("public", "unlisted"))


@dataclass(frozen=True)
class BlueskySettings(NetworkSettings):
    """[bluesky]: how and when posts are announced on Bluesky. `announce_since`
    and `content_warnings` not set here are [mastodon]'s: they say what the
    blog's posts are, not how a network shows them."""

    service: str = _setting("https://bsky.social")  # the account's PDS (its XRPC server)
    web_url: str = _setting("https://bsky.app")  # where a post's public page is
    # The self-label that hides the link card's image behind a warning when a
    # post has a content warning (the warning's text opens the post itself).
    content_warning_label: str = _setting("graphic-media")


# Without an `output_size`, a build may write this many times the size of the
# content it reads, plus OUTPUT_EXTRA bytes (a site is a few pages and feeds
# per post: far less than this; a post with 2,000 tags is far more).
OUTPUT_FACTOR = 10
OUTPUT_EXTRA = 10**9


@dataclass(frozen=True)
class LimitSettings:
    """[limits]: bounds on the work any one file can ask of `check` and `build`,
    so that no input, however made, makes them run for long or fill the disk."""

    tags: int = _setting(50, min=1)  # tags per post
    categories: int = _setting(50, min=1)  # categories per post
    tag_length: int = _setting(100, min=1)  # characters in a tag or category name
    nesting: int = _setting(100, min=1)  # depth of block quotes, lists and HTML elements in a text
    yaml_nesting: int = _setting(20, min=2)  # depth of lists and mappings in front matter
    post_size: Size = _setting(Size(5_000_000), min=1)  # bytes of one content file
    file_size: Size = _setting(Size(20_000_000), min=1)  # bytes of one media file
    output_size: Size | None = _setting(None, min=1)  # bytes a build may write (None: see output_limit)

    def output_limit(self, content_size: int) -> int:
        """The most a build may write, for content of `content_size` bytes:
        `output_size`, or when unset OUTPUT_FACTOR × the content + OUTPUT_EXTRA."""
        if self.output_size is not None:
            return self.output_size
        return OUTPUT_FACTOR * content_size + OUTPUT_EXTRA


DEFAULT_LIMITS = LimitSettings()

# What `gulagpub init` writes: the identity GitHub Actions commits as with the
# workflow's GITHUB_TOKEN (.github/workflows/publish.yml reads it from here).
GITHUB_ACTIONS_BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


@dataclass(frozen=True)
class PublisherSettings:
    """[publisher]: the identity `gulagpub publish` and `gulagpub announce`
    commit as in CI (the bot, which is not on the team). `check --base`
    accepts from it exactly what those commands commit (due approved posts
    made published, records appended to the announcement ledger) and
    refuses anything else committed under it."""

    name: str = _setting("")
    email: str = _setting("")

    def is_author(self, email: str) -> bool:
        return bool(self.email) and email.strip().lower() == self.email.strip().lower()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Config:
    """The settings of gulagpub.toml, typed."""

    site: SiteSettings
    workflow: WorkflowSettings = WorkflowSettings()
    feeds: FeedSettings = FeedSettings()
    mastodon: MastodonSettings = MastodonSettings()
    bluesky: BlueskySettings = BlueskySettings()
    limits: LimitSettings = DEFAULT_LIMITS
    team: tuple[Member, ...] = ()
    publisher: PublisherSettings = PublisherSettings()

    def member(self, email: str | None = None, github: str | None = None) -> Member | None:
        """The team member with this e-mail (case-insensitive) or GitHub login."""
        if email:
            found = self._by_email.get(email.lower())
            if found is not None:
                return found
        return self._by_github.get(github.lower()) if github else None

    # Looked up for every approval of every post (`status` over 10,000 posts):
    # made once. Frozen dataclasses allow cached_property (it writes __dict__).
    @cached_property
    def _by_email(self) -> dict[str, Member]:
        return {m.email.lower(): m for m in reversed(self.team)}  # (no two share one: parse_config)

    @cached_property
    def _by_github(self) -> dict[str, Member]:
        return {m.github.lower(): m for m in reversed(self.team) if m.github}


SECTIONS: dict[str, type] = {"site": SiteSettings, "workflow": WorkflowSettings, "feeds": FeedSettings,
                             "mastodon": MastodonSettings, "bluesky": BlueskySettings, "limits": LimitSettings,
                             "publisher": PublisherSettings}
TEAM_KEYS = ("name", "email", "roles", "langs", "github", "signing_key")
PLACEHOLDERS = ("year", "month", "day", "slug", "lang")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
_GITHUB = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
PUBLIC_KEY = re.compile(r"^(ssh-(ed25519|rsa)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")
_URL = re.compile(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")
_PERMALINK_LITERAL = re.compile(r"^[A-Za-z0-9._~/-]*$")


class _Problems:
    """The problems found in one settings file, each with its line."""

    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path
        self.lines = text.split("\n")
        self.found: list[tuple[int, str]] = []

    def header(self, name: str, nth: int = 1) -> int:
        """The line of the `nth` header `[name]` or `[[name]]` (0: none)."""
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(name)}\s*\]\]?\s*(#.*)?$")
        seen = 0
        for i, line in enumerate(self.lines, 1):
            if pattern.match(line):
                seen += 1
                if seen == nth:
                    return i
        return 0

    def line(self, section: str | None, key: str, nth: int = 1) -> int:
        """The line of `key = ...` in `[section]` (its `nth` table for [[team]]),
        or before any section when `section` is None; the section's header line
        when the key is not written there."""
        start = self.header(section, nth) if section else 0
        if section and not start:
            return 0
        key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for i in range(start, len(self.lines)):  # (lines after the header: index start is line start + 1)
            if re.match(r"^\s*\[", self.lines[i]):
                break
            if key_re.match(self.lines[i]):
                return i + 1
        return start

    def add(self, line: int, message: str) -> None:
        self.found.append((line, message))

    def raise_any(self) -> None:
        if self.found:
            raise ConfigError("\n".join(
                f"{self.path}:{line}: {m}" if line else f"{self.path}: {m}" for line, m in sorted(self.found)))


def _kind(hint: Any) -> Any:
    """The type a setting holds (`X | None`: X; TOML has no null)."""
    args = typing.get_args(hint)
    if type(None) in args:
        return next(a for a in args if a is not type(None))
    return typing.get_origin(hint) or hint


def _value(f: Any, hint: Any, value: Any, name: str, say: Any) -> Any:
    """`value` for setting `f` if it has the right type and lies in its bounds
    (else `say` hears why, and the default stands)."""
    kind = _kind(hint)
    meta = f.metadata
    low, high, above, unit = meta.get("min"), meta.get("max"), meta.get("above"), meta.get("unit")
    bounds = f", {low:g} or more" if low is not None and high is None else \
        f", from {low:g} to {high:g}" if low is not None else ""
    if kind is Size:
        size = parse_size(value)
        if size is None:
            return say(f"{name} must be a size: a number of bytes or text like \"20 MB\" or \"1 GB\"")
        value = size
    elif kind is bool:
        if not isinstance(value, bool):
            return say(f"{name} must be true or false")
    elif kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return say(f"{name} must be a whole number{bounds} (got {value!r})")
    elif kind is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return say(f"{name} must be a number{' of ' + unit if unit else ''}{bounds} (got {value!r})")
    elif kind is str:
        if not isinstance(value, str):
            return say(f"{name} must be text in quotes")
        if meta.get("nonempty") and not value.strip():
            return say(f"{name} is empty; give it a value")
        if meta.get("choices") and value not in meta["choices"]:
            return say(f"{name} must be {' or '.join(repr(c) for c in meta['choices'])} (got {value!r})")
    elif kind is datetime:
        if not isinstance(value, datetime):
            return say(f"{name} must be a date-time like 2026-11-27T12:00:00Z")
    elif kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return say(f"{name} must be a list of texts in quotes, like [\"home\", \"archive\", \"about\"]")
    elif kind is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) and isinstance(k, str) and k.strip()
                                                   for k, v in value.items()):
            return say(f"{name} must be a table of name = \"text\"")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = "a size" if kind is Size else "a whole number" if kind is int else \
            f"a number{' of ' + unit if unit else ''}"
        if (low is not None and value < low) or (high is not None and value > high):
            return say(f"{name} must be {number}{bounds} (got {value})")
        if above is not None and value <= above:
            return say(f"{name} must be more than {above:g}{' ' + unit if unit else ''} (got {value})")
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _section(cls: type, data: Any, where: str, found: _Problems) -> Any:
    """The section's dataclass from its table; problems go to `found`."""
    if not isinstance(data, dict):
        found.add(found.header(where) or found.line(None, where), f"[{where}] must be a table")
        data = {}
    hints = _hints(cls)
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            found.add(found.line(where, key), f"unknown setting '{key}' in [{where}]; known: "
                                               f"{', '.join(sorted(known))}")
            continue
        bad: list[str] = []
        got = _value(known[key], hints[key], value, f"{where}.{key}", bad.append)
        if bad:
            found.add(found.line(where, key), bad[0])
        else:
            kwargs[key] = got
    for name, f in known.items():
        if name not in kwargs and f.default is MISSING and f.default_factory is MISSING:
            if name not in data:
                found.add(found.header(where), f"[{where}] has no '{name}'; add {name} = \"...\"")
            kwargs[name] = ""
    return cls(**kwargs)


def _permalink(template: str) -> str | None:
    """Why a permalink template could make a path outside the site, or two
    posts share one (None: it is fine)."""
    if not template.startswith("/") or not template.endswith("/"):
        return "must start and end with '/', like \"/{year}/{month}/{day}/{slug}/\""
    names = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"is not a template ({exc}); write placeholders as {{slug}}"
    for literal, name, spec, conversion in parts:
        if not _PERMALINK_LITERAL.match(literal):
            return "may hold only letters, digits, '-', '_', '.', '~' and '/' besides its placeholders"
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            return (f"has the placeholder {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}}; use only {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        names.append(name)
    if "slug" not in names:
        return "must hold {slug}: without it, posts would share one page"
    probe = template.format(year="2000", month="01", day="01", slug="x", lang="en")
    if any(seg in (".", "..") for seg in probe.split("/")) or "//" in probe:
        return "may not hold '.' or '..' segments or '//': every page must stay inside the site"
    return None


def parse_config(text: str, path: str = CONFIG_FILE) -> Config:
    """The settings in `text`; ConfigError listing every problem with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
    found = _Problems(text, path)
    for key in data:
        if key not in SECTIONS and key != "team":
            found.add(found.header(key) or found.line(None, key) or 1,
                      f"unknown section '{key}'; known: {', '.join(sorted([*SECTIONS, 'team']))}")
    if "site" not in data:
        found.add(1, "no [site] section; add one with title and base_url")
    sections = {name: _section(cls, data.get(name, {}), name, found) for name, cls in SECTIONS.items()}
    site: SiteSettings = sections["site"]

    if site.base_url and not _URL.match(site.base_url):
        found.add(found.line("site", "base_url"), "site.base_url must be an absolute http(s) URL without "
                  f"query or fragment, like 'https://example.org/' (got {site.base_url!r})")
    elif site.base_url and not site.base_url.endswith("/"):
        site = SiteSettings(**{**site.__dict__, "base_url": site.base_url + "/"})
    if not is_valid_lang(site.lang):
        found.add(found.line("site", "lang"), f"site.lang {site.lang!r} is not a BCP 47 tag like 'en' or 'es'")
    try:
        ZoneInfo(site.timezone)
        zone_ok = True
    except (ZoneInfoNotFoundError, ValueError):
        zone_ok = False
        found.add(found.line("site", "timezone"), f"unknown timezone {site.timezone!r}; "
                  "use an IANA name such as 'Europe/Madrid' or 'UTC'")
    why = _permalink(site.permalink)
    if why:
        found.add(found.line("site", "permalink"), f"site.permalink {site.permalink!r} {why}")

    zone = ZoneInfo(site.timezone) if zone_ok else timezone.utc
    mastodon: MastodonSettings = _in_utc(sections["mastodon"], zone)
    bluesky: BlueskySettings = _in_utc(sections["bluesky"], zone)
    own = data.get("bluesky")
    own = own if isinstance(own, dict) else {}
    # [bluesky] takes what it does not set of what posts are from [mastodon].
    bluesky = replace(bluesky, **{k: getattr(mastodon, k) for k in ("announce_since", "content_warnings")
                                  if k not in own})
    for key in ("service", "web_url"):
        if not re.match(r"^https?://[^/\s]+/?$", getattr(bluesky, key)):
            found.add(found.line("bluesky", key), f"bluesky.{key} must be an address like "
                                                   f"'https://bsky.social' (got {getattr(bluesky, key)!r})")

    team = _team(data.get("team", []), found)
    publisher: PublisherSettings = sections["publisher"]
    if "publisher" in data and not _EMAIL.match(publisher.email.strip()):
        found.add(found.line("publisher", "email"), "publisher.email must be the e-mail the publishing "
                  f"workflow commits as, like email = \"{GITHUB_ACTIONS_BOT[1]}\" (got {publisher.email!r})")
    elif publisher.email and any(m.email.lower() == publisher.email.strip().lower() for m in team):
        found.add(found.line("publisher", "email"), f"publisher.email {publisher.email} is also a team "
                  "member's; the publisher is the bot's own identity, which no person commits as")
    workflow: WorkflowSettings = sections["workflow"]
    editors = sum(1 for m in team if m.has(Role.EDITOR))
    if team and not editors:
        found.add(found.header("team"), "the team has no editor; give someone roles = [\"editor\"] "
                  "(only editors approve, publish and change these settings)")
    elif team and workflow.approvals_required > editors:
        found.add(found.line("workflow", "approvals_required"),
                  f"workflow.approvals_required is {workflow.approvals_required} but the team has "
                  f"{editors} editor(s): no post could ever be approved; lower it or add editors")
    found.raise_any()
    return Config(site=site, workflow=workflow, feeds=sections["feeds"], mastodon=mastodon, bluesky=bluesky,
                  limits=sections["limits"], team=tuple(team), publisher=publisher)


def _in_utc(settings: Any, zone: tzinfo) -> Any:
    """A network's settings with `announce_since` in UTC (written without an
    offset, it is in the site's time zone)."""
    since = settings.announce_since
    if since is None:
        return settings
    if since.tzinfo is None:
        since = since.replace(tzinfo=zone)
    return replace(settings, announce_since=since.astimezone(timezone.utc))


def _team(raw: Any, found: _Problems) -> list[Member]:
    if not isinstance(raw, list) or not raw:
        found.add(found.header("team") or 1, "no [[team]]: add at least one editor "
                  "([[team]] with name, email and roles = [\"editor\"]; `gulagpub init` writes one)")
        return []
    team: list[Member] = []
    emails: dict[str, int] = {}
    logins: dict[str, int] = {}
    keys: dict[str, int] = {}
    for i, entry in enumerate(raw, 1):
        head = found.header("team", i)
        where = f"[[team]] #{i}"

        def at(key: str, i: int = i, head: int = head) -> int:
            return found.line("team", key, i) or head

        if not isinstance(entry, dict):
            found.add(head, f"{where} must be a table")
            continue
        for key in sorted(set(entry) - set(TEAM_KEYS)):
            found.add(at(key), f"unknown key '{key}' in {where}; known: {', '.join(TEAM_KEYS)}")
        name, email = entry.get("name"), entry.get("email")
        who = f"{where} ({name})" if isinstance(name, str) and name.strip() else where
        if not isinstance(name, str) or not name.strip():
            found.add(at("name"), f"{where} needs a name: name = \"Full Name\"")
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            found.add(at("email"), f"{who} needs an e-mail address (what `git config user.email` says when "
                      f"they act), like email = \"name@example.org\" (got {email!r})")
            email = None
        else:
            email = email.strip()
            if email.lower() in emails:
                found.add(at("email"), f"{email} is listed twice in the team (also #{emails[email.lower()]}); "
                          "keep one [[team]] entry per person")
            emails.setdefault(email.lower(), i)
        roles: frozenset[Role] = frozenset()
        raw_roles = entry.get("roles")
        try:
            if not isinstance(raw_roles, list) or not raw_roles:
                raise ValueError
            roles = frozenset(Role(r) for r in raw_roles)
        except (ValueError, TypeError):
            found.add(at("roles"), f"{who}: roles must be a list of 'editor' and/or 'translator', "
                      "like roles = [\"translator\"]")
        langs = entry.get("langs", [])
        if not isinstance(langs, list) or not all(isinstance(x, str) and is_valid_lang(x) for x in langs):
            found.add(at("langs"), f"{who}: langs must be a list of language tags, like langs = [\"es\", \"ru\"]")
            langs = []
        github = entry.get("github")
        if github is not None:
            if not isinstance(github, str) or not _GITHUB.match(github):
                found.add(at("github"), f"{who}: github must be a GitHub login (letters, digits and "
                          f"hyphens), got {github!r}")
                github = None
            elif github.lower() in logins:
                found.add(at("github"), f"{who}: the GitHub login {github!r} is also #{logins[github.lower()]}'s")
            else:
                logins[github.lower()] = i
        key = entry.get("signing_key")
        if key is not None:
            if not isinstance(key, str) or not PUBLIC_KEY.match(key.strip()):
                found.add(at("signing_key"), f"{who}: signing_key must be an SSH public key "
                          "(one line like \"ssh-ed25519 AAAA... name\", from the key's .pub file)")
                key = None
            else:
                key = key.strip()
                blob = key.split()[1]
                if blob in keys:
                    found.add(at("signing_key"), f"{who}: signing_key is also #{keys[blob]}'s; each person "
                              "signs with a key of their own")
                keys.setdefault(blob, i)
        if isinstance(name, str) and name.strip() and email and roles:
            team.append(Member(name=name.strip(), email=email, roles=roles, langs=tuple(langs),
                               github=github, signing_key=key))
    return team


def toml_string(s: str) -> str:
    """`s` as a TOML basic string (what gulagpub writes into gulagpub.toml):
    JSON's escapes (\\", \\\\, \\n, \\uXXXX) are TOML's too."""
    return json.dumps(s, ensure_ascii=False)


def dump_publisher(name: str, email: str) -> str:
    """A `[publisher]` table for gulagpub.toml."""
    return f"[publisher]\nname = {toml_string(name)}\nemail = {toml_string(email)}\n"


def dump_member(member: Member) -> str:
    """A `[[team]]` table for appending to gulagpub.toml (keeps the rest of the file as written)."""
    q = toml_string
    lines = ["[[team]]", f"name = {q(member.name)}", f"email = {q(member.email)}"]
    lines.append("roles = [" + ", ".join(q(str(r)) for r in sorted(member.roles)) + "]")
    if member.langs:
        lines.append("langs = [" + ", ".join(q(x) for x in member.langs) + "]")
    if member.github:
        lines.append(f"github = {q(member.github)}")
    if member.signing_key:
        lines.append(f"signing_key = {q(member.signing_key)}")
    return "\n".join(lines) + "\n"
