"""One writer at a time: the lock every command that writes takes. Edge module.

Builds into a site and commands that commit to the repository take an
exclusive `fcntl` lock on `.git/gulagpub/lock` (store.state_dir) for as long
as they run; a second one waits for the first (saying so), or with
`wait=False` fails at once. The lock is the kernel's: it is let go when the
process ends, however it ends, so a killed command never leaves it held.
It is reentrant within a process (`publish` commits, then builds).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import GulagpubError
from .store import state_dir

LOCK_NAME = "lock"

_held: dict[str, tuple[int, int]] = {}  # lock file -> (fd, depth), in this process
_guard = threading.Lock()


class Busy(GulagpubError):
    """Another gulagpub command holds the lock, and waiting was not wanted."""


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


@contextmanager
def exclusive(root: Path, what: str, *, wait: bool = True,
              say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the repository's lock while the block runs. `what` names the
    command for whoever waits ("build", "approve posts/x.md")."""
    path = str(state_dir(root) / LOCK_NAME)
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                fd, depth = _held[path]
                _held[path] = (fd, depth - 1)
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if not wait:
                raise Busy(f"another gulagpub command is running in {root}{holder}; "
                           "wait for it to finish, or run again without --no-wait") from None
            if say is not None:
                say(f"waiting for another gulagpub command in {root} to finish{holder}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {what}".encode("utf-8", "replace"), 0)
        with _guard:
            _held[path] = (fd, 1)
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # (closing lets the lock go)
