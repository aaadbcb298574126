"""Reading a content repository's working tree: settings and every post.

Edge module (reads files). Problems in one file never stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import media
from .config import CONFIG_FILE, Config, parse_config
from .errors import ConfigError, Problem
from .model import Kind, Post, kind_of, name_of, slug_from_name
from .parallel import collector_paused
from .reading import (CONTENT_DIRS, LINK_PROBLEM, Identity, Listing, ParseCache, content_listing, posts, read,
                      set_problems)

__all__ = ["CONTENT_DIRS", "LINK_PROBLEM", "Content", "Identity", "Listing", "content_listing", "content_paths",
           "find_root", "load", "load_config", "locate", "set_problems"]


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
    if (root / "posts" / name / "index.md").is_file():
        return f"posts/{name}/index.md"
    for path in content_paths(root):
        stem = name_of(path)
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
    return content_listing(root).paths


def load(root: Path) -> Content:
    """Read gulagpub.toml and every content file of the working tree (through
    the one parse cache, reading.py)."""
    config = load_config(root)
    with collector_paused():
        cache = ParseCache(root, config)
        found = read(root, config, cache, render=False)
        by_path = posts(root, config, found, found.paths)
        problems = found.problems + cache.whole_set_problems(found)
        cache.save()
    problems += media.problems(root, by_path.values(), config)
    return Content(root=root, config=config, posts=[by_path[p] for p in sorted(by_path)],
                   problems=sorted(problems))
