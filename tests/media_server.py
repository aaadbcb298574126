"""An old blog's file host for the tests: real bytes over real HTTP on
127.0.0.1, and the ways such a host fails (see fakeserver for the faults:
"500" answers that many times with 500 before the file).

Each file is served as it is set (`put(path, body, content_type)`), or with
a behaviour: "slow" (the answer held `delay` seconds before its headers),
"drip" (the body 1,000 bytes every `delay` seconds),
"truncated" (a Content-Length longer than the body, then the connection
closed). `hits` counts the requests of each path, `seen` keeps each
request's headers.

Ranges are served as a host that supports them does: a file with an `etag`
or `last_modified` sends them, and answers `Range: bytes=N-` with 206 and
that part when If-Range (if sent) names the file as it is now, else with
200 and the whole file; `ranges=False` ignores Range (200, always). `cut`
sends that many bytes of the first `cuts` answers, then drops the
connection: a download cut off part way.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from PIL import Image

from fakeserver import FaultHandler, FaultServer


def jpeg(size: tuple[int, int] = (12, 8), color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (10, 10), color: str = "olive") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def gif(size: tuple[int, int] = (6, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("P", size).save(out, "GIF")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 30), "white").save(out, "PDF")
    return out.getvalue()


@dataclass
class Served:
    body: bytes
    content_type: str
    behaviour: str = ""  # "" | "slow" | "truncated" | "drip"
    delay: float = 0.0
    etag: str = ""
    last_modified: str = ""
    ranges: bool = True
    cut: int = 0
    cuts: int = 0


class MediaServer(FaultServer):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, Served] = {}
        self.hits: Counter[str] = Counter()
        self.seen: dict[str, list[dict[str, str]]] = {}

    def put(self, path: str, body: bytes, content_type: str, behaviour: str = "", delay: float = 0.0, *,
            etag: str = "", last_modified: str = "", ranges: bool = True, cut: int = 0, cuts: int = 1) -> str:
        """Serve `body` at `path`; returns its URL."""
        self.files[path] = Served(body, content_type, behaviour, delay, etag, last_modified, ranges,
                                  cut, cuts if cut else 0)
        return self.base_url + path

    def fail(self, path: str, times: int) -> None:
        self.add_fault("500", times, "GET", path, 0.0)

    handler: type[FaultHandler]


class MediaHandler(FaultHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        s = self.state
        path = unquote(urlsplit(self.path).path)
        with s.lock:
            s.hits[path] += 1
            s.seen.setdefault(path, []).append(dict(self.headers.items()))
        fault = s._take_fault("GET", path)
        served = s.files.get(path)
        if fault is not None and fault.kind == "500":
            self._plain(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return
        if served is None:
            self._plain(404, b"<!DOCTYPE html><html><title>Not found</title></html>", "text/html")
            return
        if served.behaviour == "slow" and s.stopping.wait(served.delay):
            return
        body, code, headers = served.body, 200, {}
        wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if_range = self.headers.get("If-Range")
        if wanted and served.ranges and (if_range is None or if_range in (served.etag, served.last_modified)):
            start = int(wanted.group(1))
            if start >= len(body):
                self._plain(416, b"", "text/plain", {"Content-Range": f"bytes */{len(body)}"})
                return
            code, body = 206, body[start:]
            headers["Content-Range"] = f"bytes {start}-{len(served.body) - 1}/{len(served.body)}"
        self.send_response(code)
        self.send_header("Content-Type", served.content_type)
        for name, value in (("ETag", served.etag), ("Last-Modified", served.last_modified), *headers.items()):
            if value:
                self.send_header(name, value)
        if served.ranges:
            self.send_header("Accept-Ranges", "bytes")
        extra = 1000 if served.behaviour == "truncated" else 0
        self.send_header("Content-Length", str(len(body) + extra))
        self.end_headers()
        with s.lock:
            cut = served.cut if served.cuts > 0 else 0
            served.cuts -= bool(cut)
        try:
            if served.behaviour == "drip":  # 1,000 bytes every `delay` seconds
                for at in range(0, len(body), 1000):
                    if s.stopping.wait(served.delay):
                        return
                    self.wfile.write(body[at:at + 1000])
                    self.wfile.flush()
                return
            self.wfile.write(body[:cut] if cut else body)
            self.wfile.flush()
        except OSError:
            return
        if extra or cut:
            self._drop()

    def _plain(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


MediaServer.handler = MediaHandler
