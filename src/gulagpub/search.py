"""The search index: every public post and page in Pagefind's index, made
in shards so that an edit re-indexes one shard. Edge module (it runs
Pagefind's indexer, the binary of the `pagefind[bin]` package).

Pagefind has no incremental update: its indexer reads every page of an index
each time, at about 4 ms of CPU and 0.5 MB of memory a post (measured on
the benchmark's 800-word posts). So the index is split: each language's
documents go to 2**k shards by a hash of their content path (a shard holds
at most SHARD_SIZE documents; k grows as the site does), and each shard is a
Pagefind bundle of its own (`pagefind/LANG/N/`) that the search page merges
in the browser (Pagefind's mergeIndex). A shard is keyed by what its
documents' records are made from (each document's content hash, address and
date); after one edit only the edited document's shard is indexed again,
and the others' files stay as the live site has them.

The indexer is fed one small HTML file per document, written to a
temporary folder (its title, its date and its rendered body, in its
language: Pagefind indexes per `<html lang>`), and run as a process per
shard, two at a time. Not through `pagefind.index.PagefindIndex`: that
client waits 0.1 s before reading each answer of the service, so adding
1,000 records took 101 s (measured); `pagefind --site` over the same
files takes a few.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from .errors import BuildError

# Bump when what is indexed of a document, or how, changes: every shard is made again.
SEARCH_VERSION = "1"
SHARD_SIZE = 400  # documents a shard holds at most (its indexing takes about 1.5 s of CPU)
FOLDER = "pagefind"  # the bundles' folder in the site
# Pagefind's own interfaces, which the site does not use (search.js is its own, a few lines).
_UNUSED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")


class Doc(NamedTuple):
    """A document in the index: its content path, language, site path and the digest naming its record."""

    src: str
    lang: str
    path: str
    key: str


@dataclass(frozen=True)
class Shard:
    """A shard as the site holds it (kept in the traces): its key and its files with theirs."""

    key: str
    files: dict[str, str]  # path in the site -> key (names the bytes)


@dataclass(frozen=True)
class Record:
    """What a document shows in the index: title, date (ISO, or '') and body (HTML)."""

    lang: str
    title: str
    date: str
    html: str


def shards_of(docs: Iterable[Doc]) -> dict[str, list[Doc]]:
    """The shards ('en/0', 'en/1', …) and their documents, in path order. A
    document's shard depends only on its content path and on how many shards
    its language has, so a new post changes one shard."""
    by_lang: dict[str, list[Doc]] = {}
    for d in docs:
        by_lang.setdefault(d.lang, []).append(d)
    shards: dict[str, list[Doc]] = {}
    for lang in sorted(by_lang):
        members = by_lang[lang]
        count = 1
        while len(members) > count * SHARD_SIZE:
            count *= 2
        for n in range(count):
            shards[f"{lang}/{n}"] = []
        for d in members:
            n = int.from_bytes(hashlib.blake2b(d.src.encode("utf-8", "surrogatepass"), digest_size=4).digest(),
                               "little") % count
            shards[f"{lang}/{n}"].append(d)
    for members in shards.values():
        members.sort(key=lambda d: d.path)
    return {name: members for name, members in shards.items() if members}  # (a bucket may be empty)


def shard_key(name: str, docs: list[Doc], version: str) -> str:
    """Names what a shard's files are made from (`version`: the indexer's and this module's)."""
    text = "\0".join([SEARCH_VERSION, version, name, *(f"{d.path}\1{d.key}" for d in docs)])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def bundle(name: str) -> str:
    """A shard's folder in the site, as a site path ('/pagefind/en/0/')."""
    return f"/{FOLDER}/{quote(name.lower())}/"


def record_page(record: Record) -> str:
    """The HTML the indexer reads for a document: its body, title and date
    marked for Pagefind (the title and date are shown with each result)."""
    lang = escape(record.lang)
    date = f' data-pagefind-meta="date:{escape(record.date)}"' if record.date else ""
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(record.title)}'
            f'</title></head><body><main data-pagefind-body{date}><h1 data-pagefind-meta="title">'
            f'{escape(record.title)}</h1>{record.html}</main></body></html>')


def executable() -> Path:
    """Pagefind's indexer: PAGEFIND_BINARY_PATH, else the one `pagefind[bin]` installed."""
    try:
        from pagefind.service import get_executable
    except ImportError:  # (the package is a dependency: an installation without it is broken)
        found = None
    else:
        found = get_executable()
    if found is None or not found.is_file():
        raise BuildError("[site] search is on, but Pagefind's indexer is not installed: "
                         "pip install 'pagefind[bin]' (gulagpub's own dependencies include it), "
                         "or set PAGEFIND_BINARY_PATH to a pagefind binary; or turn search off")
    return found


def version() -> str:
    """The indexer's version (part of every shard's key)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    given = os.environ.get("PAGEFIND_BINARY_PATH")
    if given:
        return f"{given} {os.stat(given).st_mtime_ns if os.path.exists(given) else ''}"
    try:
        return installed("pagefind_bin")
    except PackageNotFoundError:
        return "unknown"


class Made(NamedTuple):
    """A file of a shard as the indexer wrote it: where it is, and the key naming its bytes."""

    file: Path
    key: str


def index(shards: dict[str, list[Doc]], record_of: Callable[[Doc], Record], work: Path,
          workers: int = 2) -> dict[str, dict[str, Made]]:
    """Index each shard into the folder `work` (the caller's, removed once the
    site is written: the files are hard-linked into it, never read into
    memory): each shard's files by site path, without the leading '/'.
    Raises BuildError naming the shard when the indexer fails."""
    exe = executable()
    results: dict[str, dict[str, Made]] = {}
    todo = list(shards.items())
    running: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    try:
        while todo or running:
            while todo and len(running) < max(1, workers):
                name, docs = todo.pop(0)
                folder = work / name.replace("/", "-")
                site, out = folder / "site", folder / "out"
                for d in docs:
                    page = site / d.path.strip("/") / "index.html"
                    page.parent.mkdir(parents=True, exist_ok=True)
                    page.write_text(record_page(record_of(d)), encoding="utf-8")
                site.mkdir(parents=True, exist_ok=True)
                proc = subprocess.Popen([str(exe), "--site", str(site), "--output-path", str(out)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                running.append((name, out, proc))
            name, out, proc = running.pop(0)
            log, _ = proc.communicate()
            if proc.returncode != 0:
                tail = log.decode("utf-8", "replace").strip().splitlines()[-5:]
                raise BuildError(f"Pagefind could not index the search shard {name} (exit {proc.returncode}): "
                                 + " / ".join(tail))
            shutil.rmtree(out.parent / "site")  # (the pages it read: the bundle stays until the site is written)
            results[name] = _files(out, bundle(name).lstrip("/"))
    finally:
        for _, _, proc in running:
            proc.kill()
            proc.wait()
    return results


def _files(out: Path, prefix: str) -> dict[str, Made]:
    """The bundle Pagefind wrote into `out`, less its own interfaces, each file keyed by its bytes."""
    found = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and not rel.startswith(_UNUSED) and not rel.startswith("playground/"):
            with open(path, "rb") as f:
                key = hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
            found[prefix + rel] = Made(path, "search " + key)
    if not any(rel.endswith("pagefind-entry.json") for rel in found):
        raise BuildError(f"Pagefind wrote no index into {out}; is the pagefind binary the one gulagpub expects?")
    return found
