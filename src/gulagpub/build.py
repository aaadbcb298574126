"""The build: content repository -> static site and feeds. Use case.

load (the parse cache) -> check -> select what is public -> history
(updated times) -> plan every output file with a key naming its bytes ->
`site.write_site` makes only the files whose key changed, then swaps the
new site in atomically. Markdown is rendered once per distinct file content
(the render cache); pages and feeds are made only when their key changed.

Incremental builds touch only what an edit can reach. The parse cache keeps,
per file, a record of plain values (what planning needs: title, date, tags,
...); the Post itself is loaded only when something about it is rendered.
The plan is made group by group — each post's page, each list with its
feeds (the site's, a language's, a tag's, a category's) — and the plan memo
keeps each group's inputs and the keys they gave: a group whose inputs are
unchanged keeps its keys without recomputing them, and its files are taken
from the live site (`write_site(kept=...)`).

After an edit that leaves the site's shape as it was (the same public posts,
dates, languages, tags...), the delta plan (`_Builder.delta_plan`) does not
even go through the other posts: from the shape the last plan left in the
memo it plans the changed posts' pages and the list pages and feed documents
holding them, and every other file stays as the live site holds it
(`write_site(live=...)`): its cost follows the change, not the site's size.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import operator
import os
import pickle
import sqlite3
import stat as stat_mod
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from markupsafe import Markup

from . import gitstore
from .config import Config
from .content import CONTENT_DIRS, content_listing, load_config, set_problems
from .errors import BuildError, Problem
from .model import Kind, Post, State, primed
from .parallel import PARALLEL_FROM, cores, map_all
from .promotion import is_due
from .site import PARALLEL_FROM as WRITERS_FROM
from .site import Output, StaleOutputs, WriteReport, write_site
from .taxonomy import Term, assign_slugs
from .urls import absolute, entry_id, path_of

if TYPE_CHECKING:  # imported where used: a build that renders nothing does not load them
    import jinja2

    from . import feeds

# Bump when the output changes for a reason no cache key can see (new code),
# or when what the caches hold changes shape: every cache is then made again.
BUILD_VERSION = "9"
CACHE_DIR = ".gulagpub-cache"
TEMPLATES_DIR = "templates"
RESERVED = {"tag", "category", "page", "archive", "feed.atom", "feed.rss", "feed.json",
            "style.css", "favicon.svg", "404.html", "sitemap.xml", "robots.txt", "templates"}
COMMENTS_SUFFIX = ".comments.yaml"  # comments.SUFFIX, without importing YAML to plan

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build did (the CLI reports it)."""

    out: Path
    posts: int  # posts and language versions on the site
    pages: int  # HTML files
    feeds: int  # feed documents
    rendered: int  # Markdown files rendered (not taken from the cache)
    report: WriteReport
    warnings: list[Problem] = field(default_factory=list)


def _h(*parts: object) -> str:
    """A short hash naming a combination of values (one digest update: it runs
    tens of thousands of times per build)."""
    text = "\0".join(map(str, parts))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _joined(texts: Iterator[str] | list[str]) -> str:
    """One hash for many texts (a list's member keys)."""
    return hashlib.blake2b("\0".join(texts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _Rec(NamedTuple):
    """What planning needs of one parsed content file, as plain values: 10,000
    of them load in milliseconds, where 10,000 Post objects took a fifth of a
    second. The Post itself is loaded only to render something about it."""

    kind: str
    state: str
    lang: str
    name: str
    slug: str
    slug_line: int
    title: str
    date: str | None  # ISO 8601 with offset
    when: int  # the date in microseconds since 1970 (sorting); 0 when undated
    updated: str | None  # the post's own `updated:`, ISO 8601
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    aliases: tuple[str, ...]
    original: str | None
    id: str | None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RACY = (0, 0, 0)  # the stat kept for a file changed just now: no file has it
_MICRO = timedelta(microseconds=1)


_key_of = operator.attrgetter("key")


def _micros(dt: datetime) -> int:
    return (dt - _EPOCH) // _MICRO  # exact, unlike a float timestamp


def _record(post: Post) -> _Rec:
    return _Rec(post.kind.value, post.state.value, post.lang, post.name, post.slug, post.line_of("slug"),
                post.title, post.date.isoformat() if post.date else None,
                _micros(post.date) if post.date else 0,
                post.updated.isoformat() if post.updated else None, tuple(post.tags),
                tuple(post.categories), tuple(post.aliases), post.original, post.id)


@functools.lru_cache(maxsize=1 << 15)
def _dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _skeleton(path: str, rec: _Rec) -> Post:
    """A Post holding what its record keeps (no body, provenance or reviews):
    enough for urls.path_of, entry_id, set_problems and is_due."""
    post = Post(path=path, kind=Kind(rec.kind), name=rec.name, slug=rec.slug, title=rec.title,
                state=State(rec.state), lang=rec.lang, body="", id=rec.id,
                date=_dt(rec.date) if rec.date else None,
                updated=_dt(rec.updated) if rec.updated else None, tags=rec.tags,
                categories=rec.categories, aliases=rec.aliases, original=rec.original)
    return primed(post, {}, {"slug": rec.slug_line})


class _Entry:
    """One content file as last parsed. What every build reads of every file
    (its stat, problems, kind, state, language, original) is kept as plain
    values; its record, summary and derived values stay pickled (`blob`)
    until read: a build after an edit reads a few hundred of 10,000, and
    unpickling them all was a tenth of it."""

    __slots__ = ("stat", "sha", "problems", "kind", "state", "lang", "original", "_blob", "_open",
                 "_rec", "_summary", "_derived")

    def __init__(self, stat: tuple[int, int, int], sha: str, problems: tuple[Problem, ...],
                 hot: tuple[str, str, str, str | None] | None, blob: bytes | None,
                 rec: _Rec | None = None, summary: str | None = None) -> None:
        self.stat = stat  # mtime_ns, size, inode
        self.sha = sha  # names the path and the bytes
        self.problems = problems
        # The record's kind, state, lang and original (kind None: the file did not parse).
        self.kind, self.state, self.lang, self.original = hot or (None, None, None, None)
        self._blob, self._open = blob, blob is None
        self._rec, self._summary = rec, summary
        self._derived: tuple[str, str, str] | None = None  # (settings digest, site path, entry id)

    @classmethod
    def parsed(cls, stat: tuple[int, int, int], sha: str, rec: _Rec | None, problems: tuple[Problem, ...],
               summary: str | None) -> _Entry:
        hot = (rec.kind, rec.state, sys.intern(rec.lang), rec.original) if rec else None
        return cls(stat, sha, problems, hot, None, rec, summary)

    def _decode(self) -> None:
        try:
            rec, self._summary, self._derived = pickle.loads(self._blob)  # type: ignore[arg-type]
        except (pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError,
                IndexError, KeyError, MemoryError) as exc:
            raise BuildError(f"the build cache {CACHE_DIR}/ is damaged; delete it and build again") from exc
        self._rec = tuple.__new__(_Rec, rec) if rec else None
        self._open = True

    @property
    def rec(self) -> _Rec | None:  # None: the file did not parse
        if not self._open:
            self._decode()
        return self._rec

    @property
    def summary(self) -> str | None:
        if not self._open:
            self._decode()
        return self._summary

    @summary.setter
    def summary(self, value: str | None) -> None:
        self.rec  # noqa: B018 - decoded before it changes
        self._summary, self._blob = value, None

    @property
    def derived(self) -> tuple[str, str, str] | None:
        if not self._open:
            self._decode()
        return self._derived

    @derived.setter
    def derived(self, value: tuple[str, str, str] | None) -> None:
        self.rec  # noqa: B018 - decoded before it changes
        self._derived, self._blob = value, None

    def dump(self) -> tuple[Any, ...]:
        blob = self._blob
        if blob is None:
            blob = pickle.dumps((tuple(self._rec) if self._rec else None, self._summary, self._derived),
                                protocol=pickle.HIGHEST_PROTOCOL)
        hot = (self.kind, self.state, self.lang, self.original) if self.kind is not None else None
        return (self.stat, self.sha, self.problems, hot, blob)


_GONE = None  # a journal's value for a key removed


class _Store:
    """A dict in `NAME.pickle`, and the changes made since in `NAME.journal`,
    appended to it: an edit appends a few hundred bytes instead of rewriting
    megabytes (rewriting the parse records and the plan memo of 10,000 posts
    was a fifth of a one-edit build). The journal is folded into the file
    when it grows past a quarter of it. A damaged journal (an interrupted
    write) is ignored from the damage on, and the next save folds it in: this
    is a cache, whose every value is checked before use."""

    def __init__(self, folder: Path, name: str) -> None:
        self.base = folder / f"{name}.pickle"
        self.log = folder / f"{name}.journal"
        self.fold = False

    def load(self) -> dict[Any, Any]:
        try:
            with open(self.base, "rb") as f:
                data = pickle.load(f)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
                ValueError, IndexError, KeyError, MemoryError):
            self.fold = True
            return {}
        if not (isinstance(data, tuple) and len(data) == 2 and data[0] == BUILD_VERSION
                and isinstance(data[1], dict)):
            self.fold = True
            return {}
        values: dict[Any, Any] = data[1]
        try:
            with open(self.log, "rb") as f:
                while True:
                    try:
                        changes = pickle.load(f)
                    except EOFError:
                        break
                    for k, v in changes.items():
                        if v is _GONE:
                            values.pop(k, None)
                        else:
                            values[k] = v
        except FileNotFoundError:
            pass
        except (OSError, pickle.PickleError, AttributeError, ImportError, TypeError, ValueError,
                IndexError, KeyError, MemoryError):
            self.fold = True
        return values

    def save(self, values: Callable[[], dict[Any, Any]], changes: dict[Any, Any]) -> None:
        """Record `changes` (key -> new value, or _GONE); `values()` gives the whole dict after them."""
        if not changes and not self.fold:
            return
        try:
            size = self.log.stat().st_size
            big = size > max(1 << 16, self.base.stat().st_size // 4)
        except OSError:
            big = not self.base.exists()
        if self.fold or big:
            tmp = self.base.with_name(self.base.name + ".tmp")
            with open(tmp, "wb") as f:
                pickle.dump((BUILD_VERSION, values()), f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(self.base)
            self.log.unlink(missing_ok=True)
            self.fold = False
            return
        with open(self.log, "ab") as f:  # one write: an interruption leaves a damaged tail at worst
            f.write(pickle.dumps(changes, protocol=pickle.HIGHEST_PROTOCOL))


class Cache:
    """`.gulagpub-cache/` at the content root (gitignored): one record per
    content file by file stat (`index`), the Post objects, rendered HTML and
    feed entries by content hash (html.sqlite), the Git history, the plan
    memo (`plan`). Only a cache: anything unreadable in it is ignored and
    made again."""

    def __init__(self, root: Path) -> None:
        """The Git history only (a small file): `load` reads the rest, while
        the caller may bring the history up to date (see _Builder.__init__)."""
        self.dir = root / CACHE_DIR
        self._index = _Store(self.dir, "index")
        self.entries: dict[str, _Entry] = {}
        self._touched: set[str] = set()  # paths whose entry changed (or went)
        # The entries the touched files had before this build (None: a new file).
        self.previous: dict[str, _Entry | None] = {}
        self._plan = _Store(self.dir, "plan")
        self.memo: dict[Any, Any] = {}
        self.memo_changes: dict[Any, Any] = {}
        hist = self._plan_history()
        # (HEAD, path -> ISO time of its last real change, blob id -> content digest)
        self.head: str | None = hist[0]
        self.changed: dict[str, str] = hist[1]
        self.digests: dict[str, str] = hist[2]
        self._history_dirty = False
        self._conn: sqlite3.Connection | None = None
        self._pending: dict[str, str] = {}
        self._pending_posts: dict[str, bytes] = {}
        self._pending_entries: dict[str, bytes] = {}

    def load(self) -> None:
        """Read the parse records and the plan memo (most of the cache)."""
        entry = _Entry
        try:
            self.entries = {path: entry(st, sha, probs, hot, blob)
                            for path, (st, sha, probs, hot, blob) in self._index.load().items()}
        except (TypeError, ValueError, AttributeError):
            self.entries = {}
            self._index.fold = True
        self.memo = self._plan.load()

    def _plan_history(self) -> tuple[Any, ...]:
        try:
            with open(self.dir / "history.pickle", "rb") as f:
                data = pickle.load(f)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
                ValueError, IndexError, KeyError, MemoryError):
            return (None, {}, {})
        if (isinstance(data, tuple) and len(data) == 2 and data[0] == BUILD_VERSION
                and isinstance(data[1], tuple) and len(data[1]) == 3):
            return data[1]
        return (None, {}, {})

    def replace_memo(self, memo: dict[Any, Any]) -> None:
        """A new plan memo (the settings, templates or terms changed): the old one is dropped."""
        self.memo, self.memo_changes = memo, {}
        self._plan.fold = True

    def touch(self, path: str) -> None:
        self._touched.add(path)

    def touched(self) -> set[str]:
        return self._touched

    def set_history(self, head: str | None, changed: dict[str, str], digests: dict[str, str]) -> None:
        self.head, self.changed, self.digests = head, changed, digests
        self._history_dirty = True

    def save(self) -> None:
        self.close()
        if not (self._touched or self.memo_changes or self._history_dirty or self._index.fold
                or self._plan.fold):
            return
        self.dir.mkdir(exist_ok=True)
        gitignore = self.dir / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")
        if self._index.fold:
            for old in self.dir.glob("posts-*.pickle"):  # the parse cache of BUILD_VERSION 2
                old.unlink()
        self._index.save(lambda: {p: e.dump() for p, e in self.entries.items()},
                         {p: (e.dump() if (e := self.entries.get(p)) else _GONE) for p in self._touched})
        self._touched.clear()
        self._plan.save(lambda: self.memo, self.memo_changes)
        self.memo_changes = {}
        if self._history_dirty:
            tmp = self.dir / "history.pickle.tmp"
            with open(tmp, "wb") as f:
                pickle.dump((BUILD_VERSION, (self.head, self.changed, self.digests)), f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(self.dir / "history.pickle")
            self._history_dirty = False

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.dir.mkdir(exist_ok=True)
            self._conn = sqlite3.connect(self.dir / _DB, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            _schema(self._conn)
        return self._conn

    def get_html(self, sha: str) -> str | None:
        try:
            row = self._db().execute("SELECT html FROM html WHERE sha = ?", (sha,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    def put_html(self, sha: str, html: str) -> None:
        self._pending[sha] = html

    def get_post(self, sha: str) -> Post | None:
        try:
            blob = self._pending_posts.get(sha)
            if blob is None:
                row = self._db().execute("SELECT post FROM posts WHERE sha = ?", (sha,)).fetchone()
                blob = row[0] if row else None
            post = pickle.loads(blob) if blob is not None else None
        except (sqlite3.DatabaseError, pickle.PickleError, EOFError, AttributeError, ImportError,
                TypeError, ValueError, IndexError, KeyError):
            return None
        return post if isinstance(post, Post) else None

    def put_post(self, sha: str, post: bytes) -> None:
        """Keep a Post, pickled (pickle.HIGHEST_PROTOCOL)."""
        self._pending_posts[sha] = post

    def get_entries(self, keys: list[str]) -> dict[str, Any]:
        """Serialized feed entries (feeds.Rendered) by key, in few queries."""
        found: dict[str, Any] = {}
        try:
            db = self._db()
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = db.execute(f"SELECT key, entry FROM entries WHERE key IN ({','.join('?' * len(chunk))})",
                                  chunk).fetchall()
                for key, blob in rows:
                    found[key] = pickle.loads(blob)
        except (sqlite3.DatabaseError, pickle.PickleError, EOFError, AttributeError, ImportError,
                TypeError, ValueError, IndexError, KeyError):
            return {}
        return found

    def put_entry(self, key: str, rendered: Any) -> None:
        self._pending_entries[key] = pickle.dumps(rendered, protocol=pickle.HIGHEST_PROTOCOL)

    def disconnect(self) -> None:
        """Close the database connection (a forked process must open its own); nothing is written."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._pending or self._pending_posts or self._pending_entries:
            rows = (self._pending.items(), self._pending_posts.items(), self._pending_entries.items())
            try:
                if self._conn is None and not (self.dir / _DB).exists():
                    self._write_new(rows)
                else:
                    db = self._db()
                    with db:
                        db.execute("BEGIN")
                        _insert(db, rows)
            except sqlite3.DatabaseError:  # a damaged cache: start it again
                self.disconnect()
                (self.dir / _DB).unlink(missing_ok=True)
            self._pending.clear()
            self._pending_posts.clear()
            self._pending_entries.clear()
        self.disconnect()

    def _write_new(self, rows: tuple[Iterable[tuple[str, Any]], ...]) -> None:
        """A new database (a first build, or after the cache was deleted) written
        whole under another name without a journal, then moved in place: a crash
        leaves no half-written cache, and the rows of 10,000 posts (66 MB) take
        half the time they take through the write-ahead log (0.4 s against 0.9 s)."""
        self.dir.mkdir(exist_ok=True)
        new = self.dir / (_DB + ".new")
        new.unlink(missing_ok=True)
        try:
            db = sqlite3.connect(new, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
                _schema(db)
                with db:
                    db.execute("BEGIN")
                    _insert(db, rows)
            finally:
                db.close()
            os.replace(new, self.dir / _DB)
        except BaseException:
            new.unlink(missing_ok=True)
            raise


_DB = "html.sqlite"


def _schema(db: sqlite3.Connection) -> None:
    """The cache database's tables, made anew when another version of gulagpub made them."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (version TEXT NOT NULL)")
    row = db.execute("SELECT version FROM meta").fetchone()
    if row is None or row[0] != BUILD_VERSION:  # made by other code: start again
        with db:
            db.execute("BEGIN")
            for table in ("html", "posts", "entries", "meta"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute("CREATE TABLE meta (version TEXT NOT NULL)")
            db.execute("INSERT INTO meta VALUES (?)", (BUILD_VERSION,))
    db.execute("CREATE TABLE IF NOT EXISTS html (sha TEXT PRIMARY KEY, html TEXT NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS posts (sha TEXT PRIMARY KEY, post BLOB NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, entry BLOB NOT NULL)")


def _insert(db: sqlite3.Connection, rows: tuple[Iterable[tuple[str, Any]], ...]) -> None:
    """HTML, posts and feed entries, each (key, value), into their tables."""
    for table, values in zip(("html", "posts", "entries"), rows):
        db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", values)


def _environment(root: Path) -> jinja2.Environment:
    """Templates from the content repository's templates/ first, then the package's."""
    import jinja2

    package = Path(__file__).parent / "templates"
    own = root / TEMPLATES_DIR
    loaders: list[jinja2.BaseLoader] = []
    if own.is_dir():
        loaders.append(jinja2.FileSystemLoader(own))
    loaders.append(jinja2.FileSystemLoader(package))
    # Compiled templates are kept in the cache: compiling them was a tenth of a
    # one-edit rebuild (profiled). Jinja2 checks the sources' times itself.
    (root / CACHE_DIR / "jinja").mkdir(parents=True, exist_ok=True)
    # auto_reload off: templates do not change during a build, and checking their
    # times for every page (and every include) was a twentieth of it (profiled).
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, auto_reload=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              finalize=_xml_safe,
                              bytecode_cache=jinja2.FileSystemBytecodeCache(str(root / CACHE_DIR / "jinja")))


def _templates_digest(root: Path) -> str:
    """A digest of every template (part of every page's key)."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (root / TEMPLATES_DIR, Path(__file__).parent / "templates"):
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.is_file():
                    h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _xml_safe(value: Any) -> Any:
    """Every text a template prints, without the characters XML 1.0 forbids
    (Markup comes from render.markdown_to_html, which strips them already)."""
    if type(value) is str:
        # Printable ASCII (most links, dates, titles) holds none of them: no lookup,
        # which for the texts of one post only (its title, its link) missed anyway.
        if value.isascii() and value.isprintable():
            return value
        return _stripped(value)
    return value


@functools.lru_cache(maxsize=1 << 16)
def _stripped(text: str) -> str:
    # Pages repeat the same texts (site title, feed links, tag names): a tenth
    # of the CPU of a full build went to stripping them again (profiled).
    from . import render

    return render.strip_forbidden(text)


def _static(env: jinja2.Environment, name: str) -> bytes:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source.encode("utf-8")


# The group (site.Output.group) of the feed documents: made by one writer.
_FEEDS = 0

def _sha(path: str, data: bytes) -> str:
    """The cache's name for a content file's bytes."""
    return _h(path, hashlib.blake2b(data, digest_size=16).hexdigest())


def _parse_and_render(job: tuple[str, str, bytes | None, str, Any]
                      ) -> tuple[str, bytes | None, _Rec | None, list[Problem], str | None, str | None]:
    """Read (unless `data` is given), parse and render one file: (its sha, post
    without body, pickled for the cache, its record, problems, HTML, summary).
    The post is pickled here, once: the parent keeps the bytes, and only the
    writers that show it read them back. Reading and hashing
    here, in the workers, spares the parent reading every file and sending it
    to them; the record is made here too, while the post still holds the
    lines of its fields (they are not pickled)."""
    from . import render
    from .postfile import parse_post

    path, full, data, lang, tz = job
    if data is None:
        with open(full, "rb") as f:
            data = f.read()
    sha = _sha(path, data)
    post, problems = parse_post(path, data, default_lang=lang, tz=tz)
    if post is None:
        return sha, None, None, problems, None, None
    html = render.markdown_to_html(post.body)
    # The cache keeps what the build reads: no body (HTML is cached apart; raw meta is never pickled).
    kept = pickle.dumps(replace(post, body=""), protocol=pickle.HIGHEST_PROTOCOL)
    return sha, kept, _record(post), problems, html, render.summary_of(post, html)


def load_posts(root: Path, config: Config, cache: Cache, rendered: dict[str, str],
               paths: list[str]) -> tuple[dict[str, _Entry], list[Problem]]:
    """Every content file (`paths`, from content_listing), parsed (its record
    from the cache when its stat is unchanged). Changed files are parsed and
    rendered at once (on every core when there are many: the cold build's main
    cost); their HTML goes into `rendered` and their Post into the cache, by
    content hash. Returns the entries of the files that parsed, by path, and
    every problem."""
    tz = config.site.tz
    problems: list[Problem] = []
    seen = set(paths)
    entries = cache.entries
    before = dict(entries)  # (entries are replaced, not changed, when their file's record changes)
    for gone in [p for p in entries if p not in seen]:
        del entries[gone]
        cache.touch(gone)
    # Files not seen before are read by whoever parses them; changed ones are
    # read here, as a file touched but not changed needs no parsing.
    todo: list[tuple[str, str, bytes | None, tuple[int, int, int]]] = []
    base = str(root) + os.sep
    # A file changed within the last seconds may change again within the same
    # timestamp tick and keep its size: its stat is not kept (git's "racy"
    # entries), so the next build reads and hashes it again.
    racy_after = time.time_ns() - 2_000_000_000
    lstat, is_link = os.lstat, stat_mod.S_ISLNK
    for path in paths:
        full = base + path
        entry = entries.get(path)
        if entry is None:  # (a file with an entry was a content file last time: no need to ask)
            from .postfile import kind_of

            if kind_of(path) is None:
                problems.append(Problem(path, 0, "not where content lives: use posts/NAME.md, "
                                        "translations/LANG/NAME.md or pages/NAME.md"))
                continue
        st = lstat(full)
        if is_link(st.st_mode):
            problems.append(Problem(path, 0, "is a symbolic link; content files must be plain files"))
            if entries.pop(path, None) is not None:
                cache.touch(path)
            continue
        stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        kept = stat if st.st_mtime_ns < racy_after else _RACY
        if entry is None:
            todo.append((path, full, None, kept))
        elif entry.stat != stat:
            with open(full, "rb") as f:
                data = f.read()
            sha = _sha(path, data)
            if entry.sha != sha:
                todo.append((path, full, data, kept))
            elif entry.stat != kept:
                entry.stat = kept
                cache.touch(path)
    jobs = [(path, full, data, config.site.lang, tz) for path, full, data, _ in todo]
    results = list(map_all(_parse_and_render, jobs))  # on every core when there are many
    for (path, _, _, stat), (sha, post, rec, probs, html, summary) in zip(todo, results):
        entries[path] = _Entry.parsed(stat, sha, rec, tuple(probs), summary)
        cache.touch(path)
        if post is not None:
            cache.put_post(sha, post)
        if html is not None:
            cache.put_html(sha, html)
            rendered[sha] = html
    found: dict[str, _Entry] = {}
    for path in paths:
        entry = entries.get(path)
        if entry is None:
            continue
        problems.extend(entry.problems)
        if entry.kind is not None:
            found[path] = entry
    cache.previous = {p: before.get(p) for p in cache.touched()}
    same = all(_identity(e) == _identity(entries.get(p)) for p, e in cache.previous.items())
    problems.extend(_set_problems(found, paths, cache, same))
    return found, problems


def _identity(entry: _Entry | None) -> tuple[Any, ...] | None:
    """What content.set_problems reads of a file."""
    rec = entry.rec if entry is not None else None
    return (rec.kind, rec.lang, rec.slug, rec.slug_line, rec.original, rec.id) if rec is not None else None


def _set_problems(found: dict[str, _Entry], paths: list[str], cache: Cache, same: bool) -> list[Problem]:
    """content.set_problems over the records, remembered while no file's
    path, kind, language, slug, original or id changes (`same`: an edit of a text
    does not make 10,000 Post objects)."""
    sig = _joined(paths)
    memo = cache.memo.get(("set_problems",))
    if same and isinstance(memo, tuple) and len(memo) == 2 and memo[0] == sig:
        return list(memo[1])
    result = set_problems([_skeleton(p, e.rec) for p, e in found.items() if e.rec is not None], set(paths))
    cache.memo[("set_problems",)] = cache.memo_changes[("set_problems",)] = (sig, tuple(result))
    return result


def _blocking(problem: Problem, by_path: dict[str, Post], root: Path, now: datetime) -> bool:
    """A problem blocks the build when its file is published or due to be."""
    post = by_path.get(problem.path)
    if post is not None:
        return post.state == State.PUBLISHED or is_due(post, now)
    try:
        head = (root / problem.path).read_bytes()[:4000].decode("utf-8", "replace")
    except OSError:
        return False
    import re

    return bool(re.search(r"^state:\s*['\"]?(published|approved)\b", head, re.M | re.I))


class _Item:
    """What lists and feeds need of one public post; its Post is loaded only
    when something about it is rendered."""

    __slots__ = ("builder", "src", "entry", "rec", "path", "when", "published", "sig", "key", "lastmod")

    def __init__(self, builder: _Builder, src: str, entry: _Entry, path: str, when: int, published: str) -> None:
        assert entry.rec is not None
        self.builder, self.src, self.entry, self.rec, self.path = builder, src, entry, entry.rec, path
        self.when, self.published = when, published  # sort key; the date, or the build's time
        self.sig: tuple[Any, ...] = ()
        self.key = ""
        self.lastmod: tuple[str, str] = ("", "")  # for sitemap.xml: the time, and its <url> row

    @property
    def post(self) -> Post:
        return self.builder.post_of(self.src)

    @property
    def sha(self) -> str:
        return self.entry.sha

    @property
    def url(self) -> str:
        return absolute(self.path, self.builder.config)

    @property
    def summary(self) -> str:
        return self.builder.summary(self.src)

    @property
    def tags(self) -> list[Term]:
        return [self.builder.tags[t] for t in self.rec.tags]

    @property
    def categories(self) -> list[Term]:
        return [self.builder.cats[c] for c in self.rec.categories]

    @property
    def updated(self) -> datetime:
        rec = self.rec
        if rec.updated:
            return _dt(rec.updated)
        published = _dt(self.published)
        changed = self.builder.changed.get(self.src)
        return max(published, _dt(changed)) if changed else published

    def refresh(self) -> None:
        """Make the item's key and sitemap row anew."""
        updated = self.updated
        self.key = _h(self.entry.sha, self.path, updated.isoformat(), self.published, self.summary,
                      [(t.name, t.slug) for t in self.tags], [(c.name, c.slug) for c in self.categories])
        lastmod = _lastmod(updated)
        self.lastmod = (lastmod, _sitemap_row(self.url, lastmod))


class _Members:
    """A list's members, newest first, made into items only where read: the
    delta plan reads the few pages and feed documents holding a changed post."""

    def __init__(self, srcs: tuple[str, ...], item: Callable[[str], _Item]) -> None:
        self.srcs, self.item = srcs, item

    def __len__(self) -> int:
        return len(self.srcs)

    def __getitem__(self, n: int) -> _Item:
        return self.item(self.srcs[n])


class _Shape(NamedTuple):
    """What a plan remembers of the last build's structure (the plan memo's
    ("shape",)): while the public posts, their dates, languages, tags,
    categories, slugs and ids stay the same, the lists keep their members in
    their order and the delta plan holds."""

    visible: str  # names the public files
    langs: list[str]
    tags: dict[str, Term]
    cats: dict[str, Term]
    folders: tuple[str, ...]  # the content folders of the posts (for comments files)
    archives: dict[str, tuple[int, int, int]]  # the comments files, with their stat
    ledger: str  # names the announcement ledger
    family: dict[str, list[str]]  # language versions by the original's path
    undated: frozenset[str]  # posts without a date (dated at each build's time)
    order: tuple[str, ...]  # the posts, in the order their keys name the sitemap
    by_path: tuple[str, ...]  # the posts, in the sitemap's order
    lists: dict[str, tuple[str | None, str, tuple[str, ...], bool]]  # base -> (heading, lang, members, archives)
    page_urls: tuple[str, ...]
    count: int
    pages: int
    feeds: int
    posts: int


def _form(rec: _Rec) -> tuple[Any, ...]:
    """What of a record places its post in the lists and names its pages (all but the title and `updated:`)."""
    return (rec.kind, rec.state, rec.lang, rec.name, rec.slug, rec.date, rec.when, rec.tags,
            rec.categories, rec.aliases, rec.original, rec.id)


def _page_memo(sig: tuple[Any, ...], key: str, lastmod: tuple[str, str], psig: tuple[Any, ...],
               outputs: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    """A post's page group as the plan memo keeps it (("p", src) -> this): its
    key and sitemap row (lastmod) as plain values, as the delta plan reads them
    for every post; its inputs (sig, page_sig) and output keys pickled until
    read (for a few posts after an edit: unpickling them all with the memo was
    a twentieth of a one-edit build)."""
    return (key, lastmod[0], lastmod[1],
            pickle.dumps((sig, psig, outputs), protocol=pickle.HIGHEST_PROTOCOL))


def _page_rest(hit: tuple[Any, ...]) -> tuple[Any, ...]:
    """(sig, page_sig, outputs) of a page group in the plan memo (_page_memo)."""
    try:
        return pickle.loads(hit[3])  # type: ignore[no-any-return]
    except (pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError,
            IndexError, KeyError, MemoryError) as exc:
        raise BuildError(f"the build cache {CACHE_DIR}/ is damaged; delete it and build again") from exc


def _ledger_sig(ledger: dict[str, Any]) -> str:
    return _joined([f"{k}\0{r.state}\0{r.url}" for k, r in sorted(ledger.items())])


class _Context(NamedTuple):
    """What a post's page shows besides the post (page_sig) comes from."""

    visible: dict[str, _Entry]
    ledger: dict[str, Any]
    archives: dict[str, tuple[int, int, int]]
    family: dict[str, list[str]]


@dataclass
class _Plan:
    """Every output file of a build, or what changed of them, with its key."""

    outputs: list[Output]  # the outputs planned anew
    kept: dict[str, str]  # path -> key of outputs whose group is unchanged: in the live site
    count: int
    pages: int  # HTML files
    feeds: int  # feed documents
    posts: int
    live: str | None = None  # the token of the live site: its files not in `outputs` stay


def _history_at_head(root: Path, head: str | None, changed: dict[str, str],
                     digests: dict[str, str]) -> Any:
    """The history (history.History) brought up to Git's HEAD from the one the
    cache holds; None when HEAD has not moved (one `git rev-parse`)."""
    now = gitstore.head(root)
    if now == head and not (now is None and changed):
        return None
    from . import history

    return history.update(root, history.History(head, changed, digests), CONTENT_DIRS, head=now)


class _Background:
    """`func(*args)` run in a thread, for work that mostly waits (on git
    processes); its result, or its exception, is taken with `result`."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        import threading

        self._func, self._args = func, args
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._func(*self._args)
        except BaseException as exc:  # noqa: BLE001 - raised by result(), in the caller's thread
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class _Builder:
    def __init__(self, root: Path, out: Path, now: datetime, drafts: bool,
                 progress: Progress | None) -> None:
        self.root = root
        self.out = out
        self.now = now
        self.drafts = drafts
        self.say = progress or (lambda _msg: None)
        self.config = load_config(root)
        self.cache = Cache(root)
        # Git is asked for the history (it runs several git processes) while the
        # cache loads: after an edit that was a tenth of the build, waited for.
        self._history = _Background(_history_at_head, root, self.cache.head, self.cache.changed,
                                    self.cache.digests)
        self.cache.load()
        self._env: jinja2.Environment | None = None
        config_text = (root / "gulagpub.toml").read_bytes()
        self.settings = _h(config_text)
        # Part of every key (with the languages, once known: every page lists them).
        self.base_gen = self.gen = _h(BUILD_VERSION, _templates_digest(root), config_text, drafts)
        self.prefix = urlsplit(self.config.site.base_url).path or "/"
        self.rendered = 0
        self.templates: dict[str, jinja2.Template] = {}
        self.html: dict[str, str] = {}
        self.parsed: dict[str, Post] = {}  # by content hash
        self.entries_by_path: dict[str, _Entry] = {}
        self.changed: dict[str, str] = {}
        self.history_changed: set[str] = set()  # the paths whose time of change moved
        self.langs: list[str] = []
        self.tags: dict[str, Term] = {}
        self.cats: dict[str, Term] = {}
        self.entries: dict[str, feeds.Rendered] = {}
        self._when: dict[datetime, tuple[str, str]] = {}
        self._fragments: dict[Any, Markup] = {}  # rendered partials, by what they show
        self._rows: dict[str, Markup] = {}  # each item's list entry, by its path
        self.in_json_feed: set[str] = set()  # the items some JSON feed holds
        self.feed_docs: dict[str, list[_Item]] = {}  # each feed file planned: its entries
        self.uses: dict[str, int] = {}  # feed files to make holding each item, by its path
        self.cache_entries = False  # serialized entries are taken from (and kept in) the cache
        self.others: list[str] = []  # the files beside the content files (content_listing)

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = _environment(self.root)
        return self._env

    @functools.cached_property
    def site_ctx(self) -> _Attrs:
        from . import render

        site = _Attrs({
            "title": self.config.site.title, "description": self.config.site.description, "root": self.prefix,
            "languages": [_Attrs({"code": l, "name": render.language_name(l),
                                  "href": self.href(f"/{quote(l.lower())}/")}) for l in self.langs]
            if len(self.langs) > 1 else [],
        })
        # What every page shows alike, rendered once per build (the same on every page).
        site.header = self.fragment("_header.html", site=site)
        site.footer = self.fragment("_footer.html", site=site)
        return site

    # --- content ----------------------------------------------------------
    def post_of(self, path: str) -> Post:
        """The parsed Post of a content file (without its body)."""
        entry = self.entries_by_path[path]
        post = self.parsed.get(entry.sha) or self.cache.get_post(entry.sha)
        if post is None:  # the cache lost it: parse the file again
            from .postfile import parse_post

            full, _ = parse_post(path, (self.root / path).read_bytes(),
                                 default_lang=self.config.site.lang, tz=self.config.site.tz)
            if full is None:
                raise BuildError(f"{path}: changed during the build; build again")
            post = replace(full, body="")
            self.cache.put_post(entry.sha, pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL))
        self.parsed[entry.sha] = post
        return post

    def body_html(self, post: Post) -> str:
        sha = self.entries_by_path[post.path].sha
        if sha in self.html:
            return self.html[sha]
        html = self.cache.get_html(sha)
        if html is None:  # the HTML cache was deleted: render again
            from . import render
            from .postfile import parse_post

            full, _ = parse_post(post.path, (self.root / post.path).read_bytes(),
                                 default_lang=self.config.site.lang, tz=self.config.site.tz)
            html = render.markdown_to_html(full.body if full else "")
            self.cache.put_html(sha, html)
        self.html[sha] = html
        return html

    def summary(self, path: str) -> str:
        entry = self.entries_by_path[path]
        if entry.summary is None:
            from . import render

            post = self.post_of(path)
            entry.summary = render.summary_of(post, self.body_html(post))
            self.cache.touch(path)
        return entry.summary

    def derived(self, path: str) -> tuple[str, str, str]:
        """(settings digest, site path, entry id) of a content file, kept in its entry."""
        entry = self.entries_by_path[path]
        if entry.derived is None or entry.derived[0] != self.settings:
            assert entry.rec is not None
            post = _skeleton(path, entry.rec)
            entry.derived = (self.settings, path_of(post, self.config), entry_id(post, self.config))
            self.cache.touch(path)
        return entry.derived

    # --- helpers ----------------------------------------------------------
    def href(self, path: str) -> str:
        """A site path ('/a/b/') as a link on the site (under base_url's path)."""
        return self.prefix + path.lstrip("/")

    def file_of(self, path: str) -> str:
        """The output file for a site path."""
        p = unquote(path).lstrip("/")
        return p + "index.html" if p.endswith("/") or not p else p

    def when(self, dt: datetime) -> tuple[str, str]:
        done = self._when.get(dt)
        if done is None:
            from . import render

            local = dt.astimezone(self.config.site.tz)
            done = self._when[dt] = (local.isoformat(), f"{local.day} {render.month_year(local)}")
        return done

    def template(self, name: str) -> jinja2.Template:
        # Looked up once: Jinja's own cache lookup was a tenth of rendering a page (profiled).
        found = self.templates.get(name)
        if found is None:
            found = self.templates[name] = self.env.get_template(name)
        return found

    def page(self, template: str, **ctx: Any) -> bytes:
        feeds_ = ctx.get("feeds")
        if feeds_ is not None:  # a page's feed links: the same for every page of a list, or of the site
            key = tuple((f.type, f.title, f.href) for f in feeds_)
            links = self._fragments.get(key)
            if links is None:
                links = self._fragments[key] = self.fragment("_feeds.html", feeds=feeds_)
            ctx["feed_links"] = links
        return self.template(template).render(site=self.site_ctx, **ctx).encode("utf-8")

    def fragment(self, template: str, **ctx: Any) -> Markup:
        """A partial template, rendered once and shown on many pages (escaped already)."""
        return Markup(self.template(template).render(**ctx))

    def row(self, it: _Item) -> Markup:
        """An item's entry in the lists, rendered once for every list page it is on."""
        done = self._rows.get(it.path)
        if done is None:
            done = self._rows[it.path] = self.fragment("_item.html", site=self.site_ctx, item=self.item_ctx(it))
        return done

    def item_ctx(self, it: _Item) -> _Attrs:
        iso, human = self.when(_dt(it.published))
        return _Attrs({"title": it.rec.title, "href": self.href(it.path), "lang": it.rec.lang,
                       "date_iso": iso, "date_human": human, "summary": it.summary})

    def history(self) -> dict[str, str]:
        """When each post's content last really changed (path -> ISO time), from Git
        (read in the background since the builder started)."""
        cache = self.cache
        hist = self._history.result()
        if hist is not None and (hist.head, hist.changed) != (cache.head, cache.changed):
            self.history_changed = {p for p, _ in cache.changed.items() ^ hist.changed.items()}
            cache.set_history(hist.head, hist.changed, hist.digests)
        return cache.changed

    # --- the build ----------------------------------------------------------
    def run(self) -> BuildResult:
        cfg = self.config
        # No thread may run when load_posts forks its workers (parallel.map_all).
        self._history.wait()
        paths, self.others = content_listing(self.root)
        entries, problems = load_posts(self.root, cfg, self.cache, self.html, paths)
        self.entries_by_path = entries
        self.rendered = len(self.html)
        self.say(f"read {len(entries)} content file(s)")
        by_path = {p.path: _skeleton(p.path, entries[p.path].rec) for p in problems  # type: ignore[arg-type]
                   if p.path in entries}
        blocking = [p for p in problems if _blocking(p, by_path, self.root, self.now)]
        all_langs = {lang.lower() for lang in {e.lang for e in entries.values()}}  # type: ignore[union-attr]
        for path, e in entries.items():
            if e.kind != "page":
                continue
            rec = e.rec
            if rec is not None and (rec.slug in RESERVED or rec.slug in all_langs):
                if rec.state == "published":
                    blocking.append(Problem(path, rec.slug_line,
                                            f"page slug '{rec.slug}' is used by the site itself; "
                                            "choose another 'slug:'"))
        if blocking:
            # The parse records are kept, but the plan has not seen them: no delta plan next time.
            self.cache.memo_changes[("shape",)] = _GONE
            self.cache.save()
            raise BuildError("the site was not built (the previous one is untouched):\n"
                             + "\n".join(str(p) for p in sorted(set(blocking))))
        warnings = sorted(set(problems))

        if self.drafts:
            visible = {p: e for p, e in entries.items() if e.state != "withdrawn"}
        else:
            published = {p: e for p, e in entries.items() if e.state == "published"}
            visible = {p: e for p, e in published.items() if (
                e.kind != "translation" or (e.original in published
                                            and published[e.original].kind == "post"))}  # type: ignore[index]
        self.changed = self.history()
        workers = min(2, cores())
        plan = self.delta_plan(visible) or self.plan(visible, use_memo=True)
        self.say(f"writing {plan.count} file(s) ({plan.pages} pages, {plan.feeds} feeds)")
        # Each writer serializes the feed entries it needs, once (rendered_entry):
        # entries are cheap to make (feeds._direct_xml), dearer to send between processes.
        # When few files are made (an edit), entries are also looked up in the cache.
        self.cache_entries = len(plan.outputs) < PARALLEL_FROM
        if workers > 1 and len(plan.outputs) >= WRITERS_FROM:  # writers may be forked
            # The HTML cache's connection must not be shared with forked writers (what
            # is pending stays in memory, where they read it, until the cache is saved).
            # When none are forked it stays open.
            self.cache.disconnect()
            self.prepare()
        self.order_feeds(plan.outputs)
        try:
            report = write_site(self.out, plan.outputs, kept=plan.kept, live=plan.live, workers=workers)
        except StaleOutputs:  # the live site is not one the plan memo knows: plan everything
            self.feed_docs, self.uses = {}, {}
            plan = self.plan(visible, use_memo=False)
            self.order_feeds(plan.outputs)
            self.cache.disconnect()
            self.cache_entries = False
            report = write_site(self.out, plan.outputs, workers=workers)
        # The plan memo describes this live site (what delta_plan checks).
        self.cache.memo[("site",)] = self.cache.memo_changes[("site",)] = report.token
        self.cache.save()
        self.say(f"{report.written} file(s) written, {report.unchanged} unchanged, "
                 f"{report.removed} removed; {self.rendered} rendered")
        return BuildResult(out=self.out, posts=plan.posts, pages=plan.pages, feeds=plan.feeds,
                           rendered=self.rendered, report=report, warnings=warnings)

    def page_sig(self, ctx: _Context, src: str, rec: _Rec, entry_id: str) -> tuple[Any, ...]:
        """What a post's page shows besides its item: its toot, language versions, old comments."""
        mastodon = None
        if ctx.ledger:
            mast = ctx.ledger.get(entry_id)
            mastodon = mast.url if mast and mast.state == "posted" and mast.url else None
        others: tuple[tuple[str, str, str], ...] = ()
        family = ctx.family.get(rec.original or src)
        if family:
            recs = [(o, ctx.visible[o].rec) for o in family if o != src]
            recs.sort(key=lambda o: o[1].lang)  # type: ignore[union-attr]
            others = tuple([(r.lang, self.derived(o)[1], r.title) for o, r in recs])  # type: ignore[union-attr]
        archives = ctx.archives
        return (mastodon, others, archives.get(src[:-3] + COMMENTS_SUFFIX) if archives else None)

    def post_group(self, it: _Item, psig: tuple[Any, ...], others: list[_Item], archives: dict[str, Any],
                   site_feeds: list[_Attrs]) -> list[Output]:
        """A post's page and its aliases; recorded in the plan memo."""
        src, rec, mastodon = it.src, it.rec, psig[0]
        archive = src[:-3] + COMMENTS_SUFFIX if archives else ""
        archived = (self.root / archive).read_bytes() if archive in archives else b""
        key = _h(self.gen, "post", it.key, mastodon, [(o.rec.lang, o.path, o.rec.title) for o in others],
                 hashlib.blake2b(archived, digest_size=16).hexdigest())
        group = [Output(self.file_of(it.path), key,
                        lambda it=it, others=others, mastodon=mastodon, archived=archived:
                        self.post_page(it, others, mastodon, site_feeds, archived))]
        for alias in rec.aliases:
            if self.file_of(alias) == group[0].path:
                continue  # the page itself, written another way ('%D0%B0' for 'а'): no redirect to itself
            group.append(Output(self.file_of(alias), _h(self.gen, "alias", it.path, rec.title),
                                lambda it=it: self.redirect(it.post, it.path)))
        self.cache.memo_changes[("p", src)] = _page_memo(it.sig, it.key, it.lastmod, psig,
                                                         tuple((o.path, o.key) for o in group))
        return group

    def page_outputs(self, src: str, e: _Entry, site_feeds: list[_Attrs]) -> tuple[str, list[Output]]:
        """A standalone page and its aliases, with its path."""
        assert e.rec is not None
        path = self.derived(src)[1]
        outputs = [Output(self.file_of(path), _h(self.gen, "page", e.sha),
                          lambda src=src, path=path: self.standalone_page(src, path, site_feeds))]
        for alias in e.rec.aliases:
            if self.file_of(alias) == outputs[0].path:
                continue  # the page itself, written another way: no redirect to itself
            outputs.append(Output(self.file_of(alias), _h(self.gen, "alias", path, e.rec.title),
                                  lambda src=src, path=path: self.redirect(self.post_of(src), path)))
        return path, outputs

    def list_outputs(self, base: str, named: str | None, lang: str, members: list[_Item] | _Members,
                     archives_on: bool, only: set[int] | None, outputs: list[Output],
                     kept: dict[str, str]) -> int:
        """A list's pages and feeds (with `only`, those holding a member at these
        places): each whose key the memo holds goes to `kept`, the others to
        `outputs`. Returns the number of feed documents planned."""
        if named is None:
            from . import render

            heading = render.language_name(lang)
        else:
            heading = named
        memo, changes = self.cache.memo, self.cache.memo_changes
        group = list(self.list_pages(base, heading, lang, members, only))
        fo = self.feed_outputs(base, heading, lang, members, archives_on, only)
        group += fo
        for o in group:  # in a list that changed, most pages often did not
            if memo.get(("k", o.path)) == o.key:
                kept[o.path] = o.key
            else:
                outputs.append(o)
                changes[("k", o.path)] = o.key
        return len(fo)

    def site_outputs(self, site_feeds: list[_Attrs], keys: list[str], page_urls: list[str] | tuple[str, ...],
                     lastmods: Callable[[], list[tuple[str, str]]]) -> list[Output]:
        """The files of the site as a whole; `keys` the posts' keys (they name
        their URL and updated time), `lastmods` their sitemap rows by path."""
        cfg = self.config
        outputs = [Output("404.html", _h(self.gen, "404"), lambda: self.page(
            "404.html", lang=cfg.site.lang, dir=None, description="",
            canonical=absolute("/404.html", cfg), feeds=site_feeds))]
        for static in ("style.css", "favicon.svg"):
            outputs.append(Output(static, _h(self.gen, static), lambda static=static: _static(self.env, static)))
        outputs.append(Output("robots.txt", _h(self.gen, "robots"), lambda: (
            f"User-agent: *\nAllow: /\nSitemap: {absolute('/sitemap.xml', cfg)}\n").encode()))
        redirects = self.root / "_redirects"  # old WordPress URLs, from `gulagpub import wordpress`
        if redirects.is_file() and not redirects.is_symlink():
            rules = redirects.read_bytes()
            outputs.append(Output("_redirects", _h(self.gen, "redirects", rules), lambda: rules))

        def sitemap() -> bytes:
            rows = lastmods()
            first = [_sitemap_row(absolute("/", cfg), max((r[0] for r in rows), default=None))]
            return _sitemap(first + [r[1] for r in rows] + [_sitemap_row(u, None) for u in page_urls])

        outputs.append(Output("sitemap.xml", _h(self.gen, "sitemap", _joined(keys), list(page_urls)), sitemap))
        return outputs

    def prepare(self) -> None:
        """Load here, once, what every writer renders with (the modules, the
        templates compiled, the site's header): the forked writers start with
        them instead of each loading them again."""
        from . import feeds, render  # noqa: F401 - imported for the writers

        for name in ("post.html", "list.html", "page.html", "_item.html", "_feeds.html"):
            self.template(name)
        _ = self.site_ctx

    def plan(self, visible: dict[str, _Entry], use_memo: bool) -> _Plan:
        """Every output file with its key. A group of outputs (a post's page and
        its aliases; a list with its feeds) whose inputs are those the plan
        memo remembers keeps the keys it had, uncomputed: its files are in the
        live site (`kept`, checked by write_site)."""
        from .ledger import load_ledger

        cfg = self.config
        now_iso = self.now.isoformat()
        now_when = _micros(self.now)
        ledger = load_ledger(self.root)
        self.tags = tags = assign_slugs({t for e in visible.values() for t in e.rec.tags})  # type: ignore[union-attr]
        self.cats = cats = assign_slugs({c for e in visible.values() for c in e.rec.categories})  # type: ignore[union-attr]
        self.langs = langs = sorted({e.rec.lang for e in visible.values() if e.rec and e.rec.kind != "page"})
        self.__dict__.pop("site_ctx", None)
        self.gen = _h(self.base_gen, langs)  # every page shows the languages' menu
        # What item keys hold besides their file.
        glob = _h(self.gen, sorted((t.name, t.slug) for t in tags.values()),
                  sorted((c.name, c.slug) for c in cats.values()))
        cache = self.cache
        if not use_memo or cache.memo.get(("glob",)) != glob:
            cache.replace_memo({("glob",): glob, ("set_problems",): cache.memo.get(("set_problems",))})
        memo = cache.memo
        changes = cache.memo_changes
        kept: dict[str, str] = {}
        outputs: list[Output] = []
        n_feeds = 0
        settings = self.settings
        changed = self.changed

        # A post's page group: ("p", src) -> _page_memo(sig, key, lastmod, page_sig, outputs).
        # A post whose memo matches keeps its page group in this first loop;
        # only the others go through the second.
        folders = tuple(sorted({src.rpartition("/")[0] for src, e in visible.items()
                                if e.rec.kind != "page"}))  # type: ignore[union-attr]
        archives = _comment_files(self.root, folders, self.others)
        # Language versions of each post, by the original's path (a post with none is left out).
        with_versions = {e.rec.original for e in visible.values() if e.rec.original}  # type: ignore[union-attr]
        family: dict[str, list[str]] = {}
        for src, e in visible.items():
            rec = e.rec
            if rec.kind != "page" and (rec.original or src in with_versions):  # type: ignore[union-attr]
                family.setdefault(rec.original or src, []).append(src)  # type: ignore[union-attr]
        ctx = _Context(visible, ledger, archives, family)

        memo_get, kept_update, changed_get = memo.get, kept.update, changed.get
        items: dict[str, _Item] = {}
        pending: list[tuple[_Item, tuple[Any, ...]]] = []  # items and page_sig, for the second loop
        lone = (None, (), None)  # the page_sig of most posts
        fresh: set[_Item] = set()  # items whose key was made anew (it may have changed)
        for src, e in visible.items():  # (the loop runs for every post: kept lean)
            rec = e.rec
            assert rec is not None
            if rec.kind == "page":
                continue
            d = e.derived
            if d is None or d[0] != settings:
                d = self.derived(src)
            published = rec.date or now_iso
            it = items[src] = _Item(self, src, e, d[1], rec.when if rec.date else now_when, published)
            hit = memo_get(("p", src))
            it.sig = sig = (e.sha, changed_get(src), published)
            if (rec.original or src in with_versions or (ledger and d[2] in ledger)
                    or (archives and src[:-3] + COMMENTS_SUFFIX in archives)):
                psig = self.page_sig(ctx, src, rec, d[2])
            else:
                psig = lone
            rest = _page_rest(hit) if hit is not None else None
            if rest is not None and rest[0] == sig:
                it.key, it.lastmod = hit[0], (hit[1], hit[2])
                if rest[1] == psig:
                    kept_update(rest[2])
                    continue
            else:
                fresh.add(it)
                it.refresh()
            pending.append((it, psig))
        self.say(f"{len(items)} post(s) and language version(s) to publish")

        site_feeds = self.feed_links("/", cfg.site.title)
        for it, psig in pending:
            src = it.src
            hit = memo_get(("p", src))
            if hit is not None and hit[0] == it.key and (hit[1], hit[2]) == it.lastmod:
                rest = _page_rest(hit)
                if rest[1] == psig:
                    kept_update(rest[2])
                    continue
            others = sorted([items[o] for o in family.get(it.rec.original or src, ()) if o != src],
                            key=lambda o: o.rec.lang)
            outputs.extend(self.post_group(it, psig, others, archives, site_feeds))
        page_urls = []
        for src, e in visible.items():
            if e.rec is not None and e.rec.kind == "page":
                path, made = self.page_outputs(src, e, site_feeds)
                page_urls.append(absolute(path, cfg))
                outputs.extend(made)

        # Lists and feeds: the site (originals), each language, tag, category.
        newest_first = sorted(items.values(), key=operator.attrgetter("when", "src"), reverse=True)
        # Every list's members, in one pass over the items.
        originals: list[_Item] = []
        by_lang: dict[str, list[_Item]] = {}
        by_term: dict[str, dict[str, list[_Item]]] = {"tags": {}, "categories": {}}
        by_tag, by_cat = by_term["tags"], by_term["categories"]
        for it in newest_first:
            rec = it.rec
            if rec.kind == "post":
                originals.append(it)
            by_lang.setdefault(rec.lang, []).append(it)
            for name in rec.tags:
                by_tag.setdefault(name, []).append(it)
            for name in rec.categories:
                by_cat.setdefault(name, []).append(it)
        # (base, heading (None: the language's name, looked up only if needed), language, members, archives)
        collections: list[tuple[str, str | None, str, list[_Item], bool]] = [
            ("/", "", cfg.site.lang, originals, True)]
        if len(langs) > 1:
            for l in langs:
                collections.append((_lang_base(l), None, l, by_lang.get(l, []), True))
        for kind, terms, attr in (("tag", tags, "tags"), ("category", cats, "categories")):
            members = by_term[attr]
            label = "Tag" if kind == "tag" else "Category"
            for name, term in sorted(terms.items(), key=lambda kv: kv[1].slug):
                collections.append((f"/{kind}/{term.quoted}/", f"{label}: {name}", cfg.site.lang,
                                    members.get(name, []), False))
        # A list's memo: ("l", base) -> (inputs, how many feeds), ("lp", base) -> its
        # output paths, and each output's key apart, ("k", path) -> key: after an edit
        # the journal gets the few keys that changed, not the thousand pages of a list.
        # ("ls", base) names its members in order: while they are the same, only the
        # pages and feed documents holding an item whose key may have changed (`fresh`)
        # are planned again, the others keep their keys.
        for base, named, lang, members, archives_on in collections:
            sig = (named, lang, archives_on, _joined(list(map(_key_of, members))))
            hit = memo.get(("l", base))
            if hit is not None and hit[0] == sig:
                known = [(path, memo.get(("k", path))) for path in memo.get(("lp", base), ())]
                if known and all(key is not None for _, key in known):
                    kept.update(known)  # type: ignore[arg-type]
                    n_feeds += hit[1]
                    continue
            order = _joined([i.src for i in members])
            if hit is not None and hit[0][:3] == sig[:3] and memo.get(("ls", base)) == order:
                known = [(path, memo.get(("k", path))) for path in memo.get(("lp", base), ())]
                if known and all(key is not None for _, key in known):
                    # The same paths: the outputs not planned again keep their keys.
                    kept.update(known)  # type: ignore[arg-type]
                    start = len(outputs)
                    self.list_outputs(base, named, lang, members, archives_on,
                                      {n for n, i in enumerate(members) if i in fresh}, outputs, kept)
                    for o in outputs[start:]:
                        kept.pop(o.path, None)
                    n_feeds += hit[1]
                    changes[("l", base)] = (sig, hit[1])
                    continue
            start = len(outputs)
            group: dict[str, str] = {}
            n = self.list_outputs(base, named, lang, members, archives_on, None, outputs, group)
            kept.update(group)
            n_feeds += n
            paths = tuple([*group, *(o.path for o in outputs[start:])])
            was = memo.get(("lp", base), ())
            if set(was) != set(paths):
                for gone in set(was) - set(paths):
                    changes[("k", gone)] = _GONE
                changes[("lp", base)] = paths
            changes[("l", base)] = (sig, n)
            changes[("ls", base)] = order
        bases = {c[0] for c in collections}
        for k, v in memo.items():  # groups gone since
            if (k[0] == "p" and k[1] not in items) or (k[0] in ("l", "lp", "ls") and k[1] not in bases):
                changes[k] = _GONE
                if k[0] == "lp":
                    for path in v:
                        changes[("k", path)] = _GONE
        for k, v in changes.items():
            if v is _GONE:
                memo.pop(k, None)
            else:
                memo[k] = v

        by_path = sorted(items.values(), key=lambda i: i.path)
        outputs += self.site_outputs(site_feeds, [i.key for i in items.values()], page_urls,
                                     lambda: [i.lastmod for i in by_path])
        # (Paths hold no NUL: counting in one joined string, not 17,000 calls.)
        n_pages = "\0".join([*kept, *(o.path for o in outputs), ""]).count(".html\0")
        plan = _Plan(outputs, kept, len(kept) + len(outputs), n_pages, n_feeds, len(items))
        shape = _Shape(
            _joined(list(visible)), langs, tags, cats, folders, archives, _ledger_sig(ledger), family,
            frozenset(src for src, it in items.items() if not it.rec.date), tuple(items),
            tuple(i.src for i in by_path),
            {base: (named, lang, tuple([i.src for i in members]), archives_on)
             for base, named, lang, members, archives_on in collections},
            tuple(page_urls), plan.count, plan.pages, plan.feeds, plan.posts)
        if memo.get(("shape",)) != shape:
            memo[("shape",)] = changes[("shape",)] = shape
        return plan

    def delta_plan(self, visible: dict[str, _Entry]) -> _Plan | None:
        """The plan when that of the last build holds for all but a few posts
        (their text, title, `updated:`, history or comments changed): only their
        page groups, and the list pages and feed documents holding them, are
        planned, in time proportional to them; every other file stays as the
        live site holds it (`_Plan.live`, checked by write_site). None when more
        changed (which posts are public, their dates, languages, tags,
        categories, slugs, ids; the settings, templates, ledger): then `plan`."""
        from .ledger import load_ledger

        cache = self.cache
        memo, changes = cache.memo, cache.memo_changes
        shape, live = memo.get(("shape",)), memo.get(("site",))
        if not isinstance(shape, _Shape) or not isinstance(live, str) or shape.visible != _joined(list(visible)):
            return None
        gen = _h(self.base_gen, shape.langs)
        if memo.get(("glob",)) != _h(gen, sorted((t.name, t.slug) for t in shape.tags.values()),
                                     sorted((c.name, c.slug) for c in shape.cats.values())):
            return None
        ledger = load_ledger(self.root)
        if _ledger_sig(ledger) != shape.ledger:
            return None
        # (A memo read up to a damaged journal may lack groups: then the whole plan.)
        if not all([("p", s) in memo for s in shape.order]) or not all([("l", b) in memo for b in shape.lists]):
            return None
        dirty = {p for p in cache.previous if p in visible}
        for p in dirty:
            old = cache.previous[p]
            if old is None or old.rec is None or _form(old.rec) != _form(visible[p].rec):  # type: ignore[arg-type]
                return None
        archives = _comment_files(self.root, shape.folders, self.others)
        dirty.update(name[:-len(COMMENTS_SUFFIX)] + ".md" for name, _ in archives.items() ^ shape.archives.items())
        dirty.update(self.history_changed)
        dirty.intersection_update(visible)
        dirty.update(shape.undated)
        for p in list(dirty):  # a post's page shows its language versions' titles
            rec = visible[p].rec
            dirty.update(shape.family.get(rec.original or p, ()))  # type: ignore[union-attr]
        self.gen, self.langs, self.tags, self.cats = gen, shape.langs, shape.tags, shape.cats
        self.__dict__.pop("site_ctx", None)
        ctx = _Context(visible, ledger, archives, shape.family)
        now_iso, now_when = self.now.isoformat(), _micros(self.now)
        items: dict[str, _Item] = {}

        def item(src: str) -> _Item:
            it = items.get(src)
            if it is None:  # a post that did not change: as the memo remembers it
                e = visible[src]
                rec = e.rec
                assert rec is not None
                it = items[src] = _Item(self, src, e, self.derived(src)[1], rec.when if rec.date else now_when,
                                        rec.date or now_iso)
                hit = memo[("p", src)]
                it.key, it.lastmod = hit[0], (hit[1], hit[2])
            return it

        site_feeds = self.feed_links("/", self.config.site.title)
        outputs: list[Output] = []
        fresh: dict[str, set[str]] = {}  # list base -> its posts whose key changed
        lone = (None, (), None)
        for src in sorted(dirty):
            e = visible[src]
            rec = e.rec
            assert rec is not None
            if rec.kind == "page":
                outputs += self.page_outputs(src, e, site_feeds)[1]
                continue
            it = item(src)
            it.sig = (e.sha, self.changed.get(src), it.published)
            d = self.derived(src)
            psig = (self.page_sig(ctx, src, rec, d[2])
                    if (rec.original or src in shape.family or d[2] in ledger
                        or src[:-3] + COMMENTS_SUFFIX in archives) else lone)
            hit = memo[("p", src)]
            rest = _page_rest(hit)
            if rest[0] != it.sig:
                it.refresh()
                if it.key != hit[0]:
                    for base in self.lists_of(rec):
                        fresh.setdefault(base, set()).add(src)
            if rest[1] == psig and hit[0] == it.key and (hit[1], hit[2]) == it.lastmod:
                continue
            others = sorted([item(o) for o in shape.family.get(rec.original or src, ()) if o != src],
                            key=lambda o: o.rec.lang)
            outputs += self.post_group(it, psig, others, archives, site_feeds)
        for base, (named, lang, srcs, archives_on) in shape.lists.items():
            if base not in fresh:
                continue
            hit = memo[("l", base)]
            only = {srcs.index(s) for s in fresh[base]}
            self.list_outputs(base, named, lang, _Members(srcs, item), archives_on, only, outputs, {})
            # The list's members are named no more (that takes all their keys): `plan`
            # then plans again what holds the posts whose key it makes anew.
            changes[("l", base)] = ((named, lang, archives_on, None), hit[1])
        for k, v in changes.items():
            memo[k] = v  # (nothing goes: the same files)
        outputs += self.site_outputs(site_feeds, [memo[("p", s)][0] for s in shape.order], shape.page_urls,
                                     lambda: [memo[("p", s)][1:3] for s in shape.by_path])
        return _Plan(outputs, {}, shape.count, shape.pages, shape.feeds, shape.posts, live=live)

    def lists_of(self, rec: _Rec) -> list[str]:
        """The bases of the lists a post is in."""
        bases = ["/"] if rec.kind == "post" else []
        if len(self.langs) > 1:
            bases.append(_lang_base(rec.lang))
        bases += [f"/tag/{self.tags[t].quoted}/" for t in rec.tags]
        bases += [f"/category/{self.cats[c].quoted}/" for c in rec.categories]
        return bases

    def standalone_page(self, src: str, path: str, site_feeds: list[_Attrs]) -> bytes:
        p = self.post_of(src)
        return self.page("page.html", lang=p.lang, dir=None, description=p.summary or "",
                         canonical=absolute(path, self.config), feeds=site_feeds,
                         post=_Attrs({"title": p.title, "lang": p.lang, "content_warning": p.content_warning,
                                      "html": Markup(self.body_html(p))}))

    # --- page makers --------------------------------------------------------
    def feed_links(self, base: str, title: str) -> list[_Attrs]:
        return [
            _Attrs({"type": "application/atom+xml", "title": f"{title} (Atom)", "href": self.href(base + "feed.atom")}),
            _Attrs({"type": "application/rss+xml", "title": f"{title} (RSS)", "href": self.href(base + "feed.rss")}),
            _Attrs({"type": "application/feed+json", "title": f"{title} (JSON Feed)", "href": self.href(base + "feed.json")}),
        ]

    def archived_comments(self, data: bytes) -> list[_Attrs]:
        """Comments kept from the old blog (posts/NAME.comments.yaml), as HTML."""
        if not data:  # (most posts: without importing YAML)
            return []
        from . import comments, render

        found = comments.parse_comments(data)
        names = {c.id: c.author for c in found}
        out = []
        for c in found:
            iso, human = self.when(c.date) if c.date else ("", "")
            out.append(_Attrs({"id": c.id, "author": c.author, "date_iso": iso, "date_human": human,
                               "parent": c.parent if c.parent in names else 0,
                               "parent_author": names.get(c.parent, ""), "type": c.type,
                               "html": Markup(render.markdown_to_html(c.text))}))
        return out

    def post_page(self, it: _Item, others: list[_Item], mastodon: str | None,
                  site_feeds: list[_Attrs], archived: bytes = b"") -> bytes:
        from . import render

        p = it.post
        iso, human = self.when(p.date) if p.date else ("", "")
        versions = [_Attrs({"lang": o.post.lang, "url": o.url}) for o in [it, *others]] if others else []
        ctx = _Attrs({
            "title": p.title, "lang": p.lang, "date": p.date is not None, "date_iso": iso,
            "date_human": human, "author": p.author, "state": p.state.value,
            "draft": p.state != State.PUBLISHED,
            "provenance": render.provenance(p), "content_warning": p.content_warning,
            "html": Markup(self.body_html(p)),
            "tags": [_Attrs({"name": t.name, "href": self.href(f"/tag/{t.quoted}/")}) for t in it.tags],
            "categories": [_Attrs({"name": c.name, "href": self.href(f"/category/{c.quoted}/")})
                           for c in it.categories],
            "others": [_Attrs({"lang": o.post.lang, "name": render.language_name(o.post.lang),
                               "title": o.post.title, "href": self.href(o.path)}) for o in others],
            "versions": versions, "mastodon": mastodon,
            "comments": self.archived_comments(archived),
        })
        return self.page("post.html", lang=p.lang, dir=_direction(p.lang), description=it.summary,
                         canonical=it.url, feeds=site_feeds, post=ctx)

    def redirect(self, post: Post, path: str) -> bytes:
        return self.template("redirect.html").render(
            lang=post.lang, title=post.title, target=self.href(path),
            canonical=absolute(path, self.config)).encode("utf-8")

    def list_pages(self, base: str, heading: str, lang: str, members: list[_Item] | _Members,
                   only: set[int] | None = None) -> Iterator[Output]:
        """The pages of a list; with `only`, just those holding a member at one of these places."""
        per = self.config.site.per_page
        pages = max(1, (len(members) + per - 1) // per)
        wanted = {i // per + 1 for i in only} if only is not None else None
        feeds_here = self.feed_links(base, heading or self.config.site.title)
        if base != "/":
            feeds_here += self.feed_links("/", self.config.site.title)
        for n in range(1, pages + 1):
            if wanted is not None and n not in wanted:
                continue
            chunk = [members[i] for i in range((n - 1) * per, min(n * per, len(members)))]
            path = base if n == 1 else f"{base}page/{n}/"
            newer = None if n == 1 else (base if n == 2 else f"{base}page/{n - 1}/")
            older = f"{base}page/{n + 1}/" if n < pages else None
            # An item's key names its path, title, date and summary.
            key = _joined([self.gen, "list", base, heading, lang, str(n), str(pages), *map(_key_of, chunk)])

            def make(chunk: list[_Item] = chunk, path: str = path, n: int = n,
                     newer: str | None = newer, older: str | None = older) -> bytes:
                # `rows`, each item's entry rendered once (`_item.html`); `items` for a
                # list.html of the site's own that lays them out itself.
                rows = [self.row(i) for i in chunk]
                return self.page("list.html", lang=lang, dir=_direction(lang),
                                 description=self.config.site.description,
                                 canonical=absolute(path, self.config), feeds=feeds_here,
                                 heading=heading, items=_Items(chunk, self), rows=Markup("".join(rows)),
                                 pager=_Attrs({"number": n, "pages": pages,
                                               "newer": self.href(newer) if newer else None,
                                               "older": self.href(older) if older else None}))

            yield Output(self.file_of(path), key, make)

    def rendered_entry(self, it: _Item) -> feeds.Rendered:
        """The entry of `it`, serialized once per build for all the feeds it is in."""
        done = self.entries.get(it.path)
        if done is None and self.cache_entries:
            # After an edit, the post's neighbours in its feeds are as they were
            # serialized by an earlier build.
            done = self.cache.get_entries([self.entry_key(it)]).get(self.entry_key(it))
        if done is None:
            from . import feeds

            done = feeds.serialize(self.entry(it), it.path in self.in_json_feed)
            if self.cache_entries:
                self.cache.put_entry(self.entry_key(it), done)
        self.entries[it.path] = done
        return done

    def order_feeds(self, outputs: list[Output]) -> None:
        """The feed documents to make, newest first (the others keep their place),
        and how many of them hold each entry: the writer making them keeps an
        entry serialized only until the last of its documents is made. In that
        order an entry's documents (the site's, its language's, its terms')
        come close together: at 10,000 posts the entries took 174 MB kept
        to the end."""
        docs = self.feed_docs
        outputs.sort(key=lambda o: -docs[o.path][0].when if o.path in docs and docs[o.path] else 1)
        uses = self.uses
        for o in outputs:
            for it in docs.get(o.path, ()):
                uses[it.path] = uses.get(it.path, 0) + 1

    def used(self, chosen: list[_Item]) -> None:
        """A document holding `chosen` was made: entries no other document needs are let go."""
        uses, entries = self.uses, self.entries
        for it in chosen:
            left = uses.get(it.path, 0) - 1
            uses[it.path] = left
            if left == 0:
                entries.pop(it.path, None)

    def entry_key(self, it: _Item) -> str:
        """Names a serialized entry: the item's key names its content, the JSON item is there or not."""
        return _joined([self.gen, it.key, "json" if it.path in self.in_json_feed else ""])

    def entry(self, it: _Item) -> feeds.Entry:
        from . import feeds, render

        cfg = self.config
        p = it.post
        prov = render.provenance(p)
        html = render.absolutize(self.body_html(p), it.url)
        if p.content_warning:
            html = (f"<p><strong>Content warning:</strong> {_esc(p.content_warning)}</p>\n" + html)
        if prov:
            html += "\n<p><em>" + _esc(" ".join(prov)) + "</em></p>"
        src = p.source
        source_text = None
        if src and (src.publication or src.via or src.title):
            source_text = ", ".join(x for x in (src.title, src.publication, src.via) if x)
        return feeds.Entry(
            id=entry_id(p, cfg), title=render.strip_forbidden(p.title), url=it.url,
            published=p.date or self.now, updated=it.updated,
            author=render.strip_forbidden(p.author or cfg.site.title), lang=p.lang,
            summary=it.summary, content_html=render.strip_forbidden(html),
            contributors=tuple(render.strip_forbidden(t) for t in p.translators),
            categories=tuple((render.strip_forbidden(t.name), absolute("/tag/", cfg)) for t in it.tags)
            + tuple((render.strip_forbidden(c.name), absolute("/category/", cfg)) for c in it.categories),
            via=src.url if src else None, source=render.strip_forbidden(source_text) if source_text else None,
            rights=render.strip_forbidden(src.rights) if src and src.rights else None,
        )

    def feed_outputs(self, base: str, heading: str, lang: str, members: list[_Item] | _Members,
                     archives: bool, only: set[int] | None = None) -> list[Output]:
        """The feed documents of a list; with `only`, just those holding a member at one of these places."""
        from . import feeds

        cfg = self.config
        title = f"{cfg.site.title} – {heading}" if heading else cfg.site.title
        info = feeds.FeedInfo(title=title, subtitle=cfg.site.description or title,
                              home=absolute(base, cfg), base=absolute(base, cfg), lang=lang,
                              author=cfg.site.title, archives=archives)
        # The documents as places in `members` (newest first), then made of the members they hold.
        docs = feeds.plan(range(len(members) - 1, -1, -1), cfg.feeds.entries, archives)
        out: list[Output] = []
        fallback = datetime(1970, 1, 1, tzinfo=timezone.utc)
        info_text = str(info)  # (once, not per document)
        for doc in docs:
            json_here = doc.number == 0 and cfg.feeds.json_feed
            if only is not None and only.isdisjoint(doc.entries) and not json_here:
                continue
            chosen = [members[i] for i in doc.entries]
            if json_here:
                self.in_json_feed.update(i.path for i in chosen)
                if only is not None and only.isdisjoint(doc.entries):
                    continue
            key = _h(self.gen, "feed", info_text, doc.number, doc.pages, [i.key + i.path for i in chosen])

            def real(chosen: list[_Item] = chosen, doc: feeds.Document[int] = doc) -> feeds.Document[feeds.Rendered]:
                made = feeds.Document(doc.number, tuple(self.rendered_entry(i) for i in chosen), doc.pages)
                self.used(chosen)
                return made

            self.feed_docs[self.file_of(base + doc.name("atom"))] = chosen
            if doc.number == 0:
                self.feed_docs[self.file_of(base + "feed.rss")] = chosen
                self.feed_docs[self.file_of(base + "feed.json")] = chosen

            # A writer serializes each entry it needs once: every feed document goes
            # to the same writer (one group), so no entry is serialized by two (with
            # groups by stretch of time, 1,000 posts made 1,835 entries). The feeds
            # are under a third of the work; the other writers make the pages meanwhile.
            group = _FEEDS
            out.append(Output(self.file_of(base + doc.name("atom")), key + "a",
                              lambda real=real: feeds.atom(info, real(), fallback), group))
            if doc.number == 0:
                out.append(Output(self.file_of(base + "feed.rss"), key + "r",
                                  lambda real=real: feeds.rss(info, real(), fallback), group))
                if cfg.feeds.json_feed:
                    out.append(Output(self.file_of(base + "feed.json"), key + "j",
                                      lambda real=real: feeds.json_feed(info, real()), group))
        return out


class _Attrs:
    """A template's context values, which templates read as attributes
    (`post.title`) or as keys (`post['title']`). They are the instance's
    attributes, so that Jinja's attribute lookup (tried first) is answered by
    Python's own, with no call into Python code: on a plain dict the failed
    attribute lookup was a twentieth of a full build, and a `__getattr__`
    reading the dict about as much again (profiled)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__


def _lang_base(lang: str) -> str:
    """The base of a language's list."""
    return f"/{quote(lang.lower())}/"


class _Items(Sequence[_Attrs]):
    """A list page's items as template values, made only if the template reads them
    (the packaged list.html shows the rendered `rows` instead)."""

    def __init__(self, chunk: list[_Item], builder: _Builder) -> None:
        self.chunk, self.builder = chunk, builder

    def __len__(self) -> int:
        return len(self.chunk)

    def __getitem__(self, n: Any) -> Any:
        if isinstance(n, slice):
            return [self.builder.item_ctx(i) for i in self.chunk[n]]
        return self.builder.item_ctx(self.chunk[n])


def _comment_files(root: Path, folders: tuple[str, ...], others: list[str]) -> dict[str, tuple[int, int, int]]:
    """The comments files (plain files, not links) in these content folders, with
    their stat: found in the listing the build made of the content folders
    (`others`: its files that are not content files), a stat only for them.
    (Listing a folder of 10,000 posts again was a fiftieth of a one-edit build.)"""
    found: dict[str, tuple[int, int, int]] = {}
    wanted = set(folders)
    for path in others:
        if not path.endswith(COMMENTS_SUFFIX) or path.rpartition("/")[0] not in wanted:
            continue
        try:
            st = os.lstat(root / path)
        except OSError:
            continue
        if stat_mod.S_ISREG(st.st_mode):
            found[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def _esc(text: str) -> str:
    return str(Markup.escape(text))


_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"}


def _direction(lang: str) -> str | None:
    return "rtl" if lang.split("-")[0].lower() in _RTL else None


def _lastmod(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sitemap_row(url: str, lastmod: str | None) -> str:
    """One <url> of sitemap.xml (kept in the plan memo: 10,000 of them are joined, not made, after an edit)."""
    # xml.sax.saxutils.escape, without importing urllib.request
    loc = url.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    return f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"


def _sitemap(rows: list[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', *rows, "</urlset>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def build(root: Path, out: Path, *, now: datetime, drafts: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Build the site of the content repository at `root` into `out`, atomically.

    Raises BuildError (listing every `path:line: problem`) when a published or
    due post has problems; `out` is then left as it was."""
    # The cyclic garbage collector is off during a build: it makes few cycles,
    # and the collector walking the ever larger heap of posts, pages and feed
    # entries was a quarter of the CPU of a rebuild at 10,000 posts (measured).
    was_enabled = gc.isenabled()
    gc.disable()
    builder = _Builder(root, out, now, drafts, progress)
    try:
        return builder.run()
    finally:
        # Items, closures and the builder refer to each other: without these
        # cycles, reference counting frees the build's objects at once, instead
        # of the collector walking them all when it is on again (a sixth of a
        # one-edit build at 10,000 posts, measured).
        builder.__dict__.clear()
        if was_enabled:
            gc.enable()
