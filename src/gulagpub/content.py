"""Reading a content repository's working tree: settings and every post.

Edge module (reads files). Problems in one file never stop the others.
"""

from __future__ import annotations

import gc
import os
import pickle
import stat
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from .config import CONFIG_FILE, Config, LimitSettings, parse_config
from .errors import ConfigError, Problem
from .model import Kind, Post, kind_of, slug_from_name
from .parallel import PARALLEL_FROM, map_all

CONTENT_DIRS = ("posts", "translations", "pages")


@dataclass
class Content:
    """Everything in a content repository's working tree."""

    root: Path
    config: Config
    posts: list[Post] = field(default_factory=list)  # every file that parsed, sorted by path
    problems: list[Problem] = field(default_factory=list)

    def by_path(self) -> dict[str, Post]:
        return {p.path: p for p in self.posts}

    def find(self, ref: str) -> Post | None:
        """A post by path, file name, or slug (posts first, then pages)."""
        ref = ref.strip().removeprefix("./")
        for p in self.posts:
            if p.path == ref:
                return p
        for kind in (Kind.POST, Kind.PAGE, Kind.TRANSLATION):
            for p in self.posts:
                if p.kind == kind and (p.name == ref or p.slug == ref or p.name == ref.removesuffix(".md")):
                    return p
        return None


def locate(root: Path, ref: str) -> str | None:
    """The path of a content file named by path, file name or slug, found
    from file names alone (no parsing; a `slug:` field is not seen)."""
    ref = ref.strip().removeprefix("./")
    if kind_of(ref) is not None and (root / ref).is_file():
        return ref
    name = ref.removesuffix(".md")
    for top in ("posts", "pages"):
        if (root / top / f"{name}.md").is_file():
            return f"{top}/{name}.md"
    for path in content_paths(root):
        stem = path.rsplit("/", 1)[-1][:-3]
        if path.startswith(("posts/", "pages/")) and slug_from_name(stem) == name:
            return path
    return None


def find_root(start: Path) -> Path:
    """The content root: `start` or the nearest parent holding gulagpub.toml."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / CONFIG_FILE).is_file():
            return d
    raise ConfigError(
        f"no {CONFIG_FILE} in {start} or any parent folder; run this inside a content "
        "repository, name one with -C PATH, or create one with `gulagpub init DIR`"
    )


def load_config(root: Path) -> Config:
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not found; create it with `gulagpub init`") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8; save it as UTF-8") from exc
    return parse_config(text, CONFIG_FILE)


def content_paths(root: Path) -> list[str]:
    """Every content file below root, as sorted repository-relative paths."""
    return content_listing(root)[0]


def content_listing(root: Path) -> tuple[list[str], list[str]]:
    """The content files below root and the other files beside them (not
    folders), each as sorted repository-relative paths: one listing of the
    content folders for both."""
    paths: list[str] = []
    others: list[str] = []
    for top in CONTENT_DIRS:
        for folder, dirs, names in os.walk(root / top):
            dirs.sort()
            rel = Path(folder).relative_to(root).as_posix() + "/"
            for n in names:
                (paths if n.endswith(".md") else others).append(rel + n)
    return sorted(paths), sorted(others)


def set_problems(posts: list[Post], paths: set[str]) -> list[Problem]:
    """What only the whole set of files can tell: duplicate slugs and ids,
    language versions without their post."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Post] = {}
    ids: dict[str, Post] = {}
    originals = {p.path for p in posts if p.kind == Kind.POST} | {
        p for p in paths if p.startswith("posts/")
    }
    for p in posts:
        key = (f"tr-{p.lang}", p.slug) if p.kind == Kind.TRANSLATION else ("post-or-page", p.slug)
        other = seen.get(key)
        if other is not None:
            problems.append(Problem(
                p.path, p.line_of("slug"),
                f"slug '{p.slug}' is also used by {other.path}; rename one of the files "
                "(or set a different 'slug:')",
            ))
        else:
            seen[key] = p
        if p.id:
            first = ids.setdefault(p.id, p)
            if first is not p:
                # Feed readers keep one entry per id: the other is dropped, or
                # shown as an edit of the first (a copied front matter does this).
                problems.append(Problem(
                    p.path, p.line_of("id"),
                    f"id '{p.id}' is also the id of {first.path}: feed readers would show only one "
                    f"of the two; keep it on the file it belongs to and delete the 'id:' line of "
                    "the other (which then gets an id made from its path)",
                ))
        if p.kind == Kind.TRANSLATION and p.original not in originals:
            problems.append(Problem(
                p.path, 0,
                f"no {p.original} to be a translation of; a language version must have the "
                "same file name as its post in posts/",
            ))
    return problems


# Parsed files are kept between runs in the repository's .git folder (never
# in the working tree, where a pull request could plant a file), keyed by
# path, size and modification time, and by the settings parsing depends on.
# Files are spread over buckets by a hash of their path, each bucket pickled
# on its own: a run that parses one changed file pickles one bucket again
# and copies the others' bytes, and a cold run writes the buckets its worker
# processes pickled to send their results anyway.
_CACHE_NAME = "gulagpub-parse-cache.pickle"
_CACHE_VERSION = 3
_BUCKETS = 64

Entry = tuple[tuple[int, int] | None, Post | None, list[Problem]]  # stamp (None: racy), post, problems


def _bucket(path: str) -> int:
    return zlib.crc32(path.encode("utf-8")) % _BUCKETS


def _code_stamp() -> tuple[tuple[int, int], ...]:
    """The parsing code's own files: a cache made by other code is not used."""
    here = Path(__file__).parent
    stats = [(here / f"{name}.py").stat() for name in ("model", "postfile", "yamlsubset", "content", "errors")]
    return tuple((st.st_mtime_ns, st.st_size) for st in stats)


def _cache_path(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git / _CACHE_NAME
    if dot_git.is_file():  # a worktree: ".git" says where its git folder is
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            git_dir = (root / text[7:].strip()).resolve()
            if git_dir.is_dir():
                return git_dir / _CACHE_NAME
    return None


def _read_cache(path: Path | None, key: tuple[object, ...]) -> dict[int, tuple[bytes, dict[str, Entry]]]:
    """Each bucket's bytes, and its entries by path."""
    if path is None:
        return {}
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
        if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("buckets"), dict):
            return {}
        return {b: (raw, pickle.loads(raw)) for b, raw in data["buckets"].items()}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return {}


@contextmanager
def _many_objects() -> Iterator[None]:
    """Making many small objects to keep (about a hundred per post, none in
    a cycle): the cycle collector would walk them several times over as they
    age through its generations, for nothing. Off while they are made (in
    worker processes too: they are forked with it off), then the objects
    are frozen, out of its way; freed by reference counting as any other."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def _write_cache(path: Path | None, key: tuple[object, ...], buckets: dict[int, bytes]) -> None:
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pickle.dump({"key": key, "buckets": buckets}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache that cannot be written is only slower


_Job = tuple[list[tuple[str, str, tuple[int, int] | None]], str, "tzinfo | None", LimitSettings]


def _parse_files(job: _Job) -> dict[str, Entry]:
    """Read and parse the files of one bucket: (path, full path, stamp) each."""
    from .postfile import parse_post

    files, lang, tz, limits = job
    entries: dict[str, Entry] = {}
    for path, full, stamp in files:
        with open(full, "rb") as f:
            data = f.read()
        post, problems = parse_post(path, data, default_lang=lang, tz=tz, limits=limits)
        if post is not None and (post.reviews or post.kind == Kind.POST):
            _ = post.digest  # computed now, so that the parse cache keeps it
        entries[path] = (stamp, post, problems)
    return entries


def _parse_files_pickled(job: _Job) -> bytes:
    """The same, pickled: what a worker process sends back, and the cache keeps."""
    return pickle.dumps(_parse_files(job), protocol=pickle.HIGHEST_PROTOCOL)


def load(root: Path) -> Content:
    """Read gulagpub.toml and every content file of the working tree."""
    config = load_config(root)
    with _many_objects():
        return _load(root, config)


def _load(root: Path, config: Config) -> Content:
    problems: list[Problem] = []
    key = (_CACHE_VERSION, config.site.lang, config.site.timezone, config.limits, _code_stamp())
    cache_file = _cache_path(root)
    cached = _read_cache(cache_file, key)
    # A file changed within the last seconds may change again within the
    # same timestamp tick: such "racy" entries are not kept (as git does).
    racy_after = time.time_ns() - 2_000_000_000
    paths: list[str] = []
    fresh: dict[int, dict[str, Entry]] = {}  # by bucket: what this run found
    todo: dict[int, list[tuple[str, str, tuple[int, int] | None]]] = {}
    base = str(root) + os.sep
    for path in content_paths(root):
        if kind_of(path) is None:
            problems.append(Problem(
                path, 0,
                "not where content lives: use posts/NAME.md, translations/LANG/NAME.md or pages/NAME.md",
            ))
            continue
        full = base + path  # str, not Path: 10,000 of them add up
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            problems.append(Problem(path, 0, "is a symbolic link; content files must be plain files"))
            continue
        paths.append(path)
        stamp = (st.st_mtime_ns, st.st_size)
        b = _bucket(path)
        hit = cached[b][1].get(path) if b in cached else None
        if hit is not None and hit[0] == stamp:
            fresh.setdefault(b, {})[path] = hit
        else:
            todo.setdefault(b, []).append((path, full, stamp if st.st_mtime_ns < racy_after else None))
    lang, tz = config.site.lang, config.site.tz
    jobs = [(files, lang, tz, config.limits) for files in todo.values()]
    raw: dict[int, bytes] = {}
    if sum(len(files) for files in todo.values()) >= PARALLEL_FROM:
        # A fresh clone parses every file: on every core.
        for b, data in zip(todo, map_all(_parse_files_pickled, jobs, at_least=2, chunksize=1)):
            if b not in fresh:
                raw[b] = data  # the bucket is all new: its bytes go to the cache as they are
            fresh.setdefault(b, {}).update(pickle.loads(data))
    else:
        for b, job in zip(todo, jobs):
            fresh.setdefault(b, {}).update(_parse_files(job))
    changed = False
    buckets: dict[int, bytes] = {}
    for b, entries in fresh.items():
        if b in cached and b not in todo and cached[b][1].keys() == entries.keys():
            buckets[b] = cached[b][0]
        else:
            changed = True
            buckets[b] = raw.get(b) or pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
    if changed or buckets.keys() != cached.keys():
        _write_cache(cache_file, key, buckets)
    posts: list[Post] = []
    for path in paths:
        _, post, probs = fresh[_bucket(path)][path]
        problems.extend(probs)
        if post is not None:
            posts.append(post)
    problems += set_problems(posts, set(paths))
    return Content(root=root, config=config, posts=posts, problems=sorted(problems))
