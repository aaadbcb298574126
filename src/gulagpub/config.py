"""Typed settings from `gulagpub.toml` at the root of a content repository.

Pure: `parse_config(text, path)` takes the file's text. Unknown keys are
errors (a typo must not silently switch a setting off).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from datetime import datetime, timezone, tzinfo
from enum import Enum
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

    title: str
    base_url: str  # absolute, ends with '/'
    lang: str = "en"
    timezone: str = "UTC"
    description: str = ""
    permalink: str = "/{year}/{month}/{day}/{slug}/"
    per_page: int = 10

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class WorkflowSettings:
    """[workflow]: how many approvals publish a post, and whether they are signed."""

    approvals_required: int = 1
    signed_approvals: bool = False


@dataclass(frozen=True)
class FeedSettings:
    """[feeds]: how many entries a feed document holds, and whether JSON Feed is made."""

    entries: int = 20  # newest entries per feed document; older go to archives
    json_feed: bool = True


@dataclass(frozen=True)
class NetworkSettings:
    """What [mastodon] and [bluesky] both hold: how and when posts are announced there."""

    limit: int = 3  # posts per run at most
    announce_since: datetime | None = None  # posts published before are not announced
    on_withdraw: str = "leave"  # leave | delete
    content_warnings: dict[str, str] = field(default_factory=dict)  # tag -> warning
    summary: bool = True
    retry_for: float = 60  # seconds of retrying network errors and 5xx, then stop
    rate_limit_wait: float = 120  # longest wait for a rate limit's reset, else stop
    request_timeout: float = 30  # seconds for one whole HTTP request, however the server drips
    run_timeout: float = 300  # seconds for one run on this network, then stop (what is left waits)
    # Pages of the account's own recent posts read before posting, to find
    # an announcement that was made but not recorded (a lost ledger, a lost
    # reply); reading stops earlier at the oldest post due.
    search_pages: int = 5


@dataclass(frozen=True)
class MastodonSettings(NetworkSettings):
    """[mastodon]: how and when posts are announced on Mastodon."""

    visibility: str = "public"  # public | unlisted


@dataclass(frozen=True)
class BlueskySettings(NetworkSettings):
    """[bluesky]: how and when posts are announced on Bluesky. `announce_since`
    and `content_warnings` not set here are [mastodon]'s: they say what the
    blog's posts are, not how a network shows them."""

    service: str = "https://bsky.social"  # the account's PDS (its XRPC server)
    web_url: str = "https://bsky.app"  # where a post's public page is
    # The self-label that hides the link card's image behind a warning when a
    # post has a content warning (the warning's text opens the post itself).
    content_warning_label: str = "graphic-media"


@dataclass(frozen=True)
class Config:
    """The settings of gulagpub.toml, typed."""

    site: SiteSettings
    workflow: WorkflowSettings = WorkflowSettings()
    feeds: FeedSettings = FeedSettings()
    mastodon: MastodonSettings = MastodonSettings()
    bluesky: BlueskySettings = BlueskySettings()
    team: tuple[Member, ...] = ()

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
        found: dict[str, Member] = {}
        for m in self.team:
            found.setdefault(m.email.lower(), m)  # the first wins, as the scan did
        return found

    @cached_property
    def _by_github(self) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for m in self.team:
            if m.github:
                found.setdefault(m.github.lower(), m)
        return found


def _line_of(text: str, key: str) -> int:
    m = re.search(rf"^\s*\"?{re.escape(key)}\"?\s*=", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def _section(cls: type, data: Any, where: str, text: str, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{where}] must be a table")
    known = {f.name: f for f in fields(cls)}
    problems = []
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            line = _line_of(text, key)
            at = f"{path}:{line}" if line else path
            problems.append(
                f"{at}: unknown setting '{key}' in [{where}]; known: {', '.join(sorted(known))}"
            )
            continue
        kwargs[key] = value
    if problems:
        raise ConfigError("\n".join(problems))
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{path}: [{where}] is incomplete: {exc}") from exc


def _check_type(value: Any, typ: type | tuple[type, ...], key: str, text: str, path: str, hint: str) -> None:
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        line = _line_of(text, key.rsplit(".", 1)[-1])
        at = f"{path}:{line}" if line else path
        raise ConfigError(f"{at}: '{key}' {hint}")


def _network(cls: type, data: Any, where: str, text: str, path: str, site: SiteSettings,
             inherit: NetworkSettings | None) -> Any:
    """One network's section, validated; `announce_since` and `content_warnings`
    it does not set are `inherit`'s."""
    settings = _section(cls, data, where, text, path)
    if inherit is not None:
        own = data if isinstance(data, dict) else {}
        settings = replace(settings, **{k: getattr(inherit, k) for k in ("announce_since", "content_warnings")
                                        if k not in own})
    # The line of a key is looked for from the section's header on: every
    # network's section has the same keys.
    start = text.find(f"[{where}]")
    section = text[start:] if start >= 0 else text
    offset = text.count("\n", 0, start) if start >= 0 else 0

    def fail(key: str, message: str) -> ConfigError:
        line = _line_of(section, key)
        return ConfigError(f"{path}:{line + offset if line else 1}: {where}.{key} {message}")

    if settings.on_withdraw not in ("leave", "delete"):
        raise fail("on_withdraw", "must be 'leave' or 'delete'")
    for key in ("limit", "search_pages"):
        value = getattr(settings, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise fail(key, "must be a whole number, 0 or more")
    if not isinstance(settings.summary, bool):
        raise fail("summary", "must be true or false")
    for key in ("retry_for", "rate_limit_wait", "request_timeout", "run_timeout"):
        value = getattr(settings, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise fail(key, "must be a number of seconds, 0 or more")
    for key in ("request_timeout", "run_timeout"):
        if getattr(settings, key) == 0:
            raise fail(key, "must be more than 0 seconds")
    if not isinstance(settings.content_warnings, dict) or not all(
        isinstance(v, str) for v in settings.content_warnings.values()
    ):
        raise fail("content_warnings", 'must be a table of tag = "warning"')
    since = settings.announce_since
    if since is not None and "announce_since" in (data if isinstance(data, dict) else {}):
        if not isinstance(since, datetime):
            raise fail("announce_since", "must be a date-time like 2026-11-27T12:00:00Z")
        if since.tzinfo is None:
            since = since.replace(tzinfo=ZoneInfo(site.timezone))
        settings = replace(settings, announce_since=since.astimezone(timezone.utc))
    return settings


def parse_config(text: str, path: str = CONFIG_FILE) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
    allowed = {"site", "workflow", "feeds", "mastodon", "bluesky", "team"}
    for key in data:
        if key not in allowed:
            line = _line_of(text, key) or (text.find(f"[{key}") >= 0 and text.count("\n", 0, text.find(f"[{key}")) + 1)
            raise ConfigError(
                f"{path}:{line or 1}: unknown section '{key}'; known: {', '.join(sorted(allowed))}"
            )
    if "site" not in data:
        raise ConfigError(f"{path}: no [site] section; add one with title and base_url")
    site = _section(SiteSettings, data["site"], "site", text, path)
    _check_type(site.title, str, "site.title", text, path, "must be a string")
    _check_type(site.base_url, str, "site.base_url", text, path, "must be a string")
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", site.base_url):
        raise ConfigError(
            f"{path}:{_line_of(text, 'base_url')}: site.base_url must be an absolute http(s) URL, "
            f"like 'https://example.org/' (got {site.base_url!r})"
        )
    if not site.base_url.endswith("/"):
        site = SiteSettings(**{**site.__dict__, "base_url": site.base_url + "/"})
    if not is_valid_lang(site.lang):
        raise ConfigError(f"{path}:{_line_of(text, 'lang')}: site.lang {site.lang!r} is not a BCP 47 tag like 'en' or 'es'")
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{path}:{_line_of(text, 'timezone')}: unknown timezone {site.timezone!r}; "
            "use an IANA name such as 'Europe/Madrid' or 'UTC'"
        ) from exc
    _check_type(site.per_page, int, "site.per_page", text, path, "must be a whole number")

    workflow = _section(WorkflowSettings, data.get("workflow", {}), "workflow", text, path)
    _check_type(workflow.approvals_required, int, "workflow.approvals_required", text, path, "must be a whole number")
    if workflow.approvals_required < 1:
        raise ConfigError(f"{path}:{_line_of(text, 'approvals_required')}: workflow.approvals_required must be at least 1")
    _check_type(workflow.signed_approvals, bool, "workflow.signed_approvals", text, path, "must be true or false")

    feeds = _section(FeedSettings, data.get("feeds", {}), "feeds", text, path)
    _check_type(feeds.entries, int, "feeds.entries", text, path, "must be a whole number")
    if feeds.entries < 1:
        raise ConfigError(f"{path}:{_line_of(text, 'entries')}: feeds.entries must be at least 1")

    mastodon = _network(MastodonSettings, data.get("mastodon", {}), "mastodon", text, path, site, None)
    if mastodon.visibility not in ("public", "unlisted"):
        raise ConfigError(f"{path}:{_line_of(text, 'visibility')}: mastodon.visibility must be 'public' or 'unlisted'")
    bluesky = _network(BlueskySettings, data.get("bluesky", {}), "bluesky", text, path, site, mastodon)
    for key in ("service", "web_url"):
        value = getattr(bluesky, key)
        if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+/?$", value):
            raise ConfigError(f"{path}:{_line_of(text, key)}: bluesky.{key} must be an address like "
                              f"'https://bsky.social' (got {value!r})")
    _check_type(bluesky.content_warning_label, str, "bluesky.content_warning_label", text, path, "must be a string")

    team = []
    seen: set[str] = set()
    raw_team = data.get("team", [])
    if not isinstance(raw_team, list):
        raise ConfigError(f"{path}: 'team' must be a list of [[team]] tables")
    for i, entry in enumerate(raw_team, 1):
        where = f"team #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: [[team]] #{i} must be a table")
        unknown = set(entry) - {"name", "email", "roles", "langs", "github", "signing_key"}
        if unknown:
            raise ConfigError(f"{path}:{_line_of(text, sorted(unknown)[0])}: unknown key(s) {sorted(unknown)} in [[team]] #{i}")
        for key in ("name", "email", "roles"):
            if key not in entry:
                raise ConfigError(f"{path}: [[team]] #{i} has no '{key}'; every member needs name, email and roles")
        try:
            roles = frozenset(Role(r) for r in entry["roles"])
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{path}:{_line_of(text, 'roles')}: {where} ({entry.get('name')}): roles must be a list of 'editor' and/or 'translator'"
            ) from exc
        email = str(entry["email"])
        if email.lower() in seen:
            raise ConfigError(f"{path}: {email} is listed twice in the team; keep one [[team]] entry per person")
        seen.add(email.lower())
        team.append(
            Member(
                name=str(entry["name"]),
                email=email,
                roles=roles,
                langs=tuple(str(x) for x in entry.get("langs", ())),
                github=entry.get("github"),
                signing_key=entry.get("signing_key"),
            )
        )
    return Config(site=site, workflow=workflow, feeds=feeds, mastodon=mastodon, bluesky=bluesky,
                  team=tuple(team))


def dump_member(member: Member) -> str:
    """A `[[team]]` table for appending to gulagpub.toml (keeps the rest of the file as written)."""

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[[team]]", f"name = {q(member.name)}", f"email = {q(member.email)}"]
    lines.append("roles = [" + ", ".join(q(str(r)) for r in sorted(member.roles)) + "]")
    if member.langs:
        lines.append("langs = [" + ", ".join(q(x) for x in member.langs) + "]")
    if member.github:
        lines.append(f"github = {q(member.github)}")
    if member.signing_key:
        lines.append(f"signing_key = {q(member.signing_key)}")
    return "\n".join(lines) + "\n"
