"""Bluesky: the announcer's adapter over the atproto SDK. Edge.

A post's record key is derived from the post's stable id (`record_key`), so
creating it again is refused by the server (it has a record there already)
instead of making a second post; a failed create is followed by reading that
record, which tells whether the post is up. The author feed is read before
posting, as on Mastodon, to find an announcement made but not recorded.

The lead image is the link card's thumbnail (`app.bsky.embed.external`),
uploaded as a blob with each try: a blob is named by its bytes, so a second
upload of the same image is the same blob, and one no record uses is
dropped by the PDS. No Bluesky embed has both a link card and an image with
alt text (docs/announcing.md says why the card was kept).
"""

from __future__ import annotations

import hashlib
from functools import partial
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .compose import BlueskyPost, compose_bluesky
from .config import BlueskySettings
from .errors import AnnounceError
from .images import fitted
from .ledger import BLUESKY
from .model import Post
from .network import Caller, Fault, Attachment, ImageLimits, Posted, Rejected, Scan, Seen, Stopped, Target

ENV_HANDLE = "BLUESKY_HANDLE"
ENV_PASSWORD = "BLUESKY_APP_PASSWORD"
COLLECTION = "app.bsky.feed.post"
PASSWORD_HINT = (f"make a new app password (Settings → Privacy and security → App passwords) and put it "
                 f"in {ENV_PASSWORD}, with the account's handle in {ENV_HANDLE}")
PAGE = 100  # posts per page of the author feed (its most)
# The link card's thumbnail: at most 1,000,000 bytes (the lexicon's maxSize);
# shown a few hundred pixels wide, so 1920 x 1080 pixels are plenty.
THUMB_BYTES = 1_000_000
THUMB_PIXELS = 1920 * 1080
THUMB_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# (Known offline: the lexicon's; the card's thumbnail has no alt text.)
IMAGE_LIMITS = ImageLimits(THUMB_BYTES, THUMB_PIXELS, THUMB_TYPES, None, "the limits of Bluesky's link card")

_S32 = "234567abcdefghijklmnopqrstuvwxyz"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def _s32(n: int, width: int) -> str:
    out = ""
    while n:
        out = _S32[n % 32] + out
        n //= 32
    return out.rjust(width, "2")


def record_key(post_id: str, date: datetime | None) -> str:
    """A TID (the record key Bluesky posts have) that is the same on every run
    for this post: the post's date (to the second) as the timestamp, and 30
    bits of the id's digest as its microseconds and clock id, so two posts of
    the same second (a post and its language versions) differ."""
    digest = int.from_bytes(hashlib.sha256(("gulagpub announce\0" + post_id).encode("utf-8")).digest()[:8], "big")
    seconds = int(date.timestamp()) if date is not None else 0
    micros = seconds * 1_000_000 + (digest >> 10) % 1_000_000
    return _s32(micros & ((1 << 53) - 1), 11) + _s32(digest & 0x3FF, 2)


@dataclass(frozen=True)
class BlueskyCredentials:
    """As whom to post; only ever read from the environment."""

    handle: str
    app_password: str = field(repr=False)
    network = BLUESKY

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> BlueskyCredentials | None:
        handle = environ.get(ENV_HANDLE, "").strip().lstrip("@")
        password = environ.get(ENV_PASSWORD, "").strip()
        if not handle and not password:
            return None
        if not handle or not password:
            missing = ENV_HANDLE if not handle else ENV_PASSWORD
            raise AnnounceError(f"{missing} is not set; set both {ENV_HANDLE} and {ENV_PASSWORD} to post on "
                                "Bluesky, or neither")
        return cls(handle, password)

    def secrets(self) -> tuple[str, ...]:
        return (self.app_password,)

    def connect(self, settings: BlueskySettings) -> Bluesky:
        return Bluesky(self, settings)


def _classify(exc: BaseException) -> Fault | None:
    import httpx
    from atproto_client import exceptions as e

    if isinstance(exc, httpx.TransportError):  # the SDK passes some through (a connection closed early)
        return Fault("transient", "network error")
    if not isinstance(exc, e.AtProtocolError):
        return None
    response = getattr(exc, "response", None)
    code = response.status_code if response is not None else None
    detail = e._get_error_details(response.content) if response is not None else ""
    reason = f"HTTP {code}: {detail}" if code and detail else (f"HTTP {code}" if code else "network error")
    if isinstance(exc, e.RateLimitExceededError):
        reset = exc.reset_at
        return Fault("rate-limit", reason, 429, reset.timestamp() if reset else None)
    if isinstance(exc, e.NetworkError) or (code is not None and code >= 500):
        return Fault("transient", reason, code)
    if isinstance(exc, e.UnauthorizedError):
        return Fault("unauthorized", reason, code)
    if isinstance(exc, e.RequestErrorBase):
        return Fault("refused", reason, code)
    # The SDK could not read the reply as what the call returns.
    return Fault("invalid", f"{type(exc).__name__}: {exc}")


class Bluesky:
    """The `Network` for one Bluesky account."""

    name = BLUESKY

    def __init__(self, credentials: BlueskyCredentials, settings: BlueskySettings) -> None:
        from atproto_client import Client
        from atproto_client.request import Request

        self._credentials = credentials
        self.settings = settings
        self.client = Client(base_url=settings.service.rstrip("/"),
                             request=Request(timeout=settings.request_timeout))
        self.caller = Caller("Bluesky", self._scrubbed, settings.retry_for, settings.rate_limit_wait,
                             settings.request_timeout, settings.run_timeout, "bluesky", PASSWORD_HINT)
        self._did: str | None = None

    def _scrubbed(self, exc: BaseException) -> Fault | None:
        fault = _classify(exc)
        secret = self._credentials.app_password
        if fault is not None and secret:
            fault = Fault(fault.kind, fault.reason.replace(secret, "[app password]"), fault.code, fault.reset)
        return fault

    def _login(self) -> str:
        if self._did is None:
            c = self._credentials
            self.caller.call("logging in", lambda: self.client.login(c.handle, c.app_password,
                                                                      fetch_bsky_profile=False))
            session = self.client._session
            if session is None or not isinstance(session.did, str) or not session.did.startswith("did:"):
                raise Stopped("logging in: Bluesky's answer holds no account (DID); check bluesky.service "
                              "in gulagpub.toml")
            self._did = session.did
        return self._did

    def compose(self, post: Post, link: str) -> BlueskyPost:
        return compose_bluesky(post, link, self.settings)

    def _posted(self, uri: Any, did: str) -> Posted | None:
        """The record's URI as Posted, or None when it is not a post of this account."""
        if not isinstance(uri, str):
            return None
        prefix = f"at://{did}/{COLLECTION}/"
        rkey = uri[len(prefix):] if uri.startswith(prefix) else ""
        if not re.fullmatch(r"[A-Za-z0-9._:~-]{1,512}", rkey) or rkey in (".", ".."):
            return None
        return Posted(uri, f"{self.settings.web_url.rstrip('/')}/profile/{did}/post/{rkey}")

    def _seen(self, uri: Any, record: Any, did: str) -> Seen | None:
        posted = self._posted(uri, did)
        if posted is None:
            return None
        links: set[str] = set()
        embed = getattr(record, "embed", None)
        external = getattr(embed, "external", None)
        uri = getattr(external, "uri", None)
        if isinstance(uri, str):
            links.add(uri)
        for facet in getattr(record, "facets", None) or ():
            for feature in getattr(facet, "features", None) or ():
                if isinstance(getattr(feature, "uri", None), str):
                    links.add(feature.uri)
        created = None
        stamp = getattr(record, "created_at", None)
        if isinstance(stamp, str):
            try:
                created = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                created = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
            except ValueError:
                created = None
        return Seen(posted, frozenset(links), key=posted.status_id.rsplit("/", 1)[-1], created=created)

    def recent(self, since: datetime | None, pages: int) -> Scan:
        did = self._login()
        seen: list[Seen] = []
        cursor: str | None = None
        read = 0
        while True:
            current = cursor
            page = self.caller.call("reading the account's feed", partial(self.client.get_author_feed,
                did, cursor=current, filter="posts_no_replies", limit=PAGE))
            read += 1
            items = []
            for item in page.feed or ():
                if getattr(item, "reason", None) is not None:  # a repost of someone else's post
                    continue
                found = self._seen(item.post.uri, item.post.record, did)
                if found is not None:
                    items.append(found)
            seen += items
            oldest = [s.created for s in items if s.created is not None]
            cursor = page.cursor
            if not page.feed or not cursor or (since is not None and oldest and min(oldest) < since):
                return Scan(tuple(seen), read, True)
            if read >= max(pages, 1):
                return Scan(tuple(seen), read, False)

    def _lookup(self, target: Target) -> Posted | None:
        """The post under its record key, if it is there and is this post's;
        else the newest page of the feed (a server that ignored the key)."""
        from atproto_client import models

        did = self._login()
        try:
            got = self.caller.call("reading the post's record", lambda: self.client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(repo=did, collection=COLLECTION, rkey=target.key)))
        except Rejected:  # RecordNotFound
            got = None
        if got is not None:
            found = self._seen(got.uri, got.value, did)
            if found is not None and target.link in found.links:
                return found.posted
            if found is not None:
                raise Stopped(f"{target.path}: the record key {target.key} holds another post "
                              f"({found.posted.url}); this should not happen, report it")
        return self.recent(None, 1).find(target)

    def image_limits(self) -> ImageLimits:
        return IMAGE_LIMITS

    def attach(self, image: Attachment, earlier: str | None) -> None:
        return None  # the blob goes up with the post (see the module's docstring)

    def post(self, draft: BlueskyPost, target: Target, image: Attachment | None, media: str | None) -> Posted:
        from atproto_client import models

        did = self._login()
        thumb = None
        if image is not None:
            thumbnail = fitted(image.path, THUMB_BYTES, THUMB_PIXELS, THUMB_TYPES)

            def upload() -> Any:
                with warnings.catch_warnings():
                    # The SDK hands httpx the bytes as `data=`, which httpx deprecates.
                    warnings.filterwarnings("ignore", "Use 'content=", DeprecationWarning)
                    return self.client.com.atproto.repo.upload_blob(
                        thumbnail.data, headers={"Content-Type": thumbnail.mime})

            thumb = self.caller.call("uploading the lead image", upload).blob
        facets = []
        for f in draft.facets:
            feature: Any = (models.AppBskyRichtextFacet.Link(uri=f.link) if f.link is not None
                            else models.AppBskyRichtextFacet.Tag(tag=f.tag or ""))
            facets.append(models.AppBskyRichtextFacet.Main(
                features=[feature], index=models.AppBskyRichtextFacet.ByteSlice(byte_start=f.start, byte_end=f.end)))
        record = models.AppBskyFeedPost.Record(
            text=draft.text,
            created_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            facets=facets or None,
            langs=list(draft.langs) or None,
            embed=models.AppBskyEmbedExternal.Main(external=models.AppBskyEmbedExternal.External(
                uri=draft.card.uri, title=draft.card.title, description=draft.card.description, thumb=thumb)),
            labels=(models.ComAtprotoLabelDefs.SelfLabels(
                values=[models.ComAtprotoLabelDefs.SelfLabel(val=v) for v in draft.labels])
                if draft.labels else None),
        )

        def send() -> Any:
            return self.client.com.atproto.repo.create_record(models.ComAtprotoRepoCreateRecord.Data(
                repo=did, collection=COLLECTION, rkey=target.key, record=record))

        def look() -> Posted | None:
            return self._lookup(target)

        try:
            result = self.caller.call("posting", send, before_retry=look)
        except Rejected:
            # A record under this key already (refused as a repeated create)?
            found = self._lookup(target)
            if found is None:
                raise
            return found
        if isinstance(result, Posted):
            return result
        posted = self._posted(getattr(result, "uri", None), did)
        if posted is None or not isinstance(getattr(result, "cid", None), str) or not result.cid:
            raise Stopped("posting: Bluesky answered with something that is not a record of this account "
                          "(no at:// URI, or no CID); the post stays pending and the next run looks for it "
                          "before posting")
        return posted

    def close(self) -> None:
        self.client.request.close()

    def delete(self, posted: Posted) -> None:
        from atproto_client import models

        did = self._login()
        rkey = posted.status_id.rsplit("/", 1)[-1]
        self.caller.call("deleting the post", lambda: self.client.com.atproto.repo.delete_record(
            models.ComAtprotoRepoDeleteRecord.Data(repo=did, collection=COLLECTION, rkey=rkey)))
