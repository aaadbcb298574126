"""The build: content repository -> static site and feeds. Use case.

load (with the parse cache) -> check -> select what is public -> history
(updated times) -> plan every output file with a key naming its bytes ->
`site.write_site` makes only the files whose key changed, then swaps the
new site in atomically. Markdown is rendered once per distinct file content
(the render cache); pages and feeds are made only when their key changed.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import sqlite3
import stat as stat_mod
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import jinja2
from markupsafe import Markup

from . import comments, feeds, history, render
from .config import Config
from .content import CONTENT_DIRS, content_paths, load_config, set_problems
from .errors import BuildError, Problem
from .ledger import load_ledger
from .model import Kind, Post, State
from .postfile import kind_of, parse_post
from .promotion import is_due
from .site import Output, WriteReport, write_site
from .taxonomy import Term, assign_slugs
from .urls import absolute, entry_id, path_of

# Bump when the output changes for a reason no cache key can see (new code).
BUILD_VERSION = "2"
CACHE_DIR = ".gulagpub-cache"
TEMPLATES_DIR = "templates"
RESERVED = {"tag", "category", "page", "archive", "feed.atom", "feed.rss", "feed.json",
            "style.css", "favicon.svg", "404.html", "sitemap.xml", "robots.txt", "templates"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
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


@dataclass
class _Cached:
    """One content file as last parsed: its stat, hash, post without body, problems."""

    stat: tuple[int, int, int]
    sha: str
    post: Post | None
    problems: list[Problem]
    summary: str | None = None


SHARDS = 32


def _shard(path: str) -> str:
    return f"posts-{zlib.crc32(path.encode('utf-8')) % SHARDS:02d}.pickle"


class Cache:
    """`.gulagpub-cache/` at the content root (gitignored): parsed posts by
    file stat, rendered HTML by content hash, the Git history."""

    def __init__(self, root: Path) -> None:
        self.dir = root / CACHE_DIR
        self.posts: dict[str, _Cached] = {}
        for n in range(SHARDS):  # one edit rewrites one small shard, not all parsed posts
            self.posts.update(self._load(f"posts-{n:02d}.pickle") or {})
        self.history: history.History = self._load("history.pickle") or history.History()
        self._dirty: set[str] = set()
        self._conn: sqlite3.Connection | None = None
        self._pending: dict[str, str] = {}

    def _load(self, name: str) -> Any:
        try:
            with open(self.dir / name, "rb") as f:
                data = pickle.load(f)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
            return None
        if isinstance(data, tuple) and len(data) == 2 and data[0] == BUILD_VERSION:
            return data[1]
        return None

    def mark(self, name: str) -> None:
        self._dirty.add(name)

    def mark_post(self, path: str) -> None:
        self._dirty.add(_shard(path))

    def save(self) -> None:
        self.close()
        if not self._dirty:
            return
        self.dir.mkdir(exist_ok=True)
        gitignore = self.dir / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="utf-8")
        shards: dict[str, dict[str, _Cached]] = {}
        for path, entry in self.posts.items():
            shards.setdefault(_shard(path), {})[path] = entry
        files: list[tuple[str, Any]] = [("history.pickle", self.history)]
        files += [(name, shards.get(name, {})) for name in sorted(self._dirty) if name.startswith("posts-")]
        for name, value in files:
            if name in self._dirty:
                tmp = self.dir / (name + ".tmp")
                with open(tmp, "wb") as f:
                    pickle.dump((BUILD_VERSION, value), f, protocol=pickle.HIGHEST_PROTOCOL)
                tmp.replace(self.dir / name)
        self._dirty.clear()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.dir.mkdir(exist_ok=True)
            self._conn = sqlite3.connect(self.dir / "html.sqlite", isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS html (sha TEXT PRIMARY KEY, html TEXT NOT NULL)")
        return self._conn

    def get_html(self, sha: str) -> str | None:
        row = self._db().execute("SELECT html FROM html WHERE sha = ?", (sha,)).fetchone()
        return row[0] if row else None

    def get_many_html(self, shas: list[str]) -> dict[str, str]:
        """Rendered HTML for many hashes in few queries (one file, not one per post)."""
        found: dict[str, str] = {}
        db = self._db()
        for i in range(0, len(shas), 500):
            chunk = shas[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(db.execute(f"SELECT sha, html FROM html WHERE sha IN ({marks})", chunk))
        return found

    def put_html(self, sha: str, html: str) -> None:
        self._pending[sha] = html

    def close(self) -> None:
        if self._pending:
            db = self._db()
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO html VALUES (?, ?)", self._pending.items())
            self._pending.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _environment(root: Path) -> tuple[jinja2.Environment, str]:
    """Templates from the content repository's templates/ first, then the package's;
    and a digest of all of them (part of every page's key)."""
    package = Path(__file__).parent / "templates"
    own = root / TEMPLATES_DIR
    h = hashlib.blake2b(digest_size=16)
    for folder in (own, package):
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.is_file():
                    h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    loaders: list[jinja2.BaseLoader] = []
    if own.is_dir():
        loaders.append(jinja2.FileSystemLoader(own))
    loaders.append(jinja2.FileSystemLoader(package))
    # Compiled templates are kept in the cache: compiling them was a tenth of a
    # one-edit rebuild (profiled). Jinja2 checks the sources' times itself.
    (root / CACHE_DIR / "jinja").mkdir(parents=True, exist_ok=True)
    # auto_reload off: templates do not change during a build, and checking their
    # times for every page (and every include) was a twentieth of it (profiled).
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, auto_reload=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             finalize=_xml_safe,
                             bytecode_cache=jinja2.FileSystemBytecodeCache(str(root / CACHE_DIR / "jinja")))
    return env, h.hexdigest()


def _xml_safe(value: Any) -> Any:
    """Every text a template prints, without the characters XML 1.0 forbids
    (Markup comes from render.markdown_to_html, which strips them already)."""
    if type(value) is str:
        return _stripped(value)
    return value


@functools.lru_cache(maxsize=1 << 16)
def _stripped(text: str) -> str:
    # Pages repeat the same texts (site title, feed links, tag names): a tenth
    # of the CPU of a full build went to stripping them again (profiled).
    return render.strip_forbidden(text)


def _static(env: jinja2.Environment, name: str) -> bytes:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source.encode("utf-8")


# Feed documents whose middle entries are this close in time go to the same writer.
_STRETCH = 40

# Below this many changed files, parsing in this process is faster than starting workers.
PARALLEL_FROM = 200


def _sha(path: str, data: bytes) -> str:
    """The cache's name for a content file's bytes."""
    return _h(path, hashlib.blake2b(data, digest_size=16).hexdigest())


def _parse_and_render(job: tuple[str, str, bytes | None, str, Any]
                      ) -> tuple[str, Post | None, list[Problem], str | None, str | None]:
    """Read (unless `data` is given), parse and render one file: (its sha, post
    without body, problems, HTML, summary). Reading and hashing here, in the
    workers, spares the parent reading every file and sending it to them."""
    path, full, data, lang, tz = job
    if data is None:
        with open(full, "rb") as f:
            data = f.read()
    sha = _sha(path, data)
    post, problems = parse_post(path, data, default_lang=lang, tz=tz)
    if post is None:
        return sha, None, problems, None, None
    html = render.markdown_to_html(post.body)
    # The cache keeps what the build reads: no body (HTML is cached apart), no raw meta.
    return sha, replace(post, body="", meta={}), problems, html, render.summary_of(post, html)


def load_posts(root: Path, config: Config, cache: Cache,
               rendered: dict[str, str] | None = None) -> tuple[list[Post], list[Problem]]:
    """Every content file, parsed (from the cache when its stat is unchanged).
    Changed files are parsed and rendered at once (on every core when there
    are many: the cold build's main cost); their HTML goes into `rendered`
    by content hash. Returns posts without bodies, and problems."""
    tz = config.site.tz
    problems: list[Problem] = []
    paths = content_paths(root)
    seen = set(paths)
    for gone in [p for p in cache.posts if p not in seen]:
        del cache.posts[gone]
        cache.mark_post(gone)
    # Files not seen before are read by whoever parses them; changed ones are
    # read here, as a file touched but not changed needs no parsing.
    todo: list[tuple[str, str, bytes | None, tuple[int, int, int]]] = []
    base = str(root)
    for path in paths:
        full = os.path.join(base, path)
        if kind_of(path) is None:
            problems.append(Problem(path, 0, "not where content lives: use posts/NAME.md, "
                                    "translations/LANG/NAME.md or pages/NAME.md"))
            continue
        st = os.lstat(full)
        if stat_mod.S_ISLNK(st.st_mode):
            problems.append(Problem(path, 0, "is a symbolic link; content files must be plain files"))
            continue
        stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        entry = cache.posts.get(path)
        if entry is None:
            todo.append((path, full, None, stat))
        elif entry.stat != stat:
            with open(full, "rb") as f:
                data = f.read()
            sha = _sha(path, data)
            if entry.sha != sha:
                todo.append((path, full, data, stat))
            else:
                cache.posts[path] = _Cached(stat, sha, entry.post, entry.problems, entry.summary)
                cache.mark_post(path)
    jobs = [(path, full, data, config.site.lang, tz) for path, full, data, _ in todo]
    if len(jobs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        import multiprocessing  # here: a one-edit build does not pay for importing them
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_parse_and_render, jobs, chunksize=64))
    else:
        results = [_parse_and_render(job) for job in jobs]
    for (path, _, _, stat), (sha, post, probs, html, summary) in zip(todo, results):
        cache.posts[path] = _Cached(stat, sha, post, probs, summary)
        cache.mark_post(path)
        if html is not None:
            cache.put_html(sha, html)
            if rendered is not None:
                rendered[sha] = html
    posts: list[Post] = []
    for path in paths:
        entry = cache.posts.get(path)
        if entry is None:
            continue
        problems.extend(entry.problems)
        if entry.post is not None:
            posts.append(entry.post)
    problems.extend(set_problems(posts, set(paths)))
    return posts, problems


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


@dataclass
class _Item:
    """What lists and feeds need of one public post."""

    post: Post
    sha: str
    path: str  # site path, '/.../'
    url: str
    updated: datetime
    summary: str
    tags: list[Term]
    categories: list[Term]
    key: str = ""
    rank: int = 0  # place among all items, newest first


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
        self.env, templates = _environment(root)
        config_text = (root / "gulagpub.toml").read_bytes()
        self.gen = _h(BUILD_VERSION, templates, config_text, drafts)
        self.prefix = urlsplit(self.config.site.base_url).path or "/"
        self.rendered = 0
        self.templates: dict[str, jinja2.Template] = {}
        self.html: dict[str, str] = {}
        self.entries: dict[str, feeds.Rendered] = {}
        self._when: dict[datetime, tuple[str, str]] = {}
        self.in_json_feed: set[str] = set()  # the items some JSON feed holds

    # --- content ----------------------------------------------------------
    def body_html(self, post: Post) -> str:
        sha = self.cache.posts[post.path].sha
        if sha in self.html:
            return self.html[sha]
        html = self.cache.get_html(sha)
        if html is None:  # the HTML cache was deleted: render again
            full, _ = parse_post(post.path, (self.root / post.path).read_bytes(),
                                 default_lang=self.config.site.lang, tz=self.config.site.tz)
            html = render.markdown_to_html(full.body if full else "")
            self.cache.put_html(sha, html)
        self.html[sha] = html
        return html

    def summary(self, post: Post) -> str:
        entry = self.cache.posts[post.path]
        if entry.summary is None:
            entry.summary = render.summary_of(post, self.body_html(post))
            self.cache.mark_post(post.path)
        return entry.summary

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
        return self.template(template).render(site=self.site_ctx, **ctx).encode("utf-8")

    # --- the build ----------------------------------------------------------
    def run(self) -> BuildResult:
        cfg = self.config
        posts, problems = load_posts(self.root, cfg, self.cache, self.html)
        self.rendered = len(self.html)
        self.say(f"read {len(posts)} content file(s)")
        by_path = {p.path: p for p in posts}
        blocking = [p for p in problems if _blocking(p, by_path, self.root, self.now)]
        for p in posts:
            if p.kind == Kind.PAGE and p.slug in RESERVED | {l.lower() for l in {q.lang for q in posts}}:
                if p.state == State.PUBLISHED:
                    blocking.append(Problem(p.path, p.line_of("slug"),
                                            f"page slug '{p.slug}' is used by the site itself; "
                                            "choose another 'slug:'"))
        if blocking:
            self.cache.save()
            raise BuildError("the site was not built (the previous one is untouched):\n"
                             + "\n".join(str(p) for p in sorted(set(blocking))))
        warnings = sorted(set(problems))

        def public(p: Post) -> bool:
            if self.drafts:
                return p.state != State.WITHDRAWN
            return p.state == State.PUBLISHED

        visible = [p for p in posts if public(p)]
        originals = {p.path for p in visible if p.kind == Kind.POST}
        visible = [p for p in visible if p.kind != Kind.TRANSLATION or p.original in originals
                   or self.drafts]
        hist = history.update(self.root, self.cache.history, CONTENT_DIRS)
        if hist is not self.cache.history:
            self.cache.history = hist
            self.cache.mark("history.pickle")
        ledger = load_ledger(self.root)

        tags = assign_slugs({t for p in visible for t in p.tags})
        cats = assign_slugs({c for p in visible for c in p.categories})
        langs = sorted({p.lang for p in visible if p.kind != Kind.PAGE})
        self.site_ctx = _Attrs({
            "title": cfg.site.title, "description": cfg.site.description, "root": self.prefix,
            "languages": [_Attrs({"code": l, "name": render.language_name(l),
                                  "href": self.href(f"/{quote(l.lower())}/")}) for l in langs]
            if len(langs) > 1 else [],
        })

        items: dict[str, _Item] = {}
        for p in visible:
            if p.kind == Kind.PAGE:
                continue
            published = p.date or self.now
            changed = hist.last_change(p.path)
            updated = p.updated or max(published, changed or published)
            path = path_of(p, cfg)
            it = _Item(p, self.cache.posts[p.path].sha, path, absolute(path, cfg), updated,
                       self.summary(p), [tags[t] for t in p.tags], [cats[c] for c in p.categories])
            it.key = _h(it.sha, path, updated.isoformat(), published.isoformat(), it.summary,
                        [(t.name, t.slug) for t in it.tags], [(c.name, c.slug) for c in it.categories])
            items[p.path] = it
        self.say(f"{len(items)} post(s) and language version(s) to publish")

        # Language versions of each post, by the original's path.
        family: dict[str, list[_Item]] = {}
        for it in items.values():
            family.setdefault(it.post.original or it.post.path, []).append(it)

        outputs: list[Output] = []
        newest_first = sorted(items.values(), key=lambda i: (i.post.date or self.now, i.post.path),
                              reverse=True)
        for rank, it in enumerate(newest_first):
            it.rank = rank
        site_feeds = self.feed_links("/", cfg.site.title)

        archives = _comment_files(self.root, {it.post.path.rpartition("/")[0] for it in items.values()})
        for it in items.values():
            mast = ledger.get(entry_id(it.post, cfg)) if ledger else None
            mastodon = mast.url if mast and mast.state == "posted" and mast.url else None
            others = sorted((o for o in family[it.post.original or it.post.path] if o is not it),
                            key=lambda o: o.post.lang)
            archive = comments.path_for(it.post.path)
            archived = (self.root / archive).read_bytes() if archive in archives else b""
            key = _h(self.gen, "post", it.key, mastodon, [(o.post.lang, o.path, o.post.title) for o in others],
                     hashlib.blake2b(archived, digest_size=16).hexdigest())
            outputs.append(Output(self.file_of(it.path), key,
                                  lambda it=it, others=others, mastodon=mastodon, archived=archived:
                                  self.post_page(it, others, mastodon, site_feeds, archived)))
            for alias in it.post.aliases:
                outputs.append(Output(self.file_of(alias), _h(self.gen, "alias", it.path, it.post.title),
                                      lambda it=it: self.redirect(it.post, it.path)))
        for p in visible:
            if p.kind == Kind.PAGE:
                path = path_of(p, cfg)
                key = _h(self.gen, "page", self.cache.posts[p.path].sha)
                outputs.append(Output(self.file_of(path), key, lambda p=p, path=path: self.page(
                    "page.html", lang=p.lang, dir=None, description=p.summary or "",
                    canonical=absolute(path, cfg), feeds=site_feeds,
                    post=_Attrs({"title": p.title, "lang": p.lang, "content_warning": p.content_warning,
                                 "html": Markup(self.body_html(p))}))))
                for alias in p.aliases:
                    outputs.append(Output(self.file_of(alias), _h(self.gen, "alias", path, p.title),
                                          lambda p=p, path=path: self.redirect(p, path)))

        # Lists and feeds: the site (originals), each language, tag, category.
        n_feeds = 0
        originals_list = [i for i in newest_first if i.post.kind == Kind.POST]
        collections: list[tuple[str, str, str, list[_Item], bool]] = [
            ("/", "", cfg.site.lang, originals_list, True)]
        if len(langs) > 1:
            for l in langs:
                collections.append((f"/{quote(l.lower())}/", render.language_name(l), l,
                                    [i for i in newest_first if i.post.lang == l], True))
        for kind, terms, attr in (("tag", tags, "tags"), ("category", cats, "categories")):
            members: dict[str, list[_Item]] = {}
            for i in newest_first:
                for t in getattr(i, attr):
                    members.setdefault(t.name, []).append(i)
            for name, term in sorted(terms.items(), key=lambda kv: kv[1].slug):
                label = "Tag" if kind == "tag" else "Category"
                collections.append((f"/{kind}/{term.quoted}/", f"{label}: {name}", cfg.site.lang,
                                    members.get(name, []), False))
        for base, heading, lang, members, archives in collections:
            outputs.extend(self.list_pages(base, heading, lang, members))
            fo = self.feed_outputs(base, heading, lang, members, archives)
            n_feeds += len(fo)
            outputs.extend(fo)

        outputs.append(Output("404.html", _h(self.gen, "404"), lambda: self.page(
            "404.html", lang=cfg.site.lang, dir=None, description="",
            canonical=absolute("/404.html", cfg), feeds=site_feeds)))
        for static in ("style.css", "favicon.svg"):
            outputs.append(Output(static, _h(self.gen, static), lambda static=static: _static(self.env, static)))
        outputs.append(Output("robots.txt", _h(self.gen, "robots"), lambda: (
            f"User-agent: *\nAllow: /\nSitemap: {absolute('/sitemap.xml', cfg)}\n").encode()))
        redirects = self.root / "_redirects"  # old WordPress URLs, from `gulagpub import wordpress`
        if redirects.is_file() and not redirects.is_symlink():
            rules = redirects.read_bytes()
            outputs.append(Output("_redirects", _h(self.gen, "redirects", rules), lambda: rules))
        sitemap_rows = [(absolute("/", cfg), max((i.updated for i in items.values()), default=None))]
        sitemap_rows += [(i.url, i.updated) for i in sorted(items.values(), key=lambda i: i.path)]
        sitemap_rows += [(absolute(path_of(p, cfg), cfg), None) for p in visible if p.kind == Kind.PAGE]
        outputs.append(Output("sitemap.xml", _h(self.gen, "sitemap", [(u, w) for u, w in sitemap_rows]),
                              lambda: _sitemap(sitemap_rows)))

        n_pages = sum(1 for o in outputs if o.path.endswith(".html"))
        self.say(f"writing {len(outputs)} file(s) ({n_pages} pages, {n_feeds} feeds)")
        # The HTML cache's connection must not be shared with forked writers.
        self.cache.close()
        # Each writer serializes the feed entries it needs, once (rendered_entry):
        # entries are cheap to make (feeds._direct_xml), dearer to send between processes.
        report = write_site(self.out, outputs, workers=min(2, os.cpu_count() or 1))
        self.cache.save()
        self.say(f"{report.written} file(s) written, {report.unchanged} unchanged, "
                 f"{report.removed} removed; {self.rendered} rendered")
        return BuildResult(out=self.out, posts=len(items), pages=n_pages, feeds=n_feeds,
                           rendered=self.rendered, report=report, warnings=warnings)

    # --- page makers --------------------------------------------------------
    def feed_links(self, base: str, title: str) -> list[_Attrs]:
        return [
            _Attrs({"type": "application/atom+xml", "title": f"{title} (Atom)", "href": self.href(base + "feed.atom")}),
            _Attrs({"type": "application/rss+xml", "title": f"{title} (RSS)", "href": self.href(base + "feed.rss")}),
            _Attrs({"type": "application/feed+json", "title": f"{title} (JSON Feed)", "href": self.href(base + "feed.json")}),
        ]

    def archived_comments(self, data: bytes) -> list[_Attrs]:
        """Comments kept from the old blog (posts/NAME.comments.yaml), as HTML."""
        found = comments.parse_comments(data) if data else []
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

    def list_pages(self, base: str, heading: str, lang: str, members: list[_Item]) -> Iterator[Output]:
        per = self.config.site.per_page
        pages = max(1, (len(members) + per - 1) // per)
        feeds_here = self.feed_links(base, heading or self.config.site.title)
        if base != "/":
            feeds_here += self.feed_links("/", self.config.site.title)
        for n in range(1, pages + 1):
            chunk = members[(n - 1) * per:n * per]
            path = base if n == 1 else f"{base}page/{n}/"
            newer = None if n == 1 else (base if n == 2 else f"{base}page/{n - 1}/")
            older = f"{base}page/{n + 1}/" if n < pages else None
            key = _h(self.gen, "list", base, heading, lang, n, pages, [i.key + i.path + i.post.title for i in chunk])

            def make(chunk: list[_Item] = chunk, path: str = path, n: int = n,
                     newer: str | None = newer, older: str | None = older) -> bytes:
                rows = []
                for i in chunk:
                    iso, human = self.when(i.post.date or self.now)
                    rows.append(_Attrs({"title": i.post.title, "href": self.href(i.path), "lang": i.post.lang,
                                        "date_iso": iso, "date_human": human, "summary": i.summary}))
                return self.page("list.html", lang=lang, dir=_direction(lang),
                                 description=self.config.site.description,
                                 canonical=absolute(path, self.config), feeds=feeds_here,
                                 heading=heading, items=rows,
                                 pager=_Attrs({"number": n, "pages": pages,
                                               "newer": self.href(newer) if newer else None,
                                               "older": self.href(older) if older else None}))

            yield Output(self.file_of(path), key, make)

    def rendered_entry(self, it: _Item) -> feeds.Rendered:
        """The entry of `it`, serialized once per build for all the feeds it is in."""
        done = self.entries.get(it.path)
        if done is None:
            done = self.entries[it.path] = feeds.serialize(self.entry(it), it.path in self.in_json_feed)
        return done

    def entry(self, it: _Item) -> feeds.Entry:
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

    def feed_outputs(self, base: str, heading: str, lang: str, members: list[_Item],
                     archives: bool) -> list[Output]:
        cfg = self.config
        title = f"{cfg.site.title} – {heading}" if heading else cfg.site.title
        info = feeds.FeedInfo(title=title, subtitle=cfg.site.description or title,
                              home=absolute(base, cfg), base=absolute(base, cfg), lang=lang,
                              author=cfg.site.title, archives=archives)
        oldest_first = list(reversed(members))
        docs = feeds.plan(oldest_first, cfg.feeds.entries, archives)
        out: list[Output] = []
        fallback = datetime(1970, 1, 1, tzinfo=timezone.utc)
        for doc in docs:
            chosen = list(doc.entries)
            key = _h(self.gen, "feed", info, doc.number, doc.pages, [i.key + i.path for i in chosen])

            def real(chosen: list[_Item] = chosen, doc: feeds.Document[_Item] = doc) -> feeds.Document[feeds.Rendered]:
                return feeds.Document(doc.number, tuple(self.rendered_entry(i) for i in chosen), doc.pages)

            if doc.number == 0 and cfg.feeds.json_feed:
                self.in_json_feed.update(i.path for i in chosen)
            # A writer serializes each entry it needs once: documents over the same
            # stretch of time (the site's archive page and its language's, a tag's
            # feed and its category's) go to the same writer, so fewer entries are
            # serialized by both.
            group = chosen[len(chosen) // 2].rank // _STRETCH if chosen else None
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


def _comment_files(root: Path, folders: set[str]) -> set[str]:
    """The comments files (plain files, not links) in these content folders: one
    listing per folder instead of a stat per post."""
    found: set[str] = set()
    for folder in folders:
        try:
            with os.scandir(root / folder) as entries:
                found.update(f"{folder}/{e.name}" for e in entries
                             if e.name.endswith(comments.SUFFIX) and e.is_file(follow_symlinks=False))
        except OSError:
            continue
    return found


def _esc(text: str) -> str:
    return str(Markup.escape(text))


_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"}


def _direction(lang: str) -> str | None:
    return "rtl" if lang.split("-")[0].lower() in _RTL else None


def _sitemap(rows: list[tuple[str, datetime | None]]) -> bytes:
    def escape(text: str) -> str:  # xml.sax.saxutils.escape, without importing urllib.request
        return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, when in rows:
        lines.append(f"<url><loc>{escape(url)}</loc>" + (
            f"<lastmod>{when.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>" if when else "")
            + "</url>")
    lines.append("</urlset>")
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
    try:
        return _Builder(root, out, now, drafts, progress).run()
    finally:
        if was_enabled:
            gc.enable()
