"""Reading a content repository's working tree: settings and every post.

Edge module (reads files). Problems in one file never stop the others.
"""

from __future__ import annotations

import gc
import os
import pickle
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, Config, parse_config
from .errors import ConfigError, Problem
from .model import Kind, Post, slug_from_name

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

    def of_kind(self, kind: Kind) -> list[Post]:
        return [p for p in self.posts if p.kind == kind]

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
    from .postfile import kind_of  # here: reading settings alone does not import the YAML parser

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
    paths = []
    for top in CONTENT_DIRS:
        for folder, dirs, names in os.walk(root / top):
            dirs.sort()
            rel = Path(folder).relative_to(root).as_posix()
            paths += [f"{rel}/{n}" for n in names if n.endswith(".md")]
    return sorted(paths)


def parse_many(files: dict[str, bytes], config: Config) -> tuple[list[Post], list[Problem]]:
    """Parse every (path, bytes) pair and check what only the set can tell:
    duplicate slugs, translations without an original."""
    from .postfile import parse_post

    posts: list[Post] = []
    problems: list[Problem] = []
    tz = config.site.tz
    for path in sorted(files):
        post, probs = parse_post(path, files[path], default_lang=config.site.lang, tz=tz)
        problems.extend(probs)
        if post is not None:
            posts.append(post)
    return posts, problems + set_problems(posts, set(files))


def set_problems(posts: list[Post], paths: set[str]) -> list[Problem]:
    """What only the whole set of files can tell: duplicate slugs,
    language versions without their post."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Post] = {}
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
_CACHE_NAME = "gulagpub-parse-cache.pickle"
_CACHE_VERSION = 1


def _code_stamp() -> tuple[tuple[int, int], ...]:
    """The parsing code's own files: a cache made by other code is not used."""
    here = Path(__file__).parent
    stats = [(here / f"{name}.py").stat() for name in ("model", "postfile", "content", "errors")]
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


def _read_cache(path: Path | None, key: tuple[object, ...]) -> dict[str, Any]:
    if path is None:
        return {}
    collecting = gc.isenabled()
    gc.disable()  # loading many small objects: the cycle collector only slows it down
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
        # The cycle collector would otherwise walk these objects (about a
        # hundred per post, none in a cycle) several times over as they age
        # through its generations; frozen, it leaves them alone. Freed
        # by reference counting as any other object when no longer used.
        gc.freeze()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return {}
    finally:
        if collecting:
            gc.enable()
    if not isinstance(data, dict) or data.get("key") != key:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_cache(path: Path | None, key: tuple[object, ...], files: dict[str, Any]) -> None:
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pickle.dump({"key": key, "files": files}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache that cannot be written is only slower


def load(root: Path) -> Content:
    """Read gulagpub.toml and every content file of the working tree."""
    from .postfile import kind_of, parse_post

    config = load_config(root)
    problems: list[Problem] = []
    key = (_CACHE_VERSION, config.site.lang, config.site.timezone, _code_stamp())
    cache_file = _cache_path(root)
    cached = _read_cache(cache_file, key)
    fresh: dict[str, Any] = {}
    # A file changed within the last seconds may change again within the
    # same timestamp tick: such "racy" entries are not kept (as git does).
    racy_after = time.time_ns() - 2_000_000_000
    posts: list[Post] = []
    paths: set[str] = set()
    root_dir = str(root)
    for path in content_paths(root):
        if kind_of(path) is None:
            problems.append(Problem(
                path, 0,
                "not where content lives: use posts/NAME.md, translations/LANG/NAME.md or pages/NAME.md",
            ))
            continue
        full = os.path.join(root_dir, path)  # str, not Path: 10,000 of them add up
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            problems.append(Problem(path, 0, "is a symbolic link; content files must be plain files"))
            continue
        paths.add(path)
        stamp = (st.st_mtime_ns, st.st_size)
        hit = cached.get(path)
        if hit is not None and hit[0] == stamp:
            post, probs = hit[1], hit[2]
        else:
            with open(full, "rb") as f:
                data = f.read()
            post, probs = parse_post(path, data, default_lang=config.site.lang, tz=config.site.tz)
            if post is not None and (post.reviews or post.kind == Kind.POST):
                _ = post.digest  # computed now, so that the parse cache keeps it
        fresh[path] = (stamp if st.st_mtime_ns < racy_after else None, post, probs)
        problems.extend(probs)
        if post is not None:
            posts.append(post)
    if fresh.keys() != cached.keys() or any(fresh[p][0] != cached[p][0] for p in fresh):
        _write_cache(cache_file, key, fresh)
    problems += set_problems(posts, paths)
    return Content(root=root, config=config, posts=posts, problems=sorted(problems))
