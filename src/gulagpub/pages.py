"""The HTML pages: each page's context, rendered with the site's templates
(theme.py). Pure but for the templates and sources it is handed.

Templates see only plain values: texts, numbers, lists and records of them
(`Attrs`), never an object of the build. What many pages show alike (the
header, the footer, a list's feed links, each post's row in the lists) is
rendered once per build and shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from markupsafe import Markup

from . import i18n, theme
from .config import Config
from .catalog import lang_base
from .images import PARALLEL_SIZES, SIZES, FileInfo, annotate, srcset
from .media import bundle_folder, published_path, under
from .model import Post, State
from .navigation import MenuEntry
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


def N_(message: str) -> str:
    """A message to translate later, where the interface language is known (marks it for the catalogs)."""
    return message


# The index pages of the kinds of terms.
_TERM_INDEXES = {"tag": N_("Tags"), "category": N_("Categories")}
# The site's own parts in the menu (navigation.py), by name.
_MENU_LABELS = {"home": N_("Home"), "archive": N_("Archive"), "tags": N_("Tags"), "categories": N_("Categories"),
                "feeds": N_("Feeds"), "search": N_("Search")}
# What feed.xsl tells a person who opens a feed in a browser.
_FEED_WORDS = {
    "what": N_("This is a web feed"),
    "how": N_("Copy the address of this page into a feed reader (such as Thunderbird, NetNewsWire, Feeder or "
              "Inoreader) to be told of every new document. A feed holds the whole text of each document; this "
              "page shows only the latest titles."),
    "site": N_("Visit the site"), "latest": N_("Latest entries"),
}
# How the comments kept from WordPress name what is not a comment.
_COMMENT_TYPES = {"pingback": N_("pingback"), "trackback": N_("trackback")}


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

    def __init__(self, chunk: list[Item], pages: Pages, lang: str,
                 versions: dict[str, list[tuple[str, str]]]) -> None:
        # (Private: a template may read only what item_ctx gives, never the build's objects.)
        self._chunk, self._pages, self._lang, self._versions = chunk, pages, lang, versions

    def __len__(self) -> int:
        return len(self._chunk)

    def __getitem__(self, n: Any) -> Any:
        if isinstance(n, slice):
            return [self._pages.item_ctx(i, self._lang, self._versions.get(i.src, ())) for i in self._chunk[n]]
        it = self._chunk[n]
        return self._pages.item_ctx(it, self._lang, self._versions.get(it.src, ()))


class _Citing(NamedTuple):
    """The last post Pages.citing made: for which item and `others`, and what."""

    item: Item
    others: list[Item]
    post: Post
    cited: Cited


class Pages:
    """Makes the site's pages from its sources."""

    def __init__(self, root: Path, state: Path, config: Config, sources: Sources, langs: Sequence[str],
                 formats: Sequence[Format], menu: Sequence[MenuEntry] = (), indexes: Collection[str] = ()) -> None:
        self.root, self.state, self.config, self.sources = root, state, config, sources
        self.indexes = frozenset(indexes)  # the site's indexes of terms ('/tag/', '/es/tag/'…): the menu leads to its language's
        self.langs = list(langs)
        self.menu = list(menu)
        self.formats = formats
        self.prefix = urlsplit(config.site.base_url).path or "/"
        self._envs: dict[str, jinja2.Environment] = {}
        self._templates: dict[tuple[str, str], jinja2.Template] = {}
        self._uis: dict[str, i18n.Interface] = {}
        self._fragments: dict[Any, Markup] = {}
        self._rows: dict[tuple[str, str], Markup] = {}
        self._when: dict[tuple[datetime, str], tuple[str, str]] = {}
        self._sites: dict[str, Attrs] = {}
        self._citing: _Citing | None = None

    # --- templates -------------------------------------------------------------
    def ui(self, lang: str) -> i18n.Interface:
        """The interface (words, dates) of a page in `lang`."""
        found = self._uis.get(lang)
        if found is None:
            found = self._uis[lang] = i18n.interface(i18n.interface_lang(lang, self.config.site.lang))
        return found

    def env(self, lang: str) -> jinja2.Environment:
        """The templates as they are compiled for pages in `lang`."""
        ui = self.ui(lang)
        found = self._envs.get(ui.lang)
        if found is None:
            found = self._envs[ui.lang] = theme.environment(self.root, self.state, ui)
        return found

    def template(self, name: str, lang: str) -> jinja2.Template:
        found = self._templates.get((name, lang))
        if found is None:
            import jinja2

            try:
                found = self._templates[name, lang] = self.env(lang).get_template(name)
            except jinja2.TemplateError as exc:
                raise theme.template_error(exc, name) from exc
        return found

    def render(self, name: str, **ctx: Any) -> str:
        """A template rendered in the language `ctx` names (`lang`, else the
        site's); whatever a template of the repository's gets wrong, a
        BuildError naming it."""
        import jinja2

        template = self.template(name, ctx.get("lang") or self.config.site.lang)
        try:
            return template.render(**ctx)
        except (jinja2.TemplateError, *_TEMPLATE_ERRORS) as exc:  # type: ignore[misc]
            raise theme.template_error(exc, name) from exc

    def prepare(self) -> None:
        """Load here, once, what every writer renders with (in each language: the
        templates compiled, its catalog and CLDR data, the site's header): forked
        writers start with them, instead of each loading them again."""
        from . import feeds, render  # noqa: F401 - imported for the writers

        for lang in dict.fromkeys([self.config.site.lang, *self.langs]):
            for name in ("post.html", "list.html", "page.html", "_item.html", "_feeds.html", "archive.html"):
                self.template(name, lang)
            self.ui(lang).load()
            self.site_for(lang)

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
        site = self.site_for(ctx["lang"])
        if ctx.get("switcher") is None:
            ctx["switcher"] = site["switcher"]
        return self.render(template, site=site, **ctx).encode("utf-8")

    @property
    def site(self) -> Attrs:
        """The site as the pages in its own language show it."""
        return self.site_for(self.config.site.lang)

    def site_for(self, lang: str) -> Attrs:
        """The site as a page in `lang` shows it (its header and footer in the page's interface language)."""
        ui = self.ui(lang)
        done = self._sites.get(lang)
        if done is not None:
            return done
        home = self.section_home(lang)
        parts = {"home": home, "archive": f"{home}archive/", "feeds": f"{home}feed.atom", "search": f"{home}search/",
                 **{part: f"{home}{kind}/" if f"{home}{kind}/" in self.indexes else f"/{kind}/"
                    for part, kind in (("tags", "tag"), ("categories", "category"))}}
        site = Attrs({
            "title": self.config.site.title_in(lang), "description": self.config.site.description_in(lang),
            "root": self.prefix, "home": self.href(home),
            "menu": [Attrs({"title": e.title or ui.gettext(_MENU_LABELS[e.part]),
                            "href": self.href(e.path or parts[e.part]), "part": e.part}) for e in self.menu],
        })
        site.__dict__["switcher"] = self.switcher(lang, {})
        # What every page in this language shows alike, rendered once per build.
        site.__dict__.update(header=self.fragment("_header.html", site=site, lang=ui.lang),
                             footer=self.fragment("_footer.html", site=site, lang=ui.lang))
        self._sites[lang] = site
        return site

    def section_home(self, lang: str) -> str:
        """The home of a page's language section: its language's list when the
        site has several languages (but the site's own, whose home is the home page)."""
        if len(self.langs) > 1 and lang in self.langs and lang != self.config.site.lang:
            return lang_base(lang)
        return "/"

    def switcher(self, lang: str, versions: dict[str, str]) -> Markup:
        """The languages at the top of a page in `lang`: each language's version
        of the document (`versions`, site paths by language), else its section's home."""
        if len(self.langs) < 2:
            return Markup("")
        key = ("switcher", lang, tuple(sorted(versions.items())))
        done = self._fragments.get(key)
        if done is None:
            languages = [Attrs({"code": code, "name": i18n.autonym(code), "current": code == lang,
                                "href": self.href(versions.get(code) or self.section_home(code))})
                         for code in self.langs]
            done = self._fragments[key] = self.fragment("_languages.html", languages=languages, lang=lang)
        return done

    # --- small parts -----------------------------------------------------------
    def file_note(self, lang: str) -> Callable[[FileInfo], str]:
        """What a page in `lang` writes after a link to a file: '(PDF, 1,2 MB)'."""
        ui = self.ui(lang)
        return lambda info: ui.file_note(info.label, info.size)

    def href(self, path: str) -> str:
        """A site path ('/a/b/') as a link on the site (under base_url's path)."""
        return self.prefix + path.lstrip("/")

    def when(self, dt: datetime, lang: str) -> tuple[str, str]:
        """A time as a page in `lang` shows it: ISO 8601 (for <time datetime>), and in words."""
        done = self._when.get((dt, lang))
        if done is None:
            local = dt.astimezone(self.config.site.tz)
            done = self._when[dt, lang] = (local.isoformat(), self.ui(lang).date(local))
        return done

    def feed_links(self, base: str, title: str) -> list[Attrs]:
        return [Attrs({"type": f.media_type, "title": f"{title} ({f.label})", "href": self.href(base + f"feed.{f.ext}")})
                for f in self.formats]

    def item_ctx(self, it: Item, lang: str | None = None, versions: Sequence[tuple[str, str]] = ()) -> Attrs:
        """An item as a list in `lang` (default: the item's own) shows it, with
        its document's other language versions (`versions`: language, site path)."""
        from .sources import when_of

        iso, human = self.when(when_of(it.published), lang or it.rec.lang)
        return Attrs({"title": it.rec.title, "href": self.href(it.path), "lang": it.rec.lang,
                      "date_iso": iso, "date_human": human, "summary": self.sources.summary(it.src),
                      "versions": [Attrs({"lang": code, "name": i18n.autonym(code), "href": self.href(path)})
                                   for code, path in versions]})

    def row(self, it: Item, lang: str, versions: Sequence[tuple[str, str]] = ()) -> Markup:
        """An item's entry in the lists in `lang`, rendered once for every list page
        it is on (a document's versions are the same on every one)."""
        ui_lang = self.ui(lang).lang
        done = self._rows.get((it.src, ui_lang))
        if done is None:
            done = self._rows[it.src, ui_lang] = self.fragment("_item.html", site=self.site_for(ui_lang),
                                                               item=self.item_ctx(it, ui_lang, versions),
                                                               lang=ui_lang)
        return done

    # --- pages -----------------------------------------------------------------
    def citing(self, it: Item, others: list[Item]) -> tuple[Post, Cited]:
        """A post as its page shows it, and what citations say of it. Its page
        and its citation file, one group of outputs made one after the other,
        ask for the same post with the same `others`: it is made once for both."""
        last = self._citing
        if last is not None and last.item is it and last.others is others:
            return last.post, last.cited
        p = self.sources.shown(it.src)
        cited = self.cited(it, p, others)
        self._citing = _Citing(it, others, p, cited)
        return p, cited

    def cited(self, it: Item, p: Post, others: list[Item]) -> Cited:
        """What citations say of a post (citation.py), from its fields."""
        from .citation import Cited, Correction, Original, Picture

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
            corrections=tuple(Correction(k.date, k.note) for k in p.corrections),
            image=Picture(it.image_url, p.image.alt, it.image.width, it.image.height)
            if it.image_url and it.image and p.image else None)

    def parallel_page(self, it: Item, path: str, original_path: str, data: bytes,
                      files: dict[str, FileInfo] | None = None) -> bytes:
        """The post beside its stored original, block by block (render.html_blocks)."""
        from itertools import zip_longest

        from . import originals, render

        p = self.sources.post(it.src)
        ui = self.ui(p.lang)
        original, _ = originals.parse(original_path, data)
        o_lang = original.lang if original is not None else ""

        def blocks(html: str) -> list[str]:
            """A text as on the post's page (its images' sizes, /media/ under the site's path), its links
            to the files beside that page made from the site's root: this page is a folder further down.
            (The original's files are its post's: published beside the post's page.)"""
            html = annotate(under(html, self.prefix), bundle_folder(it.src), files or {}, self.prefix,
                            self.file_note(p.lang), PARALLEL_SIZES)
            return render.html_blocks(render.absolutize(html, self.href(it.path)))

        # The original's notes get ids of their own (the translation's keep theirs: fn-1 in both would clash).
        o_blocks = blocks(render.anchored(render.markdown_to_html(original.body), "original-")) \
            if original is not None else []
        t_blocks = blocks(self.sources.html(it.src))
        rows = [Attrs({"original": Markup(a) if a else None, "translation": Markup(b) if b else None})
                for a, b in zip_longest(o_blocks, t_blocks)]
        return self.page("parallel.html", lang=p.lang, dir=direction(p.lang), description=self.sources.summary(it.src),
                         canonical=absolute(path, self.config), feeds=self.feed_links("/", self.config.site.title),
                         post=Attrs({"title": p.title, "lang": p.lang, "lang_name": ui.language_name(p.lang),
                                     "dir": direction(p.lang), "href": self.href(it.path)}),
                         original=Attrs({"title": original.title if original else None, "lang": o_lang,
                                         "lang_name": ui.language_name(o_lang), "dir": direction(o_lang)}),
                         rows=rows)

    def post_page(self, it: Item, others: list[Item], mastodon: str | None, archived: bytes,
                  files: dict[str, FileInfo] | None = None, newer: Item | None = None,
                  older: Item | None = None, parallel: tuple[str, str] | None = None,
                  scans: Sequence[str] = ()) -> bytes:
        """A post's page; `scans`, the original's scans (repository paths, page by page)."""
        from . import citation, render

        src = self.sources
        p, cited = self.citing(it, others)
        tags, cats = src.terms(it)
        section = self.section_home(p.lang)
        ui = self.ui(p.lang)
        iso, human = self.when(p.date, p.lang) if p.date else ("", "")
        versions = [Attrs({"lang": o.rec.lang, "url": o.url}) for o in [it, *others]] if others else []
        if versions:  # (x-default: the original, for a reader of none of these languages)
            versions += [Attrs({"lang": "x-default", "url": o.url}) for o in [it, *others] if o.rec.kind == "post"]
        cite = citation.chicago(cited, ui)
        ctx = Attrs({
            "title": p.title, "lang": p.lang, "date": p.date is not None, "date_iso": iso,
            "date_human": human, "author": p.author, "state": p.state.value,
            "draft": p.state != State.PUBLISHED,
            "provenance": src.provenance(it.src, p, ui), "content_warning": p.content_warning,
            "html": Markup(annotate(under(src.html(it.src), self.prefix), bundle_folder(it.src), files or {},
                                    self.prefix, self.file_note(p.lang))),
            # (In its language section's list of the term: the site's own lists hold one version a document.)
            "tags": [Attrs({"name": t.name, "href": self.href(f"{section}tag/{t.quoted}/")}) for t in tags],
            "categories": [Attrs({"name": c.name, "href": self.href(f"{section}category/{c.quoted}/")})
                           for c in cats],
            "others": [Attrs({"lang": o.rec.lang, "name": i18n.autonym(o.rec.lang),
                              "title": o.rec.title, "href": self.href(o.path)}) for o in others],
            "versions": versions, "mastodon": mastodon,
            "parallel": Attrs({"href": self.href(parallel[0]), "lang_name": ui.language_name(parallel[1])})
            if parallel else None,
            "comments": self.archived_comments(archived, p.lang),
            "source_url": p.source.url if p.source else None,
            "scans": self.scans(it, scans, files or {}),
            "corrections": [Attrs({"date_iso": iso, "date_human": day, "note": note})
                            for iso, day, note in render.correction_lines(p, ui)],
            "cite": Attrs({"head": Markup(citation.head_html(cited)), "note": Markup(cite.note),
                           "bibliography": Markup(cite.bibliography), "ris": self.href(ris_path(it.path)),
                           "ris_name": f"{p.slug}.ris"}),
            "newer": Attrs({"title": newer.rec.title, "href": self.href(newer.path), "lang": newer.rec.lang})
            if newer else None,
            "older": Attrs({"title": older.rec.title, "href": self.href(older.path), "lang": older.rec.lang})
            if older else None,
        })
        switcher = self.switcher(p.lang, {o.rec.lang: o.path for o in [it, *others]}) if others else None
        return self.page("post.html", lang=p.lang, dir=direction(p.lang), description=src.summary(it.src),
                         canonical=it.url, feeds=self.feed_links("/", self.config.site.title), post=ctx,
                         switcher=switcher)

    def scans(self, it: Item, scans: Sequence[str], files: dict[str, FileInfo]) -> list[Attrs]:
        """The original's pages as the post's page shows them, each numbered by
        its place in `source.scans` and linking to its file, published beside
        the page (or in /media/), a large one with its smaller copies in `srcset`
        as the text's images have them; one that is not a publishable image is
        left out (`gulagpub check` names it)."""
        shown = []
        for number, path in enumerate(scans, start=1):
            info = files.get(path)
            if info is not None and info.width:
                href = self.href(published_path(it.src, it.path, path))
                shown.append(Attrs({"number": number, "href": href, "width": info.width, "height": info.height,
                                    "srcset": srcset(href, info), "sizes": SIZES}))
        return shown

    def ris_file(self, it: Item, others: list[Item]) -> bytes:
        """The post's citation as an RIS file (citation.ris). (`others`: its page's;
        RIS holds none of what they add to the citation, its other versions.)"""
        from . import citation

        p, cited = self.citing(it, others)
        return citation.ris(cited, self.ui(p.lang)).encode("utf-8")

    def standalone_page(self, src_path: str, path: str, files: dict[str, FileInfo] | None = None) -> bytes:
        p = self.sources.shown(src_path)
        return self.page("page.html", lang=p.lang, dir=None, description=p.summary or "",
                         canonical=absolute(path, self.config), feeds=self.feed_links("/", self.config.site.title),
                         post=Attrs({"title": p.title, "lang": p.lang, "content_warning": p.content_warning,
                                     "html": Markup(annotate(under(self.sources.html(src_path), self.prefix), None,
                                                             files or {}, self.prefix, self.file_note(p.lang)))}))

    def redirect(self, src_path: str, path: str) -> bytes:
        p = self.sources.shown(src_path)
        return self.render("redirect.html", lang=p.lang, title=p.title, target=self.href(path),
                           canonical=absolute(path, self.config)).encode("utf-8")

    def moved(self, lang: str, path: str, year: int | None = None) -> bytes:
        """An old address of the archive (`year`'s, or its index) leading to `path`."""
        ui = self.ui(lang)
        title = ui.gettext("Archive") if year is None else ui.gettext("Archive: %(year)s") % {"year": year}
        return self.render("redirect.html", lang=lang, title=title, target=self.href(path),
                           canonical=absolute(path, self.config)).encode("utf-8")

    def list_page(self, base: str, heading: str, lang: str, chunk: list[Item], n: int, pages: int,
                  versions: dict[str, list[tuple[str, str]]] | None = None) -> bytes:
        """Page `n` of `pages` of a list; `versions`, the other language versions
        (language, site path) of the documents on it that have some."""
        cfg = self.config
        path = base if n == 1 else f"{base}page/{n}/"
        newer = None if n == 1 else (base if n == 2 else f"{base}page/{n - 1}/")
        older = f"{base}page/{n + 1}/" if n < pages else None
        feeds_here = self.feed_links(base, heading or cfg.site.title_in(lang))
        if base != "/":
            feeds_here += self.feed_links("/", cfg.site.title)
        # `rows`, each item's entry rendered once (`_item.html`); `items` for a
        # list.html of the site's own that lays them out itself.
        versions = versions or {}
        rows = [self.row(i, lang, versions.get(i.src, ())) for i in chunk]
        return self.page("list.html", lang=lang, dir=direction(lang), description=cfg.site.description_in(lang),
                         canonical=absolute(path, cfg), feeds=feeds_here, heading=heading,
                         items=_Rows(chunk, self, lang, versions), rows=Markup("".join(rows)),
                         pager=Attrs({"number": n, "pages": pages, "number_text": self.ui(lang).number(n),
                                      "pages_text": self.ui(lang).number(pages), "newer": self.href(newer) if newer else None,
                                      "older": self.href(older) if older else None}))

    def archive_index(self, base: str, lang: str, years: list[tuple[int, list[tuple[int, int]]]]) -> bytes:
        """A section's archive: every year, and every month with how many posts it has."""
        cfg, ui = self.config, self.ui(lang)
        rows = [Attrs({"year": str(y), "href": self.href(f"{base}archive/{y}/"),
                       "count": ui.number(sum(n for _, n in months)),
                       "months": [Attrs({"name": ui.month_year(y, m), "href": self.href(f"{base}archive/{y}/#m{m:02d}"),
                                         "count": ui.number(n)}) for m, n in months]})
                for y, months in years]
        return self.page("archive.html", lang=lang, dir=direction(lang), description=cfg.site.description_in(lang),
                         canonical=absolute(f"{base}archive/", cfg), feeds=self.feed_links(base, cfg.site.title_in(lang)),
                         heading=ui.gettext("Archive"), years=rows, months=[], index=None)

    def archive_year(self, base: str, lang: str, year: int, months: list[tuple[int, list[Item]]]) -> bytes:
        """A year of a section's archive: its posts by month, newest first."""
        from .sources import when_of

        cfg, ui = self.config, self.ui(lang)
        rows = []
        for m, items in months:
            entries = []
            for it in items:
                iso, human = self.when(when_of(it.published), lang)
                entries.append(Attrs({"title": it.rec.title, "href": self.href(it.path), "lang": it.rec.lang,
                                      "date_iso": iso, "date_human": human}))
            rows.append(Attrs({"id": f"m{m:02d}", "name": ui.month_year(year, m), "entries": entries}))
        heading = ui.gettext("Archive: %(year)s") % {"year": year}
        return self.page("archive.html", lang=lang, dir=direction(lang), description=cfg.site.description_in(lang),
                         canonical=absolute(f"{base}archive/{year}/", cfg),
                         feeds=self.feed_links(base, cfg.site.title_in(lang)), heading=heading, years=[], months=rows,
                         index=self.href(f"{base}archive/"))

    def not_found(self) -> bytes:
        cfg = self.config
        return self.page("404.html", lang=cfg.site.lang, dir=None, description=cfg.site.description,
                         canonical=absolute("/404.html", cfg), feeds=self.feed_links("/", cfg.site.title))

    def withdrawn_page(self, src_path: str, path: str) -> bytes:
        """What stays at a withdrawn post's address: that it was withdrawn,
        when, and (unless the editor kept it private) why."""
        p = self.sources.shown(src_path)
        w = p.withdrawn
        iso, human = self.when(w.at, p.lang) if w is not None else ("", "")
        return self.page("withdrawn.html", lang=p.lang, dir=direction(p.lang), description="",
                         canonical=absolute(path, self.config), feeds=self.feed_links("/", self.config.site.title),
                         post=Attrs({"title": p.title, "lang": p.lang, "date_iso": iso, "date_human": human,
                                     "reason": w.reason if w is not None and w.public else None}))

    def heading(self, kind: str, name: str, lang: str) -> str:
        """A list's heading in its language: '' (the home page), 'Español', 'Tag: gulag'."""
        if kind == "lang":
            return i18n.autonym(lang)
        ui = self.ui(lang)
        if kind == "tag":
            return ui.gettext("Tag: %(name)s") % {"name": name}
        if kind == "category":
            return ui.gettext("Category: %(name)s") % {"name": name}
        return ""

    def term_index(self, base: str, kind: str, terms: list[tuple[str, str, int]], lang: str | None = None) -> bytes:
        """The index of a kind of term (every tag, every category) of the lists in
        `lang` (default: the site's): (name, site path, count) each."""
        cfg = self.config
        lang = lang or cfg.site.lang
        ui = self.ui(lang)
        heading = ui.gettext(_TERM_INDEXES[kind])
        entries = [Attrs({"name": name, "href": self.href(path), "count": ui.number(count)})
                   for name, path, count in terms]
        home = self.section_home(lang)
        return self.page("terms.html", lang=lang, dir=direction(lang), description=cfg.site.description_in(lang),
                         canonical=absolute(base, cfg), feeds=self.feed_links(home, cfg.site.title_in(lang)),
                         heading=heading, terms=entries)

    def search_page(self, path: str, lang: str, bundles: list[str], others: list[tuple[str, str]]) -> bytes:
        """A language section's search page: `bundles` the search index's shards
        in its language (site paths under the base URL), `others` the other
        sections' search pages (language, link)."""
        cfg = self.config
        home = self.section_home(lang)
        return self.page("search.html", lang=lang, dir=direction(lang), description=cfg.site.description_in(lang),
                         canonical=absolute(path, cfg), feeds=self.feed_links(home, cfg.site.title_in(lang)),
                         home=self.href(home), bundles=bundles,
                         others=[Attrs({"lang": code, "href": href, "name": i18n.autonym(code)}) for code, href in others])

    def static(self, name: str) -> bytes:
        """A file of the theme shown as it is (the stylesheet, the icon)."""
        env = self.env(self.config.site.lang)
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, name)
        return source.encode("utf-8")

    def feed_stylesheet(self) -> bytes:
        """feed.xsl: how a browser shows a feed to a person (feeds link it), in
        the feed's language: it holds the words of every catalog."""
        def words(lang: str) -> Attrs:
            ui = i18n.interface(lang)
            return Attrs({"code": lang.split("-")[0].lower(), **{k: ui.gettext(m) for k, m in _FEED_WORDS.items()}})

        languages = list({w["code"]: w for w in map(words, i18n.catalog_langs()) if w["code"] != i18n.SOURCE_LANG}.values())
        return self.render("feed.xsl", root=self.prefix, languages=languages,
                           english=words(i18n.SOURCE_LANG)).encode("utf-8")

    def archived_comments(self, data: bytes, lang: str) -> list[Attrs]:
        """Comments kept from the old blog (posts/NAME.comments.yaml), as HTML."""
        if not data:  # (most posts: without importing YAML)
            return []
        from . import comments, render

        found = comments.parse_comments(data)
        names = {c.id: c.author for c in found}
        ui = self.ui(lang)
        out = []
        for c in found:
            iso, human = self.when(c.date, lang) if c.date else ("", "")
            out.append(Attrs({"id": c.id, "author": c.author, "date_iso": iso, "date_human": human,
                              "parent": c.parent if c.parent in names else 0,
                              "parent_author": names.get(c.parent, ""), "type": c.type,
                              "type_name": ui.gettext(_COMMENT_TYPES.get(c.type, c.type)),
                              "html": Markup(render.markdown_to_html(c.text))}))
        return out
