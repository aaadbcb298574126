"""Which commits changed each file: an index of the history, kept in .git. Edge module.

`git log -- PATH` walks every commit and diffs the trees of those it cannot
rule out; on 50,000 commits and a posts/ folder of 10,000 files that costs
~0.4 s per call even with a commit-graph's Bloom filters. The index records
once, for every commit, its parents, its commit time and the files it
changed against each parent (with their new blob ids). A path's log is then
a walk over arrays in memory that lists what that `git log` lists, in its
order (`walk`), and no tree is diffed at all.

A commit's id names its parents and its tree, so what the index knows about
a commit never goes stale: the index only grows. A HEAD it does not know
adds the commits reachable from HEAD and not from the heads indexed before
(one `git rev-list HEAD --not ...` and `git diff-tree --stdin`, split over
the CPUs), whether HEAD moved forward, was reset, amended, rebased or
switched branch. The first build reads the whole history once.

It is a cache in .git: written to a temporary file and renamed (two commands
at once each write a whole index), checked by a digest when read; a
missing, damaged or foreign file is rebuilt, never trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import itertools
import os
import pickle
import struct
from array import array
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from . import gitstore
from .errors import GitError
from .parallel import cores

# "cache" in the name: tools that clear gulagpub's caches (the benchmarks) find it.
FILE_NAME = "gulagpub-history-cache.pickle"
_MAGIC = b"gulagpub history index 1\n"
_DIGEST = 32  # sha256 (hardware-assisted: the fastest check here)
_ID = 20  # bytes of a commit id
# One change: (commit position, parent number (0: first parent), new blob id (zeros: deleted)).
_RECORD = struct.Struct("<IB20s")
_NO_BLOB = bytes(20)
_MAX_TIPS = 20
_PARALLEL_FROM = 2000  # diff-tree inputs above which the work is split over the CPUs


class IndexMismatch(GitError):
    """What git answered does not fit the index (a repository rewritten under
    it, e.g. by a shallow fetch): the caller rebuilds the index from nothing."""


@dataclass
class HistoryIndex:
    """Every commit indexed, by position: its id, parents and commit time; and
    for every path, the changes to it. Few big flat values, no per-path or
    per-commit objects, so that reading it is a copy, not a parse."""

    ids: bytes = b""  # _ID bytes per commit
    first: array = field(default_factory=lambda: array("i"))  # first parent's position; -1: root
    others: dict[int, tuple[int, ...]] = field(default_factory=dict)  # a merge's later parents
    times: array = field(default_factory=lambda: array("q"))  # commit time (git's walk order)
    paths: bytes = b"\0"  # every path changed, each followed by NUL (which no path holds)
    starts: array = field(default_factory=lambda: array("I", [0]))  # n-th path's _RECORDs: records[starts[n]:starts[n+1]]
    records: bytes = b""
    tips: list[str] = field(default_factory=list)  # heads whose ancestors are all indexed
    depth: array = field(default_factory=lambda: array("i"))  # first parents down to a root
    # 1 for the commits on tips[0]'s line of first parents (the last HEAD
    # indexed, where most histories are asked for): no walk needed there.
    on_line: bytearray = field(default_factory=bytearray)
    shallow: bytes = b""  # .git/shallow when indexed: a shallow clone's cut changes parents

    def __len__(self) -> int:
        return len(self.first)

    def position(self, sha: str) -> int | None:
        try:
            key = bytes.fromhex(sha)
        except ValueError:
            return None
        at = self.ids.find(key)
        while at >= 0 and at % _ID:
            at = self.ids.find(key, at + 1)
        return None if at < 0 else at // _ID

    def sha(self, pos: int) -> str:
        return self.ids[pos * _ID:(pos + 1) * _ID].hex()

    def changes_of(self, path: str) -> bytes:
        at = self.paths.find(b"\0" + path.encode("utf-8") + b"\0")
        if at < 0:
            return b""
        n = self.paths.count(b"\0", 0, at)
        return self.records[self.starts[n]:self.starts[n + 1]]

    def consistent(self) -> bool:
        return ((self.first.typecode, self.times.typecode, self.starts.typecode, self.depth.typecode)
                == ("i", "q", "I", "i") and len(self.starts) > 0
                and len(self.ids) == _ID * len(self.first) == _ID * len(self.times) == _ID * len(self.depth)
                and len(self.on_line) == len(self.first)
                and len(self.starts) == self.paths.count(b"\0") and self.starts[-1] == len(self.records)
                and len(self.records) % _RECORD.size == 0)


def path_log(root: Path, path: str) -> list[tuple[str, str | None]]:
    """What `git log --reverse -m --diff-merges=first-parent -- PATH` lists
    from HEAD (see `walk`): each commit id, oldest first, with PATH's blob id
    in that commit (None: deleted there). Empty when there is no commit yet."""
    found = _repository(root)
    if found is None:
        return []
    git_dir, head = found
    shallow = _read(git_dir / "shallow")
    index = load(git_dir / FILE_NAME)
    if index is None or index.shallow != shallow:
        index = HistoryIndex(shallow=shallow)
    pos = index.position(head)
    if pos is None:
        try:
            index = update(root, index, head)
        except IndexMismatch:
            index = update(root, HistoryIndex(shallow=shallow), head)
        save(git_dir / FILE_NAME, index)
        pos = index.position(head)
        if pos is None:
            raise GitError(f"git rev-list did not list HEAD ({head}); run `git fsck` to check the repository")
    return [(index.sha(c), blob) for c, blob in reversed(walk(index, pos, path))]


def walk(index: HistoryIndex, head: int, path: str) -> list[tuple[int, str | None]]:
    """The commits `git log -m --diff-merges=first-parent -- PATH` lists from
    `head` (what `history` has always read), newest first, with PATH's blob
    id in each. That git log does not simplify history: it walks every
    ancestor, and lists a commit when PATH differs from one of its parents
    (a root commit: when it has PATH) -- so also a merge that took PATH from
    its second parent, and a side branch's commits whose change the merge
    dropped. Commits come out newest commit time first among those reached,
    ties in the order they were reached, as git's walk takes them."""
    blob_at: dict[int, bytes] = {}  # every record of a commit holds PATH's blob in that commit
    for c, _, blob in _RECORD.iter_unpack(index.changes_of(path)):
        blob_at[c] = blob
    if not blob_at:
        listed: list[int] = []
    elif not index.others:  # no merge at all: the walk is one line of first parents
        listed = _line_walk(index, head, blob_at.keys())
    else:
        listed = _full_walk(index, head, blob_at.keys())
    return [(c, None if blob_at[c] == _NO_BLOB else blob_at[c].hex()) for c in listed]


def _line_walk(index: HistoryIndex, head: int, touched: Collection[int]) -> list[int]:
    """Those of `touched` on `head`'s line of first parents, newest first."""
    if index.on_line[head]:  # on the line of the HEAD last indexed: head's line is its lower part
        depth, on_line, top = index.depth, index.on_line, index.depth[head]
        return sorted((c for c in touched if on_line[c] and depth[c] <= top), key=depth.__getitem__, reverse=True)
    first = index.first
    listed = []
    left = len(touched)
    c = head
    while c >= 0 and left:
        if c in touched:
            listed.append(c)
            left -= 1
        c = first[c]
    return listed


def _full_walk(index: HistoryIndex, head: int, touched: Collection[int]) -> list[int]:
    """Those of `touched` among `head`'s ancestors, in the order git's walk
    takes them (a queue by commit time, first come first out on ties)."""
    first, others, times = index.first, index.others, index.times
    seen = bytearray(len(first))
    seen[head] = 1
    queue: list[tuple[int, int, int]] = []  # (-time, order reached, commit)
    reached = 0
    listed: list[int] = []
    left = len(touched)
    c = head
    while True:
        if c in touched:
            listed.append(c)
            left -= 1
            if not left:
                return listed
        more = others.get(c)
        if more is None:
            p = first[c]
            if p >= 0 and not seen[p]:
                seen[p] = 1
                if not queue:  # a line of history: no order to decide
                    c = p
                    continue
                heapq.heappush(queue, (-times[p], reached, p))
                reached += 1
        else:
            for p in (first[c], *more):
                if not seen[p]:
                    seen[p] = 1
                    heapq.heappush(queue, (-times[p], reached, p))
                    reached += 1
        if not queue:
            return listed
        c = heapq.heappop(queue)[2]


def update(root: Path, index: HistoryIndex, head: str) -> HistoryIndex:
    """`index` with every commit reachable from `head` (a new object; `index`
    is left as it was)."""
    out = gitstore.git(root, "rev-list", "--parents", "--timestamp", "--ignore-missing", head,
                       "--not", *index.tips)
    listed = [fields for fields in (line.split() for line in out.splitlines()) if len(fields) >= 2]
    positions = _Positions(index, every=len(listed) > 64)
    new: list[tuple[str, int, list[str]]] = []
    for fields in listed:
        if fields[1] not in positions:
            positions[fields[1]] = len(index) + len(new)
            new.append((fields[1], int(fields[0]), fields[2:]))
    ids, first, times = bytearray(index.ids), array("i", index.first), array("q", index.times)
    others = dict(index.others)
    pairs: list[tuple[int, int, str]] = []  # (commit, parent number, diff-tree input line)
    replaced: set[str] = set()
    try:
        for sha, when, parents in new:
            pos = positions[sha]
            ids += bytes.fromhex(sha)
            times.append(when)
            first.append(positions[parents[0]] if parents else -1)
            if len(parents) > 1:
                others[pos] = tuple(positions[p] for p in parents[1:])
            replaced.update(parents)
            pairs += [(pos, n, f"{sha} {p}") for n, p in enumerate(parents)] or [(pos, 0, sha)]
    except KeyError as exc:
        raise IndexMismatch(f"history index: parent {exc} of a new commit is not indexed") from exc
    except ValueError as exc:
        raise IndexMismatch(f"history index: git rev-list gave {exc}") from exc
    if len(ids) != _ID * len(first):
        raise IndexMismatch("history index: a commit id of unexpected length")
    if head not in positions:
        raise IndexMismatch(f"history index: git rev-list did not list {head}")
    depth, on_line = _lines(index, first, positions[head])
    paths, starts, records = _add_changes(index, _diff_tree(root, pairs))
    tips = [head] + [t for t in index.tips if t != head and t not in replaced]
    return HistoryIndex(bytes(ids), first, others, times, paths, starts, records, tips[:_MAX_TIPS], depth, on_line,
                        index.shallow)


def _lines(index: HistoryIndex, first: array, head: int) -> tuple[array, bytearray]:
    """`depth` and `on_line` for `head` with `first` (the old index's and the
    new commits' first parents), reading only the new commits when head's
    line goes down to the old line."""
    old = len(index)
    depth = array("i", index.depth)
    depth.extend(array("i", [-1]) * (len(first) - old))
    for pos in range(old, len(first)):  # commits come in no useful order: follow each down to a known depth
        chain = []
        c = pos
        while c >= 0 and depth[c] < 0:
            chain.append(c)
            c = first[c]
        d = depth[c] if c >= 0 else -1
        for c in reversed(chain):
            d += 1
            depth[c] = d
    chain = []
    c = head
    while c >= old:
        chain.append(c)
        c = first[c]
    top = index.position(index.tips[0]) if index.tips else None
    if c >= 0 and index.on_line[c] and top is not None:  # meets the old line at c: drop what was above c
        on_line = index.on_line + bytearray(len(first) - old)
        while top >= 0 and top != c:
            on_line[top] = 0
            top = first[top]
    else:
        on_line = bytearray(len(first))
        while c >= 0:
            chain.append(c)
            c = first[c]
    for c in chain:
        on_line[c] = 1
    return depth, on_line


def _add_changes(index: HistoryIndex, chunks: list[list[tuple[str, bytes]]]) -> tuple[bytes, array, bytes]:
    """`index`'s paths, starts and records with the new records added."""
    names = index.paths.split(b"\0")[1:-1]
    starts = index.starts
    pieces = [index.records[a:b] for a, b in zip(starts, starts[1:])]
    added: dict[bytes, list[bytes]] = {}
    for chunk in chunks:
        for path, record in chunk:
            added.setdefault(path.encode("utf-8"), []).append(record)
    where = dict(zip(names, range(len(names))))
    for key, records in added.items():
        n = where.get(key)
        if n is None:
            names.append(key)
            pieces.append(b"".join(records))
        else:
            pieces[n] += b"".join(records)
    paths = b"".join(name + b"\0" for name in [b"", *names])
    return paths, array("I", itertools.accumulate(map(len, pieces), initial=0)), b"".join(pieces)


class _Positions(dict[str, int]):
    """Commit id -> position: the new commits, and those of `index` looked up
    when asked (a few parents of a few new commits), or all of them at once
    when many commits are listed."""

    def __init__(self, index: HistoryIndex, every: bool) -> None:
        super().__init__({index.sha(i): i for i in range(len(index))} if every else {})
        self.index = index

    def __missing__(self, sha: str) -> int:
        pos = self.index.position(sha)
        if pos is None:
            raise KeyError(sha)
        self[sha] = pos
        return pos

    def __contains__(self, sha: object) -> bool:
        return super().__contains__(sha) or (isinstance(sha, str) and self.index.position(sha) is not None)


def _diff_tree(root: Path, pairs: list[tuple[int, int, str]]) -> list[list[tuple[str, bytes]]]:
    """(path, record) for every file each pair's commit changed against that
    parent, through `git diff-tree --stdin` (several at once on a big history)."""
    if not pairs:
        return []
    workers = min(cores(), 4) if len(pairs) >= _PARALLEL_FROM else 1
    if workers == 1:
        return [_diff_chunk(root, pairs)]
    # More pieces than workers: older commits have smaller trees, so equal
    # pieces take unequal times; a worker that finishes early takes the next.
    size = -(-len(pairs) // (workers * 4))
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    from concurrent.futures import ThreadPoolExecutor  # only for a big first build

    with ThreadPoolExecutor(workers) as pool:  # each thread waits on its own git
        return list(pool.map(lambda chunk: _diff_chunk(root, chunk), chunks))


def _diff_chunk(root: Path, pairs: list[tuple[int, int, str]]) -> list[tuple[str, bytes]]:
    # --always: a header for every input line, also when nothing changed, so
    # the n-th header is the n-th pair.
    out = gitstore.git(root, "diff-tree", "--stdin", "-r", "-z", "--raw", "--no-abbrev", "--no-renames",
                       "--root", "--always", input="".join(line + "\n" for _, _, line in pairs).encode())
    tokens = out.split("\0")
    result: list[tuple[str, bytes]] = []
    n = -1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith(":") and n >= 0:  # ":OLDMODE NEWMODE OLDBLOB NEWBLOB STATUS" then the path
            meta = token.split()
            if len(meta) < 5 or i + 1 >= len(tokens):
                raise IndexMismatch(f"history index: unexpected git diff-tree output {token!r}")
            commit, nth, _ = pairs[n]
            result.append((tokens[i + 1], _RECORD.pack(commit, nth, bytes.fromhex(meta[3]))))
            i += 2
            continue
        if token:
            n += 1
            if n >= len(pairs) or not pairs[n][2].startswith(token):
                raise IndexMismatch(f"history index: git diff-tree answered {token!r} out of turn")
        i += 1
    if n != len(pairs) - 1:
        raise IndexMismatch(f"history index: git diff-tree answered {n + 1} of {len(pairs)} commits")
    return result


# The type of each field of HistoryIndex, in order: what a file must hold.
_TYPES = (bytes, array, dict, array, bytes, array, bytes, list, array, bytearray, bytes)


def load(file: Path) -> HistoryIndex | None:
    """The index in `file`; None when it is missing, damaged or not ours."""
    data = _read(file)
    head = len(_MAGIC) + _DIGEST
    if not data.startswith(_MAGIC) or len(data) < head:
        return None
    payload = memoryview(data)[head:]
    if hashlib.sha256(payload).digest() != data[len(_MAGIC):head]:
        return None
    try:
        fields = pickle.loads(payload)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError):
        return None
    if not (isinstance(fields, tuple) and len(fields) == len(_TYPES)
            and all(isinstance(v, t) for v, t in zip(fields, _TYPES))):
        return None  # e.g. written by another version of gulagpub
    index = HistoryIndex(*fields)
    return index if index.consistent() else None


def save(file: Path, index: HistoryIndex) -> None:
    """Write `index` whole or not at all; failing to write only costs time later."""
    payload = pickle.dumps(tuple(getattr(index, f.name) for f in dataclasses.fields(index)),
                           protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).digest()
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(_MAGIC + digest + payload)
        os.replace(tmp, file)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def _repository(root: Path) -> tuple[Path, str] | None:
    """(the common .git folder, HEAD's id) in one git call; None before the first commit."""
    lines = gitstore.git(root, "rev-parse", "--git-common-dir", "--verify", "--quiet", "HEAD",
                         check=False).split()
    if len(lines) < 2:
        if not lines:
            gitstore.git(root, "rev-parse", "--git-dir")  # not a repository: git's own message
        return None
    common = Path(lines[0])
    return (common if common.is_absolute() else root / common), lines[1]


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError:
        return b""
