"""An old blog's file host for the tests: real bytes over real HTTP on
127.0.0.1, and the ways such a host fails (see fakeserver for the faults:
"500" answers that many times with 500 before the file).

Each file is served as it is set (`put(path, body, content_type)`), or with
a behaviour: "slow" (the answer held `delay` seconds before its headers),
"truncated" (a Content-Length longer than the body, then the connection
closed). `hits` counts the requests of each path.
"""

from __future__ import annotations

import io
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
    behaviour: str = ""  # "" | "slow" | "truncated"
    delay: float = 0.0


class MediaServer(FaultServer):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, Served] = {}
        self.hits: Counter[str] = Counter()

    def put(self, path: str, body: bytes, content_type: str, behaviour: str = "", delay: float = 0.0) -> str:
        """Serve `body` at `path`; returns its URL."""
        self.files[path] = Served(body, content_type, behaviour, delay)
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
        self.send_response(200)
        self.send_header("Content-Type", served.content_type)
        extra = 1000 if served.behaviour == "truncated" else 0
        self.send_header("Content-Length", str(len(served.body) + extra))
        self.end_headers()
        try:
            self.wfile.write(served.body)
            self.wfile.flush()
        except OSError:
            return
        if extra:
            self._drop()

    def _plain(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


MediaServer.handler = MediaHandler
