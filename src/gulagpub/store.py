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
import pickle
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from .errors import GulagpubError

STATE_NAME = "gulagpub"
_KEY_FILE = "key"
_MAGIC = b"gulagpub-sealed-1\n"
_DIGEST = 32

Notice = Callable[[str], None]


# What unpickling bytes another version of gulagpub wrote may raise.
_UNPICKLING = (pickle.PickleError, EOFError, AttributeError, ImportError, IndexError, KeyError, TypeError,
               ValueError, MemoryError)


def unpickled(raw: bytes | memoryview | None) -> Any:
    """The value pickled in bytes read back from the state (sealed: only ever
    bytes gulagpub wrote), or None when there are none or they do not
    unpickle (written by another version)."""
    if raw is None:
        return None
    try:
        return pickle.loads(raw)
    except _UNPICKLING:
        return None


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


def open_regular(path: Path) -> tuple[int, os.stat_result] | None:
    """An open descriptor of `path` (the caller closes it) and its stat, if it
    is a regular file of the user's; None otherwise: a link, FIFO, device or
    another user's file is never opened for reading its contents. OSError as
    os.open raises it (FileNotFoundError when there is nothing)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        os.close(fd)
        return None
    return fd, st


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of the user's (None otherwise,
    see open_regular). FileNotFoundError when there is nothing."""
    opened = open_regular(path)
    if opened is None:
        return None
    fd = opened[0]
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_regular(path: Path) -> bytes | None:
    """The bytes of a file of the state folder that is not sealed (the folder
    of image copies: data that is published, never decoded or run), when it
    is a regular file of the user's; None when there is none, or it is a link,
    a FIFO or another user's."""
    try:
        return _read_regular(path)
    except FileNotFoundError:
        return None


def write_fd(fd: int, data: bytes) -> None:
    """Write all of `data` to the open descriptor `fd` (os.write may write less
    than asked), then close it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
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
        self.write_raw(name, self.seal(payload))

    def write_raw(self, name: str, data: bytes) -> None:
        path = self.folder / name
        if path.parent != self.folder:
            _ensure_dir(path.parent)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, path)

    def append(self, name: str, payload: bytes) -> None:
        """Add one sealed record to the journal file `name` (in one write: an
        interruption leaves at worst a damaged last record, which is ignored)."""
        record = self._record(payload)
        write_fd(os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600),
                 record)

    def _record(self, payload: bytes) -> bytes:
        mac = hashlib.blake2b(payload, key=self._k, digest_size=_DIGEST).digest()
        return len(payload).to_bytes(8, "little") + mac + payload

    def write_records(self, name: str, payloads: list[bytes]) -> None:
        """A file of sealed records, written atomically: the first can be read alone (`first_record`)."""
        self.write_raw(name, b"".join(self._record(p) for p in payloads))

    def first_record(self, name: str) -> bytes | None:
        """The first record of a file of records, reading no more of it."""
        try:
            opened = open_regular(self.folder / name)
        except OSError:
            return None
        if opened is None:
            return None
        fd = opened[0]
        try:
            head = os.read(fd, 8 + _DIGEST)
            if len(head) < 8 + _DIGEST:
                return None
            size = int.from_bytes(head[:8], "little")
            if size > 1 << 20:
                return None
            payload = os.read(fd, size)
        finally:
            os.close(fd)
        mac = hashlib.blake2b(payload, key=self._k, digest_size=_DIGEST).digest()
        return payload if len(payload) == size and hmac.compare_digest(mac, head[8:]) else None

    def records(self, name: str) -> tuple[list[bytes], bool]:
        """The payloads of the journal `name`, up to the first damaged record, and
        whether it was read whole."""
        try:
            data = _read_regular(self.folder / name)
        except FileNotFoundError:
            return [], True
        except OSError:
            return [], False
        if data is None:
            return [], False
        out: list[bytes] = []
        at = 0
        while at < len(data):
            size = int.from_bytes(data[at:at + 8], "little")
            mac, payload = data[at + 8:at + 8 + _DIGEST], data[at + 8 + _DIGEST:at + 8 + _DIGEST + size]
            if len(payload) != size or not hmac.compare_digest(
                    mac, hashlib.blake2b(payload, key=self._k, digest_size=_DIGEST).digest()):
                return out, False
            out.append(payload)
            at += 8 + _DIGEST + size
        return out, True

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


_BULK = 500  # rows written at once, above which the database's journal is set aside


def _as_bytes(value: bytes | str | None) -> bytes | None:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


class Database:
    """A table of sealed values by key, in one SQLite file of the state folder:
    what a build keeps of each file and output (records, rendered HTML, feed
    entries). A row is read back only when its seal, which covers its key as
    well as its bytes, matches: a row moved, altered or planted is a miss.
    Writes wait in memory (`put`, `delete`) until `commit`, in one
    transaction; a forked process opens a connection of its own (`close`
    before forking), and sees what waits, as it is in its memory."""

    def __init__(self, sealer: Sealer, name: str, version: str) -> None:
        self.sealer = sealer
        self.path = sealer.folder / name
        self.version = version
        self._conn: Any = None
        self._owner = 0
        # key -> the payload waiting to be written (None: to delete), sealed when
        # written: a text is kept as the text (the build holds that object anyway).
        self.pending: dict[str, bytes | str | None] = {}

    def _exists(self) -> bool:
        return (self._conn is not None and self._owner == os.getpid()) or os.path.lexists(self.path)

    def _db(self) -> Any:
        if self._conn is None or self._owner != os.getpid():
            import sqlite3

            if not os.path.lexists(self.path):
                self._conn = self._create(sqlite3)
            else:
                st = os.lstat(self.path)
                if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                    os.unlink(self.path)  # a link, FIFO or foreign file in our place: ignored, made anew
                    self._conn = self._create(sqlite3)
                else:
                    self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                    self._conn.execute("PRAGMA synchronous=NORMAL")
                    row = None
                    try:
                        row = self._conn.execute("SELECT value FROM kv WHERE key = ''").fetchone()
                    except sqlite3.DatabaseError:
                        pass
                    if row is None or row[0] != self.version.encode():  # other code made it, or damaged
                        self._conn.close()
                        os.unlink(self.path)
                        self._conn = self._create(sqlite3)
            self._owner = os.getpid()
        return self._conn

    def _create(self, sqlite3: Any) -> Any:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        conn.execute("INSERT OR REPLACE INTO kv VALUES ('', ?)", (self.version.encode(),))
        return conn

    def _seal(self, key: str, payload: bytes) -> bytes:
        mac = hashlib.blake2b(payload, key=self.sealer._k, digest_size=16, person=b"gulagpub-row")
        mac.update(key.encode("utf-8", "surrogatepass"))
        return mac.digest() + payload

    def _open(self, key: str, value: bytes | None) -> bytes | None:
        if value is None or len(value) < 16:
            return None
        payload = value[16:]
        mac = hashlib.blake2b(payload, key=self.sealer._k, digest_size=16, person=b"gulagpub-row")
        mac.update(key.encode("utf-8", "surrogatepass"))
        return bytes(payload) if hmac.compare_digest(mac.digest(), value[:16]) else None

    def get(self, key: str) -> bytes | None:
        """The payload kept under `key`, or None."""
        if key in self.pending:
            return _as_bytes(self.pending[key])
        elif not self._exists():
            return None
        else:
            import sqlite3

            try:
                row = self._db().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            except sqlite3.DatabaseError:
                return None
            value = row[0] if row else None
        return self._open(key, value)

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        """The payloads kept under those of `keys` that have one."""
        import sqlite3

        found: dict[str, bytes] = {}
        ask = [k for k in keys if k not in self.pending] if self._exists() else []
        try:
            for i in range(0, len(ask), 500):
                db = self._db()
                chunk = ask[i:i + 500]
                for key, value in db.execute(
                        f"SELECT key, value FROM kv WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                    payload = self._open(key, value)
                    if payload is not None:
                        found[key] = payload
        except sqlite3.DatabaseError:
            pass
        for key in keys:
            if key in self.pending:
                payload = _as_bytes(self.pending[key])
                if payload is not None:
                    found[key] = payload
        return found

    def put(self, key: str, payload: bytes | str) -> None:
        """Keep `payload` (a text is kept as UTF-8) under `key`, from the next commit on."""
        self.pending[key] = payload

    def delete(self, key: str) -> None:
        self.pending[key] = None

    def close(self) -> None:
        """Let the connection go (before forking, or when done); what waits stays waiting."""
        if self._conn is not None and self._owner == os.getpid():
            self._conn.close()
        self._conn = None

    def commit(self) -> None:
        """Write what waits, in one transaction (a cache: failing to write only costs time later)."""
        import sqlite3

        if not self.pending:
            self.close()
            return
        rows = [(k, self._seal(k, _as_bytes(v))) for k, v in self.pending.items() if v is not None]  # type: ignore[arg-type]
        gone = [(k,) for k, v in self.pending.items() if v is None]
        if not self._exists():
            self._write_new(rows)
            self.pending.clear()
            return
        try:
            db = self._db()
            bulk = len(rows) > _BULK
            if bulk:
                # Many rows (a first build's, in pieces): without the journal, in
                # half the time. A crash may then leave a damaged file, which a
                # later build finds (its version row, the rows' seals) and makes again.
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", rows)
                db.executemany("DELETE FROM kv WHERE key = ?", gone)
            if bulk:
                db.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.DatabaseError, OSError):
            self.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass
        self.pending.clear()
        self.close()

    def _write_new(self, rows: list[tuple[str, bytes]]) -> None:
        """A new database (a first build, or after the state was deleted), written
        whole under another name without a journal, then moved in place: a crash
        leaves no half-written file, and it takes about half the time of writing
        through the journal."""
        import sqlite3

        new = self.path.with_name(self.path.name + ".new")
        try:
            if os.path.lexists(new):
                os.unlink(new)
            conn = sqlite3.connect(new, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=OFF")
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                with conn:
                    conn.execute("BEGIN")
                    conn.execute("INSERT INTO kv VALUES ('', ?)", (self.version.encode(),))
                    conn.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", rows)
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
            os.replace(new, self.path)
        except (sqlite3.DatabaseError, OSError):
            try:
                os.unlink(new)
            except OSError:
                pass


R = TypeVar("R", bound=tuple)  # a NamedTuple


class Table(Generic[R]):
    """Rows of one NamedTuple type by key, kept as columns: 10,000 rows pickle
    and load in a few milliseconds (as 10,000 tuples they took ten times as
    long), and a row is made only when asked for."""

    def __init__(self, row: type[R], keys: list[str] | None = None, columns: list[list[Any]] | None = None) -> None:
        self.row = row
        self.keys: list[str | None] = list(keys or [])
        self.columns: list[list[Any]] = columns if columns is not None else [[] for _ in row._fields]  # type: ignore[attr-defined]
        self.pos: dict[str, int] = {k: i for i, k in enumerate(self.keys) if k is not None}
        self.changed = False
        self.touched: set[str] = set()  # keys set or popped since it was loaded (what a journal records)
        self.fold = False  # its journal was damaged: keep it whole next time

    def get(self, key: str) -> R | None:
        i = self.pos.get(key)
        if i is None:
            return None
        return tuple.__new__(self.row, [c[i] for c in self.columns])  # type: ignore[call-overload, no-any-return]

    def __getitem__(self, key: str) -> R:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self.pos

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.pos))

    def __len__(self) -> int:
        return len(self.pos)

    def items(self) -> Iterator[tuple[str, R]]:
        for key in list(self.pos):
            yield key, self[key]

    def column(self, name: str) -> dict[str, Any]:
        """One field of every row, by key."""
        col = self.col(name)
        return {k: col[i] for k, i in self.pos.items()}

    def col(self, name: str) -> list[Any]:
        """One field of every row, by place (`pos`): for scans that make no row."""
        return self.columns[self.row._fields.index(name)]  # type: ignore[attr-defined]

    def set(self, key: str, value: R) -> None:
        i = self.pos.get(key)
        if i is None:
            self.pos[key] = len(self.keys)
            self.keys.append(key)
            for c, v in zip(self.columns, value):
                c.append(v)
        else:
            for c, v in zip(self.columns, value):
                c[i] = v
        self.changed = True
        self.touched.add(key)

    def pop(self, key: str) -> R | None:
        found = self.get(key)
        if found is not None:
            self.keys[self.pos.pop(key)] = None
            self.changed = True
            self.touched.add(key)
        return found

    def dump(self) -> bytes:
        live = [i for i, k in enumerate(self.keys) if k is not None]
        if len(live) == len(self.keys):
            keys, columns = self.keys, self.columns
        else:
            keys = [self.keys[i] for i in live]
            columns = [[c[i] for i in live] for c in self.columns]
        return pickle.dumps((self.row._fields, keys, columns), protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, row: type[R], raw: bytes | None) -> Table[R]:
        """The table pickled in `raw` (sealed bytes gulagpub wrote), or an empty one."""
        if raw is not None:
            found = unpickled(raw)
            fields, keys, columns = found if isinstance(found, tuple) and len(found) == 3 else (None, [], [])
            if (fields == row._fields  # type: ignore[attr-defined]
                    and len(columns) == len(fields) and all(len(c) == len(keys) for c in columns)):
                return cls(row, keys, columns)
        return cls(row)


def load_table(sealer: Sealer, name: str, row: type[R], notice: Notice | None = None) -> Table[R]:
    """A table kept by `save_table`: its last whole copy, and the changes since."""
    table = Table.load(row, sealer.read(name, notice))
    if not table.keys:
        sealer.discard(name + ".journal")
        return table
    records, whole = sealer.records(name + ".journal")
    try:
        for raw in records:
            for key, value in pickle.loads(raw):
                if value is None:
                    table.pop(key)
                else:
                    table.set(key, tuple.__new__(row, value))  # type: ignore[call-overload]
    except _UNPICKLING:
        whole = False
    table.touched.clear()
    table.changed = not whole  # (a damaged journal: the next save writes the table whole)
    table.fold = not whole
    return table


def save_table(sealer: Sealer, name: str, table: Table[R]) -> None:
    """Keep what changed in `table`: appended to its journal (a few rows after an
    edit), or the whole table when the journal grew past a quarter of it."""
    if not table.changed:
        return
    journal = sealer.folder / (name + ".journal")
    try:
        grown = journal.stat().st_size
    except OSError:
        grown = 0
    whole = table.fold or not os.path.exists(sealer.folder / name) \
        or len(table.touched) > len(table) // 4 or grown > (1 << 16) and grown * 4 > _size(sealer.folder / name)
    if whole:
        sealer.write(name, table.dump())
        sealer.discard(name + ".journal")
    else:
        sealer.append(name + ".journal", pickle.dumps(
            [(k, tuple(v) if (v := table.get(k)) is not None else None) for k in sorted(table.touched)],
            protocol=pickle.HIGHEST_PROTOCOL))
    table.touched.clear()
    table.changed = False
    table.fold = False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
