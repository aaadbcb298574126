"""The reading stage: content files -> records, with the one parse cache.
Edge module (reads files, keeps the cache).

`read` lists the content folders once, compares each file's stat with what
the cache remembers, and parses (and, for the build, renders) only the files
that changed — on every core when there are many. Both the build and
`content.load` (status, check, the editorial commands) read through here, so
there is one cache and one set of rules for what counts as changed:

- a file whose stat (mtime, size, inode) is as remembered is not read;
- a file changed within the last two seconds keeps no stat (git's "racy"
  entries): a second save within one timestamp tick is never missed;
- a symbolic link, to a file or a folder, is reported and never followed.

The cache lives in the repository's state folder (store.py): an index of
every file (its stat, content hash, problems and the few fields every build
reads) sealed in one file, and by content hash in the state database the
file's record (what planning needs), its Post and its rendered HTML, each
read only when something asks for it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat as stat_mod
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .config import Config
from .errors import Problem
from .model import Kind, Post, kind_of, name_of, original_path, with_body, without_body
from .parallel import map_all
from .records import Identity, Record, set_problems
from .store import Database, Sealer, Table, load_table, save_table, state_dir, unpickled

CONTENT_DIRS = ("posts", "translations", "pages")
LINK_PROBLEM = ("is a symbolic link; content must be plain files and folders in the repository "
                "(replace the link with the files it points to)")
PLACE_PROBLEM = ("not where content lives: use posts/NAME.md (or the bundle posts/NAME/index.md with its files "
                 "beside it), translations/LANG/NAME.md or pages/NAME.md")
INDEX_NAME = "parse-index"
DATABASE_NAME = "cache.sqlite"
_RACY = (0, 0, 0)  # the stat kept for a file changed just now: no file has it
_RACY_NS = 2_000_000_000
_FLUSH_EVERY = 1500  # rows waiting: when many files are parsed, their rows are written as they come


# --- listing ----------------------------------------------------------------


class Listing(NamedTuple):
    """What the content folders hold, as sorted repository-relative paths."""

    paths: list[str]  # content files (*.md)
    others: list[str]  # the other files beside them
    links: list[str]  # symbolic links (files or folders, the content folders themselves included): never read


def content_listing(root: Path) -> Listing:
    """The content folders, listed once. A symbolic link, to a file or a
    folder, is listed apart and never followed: what it points to may be
    outside the repository, or files that review never saw."""
    paths: list[str] = []
    others: list[str] = []
    links: list[str] = []
    base = os.fspath(root) + "/"
    for top in CONTENT_DIRS:
        if os.path.islink(base + top):
            links.append(top)
            continue
        folders = [top] if os.path.isdir(base + top) else []
        while folders:  # (scandir's entries tell folders and links from the listing: no stat of each)
            rel = folders.pop()
            try:
                entries = os.scandir(base + rel)
            except OSError:  # (gone, or unreadable: as os.walk, nothing in it)
                continue
            with entries:
                for entry in entries:
                    path = rel + "/" + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(path)
                    elif entry.is_symlink() and entry.is_dir():  # (a link to a file is a file, refused when read)
                        links.append(path)
                    else:
                        (paths if path.endswith(".md") else others).append(path)
    return Listing(sorted(paths), sorted(others), sorted(links))


class FileEntry(NamedTuple):
    """One content file as last read: the parse index's row, with what every
    build reads of every file (whether it is public)."""

    stat: tuple[int, int, int]  # mtime_ns, size, inode (_RACY: changed just now, read again next time)
    sha: str  # names the path and the bytes
    problems: tuple[Problem, ...]
    kind: str | None  # None: the file did not parse
    state: str | None
    lang: str | None
    original: str | None


def file_sha(path: str, data: bytes, original: str | None = None) -> str:
    """The cache's name for a content file's bytes at a path. For a language
    version of a bundle (`original` posts/NAME/index.md) it names that too:
    a post made a bundle, or no longer one, has its versions read again."""
    h = hashlib.blake2b(data, digest_size=16).hexdigest()
    if original is not None and original.endswith("/index.md"):
        path = f"{path}\0{original}"
    return hashlib.blake2b(f"{path}\0{h}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def original_of(path: str, bundles: set[str]) -> str | None:
    """For a language version, the path of its post given the names of the
    bundles (posts/NAME/index.md) there are; None for other files."""
    if not path.startswith("translations/"):
        return None
    return original_path(path, name_of(path) in bundles)


def bundle_names(paths: Iterable[str]) -> set[str]:
    """The names of the bundle posts among these content paths."""
    return {p.split("/")[1] for p in paths if p.startswith("posts/") and p.endswith("/index.md") and p.count("/") == 2}


def _code_stamp() -> str:
    """The parsing and rendering code's own files: what another version of it cached is not used."""
    here = Path(__file__).parent
    stats = [(here / f"{name}.py").stat() for name in ("model", "postfile", "frontyaml", "languages", "workflow",
                                                       "yamlsubset", "reading", "render", "errors", "config",
                                                       "records", "media")]
    return repr([(st.st_mtime_ns, st.st_size) for st in stats])


# --- the parse cache ----------------------------------------------------------


class ParseCache:
    """The parse index (sealed file) and the state database, of one repository."""

    def __init__(self, root: Path, config: Config, notice: Any = None) -> None:
        self.state = state_dir(root)
        self.sealer = Sealer(self.state)
        self.version = hashlib.blake2b(
            f"{_code_stamp()}\0{config.site.lang}\0{config.site.timezone}\0{config.limits}".encode(),
            digest_size=12).hexdigest()
        self.db = Database(self.sealer, DATABASE_NAME, self.version)
        self.notice = notice
        # set_problems of the last read: (what it was made from, the problems)
        self.whole: tuple[str, tuple[Problem, ...]] = ("", ())
        self.whole_changed = False
        self.index: Table[FileEntry] = self._load_index()

    def _load_index(self) -> Table[FileEntry]:
        meta = unpickled(self.sealer.read(INDEX_NAME + ".meta", self.notice))
        version, whole = meta if isinstance(meta, tuple) and len(meta) == 2 else (None, None)
        if version != self.version:
            self.sealer.discard(INDEX_NAME)
            return Table(FileEntry)
        self.whole = whole if isinstance(whole, tuple) else ("", ())
        return load_table(self.sealer, INDEX_NAME, FileEntry, self.notice)

    def save_index(self) -> None:
        if not self.index.changed and not self.whole_changed:
            return
        try:
            save_table(self.sealer, INDEX_NAME, self.index)
            self.sealer.write(INDEX_NAME + ".meta", pickle.dumps((self.version, self.whole),
                                                                 protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # a cache that cannot be written only costs time
        self.whole_changed = False

    def whole_set_problems(self, reading: Reading) -> list[Problem]:
        """set_problems of the files read, remembered while no file comes, goes or
        changes its identity (an edit of a text does not look at 10,000 files)."""
        sig = hashlib.blake2b("\0".join(reading.paths).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if self.whole[0] == sig and all(self._identity(p, before) == self._identity(p, reading.entry(p))
                                        for p, before in reading.changed.items()):
            return list(self.whole[1])
        parsed = reading.parsed()
        shas = {p: reading.sha(p) for p in parsed}
        records = {**self.records(set(shas.values()) - reading.records.keys()), **reading.records}
        found = set_problems([Identity.of_record(p, records[shas[p]]) for p in parsed if shas[p] in records],
                             set(reading.paths))
        self.whole = (sig, tuple(found))
        self.whole_changed = True
        return found

    def _identity(self, path: str, entry: FileEntry | None) -> Identity | None:
        if entry is None or entry.kind is None:
            return None
        rec = self.record(entry.sha)
        return Identity.of_record(path, rec) if rec is not None else None

    # Records, posts and HTML by content hash, in the database.
    def record(self, sha: str) -> Record | None:
        raw = self.db.get("rec:" + sha)
        return _unpickle(raw, Record)

    def records(self, shas: Iterable[str]) -> dict[str, Record]:
        found = self.db.get_many(["rec:" + s for s in shas])
        out = {}
        for key, raw in found.items():
            rec = _unpickle(raw, Record)
            if rec is not None:
                out[key[4:]] = rec
        return out

    def put_record(self, sha: str, rec: Record) -> None:
        self.db.put("rec:" + sha, pickle.dumps(tuple(rec), protocol=pickle.HIGHEST_PROTOCOL))

    # A Post is kept pickled without its body (model.without_body), the body
    # beside it as text: the build's pages and feeds read the bare pickle the
    # parse worker made, and the post is pickled once.
    def post(self, sha: str) -> Post | None:
        return _post_of(self.db.get("post:" + sha))

    def posts(self, shas: Iterable[str]) -> dict[str, Post]:
        out = {}
        for key, raw in self.db.get_many(["post:" + s for s in shas]).items():
            post = _post_of(raw)
            if post is not None:
                out[key[5:]] = post
        return out

    def put_post(self, sha: str, bare: bytes, body: str) -> None:
        """Keep a Post: `bare`, pickled without its body, and its body."""
        self.db.put("post:" + sha, len(bare).to_bytes(4, "little") + bare + body.encode("utf-8", "surrogatepass"))

    def keep_post(self, sha: str, post: Post) -> None:
        self.put_post(sha, pickle.dumps(without_body(post), protocol=pickle.HIGHEST_PROTOCOL), post.body)

    def html(self, sha: str) -> str | None:
        raw = self.db.get("html:" + sha)
        return raw.decode("utf-8", "surrogatepass") if raw is not None else None

    def put_html(self, sha: str, html: str) -> None:
        self.db.put("html:" + sha, html)

    def forget(self, sha: str) -> None:
        """A content hash no file has any more: its rows go (the cache stays the size of the content)."""
        for kind in ("rec:", "post:", "html:"):
            self.db.delete(kind + sha)

    def save(self) -> None:
        self.save_index()
        self.db.commit()


def _post_of(raw: bytes | None) -> Post | None:
    """The Post kept by ParseCache.put_post, or None."""
    if raw is None or len(raw) < 4:
        return None
    view = memoryview(raw)
    end = 4 + int.from_bytes(view[:4], "little")
    bare = unpickled(view[4:end]) if end <= len(raw) else None
    if not isinstance(bare, Post):
        return None
    return with_body(bare, str(view[end:], "utf-8", "surrogatepass"))


def _unpickle(raw: bytes | None, shape: type | None) -> Any:
    value = unpickled(raw)
    if value is not None and shape is not None:
        try:
            return shape(*value)
        except TypeError:
            return None
    return value


# --- reading ------------------------------------------------------------------


@dataclass
class Reading:
    """Every content file of a working tree, as the reading stage found it."""

    files: Table[FileEntry]  # the content files read (parsed or not), by path: the parse index
    paths: list[str]  # the same, in path order
    problems: list[Problem]
    changed: dict[str, FileEntry | None]  # files changed or gone since the cache: their entry before (None: new)
    others: list[str]  # the files beside the content files (comments files...)
    cache: ParseCache
    html: dict[str, str] = field(default_factory=dict)  # rendered during this read, by content hash
    shown: dict[str, bytes] = field(default_factory=dict)  # Posts parsed for the build, pickled without their body
    records: dict[str, Record] = field(default_factory=dict)  # made during this read, by content hash
    rendered: int = 0  # Markdown bodies rendered during this read

    def entry(self, path: str) -> FileEntry | None:
        return self.files.get(path)

    def sha(self, path: str) -> str:
        return self.files.col("sha")[self.files.pos[path]]  # type: ignore[no-any-return]

    def parsed(self) -> list[str]:
        """The files that parsed, in path order."""
        kinds, pos = self.files.col("kind"), self.files.pos
        return [p for p in self.paths if kinds[pos[p]] is not None]


Job = tuple[str, str, bytes | None, Config, bool, str | None]


class Parsed(NamedTuple):
    """What a worker sends back of one file."""

    sha: str
    post: bytes | None  # pickled without its body (model.without_body; None: the file did not parse)
    body: str | None
    record: Record | None
    problems: list[Problem]
    html: str | None  # rendered, for the build


def _parse(job: Job) -> Parsed:
    """Read (unless the bytes are given), parse and (for the build) render one file, in a worker."""
    from .postfile import read_post

    path, full, data, config, render_too, original = job
    if data is None:
        with open(full, "rb") as f:
            data = f.read()
    sha = file_sha(path, data, original)
    post, problems = read_post(path, data, config, original)
    if post is None:
        return Parsed(sha, None, None, None, problems, None)
    if post.reviews or post.kind == Kind.POST:
        _ = post.digest  # computed now, so that the cache keeps it
    html = summary = None
    if render_too:
        from . import render

        html = render.markdown_to_html(post.body)
        summary = render.summary_of(post, html)
    from .media import record_of

    return Parsed(sha, pickle.dumps(without_body(post), protocol=pickle.HIGHEST_PROTOCOL), post.body,
                  record_of(post, summary), problems, html)


def read(root: Path, config: Config, cache: ParseCache, *, render: bool, flush: bool = True) -> Reading:
    """Every content file of the working tree at `root`: each changed one
    parsed (and with `render`, its body rendered), the others as the cache
    remembers them. Problems of one file never stop the others. With many
    files to parse, their rows are written to the database as they come
    (unless `flush` is false: a dry run writes nothing)."""
    listing = content_listing(root)
    problems = [Problem(link, 0, LINK_PROBLEM) for link in listing.links]
    index = cache.index
    seen = set(listing.paths)
    changed: dict[str, FileEntry | None] = {}
    for gone in [p for p in index if p not in seen]:
        changed[gone] = index.pop(gone)
    todo: list[tuple[str, str, bytes | None, tuple[int, int, int], str | None]] = []
    bundles = bundle_names(listing.paths)
    base = str(root) + os.sep
    racy_after = time.time_ns() - _RACY_NS
    lstat, is_link = os.lstat, stat_mod.S_ISLNK
    pos, stats, shas, originals = index.pos, index.col("stat"), index.col("sha"), index.col("original")
    paths: list[str] = []
    for path in listing.paths:
        full = base + path
        i = pos.get(path)
        if i is None and kind_of(path) is None:  # (a file in the index was a content file)
            problems.append(Problem(path, 0, PLACE_PROBLEM))
            continue
        st = lstat(full)
        if is_link(st.st_mode):
            problems.append(Problem(path, 0, LINK_PROBLEM))
            if i is not None:
                changed[path] = index.pop(path)
            continue
        paths.append(path)
        now = (st.st_mtime_ns, st.st_size, st.st_ino)
        original = original_of(path, bundles) if path[0] == "t" else None
        if i is not None and stats[i] == now and (original is None or originals[i] in (original, None)):
            continue
        kept = now if st.st_mtime_ns < racy_after else _RACY
        if i is None:
            todo.append((path, full, None, kept, original))
            continue
        with open(full, "rb") as f:
            data = f.read()
        if shas[i] != file_sha(path, data, original):
            todo.append((path, full, data, kept, original))
        elif stats[i] != kept:  # touched, not changed
            entry = index.get(path)
            assert entry is not None
            index.set(path, entry._replace(stat=kept))
    html: dict[str, str] = {}
    shown: dict[str, bytes] = {}
    records: dict[str, Record] = {}
    rendered = 0
    if todo:
        bulk = flush and 3 * len(todo) > _FLUSH_EVERY
        jobs = [(path, full, data, config, render, original) for path, full, data, _, original in todo]
        for (path, _, _, kept, _), got in zip(todo, map_all(_parse, jobs)):
            before = index.get(path)
            if before is None:
                changed.setdefault(path, None)
            elif before.sha != got.sha:
                changed[path] = before
            rec = got.record
            index.set(path, FileEntry(kept, got.sha, tuple(got.problems), rec.kind if rec else None,
                                      rec.state if rec else None, rec.lang if rec else None,
                                      rec.original if rec else None))
            if got.post is not None and got.body is not None and rec is not None:
                cache.put_post(got.sha, got.post, got.body)
                cache.put_record(got.sha, rec)
                records[got.sha] = rec
                if render:
                    shown[got.sha] = got.post
            if got.html is not None:
                rendered += 1
                cache.put_html(got.sha, got.html)
                html[got.sha] = got.html  # (the same text waits in the database's rows until they are written)
            if bulk and len(cache.db.pending) >= _FLUSH_EVERY:
                cache.db.commit()  # many files: their rows go to the database as they come, not all held to the end
    if changed:
        index.changed = True
    kept_problems = index.col("problems")
    for path in paths:
        found = kept_problems[pos[path]]
        if found:
            problems.extend(found)
    return Reading(index, paths, problems, changed, listing.others, cache, html, shown, records, rendered)


def with_summary(cache: ParseCache, sha: str, rec: Record, summary: str) -> Record:
    """`rec` with its summary, kept for the next build."""
    rec = rec._replace(summary=summary)
    cache.put_record(sha, rec)
    return rec


def posts(root: Path, config: Config, reading: Reading, paths: Iterable[str]) -> dict[str, Post]:
    """The Posts of these files (with their bodies), from the cache, or parsed
    again when the cache lost them."""
    wanted = {p: e for p in paths if (e := reading.files[p]).kind is not None}
    found = reading.cache.posts({e.sha for e in wanted.values()})
    out: dict[str, Post] = {}
    for path, entry in wanted.items():
        post = found.get(entry.sha)
        if post is None:
            from .postfile import read_post

            data = (root / path).read_bytes()
            post, _ = read_post(path, data, config, entry.original)
            if post is None:  # changed since it was read
                continue
            if file_sha(path, data, entry.original) == entry.sha:
                reading.cache.keep_post(entry.sha, post)
        out[path] = post
    return out
