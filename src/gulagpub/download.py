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
once complete (its size the one announced, its bytes of the type declared),
so nothing half-written ever has a file's name; a file already at its place
is not fetched again, which makes a second run finish what the first could
not. An answer that broke off part way keeps its bytes under the temporary
name, with the server's validator (ETag or Last-Modified) beside them: the
next run asks only for the rest (HTTP Range, with If-Range so that a file
changed since is fetched whole, never spliced). Which URL goes where is decided elsewhere
(`wpmedia`, pure): this module only moves bytes.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from .errors import disk_advice

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
    resumed: list[str] = field(default_factory=list)  # of `fetched`: completed from an earlier run's part
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
    # The bytes as they are: a range of a compressed answer would be a range
    # of other bytes than the file's, and media are compressed already.
    s.headers["Accept-Encoding"] = "identity"
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


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


class Broken(Refused):
    """An answer that broke off part way: its bytes so far are kept (when the
    server gave a validator) for the next run to resume."""


@dataclass(frozen=True)
class Partial:
    """What an earlier run left of a file: `size` bytes in `part`, and the
    validator (a strong ETag, or Last-Modified) the server sent with them."""

    size: int
    validator: str


def part_of(target: Path) -> Path:
    """Where the bytes of `target` gather until it is complete."""
    return target.with_name(target.name + TMP_SUFFIX)


def _resume_of(target: Path) -> Path:
    """The note beside a partial file: its URL and validator (JSON)."""
    return target.with_name(target.name + ".resume" + TMP_SUFFIX)


def _discard(target: Path) -> None:
    for path in (part_of(target), _resume_of(target)):
        path.unlink(missing_ok=True)


def _validator(headers: Mapping[str, str]) -> str:
    """What If-Range can name this version of the file by: a strong ETag
    (a weak one, W/"...", may not be used there), else Last-Modified."""
    etag = headers.get("ETag", "").strip()
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified", "").strip()


def partial(job: Fetch, target: Path) -> Partial | None:
    """The bytes an earlier run left of `job`, when they can be resumed: of
    the same URL, with a validator. Anything else there is removed."""
    part, note = part_of(target), _resume_of(target)
    try:
        if part.is_symlink() or note.is_symlink() or not part.is_file():
            _discard(target)
            return None
        size = part.stat().st_size
        data = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        _discard(target)
        return None
    if not (isinstance(data, dict) and data.get("url") == job.url and data.get("validator") and size > 0):
        _discard(target)
        return None
    return Partial(size, str(data["validator"]))


def _start(http: requests.Session, job: Fetch, settings: Settings,
           headers: Mapping[str, str]) -> requests.Response:
    """The answer's headers, or Refused with the reason."""
    try:
        return http.get(job.url, stream=True, timeout=(settings.connect_timeout, settings.read_timeout),
                        headers=dict(headers))
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


BYTES_EVERY = 256 * 1024  # how often a file on its way says how far it is


def fetch_one(http: requests.Session, job: Fetch, target: Path, settings: Settings,
              on_bytes: Callable[[int, int], None] | None = None) -> bool:
    """Bring `job.url` to `target`, whole or not at all; True when it went on
    from the bytes an earlier run left (see `partial`). Raises Refused.

    The bytes gather in `part_of(target)`. An answer that breaks off leaves
    them there, with the server's validator beside them; the next run asks
    for the rest (`Range: bytes=N-`, `If-Range: VALIDATOR`) and appends it
    when the server answers 206 with that very part, or starts again from
    the first byte when it answers 200 (it ignores ranges, or the file
    changed since: If-Range did not match). Only a file whose size is the
    one the server announced, and whose bytes are of the type it declared,
    is renamed to `target`. `on_bytes(got, expected)` (0 when not announced)
    hears how far the file is, every BYTES_EVERY bytes."""
    started = time.monotonic()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        earlier = partial(job, target)
    except OSError as exc:
        raise Refused(f"cannot write it: {disk_advice(exc)}") from exc
    headers = {"Range": f"bytes={earlier.size}-", "If-Range": earlier.validator} if earlier else {}
    response = _start(http, job, settings, headers)
    # An answer shorter than its Content-Length ends quietly, so that its last
    # bytes reach the file (urllib3 would drop what it holds with its
    # IncompleteRead); the length is compared below.
    if hasattr(response.raw, "enforce_content_length"):
        response.raw.enforce_content_length = False
    part, note = part_of(target), _resume_of(target)
    keep = False  # the partial file is worth keeping for the next run
    with response:
        try:
            status = response.status_code
            if status == 416 and earlier:  # the file is shorter now than what we hold: not ours to resume
                _discard(target)
                response.close()
                keep = True  # (the files are the next call's now)
                return fetch_one(http, job, target, settings, on_bytes)
            resumed = status == 206 and earlier is not None
            if status not in (200, 206) or (status == 206 and not resumed):
                keep = earlier is not None and (status >= 500 or status == 429)  # may pass; try again later
                hint = " (the file is gone from the old site)" if status in (404, 410) else ""
                if status == 206:
                    hint = " (a part of the file it was not asked for)"
                raise Refused(f"HTTP {status} {response.reason or ''}".rstrip() + hint)
            declared = response.headers.get("Content-Type", "")
            if resumed:
                assert earlier is not None
                m = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                served = _validator(response.headers)
                if not m or int(m.group(1)) != earlier.size or (served and served != earlier.validator):
                    raise Refused("the server sent another part of the file than the one asked for "
                                  f"(Content-Range: {response.headers.get('Content-Range', 'none')}); "
                                  "run again: the file is then fetched whole")
                expected = int(m.group(3)) if m.group(3) != "*" else None
                got = earlier.size
            else:
                expected = _size(response.headers.get("Content-Length"))
                got = 0
                validator = _validator(response.headers)
                if validator:  # what lets a next run resume this answer if it breaks off
                    note.write_text(json.dumps({"url": job.url, "validator": validator}), encoding="utf-8")
                else:
                    note.unlink(missing_ok=True)
            if expected is not None and expected > settings.max_bytes:
                raise Refused(f"{expected:,} bytes, more than the {settings.max_bytes:,} allowed "
                              "([limits] file_size in gulagpub.toml)")
            with open(part, "ab" if resumed else "wb") as out:
                head = b""  # the first bytes, which say what the file is
                judged = resumed  # a resumed file is judged whole, below
                try:
                    for chunk in _chunks(response):
                        if not judged:
                            head += chunk[:512 - len(head)]
                            judged = len(head) >= 512
                            if judged and (why := judge(declared, head)):
                                raise Refused(why)
                        got += len(chunk)
                        if got > settings.max_bytes:
                            raise Refused(f"more than the {settings.max_bytes:,} bytes allowed "
                                          "([limits] file_size in gulagpub.toml)")
                        out.write(chunk)
                        if time.monotonic() - started > settings.deadline:
                            keep = note.is_file()
                            raise Broken(f"not complete after {settings.deadline:g} s (the server is too slow)"
                                         + ("; run again to fetch the rest" if keep else ""))
                        if on_bytes is not None and got // BYTES_EVERY != (got - len(chunk)) // BYTES_EVERY:
                            on_bytes(got, expected or 0)
                except requests.RequestException as exc:
                    keep = note.is_file()
                    raise Broken(f"the answer broke off after {got:,}"
                                 + (f" of {expected:,}" if expected is not None else "")
                                 + f" bytes ({_cause(exc)})"
                                 + ("; run again to fetch the rest" if keep else "")) from exc
                if expected is not None and got != expected:
                    keep = note.is_file() and got < expected
                    raise Broken(f"the answer ended after {got:,} of {expected:,} bytes"
                                 + ("; run again to fetch the rest" if keep else ""))
                out.flush()
                os.fsync(out.fileno())
            with open(part, "rb") as written:  # the whole file's first bytes, resumed or not
                head = written.read(512)
            if why := judge(declared, head):
                raise Refused(why)
            os.replace(part, target)
            note.unlink(missing_ok=True)
            return resumed
        except OSError as exc:
            keep = False
            raise Refused(f"cannot write it: {disk_advice(exc)}") from exc
        finally:
            if not keep:
                try:
                    _discard(target)
                except OSError:
                    pass  # (what could not be written cannot be removed either; the next run replaces it)


def _chunks(response: requests.Response, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body as it arrives: each piece as soon as the server sent it (at
    most `size` bytes), not once `size` bytes have gathered, so that the
    deadline is seen by a server dripping a few bytes a second (which every
    read timeout lets through). urllib3 before 2.3 has no read1: there the
    pieces are smaller, the deadline seen every 8 KiB."""
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:
        yield from response.iter_content(chunk_size=8 * 1024)
        return
    while True:
        try:
            chunk = read1(size)
        except urllib3.exceptions.HTTPError as exc:  # a reset, a read timeout: as requests says them
            raise requests.exceptions.ConnectionError(exc) from exc
        if not chunk:
            return
        yield chunk


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
    # ("downloading": files done of those to fetch, from 0; "receiving": the bytes of the one on its way)
    on_bytes = (lambda got, expected: progress("receiving", got, expected)) if progress else None
    if progress:
        progress("downloading", 0, len(todo))
    with session(settings) as http:
        for n, (job, target) in enumerate(todo, 1):
            try:
                if fetch_one(http, job, target, settings, on_bytes):
                    outcome.resumed.append(job.dest)
                outcome.fetched.append(job.dest)
            except Refused as exc:
                outcome.failed.append(Failure(job.url, job.dest, str(exc)))
            if progress:
                progress("downloading", n, len(todo))
    return outcome
