"""Fetching files over HTTP into the content repository. Edge module (network, files).

The WordPress import brings the old blog's media (its attachments and the
uploads its posts show) into the repository with `fetch_all`: one
`requests` session whose urllib3 `Retry` retries refused connections,
timeouts and 5xx answers with exponential back-off; each request bounded by
a connect and a read timeout, and each file by a deadline as a whole (a
server that drips one byte a second passes every read timeout) and by a size
cap (the `[limits] file_size` that `check` enforces). The bytes must be what
the server says they are: an HTML error page served as `image/jpeg` (hosts
that are closing do this) is refused, not kept as a broken image.

A file is written to a temporary name beside its place and renamed there
once complete, so nothing half-written ever has a file's name; a file
already at its place is not fetched again, which makes a second run finish
what the first could not. Which URL goes where is decided elsewhere
(`wpmedia`, pure): this module only moves bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

Progress = Callable[[str, int, int], None]  # (stage, done, total), as the importer's

TMP_SUFFIX = ".gulagpub-tmp"  # what the importer's own writes use too
USER_AGENT = "gulagpub (moving a blog's media in from WordPress)"


@dataclass(frozen=True)
class Settings:
    """How patient a download is. Tests make these short (never by sleeping)."""

    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 30.0  # seconds between two reads of the answer
    deadline: float = 300.0  # seconds for one file as a whole
    retries: int = 3  # further tries after a refused connection, a timeout or a 5xx
    backoff: float = 0.5  # seconds; urllib3 retries at once, then waits backoff * 2**(n-1) before the n-th
    max_bytes: int = 20_000_000  # a larger file is refused ([limits] file_size)


@dataclass(frozen=True)
class Fetch:
    """One file to bring: from `url` to `dest`, a path in the repository."""

    url: str
    dest: str


@dataclass(frozen=True)
class Failure:
    url: str
    dest: str
    reason: str


@dataclass
class Outcome:
    fetched: list[str] = field(default_factory=list)  # repository paths written now
    present: list[str] = field(default_factory=list)  # already there: not fetched again
    failed: list[Failure] = field(default_factory=list)


class Refused(Exception):
    """A file that could not be fetched, with the reason a person reads.
    Internal: `fetch_all` turns each into a `Failure`, and goes on."""


def session(settings: Settings) -> requests.Session:
    """A session that retries what may pass on a second try (refused
    connections, timeouts, 429 and 5xx), backing off, honouring Retry-After."""
    retry = Retry(total=settings.retries, connect=settings.retries, read=settings.retries,
                  status=settings.retries, backoff_factor=settings.backoff,
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods=frozenset({"GET"}),
                  raise_on_status=False, respect_retry_after_header=True)
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = USER_AGENT
    return s


# The first bytes of the kinds of files a blog holds, and the type they are.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (4, b"ftyp", "video/mp4"),
    (0, b"PK\x03\x04", "application/zip"),
)
# Declared types whose bytes we can recognise, and the sniffed types that fit each.
_FITS = {
    "image/jpeg": {"image/jpeg"}, "image/jpg": {"image/jpeg"}, "image/pjpeg": {"image/jpeg"},
    "image/png": {"image/png"}, "image/gif": {"image/gif"}, "image/webp": {"image/webp"},
    "image/bmp": {"image/bmp"}, "image/tiff": {"image/tiff"}, "application/pdf": {"application/pdf"},
    "audio/mpeg": {"audio/mpeg"}, "audio/mp3": {"audio/mpeg"}, "audio/ogg": {"audio/ogg"},
    "audio/flac": {"audio/flac"}, "video/mp4": {"video/mp4"}, "video/quicktime": {"video/mp4"},
    "audio/mp4": {"video/mp4"}, "audio/x-m4a": {"video/mp4"},
}


def sniff(head: bytes) -> str | None:
    """The type the first bytes of a file say it is, or None."""
    for at, magic, kind in _MAGIC:
        if head[at:at + len(magic)] == magic:
            return kind
    if head[:1] in (b"\xff",) and len(head) > 1 and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MP3 frame without an ID3 tag
    return None


def _is_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title")) or (
        text.startswith((b"<?xml", b"<!--")) and b"<html" in text)


def judge(declared: str, head: bytes) -> str | None:
    """Why bytes that begin with `head`, served as `declared` (Content-Type),
    are not the file asked for; None when they may be."""
    kind = declared.split(";", 1)[0].strip().lower()
    if _is_html(head):
        served = f" as {kind}" if kind and kind != "text/html" else ""
        return f"the server sent an HTML page (an error page?){served}, not the file"
    fits = _FITS.get(kind)
    found = sniff(head)
    if fits is not None and found not in fits:
        return (f"the server says {kind}, but the bytes are " + (found or "not such a file")
                + ": the old site did not send the file")
    return None


def _size(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def fetch_one(http: requests.Session, job: Fetch, target: Path, settings: Settings) -> None:
    """Bring `job.url` to `target`, whole or not at all. Raises Refused."""
    started = time.monotonic()
    try:
        response = http.get(job.url, stream=True, timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.exceptions.RetryError as exc:
        raise Refused(f"the server kept failing ({_cause(exc)})") from exc
    except requests.exceptions.ConnectTimeout as exc:
        raise Refused(f"no connection within {settings.connect_timeout:g} s") from exc
    except requests.exceptions.ReadTimeout as exc:
        raise Refused(f"no answer within {settings.read_timeout:g} s (the server is too slow)") from exc
    except requests.exceptions.ConnectionError as exc:
        # After the retries, requests reports each kind of failure as a
        # ConnectionError; the last try's reason says which it was.
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        if isinstance(reason, ReadTimeoutError):
            raise Refused(f"no answer within {settings.read_timeout:g} s, {settings.retries + 1} "
                          "time(s) (the server is too slow)") from exc
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            # (urllib3's NewConnectionError, a refused connection, is a ConnectTimeoutError too)
            raise Refused(f"no connection within {settings.connect_timeout:g} s") from exc
        raise Refused(f"cannot connect ({_cause(exc)})") from exc
    except requests.RequestException as exc:
        raise Refused(f"the request failed ({_cause(exc)})") from exc
    with response:
        if response.status_code != 200:
            hint = " (the file is gone from the old site)" if response.status_code in (404, 410) else ""
            raise Refused(f"HTTP {response.status_code} {response.reason or ''}".rstrip() + hint)
        expected = _size(response.headers.get("Content-Length"))
        if expected is not None and expected > settings.max_bytes:
            raise Refused(f"{expected:,} bytes, more than the {settings.max_bytes:,} allowed "
                          "([limits] file_size in gulagpub.toml)")
        declared = response.headers.get("Content-Type", "")
        tmp = target.with_name(target.name + TMP_SUFFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        got = 0
        try:
            with open(tmp, "wb") as out:
                head = b""  # the first bytes, which say what the file is
                judged = False
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    if not judged:
                        head += chunk[:512 - len(head)]
                        judged = len(head) >= 512
                        if judged and (why := judge(declared, head)):
                            raise Refused(why)
                    got += len(chunk)
                    if got > settings.max_bytes:
                        raise Refused(f"more than the {settings.max_bytes:,} bytes allowed "
                                      "([limits] file_size in gulagpub.toml)")
                    if time.monotonic() - started > settings.deadline:
                        raise Refused(f"not complete after {settings.deadline:g} s (the server is too slow)")
                    out.write(chunk)
                if not judged and (why := judge(declared, head)):
                    raise Refused(why)
                if expected is not None and got != expected:
                    raise Refused(f"the answer ended after {got:,} of {expected:,} bytes")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except requests.RequestException as exc:
            raise Refused(f"the answer broke off after {got:,}"
                          + (f" of {expected:,}" if expected is not None else "") + f" bytes ({_cause(exc)})") from exc
        except OSError as exc:
            raise Refused(f"cannot write {target.name} ({exc.strerror or exc})") from exc
        finally:
            tmp.unlink(missing_ok=True)


def _cause(exc: BaseException) -> str:
    """The reason of a requests/urllib3 error, in a few words (without the
    `<HTTPConnection object at 0x...>: ` urllib3 puts before it)."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    return str(reason if reason is not None else inner).rsplit(">: ", 1)[-1][:160]


def fetch_all(root: Path, jobs: Sequence[Fetch], settings: Settings = Settings(), *,
              progress: Progress | None = None) -> Outcome:
    """Bring each file of `jobs` to its place under `root`, except those
    already there; every failure is kept with its reason, and the others
    go on."""
    outcome = Outcome()
    base = root.resolve()
    todo: list[tuple[Fetch, Path]] = []
    for job in jobs:
        target = root / job.dest
        if not target.resolve().is_relative_to(base):
            outcome.failed.append(Failure(job.url, job.dest, "its place leaves the repository (a symbolic "
                                                             "link in the way?): not fetched"))
        elif target.is_file():
            outcome.present.append(job.dest)
        else:
            todo.append((job, target))
    if not todo:
        return outcome
    with session(settings) as http:
        for n, (job, target) in enumerate(todo, 1):
            try:
                fetch_one(http, job, target, settings)
                outcome.fetched.append(job.dest)
            except Refused as exc:
                outcome.failed.append(Failure(job.url, job.dest, str(exc)))
            if progress:
                progress("downloading", n, len(todo))
    return outcome
