"""Mastodon: the announcer's adapter over Mastodon.py. Edge.

Posts a status with an Idempotency-Key (the instance answers a repeated
POST with the status it stored, for as long as it keeps keys: an hour on
Mastodon, not at all on some servers), lists the account's own statuses to
find one made but not recorded, and accepts as a status only a reply with
an id and a URL on the instance: anything else leaves the post pending.
A lead image is uploaded as a media attachment (within the instance's
limits: a smaller copy when the file is over them) before the status; an
attachment uploaded by an earlier try is used again while the instance
still holds it unattached (Mastodon drops such uploads after about a day).
"""

from __future__ import annotations

import hashlib
from functools import partial
import html
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .compose import Limits, Status, compose, trimmed
from .config import MastodonSettings
from .errors import AnnounceError
from .images import fitted
from .ledger import MASTODON
from .model import Post
from .network import Caller, Fault, Attachment, ImageLimits, Posted, Rejected, Scan, Seen, Stopped, Target

T = TypeVar("T")

ENV_BASE_URL = "MASTODON_API_BASE_URL"
ENV_TOKEN = "MASTODON_ACCESS_TOKEN"
TOKEN_HINT = ("make a new access token with the scopes read:accounts, write:statuses and write:media "
              f"and put it in {ENV_TOKEN}")
PAGE = 40  # statuses per page of the account's statuses (Mastodon's most)

_HREF = re.compile(r"""href=["']([^"']+)["']""")
_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class MediaLimits:
    """What the instance takes as an image (`configuration.media_attachments`
    of /api/v2/instance or v1); the defaults, where it does not say, are
    Mastodon's size limit and the size it scales larger images down to."""

    image_size: int = 16 * 1024 * 1024  # bytes
    image_matrix: int = 3840 * 2160  # width x height, 8,294,400 pixels
    types: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
    description: int = 1500  # characters of the description (the alt text)


def image_limits_of(limits: MediaLimits, whose: str) -> ImageLimits:
    """`limits` as the announcer judges a lead image by them."""
    return ImageLimits(limits.image_size, limits.image_matrix, limits.types, limits.description, whose)


# Without the instance (a dry run or the outbox, with no credentials): Mastodon's own defaults.
OFFLINE_IMAGE_LIMITS = image_limits_of(MediaLimits(), "Mastodon's default limits (the instance's own are read "
                                                      "when posting)")


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
        self._configuration: dict[str, Any] = {}  # "v2" | "v1" -> the instance's configuration
        self._account: str | None = None

    def _scrubbed(self, classify: Any) -> Any:
        def scrubbed(exc: BaseException) -> Fault | None:
            fault: Fault | None = classify(exc)
            if fault is not None and self._token:
                fault = Fault(fault.kind, fault.reason.replace(self._token, "[token]"), fault.code, fault.reset)
            return fault

        return scrubbed

    # -- composing --------------------------------------------------------------

    def _configured(self, read: Callable[[Any], T], default: T) -> T:
        """What `read` finds in the instance's configuration: /api/v2/instance's,
        else /api/v1/instance's (each read once), else `default`."""
        from mastodon.errors import MastodonDeprecationWarning

        for version, fetch in (("v2", self.api.instance_v2), ("v1", self.api.instance_v1)):
            if version not in self._configuration:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", MastodonDeprecationWarning)
                        info = self.caller.call("reading the instance's limits", fetch)
                    self._configuration[version] = info["configuration"]
                except (Rejected, KeyError, TypeError):
                    self._configuration[version] = None
            try:
                return read(self._configuration[version])
            except (KeyError, TypeError, ValueError):
                continue
        return default

    def limits(self) -> Limits:
        """The instance's limits on a status."""
        return self._configured(lambda c: Limits(int(c["statuses"]["max_characters"]),
                                                 int(c["statuses"]["characters_reserved_per_url"])), Limits())

    def media_limits(self) -> MediaLimits:
        """The instance's limits on an image."""
        def read(c: Any) -> MediaLimits:
            m = c["media_attachments"]
            types = m.get("supported_mime_types")
            return MediaLimits(int(m["image_size_limit"]), int(m["image_matrix_limit"]),
                               frozenset(t for t in types if isinstance(t, str)) if isinstance(types, list)
                               else MediaLimits.types, int(m.get("description_limit") or MediaLimits.description))

        return self._configured(read, MediaLimits())

    def compose(self, post: Post, link: str) -> Status:
        return compose(post, link, self.settings, self.limits())

    def image_limits(self) -> ImageLimits:
        # (The configuration compose read: no request of its own.)
        return image_limits_of(self.media_limits(), "the instance's limits")

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

    def attach(self, image: Attachment, earlier: str | None) -> str:
        if earlier is not None:
            try:
                # Only the account's own attachments not yet in a status are found.
                held = self.caller.call("looking for the lead image uploaded before",
                                        lambda: self.api.media(earlier))
            except Rejected as exc:
                if exc.code not in (404, 410):
                    raise
            else:
                if isinstance(held, dict) and str(held.get("id")) == earlier:
                    return earlier
        limits = self.media_limits()
        upload = fitted(image.path, limits.image_size, limits.image_matrix, limits.types)
        # (Mastodon counts the description's characters as Ruby does: code points.)
        alt = trimmed(image.alt, lambda text: len(text) <= limits.description)
        try:
            uploaded = self.caller.call("uploading the lead image", lambda: self.api.media_post(
                upload.data, mime_type=upload.mime, description=alt, file_name=upload.name))
        except Rejected as exc:
            if exc.code == 403:  # a token made before posts had images
                raise Rejected(f"{exc}; the access token lacks the scope write:media: {TOKEN_HINT}", 403) from None
            raise
        mid = uploaded.get("id") if isinstance(uploaded, dict) else None
        if isinstance(mid, bool) or not isinstance(mid, (str, int)) or not str(mid).strip():
            raise Stopped("uploading the lead image: Mastodon answered with something that is not a media "
                          "attachment (no id); the post stays pending and the next run tries again")
        return str(mid)

    def post(self, draft: Status, target: Target, image: Attachment | None, media: str | None) -> Posted:
        media_ids = [media] if media is not None else None

        def send() -> Any:
            return self.api.status_post(
                draft.text, spoiler_text=draft.spoiler_text or None, language=draft.language,
                visibility=draft.visibility, idempotency_key=target.key, media_ids=media_ids,
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
