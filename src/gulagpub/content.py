"""Reading a content repository's working tree: settings and every post.

Edge module (reads files). Problems in one file never stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import CONFIG_FILE, Config, parse_config
from .errors import ConfigError, Problem
from .model import Kind, Post
from .postfile import kind_of, parse_post

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
        base = root / top
        if not base.is_dir():
            continue
        for f in base.rglob("*.md"):
            paths.append(f.relative_to(root).as_posix())
    return sorted(paths)


def parse_many(files: dict[str, bytes], config: Config) -> tuple[list[Post], list[Problem]]:
    """Parse every (path, bytes) pair and check what only the set can tell:
    duplicate slugs, translations without an original."""
    posts: list[Post] = []
    problems: list[Problem] = []
    tz = config.site.tz
    for path in sorted(files):
        post, probs = parse_post(path, files[path], default_lang=config.site.lang, tz=tz)
        problems.extend(probs)
        if post is not None:
            posts.append(post)
    return posts, problems + check_set(posts, list(files))


def check_set(posts: list[Post], paths: list[str]) -> list[Problem]:
    """Problems only the whole set of files shows: duplicate slugs, language
    versions without an original. `paths`: every content file, parsed or not."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Post] = {}
    originals = {p.path for p in posts if p.kind == Kind.POST} | {
        p for p in paths if p.startswith("posts/")
    }
    for p in posts:
        key = (p.kind.value if p.kind != Kind.TRANSLATION else f"tr-{p.lang}", p.slug)
        if p.kind == Kind.PAGE:
            key = ("post-or-page", p.slug)
        elif p.kind == Kind.POST:
            key = ("post-or-page", p.slug)
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


def load(root: Path) -> Content:
    """Read gulagpub.toml and every content file of the working tree."""
    config = load_config(root)
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for path in content_paths(root):
        if kind_of(path) is None:
            problems.append(Problem(
                path, 0,
                "not where content lives: use posts/NAME.md, translations/LANG/NAME.md or pages/NAME.md",
            ))
            continue
        full = root / path
        if full.is_symlink():
            problems.append(Problem(path, 0, "is a symbolic link; content files must be plain files"))
            continue
        files[path] = full.read_bytes()
    posts, probs = parse_many(files, config)
    return Content(root=root, config=config, posts=posts, problems=sorted(problems + probs))
