"""The HTML pages: each page's context, rendered with the site's templates
(theme.py). Pure but for the templates and sources it is handed.

Templates see only plain values: texts, numbers, lists and records of them
(`Attrs`), never an object of the build. What many pages show alike (the
header, the footer, a list's feed links, each post's row in the lists) is
rendered once per build and shown as is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from markupsafe import Markup

from . import theme
from .config import Config
from .images import FileInfo, annotate
from .media import bundle_folder, under
from .model import Post, State
from .sources import Item, Sources
from .urls import absolute

if TYPE_CHECKING:
    import jinja2

    from .citation import Cited

    from .feeds import Format

# What a template of the repository's may raise while rendering (besides Jinja's own errors).
_TEMPLATE_ERRORS: tuple[type[Exception], ...] = (ArithmeticError, AttributeError, LookupError, TypeError,
                                                 ValueError)
_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"}


def direction(lang: str) -> str | None:
    return "rtl" if lang.split("-")[0].lower() in _RTL else None


def ris_path(path: str) -> str:
    """Where a page's citation file is ('/a/b/' -> '/a/b/cite.ris', '/a.html' -> '/a.ris')."""
    return path + "cite.ris" if path.endswith("/") else path.rsplit(".", 1)[0] + ".ris"


_PDF = re.compile(r'<a\b[^>]*?\shref="([^"#?]+\.pdf)"', re.I)


def _pdf_link(html: str, url: str) -> str | None:
    """The first PDF on this site that a post links to (the document as a PDF), as an absolute URL."""
    if ".pdf" not in html and ".PDF" not in html:
        return None
    host = urlsplit(url).netloc
    for m in _PDF.finditer(html):
        found = urljoin(url, unescape(m.group(1)))
        if urlsplit(found).netloc == host:
            return found
    return None


def file_of(path: str) -> str:
    """The output file for a site path ('/a/b/' -> 'a/b/index.html')."""
    p = unquote(path).lstrip("/")
    return p + "index.html" if p.endswith("/") or not p else p


class Attrs:
    """A template's context values, which templates read as attributes
    (`post.title`) or as keys (`post['title']`). They are the instance's
    attributes, so that Jinja's attribute lookup (tried first) is answered by
    Python's own, with no call into Python code."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__


class _Rows(Sequence[Attrs]):
    """A list page's items as template values, made only if the template reads
    them (the packaged list.html shows the rendered `rows` instead)."""

    def __init__(self, chunk: list[Item], pages: Pages) -> None:
        # (Private: a template may read only what item_ctx gives, never the build's objects.)
        self._chunk, self._pages = chunk, pages

    def __len__(self) -> int:
        return len(self._chunk)

    def __getitem__(self, n: Any) -> Any:
        if isinstance(n, slice):
            return [self._pages.item_ctx(i) for i in self._chunk[n]]
        return self._pages.item_ctx(self._chunk[n])


class Pages:
    """Makes the site's pages from its sources."""

    def __init__(self, root: Path, state: Path, config: Config, sources: Sources, langs: Sequence[str],
                 formats: Sequence[Format]) -> None:
        self.root, self.state, self.config, self.sources = root, state, config, sources
        self.langs = list(langs)
        self.formats = formats
        self.prefix = urlsplit(config.site.base_url).path or "/"
        self._env: jinja2.Environment | None = None
        self._templates: dict[str, jinja2.Template] = {}
        self._fragments: dict[Any, Markup] = {}
        self._rows: dict[str, Markup] = {}
        self._when: dict[datetime, tuple[str, str]] = {}

    # --- templates -------------------------------------------------------------
    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = theme.environment(self.root, self.state)
        return self._env

    def template(self, name: str) -> jinja2.Template:
        found = self._templates.get(name)
        if found is None:
            import jinja2

            try:
                found = self._templates[name] = self.env.get_template(name)
            except jinja2.TemplateError as exc:
                raise theme.template_error(exc, name) from exc
        return found

    def render(self, name: str, **ctx: Any) -> str:
        """A template rendered; whatever a template of the repository's gets wrong, a BuildError naming it."""
        import jinja2

        template = self.template(name)
        try:
            return template.render(**ctx)
        except (jinja2.TemplateError, *_TEMPLATE_ERRORS) as exc:  # type: ignore[misc]
            raise theme.template_error(exc, name) from exc

    def prepare(self) -> None:
        """Load here, once, what every writer renders with (the templates compiled,
        the site's header): forked writers start with them."""
        from . import feeds, render  # noqa: F401 - imported for the writers

        for name in ("post.html", "list.html", "page.html", "_item.html", "_feeds.html"):
            self.template(name)
        _ = self.site

    def fragment(self, template: str, **ctx: Any) -> Markup:
        """A partial template, rendered once and shown on many pages (escaped already)."""
        return Markup(self.render(template, **ctx))

    def page(self, template: str, **ctx: Any) -> bytes:
        feeds_ = ctx.get("feeds")
        if feeds_ is not None:  # a page's feed links: the same for every page of a list, or of the site
            key = tuple((f.type, f.title, f.href) for f in feeds_)
            links = self._fragments.get(key)
            if links is None:
                links = self._fragments[key] = self.fragment("_feeds.html", feeds=feeds_)
            ctx["feed_links"] = links
        return self.render(template, site=self.site, **ctx).encode("utf-8")

    @functools.cached_property
    def site(self) -> Attrs:
        from . import render

        site = Attrs({
            "title": self.config.site.title, "description": self.config.site.description, "root": self.prefix,
            "languages": [Attrs({"code": code, "name": render.language_name(code),
                                 "href": self.href(f"/{quote(code.lower())}/")}) for code in self.langs]
            if len(self.langs) > 1 else [],
            "search": self.href("/search/") if self.config.site.search else None,
        })
        # What every page shows alike, rendered once per build.
        site.__dict__.update(header=self.fragment("_header.html", site=site),
                             footer=self.fragment("_footer.html", site=site))
        return site

    # --- small parts -----------------------------------------------------------
    def href(self, path: str) -> str:
        """A site path ('/a/b/') as a link on the site (under base_url's path)."""
        return self.prefix + path.lstrip("/")

    def when(self, dt: datetime) -> tuple[str, str]:
        done = self._when.get(dt)
        if done is None:
            from . import render

            local = dt.astimezone(self.config.site.tz)
            done = self._when[dt] = (local.isoformat(), f"{local.day} {render.month_year(local)}")
        return done

    def feed_links(self, base: str, title: str) -> list[Attrs]:
        return [Attrs({"type": f.media_type, "title": f"{title} ({f.label})", "href": self.href(base + f"feed.{f.ext}")})
                for f in self.formats]

    def item_ctx(self, it: Item) -> Attrs:
        from .sources import when_of

        iso, human = self.when(when_of(it.published))
        return Attrs({"title": it.rec.title, "href": self.href(it.path), "lang": it.rec.lang,
                      "date_iso": iso, "date_human": human, "summary": self.sources.summary(it.src)})

    def row(self, it: Item) -> Markup:
        """An item's entry in the lists, rendered once for every list page it is on."""
        done = self._rows.get(it.src)
        if done is None:
            done = self._rows[it.src] = self.fragment("_item.html", site=self.site, item=self.item_ctx(it))
        return done

    # --- pages -----------------------------------------------------------------
    def cited(self, it: Item, p: Post, others: list[Item]) -> Cited:
        """What citations say of a post (citation.py), from its fields."""
        from .citation import Cited, Original, Picture

        src, cfg = p.source, self.config
        original = None
        if src and (src.title or src.author or src.publication or src.via or src.url):
            original = Original(title=src.title, authors=(src.author,) if src.author else (),
                                publication=src.publication, via=src.via, date=src.date, lang=src.lang, url=src.url)
        translation_of = next((o.url for o in others if o.rec.kind == "post"), None) if p.original else None
        if src is not None:  # a document from elsewhere: its author is the original's, not who posted it
            authors: tuple[str, ...] = (src.author,) if src.author else ()
        else:
            authors = (p.author,) if p.author else ()
        return Cited(
            title=p.title, url=it.url, lang=p.lang, site=cfg.site.title, site_url=cfg.site.base_url,
            published=p.date, modified=it.updated if p.date and it.updated > p.date else None,
            authors=authors, translators=p.translators, from_lang=p.translation.from_lang if p.translation else None,
            original=original, reprints=tuple((r.publication, r.date) for r in p.reprints),
            summary=self.sources.summary(it.src), tags=p.tags,
            versions=tuple((o.rec.lang, o.url) for o in others), translation_of=translation_of,
            pdf=_pdf_link(self.sources.html(it.src), it.url),
            image=Picture(it.image_url, p.image.alt, it.image.width, it.image.height)
            if it.image_url and it.image and p.image else None)

    def post_page(self, it: Item, others: list[Item], mastodon: str | None, archived: bytes,
                  files: dict[str, FileInfo] | None = None) -> bytes:
        from . import citation, render

        src = self.sources
        p = src.shown(it.src)
        tags, cats = src.terms(it)
        iso, human = self.when(p.date) if p.date else ("", "")
        versions = [Attrs({"lang": o.rec.lang, "url": o.url}) for o in [it, *others]] if others else []
        cited = self.cited(it, p, others)
        cite = citation.chicago(cited)
        ctx = Attrs({
            "title": p.title, "lang": p.lang, "date": p.date is not None, "date_iso": iso,
            "date_human": human, "author": p.author, "state": p.state.value,
            "draft": p.state != State.PUBLISHED,
            "provenance": render.provenance(p), "content_warning": p.content_warning,
            "html": Markup(annotate(under(src.html(it.src), self.prefix), bundle_folder(it.src), files or {},
                                    self.prefix)),
            "tags": [Attrs({"name": t.name, "href": self.href(f"/tag/{t.quoted}/")}) for t in tags],
            "categories": [Attrs({"name": c.name, "href": self.href(f"/category/{c.quoted}/")}) for c in cats],
            "others": [Attrs({"lang": o.rec.lang, "name": render.language_name(o.rec.lang),
                              "title": o.rec.title, "href": self.href(o.path)}) for o in others],
            "versions": versions, "mastodon": mastodon,
            "comments": self.archived_comments(archived),
            "source_url": p.source.url if p.source else None,
            "cite": Attrs({"head": Markup(citation.head_html(cited)), "note": Markup(cite.note),
                           "bibliography": Markup(cite.bibliography), "ris": self.href(ris_path(it.path)),
                           "ris_name": f"{p.slug}.ris"}),
        })
        return self.page("post.html", lang=p.lang, dir=direction(p.lang), description=src.summary(it.src),
                         canonical=it.url, feeds=self.feed_links("/", self.config.site.title), post=ctx)

    def ris_file(self, it: Item) -> bytes:
        """The post's citation as an RIS file (citation.ris)."""
        from . import citation

        return citation.ris(self.cited(it, self.sources.shown(it.src), [])).encode("utf-8")

    def standalone_page(self, src_path: str, path: str, files: dict[str, FileInfo] | None = None) -> bytes:
        p = self.sources.shown(src_path)
        return self.page("page.html", lang=p.lang, dir=None, description=p.summary or "",
                         canonical=absolute(path, self.config), feeds=self.feed_links("/", self.config.site.title),
                         post=Attrs({"title": p.title, "lang": p.lang, "content_warning": p.content_warning,
                                     "html": Markup(annotate(under(self.sources.html(src_path), self.prefix), None,
                                                             files or {}, self.prefix))}))

    def redirect(self, src_path: str, path: str) -> bytes:
        p = self.sources.shown(src_path)
        return self.render("redirect.html", lang=p.lang, title=p.title, target=self.href(path),
                           canonical=absolute(path, self.config)).encode("utf-8")

    def list_page(self, base: str, heading: str, lang: str, chunk: list[Item], n: int, pages: int) -> bytes:
        """Page `n` of `pages` of a list."""
        cfg = self.config
        path = base if n == 1 else f"{base}page/{n}/"
        newer = None if n == 1 else (base if n == 2 else f"{base}page/{n - 1}/")
        older = f"{base}page/{n + 1}/" if n < pages else None
        feeds_here = self.feed_links(base, heading or cfg.site.title)
        if base != "/":
            feeds_here += self.feed_links("/", cfg.site.title)
        # `rows`, each item's entry rendered once (`_item.html`); `items` for a
        # list.html of the site's own that lays them out itself.
        rows = [self.row(i) for i in chunk]
        return self.page("list.html", lang=lang, dir=direction(lang), description=cfg.site.description,
                         canonical=absolute(path, cfg), feeds=feeds_here, heading=heading,
                         items=_Rows(chunk, self), rows=Markup("".join(rows)),
                         pager=Attrs({"number": n, "pages": pages, "newer": self.href(newer) if newer else None,
                                      "older": self.href(older) if older else None}))

    def not_found(self) -> bytes:
        cfg = self.config
        return self.page("404.html", lang=cfg.site.lang, dir=None, description=cfg.site.description,
                         canonical=absolute("/404.html", cfg), feeds=self.feed_links("/", cfg.site.title))

    def term_index(self, base: str, heading: str, terms: list[tuple[str, str, int]]) -> bytes:
        """The index of a kind of term (every tag, every category): (name, site path, count) each."""
        cfg = self.config
        entries = [Attrs({"name": name, "href": self.href(path), "count": count}) for name, path, count in terms]
        return self.page("terms.html", lang=cfg.site.lang, dir=direction(cfg.site.lang),
                         description=cfg.site.description, canonical=absolute(base, cfg),
                         feeds=self.feed_links("/", cfg.site.title), heading=heading, terms=entries)

    def search_page(self, path: str, lang: str, bundles: list[str], others: list[tuple[str, str]]) -> bytes:
        """A language section's search page: `bundles` the search index's shards
        in its language (site paths under the base URL), `others` the other
        sections' search pages (language, link)."""
        from . import render

        cfg = self.config
        home = self.href("/" if lang == cfg.site.lang.lower() else f"/{quote(lang)}/")
        return self.page("search.html", lang=lang, dir=direction(lang), description=cfg.site.description,
                         canonical=absolute(path, cfg), feeds=self.feed_links("/", cfg.site.title), home=home,
                         bundles=bundles, others=[Attrs({"lang": code, "href": href, "name": render.language_name(code)})
                                                  for code, href in others])

    def static(self, name: str) -> bytes:
        """A file of the theme shown as it is (the stylesheet, the icon)."""
        assert self.env.loader is not None
        source, _, _ = self.env.loader.get_source(self.env, name)
        return source.encode("utf-8")

    def feed_stylesheet(self) -> bytes:
        """feed.xsl: how a browser shows a feed to a person (feeds link it)."""
        return self.render("feed.xsl", root=self.prefix).encode("utf-8")

    def archived_comments(self, data: bytes) -> list[Attrs]:
        """Comments kept from the old blog (posts/NAME.comments.yaml), as HTML."""
        if not data:  # (most posts: without importing YAML)
            return []
        from . import comments, render

        found = comments.parse_comments(data)
        names = {c.id: c.author for c in found}
        out = []
        for c in found:
            iso, human = self.when(c.date) if c.date else ("", "")
            out.append(Attrs({"id": c.id, "author": c.author, "date_iso": iso, "date_human": human,
                              "parent": c.parent if c.parent in names else 0,
                              "parent_author": names.get(c.parent, ""), "type": c.type,
                              "html": Markup(render.markdown_to_html(c.text))}))
        return out
