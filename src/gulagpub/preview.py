"""`gulagpub serve`: the built site on 127.0.0.1, rebuilt when files change. Edge module.

Polls the modification times of the content, templates and settings (no
extra dependency, works on every file system); a rebuild swaps the new site
in atomically, so a page is never served half-written.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .content import CONTENT_DIRS
from .theme import TEMPLATES_DIR

WATCHED_FILES = ("gulagpub.toml", "announcements.jsonl")


def signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when anything the site is built from changes."""
    rows = []
    for top in (*CONTENT_DIRS, TEMPLATES_DIR):
        for dirpath, dirnames, filenames in os.walk(root / top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                rows.append((os.path.join(dirpath, name), st.st_mtime_ns, st.st_size))
    for name in WATCHED_FILES:
        try:
            st = os.stat(root / name)
            rows.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            pass
    return tuple(sorted(rows))


class _Site(SimpleHTTPRequestHandler):
    """The built site as its host serves it: under the base URL's path (a
    GitHub Pages project site lives at /NAME/), the site's own 404 page for
    what is not there, and the root sending a visitor to the site."""

    prefix = "/"  # the base URL's path, with its slashes

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if self.prefix != "/" and not (path + "/").startswith(self.prefix):
            if path == "/":
                self.send_response(302)
                self.send_header("Location", self.prefix)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_error(404)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        if self.prefix != "/" and path.startswith(self.prefix):
            path = "/" + path[len(self.prefix):]
        return super().translate_path(path)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def make_server(out: Path, port: int, base_path: str = "/") -> ThreadingHTTPServer:
    """An HTTP server for `out` on 127.0.0.1 only (port 0: any free port), the
    site under `base_path` (the path of its base URL: '/' or '/NAME/')."""
    prefix = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    handler = functools.partial(type("SiteHandler", (_Site,), {"prefix": prefix}), directory=str(out))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def watch(root: Path, rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 0.5) -> None:
    """Call `rebuild` whenever the signature of `root` changes, until `stop` is set."""
    last = signature(root)
    while not stop.wait(interval):
        now = signature(root)
        if now != last:
            last = now
            rebuild()
