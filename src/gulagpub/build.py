"""The build: content repository -> static site and feeds. Use case.

The stages, each a module (docs/architecture.md draws them):

    reading   content files -> records, through the one parse cache
    catalog   the public records -> the site's shape (lists, terms, languages)
    sources   records, Posts, HTML and items, loaded when something asks
    outputs   every output with the digest of what it reads (its trace)
    pages     HTML pages (templates from theme), feeds + feedentries the feeds
    site      the files written into a spare folder, swapped in atomically
    traces    what this build leaves for the next one

This module runs them in order, decides what is public and what blocks the
build, and keeps the caches: a build after an edit reads, plans and writes
in proportion to the edit, not to the site.
"""

from __future__ import annotations

import os
import shutil
import stat as stat_mod
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from . import gitstore, i18n, images, media, originals, search, theme, traces
from .catalog import Catalog, catalog_of
from .config import CONFIG_FILE, Config
from .content import load_config
from .corrections import show_published
from .errors import BuildError, Problem
from .feedentries import FeedEntries
from .feeds import FORMATS, Format
from .navigation import menu_of
from .outputs import Inputs, Planned, Planner
from .pages import Pages
from .parallel import PARALLEL_FROM, collector_paused, cores
from .reading import ParseCache, Reading, read
from .records import Record, micros
from .site import PARALLEL_FROM as WRITERS_FROM
from .site import Output, StaleOutputs, WriteReport, write_site
from .sources import Sources, digest, joined, when_of
from .urls import site_path

# Page slugs the site itself uses.
RESERVED = {"tag", "category", "page", "archive", "feed.atom", "feed.rss", "feed.json",
            "style.css", "favicon.svg", "404.html", "sitemap.xml", "robots.txt", "templates",
            "search", "search.js", "pagefind"}
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


def build(root: Path, out: Path, *, now: datetime, drafts: bool = False, progress: Progress | None = None,
          wait: bool = True, dry_run: bool = False, allow_shallow: bool = False,
          relative_links: bool = False) -> BuildResult:
    """Build the site of the content repository at `root` into `out`, atomically.

    Holds the repository's lock (lock.exclusive) while it runs: a second
    build, or a command that commits, waits for it (or with `wait=False`
    raises lock.Busy). Raises BuildError (listing every `path:line:
    problem`) when a published or due post has problems; `out` is then left
    as it was. With `dry_run`, plans everything and writes nothing: neither
    the site nor any cache. A shallow clone is refused (its history cannot
    tell when posts last changed) unless `allow_shallow`. With
    `relative_links`, pages link to each other by relative paths to their
    files, so that the site opens from disk (a preview; relative.py)."""
    from . import lock

    with lock.exclusive(root, f"build into {out}", wait=wait, say=progress), collector_paused():
        return _Build(root, out.absolute(), now, drafts, progress, dry_run, allow_shallow, relative_links).run()


def _formats(config: Config) -> tuple[Format, ...]:
    """The feed formats this site makes (the registry, less those its settings turn off)."""
    return tuple(f for f in FORMATS if not f.optional or getattr(config.feeds, f.optional))


class _Build:
    def __init__(self, root: Path, out: Path, now: datetime, drafts: bool, progress: Progress | None,
                 dry_run: bool, allow_shallow: bool, relative_links: bool = False) -> None:
        self.root, self.out, self.now, self.drafts, self.dry_run = root, out, now, drafts, dry_run
        self.allow_shallow, self.relative_links = allow_shallow, relative_links
        self.say = progress or (lambda _msg: None)
        self.notices: list[Problem] = []
        self.config = load_config(root)
        self.cache = ParseCache(root, self.config, self.notice)
        self.sealer = self.cache.sealer
        self.formats = _formats(self.config)
        self.replaced: set[str] = set()  # content hashes the last build showed and no file has now
        self.file_users: dict[str, tuple[str, ...]] = {}  # each media file: the content files naming it
        self.shards: dict[str, search.Shard] = {}  # the search index's shards this build leaves
        self.removed: list[str] = []  # files of the search index the live site holds and this build does not
        self.search_work: Path | None = None  # where the indexer wrote this build's shards (removed once written)

    def notice(self, message: str) -> None:
        """A cache that could not be used (it is made again): one line, as a warning."""
        self.notices.append(Problem("(cache)", 0, message))

    def run(self) -> BuildResult:
        root, cfg = self.root, self.config
        gitstore.require_history(root, "building the site (pages show when each post last changed)",
                                 allow_shallow=self.allow_shallow,
                                 warn=lambda text: self.notices.append(Problem("(git)", 0, text)))
        # Git is asked for the history (several git processes) while the caches load.
        stored = traces.load_history(self.sealer)
        history = _Background(_history_at_head, root, stored)
        previous = traces.load(self.sealer, self.out, self.notice)
        history.wait()  # (no thread may run when the reading stage forks its workers)
        reading = read(root, cfg, self.cache, render=True, flush=not self.dry_run)
        self.say(f"read {len(reading.paths)} content file(s)")
        # A post under correction is shown as last published (a preview with drafts shows the proposal).
        hidden = [] if self.drafts else show_published(root, cfg, reading)
        problems = reading.problems + hidden + self.cache.whole_set_problems(reading)
        sources = Sources(root, cfg, reading, None, {}, self.now)
        visible = self.visible(reading)
        blocking = self.blocking(problems, reading, sources, visible)
        if blocking:
            if not self.dry_run:
                self.cache.save()
            raise BuildError("the site was not built (the previous one is untouched):\n"
                             + "\n".join(str(p) for p in sorted(set(blocking))))
        hist = history.result()
        current = hist if hist is not None else stored
        sources.changed = current.changed
        planned, catalog = self.plan(reading, sources, visible, previous)
        self.check_size(reading, planned)
        self.say(f"writing {planned.counts.files} file(s) ({planned.counts.pages} pages, "
                 f"{planned.counts.feeds} feeds)")
        if self.dry_run:
            report = WriteReport(written=0, removed=0, unchanged=planned.counts.files)
            return self.result(planned, sources, report, problems)
        try:
            self.index(planned, sources, previous)
            try:
                report = self.write(planned, sources, previous.token if previous and not planned.complete else None)
            except StaleOutputs:  # the live site is not the one the traces describe: plan everything
                planned, catalog = self.plan(reading, sources, visible, None)
                self.index(planned, sources, None)
                report = self.write(planned, sources, None)
        finally:
            self.forget_index()
        self.save(reading, planned, catalog, report, current, hist is not None)
        if planned.complete and self.inputs_used.copies is not None:  # (every image the site has is known)
            images.prune(self.inputs_used.copies, self.inputs_used.files.values(), time.time())
        self.say(f"{report.written} file(s) written, {report.unchanged} unchanged, "
                 f"{report.removed} removed; {sources.rendered} rendered")
        return self.result(planned, sources, report, problems)

    def result(self, planned: Planned, sources: Sources, report: WriteReport, problems: list[Problem]) -> BuildResult:
        c = planned.counts
        return BuildResult(out=self.out, posts=c.posts, pages=c.pages, feeds=c.feeds, rendered=sources.rendered,
                           report=report, warnings=sorted(set(problems + planned.warnings + self.notices)))

    def check_size(self, reading: Reading, planned: Planned) -> None:
        """Refuse, before writing anything, a site far larger than its content
        warrants ([limits] output_size)."""
        if not planned.estimate:
            return
        files = reading.files
        content = sum(files.col("stat")[i][1] for i in files.pos.values())
        limit = self.config.limits.output_limit(content)
        if planned.estimate > limit:
            raise BuildError(
                f"the site would take about {images.human_size(planned.estimate)}, more than the limit of "
                f"{images.human_size(limit)} ([limits] output_size, by default 10 times the content plus 1 GB); "
                "nothing was written. Look for posts with very many tags or categories, or raise "
                "output_size in gulagpub.toml if the site is meant to be this large")

    # --- what is public, and what blocks ----------------------------------------
    def visible(self, reading: Reading) -> dict[str, str]:
        """The files the site shows, in path order (a dict, for its order and look-ups)."""
        files = reading.files
        pos, kinds, states, originals = files.pos, files.col("kind"), files.col("state"), files.col("original")
        if self.drafts:
            return {p: "" for p in reading.paths if kinds[pos[p]] is not None and states[pos[p]] != "withdrawn"}
        published = {p: kinds[pos[p]] for p in reading.paths if states[pos[p]] == "published"}
        return {p: "" for p, kind in published.items()
                if kind != "translation" or published.get(originals[pos[p]]) == "post"}

    def blocking(self, problems: list[Problem], reading: Reading, sources: Sources,
                 visible: dict[str, str]) -> list[Problem]:
        """The problems that stop the build: those of a file published or due to be
        (a file that did not parse says its state in its first lines)."""
        now = micros(self.now)
        out = []
        for p in problems:
            entry = reading.entry(p.path)
            if entry is not None and entry.kind is not None:
                if entry.state == "published" or (entry.state == "approved" and _due(sources.record(p.path), now)):
                    out.append(p)
            elif entry is not None and _says_public(self.root / p.path):
                out.append(p)
        files = reading.files
        kinds, states, pos, lang_col = files.col("kind"), files.col("state"), files.pos, files.col("lang")
        langs = {lang_col[i].lower() for i in pos.values() if lang_col[i]}
        for path in visible:
            if kinds[pos[path]] == "page" and states[pos[path]] == "published":
                rec = sources.record(path)
                if rec.slug in RESERVED or rec.slug in langs:
                    out.append(Problem(path, rec.slug_line, f"page slug '{rec.slug}' is used by the site itself; "
                                       "choose another 'slug:'"))
        return out

    # --- planning ------------------------------------------------------------------
    def inputs(self, reading: Reading, gen: str) -> Inputs:
        from .ledger import load_ledger, status_urls

        comments: dict[str, tuple[int, int, int]] = {}
        for path in reading.others:
            if path.endswith(COMMENTS_SUFFIX) and path[:-len(COMMENTS_SUFFIX)] + ".md" in reading.files:
                try:
                    st = os.lstat(self.root / path)
                except OSError:
                    continue
                if stat_mod.S_ISREG(st.st_mode):
                    comments[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
        redirects_file = self.root / "_redirects"  # old WordPress URLs, from `gulagpub import wordpress`
        redirects = (redirects_file.read_bytes()
                     if redirects_file.is_file() and not redirects_file.is_symlink() else None)
        files = reading.files
        kinds, states, shas, pos = files.col("kind"), files.col("state"), files.col("sha"), files.pos
        withdrawn = {p: shas[pos[p]] for p in reading.paths
                     if states[pos[p]] == "withdrawn" and kinds[pos[p]] in ("post", "translation")}
        return Inputs(gen, status_urls(load_ledger(self.root)), comments, redirects, withdrawn,
                      _originals(self.root), copies=self.sealer.folder / "copies")

    def plan(self, reading: Reading, sources: Sources, visible: dict[str, str],
             previous: traces.Traces | None) -> tuple[Planned, Catalog]:
        """The outputs to make: those that read a changed input when the site's
        shape is the last build's, else every one (outputs.py)."""
        cfg = self.config
        config_text = (self.root / CONFIG_FILE).read_bytes()
        # The menu shows standalone pages by their title, on every page: a title is in every key.
        pages_by_slug = {}
        for src in visible:
            if src.startswith("pages/"):
                rec = sources.record(src)
                pages_by_slug[rec.slug] = (rec.title, site_path(rec.kind, rec.slug, None, rec.lang, cfg))
        menu_pages = {slug: pages_by_slug[slug] for slug in cfg.site.menu if slug in pages_by_slug}
        base_gen = digest(traces.BUILD_VERSION, theme.digest(self.root), i18n.digest(), config_text, self.drafts,
                          [f.name for f in self.formats], sorted(menu_pages.items()), self.relative_links)
        inputs = self.inputs(reading, base_gen)
        # (A withdrawal, or an edit of a withdrawn post, is rare: it changes the shape.)
        # So is an edit of a stored original (originals/: its post's parallel view).
        shape = joined([*visible, "\1", digest(inputs.redirects), "\2",
                        *[f"{p}\0{sha}" for p, sha in inputs.withdrawn.items()], "\3",
                        *[f"{p}\0{st}" for p, st in inputs.originals.items()]])
        dirty = None
        if previous is not None and previous.shape == shape and previous.base == base_gen:
            dirty = self.changed_since(previous, reading, sources, inputs)
        if dirty is not None:
            assert previous is not None
            catalog = previous.catalog
        else:
            records = sources.load_records(list(visible))
            catalog = catalog_of(records, cfg.site.lang, micros(self.now), cfg.site.tz)
            self.media_of(records, sources, inputs, previous)
        gen = digest(base_gen, list(catalog.langs), list(catalog.indexes()))  # (the menu leads to its section's index)
        inputs.gen = gen
        sources.files = inputs.files
        sources.catalog = catalog
        has = {"home", "feeds"} | ({"archive"} if catalog.posts else set()) | ({"tags"} if catalog.tags else set()) \
            | ({"categories"} if catalog.categories else set()) | ({"search"} if cfg.site.search else set())
        menu, problems = menu_of(cfg.site.menu, pages_by_slug, has)
        if problems:
            raise BuildError("\n".join(f"{CONFIG_FILE}: {p}" for p in problems))
        self.menu = menu
        pages = Pages(self.root, self.sealer.folder, cfg, sources, catalog.langs, self.formats, menu, catalog.indexes())
        entries = FeedEntries(cfg, sources, self.formats, gen, self.now, self.cache.db)
        kept = previous.items if previous is not None and (dirty is not None or (
            previous.catalog.tags, previous.catalog.categories) == (catalog.tags, catalog.categories)) else None
        planner = Planner(cfg, catalog, sources, pages, entries, self.formats, inputs, kept)
        if dirty is not None:
            assert previous is not None
            planned = planner.changes(dirty | set(catalog.undated), previous.counts, previous.by_path)
            if os.environ.get("GULAGPUB_CHECK_PLAN") == "1":
                self.check_plan(planned, reading, sources, visible, inputs)
        else:
            planned = planner.everything()
        if self.relative_links:  # (every key already names the mode: it is in the gen)
            prefix = pages.href("/")
            planned.outputs = [replace(o, make=partial(_relativized, o.make, o.path, prefix))
                               if o.path.endswith(".html") else o for o in planned.outputs]
        self.pages, self.entries, self.inputs_used, self.shape, self.base_gen = pages, entries, inputs, shape, base_gen
        self.catalog_changed = dirty is None
        self.page_shas = {src: reading.sha(src) for src in catalog.pages}
        return planned, catalog

    def changed_since(self, previous: traces.Traces, reading: Reading, sources: Sources,
                      inputs: Inputs) -> set[str] | None:
        """The public files whose inputs changed since the build `previous`
        describes (their content, time of last change, old comments, Mastodon
        link); None when one of them changed its form (its place among the
        others: the site's shape is then another)."""
        kept = previous.items
        kpos, ksha, kchanged = kept.pos, kept.col("sha"), kept.col("changed")
        rpos, rsha = reading.files.pos, reading.files.col("sha")
        history = sources.changed
        dirty = {src for src in previous.catalog.posts
                 if ksha[kpos[src]] != rsha[rpos[src]] or kchanged[kpos[src]] != history.get(src)}
        pages = {src for src in previous.catalog.pages if previous.pages.get(src) != reading.sha(src)}
        for src in dirty | pages:
            old = ksha[kpos[src]] if src in kpos else previous.pages.get(src, "")
            before = self.cache.record(old)
            if before is None or before.form() != sources.record(src).form():
                return None
            if old != reading.sha(src):
                self.replaced.add(old)
        dirty |= pages
        replaced: dict[str, media.Stat] = {}
        for path, (seen, users) in previous.files.items():  # a scan replaced: the pages showing it
            if media.unchanged(self.root, path, seen.stat):
                inputs.files[path] = seen
                continue
            st, why = media.judged(self.root, path, self.config)
            if st is None:
                return None  # (planned the long way, which says why it cannot be published)
            replaced[path] = st
            dirty.update(users)
        for path, found in self.inspected(replaced, inputs).items():
            inputs.files[path] = found
            if images.variant_widths(found) != images.variant_widths(previous.files[path][0]):
                return None  # (copies no longer made leave the site: planned the long way)
        self.file_users = {path: users for path, (_, users) in previous.files.items()}
        dirty |= {name[:-len(COMMENTS_SUFFIX)] + ".md"
                  for name, _ in inputs.comments.items() ^ previous.comments.items()} & kpos.keys()
        if inputs.mastodon != previous.mastodon:
            ids = {i for i, _ in inputs.mastodon.items() ^ previous.mastodon.items()}
            dirty |= {src for src, i in kept.column("entry_id").items() if i in ids}
        return dirty

    def media_of(self, records: dict[str, Record], sources: Sources, inputs: Inputs,
                 previous: traces.Traces | None) -> None:
        """The files the public content files name, with their stat and header
        (inputs.files; read again only when the stat is another than the last
        build's), and who names each; a file that cannot be published stops the
        build when a published or due post names it (with the line), else it is
        left out."""
        known = previous.files if previous is not None else {}
        users: dict[str, list[str]] = {}
        inputs.files.clear()
        for src, rec in records.items():
            for path in rec.files:
                users.setdefault(path, []).append(src)
            if rec.original_file in inputs.originals:  # (its images, shown in its parallel view)
                for path in originals.files_of(self.root, src, rec.original_file):
                    if path not in rec.files:
                        users.setdefault(path, []).append(src)
        now = micros(self.now)
        blocked: list[str] = []
        folders: dict[str, bool] = {}
        publishable: dict[str, media.Stat] = {}
        unpublished: dict[str, str] = {}
        for path in users:
            st, why = media.judged(self.root, path, self.config, folders)
            if st is not None:
                publishable[path] = st
            else:
                assert why is not None
                unpublished[path] = why
        seen = {path: known[path][0] for path, st in publishable.items() if path in known and known[path][0].stat == st}
        fresh = self.inspected({path: st for path, st in publishable.items() if path not in seen}, inputs)
        inputs.files.update((path, seen[path] if path in seen else fresh[path]) for path in publishable)
        # (A file with the name of another's copy, `scan.jpg.480w.webp` beside a large `scan.jpg`: one path for both.)
        for path, why in images.names_taken(users.keys(), inputs.files.get).items():
            del inputs.files[path]
            unpublished[path] = why
        for path, why in unpublished.items():
            for src in users[path]:
                rec = records[src]
                # (An original's image that cannot be published is left out: the original is a reader's aid.)
                if path in rec.files and (rec.state == "published" or (rec.state == "approved" and _due(rec, now))):
                    blocked.append(src)
                else:
                    self.notices.append(Problem(src, 0, f"{path} {why}: left out of the site"))
        if blocked:
            found = media.problems(self.root, [sources.post(s) for s in sorted(set(blocked))], self.config,
                                   users.keys())
            raise BuildError("the site was not built (the previous one is untouched):\n"
                             + "\n".join(str(p) for p in sorted(set(found))))
        self.file_users = {path: tuple(named_by) for path, named_by in users.items()}

    def inspected(self, stats: dict[str, media.Stat], inputs: Inputs) -> dict[str, images.FileInfo]:
        """What the site shows of files new or changed since the last build (their
        type and size), found once per content: git's ids of their bytes name them
        in the folder of copies, which knows the images seen before."""
        if not stats:
            return {}
        ids = gitstore.blob_ids(self.root, stats)
        return images.inspect_all(self.root, stats, ids, inputs.copies, remember=not self.dry_run)

    def check_plan(self, planned: Planned, reading: Reading, sources: Sources, visible: dict[str, str],
                   inputs: Inputs) -> None:
        """(Tests.) The long way: every output the short plan left out must have the key the live site has."""
        from .site import live_keys

        fresh = Sources(self.root, self.config, reading, None, sources.changed, self.now)
        catalog = catalog_of(fresh.load_records(list(visible)), self.config.site.lang, micros(self.now),
                             self.config.site.tz)
        fresh.catalog = catalog
        fresh.files = inputs.files
        pages = Pages(self.root, self.sealer.folder, self.config, fresh, catalog.langs, self.formats, self.menu,
                      catalog.indexes())
        entries = FeedEntries(self.config, fresh, self.formats, inputs.gen, self.now, self.cache.db)
        full = Planner(self.config, catalog, fresh, pages, entries, self.formats, inputs, None).everything()
        listed = {o.path for o in planned.outputs}
        live = live_keys(self.out, self.sealer.folder)
        missed = [o.path for o in full.outputs if o.path not in listed and live.get(o.path) != o.key]
        if missed:
            raise AssertionError(f"the short plan missed {len(missed)} output(s): {missed[:10]}")

    # --- the search index ------------------------------------------------------------
    def index(self, planned: Planned, sources: Sources, previous: traces.Traces | None) -> None:
        """Index the search shards whose key the last build's are not (search.py),
        and add their files to the plan: every shard's in a plan of everything,
        the new ones' otherwise (with the files they no longer have removed)."""
        self.shards, self.removed = {}, []
        self.forget_index()
        if planned.shards is None:
            return
        before = previous.search if previous is not None else {}
        version = search.version()
        keys = {name: search.shard_key(name, docs, version) for name, docs in planned.shards.items()}
        todo = {name: planned.shards[name] for name, key in keys.items()
                if name not in before or before[name].key != key}
        if todo:
            self.say(f"indexing {sum(map(len, todo.values()))} document(s) for search "
                     f"({len(todo)} of {len(keys)} shard(s))")
        made = {}
        if todo:
            for left in self.sealer.folder.glob("search-*"):  # a killed build's (the lock is held)
                shutil.rmtree(left, ignore_errors=True)
            self.search_work = Path(tempfile.mkdtemp(prefix="search-", dir=self.sealer.folder))
            made = search.index(todo, partial(_search_record, sources, self.config), self.search_work)
        for name, key in keys.items():
            if name in made:
                planned.outputs += [Output(path, m.key, _unread, source=m.file) for path, m in made[name].items()]
                self.shards[name] = search.Shard(key, {path: m.key for path, m in made[name].items()})
            else:
                self.shards[name] = before[name]
                if planned.complete:  # (the live site has them: linked from it, never made)
                    planned.outputs += [Output(path, k, _unread, source=self.out / path)
                                        for path, k in before[name].files.items()]
        for name, shard in before.items():
            now = self.shards.get(name)
            self.removed += [path for path in shard.files if now is None or path not in now.files]

    def forget_index(self) -> None:
        """Remove the indexer's folder (its files are in the site, linked, or were not wanted)."""
        if self.search_work is not None:
            shutil.rmtree(self.search_work, ignore_errors=True)
            self.search_work = None

    # --- writing -------------------------------------------------------------------
    def write(self, planned: Planned, sources: Sources, live: str | None) -> WriteReport:
        workers = min(2, cores())
        outputs = planned.outputs
        self.entries.cached = len(outputs) < PARALLEL_FROM
        if workers > 1 and len(outputs) >= WRITERS_FROM:  # writers may be forked
            # A forked writer must open its own database connection (what is
            # pending stays in memory, where the writers read it).
            self.cache.db.close()
            self.pages.prepare()
        docs = planned.feed_docs
        # Feed documents newest first (the others keep their place), and how many
        # of them hold each entry: a writer keeps an entry only until its last.
        outputs.sort(key=lambda o: -docs[o.path][0].when if o.path in docs and docs[o.path] else 1)
        uses = self.entries.uses
        made = {id(docs[o.path]): docs[o.path] for o in outputs if o.path in docs}  # (a document's formats share it)
        for chosen in made.values():
            for it in chosen:
                uses[it.src] = uses.get(it.src, 0) + 1
        return write_site(self.out, outputs, state=self.sealer.folder, live=live, workers=workers,
                          repository=self.root, removed=self.removed)

    def save(self, reading: Reading, planned: Planned, catalog: Catalog, report: WriteReport,
             history: Any, history_moved: bool) -> None:
        """Keep what the next build needs; what no file has any more goes from the caches."""
        gone = {before.sha for path, before in reading.changed.items()
                if before is not None and (path not in reading.files or reading.sha(path) != before.sha)}
        for sha in gone | self.replaced:
            self.cache.forget(sha)
        self.cache.save()
        if history_moved:
            traces.save_history(self.sealer, history)
        inputs = self.inputs_used
        traces.save(self.sealer, self.out, self.catalog_changed, traces.Traces(
            self.base_gen, inputs.gen, self.shape, catalog, planned.items, planned.by_path, self.page_shas,
            inputs.mastodon, inputs.comments, report.token, planned.counts,
            {path: (st, self.file_users.get(path, ())) for path, st in inputs.files.items()}, self.shards))


def _search_record(sources: Sources, config: Config, doc: search.Doc) -> search.Record:
    """What the search index shows of a document: its title, date (in the site's time zone) and body."""
    rec = sources.record(doc.src)
    date = when_of(rec.date).astimezone(config.site.tz).date().isoformat() if rec.date else ""
    return search.Record(doc.lang, rec.title, date, sources.html(doc.src))


def _unread() -> bytes:
    raise AssertionError("a file published as it is (source=) is linked, never made")


def _originals(root: Path) -> dict[str, tuple[int, int, int]]:
    """The stored originals (originals/LANG/NAME.md), with their stat; links are not followed."""
    from .model import ORIGINALS

    top = root / ORIGINALS
    found: dict[str, tuple[int, int, int]] = {}
    if not top.is_dir() or top.is_symlink():
        return found
    for lang in sorted(os.listdir(top)):
        folder = top / lang
        if folder.is_symlink() or not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".md"):
                st = os.lstat(folder / name)
                if stat_mod.S_ISREG(st.st_mode):
                    found[f"{ORIGINALS}/{lang}/{name}"] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def _relativized(make: Callable[[], bytes | Path], path: str, prefix: str) -> bytes:
    from .relative import relativized

    data = make()  # (a page: its bytes)
    return relativized(data if isinstance(data, bytes) else data.read_bytes(), path, prefix)


def _due(rec: Record, now: int) -> bool:
    """promotion.is_due, of an approved file's record: dated now or before, or undated."""
    return rec.date is None or rec.when <= now


def _says_public(path: Path) -> bool:
    """Whether a file that did not parse says, in its first lines, that it is published or approved."""
    if os.path.islink(path):  # never read through a link (the link is the problem)
        return False
    try:
        head = path.read_bytes()[:4000].decode("utf-8", "replace")
    except OSError:
        return False
    import re

    return bool(re.search(r"^state:\s*['\"]?(published|approved)\b", head, re.M | re.I))


def _history_at_head(root: Path, stored: Any) -> Any:
    """The history (history.History) brought up to Git's HEAD from the one
    stored; None when HEAD has not moved (one `git rev-parse`)."""
    head = gitstore.head(root)
    if head == stored.head and not (head is None and stored.changed):
        return None
    from . import history
    from .reading import CONTENT_DIRS

    return history.update(root, history.History(*stored), CONTENT_DIRS, head=head)


class _Background:
    """`func(*args)` run in a thread, for work that mostly waits (on git
    processes); its result, or its exception, is taken with `result`."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
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


__all__ = ["BuildResult", "RESERVED", "build", "Record", "when_of"]
