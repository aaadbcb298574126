"""What the announcer needs from a social network, and the one way it calls one. Edge.

Each network is an adapter (`mastodon.Mastodon`, `bluesky.Bluesky`) with the
shape of `Network`: it composes a post's announcement, lists the account's
own recent posts (so that an announcement made but not recorded is found,
whatever was lost locally), posts, and deletes. Every call to a server goes
through `Caller`, which bounds it: each request in time as a whole (a
server that drips a byte every few seconds cannot hold it), the run in time,
retries of network errors and 5xx, waits for a rate limit, and it turns
every failure into `Rejected` (this post) or `Stopped` (this run).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import AnnounceError, ContentError, Problem
from .model import LeadImage, Post

T = TypeVar("T")


class Rejected(AnnounceError):
    """The network refused this post (4xx): the other posts go on."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Stopped(AnnounceError):
    """The network cannot be used now (unreachable, 5xx, rate limit, credentials
    refused, too slow, answers that make no sense): the run stops there."""


@dataclass(frozen=True)
class Target:
    """What one announcement is: the post, its page, and the key that makes
    sending it twice harmless where the network has one."""

    post: str  # stable id (urls.entry_id)
    path: str
    link: str  # the post's page
    key: str  # Mastodon's Idempotency-Key, Bluesky's record key


@dataclass(frozen=True)
class Posted:
    """An announcement on the network."""

    status_id: str  # Mastodon's status id, Bluesky's at:// URI
    url: str  # its public page


@dataclass(frozen=True)
class Seen:
    """One of the account's own posts, as listed by the network."""

    posted: Posted
    links: frozenset[str]  # the URLs it links to
    key: str | None = None  # its record key, where the network has one
    created: datetime | None = None

    def announces(self, target: Target) -> bool:
        return target.link in self.links or (self.key is not None and self.key == target.key)


@dataclass(frozen=True)
class Scan:
    """What reading the account's recent posts found, and how far it read."""

    seen: tuple[Seen, ...] = ()
    pages: int = 0
    complete: bool = True  # reached the oldest post due (or the account's first post)

    def find(self, target: Target) -> Posted | None:
        for item in self.seen:
            if item.announces(target):
                return item.posted
        return None

    def describe(self) -> str:
        where = "back to the oldest post due" if self.complete else "(search_pages reached)"
        return f"read {self.pages} page(s), {len(self.seen)} post(s) of the account {where}"


@dataclass(frozen=True)
class Attachment:
    """The file an announcement carries: the post's lead image (`image:`,
    model.LeadImage, with its alt text as the description) found in the
    working tree. (One LeadImage record, the post's; this names its file.)"""

    path: Path  # the file in the working tree
    image: LeadImage

    @property
    def alt(self) -> str:
        return self.image.alt

    def digest(self) -> str:
        """What an upload of it is made of (its bytes and alt text), to tell
        an earlier upload of another image or text from one of this."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ContentError([Problem(str(self.path), 0, f"cannot be read ({exc.strerror or exc})")]) from exc
        return hashlib.sha256(data + b"\0" + self.alt.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ImageLimits:
    """What a network takes as a lead image as it is; a larger image, or one of
    another type, goes as a smaller JPEG copy (`images.fitted`)."""

    max_bytes: int
    max_pixels: int  # width x height
    types: frozenset[str]
    description: int | None  # characters of alt text it keeps (None: the image carries none there)
    whose: str  # whose they are, for a reader: "the instance's limits"


@dataclass(frozen=True)
class ImagePlan:
    """The lead image an announcement will carry, as a dry run and the outbox
    show it: read from the file's header, offline (nothing is uploaded)."""

    path: str  # the repository file
    size: int  # bytes
    mime: str  # from the bytes ('' when not an image that can be read)
    width: int
    height: int
    alt: str | None  # the description it goes with (None: the network shows none)
    shrunk: str | None  # why a smaller JPEG copy goes instead of the file, if one does
    whose: str  # the limits judged against
    problem: str | None = None  # why it cannot be sent (it cannot be read)

    def describe(self) -> list[str]:
        """The lines a person reads: the file, its size and the alt text."""
        if self.problem is not None:
            return [f"image: {self.path}: {self.problem}"]
        kind = self.mime.partition("/")[2].upper() or "not an image that can be read"
        lines = [f"image: {self.path} ({kind}, {self.width} x {self.height} pixels, {self.size:,} bytes)"]
        lines.append(f"alt: {self.alt}" if self.alt is not None else "alt: (none: the network shows no alt text "
                                                                       "for this image)")
        if self.shrunk is not None:
            lines.append(f"shrunk: {self.shrunk}; a smaller JPEG copy is sent (the file is not changed)")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.size, "type": self.mime, "width": self.width,
                "height": self.height, "alt": self.alt, "shrunk": self.shrunk, "limits": self.whose,
                "problem": self.problem}


def plan_image(image: Attachment, shown_as: str, limits: ImageLimits) -> ImagePlan:
    """What `image` goes as under `limits` (the tests `images.fitted` makes,
    from the header alone); `shown_as`, its path for a reader."""
    import os

    from .compose import trimmed
    from .images import inspect

    try:
        st = os.stat(image.path)
    except OSError as exc:
        return ImagePlan(shown_as, 0, "", 0, 0, image.alt, None, limits.whose,
                         problem=f"cannot be read ({exc.strerror or exc})")
    info = inspect(image.path, (st.st_mtime_ns, st.st_size, st.st_ino))
    over = []
    if info.width and st.st_size > limits.max_bytes:
        over.append(f"{st.st_size:,} bytes, more than {limits.max_bytes:,}")
    if info.width * info.height > limits.max_pixels:
        over.append(f"{info.width * info.height:,} pixels, more than {limits.max_pixels:,}")
    if info.width and info.mime not in limits.types:
        over.append(f"{info.mime or 'its type'} is not a type it takes")
    shrunk = f"over {limits.whose}: " + "; ".join(over) if over else None
    alt = None
    if limits.description is not None:
        most = limits.description
        alt = trimmed(image.alt, lambda text: len(text) <= most)
    return ImagePlan(shown_as, st.st_size, info.mime if info.width else "", info.width, info.height, alt, shrunk,
                     limits.whose)


class Network(Protocol):
    """One social network, logged in."""

    name: str

    def compose(self, post: Post, link: str) -> Any:
        """The announcement (network-specific; AnnounceError when it cannot be made)."""
        ...

    def recent(self, since: datetime | None, pages: int) -> Scan:
        """The account's own posts, newest first, back to `since` or at most `pages` pages."""
        ...

    def image_limits(self) -> ImageLimits:
        """What it takes as a lead image (read with what composing reads: no call of its own)."""
        ...

    def attach(self, image: Attachment, earlier: str | None) -> str | None:
        """The id of the lead image uploaded for an announcement (Mastodon's
        media attachment): `earlier`, uploaded by a run that did not post,
        while the network still holds it unattached, else a new upload; None
        where the image goes up with the post itself (Bluesky)."""
        ...

    def post(self, draft: Any, target: Target, image: Attachment | None, media: str | None) -> Posted:
        """Post it once, with the image (`media`: what `attach` gave): if a
        try fails in a way that may have posted it, look before trying again."""
        ...

    def delete(self, posted: Posted) -> None: ...

    def close(self) -> None:
        """Close the HTTP connections (a request left behind by a deadline
        closes its own when it ends)."""
        ...


@dataclass(frozen=True)
class Fault:
    """A failed call, as the adapter classifies its client's exception."""

    kind: str  # transient | rate-limit | refused | unauthorized | invalid (a reply that makes no sense)
    reason: str  # 'HTTP 500', 'network error', the server's message …
    code: int | None = None
    reset: float | None = None  # rate limit: epoch seconds when it resets


class _Timeout(Exception):
    """A request did not end within its deadline (internal to Caller)."""


def within(seconds: float, fn: Callable[[], T]) -> T:
    """`fn()`, or `_Timeout` when it has not returned after `seconds`.

    The HTTP clients' own timeouts bound each read from the socket, not the
    request: a server sending a byte every few seconds holds them forever.
    The call runs in a daemon thread that is left behind when it overruns:
    the run stops then (Caller raises Stopped), and whatever the server did
    with the request is found on the next run, by reading the account."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread, which raises it
            box["error"] = exc

    worker = threading.Thread(target=work, name="gulagpub-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _Timeout
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


@dataclass
class Caller:
    """Calls to one network within its limits (`retry_for`, `rate_limit_wait`,
    `request_timeout`, `run_timeout` of its settings)."""

    network: str  # 'Mastodon' or 'Bluesky', for messages
    classify: Callable[[BaseException], Fault | None]  # None: not the client's error, let it through
    retry_for: float
    rate_limit_wait: float
    request_timeout: float
    run_timeout: float
    setting_section: str  # 'mastodon' or 'bluesky', for messages
    credentials_hint: str = ""  # what to do when the credentials are refused
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def _remaining(self, what: str) -> float:
        left = self.started + self.run_timeout - self.clock()
        if left <= 0:
            raise Stopped(
                f"{what}: this run has taken run_timeout = {self.run_timeout:g} s on {self.network} "
                f"(gulagpub.toml [{self.setting_section}]); what is left is announced by the next run"
            )
        return left

    def call(self, what: str, fn: Callable[[], T], *,
             before_retry: Callable[[], T | None] | None = None) -> T:
        """`fn()`, retrying network errors and 5xx with exponential backoff for
        at most `retry_for` seconds, and waiting for a rate limit's reset at
        most `rate_limit_wait` seconds. Before each retry, `before_retry()`
        may answer instead (a post that the failed try made after all).
        Errors are raised as ours without chaining: the clients' may carry
        request data (credentials)."""
        deadline = self.clock() + self.retry_for
        delay = 0.2
        retrying = False
        while True:
            if retrying and before_retry is not None:
                found = self.call(what, before_retry)
                if found is not None:
                    return found
            limit = min(self.request_timeout, self._remaining(what))
            try:
                return within(limit, fn)
            except _Timeout:
                if limit < self.request_timeout:
                    self._remaining(what)  # raises: the run's time is up
                raise Stopped(
                    f"{what}: {self.network} did not finish answering within request_timeout = "
                    f"{self.request_timeout:g} s (gulagpub.toml [{self.setting_section}]); "
                    "check the server and run again (nothing is posted twice)"
                ) from None
            except Exception as exc:
                fault = self.classify(exc)
                if fault is None:
                    raise
            if fault.kind == "rate-limit":
                wait = max(0.0, fault.reset - time.time()) if fault.reset else None
                if wait is None or wait > self.rate_limit_wait or wait > self._remaining(what):
                    when = (datetime.fromtimestamp(fault.reset, timezone.utc).isoformat(timespec="seconds")
                            if fault.reset else "an unknown time")
                    raise Stopped(
                        f"{what}: {self.network}'s rate limit is reached until {when} (more than "
                        f"rate_limit_wait = {self.rate_limit_wait:g} s away); run again after that"
                    ) from None
                self.sleep(wait + 0.05)
                retrying = True
                continue
            if fault.kind == "transient":
                if self.clock() + delay > deadline:
                    raise Stopped(
                        f"{what}: {self.network} did not answer ({fault.reason}; retried for "
                        f"{self.retry_for:g} s, see retry_for in gulagpub.toml [{self.setting_section}]); "
                        "check the server and run again"
                    ) from None
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
                retrying = True
                continue
            if fault.kind == "invalid":
                raise Stopped(f"{what}: {self.network} answered with something that is not what was asked "
                              f"({fault.reason}); check the server and run again (nothing is posted twice)") from None
            if fault.kind == "unauthorized":
                raise Stopped(f"{what}: {self.network} refused the credentials ({fault.reason}); "
                              f"{self.credentials_hint}") from None
            raise Rejected(f"{what}: {self.network} refused it ({fault.reason})", fault.code) from None


def links_in(values: Sequence[str | None]) -> frozenset[str]:
    return frozenset(v for v in values if v)
