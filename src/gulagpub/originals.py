"""The texts translations are made from, stored beside them:
`originals/LANG/NAME.md`. Edge module (reads those files).

An original is Markdown with a little front matter of its own provenance
(`title`, `lang`, and a `source:` mapping as a post's: author, publication,
via, url, date, rights), so that an editor can compare it with the
translation (the parallel view, `gulagpub preview`) and `gulagpub check` can
say when it changed after the translation was approved (an approval records
the original's digest, `reviews[].original`).

A post finds its original by its `original:` field, or else by its name:
posts/NAME.md translated from Spanish reads originals/es/NAME.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .errors import Problem
from .media import bundle_folder, reference_problems, references_in
from .model import ORIGINALS, Post, Source, State, Verdict, content_digest, is_valid_lang, original_file
from .postfile import SOURCE_KEYS, read_front, split

FOLDER = ORIGINALS
_KEYS = ("title", "lang", "source")


@dataclass(frozen=True)
class OriginalText:
    """One stored original: where it is, its language, provenance and text."""

    path: str
    lang: str
    title: str | None
    source: Source | None
    body: str
    digest: str  # content_digest of its fields and text: what an approval records


path_for = original_file  # (the rule is the model's: records carry it for the build)


def parse(path: str, data: bytes) -> tuple[OriginalText | None, list[Problem]]:
    """An original's file, read and checked."""
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(path, 0, "not valid UTF-8; save the file as UTF-8")]
    fm, body = split(text.replace("\r\n", "\n"))
    meta, lines = read_front(fm) if fm is not None else ({}, {})
    for key in meta:
        if key not in _KEYS:
            problems.append(Problem(path, lines.get(str(key), 1), f"unknown field '{key}' in an original; "
                                                                   f"known: {', '.join(_KEYS)}"))
    folder_lang = path.split("/")[1] if path.count("/") >= 2 else ""
    lang = str(meta.get("lang") or folder_lang)
    if not is_valid_lang(lang):
        problems.append(Problem(path, lines.get("lang", 1), f"'lang' {lang!r} is not a language tag like 'es'"))
    raw = meta.get("source")
    source = None
    if isinstance(raw, dict):
        unknown = [k for k in raw if k not in SOURCE_KEYS]
        if unknown:
            problems.append(Problem(path, lines.get("source", 1), f"unknown field 'source.{unknown[0]}'; "
                                                                  f"known: {', '.join(SOURCE_KEYS)}"))
        texts: dict[str, Any] = {k: str(raw[k]) for k in SOURCE_KEYS if raw.get(k) is not None}
        source = Source(**texts)  # (the text fields only: an original has no scans of its own)
    elif raw is not None:
        problems.append(Problem(path, lines.get("source", 1), "'source' must be a mapping: publication, "
                                                              "date, url, author..."))
    title = str(meta["title"]) if meta.get("title") is not None else None
    body = body.lstrip("\n")
    return OriginalText(path, lang, title, source, body, content_digest(meta, body)), problems


def named_files(post_path: str, original: OriginalText) -> tuple[str, ...]:
    """The repository files an original's text names (its images, by paths
    relative to its post's bundle, or in /media/): published with the post
    whose original it is, and shown in its parallel view."""
    if "](" not in original.body and "]:" not in original.body:
        return ()
    refs = references_in(bundle_folder(post_path), original.body, original.body)
    return tuple(sorted({ref.path for ref in refs if ref.path}))


def files_of(root: Path, post_path: str, path: str) -> tuple[str, ...]:
    """named_files of the original stored at `path`, read from the disk (none when it cannot be read)."""
    try:
        found, _ = parse(path, (root / path).read_bytes())
    except OSError:
        return ()
    return named_files(post_path, found) if found is not None else ()


def read(root: Path, post: Post) -> OriginalText | None:
    """`post`'s stored original, or None (none stored, or it cannot be read)."""
    path = path_for(post)
    if path is None:
        return None
    file = root / path
    if file.is_symlink() or not file.is_file():
        return None
    try:
        found, _ = parse(path, file.read_bytes())
    except OSError:
        return None
    return found


def problems(root: Path, posts: list[Post], config: Config) -> list[Problem]:
    """Originals that cannot be read, that name a file that would not publish
    (media.reference_problems), or that changed after the translation was
    approved (the latest approval recorded another digest of the original)."""
    out: list[Problem] = []
    judged: set[str] = set()  # (an original two files name is reported once)
    for post in posts:
        path = path_for(post)
        if path is None:
            continue
        file = root / path
        if not file.exists() and not file.is_symlink():
            if post.original_text:
                out.append(Problem(post.path, post.line_of("original"), f"'original' names {path}, which does "
                                                                        "not exist; add the file or remove the field"))
            continue
        if file.is_symlink() or not file.is_file():
            out.append(Problem(path, 0, "is not a plain file; store the original text itself"))
            continue
        data = file.read_bytes()
        found, bad = parse(path, data)
        out += bad
        if found is not None and path not in judged:
            judged.add(path)
            out += reference_problems(root, path, references_in(bundle_folder(post.path), found.body,
                                                                data.decode("utf-8").replace("\r\n", "\n")), config)
        approvals = [r for r in post.reviews if r.verdict == Verdict.APPROVED and r.original]
        if found is None or not approvals or post.state in (State.DRAFT, State.TRANSLATION, State.WITHDRAWN):
            continue
        if approvals[-1].original != found.digest:
            out.append(Problem(post.path, post.line_of("reviews"), (
                f"{path} changed after {approvals[-1].by} approved this translation (approved against "
                f"{approvals[-1].original}, it is now {found.digest}); compare them (`gulagpub diff "
                f"{post.path}`, the parallel view) and, if the translation must follow, correct it")))
    return out
