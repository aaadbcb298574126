"""The built site in a real headless Chromium, served by a local HTTP server:
pages render with their titles, every internal link resolves, no console errors;
footnotes lead to their notes and back; the parallel view reads on a phone.

Chromium is driven through the Chrome DevTools Protocol over its websocket."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

from conftest import PROJECT, require
from gulagpub.build import build
from gulagpub.preview import make_server
from sitehelp import NOW, about_and_two_versions, bundled, commit_all, english_interface_words, jpeg, wait_for_line

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"]


class Page:
    """One browser tab, spoken to over CDP."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return
        raise AssertionError(f"no {method} within {timeout} s")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str(p.get("args")))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out


def crawl(page: Page, start: list[str], check: Callable[[str], list[str]]) -> int:
    """Open every page reachable from `start` once, with no browser error:
    `check(url)` looks at the open page and returns the pages it links to.
    Returns how many pages were opened."""
    to_visit, seen = list(start), set()
    while to_visit:
        url = to_visit.pop()
        if url in seen:
            continue
        seen.add(url)
        page.open(url)
        assert page.errors() == [], url
        to_visit += [u for u in check(url) if u not in seen]
    return len(seen)


def serve_built(root: Path, out: Path) -> Iterator[str]:
    """The site of `root`, built into `out` and served on 127.0.0.1 while the test runs."""
    build(root, out, now=NOW)
    server = make_server(out, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    yield from serve_built(bundled(tmp_path), tmp_path / "site")


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            port = int(wait_for_line(proc, r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", 60,
                                     "chromium did not print its DevTools port").group(1))
            # Keep reading stderr so chromium never blocks on a full pipe.
            stderr = proc.stderr
            assert stderr is not None
            threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            tab = next(t for t in targets if t.get("type") == "page")
            p = Page(tab["webSocketDebuggerUrl"])
            yield p
            p.ws.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()


def test_index_and_post_render_without_errors_and_links_resolve(served: str, page: Page) -> None:
    page.open(served + "/")
    assert page.js("document.title") == "Anarchists in the Gulag (and prison and exile)"
    assert page.js("document.documentElement.lang") == "en"
    titles = page.js("Array.from(document.querySelectorAll('ol.posts h2 a')).map(a => a.textContent)")
    assert "Vicente Monclús Guallar, Spanish Libertarian victimised in the USSR" in titles
    assert page.js("document.scripts.length") == 0
    assert page.errors() == []
    def check(url: str) -> list[str]:
        status = page.js("performance.getEntriesByType('navigation')[0].responseStatus")
        assert status == 200, f"{url} answered {status}"
        h1 = page.js("(() => { const h = document.querySelector('h1'); const r = h.getBoundingClientRect();"
                     " return [h.textContent, r.width > 0 && r.height > 0]; })()")
        assert h1[0] and (h1[1] or "visually-hidden" in page.js("document.querySelector('h1').className")), url
        pages = []
        for link in page.js("Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href)"):
            link = link.split("#")[0]
            if link.startswith(served) and link.endswith(("/", ".html")):
                pages.append(link)
            elif link.startswith(served):
                assert urllib.request.urlopen(link, timeout=10).status == 200, link
        return pages

    checked = crawl(page, [served + "/", served + "/2012/10/20/vicente-monclus-guallar/"], check)
    assert checked >= 8  # the index, five posts, the tag and the category archives
    page.open(served + "/2012/10/20/vicente-monclus-guallar/")
    assert page.js("document.querySelector('h1').textContent") == \
        "Vicente Monclús Guallar, Spanish Libertarian victimised in the USSR"
    assert "Translated from the Spanish by Paul Sharkey" in page.js("document.querySelector('.provenance').innerText")
    width = page.js("document.documentElement.scrollWidth <= window.innerWidth")
    assert width is True


AXE = Path(os.environ.get("GULAGPUB_WEB_CHECKS", PROJECT / ".ci" / "web" / "node_modules")) / "axe-core" / "axe.min.js"


def test_axe_finds_no_accessibility_violations(served: str, page: Page) -> None:
    """axe-core (from the npm registry, installed by .ci/run) over the home, a
    post with its provenance and citation, a tag page, the archive of tags and
    the 404 page: zero violations of WCAG 2.x A/AA and best practices."""
    found = {}
    for path in ("/", "/2012/10/20/vicente-monclus-guallar/", "/tag/gulag/", "/tag/", "/404.html"):
        page.open(served + path)
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}
    # The check sees what it should: an image without a text alternative is one.
    page.js("document.querySelector('main').appendChild(document.createElement('img')).src = '/favicon.svg'")
    assert any(v.startswith("image-alt") for v in axe_violations(page))


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.x A/AA and best-practice violations on the open page, one line each."""
    require(f"axe-core ({AXE}: npm ci --prefix .ci/web)", AXE.is_file())
    page.call("Runtime.evaluate", expression=AXE.read_text(encoding="utf-8"))
    result = page.call("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>"
        " v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"))
    assert "exceptionDetails" not in result, result
    return list(result["result"]["value"])


VICENTE = "2012-10-20-vicente-monclus-guallar"


@pytest.fixture
def served_with_original(tmp_path: Path) -> Iterator[str]:
    root = bundled(tmp_path)
    original = root / "originals" / "es" / f"{VICENTE}.md"
    original.parent.mkdir(parents=True)
    original.write_text("---\ntitle: Vicente Monclús Guallar\n---\n\n" + "\n\n".join(
        f"Párrafo {n}: Vicente Monclús Guallar nació en Abiego, Huesca, y murió en el exilio." for n in range(6)),
        encoding="utf-8")
    commit_all(root, "The Spanish original of Vicente")
    yield from serve_built(root, tmp_path / "site")


def test_the_parallel_view_reads_on_a_phone_and_side_by_side_on_a_wide_screen(
        served_with_original: str, page: Page) -> None:
    page.open(served_with_original + "/2012/10/20/vicente-monclus-guallar/")
    link = page.js("document.querySelector('.parallel-link a').href")
    columns = "getComputedStyle(document.querySelectorAll('.pair')[1]).gridTemplateColumns.split(' ').length"
    for width, mobile, expected in ((375, True, 1), (1280, False, 2)):
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1, mobile=mobile)
        page.open(link)
        assert page.js("document.querySelectorAll('.pair .original p').length") == 6
        assert page.js(columns) == expected, width
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.js("document.documentElement.scrollWidth <= window.innerWidth"), width
        first = page.js("(() => { const p = document.querySelectorAll('.pair')[1]; const o = p.children[0]"
                        ".getBoundingClientRect(), t = p.children[1].getBoundingClientRect();"
                        " return [o.top < t.top, o.left < t.left]; })()")
        assert first == ([True, False] if expected == 1 else [False, True]), width  # above it / beside it
    assert page.errors() == []


LETTER = "2024-05-03-a-letter-from-solovki"


@pytest.fixture
def served_with_notes(tmp_path: Path) -> Iterator[str]:
    """A translation whose notes (and its original's) stand far below their references."""
    root = bundled(tmp_path)
    filler = "\n\n".join(f"Paragraph {n} of the letter, long enough to fill a line or two of the screen on a phone."
                          for n in range(30))
    (root / "posts" / f"{LETTER}.md").write_text(
        "---\ntitle: A letter from Solovki\ndate: 2024-05-03\nstate: published\n"
        "translation:\n  translator: Paul Sharkey\n  from_lang: ru\n---\n\n"
        f"The letter was written in 1925.[^1]\n\n{filler}\n\nIt reached Berlin.[^2]\n\n"
        "[^1]: On the island, in the winter.\n[^2]: Through the Red Cross.\n", encoding="utf-8")
    original = root / "originals" / "ru" / f"{LETTER}.md"
    original.parent.mkdir(parents=True)
    original.write_text("---\ntitle: Письмо с Соловков\n---\n\nПисьмо написано в 1925 году.[^1]\n\n"
                        f"{filler}\n\nОно дошло до Берлина.\n\n[^1]: На острове, зимой.\n", encoding="utf-8")
    commit_all(root, "A letter with notes, and its original")
    yield from serve_built(root, tmp_path / "site")


# Follow the first link `selector` finds; then where the page went, whether
# the element it names is on the screen, and its text.
FOLLOW = """(sel => {{ const a = document.querySelector(sel); a.click();
  const t = document.getElementById(location.hash.slice(1)); const r = t.getBoundingClientRect();
  return [location.hash, r.bottom > 0 && r.top < innerHeight, scrollY > 0, t.textContent.trim()]; }})({sel!r})"""
UNIQUE_IDS = "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);" \
             " return ids.length > 0 && new Set(ids).size === ids.length; })()"


def test_footnotes_lead_to_their_notes_and_back_on_the_page_and_beside_the_original(
        served_with_notes: str, page: Page) -> None:
    page.call("Emulation.setDeviceMetricsOverride", width=375, height=700, deviceScaleFactor=1, mobile=True)
    page.open(served_with_notes + "/2024/05/03/a-letter-from-solovki/")
    assert "[^" not in page.js("document.body.innerText")
    assert page.js(FOLLOW.format(sel="sup.footnote-ref a")) == ["#fn-1", True, True, "On the island, in the winter. ↩"]
    assert page.js(FOLLOW.format(sel="#fn-1 a.footnote-backref")) == ["#fnref-1", True, True, "1"]
    assert page.js(UNIQUE_IDS) and page.errors() == []
    assert axe_violations(page) == []

    page.open(served_with_notes + "/2024/05/03/a-letter-from-solovki/parallel/")
    assert "[^" not in page.js("document.body.innerText")
    hash_, shown, scrolled, text = page.js(FOLLOW.format(sel=".original sup.footnote-ref a"))
    assert (hash_, shown, scrolled, text) == ("#original-fn-1", True, True, "На острове, зимой. ↩")
    assert page.js(FOLLOW.format(sel="#original-fn-1 a.footnote-backref"))[:2] == ["#original-fnref-1", True]
    assert page.js(FOLLOW.format(sel=".translation sup.footnote-ref a"))[::3] == ["#fn-1",
                                                                                   "On the island, in the winter. ↩"]
    assert page.js("document.querySelectorAll('.pair').length") == 34  # the heads, 32 paragraphs, the notes
    assert page.js(UNIQUE_IDS) and page.js("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.errors() == []
    assert axe_violations(page) == []


@pytest.fixture
def served_with_scans(tmp_path: Path) -> Iterator[str]:
    """A letter with three pages of scans (two beside it, one in media/), one of them also in the text."""
    root = bundled(tmp_path)
    folder = root / "posts" / "letter"
    folder.mkdir()
    (folder / "scan-p1.jpg").write_bytes(jpeg(600, 800))
    (folder / "scan-p2.jpg").write_bytes(jpeg(610, 810))
    (root / "media").mkdir()
    (root / "media" / "envelope.jpg").write_bytes(jpeg(800, 400))
    (folder / "index.md").write_text(
        "---\ntitle: A letter from Solovki\ndate: 2024-05-03\nstate: published\n"
        "source:\n  author: Mollie Steimer\n  scans: [scan-p1.jpg, scan-p2.jpg, /media/envelope.jpg]\n---\n"
        "The letter, transcribed.\n\n![The first lines of the letter](scan-p1.jpg)\n", encoding="utf-8")
    commit_all(root, "A letter with its scans")
    yield from serve_built(root, tmp_path / "site")


def test_the_scans_load_after_the_text_with_their_size_known_and_the_provenance_leads_there(
        served_with_scans: str, page: Page) -> None:
    page.call("Emulation.setDeviceMetricsOverride", width=375, height=700, deviceScaleFactor=1, mobile=True)
    page.open(served_with_scans + "/2024/05/03/letter/")
    # Each figure's place is kept before its image loads (width and height): nothing moves after.
    before = page.js("[...document.querySelectorAll('.scans figure')].map(f => Math.round(f.offsetHeight))")
    assert len(before) == 3 and all(h > 300 for h in before[:2]), before
    assert page.js(FOLLOW.format(sel=".provenance a[href='#scans']"))[:3] == ["#scans", True, True]
    loaded = ("Promise.all([...document.querySelectorAll('.scans img')].map(i => i.decode().then(() =>"
              " [i.currentSrc.split('/').pop(), i.naturalWidth, i.getBoundingClientRect().width, i.alt,"
              " i.closest('figure').querySelector('figcaption').textContent])))")
    result = page.call("Runtime.evaluate", expression=loaded, awaitPromise=True, returnByValue=True)
    # On a phone each page loads its 480 px copy (srcset), taken as the column's 343 CSS px (sizes).
    assert result["result"]["value"] == [
        ["scan-p1.jpg.480w.webp", 343, 343, "Page 1 of the original of A letter from Solovki", "Page 1"],
        ["scan-p2.jpg.480w.webp", 343, 343, "Page 2 of the original of A letter from Solovki", "Page 2"],
        ["envelope.jpg.480w.webp", 343, 343, "Page 3 of the original of A letter from Solovki", "Page 3"]]
    after = page.js("[...document.querySelectorAll('.scans figure')].map(f => Math.round(f.offsetHeight))")
    assert after == before
    assert page.js("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.errors() == []
    assert axe_violations(page) == []


def test_a_person_opening_a_feed_sees_a_page_saying_how_to_subscribe(served: str, page: Page) -> None:
    """feed.xsl, through Chromium's own XSLT engine. Browsers apply a feed's
    stylesheet when it is served as XML (text/xml, application/xml), which is
    what this server sends here; docs/publishing.md says what hosts send."""
    import mimetypes

    before = {ext: mimetypes.types_map.get(ext) for ext in (".atom", ".rss")}
    mimetypes.add_type("text/xml", ".atom")
    mimetypes.add_type("text/xml", ".rss")
    try:
        for feed in ("/feed.atom", "/tag/gulag/feed.rss"):
            page.open(served + feed)
            assert page.js("document.querySelector('h1') && document.querySelector('h1').textContent") == \
                "Anarchists in the Gulag (and prison and exile)" + (" – Tag: gulag" if "tag" in feed else "")
            assert page.js("document.querySelector('.feed-note').textContent").startswith("This is a web feed.")
            titles = page.js("Array.from(document.querySelectorAll('ol.posts a')).map(a => a.textContent)")
            assert "Vicente Monclús Guallar, Spanish Libertarian victimised in the USSR" in titles, feed
            hrefs = page.js("Array.from(document.querySelectorAll('ol.posts a')).map(a => a.getAttribute('href'))")
            assert all(h.startswith("https://gulaganarchists.github.io/") for h in hrefs)
            assert page.js("getComputedStyle(document.body).maxWidth") != "none"  # the site's stylesheet applies
    finally:
        for ext, media_type in before.items():
            if media_type is None:
                mimetypes.types_map.pop(ext, None)
            else:
                mimetypes.add_type(media_type, ext)


def test_a_relative_links_preview_opens_from_disk_with_styles_and_working_links(tmp_path: Path, page: Page) -> None:
    """`build --drafts --relative-links` (the pull-request preview): opened as
    files, with no server, every page is styled and every link to the site
    reaches a file that is there; a translation in review is shown beside its
    stored original, as the reviewer compares them."""
    root = bundled(tmp_path)
    draft = root / "posts" / "2026-11-20-a-draft.md"
    draft.write_text("---\ntitle: A draft letter\nstate: review\ndate: 2026-11-20 10:00\ntags: [gulag]\n"
                     "translation:\n  translator: Paul Sharkey\n  from_lang: ru\n---\n\n"
                     "See [the home page](/) and [Vicente](/2012/10/20/vicente-monclus-guallar/).[^1]\n\n"
                     "[^1]: A note.\n")
    original = root / "originals" / "ru" / "2026-11-20-a-draft.md"
    original.parent.mkdir(parents=True)
    original.write_text("---\ntitle: Письмо\n---\n\nСм. [главную страницу](/).\n", encoding="utf-8")
    out = tmp_path / "preview"
    build(root, out, now=NOW, drafts=True, relative_links=True)
    seen = []

    def check(url: str) -> list[str]:
        seen.append(url)
        assert page.js("getComputedStyle(document.body).maxWidth") != "none", url  # style.css was found
        pages = []
        for link in page.js("Array.from(document.querySelectorAll('a[href], link[href], img[src]'))"
                            ".map(a => a.href || a.src)"):
            link = link.split("#")[0]
            if not link.startswith("file://"):
                continue
            target = Path(urllib.request.url2pathname(link[len("file://"):]))
            assert target.is_file(), f"{url} links to {link}, which is not there"
            if link.endswith(".html"):
                pages.append(link)
        return pages

    crawl(page, [(out / "index.html").as_uri()], check)
    assert len(seen) >= 10 and any("a-draft" in u for u in seen)
    assert any(u.endswith("a-draft/parallel/index.html") for u in seen), seen  # reached from the post's page
    page.open(next(u for u in seen if u.endswith("a-draft/parallel/index.html")))
    assert page.js("document.querySelector('.pair:not(.heads) .original').textContent").startswith("См.")
    assert page.js("document.querySelector('.pair .translation sup a').getAttribute('href')") == "#fn-1"


@pytest.fixture
def served_languages(tmp_path: Path) -> Iterator[str]:
    """The bundled site with an About page and a Spanish and a Russian version of Mollie Steimer's letter."""
    root = bundled(tmp_path)
    about_and_two_versions(root, "Текст.\n")
    build(root, tmp_path / "site", now=NOW)
    server = make_server(tmp_path / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def follow(page: Page, selector: str) -> str:
    """Click the link `selector` finds, as a reader does, and wait for the page it opens; its path."""
    page.events.clear()
    assert page.js(f"(() => {{ const a = document.querySelector({json.dumps(selector)}); a && a.click(); "
                   "return !!a; })()"), f"no {selector}"
    page.wait_for("Page.loadEventFired")
    assert page.errors() == []
    return str(page.js("location.pathname"))


# The interface of the open page as a reader meets it: its text and labels, but
# not the document's own text nor anything marked as in another language (the
# other versions' titles, the Chicago citation, the languages' own names).
CHROME = """(() => {
  const lang = document.documentElement.lang, body = document.body.cloneNode(true);
  body.querySelectorAll('.content, [lang]').forEach(e => {
    if (e.matches('.content') || e.getAttribute('lang') !== lang) e.remove(); });
  const labels = Array.from(body.querySelectorAll('[aria-label]')).map(e => e.getAttribute('aria-label'));
  return body.textContent + ' ' + labels.join(' ');
})()"""


def test_a_reader_finds_their_way_in_every_language(served_languages: str, page: Page) -> None:
    """The menu, the tag index, the archive and the switcher, clicked through in
    Chromium; the Spanish and Russian pages with no English interface word left
    (every word of the catalogs' English messages is looked for)."""
    served = served_languages
    page.open(served + "/")
    menu = "header.site nav a"
    assert page.js(f"Array.from(document.querySelectorAll('{menu}')).map(a => a.textContent)") == \
        ["Home", "Archive", "Tags", "About us", "Feeds"]
    assert follow(page, f"{menu}[href='/tag/']") == "/tag/"
    assert page.js("document.querySelector('h1').textContent") == "Tags"
    terms = page.js("Array.from(document.querySelectorAll('ul.terms li')).map(li => li.textContent)")
    assert "gulag (5)" in terms, terms  # (five documents: one of them in three languages)
    assert follow(page, "ul.terms a[href='/tag/gulag/']") == "/tag/gulag/"
    rows = page.js("Array.from(document.querySelectorAll('ol.posts > li')).map(li => li.innerText)")
    letter = [r for r in rows if "On leaving Russia" in r or "Al dejar" in r or "Покидая" in r]
    assert len(letter) == 1 and "Español, Русский" in letter[0], rows  # one row, with its languages
    page.open(served + "/")
    assert follow(page, f"{menu}[href='/archive/']") == "/archive/"
    years = page.js("Array.from(document.querySelectorAll('ul.archive-years > li > a')).map(a => a.textContent)")
    assert "2008" in years and years == sorted(years, reverse=True)
    assert follow(page, "ul.archive-years a[href='/archive/2008/#m08']") == "/archive/2008/"
    assert page.js("document.getElementById('m08').textContent") == "August 2008"
    assert "On leaving Russia" in page.js("document.querySelector('section[aria-labelledby=m08]').textContent")
    # The switcher comes first on the letter's page, and leads to its Spanish and Russian versions.
    assert follow(page, "section[aria-labelledby=m08] a") == "/2008/08/19/on-leaving-russia-mollie-steimer/"
    assert page.js("document.querySelector('body > nav.languages + header.site') !== null")
    english = english_interface_words()
    seen = set(re.findall(r"[A-Za-z]{4,}", page.js(CHROME))) & english  # (the check sees the English interface)
    assert {"Skip", "content", "Tags", "Archive", "Cite"} <= seen, sorted(seen)
    for code, name, heading in (("es", "Español", "Al dejar Rusia"), ("ru", "Русский", "Покидая Россию")):
        page.open(served + "/2008/08/19/on-leaving-russia-mollie-steimer/")
        assert follow(page, f"nav.languages a[hreflang={code}]") == \
            f"/{code}/2008/08/20/on-leaving-russia-mollie-steimer/"
        assert page.js("[document.documentElement.lang, document.querySelector('h1').textContent]") == [code, heading]
        assert page.js("document.querySelector('nav.languages a[aria-current]').textContent") == name
        left = set(re.findall(r"[A-Za-z]{4,}", page.js(CHROME))) & english
        assert left == set(), f"{code}: English interface words {sorted(left)}"
        # Its section home, in its language too.
        assert follow(page, "header.site .site-title a") == f"/{code}/"
        left = set(re.findall(r"[A-Za-z]{4,}", page.js(CHROME))) & english
        assert page.js("document.documentElement.lang") == code and left == set(), (code, sorted(left))


@pytest.fixture
def served_with_photo(tmp_path: Path) -> Iterator[str]:
    """A post with a photo 2000 px wide (published with copies 480, 960 and 1600 px wide) above its text."""
    root = bundled(tmp_path)
    folder = root / "posts" / "photo"
    folder.mkdir()
    (folder / "monclus.jpg").write_bytes(jpeg(2000, 1500))
    (folder / "index.md").write_text(
        "---\ntitle: Vicente Monclús\ndate: 2024-05-04\nstate: published\n---\n"
        '![Vicente Monclús in Barcelona, 1937](monclus.jpg "Photo: a family archive")\n\n'
        + "He was born in 1898.\n\n" * 30, encoding="utf-8")
    commit_all(root, "A post with a photo")
    yield from serve_built(root, tmp_path / "site")


def test_a_phone_loads_the_smallest_copy_of_a_large_photo_and_nothing_moves(
        served_with_photo: str, page: Page) -> None:
    page.call("Emulation.setDeviceMetricsOverride", width=400, height=800, deviceScaleFactor=1, mobile=True)
    # Layout shifts, recorded from the page's start (a PerformanceObserver added before it loads).
    page.call("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__shift = 0; new PerformanceObserver(l => { for (const e of l.getEntries())"
        " if (!e.hadRecentInput) window.__shift += e.value; }).observe({type: 'layout-shift', buffered: true});"))
    page.open(served_with_photo + "/2024/05/04/photo/")
    loaded = page.call("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
        "(async () => { const i = document.querySelector('article img'); await i.decode();"
        " await new Promise(r => setTimeout(r, 300));"
        " return [i.currentSrc, i.naturalWidth, i.getBoundingClientRect().width, i.closest('a').getAttribute('href'),"
        " window.__shift]; })()"))
    current, natural, shown, link, shift = loaded["result"]["value"]
    assert current.endswith("/2024/05/04/photo/monclus.jpg.480w.webp"), current
    # `sizes` told the browser the column's width (400 px less 2rem of padding): the copy's
    # 480 px are taken as that many CSS pixels, and that is the width the image is shown at.
    assert natural == shown == 368
    assert link == "monclus.jpg"  # (the original, a click away)
    assert shift == 0
    # The original is served as it is: the copies are an addition.
    with urllib.request.urlopen(served_with_photo + "/2024/05/04/photo/monclus.jpg", timeout=10) as r:
        assert r.headers["Content-Type"] == "image/jpeg"
    assert page.errors() == []
