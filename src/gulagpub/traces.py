"""What a build leaves for the next one, per output folder: the trace store.
Edge module (a sealed file in the repository's state folder, store.py).

For the output keys themselves the live site's manifest is the store
(site.py); this keeps what they were made from: the build's settings and
templates (`gen`), the shape of the site (which files were public, its
catalog), each post's item (what its key was made from, and the key), the
Mastodon links and old comments the pages showed, and the token of the live
site the build left. A build whose shape is the last one's lists only the
outputs reading a changed input (outputs.Planner.changes).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .catalog import Catalog
from .images import FileInfo
from .outputs import Counts
from .search import Shard
from .sources import ItemState
from .store import Notice, Sealer, Table, load_table, save_table, unpickled

if TYPE_CHECKING:
    from .history import History

# Bump when the output changes for a reason no key can see (new code), or
# when what is kept changes shape: the next build then plans everything.
BUILD_VERSION = "31"


@dataclass
class Traces:
    """What a build left for the next one (see the module's docstring)."""

    base: str  # names the settings, templates, code and mode
    gen: str  # and the languages: part of every key
    shape: str  # names the public files (and the redirects)
    catalog: Catalog
    items: Table[ItemState]  # by content path
    by_path: list[int]  # the posts (places in catalog.posts) in the order of their site paths
    pages: dict[str, str]  # standalone pages -> their content hash
    mastodon: dict[str, str]
    comments: dict[str, tuple[int, int, int]]
    token: str  # the live site's manifest token, as this build left it
    counts: Counts
    files: dict[str, tuple[FileInfo, tuple[str, ...]]]  # each media file published: its header, the files naming it
    search: dict[str, Shard] = field(default_factory=dict)  # each shard of the search index the site holds
    version: str = BUILD_VERSION


def _name(out: Path) -> str:
    return "traces-" + hashlib.blake2b(os.fsencode(out.absolute()), digest_size=12).hexdigest()


# Kept in three sealed files, so that a build after an edit rewrites little:
# the catalog (written only when the shape changed), the items (columns, see
# store.Table) and the rest (small).
def load(sealer: Sealer, out: Path, notice: Notice | None = None) -> Traces | None:
    name = _name(out)
    raw = sealer.read(name, notice)
    if raw is None:
        return None
    try:
        head = unpickled(raw)
        if not isinstance(head, dict) or head.get("version") != BUILD_VERSION:
            return None
        catalog = unpickled(sealer.read(name + ".catalog", notice))
        if not isinstance(catalog, tuple) or catalog[0] != head["shape_id"]:
            return None
        items = load_table(sealer, name + ".items", ItemState, notice)
        if len(items) != len(catalog[1].posts) or not all(src in items.pos for src in catalog[1].posts):
            return None  # (kept by other code, or a damaged journal: what is kept does not fit together)
        return Traces(head["base"], head["gen"], head["shape"], catalog[1], items, catalog[2], head["pages"],
                      head["mastodon"], head["comments"], head["token"], Counts(*head["counts"]), head["files"],
                      head["search"])
    except (KeyError, TypeError, ValueError):  # (what is kept does not have the shape it must)
        return None


def save(sealer: Sealer, out: Path, catalog_changed: bool, traces: Traces) -> None:
    name = _name(out)
    shape_id = hashlib.blake2b(f"{traces.base}\0{traces.shape}".encode(), digest_size=12).hexdigest()
    try:
        if catalog_changed or sealer.read(name + ".catalog") is None:
            sealer.write(name + ".catalog", pickle.dumps((shape_id, traces.catalog, traces.by_path),
                                                         protocol=pickle.HIGHEST_PROTOCOL))
        if catalog_changed:
            traces.items.fold = traces.items.changed = True
        save_table(sealer, name + ".items", traces.items)
        sealer.write(name, pickle.dumps({
            "version": traces.version, "base": traces.base, "gen": traces.gen, "shape": traces.shape,
            "shape_id": shape_id, "pages": traces.pages, "mastodon": traces.mastodon,
            "comments": traces.comments, "token": traces.token, "counts": tuple(traces.counts),
            "files": traces.files, "search": traces.search},
            protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # only costs time: the next build plans everything


def forget(sealer: Sealer, out: Path) -> None:
    for suffix in ("", ".catalog", ".items"):
        sealer.discard(_name(out) + suffix)


class Changes(NamedTuple):
    """When each content file last really changed (history.History, as kept: a
    build whose HEAD did not move does not load the history module)."""

    head: str | None
    changed: dict[str, str]  # path -> ISO time
    digests: dict[str, str]  # blob id -> content digest


def load_history(sealer: Sealer) -> Changes:
    found = unpickled(sealer.read("history"))
    try:
        return Changes(*found) if found is not None else Changes(None, {}, {})
    except TypeError:
        return Changes(None, {}, {})


def save_history(sealer: Sealer, history: History | Changes) -> None:
    try:
        sealer.write("history", pickle.dumps((history.head, history.changed, history.digests),
                                             protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
