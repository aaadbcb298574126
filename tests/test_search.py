"""Search ([site] search = true): a Pagefind index in shards, a search page per
language section, found in headless Chromium; the index made again only
where an edit reaches it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import require

from gulagpub import search
from gulagpub.build import build
from gulagpub.preview import make_server
from gulagpub.search import Doc, shards_of
from sitehelp import NOW, SPANISH_MOLLIE, bundled, commit_all, snapshot, spanish_mollie
from test_browser import AXE, Page, page  # noqa: F401 - the browser fixture
from test_html_valid import problems, vnu  # noqa: F401 - the checker's fixture

SEARCH = "search = true\n"


def searchable(tmp_path: Path, base_url: str = "https://gulaganarchists.github.io/") -> Path:
    """The bundled site with search on and a Spanish version of the Mollie Steimer letter."""
    root = bundled(tmp_path)
    toml = root / "gulagpub.toml"
    text = toml.read_text(encoding="utf-8").replace('timezone = "UTC"\n', 'timezone = "UTC"\n' + SEARCH)
    toml.write_text(text.replace("https://gulaganarchists.github.io/", base_url), encoding="utf-8")
    spanish_mollie(root).write_text(
        "---\ntitle: Al dejar Rusia\nstate: published\ndate: 2008-08-20 10:00\n"
        "translation:\n  translator: Tania Translator\n  from_lang: en\n---\n\n"
        "Carta de Mollie Steimer sobre la cárcel y el destierro.\n", encoding="utf-8")
    commit_all(root, "Search on, and a Spanish letter")
    return root


def bundle_files(site: Path) -> dict[str, bytes]:
    return {p: b for p, b in snapshot(site).items() if p.startswith("pagefind/")}


def test_shards_are_per_language_and_a_document_keeps_its_shard_as_the_site_grows() -> None:
    docs = [Doc(f"posts/{n}.md", "en", f"/{n}/", str(n)) for n in range(search.SHARD_SIZE + 1)]
    docs.append(Doc("translations/es/1.md", "es", "/es/1/", "x"))
    shards = shards_of(docs)
    assert sorted(shards) == ["en/0", "en/1", "es/0"]  # 401 English documents: two shards
    assert all(len(m) <= search.SHARD_SIZE for m in shards.values())
    place = {d.src: name for name, members in shards.items() for d in members}
    more = shards_of([*docs, Doc("posts/new.md", "en", "/new/", "y")])
    assert {d.src: name for name, members in more.items() for d in members if d.src != "posts/new.md"} == place


def test_search_pages_per_language_and_an_edit_reindexes_only_its_shard(tmp_path: Path) -> None:
    root = searchable(tmp_path)
    out = tmp_path / "site"
    messages: list[str] = []
    build(root, out, now=NOW, progress=messages.append)
    assert any("indexing 6 document(s) for search (2 of 2 shard(s))" in m for m in messages)
    en = (out / "search" / "index.html").read_text(encoding="utf-8")
    es = (out / "es" / "search" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en and "/pagefind/en/0/" in en and "/pagefind/es/" not in en
    assert '<html lang="es">' in es and "/pagefind/es/0/" in es and "/pagefind/en/" not in es
    assert "<noscript>" in en and "needs JavaScript" in en  # says so when script is off
    assert '<a href="/search/">Search</a>' in (out / "index.html").read_text(encoding="utf-8")  # in the menu
    assert '<a href="/es/search/">Buscar</a>' in (out / "es" / "index.html").read_text(encoding="utf-8")
    first = bundle_files(out)
    assert "pagefind/en/0/pagefind-entry.json" in first and "pagefind/es/0/pagefind-entry.json" in first
    assert not any("pagefind-ui" in p for p in first)  # Pagefind's own interface is left out

    # One edit: the Spanish shard is indexed again, the English one stays as it is.
    tr = root / SPANISH_MOLLIE
    tr.write_text(tr.read_text(encoding="utf-8").replace("destierro", "destierro en Siberia"), encoding="utf-8")
    commit_all(root, "Siberia")
    messages.clear()
    build(root, out, now=NOW, progress=messages.append)
    assert any("indexing 1 document(s) for search (1 of 2 shard(s))" in m for m in messages)
    second = bundle_files(out)
    assert {p: b for p, b in second.items() if p.startswith("pagefind/en/")} == \
        {p: b for p, b in first.items() if p.startswith("pagefind/en/")}
    assert second != first
    assert set(second) - set(first)  # the Spanish shard's new files…
    assert not any(p in second for p in set(first) - set(second))  # …and its old ones gone

    # The same site built from nothing has the same index.
    fresh = tmp_path / "fresh"
    build(root, fresh, now=NOW)
    assert bundle_files(fresh) == second

    assert not list((root / ".git" / "gulagpub").glob("search-*"))  # the indexer's folder is gone

    # An edit that does not reach the index re-indexes nothing.
    messages.clear()
    build(root, out, now=NOW, progress=messages.append)
    assert not any("indexing" in m for m in messages)

    # A second edit of the shard (the spare folder is the site before the first): still
    # exactly the index a build from nothing makes, and every page as it makes them.
    tr.write_text(tr.read_text(encoding="utf-8").replace("Siberia", "Karagandá"), encoding="utf-8")
    commit_all(root, "Karagandá")
    build(root, out, now=NOW)
    again = tmp_path / "again"
    build(root, again, now=NOW)
    assert snapshot(out) == snapshot(again)


def test_search_off_by_default_leaves_no_index(tmp_path: Path) -> None:
    root = bundled(tmp_path)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    assert not (out / "pagefind").exists() and not (out / "search").exists() and not (out / "search.js").exists()
    assert "Search" not in (out / "index.html").read_text(encoding="utf-8")


def test_turning_search_off_removes_the_index(tmp_path: Path) -> None:
    root = searchable(tmp_path)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    toml = root / "gulagpub.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(SEARCH, ""), encoding="utf-8")
    commit_all(root, "Search off")
    build(root, out, now=NOW)
    assert not (out / "pagefind").exists() and not (out / "search").exists()


@pytest.fixture
def served_search(tmp_path: Path) -> Iterator[str]:
    """The searchable site as a GitHub Pages project site (under /gulag/), served on 127.0.0.1."""
    root = searchable(tmp_path, "https://team.github.io/gulag/")
    out = tmp_path / "site"
    build(root, out, now=NOW)
    server = make_server(out, 0, "/gulag/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/gulag"
    server.shutdown()
    server.server_close()


def until(tab: Page, condition: str, seconds: int = 20) -> None:
    """Wait until the JavaScript `condition` holds on the open page (fails with the page's status line)."""
    done = tab.call("Runtime.evaluate", awaitPromise=True, expression=(
        "new Promise((ok, no) => { const t0 = Date.now(); (function wait() {"
        f" if ({condition}) ok(); else if (Date.now() - t0 > {seconds * 1000}) no(new Error("
        f"{condition!r} + ' never held; the status line: ' + document.querySelector('.search-status')?.textContent));"
        " else setTimeout(wait, 50); })(); })"))
    assert "exceptionDetails" not in done, done["exceptionDetails"]


def results(tab: Page, query: str) -> list[str]:
    """Type `query` into the open search page; the titles of the results (waits for them)."""
    tab.js("document.querySelector('#search-query').value = ''; document.querySelector('#search-query').focus()")
    tab.call("Input.insertText", text=query)
    until(tab, f"document.querySelector('.search-status').textContent.includes({query.strip()!r})")
    return list(tab.js("Array.from(document.querySelectorAll('.search-results h2 a')).map(a => a.textContent)"))


def test_typing_a_name_finds_the_post_in_the_browser(served_search: str, page: Page) -> None:  # noqa: F811
    page.open(served_search + "/search/")
    until(page, "!document.querySelector('form.search').hidden")  # the script showed it
    titles = results(page, "Monclús")
    assert "Vicente Monclús Guallar, Spanish Libertarian victimised in the USSR" in titles
    href = page.js("document.querySelector('.search-results h2 a').getAttribute('href')")
    assert href == "/gulag/2012/10/20/vicente-monclus-guallar/"  # under the project site's path
    assert page.js("document.querySelector('.search-results mark').textContent").lower().startswith("monclús")
    assert "Al dejar Rusia" not in results(page, " Mollie")  # the English page finds English posts
    assert page.errors() == []

    # The Spanish section's page searches the Spanish posts.
    page.open(served_search + "/es/search/?q=c%C3%A1rcel")
    assert page.js("document.documentElement.lang") == "es"
    until(page, "document.querySelector('.search-results h2 a')")
    titles = page.js("Array.from(document.querySelectorAll('.search-results h2 a')).map(a => a.textContent)")
    assert titles == ["Al dejar Rusia"]
    assert page.js("document.querySelector('h1').textContent") == "Buscar"  # the interface in Spanish too
    assert page.js("document.querySelector('.search-status').textContent") == "Resultados para «cárcel»: 1"
    assert page.errors() == []


def test_without_script_the_search_page_says_what_to_do(served_search: str, page: Page) -> None:  # noqa: F811
    page.call("Emulation.setScriptExecutionDisabled", value=True)
    page.open(served_search + "/search/")
    note = page.js("document.querySelector('main').innerText")
    assert "needs JavaScript" in note and "home page" in note
    assert page.js("document.querySelector('form.search').hidden") is True  # no form that cannot work


def test_the_search_pages_are_valid_html(vnu: list[str], tmp_path: Path) -> None:  # noqa: F811
    root = searchable(tmp_path)
    build(root, tmp_path / "site", now=NOW)
    pages = [tmp_path / "site" / "search", tmp_path / "site" / "es" / "search"]
    assert all((p / "index.html").is_file() for p in pages)
    assert problems(vnu, *pages) == []


def test_the_search_page_has_no_accessibility_violations(served_search: str, page: Page) -> None:  # noqa: F811
    require(f"axe-core ({AXE}: npm ci --prefix .ci/web)", AXE.is_file())
    page.open(served_search + "/search/?q=gulag")
    until(page, "document.querySelector('.search-results h2 a')")
    page.call("Runtime.evaluate", expression=AXE.read_text(encoding="utf-8"))
    found = page.call("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>"
        " v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"))
    assert found["result"]["value"] == []


def test_opened_from_disk_the_search_page_says_it_needs_a_server(tmp_path: Path, page: Page) -> None:  # noqa: F811
    root = searchable(tmp_path)
    out = tmp_path / "preview"
    build(root, out, now=NOW, relative_links=True)
    page.open((out / "search" / "index.html").as_uri())
    until(page, "document.querySelector('.search-status').textContent")
    assert "served" in page.js("document.querySelector('.search-status').textContent")
    assert page.errors() == []
