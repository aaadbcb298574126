"""Where gulagpub keeps what it remembers between runs, and how. Edge module.

Caches and locks live in the repository's git folder (`.git/gulagpub/`, or a
worktree's own git folder), where no commit or pull request can put a file:
checking out a stranger's branch cannot plant a cache entry. Outside a git
repository they live in the user's cache folder (`$XDG_CACHE_HOME/gulagpub/`),
one folder per content root.

Every file kept there is sealed: its bytes carry a keyed BLAKE2b digest made
with a key that lives in the same folder (created on first use, readable by
the user only). `read` returns the payload only when the seal matches, so
bytes that anyone or anything else wrote, or that were damaged on disk, are
never decoded (the payload may be a pickle: it is only ever one we wrote).
Files that are symbolic links, not regular files (a FIFO would hang a
reader), or not owned by the user are refused without being opened.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import GulagpubError

STATE_NAME = "gulagpub"
_KEY_FILE = "key"
_MAGIC = b"gulagpub-sealed-1\n"
_DIGEST = 32

Notice = Callable[[str], None]


class StateError(GulagpubError):
    """The folder where gulagpub keeps its state cannot be used safely."""


def git_dir(root: Path) -> Path | None:
    """The git folder of the working tree at `root` (a worktree's own), or None."""
    dot_git = root / ".git"
    try:
        st = os.lstat(dot_git)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return dot_git
    if stat.S_ISREG(st.st_mode):  # a worktree or submodule: ".git" names its git folder
        try:
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if text.startswith("gitdir:"):
            found = (root / text[7:].strip()).resolve()
            if found.is_dir():
                return found
    return None


def state_dir(root: Path) -> Path:
    """`.git/gulagpub/` of the repository at `root` (made on first use, for
    the user only); outside git, a folder of the user's cache. Raises
    StateError when it is a link, not a folder, or another user's."""
    found = git_dir(root)
    if found is not None:
        folder = found / STATE_NAME
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        name = hashlib.blake2b(str(root.resolve()).encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()
        folder = base / STATE_NAME / name
    _ensure_dir(folder)
    return folder


def _ensure_dir(folder: Path) -> None:
    """Make `folder` (for the user only) unless it is there; refuse a link, a
    file, or another user's folder."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except FileExistsError as exc:
        raise StateError(f"{folder}: exists and is not a folder; remove it (gulagpub keeps its caches there)") from exc
    except OSError as exc:
        raise StateError(f"{folder}: cannot be made ({exc.strerror}); gulagpub keeps its caches and "
                         "locks there: check the folder's permissions") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise StateError(f"{folder}: is a symbolic link or not a folder; remove it "
                         "(gulagpub keeps its caches there and makes it again)")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise StateError(f"{folder}: belongs to another user; remove it or run gulagpub as its owner")


def _key(folder: Path) -> bytes:
    path = folder / _KEY_FILE
    try:
        data = _read_regular(path)
    except FileNotFoundError:
        data = None
    if data is not None and len(data) == 32:
        return data
    key = os.urandom(32)
    tmp = folder / f"{_KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    try:
        # Two processes making the key at once: the first one in place wins, and
        # both use it (what the loser sealed is then refused once, and made again).
        os.link(tmp, path)
    except FileExistsError:
        os.unlink(tmp)
        again = _read_regular(path)
        if again is None or len(again) != 32:
            raise StateError(f"{path}: is not a key gulagpub made; remove it") from None
        return again
    os.unlink(tmp)
    return key


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of the user's (None otherwise:
    a link, FIFO, device or another user's file is never opened for reading
    its contents). FileNotFoundError when there is nothing."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class Sealer:
    """Seals and opens the files of one state folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._k = _key(folder)

    def seal(self, payload: bytes) -> bytes:
        return _MAGIC + hashlib.blake2b(payload, key=self._k, digest_size=_DIGEST).digest() + payload

    def unseal(self, data: bytes) -> bytes | None:
        """The payload of sealed bytes, or None when the seal does not match."""
        head = len(_MAGIC) + _DIGEST
        if len(data) < head or not data.startswith(_MAGIC):
            return None
        payload = data[head:]
        mac = hashlib.blake2b(payload, key=self._k, digest_size=_DIGEST).digest()
        return payload if hmac.compare_digest(mac, data[len(_MAGIC):head]) else None

    def read(self, name: str, notice: Notice | None = None) -> bytes | None:
        """The payload of the sealed file `name` in the folder; None when there is
        none, or it is unusable (then `notice` hears one line of why)."""
        path = self.folder / name
        try:
            data = _read_regular(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (40, 62):  # ELOOP (Linux), ELOOP (BSD): a symbolic link
                data = None
            else:
                _tell(notice, f"{path}: unreadable ({exc.strerror}); it is made again")
                return None
        if data is None:
            _tell(notice, f"{path}: not a regular file of yours; ignored and made again")
            self.discard(name)
            return None
        payload = self.unseal(data)
        if payload is None:
            _tell(notice, f"{path}: damaged or not written by gulagpub; ignored and made again")
        return payload

    def write(self, name: str, payload: bytes) -> None:
        """Seal `payload` into `name` (which may name a subfolder: 'jinja/x'),
        atomically (a reader sees the old file or the new)."""
        path = self.folder / name
        if path.parent != self.folder:
            _ensure_dir(path.parent)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            view = memoryview(self.seal(payload))
            while view:
                view = view[os.write(fd, view):]
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, path)

    def discard(self, name: str) -> None:
        try:
            os.unlink(self.folder / name)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            import shutil

            shutil.rmtree(self.folder / name, ignore_errors=True)


def _tell(notice: Notice | None, message: str) -> None:
    if notice is not None:
        notice(message)
