"""What the tests' network servers (mastodon_server, bluesky_server) share: an
HTTP server on 127.0.0.1 in a thread, and faults on demand.

Faults (`fail(kind, times, method, path)`, matched on the method and the
start of the path): "500", "429" (with a reset `reset_in` seconds away),
"drop-before" (the connection closed before the request is handled),
"drop-after" (handled, the reply lost), "hold-after" (handled, the reply held
until `release` is set, `held` set meanwhile), "drip" (the reply sent one
byte every `drip_every` seconds) and "bogus" (a 200 that is not what was
asked); each server decides what its requests do with them.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Fault:
    kind: str  # 500 | 429 | drop-before | drop-after | hold-after | drip | bogus
    method: str
    path: str  # a prefix of the request path
    times: int
    reset_in: float = 0.0  # for 429: seconds to the rate limit's reset


class FaultServer:
    """Start with `start()`; `base_url` is where it listens. Subclasses set
    `handler` (a FaultHandler subclass) and `rate_headers`."""

    handler: type[FaultHandler]

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.held = threading.Event()  # set when a 'hold-after' fault has handled its request
        self.release = threading.Event()  # set by the test to let the held handler drop the reply
        self.stopping = threading.Event()
        self.drip_every = 0.5  # seconds between two bytes of a 'drip' reply
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None
        self.base_url = ""

    def start(self) -> Any:
        server = self

        class Handler(self.handler):  # type: ignore[name-defined,misc]
            state = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.stopping.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    def add_fault(self, kind: str, times: int, method: str, path: str, reset_in: float) -> None:
        self.faults.append(Fault(kind, method, path, times, reset_in))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.times > 0 and f.method == method and path.startswith(f.path):
                    f.times -= 1
                    return f
        return None

    def rate_headers(self, method: str, path: str) -> dict[str, str]:
        return {}


class FaultHandler(BaseHTTPRequestHandler):
    state: Any

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        path = urlsplit(self.path).path
        for k, v in {**self.state.rate_headers(self.command, path), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _drip(self, body: Any) -> None:
        """The reply, one byte every `drip_every` seconds, until it is sent,
        the client has gone, or the server stops."""
        s = self.state
        data = json.dumps(body).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                if s.stopping.wait(s.drip_every):
                    break
        except OSError:
            pass
        self._drop()
