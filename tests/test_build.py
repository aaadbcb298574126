"""The build: pages and feeds from the bundled posts, golden files, safety
of hostile content, atomic and incremental writes, updated times from Git."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from conftest import post_text
from gulagpub.build import build
from gulagpub.errors import BuildError
from gulagpub.postfile import KNOWN_KEYS
from sitehelp import NOW, bundled, commit_all, feedcheck, gulagpub, project_site, snapshot, spanish_mollie

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("GULAGPUB_REGEN_GOLDEN") == "1"
VICENTE = "2012/10/20/vicente-monclus-guallar/index.html"


def golden(name: str, data: bytes) -> None:
    """Compare with tests/golden/NAME; GULAGPUB_REGEN_GOLDEN=1 rewrites it (review the diff)."""
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} missing: run with GULAGPUB_REGEN_GOLDEN=1 and review it"
    assert data == path.read_bytes(), f"{name} differs from its golden file (GULAGPUB_REGEN_GOLDEN=1 to accept)"


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    root = bundled(tmp_path)
    out = tmp_path / "out"
    build(root, out, now=NOW)
    return root, out


def test_golden_page_and_feeds(site: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = site
    golden("vicente.html", (out / VICENTE).read_bytes())
    golden("feed.atom", (out / "feed.atom").read_bytes())
    golden("feed.rss", (out / "feed.rss").read_bytes())
    golden("feed.json", (out / "feed.json").read_bytes())
    golden("tag-gulag.atom", (out / "tag/gulag/feed.atom").read_bytes())
    # With two entries per document the older posts go to RFC 5005 archives.
    (tmp_path / "small").mkdir()
    small = bundled(tmp_path / "small")
    text = (small / "gulagpub.toml").read_text().replace("entries = 20", "entries = 2")
    (small / "gulagpub.toml").write_text(text)
    build(small, tmp_path / "small-out", now=NOW)
    golden("archive-1.atom", (tmp_path / "small-out/archive/1.atom").read_bytes())


def test_vicente_carries_translator_and_source_in_page_and_feeds(site: tuple[Path, Path]) -> None:
    _, out = site
    page = (out / VICENTE).read_text()
    assert "From: O Crabero, via Huesca-Info. Translated from the Spanish by Paul Sharkey." in page
    atom = feedparser.parse((out / "feed.atom").read_bytes())
    entry = next(e for e in atom.entries if "Monclús" in e.title)
    assert [c["name"] for c in entry.contributors] == ["Paul Sharkey"]
    assert "From: O Crabero, via Huesca-Info" in entry.content[0].value
    assert entry.id == "tag:gulaganarchists.wordpress.com,2012-10-20:vicente-monclus-guallar"
    rss = (out / "feed.rss").read_text()
    item = rss[rss.index("<title>Vicente"):]
    item = item[: item.index("</item>")]
    assert "<dc:contributor>Paul Sharkey</dc:contributor>" in item
    assert "<dc:source>O Crabero, Huesca-Info</dc:source>" in item
    data = json.loads((out / "feed.json").read_text())
    item_json = next(i for i in data["items"] if "Monclús" in i["title"])
    assert "Paul Sharkey" in item_json["content_html"]


def test_feeds_round_trip_through_feedparser(site: tuple[Path, Path]) -> None:
    _, out = site
    for name, version in (("feed.atom", "atom10"), ("feed.rss", "rss20")):
        parsed = feedparser.parse((out / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version
        assert parsed.feed.title == "Anarchists in the Gulag (and prison and exile)"
        assert len(parsed.entries) == 5
        first = parsed.entries[0]
        assert first.id == "tag:gulaganarchists.wordpress.com,2014-04-06:the-guillotine-at-work-part-two"
        assert first.link == "https://gulaganarchists.github.io/2014/04/06/the-guillotine-at-work-part-two/"
        assert first.published_parsed[:5] == (2014, 4, 6, 10, 24)
        assert [t.term for t in first.tags] == ["gulag"]
    atom = feedparser.parse((out / "feed.atom").read_bytes())
    assert atom.entries[0].updated_parsed[:5] == (2014, 4, 6, 10, 24)  # not the build or commit time
    assert atom.entries[0].author == "gulaganarchists"
    assert any(link.rel == "self" and link.href.endswith("/feed.atom") for link in atom.feed.links)


def test_every_built_feed_passes_feedcheck(site: tuple[Path, Path], shared: Path) -> None:
    _, out = site
    result = feedcheck(shared, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings" in result.stdout


def test_the_same_content_builds_byte_identical(site: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = site
    build(root, tmp_path / "again", now=NOW.replace(year=2030))
    assert snapshot(tmp_path / "again") == snapshot(out)


_DATA = re.compile(r'<script type="application/ld\+json">([^<]*)</script>')


def without_data(page: str) -> str:
    """A page without its JSON-LD block (data, not a script: a JSON text, in which no '<' can end it)."""
    for m in _DATA.finditer(page):
        json.loads(m.group(1))
    return _DATA.sub("", page)


def test_pages_have_what_a_reader_needs(site: tuple[Path, Path]) -> None:
    _, out = site
    page = (out / VICENTE).read_text()
    assert '<html lang="en">' in page and 'name="viewport"' in page
    assert '<a class="skip" href="#main">' in page and '<main id="main">' in page
    assert "<script" not in without_data(page)  # no script runs: JSON-LD is data
    assert 'rel="alternate" type="application/atom+xml"' in page
    assert '<a rel="tag" href="/tag/gulag/">gulag</a>' in page
    for name in ("index.html", "404.html", "tag/gulag/index.html"):
        assert 'type="application/atom+xml"' in (out / name).read_text()
    assert "https://gulaganarchists.github.io/2012/10/20/vicente-monclus-guallar/" in (out / "sitemap.xml").read_text()
    assert "Sitemap: https://gulaganarchists.github.io/sitemap.xml" in (out / "robots.txt").read_text()
    mollie = (out / "2008/08/19/on-leaving-russia-mollie-steimer/index.html").read_text()
    assert ("First published in Freedom, January 1924; reprinted in Cienfuegos Press "
            "Anarchist Review, #4 (1978).") in mollie


def _tags_and_attributes(html: str) -> set[str]:
    from html.parser import HTMLParser

    seen: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            seen.add(tag)
            seen.update(name for name, _ in attrs)

    Collect().feed(html)
    return seen


def _hostile(root: Path) -> None:
    big = ("Lorem ipsum dolor sit amet, consectetur. " * 25 + "\n\n") * 2000  # ~2 MB
    (root / "posts/2020-01-01-hostile.md").write_text(
        "---\n"
        'title: "<script>alert(1)</script> & \\x01 title 🙂"\n'
        "state: published\n"
        "date: 2020-01-01 10:00\n"
        "tags: ['<b>', '../../x', 'Гулаг', 'عربي', '無政府', '<svg onload=alert(3)>']\n"
        "categories: ['<img src=x onerror=alert(1)>']\n"
        "content_warning: '<i>executions</i>'\n"
        "---\n\n"
        "<script>alert('body')</script>\n\n"
        "[js](javascript:alert(1)) <img src=x onerror=alert(2)> ctrl:\x01\x02\x0b end\n\n"
        "Русский текст, 中文, עברית, emoji 🙂🏴‍☠️\n", encoding="utf-8")
    (root / "posts/2020-01-02-big.md").write_text(
        "---\ntitle: Big\nstate: published\ndate: 2020-01-02 10:00\n---\n\n" + big, encoding="utf-8")
    (root / "posts/2020-01-03-rtl.md").write_text(
        "---\ntitle: عنوان\nstate: published\ndate: 2020-01-03 10:00\nlang: ar\n---\n\nنص عربي\n",
        encoding="utf-8")


def test_hostile_content_comes_out_escaped_and_feeds_stay_valid(tmp_path: Path, shared: Path) -> None:
    root = bundled(tmp_path)
    _hostile(root)
    commit_all(root, "Hostile posts")
    out = tmp_path / "out"
    build(root, out, now=NOW)
    everything = snapshot(out)
    for path, data in everything.items():
        text = data.decode("utf-8")
        if path.endswith(".json"):  # JSON Feed titles are plain text; only content_html is HTML
            text = "".join(i["content_html"] for i in json.loads(text)["items"])
        if path.endswith(".ris"):  # plain text (no browser takes a file starting so for HTML)
            assert text.startswith("TY  - ELEC\r\n"), path
            continue
        assert "<script" not in without_data(text).lower(), path
        assert "javascript:" not in text.lower(), path
        if path.endswith(".html"):  # no real tag with an event handler (escaped text is fine)
            assert _tags_and_attributes(without_data(text)).isdisjoint({"script", "iframe", "object", "embed"}), path
            assert not any(a.startswith("on") for a in _tags_and_attributes(text)), path
        assert "\x01" not in text and "\x0b" not in text, path
        assert not any(p.startswith("..") for p in path.split("/")), path
    page = (out / "2020/01/01/hostile/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    assert "&lt;b&gt;" in page and "/tag/b/" in page and "/tag/x/" in page
    assert page.index("Content warning") < page.index("<p>Русский текст")
    assert "&lt;i&gt;executions&lt;/i&gt;" in page
    assert (out / "tag/гулаг/index.html").is_file()
    assert 'href="/tag/%D0%B3%D1%83%D0%BB%D0%B0%D0%B3/"' in page
    assert 'dir="rtl"' in (out / "2020/01/03/rtl/index.html").read_text()
    assert len((out / "2020/01/02/big/index.html").read_bytes()) > 2_000_000
    result = feedcheck(shared, out)
    assert result.returncode == 0, result.stdout + result.stderr
    # RSS readers read titles and descriptions as HTML: the plain text comes escaped twice there.
    rss = (out / "feed.rss").read_text(encoding="utf-8")
    assert "<title>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &amp;amp;" in rss
    tag_rss = next(out.glob("tag/*svg*/feed.rss")).read_text(encoding="utf-8")
    assert "&amp;lt;svg onload=alert(3)&amp;gt;" in tag_rss
    assert not re.search(r"<(title|description)>[^<]*&lt;svg", tag_rss)  # (a <category> is plain text)
    # content:encoded by its conventional prefix, declared once on the document.
    assert rss.count('xmlns:content="http://purl.org/rss/1.0/modules/content/"') == 1
    assert "<content:encoded>" in rss and "ns0:" not in rss


def test_a_published_post_with_problems_fails_and_leaves_the_old_site(site: tuple[Path, Path]) -> None:
    root, out = site
    before = snapshot(out)
    (root / "posts/2020-05-05-broken.md").write_text(
        "---\ntitle: Broken\nstate: published\ndate: 2020-05-05\ntags: {a: b}\n---\n\nText\n")
    with pytest.raises(BuildError) as err:
        build(root, out, now=NOW)
    assert "posts/2020-05-05-broken.md:5: 'tags' must be a list" in str(err.value)
    assert snapshot(out) == before


def test_a_broken_draft_is_a_warning_only(site: tuple[Path, Path]) -> None:
    root, out = site
    (root / "posts/2020-05-05-draft.md").write_text("---\ntitle: Draft\nstate: draft\nbogus: 1\n---\n\nx\n")
    result = build(root, out, now=NOW)
    assert [str(w) for w in result.warnings] == [
        "posts/2020-05-05-draft.md:4: unknown field 'bogus'; known fields: " + ", ".join(KNOWN_KEYS)]
    assert not (out / "2020/05/05/draft").exists()


def test_a_due_approved_post_with_problems_blocks_the_build(site: tuple[Path, Path]) -> None:
    root, out = site
    (root / "posts/2020-05-05-due.md").write_text(
        "---\ntitle: Due\nstate: approved\ndate: 2020-05-05\nsticky: maybe\n---\n\nx\n")
    with pytest.raises(BuildError, match=r"posts/2020-05-05-due.md:5: 'sticky' must be true or false"):
        build(root, out, now=NOW)


def test_the_cli_reports_problems_as_path_line_message(site: tuple[Path, Path]) -> None:
    root, out = site
    (root / "posts/2020-05-05-broken.md").write_text("---\ntitle: [unclosed\nstate: published\n---\n")
    result = gulagpub("-C", str(root), "build", "--out", str(out))
    assert result.returncode == 1
    assert "error: the site was not built" in result.stderr
    assert "posts/2020-05-05-broken.md:" in result.stderr and "Traceback" not in result.stderr


def test_an_interrupted_build_leaves_the_old_site_byte_identical(tmp_path: Path) -> None:
    from corpus import generate

    root = tmp_path / "gen"
    generate(root, 400)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    before = snapshot(out)
    for p in (root / "posts").iterdir():  # every page must be made again
        p.write_text(p.read_text().replace("## Part one", "## Part one, revised"))
    spare = tmp_path / ".site.gulagpub-next"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gulagpub"), "-C", str(root), "build",
                             "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if spare.is_dir() and sum(1 for _ in spare.rglob("*.html")) >= 20:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(out) == before
    build(root, out, now=NOW)  # and the next build recovers
    assert "revised" in next((out / "2000").rglob("index.html")).read_text()


def test_an_incremental_build_equals_a_full_build(tmp_path: Path) -> None:
    from corpus import generate

    root = tmp_path / "gen"
    generate(root, 120)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    victim = sorted((root / "posts").iterdir())[7]
    victim.write_text(victim.read_text().replace("## Part one", "## Part one, edited\n\nNew words."))
    (root / "posts/2025-06-01-new.md").write_text(post_text(
        "A new post", "published", "Fresh.\n", date="2025-06-01 10:00", tags="[tag-1, новый]"))
    (sorted((root / "posts").iterdir())[3]).unlink()
    commit_all(root, "Edit one, add one, remove one", when="2026-11-27T11:00:00+00:00")
    incremental = build(root, out, now=NOW)
    assert incremental.rendered == 2  # only the edited and the new post
    assert incremental.report.written < 200
    full_root = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(root), str(full_root)], check=True)
    build(full_root, tmp_path / "full", now=NOW)
    assert snapshot(out) == snapshot(tmp_path / "full")


def test_two_writers_make_the_same_site_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked writers (feed documents grouped by time, entries serialized per
    writer) write exactly what a single writer writes."""
    from corpus import generate

    from gulagpub import site

    root = tmp_path / "gen"
    generate(root, 120)
    two = build(root, tmp_path / "two", now=NOW)
    assert two.report.written > site.PARALLEL_FROM  # so two writers shared the work
    monkeypatch.setattr(site, "PARALLEL_FROM", 10**9)
    build(root, tmp_path / "one", now=NOW)
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")


def test_updated_comes_from_real_content_changes_only(tmp_path: Path) -> None:
    root = bundled(tmp_path)
    path = root / "posts/2008-08-19-the-tragedy-of-karaganda.md"
    # A workflow-only change (state/reviews/id) is not an update...
    text = path.read_text()
    path.write_text(text.replace("state: published", "state: published\npublished_by: x"))
    commit_all(root, "Workflow only", when="2026-11-27T11:00:00+00:00")
    out = tmp_path / "out"
    build(root, out, now=NOW)
    entry = next(e for e in feedparser.parse((out / "feed.atom").read_bytes()).entries
                 if "karaganda" in e.link)
    assert entry.updated_parsed[:3] == (2008, 8, 19)
    # ... an edit of the text is.
    path.write_text(path.read_text() + "\nA correction.\n")
    commit_all(root, "Correct the text", when="2026-11-27T11:30:00+00:00")
    build(root, out, now=NOW)
    entry = next(e for e in feedparser.parse((out / "feed.atom").read_bytes()).entries
                 if "karaganda" in e.link)
    assert entry.updated_parsed[:5] == (2026, 11, 27, 11, 30)
    assert entry.published_parsed[:3] == (2008, 8, 19)


def test_aliases_mastodon_link_and_language_versions(site: tuple[Path, Path]) -> None:
    root, out = site
    mollie = root / "posts/2008-08-19-on-leaving-russia-mollie-steimer.md"
    mollie.write_text(mollie.read_text().replace("lang: en\n", "lang: en\naliases: [/old/mollie/]\n", 1))
    spanish_mollie(root)
    (root / "announcements.jsonl").write_text(json.dumps({
        "post": "tag:gulaganarchists.wordpress.com,2008-08-19:on-leaving-russia-mollie-steimer",
        "path": "posts/2008-08-19-on-leaving-russia-mollie-steimer.md", "state": "posted",
        "at": "2026-11-27T10:00:00Z", "status_id": "1", "url": "https://social.example/@gulag/1"}) + "\n")
    build(root, out, now=NOW)
    page = (out / "2008/08/19/on-leaving-russia-mollie-steimer/index.html").read_text()
    assert '<a href="https://social.example/@gulag/1" rel="noopener">Discuss on Mastodon</a>' in page
    assert '<link rel="alternate" hreflang="es" href="https://gulaganarchists.github.io/es/2008/08/20/on-leaving-russia-mollie-steimer/">' in page
    assert 'href="/es/2008/08/20/on-leaving-russia-mollie-steimer/" hreflang="es"' in page
    english = '<link rel="alternate" hreflang="x-default" href="https://gulaganarchists.github.io/2008/08/19/on-leaving-russia-mollie-steimer/">'
    assert english in page  # (the original, for a reader of neither language)
    spanish = (out / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text()
    assert english in spanish
    assert '<html lang="es">' in spanish and "Traducido del inglés por Tania Translator." in spanish
    assert (out / "es/index.html").is_file() and (out / "es/feed.atom").is_file()
    redirect = (out / "old/mollie/index.html").read_text()
    assert 'http-equiv="refresh" content="0; url=/2008/08/19/on-leaving-russia-mollie-steimer/"' in redirect
    assert '<link rel="canonical" href="https://gulaganarchists.github.io/2008/08/19/on-leaving-russia-mollie-steimer/">' in redirect


def test_every_internal_link_resolves(site: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = site
    (root / "posts/2020-01-01-cyrillic.md").write_text(post_text(
        "Гулаг", "published", "[Home](/) [tag](/tag/gulag/)\n", date="2020-01-01 10:00",
        tags="[Гулаг, 無政府]", categories="[Архив]", aliases="[/old/гулаг/]"))
    tr = root / "translations/es/2020-01-01-cyrillic.md"
    tr.parent.mkdir(parents=True)
    tr.write_text(post_text("Gulag", "published", "Texto.\n", date="2020-01-02 10:00", tags="[gulag]"))
    build(root, out, now=NOW)
    from urllib.parse import unquote, urlsplit

    broken = []
    for page in out.rglob("*.html"):
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("#"):
                continue
            target = (out / unquote(parts.path).lstrip("/")) if parts.path.startswith("/") \
                else (page.parent / unquote(parts.path))
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{page.relative_to(out)} -> {href}")
    assert broken == []


def test_pages_are_built_at_their_slug_and_stay_out_of_feeds(site: tuple[Path, Path]) -> None:
    root, out = site
    (root / "pages").mkdir()
    (root / "pages/about.md").write_text(post_text("About us", "published", "We *publish* documents.\n", date="2020-01-01"))
    build(root, out, now=NOW)
    about = (out / "about/index.html").read_text()
    assert "<h1>About us</h1>" in about and "<em>publish</em>" in about
    assert "About us" not in (out / "feed.atom").read_text()
    (root / "pages/tag.md").write_text(post_text("Tags", "published", "x\n", date="2020-01-01"))
    with pytest.raises(BuildError, match="page slug 'tag' is used by the site itself"):
        build(root, out, now=NOW)


def test_drafts_preview_shows_drafts_marked_as_such(site: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = site
    (root / "posts/2026-11-20-draft.md").write_text(post_text("A draft", "draft", "Work in progress.\n",
                                                              date="2026-11-20 10:00"))
    preview = tmp_path / "preview"
    build(root, preview, now=NOW, drafts=True)
    page = (preview / "2026/11/20/draft/index.html").read_text()
    assert "Work in progress." in page and '<strong class="state">draft</strong>' in page


def test_a_list_template_of_the_sites_own_laying_out_the_items_itself_still_works(tmp_path: Path) -> None:
    """A list.html that loops over `items` (as the packaged one did before it
    showed the entries rendered once, `rows`) makes the same list pages."""
    from corpus import generate

    root = tmp_path / "gen"
    generate(root, 60)
    build(root, tmp_path / "ours", now=NOW)
    package = Path(__file__).parent.parent / "src/gulagpub/templates"
    loop = "{% for item in items %}" + (package / "_item.html").read_text() + "{% endfor %}"
    (root / "templates").mkdir()
    (root / "templates/list.html").write_text((package / "list.html").read_text().replace("{{ rows }}", loop))
    build(root, tmp_path / "looping", now=NOW)
    ours, looping = snapshot(tmp_path / "ours"), snapshot(tmp_path / "looping")
    lists = [p for p in ours if p == "index.html" or p.startswith(("page/", "tag/", "category/"))
             and p.endswith(".html")]
    assert len(lists) > 10 and b'<ol class="posts">\n<li lang=' in ours["index.html"]
    assert {p: looping[p] for p in lists} == {p: ours[p] for p in lists}


def test_old_addresses_that_collide_are_warnings_naming_both_posts_never_a_failed_build(
        site: tuple[Path, Path]) -> None:
    root, out = site
    mollie = root / "posts/2008-08-19-on-leaving-russia-mollie-steimer.md"
    vicente = root / "posts/2012-10-20-vicente-monclus-guallar.md"
    mollie.write_text(mollie.read_text().replace("lang: en\n", "lang: en\naliases: [/old/both/]\n", 1))
    vicente.write_text(vicente.read_text().replace(
        "\n---\n", "\naliases: [/old/both/, /2014/04/06/the-guillotine-at-work-part-two/]\n---\n", 1))
    result = build(root, out, now=NOW)
    messages = {str(w) for w in result.warnings}
    assert any("posts/2012-10-20-vicente-monclus-guallar.md" in m and "/old/both/" in m
               and "an old address of posts/2008-08-19-on-leaving-russia-mollie-steimer.md" in m for m in messages)
    assert any("the-guillotine-at-work-part-two" in m and "a page of this site" in m for m in messages)
    assert "Mollie" in (out / "old/both/index.html").read_text()  # the first keeps it
    assert "Moved:" not in (out / "2014/04/06/the-guillotine-at-work-part-two/index.html").read_text()


def test_sitemap_lists_every_list_and_language_page_with_alternates(site: tuple[Path, Path]) -> None:
    root, out = site
    spanish_mollie(root)
    build(root, out, now=NOW)
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = {u.findtext("s:loc", namespaces=ns): u for u in ET.parse(out / "sitemap.xml").getroot()}
    base = "https://gulaganarchists.github.io/"
    for path in ("", "tag/", "tag/gulag/", "es/", "2012/10/20/vicente-monclus-guallar/",
                 "es/2008/08/20/on-leaving-russia-mollie-steimer/"):
        assert base + path in urls, path
    assert urls[base + "tag/gulag/"].findtext("s:lastmod", namespaces=ns)  # the newest of its posts
    english = base + "2008/08/19/on-leaving-russia-mollie-steimer/"
    spanish = base + "es/2008/08/20/on-leaving-russia-mollie-steimer/"
    for url in (english, spanish):  # each names both, itself included (as search engines ask)
        links = {(a.get("hreflang"), a.get("href")) for a in urls[url].findall("x:link", ns)}
        assert links == {("en", english), ("es", spanish), ("x-default", english)}  # (the original)
    assert urls[base + "2012/10/20/vicente-monclus-guallar/"].findall("x:link", ns) == []
    # Every page of the site is in it; feeds and redirects are not.
    pages = {base + str(p.relative_to(out).parent) + "/" for p in out.rglob("index.html")
             if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")}
    assert (out / "en/archive/index.html").is_file()  # (a redirect: the site's language's archive is /archive/)
    pages = {p.replace(base + "./", base) for p in pages}
    listed = set(urls)
    assert {p for p in pages if "/page/" not in p} - listed == set()


def test_a_site_in_a_sub_folder_has_no_robots_txt_of_its_own(tmp_path: Path) -> None:
    root = project_site(tmp_path)
    build(root, tmp_path / "site", now=NOW)
    assert not (tmp_path / "site" / "robots.txt").exists()
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text()
    assert "<loc>https://team.github.io/gulag/2012/10/20/vicente-monclus-guallar/</loc>" in sitemap
    home = (tmp_path / "site" / "index.html").read_text()
    assert 'href="/gulag/style.css"' in home and 'href="/gulag/2012/10/20/vicente-monclus-guallar/"' in home


def test_feeds_link_a_stylesheet_that_speaks_their_language(site: tuple[Path, Path]) -> None:
    from lxml import etree

    root, out = site
    spanish_mollie(root)
    build(root, out, now=NOW)
    for feed in ("feed.atom", "es/feed.atom", "tag/gulag/feed.rss"):
        assert (out / feed).read_bytes().split(b"\n")[1] == b'<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>'
    xslt = etree.XSLT(etree.parse(str(out / "feed.xsl")))  # libxslt, as in Chromium
    spanish = str(xslt(etree.parse(str(out / "es/feed.atom"))))
    assert '<html lang="es">' in spanish and "Este es un canal web" in spanish and "Al dejar Rusia" in spanish
    english = str(xslt(etree.parse(str(out / "feed.rss"))))
    assert "This is a web feed" in english and "Vicente Monclús Guallar" in english
    assert "<script" not in english  # (titles are text: the stylesheet never copies markup)
