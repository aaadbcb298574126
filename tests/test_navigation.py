"""Finding one's way around: the menu, the archive, newer and older posts,
the language switcher, each in the page's language section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PROJECT, post_text
from gulagpub.build import build
from gulagpub.errors import BuildError
from gulagpub.navigation import MenuEntry, menu_of
from sitehelp import NOW, about_and_two_versions, bundled, commit_all

LETTER = "2008/08/19/on-leaving-russia-mollie-steimer/index.html"


def _nav(page: str, label: str) -> list[tuple[str, str]]:
    """The (href, text) of each link of the <nav> labelled `label`."""
    found = re.search(rf'<nav[^>]*aria-label="{label}"[^>]*>([\s\S]*?)</nav>', page)
    assert found, f"no nav {label!r}"
    return [(href, re.sub(r"<[^>]+>", "", text)) for href, text in
            re.findall(r'<a [^>]*?href="([^"]*)"[^>]*>([\s\S]*?)</a>', found.group(1))]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled site with an About page and a Spanish and a Russian version of the letter."""
    tmp = tmp_path_factory.mktemp("nav")
    root = bundled(tmp)
    about_and_two_versions(root, "Texto.\n")
    build(root, tmp / "out", now=NOW)
    return tmp / "out"


def test_the_default_menu_has_home_archive_tags_about_and_feeds(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert _nav(home, "Site") == [("/", "Home"), ("/archive/", "Archive"), ("/tag/", "Tags"),
                                  ("/about/", "About us"), ("/feed.atom", "Feeds")]


def test_home_and_archive_stay_within_the_pages_language_section(site: Path) -> None:
    es = (site / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert _nav(es, "Sitio") == [("/es/", "Inicio"), ("/es/archive/", "Archivo"), ("/es/tag/", "Etiquetas"),
                                 ("/about/", "About us"), ("/es/feed.atom", "Canales")]
    assert 'class="site-title"><a href="/es/"' in es


def test_the_language_switcher_is_at_the_top_and_links_the_same_document(site: Path) -> None:
    es = (site / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert es.index('class="languages"') < es.index('<header class="site">')
    assert _nav(es, "Idiomas") == [("/2008/08/19/on-leaving-russia-mollie-steimer/", "English"),
                                   ("/es/2008/08/20/on-leaving-russia-mollie-steimer/", "Español"),
                                   ("/ru/2008/08/20/on-leaving-russia-mollie-steimer/", "Русский")]
    assert re.search(r'hreflang="es" lang="es" aria-current="true"', es)
    # A document in one language only: the other languages' sections.
    karaganda = (site / "2008/08/19/the-tragedy-of-karaganda/index.html").read_text(encoding="utf-8")
    assert [href for href, _ in _nav(karaganda, "Languages")] == ["/", "/es/", "/ru/"]


def test_the_archive_lists_years_and_months_with_counts_and_each_year_its_posts(site: Path) -> None:
    index = (site / "archive/index.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="/archive/2008/">2008</a> <span class="count">\(3\)</span>', index)
    assert '<a href="/archive/2008/#m08">August 2008</a> <span class="count">(2)</span>' in index
    year = (site / "archive/2008/index.html").read_text(encoding="utf-8")
    assert '<h2 id="m09">September 2008</h2>' in year and year.index('id="m09"') < year.index('id="m08"')
    assert 'href="/2008/08/19/on-leaving-russia-mollie-steimer/">On leaving Russia' in year
    es = (site / "es/archive/2008/index.html").read_text(encoding="utf-8")
    assert "<h1>Archivo: 2008</h1>" in es and "agosto de 2008" in es and "Al dejar Rusia" in es


def test_the_sites_language_has_one_archive_and_its_old_address_leads_there(site: Path) -> None:
    # The site's language's section is the home page's (as its tags are the site's): /en/archive/
    # would be /archive/ again. Its old addresses lead there, and are not in the sitemap.
    for old, new in (("en/archive/", "/archive/"), ("en/archive/2008/", "/archive/2008/")):
        page = (site / old / "index.html").read_text(encoding="utf-8")
        assert f'<meta http-equiv="refresh" content="0; url={new}">' in page and 'content="noindex"' in page
        assert f'<link rel="canonical" href="https://gulaganarchists.github.io{new}">' in page
        assert "<li " not in page and "<li>" not in page  # no list of its own
    assert "/en/archive/" not in (site / "sitemap.xml").read_text(encoding="utf-8")
    english = (site / LETTER).read_text(encoding="utf-8")
    assert ("/archive/", "Archive") in _nav(english, "Site") and "/en/archive/" not in english


def test_the_footers_feeds_are_the_pages_language_sections(site: Path) -> None:
    def footer(path: str) -> list[str]:
        page = (site / path).read_text(encoding="utf-8")
        return re.findall(r'href="([^"]*)"', page[page.index('<footer class="site">'):])

    assert footer("es/2008/08/20/on-leaving-russia-mollie-steimer/index.html") == [
        "/es/feed.atom", "/es/feed.rss", "/es/feed.json"]
    assert footer("ru/tag/gulag/index.html") == ["/ru/feed.atom", "/ru/feed.rss", "/ru/feed.json"]
    assert footer(LETTER) == footer("index.html") == ["/feed.atom", "/feed.rss", "/feed.json"]
    assert (site / "es/feed.atom").is_file() and (site / "ru/feed.json").is_file()


def test_a_post_links_its_newer_and_older_neighbours_and_shows_its_tags_near_the_top(site: Path) -> None:
    page = (site / LETTER).read_text(encoding="utf-8")
    assert _nav(page, "Newer and older posts") == [
        ("/2008/09/08/memorial-opposition-and-resistance/",
         "Memorial: “Opposition and resistance of Russia’s socialists and anarchists”"),
        ("/2008/08/19/the-tragedy-of-karaganda/", "The tragedy of Karaganda (Wayne Foster)")]
    assert 'rel="prev" href="/2008/09/08/' in page and 'rel="next" href="/2008/08/19/the-tragedy' in page
    assert page.index('<p class="tags">') < page.index('<div class="content">')
    # The newest post has no newer one; a language version's neighbours are in its language.
    newest = (site / "2014/04/06/the-guillotine-at-work-part-two/index.html").read_text(encoding="utf-8")
    assert "Older:" in newest and "Newer:" not in newest
    es = (site / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert 'class="adjacent"' not in es  # the only Spanish post


def test_a_menu_naming_a_page_that_does_not_exist_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    root = bundled(tmp_path, '\n')
    config = root / "gulagpub.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[site]\n", '[site]\nmenu = ["home", "contact"]\n'),
                      encoding="utf-8")
    with pytest.raises(BuildError, match=r"gulagpub.toml: \[site\] menu names 'contact'.*add pages/contact.md"):
        build(root, tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_menu_of_keeps_the_order_and_leaves_out_what_the_site_lacks() -> None:
    pages = {"about": ("About", "/about/"), "donate": ("Donate", "/donate/")}
    entries, problems = menu_of(["feeds", "donate", "tags", "home"], pages, {"home", "feeds"})
    assert entries == [MenuEntry("feeds", "", ""), MenuEntry("page", "Donate", "/donate/"), MenuEntry("home", "", "")]
    assert problems == []
    assert menu_of(["home", "archive", "tags", "about", "feeds", "search"], {}, {"home"})[1] == []  # the default's About


def test_the_sitemap_lists_the_lists_the_indexes_and_the_archive(site: Path) -> None:
    urls = re.findall(r"<loc>([^<]*)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    base = urls[0]
    for path in ("es/", "ru/", "tag/", "tag/gulag/", "archive/", "archive/2008/", "es/archive/2008/", "about/"):
        assert base + path in urls, path
    assert len(urls) == len(set(urls))


def test_the_sites_lists_of_a_tag_show_each_document_once_and_each_language_has_its_own(site: Path) -> None:
    tag = (site / "tag/gulag/index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<li lang="[^"]*">[\s\S]*?</li>\n', tag)
    letter = [r for r in rows if "mollie-steimer" in r]
    assert len(letter) == 1 and "/2008/08/19/on-leaving-russia-mollie-steimer/" in letter[0]  # (the original)
    assert '<a href="/es/2008/08/20/on-leaving-russia-mollie-steimer/" hreflang="es" lang="es">Español</a>' in letter[0]
    assert 'hreflang="ru" lang="ru">Русский</a>' in letter[0]
    # Today's feed of the tag has the letter once; each language's feed of it its own version only.
    def entries(feed: str) -> list[str]:
        return re.findall(r"<entry[^>]*>[\s\S]*?<title[^>]*>([^<]*)</title>", (site / feed).read_text("utf-8"))

    assert [e for e in entries("tag/gulag/feed.atom") if "Mollie" in e or "Rusia" in e or "Россию" in e] == \
        ["On leaving Russia by Mollie Steimer"]
    assert entries("es/tag/gulag/feed.atom") == ["Al dejar Rusia"]
    assert entries("ru/tag/gulag/feed.atom") == ["Покидая Россию"]
    es_list = (site / "es/tag/gulag/index.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in es_list and "<h1>Etiqueta: gulag</h1>" in es_list
    # A version's tags lead to its language's list; the index counts documents.
    es = (site / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert '<a rel="tag" href="/es/tag/gulag/">gulag</a>' in es
    # The Spanish menu's Tags lead to the Spanish lists of tags.
    assert ("/es/tag/", "Etiquetas") in _nav(es, "Sitio")
    es_index = (site / "es/tag/index.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in es_index and "<h1>Etiquetas</h1>" in es_index
    assert '<a href="/es/tag/gulag/">gulag</a> <span class="count">(1)</span>' in es_index
    index = (site / "tag/index.html").read_text(encoding="utf-8")
    originals = sum("gulag" in p.read_text(encoding="utf-8").split("\n---", 1)[0] for p in (PROJECT / "posts").glob("*.md"))
    assert f'<a href="/tag/gulag/">gulag</a> <span class="count">({originals})</span>' in index


def test_a_language_version_may_have_its_own_slug(tmp_path: Path) -> None:
    root = bundled(tmp_path)
    tr = root / "translations/es/2008-08-19-on-leaving-russia-mollie-steimer.md"
    tr.parent.mkdir(parents=True)
    tr.write_text(post_text("Al dejar Rusia", "published", "Texto.\n", date="2008-08-20 10:00", slug="al-dejar-rusia",
                            translation="\n  translator: Tania Translator\n  from_lang: en"), encoding="utf-8")
    commit_all(root, "A Spanish version with a slug of its own")
    build(root, tmp_path / "out", now=NOW)
    es = tmp_path / "out/es/2008/08/20/al-dejar-rusia/index.html"
    assert "<h1>Al dejar Rusia</h1>" in es.read_text(encoding="utf-8")
    assert not (tmp_path / "out/es/2008/08/20/on-leaving-russia-mollie-steimer").exists()
    en = (tmp_path / "out" / LETTER).read_text(encoding="utf-8")
    assert ("/es/2008/08/20/al-dejar-rusia/", "Español") in _nav(en, "Languages")  # (the switcher)
    assert 'hreflang="es" href="https://gulaganarchists.github.io/es/2008/08/20/al-dejar-rusia/"' in en


def test_the_home_page_shows_a_document_in_the_sites_language_where_it_has_a_version(tmp_path: Path) -> None:
    root = bundled(tmp_path, '\n[site.titles]\nes = "Anarquistas en el Gulag"\n')
    (root / "posts/2020-05-01-carta.md").write_text(post_text(
        "Carta desde Solovki", "published", "Texto.\n", date="2020-05-01 10:00", lang="es", tags="[gulag]"),
        encoding="utf-8")
    (root / "translations/en").mkdir(parents=True)
    (root / "translations/en/2020-05-01-carta.md").write_text(post_text(
        "A letter from Solovki", "published", "Text.\n", date="2020-05-02 10:00", tags="[gulag]",
        translation="\n  translator: Tania Translator\n  from_lang: es"), encoding="utf-8")
    commit_all(root, "A Spanish letter and its English version")
    build(root, tmp_path / "out", now=NOW)
    out = tmp_path / "out"
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "A letter from Solovki" in home and "Carta desde Solovki" not in home
    assert '<a href="/2020/05/01/carta/" hreflang="es" lang="es">Español</a>' in home  # (its row: the others)
    atom = (out / "feed.atom").read_text(encoding="utf-8")
    assert "A letter from Solovki" in atom and "Carta desde Solovki" not in atom
    assert "Carta desde Solovki" in (out / "es/index.html").read_text(encoding="utf-8")
    # A language's feeds are titled as its pages are.
    es_atom = (out / "es/feed.atom").read_text(encoding="utf-8")
    assert "<title>Anarquistas en el Gulag – Español</title>" in es_atom and "Carta desde Solovki" in es_atom
    assert "<title>Anarquistas en el Gulag – Etiqueta: gulag</title>" in (out / "es/tag/gulag/feed.atom").read_text(
        encoding="utf-8")
