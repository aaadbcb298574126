"""Start `gulagpub` processes without paying Python's start-up and imports each time.

A launcher process imports gulagpub and the network clients once, then forks
a child per request: each child is a real process running the CLI (its own
pid, files, sockets), killed with a real SIGKILL, as `python -m gulagpub`
would be, only started in milliseconds instead of a second and a half (the
atproto SDK alone takes a second to import). The launcher is single-threaded,
so forking it is safe.

    with Launcher() as launch:
        child = launch(["-C", root, "announce"], env)
        ...
        child.kill()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_SERVE = r"""
import json, os, signal, sys
import gulagpub.cli, gulagpub.announce, mastodon, atproto_client  # noqa: F401  (the imports paid once)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.environ.clear()
        os.environ.update(req["env"])
        out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        code = 0
        try:
            gulagpub.cli.main(req["args"], prog_name="gulagpub")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        with open(req["rc"], "w") as f:
            f.write(str(code))
        os._exit(code)
    print(pid, flush=True)
"""


class Child:
    """One forked `gulagpub` run."""

    def __init__(self, pid: int, folder: Path) -> None:
        self.pid = pid
        self.folder = folder

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return not (self.folder / "rc").exists()

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)
        raise AssertionError(f"process {self.pid} did not die")

    def output(self) -> str:
        return "".join((self.folder / n).read_text(encoding="utf-8", errors="replace")
                       for n in ("out", "err") if (self.folder / n).exists())


class Launcher:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Launcher:
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        return self

    def __call__(self, args: list[str], env: dict[str, Any]) -> Child:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.count += 1
        folder = self.folder / f"child-{self.count}"
        folder.mkdir(parents=True)
        request = {"args": args, "env": env, "out": str(folder / "out"), "err": str(folder / "err"),
                   "rc": str(folder / "rc")}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return Child(int(self.proc.stdout.readline()), folder)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.communicate()  # closes its stdin: it ends
