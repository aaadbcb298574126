"""Mastodon: the announcer's adapter over Mastodon.py. Edge.

Posts a status with an Idempotency-Key (the instance answers a repeated
POST with the status it stored, for as long as it keeps keys: an hour on
Mastodon, not at all on some servers), lists the account's own statuses to
find one made but not recorded, and accepts as a status only a reply with
an id and a URL on the instance: anything else leaves the post pending.
"""

from __future__ import annotations

import hashlib
from functools import partial
import html
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .compose import Limits, Status, compose
from .config import MastodonSettings
from .errors import AnnounceError
from .ledger import MASTODON
from .model import Post
from .network import Caller, Fault, LeadImage, Posted, Rejected, Scan, Seen, Stopped, Target

ENV_BASE_URL = "MASTODON_API_BASE_URL"
ENV_TOKEN = "MASTODON_ACCESS_TOKEN"
TOKEN_HINT = ("make a new access token with the scopes read:accounts and write:statuses "
              f"and put it in {ENV_TOKEN}")
PAGE = 40  # statuses per page of the account's statuses (Mastodon's most)

_HREF = re.compile(r"""href=["']([^"']+)["']""")
_URL = re.compile(r"https?://[^\s<>\"']+")


def idempotency_key(post_id: str) -> str:
    """The Idempotency-Key for a post: the same on every run, for this post only."""
    return hashlib.sha256(("gulagpub announce\0" + post_id).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MastodonCredentials:
    """Where and as whom to post; only ever read from the environment."""

    api_base_url: str
    access_token: str = field(repr=False)
    network = MASTODON

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MastodonCredentials | None:
        base = environ.get(ENV_BASE_URL, "").strip()
        token = environ.get(ENV_TOKEN, "").strip()
        if not base and not token:
            return None
        if not base or not token:
            missing = ENV_BASE_URL if not base else ENV_TOKEN
            raise AnnounceError(
                f"{missing} is not set; set both {ENV_BASE_URL} and {ENV_TOKEN} to post on Mastodon, "
                "or neither"
            )
        parts = urlsplit(base)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise AnnounceError(f"{ENV_BASE_URL} must be the instance's address, like https://mastodon.social")
        return cls(base.rstrip("/"), token)

    def secrets(self) -> tuple[str, ...]:
        return (self.access_token,)

    def connect(self, settings: MastodonSettings) -> Mastodon:
        return Mastodon(self, settings)


def _classify(api: Any) -> Any:
    from mastodon.errors import (
        MastodonAPIError,
        MastodonNetworkError,
        MastodonRatelimitError,
        MastodonServerError,
    )

    def classify(exc: BaseException) -> Fault | None:
        if isinstance(exc, MastodonRatelimitError):
            return Fault("rate-limit", "HTTP 429", 429, api.ratelimit_reset or None)
        if isinstance(exc, MastodonServerError):
            code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
            return Fault("transient", f"HTTP {code}" if code else "server error", code)
        if isinstance(exc, MastodonNetworkError):
            return Fault("transient", "network error")
        if isinstance(exc, MastodonAPIError):
            code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
            detail = str(exc.args[3]) if len(exc.args) > 3 and exc.args[3] else "no details"
            return Fault("unauthorized" if code == 401 else "refused", f"HTTP {code}: {detail}", code)
        return None

    return classify


class Mastodon:
    """The `Network` for one Mastodon account."""

    name = MASTODON

    def __init__(self, credentials: MastodonCredentials, settings: MastodonSettings) -> None:
        from mastodon import Mastodon as Client

        self._token = credentials.access_token
        self.base_url = credentials.api_base_url
        self.settings = settings
        self.api = Client(
            api_base_url=credentials.api_base_url,
            access_token=credentials.access_token,
            request_timeout=settings.request_timeout,
            ratelimit_method="throw",
            version_check_mode="none",
            user_agent="gulagpub",
        )
        self.caller = Caller("Mastodon", self._scrubbed(_classify(self.api)), settings.retry_for,
                             settings.rate_limit_wait, settings.request_timeout, settings.run_timeout,
                             "mastodon", TOKEN_HINT)
        self._limits: Limits | None = None
        self._account: str | None = None

    def _scrubbed(self, classify: Any) -> Any:
        def scrubbed(exc: BaseException) -> Fault | None:
            fault: Fault | None = classify(exc)
            if fault is not None and self._token:
                fault = Fault(fault.kind, fault.reason.replace(self._token, "[token]"), fault.code, fault.reset)
            return fault

        return scrubbed

    # -- composing --------------------------------------------------------------

    def limits(self) -> Limits:
        """The instance's limits, read once: /api/v2/instance, else v1, else the defaults."""
        if self._limits is not None:
            return self._limits
        from mastodon.errors import MastodonDeprecationWarning

        self._limits = Limits()
        for fetch in (self.api.instance_v2, self.api.instance_v1):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MastodonDeprecationWarning)
                    info = self.caller.call("reading the instance's limits", fetch)
                statuses = info["configuration"]["statuses"]
                self._limits = Limits(int(statuses["max_characters"]), int(statuses["characters_reserved_per_url"]))
                break
            except (Rejected, KeyError, TypeError, ValueError):
                continue
        return self._limits

    def compose(self, post: Post, link: str) -> Status:
        return compose(post, link, self.settings, self.limits())

    # -- reading the account ----------------------------------------------------

    def _own(self, status: Any) -> Posted | None:
        """The status as Posted, or None when it is not one: an id, and a URL
        that is absolute, https (or the scheme of the instance's own address)
        and on the instance's host."""
        try:
            sid = status["id"]
            url = status.get("url") or status.get("uri")
        except (KeyError, TypeError, AttributeError):
            return None
        if isinstance(sid, bool) or not isinstance(sid, (str, int)) or not str(sid).strip():
            return None
        if not isinstance(url, str):
            return None
        base = urlsplit(self.base_url)
        got = urlsplit(url)
        if got.scheme not in ("https", base.scheme) or got.netloc.lower() != base.netloc.lower():
            return None
        return Posted(str(sid), url)

    def _seen(self, status: Any) -> Seen | None:
        posted = self._own(status)
        if posted is None:
            return None
        content = html.unescape(status.get("content") or status.get("text") or "")
        raw = status.get("content") or ""
        links = {html.unescape(h) for h in _HREF.findall(raw)} | set(_URL.findall(content))
        card = status.get("card")
        if isinstance(card, dict) and isinstance(card.get("url"), str):
            links.add(card["url"])
        created = status.get("created_at")
        return Seen(posted, frozenset(links), created=created if isinstance(created, datetime) else None)

    def _account_id(self) -> str:
        if self._account is None:
            me = self.caller.call("reading the account", self.api.account_verify_credentials)
            self._account = str(me["id"])
        return self._account

    def recent(self, since: datetime | None, pages: int) -> Scan:
        account = self._account_id()
        seen: list[Seen] = []
        read = 0
        page = self.caller.call("reading the account's statuses",
                                lambda: self.api.account_statuses(account, limit=PAGE))
        while page:
            read += 1
            items = [s for s in (self._seen(st) for st in page) if s is not None]
            seen += items
            oldest = [s.created for s in items if s.created is not None]
            if since is not None and oldest and min(oldest) < since:
                break
            if read >= max(pages, 1):
                return Scan(tuple(seen), read, False)
            current = page
            page = self.caller.call("reading the account's statuses", partial(self.api.fetch_next, current))
        return Scan(tuple(seen), max(read, 1), True)

    # -- posting ----------------------------------------------------------------

    def post(self, draft: Status, target: Target, image: LeadImage | None) -> Posted:
        media = None
        if image is not None:
            data = image.path.read_bytes()
            uploaded = self.caller.call("uploading the lead image", lambda: self.api.media_post(
                data, mime_type=image.mime, description=image.alt, file_name=image.path.name))
            media = [uploaded["id"]]

        def send() -> Any:
            return self.api.status_post(
                draft.text, spoiler_text=draft.spoiler_text or None, language=draft.language,
                visibility=draft.visibility, idempotency_key=target.key, media_ids=media,
            )

        def look() -> Posted | None:
            # A try that failed may have been stored (the reply lost), and a
            # server that forgot or ignores the key would store a second one.
            return self.recent(None, 1).find(target)

        result = self.caller.call("posting the status", send, before_retry=look)
        if isinstance(result, Posted):
            return result
        posted = self._own(result)
        if posted is None:
            raise Stopped(
                f"posting the status: Mastodon answered with something that is not a status (no id, or no "
                f"https URL on {urlsplit(self.base_url).netloc}); the post stays pending and the next run "
                "looks for it on the account before posting"
            )
        return posted

    def close(self) -> None:
        self.api.session.close()

    def delete(self, posted: Posted) -> None:
        try:
            self.caller.call("deleting the status", lambda: self.api.status_delete(posted.status_id))
        except Rejected as exc:
            if exc.code != 404:  # already gone is what we wanted
                raise
