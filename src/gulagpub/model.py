"""The content model: typed, validated values for posts and their parts.

Pure: no files, git, network, clock or environment. `postfile` turns text
into these values; everything else reads them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cached_property
from typing import Any


class State(str, Enum):
    """Where a post stands in the editorial workflow."""

    DRAFT = "draft"
    TRANSLATION = "translation"
    REVIEW = "review"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return self.value


class Kind(str, Enum):
    """What a content file is, decided by the folder it lives in."""

    POST = "post"  # posts/<name>.md
    TRANSLATION = "translation"  # translations/<lang>/<name>.md
    PAGE = "page"  # pages/<name>.md: standalone, never in feeds or announced

    def __str__(self) -> str:
        return self.value


class Verdict(str, Enum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes-requested"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class LeadImage:
    """The image that stands for a post (front matter `image:`): in link cards and feeds."""

    src: str  # as written: beside the post (`scan-p1.jpg`) or site-wide (`/media/x.jpg`)
    alt: str  # what it shows, for readers who cannot see it


@dataclass(frozen=True)
class Source:
    """Where the text comes from."""

    title: str | None = None
    author: str | None = None
    publication: str | None = None
    via: str | None = None
    url: str | None = None
    date: str | None = None
    lang: str | None = None
    rights: str | None = None
    # The original's scans, page by page, as written: files of the post's bundle
    # (`scan-p1.jpg`) or site-wide (`/media/NAME`). Shown after the text.
    scans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Translation:
    """Who translated the text, and from which language."""

    translators: tuple[str, ...] = ()
    from_lang: str | None = None
    # For a language version: content_digest() of the post it translates, as
    # it was when translated; differs from the post's digest once it changes.
    of_digest: str | None = None


@dataclass(frozen=True)
class Reprint:
    """Where the text was published again."""

    publication: str
    date: str | None = None


@dataclass(frozen=True)
class Review:
    """An editor's verdict on one exact content (see `content_digest`)."""

    by: str  # e-mail of the editor
    verdict: Verdict
    at: datetime
    content: str  # content_digest() of the post when the verdict was given
    name: str | None = None
    note: str | None = None
    commit: str | None = None  # the commit whose content was reviewed (`gulagpub diff` starts there)
    original: str | None = None  # digest of the original text (originals/) the translation was checked against


@dataclass(frozen=True)
class Withdrawal:
    """Who withdrew a published post, when, and why."""

    by: str
    at: datetime
    reason: str
    public: bool = True  # whether the page left at the post's address gives the reason


@dataclass(frozen=True)
class ProposedCorrection:
    """A change to a published post's text, in review (`correction:`): the
    site keeps showing the version last published until an editor approves it
    and `gulagpub publish` publishes it again."""

    by: str | None  # e-mail of who proposed it (nobody approves their own)
    note: str | None  # the public note: what was corrected (None: a minor fix)
    minor: bool = False  # an editor's typo fix: no public note, `updated` kept


@dataclass(frozen=True)
class Correction:
    """A published correction (`corrections:`), shown on the page and in feeds."""

    date: str  # YYYY-MM-DD, written by `gulagpub publish`
    note: str


# Front-matter keys written by the workflow, not by authors: they do not
# count as "content", so recording a review does not make it stale.
WORKFLOW_KEYS = frozenset({"state", "reviews", "withdrawn", "id", "published_by", "import"})


@dataclass(frozen=True)
class Post:
    """One content file: a post, a language version of a post, or a page."""

    path: str  # repository-relative, '/'-separated
    kind: Kind
    name: str  # file name without '.md'
    slug: str
    title: str
    state: State
    lang: str
    body: str
    id: str | None = None
    author: str | None = None
    date: datetime | None = None  # timezone-aware
    updated: datetime | None = None  # timezone-aware
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    summary: str | None = None
    content_warning: str | None = None
    source: Source | None = None
    translation: Translation | None = None
    reprints: tuple[Reprint, ...] = ()
    reviews: tuple[Review, ...] = ()
    withdrawn: Withdrawal | None = None
    correction: ProposedCorrection | None = None  # in review: a published post being corrected
    corrections: tuple[Correction, ...] = ()
    original_text: str | None = None  # the text it translates, as stored: originals/LANG/NAME.md
    aliases: tuple[str, ...] = ()  # old URL paths that must keep working
    sticky: bool = False
    image: LeadImage | None = None
    original: str | None = None  # for a translation: path of the post it translates
    # For a post imported as scheduled: the content digest its approval on
    # the old system vouched for (front matter `import.approved_content`).
    approved_on_import: str | None = None
    # The front matter as written (the text between the '---' lines). The
    # fields as read from it (`meta`, raw values before validation) and the
    # line of each (`lines`) come with the Post that parsing made, but are not
    # pickled (they were a third of the parse cache's objects, for the few
    # commands that read them): a Post from a cache reads them again when asked.
    front: str = field(default="", compare=False, repr=False)

    @cached_property
    def meta(self) -> dict[str, Any]:
        return self._read_front()[0]

    @cached_property
    def lines(self) -> dict[str, int]:
        return self._read_front()[1]

    def _read_front(self) -> tuple[dict[str, Any], dict[str, int]]:
        from .frontyaml import read_front  # (imported only when a cached Post's fields are asked for)

        meta, lines = read_front(self.front)
        self.__dict__.update(meta=meta, lines=lines)  # what cached_property does
        return meta, lines

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("meta", None)
        state.pop("lines", None)
        return state

    @property
    def translators(self) -> tuple[str, ...]:
        return self.translation.translators if self.translation else ()

    def line_of(self, key: str) -> int:
        """The line where front-matter `key` stands (1 when it is absent)."""
        return self.lines.get(key, 1)

    @cached_property
    def digest(self) -> str:
        """content_digest() of this post, computed once (and kept in the parse cache)."""
        return content_digest(self.meta, self.body)


def without_body(post: Post) -> Post:
    """`post` with an empty body (what pages and feeds show of it), and with
    what it computed of the whole file (its `digest`): the parse cache keeps a
    Post pickled so, and its body beside it as text (`with_body`), so that a
    post is pickled once and not once more without its body. Made as
    unpickling makes a Post (its fields set, not validated again)."""
    bare = object.__new__(Post)
    bare.__dict__.update(post.__getstate__(), body="")
    return bare


def with_body(bare: Post, body: str) -> Post:
    """The whole Post, from `without_body`'s and its body."""
    whole = object.__new__(Post)
    whole.__dict__.update(bare.__dict__, body=body)
    return whole


ORIGINALS = "originals"  # the folder of the texts translations are made from


def original_file(post: Post) -> str | None:
    """Where `post`'s original text is stored, if it names or implies one: its
    `original:` field, or originals/LANG/NAME.md for a post translated from LANG."""
    if post.original_text:
        return post.original_text
    from_lang = (post.translation.from_lang if post.translation else None) or (
        post.source.lang if post.source and post.translation else None)
    return f"{ORIGINALS}/{from_lang}/{post.name}.md" if from_lang else None


def primed(post: Post, meta: dict[str, Any], lines: dict[str, int]) -> Post:
    """`post`, holding the fields read from its front matter (and their lines)
    as they were read, so that they are not read again."""
    post.__dict__.update(meta=meta, lines=lines)
    return post


def content_digest(meta: dict[str, Any], body: str) -> str:
    """A short hash of what an approval vouches for: the body and every
    author-written field, not the fields the workflow writes."""
    fields = {k: v for k, v in meta.items() if k not in WORKFLOW_KEYS}
    canonical = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    h = hashlib.sha256()
    h.update(canonical.encode("utf-8"))
    h.update(b"\0")
    h.update(body.strip().replace("\r\n", "\n").encode("utf-8"))
    return h.hexdigest()[:16]


_SLUG = re.compile(r"^[^\W_][\w-]*$")
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
# BCP 47 (RFC 5646) well-formedness, the common subset: language, script,
# region, variants, extensions and private use. A language subtag of 4-8
# letters is well-formed but none is registered, and every one a person
# writes is a language's name ("English", "Russian"): refused, so the check
# can answer with its code (languages.code_for).
_LANG = re.compile(
    r"^(?:[a-zA-Z]{2,3}(?:-[a-zA-Z]{3}){0,3})"
    r"(?:-[a-zA-Z]{4})?(?:-(?:[a-zA-Z]{2}|\d{3}))?"
    r"(?:-(?:[a-zA-Z\d]{5,8}|\d[a-zA-Z\d]{3}))*"
    r"(?:-[0-9a-wyzA-WYZ](?:-[a-zA-Z\d]{2,8})+)*"
    r"(?:-x(?:-[a-zA-Z\d]{1,8})+)?$"
)


def kind_of(path: str) -> tuple[Kind, str | None] | None:
    """The kind of content a repository path holds, and for a translation its
    language folder; None if the path is not a content file."""
    parts = path.split("/")
    if not path.endswith(".md"):
        return None
    if len(parts) == 2 and parts[0] == "posts":
        return Kind.POST, None
    if len(parts) == 3 and parts[0] == "posts" and parts[2] == "index.md":  # a bundle: the post with its files
        return Kind.POST, None
    if len(parts) == 2 and parts[0] == "pages":
        return Kind.PAGE, None
    if len(parts) == 3 and parts[0] == "translations":
        return Kind.TRANSLATION, parts[1]
    return None


def name_of(path: str) -> str:
    """A content file's name: `posts/NAME.md` and the bundle `posts/NAME/index.md` -> NAME."""
    parts = path.split("/")
    return parts[-2] if len(parts) == 3 and parts[0] == "posts" and parts[2] == "index.md" else parts[-1][:-3]


def original_path(path: str, bundled: bool) -> str:
    """The post a language version `translations/LANG/NAME.md` is a version of:
    `posts/NAME/index.md` when that post is a bundle (`bundled`), else `posts/NAME.md`."""
    name = name_of(path)
    return f"posts/{name}/index.md" if bundled else f"posts/{name}.md"


def slug_from_name(name: str) -> str:
    """`2012-10-20-vicente` -> `vicente`; `vicente` -> `vicente`."""
    m = _DATED.match(name)
    return m.group(2) if m else name


def is_valid_slug(slug: str) -> bool:
    """Letters, digits and hyphens only (any script): nothing that can leave
    a folder or need quoting in a URL path segment beyond percent-encoding."""
    return bool(_SLUG.match(slug)) and ".." not in slug


def is_valid_lang(tag: str) -> bool:
    return bool(_LANG.match(tag))
