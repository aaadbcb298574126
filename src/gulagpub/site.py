"""The one module that writes the output folder, atomically. Edge module.

A build never writes into the folder being served. It brings a spare folder
beside the target (`.NAME.gulagpub-next`) up to date, then swaps the two in
one atomic step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames,
with the previous site kept until the second one succeeded). A failed or
interrupted build therefore leaves the previous site as it was.

Each output file comes with a key that names its bytes (same key, same
bytes). A manifest of keys per folder is kept in the repository's state
folder (`.git/gulagpub/`, sealed: see store.py), so bringing the
spare up to date writes only the files whose key changed since the spare
was last the live site, and deletes the files no longer produced; the bytes
of an unchanged file are never even made: what the spare lacks and the live
site has is linked from the live site. A caller that knows the whole live
site passes only what changed, and the token the live manifest had when it
was written (`live`): every other file stays. When the live site already
holds exactly what is asked, nothing is written or swapped.

It writes only into a new folder, an empty one, or one it built itself
(known by its manifest in the state folder, or, should that be lost, by the
marker file every site holds, in a folder no commit can have put it in):
`--out` pointed at the posts, the repository or a folder of the user's is
refused before anything moves.
Every path must stay inside the output folder. A build that fails, for any
reason, removes the spare it was filling; disk and permission errors are
reported as BuildError naming the path, never as tracebacks.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .errors import BuildError, disk_error
from .parallel import fork_friendly
from .store import Sealer, write_fd


@dataclass(frozen=True)
class Output:
    """One file of the site: its path, the key naming its bytes, and how to make them."""

    path: str  # '/'-separated, relative to the site root, e.g. '2012/10/20/x/index.html'
    key: str  # names the bytes: two outputs with the same key have the same bytes
    make: Callable[[], bytes | Path]  # its bytes, or a file that holds them (hard-linked as `source` is)
    # Outputs of one group are made by the same writer (they share work that
    # each writer does once, like serializing feed entries); None: any writer.
    group: int | None = None
    # A file published as it is (a scan, a PDF): hard-linked into the site
    # (copied where linking fails), never read; `make` is then not called.
    source: Path | None = None


class StaleOutputs(BuildError):
    """The live site is not the one `live` named: the caller must plan every
    output (nothing was changed yet)."""


@dataclass(frozen=True)
class WriteReport:
    """What `write_site` did."""

    written: int
    removed: int
    unchanged: int
    token: str = ""  # names the manifest the live site now has (for `write_site(live=...)`)


def _spare_of(out: Path) -> Path:
    return out.parent / f".{out.name}.gulagpub-next"


def _manifest_names(out: Path) -> tuple[str, str, str]:
    """The names, in the state folder, of the manifests of the live folder and
    of the spare, and of the mark saying that gulagpub made the folder."""
    digest = hashlib.blake2b(os.fsencode(out), digest_size=12).hexdigest()
    return f"site-{digest}.live", f"site-{digest}.spare", f"site-{digest}.ours"


# A manifest is two sealed records (store.Sealer.write_records): a line naming
# the format and a token new at each write, then paths and keys separated by
# NUL (neither holds one): reading and writing it is a split and a join, where
# a JSON object of 17,700 members took several times as long (a tenth of a
# one-edit build at 10,000 posts).
#
# The live site's manifest also says how the spare differs from it (the
# "undo": the spare is the previous live site, its manifest the previous
# one, named by its token): while the spare's manifest still has that token,
# a build reads only its first line instead of all of it, and knows without
# comparing 17,700 keys which files the spare lacks (a twentieth of a one-edit
# build). Its line: format, token, the spare's token, the number of undo
# entries, which come first (path, then '=' and the key the spare has, or '-'
# when it has none).
_MANIFEST = "gulagpub-manifest-3"


class _Manifest(NamedTuple):
    files: dict[str, str]  # path -> key
    token: str
    spare: str = ""  # the token of the spare's manifest that `undo` describes
    undo: dict[str, str | None] = {}  # path -> its key in the spare (None: not there)


def _load_manifest(sealer: Sealer, name: str) -> _Manifest | None:
    """The manifest `name` (None: none, or unreadable)."""
    records, whole = sealer.records(name)
    if not whole or len(records) != 2:
        return None
    try:
        head, body = records[0].decode("utf-8"), records[1].decode("utf-8")
    except ValueError:
        return None
    form, _, rest = head.partition(" ")
    if form != _MANIFEST:
        return None
    token, spare, number = (rest.split(" ") + ["", "", ""])[:3]
    if not number.isdigit():
        return None
    count = int(number)
    parts = body.split("\0") if body else []
    if len(parts) % 2 or len(parts) < 2 * count:
        return None
    undo: dict[str, str | None] = {}
    for i in range(0, 2 * count, 2):
        undo[parts[i]] = parts[i + 1][1:] if parts[i + 1][:1] == "=" else None
    it = iter(parts[2 * count:] if count else parts)
    return _Manifest(dict(zip(it, it)), token, spare, undo)


def _token_of(sealer: Sealer, name: str) -> str:
    """The token of the manifest `name` ('' if none), from its first record alone."""
    raw = sealer.first_record(name)
    head = raw.decode("utf-8", "replace") if raw else ""
    form, _, rest = head.partition(" ")
    return rest.split(" ")[0] if form == _MANIFEST else ""


def _save_manifest(sealer: Sealer, name: str, manifest: dict[str, str], spare: str = "",
                   undo: dict[str, str | None] | None = None) -> str:
    """Write the manifest `name`, and how the spare (whose manifest has the
    token `spare`) differs from it; its new token."""
    token = os.urandom(12).hex()
    undo = (undo or {}) if spare else {}
    fields = [x for p, k in undo.items() for x in (p, "-" if k is None else "=" + k)]
    fields += [x for pair in manifest.items() for x in pair]
    sealer.write_records(name, [f"{_MANIFEST} {token} {spare or '-'} {len(undo)}".encode("utf-8"),
                                "\0".join(fields).encode("utf-8")])
    return token


def _check_target(out: Path, known: bool) -> None:
    """Refuse an output that is not a folder gulagpub built, a new one or an empty one."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(f"{out}: exists and is not a folder; choose another --out (nothing was changed)")
    if out.is_dir() and not known:
        try:
            with os.scandir(out) as entries:
                empty = next(entries, None) is None
        except OSError as exc:
            raise disk_error(exc, "reading the output folder") from exc
        if not empty:
            raise BuildError(
                f"{out}: is not empty, and is not a site gulagpub built from this repository; "
                "refusing to write there (nothing was changed). Choose a new or empty folder with "
                "--out; if it is a site an earlier version or another clone built, delete it and "
                "build again")


MARKER = ".gulagpub-site"  # in every site written: says it was, should the state folder be lost
_MARK = b"A site built by gulagpub: `gulagpub build --out` may replace this folder.\n"
_PROTECTED = ("posts", "translations", "pages", "media", "templates", ".git", ".github", "src")


def _adoptable(out: Path, repository: Path | None) -> bool:
    """A folder gulagpub built whose record in the state folder is lost (a
    deleted `.git/gulagpub/`, another clone): it carries the marker, and is
    nothing a commit could have put the marker in (no file in it is tracked
    by git; not the repository, nor one of its content or code folders)."""
    marker = out / MARKER
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode) or marker.read_bytes() != _MARK:
            return False
    except OSError:
        return False
    if (out / ".git").exists() or (out / "gulagpub.toml").exists():
        return False
    if repository is None:
        return True
    repo, target = repository.resolve(), out.resolve()
    if target == repo or any(target == repo / p or (repo / p) in target.parents for p in _PROTECTED):
        return False
    if repo not in target.parents:
        return True
    import subprocess

    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--", str(target)],
                            capture_output=True)
    return listed.returncode == 0 and not listed.stdout


def _inode(folder: Path) -> int | None:
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    return st.st_ino if not os.path.islink(folder) else None


def _made(sealer: Sealer, name: str) -> set[int]:
    """The inodes of the folders gulagpub made for one output (its live site and spare)."""
    raw = sealer.read(name)
    return {int(x) for x in raw.split()} if raw and raw.replace(b" ", b"").isdigit() else set()


def _mark_made(sealer: Sealer, name: str, folder: Path) -> None:
    ino = _inode(folder)
    if ino is not None:
        known = _made(sealer, name)
        # (Only the output and its spare exist at once: the marks of folders deleted since go.)
        live = {i for i in known if i in (_inode(folder.parent / n) for n in _siblings(folder))}
        sealer.write(name, " ".join(str(i) for i in sorted(live | {ino})).encode())


def _siblings(folder: Path) -> tuple[str, str]:
    """The names of an output folder and of its spare, given either."""
    name = folder.name
    if name.startswith(".") and name.endswith(".gulagpub-next"):
        return name[1:-len(".gulagpub-next")], name
    return name, f".{name}.gulagpub-next"


_NOT_A_NAME = frozenset(("", ".", ".."))


def _check_path(path: str) -> None:
    """An output path must name a file inside the output folder."""
    if (not path or "\0" in path or "\\" in path
            or not _NOT_A_NAME.isdisjoint(path.split("/"))):  # (a leading "/" makes an empty first part)
        raise BuildError(f"the output path {path!r} would leave the site folder or is not a file name; "
                         "check the permalink setting and the slug of the post that makes it")


def live_keys(out: Path, state: Path) -> dict[str, str]:
    """The live site's files and their keys, as its manifest says ({} when unknown)."""
    found = _load_manifest(Sealer(state), _manifest_names(out.absolute())[0])
    return found.files if found else {}


def write_site(out: Path, outputs: Iterable[Output], *, state: Path, live: str | None = None,
               workers: int = 1, repository: Path | None = None, removed: Iterable[str] = ()) -> WriteReport:
    """Make `out` hold exactly `outputs`, atomically; with `live` (the token of
    the live site's manifest, from an earlier WriteReport), `outputs` and
    every other file of the live site but those `removed` names. `state` is the folder keeping the
    manifests (store.state_dir). An output whose key the spare or the live
    site already has is not made again (it is kept, or linked from the live
    site). With `workers` > 1 and many files to write, they are made and
    written by that many processes (forked: the makers need no pickling).
    Raises StaleOutputs, before changing anything, when the live site is not
    the one `live` names; BuildError, with the previous site as it was and no
    spare left behind, when anything else fails."""
    out = out.absolute()
    sealer = Sealer(state)
    live_name, spare_name, ours_name = _manifest_names(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        found = _load_manifest(sealer, live_name) if out.is_dir() and not out.is_symlink() else None
        # A folder gulagpub made whose manifest was lost (a crash at the swap)
        # is still its own: the mark names the folders it made, by inode.
        ours = found is not None or _inode(out) in _made(sealer, ours_name) or _adoptable(out, repository)
        _check_target(out, ours)
        if out.is_dir() and not ours:  # an empty folder, taken
            _mark_made(sealer, ours_name, out)
    except OSError as exc:
        raise disk_error(exc, "preparing the output folder") from exc
    current, token = (found.files, found.token) if found else (None, "")
    if live is not None and (current is None or token != live):
        raise StaleOutputs("the live site is not the one the plan remembers")
    manifest: dict[str, str] = {MARKER: "marker"}
    fresh: list[Output] = [Output(MARKER, "marker", lambda: _MARK)]
    for o in outputs:
        if o.path in manifest:
            raise BuildError(f"two pages want the same path {o.path!r}; rename one of the posts "
                             "(or change its slug or alias)")
        _check_path(o.path)
        manifest[o.path] = o.key
        fresh.append(o)
    if live is not None:
        assert current is not None
        dropped = [p for p in set(removed) if p in current and p not in manifest]
        manifest = {**current, **manifest}
        for path in dropped:
            del manifest[path]
    else:
        dropped = []
    if current == manifest:  # the live site is already this one
        return WriteReport(written=0, removed=0, unchanged=len(manifest), token=token)
    spare = _spare_of(out)
    try:
        return _swap_in(out, spare, sealer, (live_name, spare_name, ours_name), found, manifest, fresh,
                        live, workers, dropped)
    except BaseException as exc:
        # Whatever failed, the live site is as it was; the half-made spare goes
        # (the next build makes it again from the live site).
        sealer.discard(spare_name)
        try:
            if spare.is_symlink():
                spare.unlink()
            elif spare.exists():
                shutil.rmtree(spare)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise disk_error(exc, "writing the site") from exc
        raise


def _swap_in(out: Path, spare: Path, sealer: Sealer, names: tuple[str, str, str], found: _Manifest | None,
             manifest: dict[str, str], fresh: list[Output], live: str | None, workers: int,
             dropped: list[str]) -> WriteReport:
    """Bring the spare up to date with `manifest` and swap it in (write_site's second half)."""
    live_name, spare_name, ours_name = names
    current, token = (found.files, found.token) if found else (None, "")
    # How the spare differs from the live site (path -> the spare's key, None: it
    # lacks the file), when the live manifest says so for the spare's manifest.
    spare_here = spare.is_dir() and not spare.is_symlink()
    differs = found.undo if (found and found.spare and spare_here
                             and _token_of(sealer, spare_name) == found.spare) else None
    if differs is not None:
        assert current is not None
        have: dict[str, str] | None = current.copy()
        for path, key in differs.items():
            if key is None:
                have.pop(path, None)  # type: ignore[union-attr]
            else:
                have[path] = key  # type: ignore[index]
    else:
        spare_found = _load_manifest(sealer, spare_name) if spare_here else None
        have = spare_found.files if spare_found else None
    # From here on the spare is being changed: until the swap its manifest is unknown.
    sealer.discard(spare_name)
    if have is None:
        if spare.is_symlink():
            spare.unlink()
        elif spare.exists():
            shutil.rmtree(spare)
        spare.mkdir()
        _mark_made(sealer, ours_name, spare)
        # Seed the spare with hard links to the live site's files: then only what
        # changed is written. (Files are replaced, never rewritten in place.)
        have = _link_tree(out, spare, current) if current else {}
        differs = None

    made_dirs: set[str] = set()
    todo: list[tuple[Output, bool]] = []
    relink: list[str] = []  # files the live site has as they must be, and the spare has not
    live_keys = current or {}
    for o in fresh:
        if have.get(o.path) != o.key:
            if live is None and live_keys.get(o.path) == o.key:
                relink.append(o.path)
            else:
                todo.append((o, o.path in have))
    if live is not None:  # (all the live site's files but the fresh ones)
        made = {o.path for o in fresh}
        if differs is not None:  # the spare is the live site but for these
            relink = [p for p in differs if p in live_keys and p not in made and p in manifest]
        else:  # compared in sets
            relink = [p for p, _ in live_keys.items() - have.items() if p not in made and p in manifest]
    for path in relink:
        _make_dirs(spare, path.rpartition("/")[0], made_dirs)
        try:
            _place(out / path, spare / path)
        except FileNotFoundError as exc:
            raise StaleOutputs(f"{out / path}: missing from the live site") from exc
    unchanged = len(manifest) - len(todo) - len(relink)
    _write_all(spare, todo, workers, made_dirs)
    written = len(todo) + len(relink)
    removed = 0
    if differs is not None and live is not None:  # (the live site's files all stay, but those removed)
        gone: Iterable[str] = {p for p in [*differs, *dropped] if p in have and p not in manifest}
    else:
        gone = have.keys() - manifest.keys()
    emptied: set[str] = set()
    for path in gone:
        try:
            (spare / path).unlink()
            removed += 1
            emptied.add(path.rpartition("/")[0])
        except (FileNotFoundError, IsADirectoryError):
            pass
    _prune_empty_dirs(spare, emptied)

    if out.is_dir():
        # The live manifest becomes the spare's when the folders swap; until the
        # new live manifest is written the live folder's is unknown (a crash
        # here costs one full build, never a stale page).
        staged = sealer.folder / (spare_name + ".staged")
        if current is not None:
            os.replace(sealer.folder / live_name, staged)
        _exchange(spare, out)
        if current is not None:
            os.replace(staged, sealer.folder / spare_name)
    else:
        os.rename(spare, out)
    # The spare is now the previous live site: how it differs from the new one.
    if current is None:
        undo: dict[str, str | None] = {}
    elif live is not None:  # (only the fresh files changed, and those removed)
        undo = {o.path: current.get(o.path) for o in fresh if current.get(o.path) != o.key}
        undo.update((p, current[p]) for p in dropped)
    else:
        undo = {p: current.get(p) for p, k in manifest.items() if current.get(p) != k}
        undo.update((p, k) for p, k in current.items() if p not in manifest)
    token = _save_manifest(sealer, live_name, manifest, spare=token if current is not None else "", undo=undo)
    return WriteReport(written=written, removed=removed, unchanged=unchanged, token=token)


# Below this many files to write, forking a second writer costs more than it saves.
PARALLEL_FROM = 300
CHUNK = 32
MAX_UNITS = 1000  # pieces of work in the writers' queue


def _write_one(spare: Path, o: Output, existed: bool, made: set[str]) -> None:
    target = spare / o.path
    _make_dirs(spare, o.path.rpartition("/")[0], made)
    if o.source is not None:
        _place(o.source, target)
        return
    data = o.make()
    if isinstance(data, Path):  # (made before, kept in the state folder: linked, as a source is)
        _place(data, target)
        return
    if existed:
        _overwrite(target, data)
        return
    try:
        fd = os.open(target, _CREATE, 0o666)
    except IsADirectoryError:
        shutil.rmtree(target)
        fd = os.open(target, _CREATE, 0o666)
    write_fd(fd, data)


# Files are written through bare descriptors: open() added an fstat, an ioctl
# and an lseek per file (strace), thousands of calls in a full build.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write_all(spare: Path, todo: list[tuple[Output, bool]], workers: int, made: set[str]) -> None:
    """Make and write every output of `todo`, and their folders. Many of them
    are shared out between this process and forked ones, which take pieces of
    work (a group, or a chunk of outputs without one) from a common queue as
    they become free, the largest groups first; a failure in any of them is
    raised here, after all have finished."""
    workers = min(workers, len(todo) // PARALLEL_FROM + 1)
    if workers < 2 or not hasattr(os, "fork"):
        for o, existed in todo:
            _write_one(spare, o, existed, made)
        return
    units = _units(todo)
    # The queue: a pipe holding each piece's number (4 bytes), filled and closed
    # for writing before the fork; every writer reads a number at a time until
    # it is empty. (On Linux a read of a few bytes from a pipe is taken whole:
    # the reader holds the pipe's lock while it copies them.)
    queue_r, queue_w = os.pipe()
    data = b"".join(n.to_bytes(4, "little") for n in range(len(units)))
    try:
        while data:  # (at most MAX_UNITS pieces: a pipe holds at least 4 KiB, written at once)
            data = data[os.write(queue_w, data):]
    finally:
        os.close(queue_w)
    with fork_friendly():
        _fork_writers(spare, units, queue_r, workers, made)


def _fork_writers(spare: Path, units: list[list[tuple[Output, bool]]], queue_r: int, workers: int,
                  made: set[str]) -> None:
    """This process and `workers` - 1 forked ones take pieces of work from the queue until it is empty."""
    children: list[tuple[int, int]] = []

    def work() -> None:
        while True:
            got = os.read(queue_r, 4)
            if not got:
                return
            while len(got) < 4:
                got += os.read(queue_r, 4 - len(got))
            for o, existed in units[int.from_bytes(got, "little")]:
                _write_one(spare, o, existed, made)

    try:
        for _ in range(1, workers):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: write its share, report a failure through the pipe
                os.close(r)
                code, message = 0, b""
                try:
                    work()
                except BaseException as e:  # noqa: BLE001 - reported to the parent
                    text = str(disk_error(e, "writing the site")) if isinstance(e, OSError) else f"{type(e).__name__}: {e}"
                    code, message = 1, text.encode("utf-8", "replace")
                finally:
                    os.write(w, message[:60000])
                    os._exit(code)
            os.close(w)
            children.append((pid, r))
        failure: BaseException | None = None
        try:
            work()
        except BaseException as e:  # noqa: BLE001 - raised once the children are done
            failure = e
            while os.read(queue_r, 1 << 16):  # the others stop at once: nothing is left to take
                pass
        messages = []
        for pid, r in children:
            with open(r, "rb") as f:
                message = f.read()
            _, status = os.waitpid(pid, 0)
            if status != 0:
                messages.append(message.decode("utf-8", "replace") or f"writer exited with status {status}")
        if failure is not None:
            raise failure
        if messages:
            raise BuildError("; ".join(messages))
    finally:
        os.close(queue_r)


def _units(todo: list[tuple[Output, bool]]) -> list[list[tuple[Output, bool]]]:
    """The pieces of work the writers take in turn: each group whole, the
    largest first, then the outputs without a group in chunks."""
    by_group: dict[int, list[tuple[Output, bool]]] = {}
    loose = []
    for t in todo:
        if t[0].group is None:
            loose.append(t)
        else:
            by_group.setdefault(t[0].group, []).append(t)
    units = sorted(by_group.values(), key=len, reverse=True)
    size = max(CHUNK, -(-len(loose) // MAX_UNITS))
    units += [loose[n:n + size] for n in range(0, len(loose), size)]
    while len(units) > MAX_UNITS:  # the queue's pipe must hold them all: pieces taken two by two
        units = [a + b for a, b in zip(units[::2], units[1::2] + [[]])]
    return units


def _overwrite(target: Path, data: bytes) -> None:
    """Replace the contents of a file of the spare folder. A file shared (hard-linked)
    with the live site is unlinked first, so the live one never changes; a file of
    its own is rewritten in place, which frees no blocks (on a file system mounted
    with `discard`, freeing blocks made each unlink cost milliseconds, profiled)."""
    try:
        fd = os.open(target, os.O_WRONLY)
    except (FileNotFoundError, IsADirectoryError):
        if target.is_dir():
            shutil.rmtree(target)
        with open(target, "wb") as f:
            f.write(data)
        return
    with open(fd, "wb", closefd=True) as f:
        if os.fstat(fd).st_nlink > 1:
            f.close()
            os.unlink(target)
            with open(target, "wb") as g:
                g.write(data)
            return
        f.write(data)
        f.truncate()


def _place(source: Path, target: Path) -> None:
    """Put the file `source` at `target` as a hard link (a copy where the file
    system cannot link). Whatever was at `target` is unlinked first: a file
    the spare shares with the live site, or with the repository, is never
    written through."""
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(target)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copyfile(source, target, follow_symlinks=False)


def _link_tree(src: Path, dst: Path, manifest: dict[str, str]) -> dict[str, str]:
    """Hard-link the files of `manifest` from src into dst; the manifest of what was linked."""
    linked: dict[str, str] = {}
    made: set[str] = set()
    for path, key in manifest.items():
        try:
            _make_dirs(dst, path.rpartition("/")[0], made)
            os.link(src / path, dst / path)
        except OSError:
            continue  # not linked (another file system, or gone): it is simply written
        linked[path] = key
    return linked


def _make_dirs(top: Path, folder: str, made: set[str]) -> None:
    """Make `top/folder` and its missing parents, each once per build (mkdir is
    slow on this disk: `Path.mkdir(parents=True)` tried every level again)."""
    if not folder or folder in made:
        return
    _make_dirs(top, folder.rpartition("/")[0], made)
    try:
        os.mkdir(os.path.join(top, folder))
    except FileExistsError:
        if not os.path.isdir(os.path.join(top, folder)):
            raise
    made.add(folder)


def _prune_empty_dirs(top: Path, folders: set[str]) -> None:
    """Remove those of `folders` (and their parents) that files removed left empty."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder:
            try:
                os.rmdir(os.path.join(top, folder))
            except OSError:  # not empty (or gone): its parents are not empty either
                break
            folder = folder.rpartition("/")[0]


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically where the kernel can, else with renames."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if rc == 0:
            return
    # Fallback: the previous site stays under a temporary name until the new one is in place.
    old = b.with_name(b.name + ".gulagpub-old")
    if old.exists():
        shutil.rmtree(old)
    os.rename(b, old)
    try:
        os.rename(a, b)
    except OSError:
        os.rename(old, b)
        raise
    os.rename(old, a)
