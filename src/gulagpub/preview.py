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


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def make_server(out: Path, port: int) -> ThreadingHTTPServer:
    """An HTTP server for `out` on 127.0.0.1 only (port 0: any free port)."""
    handler = functools.partial(_Quiet, directory=str(out))
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
