"""Every page of the built site is valid HTML, as the Nu Html Checker (the
W3C's validator, `vnu.jar` from the npm registry, run with Debian's Java)
reads it: the bundled site as published, with its drafts, and with search on
and two more languages, and a site of
hostile and unusual posts (markup in titles and tags, footnotes, a
right-to-left language, a withdrawn post, an alias).

The checker is installed by .ci/run (`npm ci --prefix .ci/web`); elsewhere
the test is skipped with the reason when it is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, require
from gulagpub.build import build
from sitehelp import NOW, about_and_two_versions, bundled, commit_all, jpeg

WEB = Path(os.environ.get("GULAGPUB_WEB_CHECKS", PROJECT / ".ci" / "web" / "node_modules"))
VNU = WEB / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    java = shutil.which("java")
    require("Java (Debian package 'default-jre-headless')", java is not None)
    require(f"the Nu Html Checker ({VNU}: npm ci --prefix .ci/web)", VNU.is_file())
    assert java is not None
    return [java, "-Xss4m", "-jar", str(VNU)]


def problems(vnu: list[str], *sites: Path) -> list[str]:
    """The checker's errors and warnings over every HTML file of `sites`, one line each."""
    pages = sorted(str(p) for site in sites for p in site.rglob("*.html"))
    assert pages, "no page was built"
    done = subprocess.run([*vnu, "--format", "json", "--stdout", *pages], capture_output=True, text=True,
                          timeout=600)
    report = json.loads(done.stdout or "{}")
    assert "messages" in report, done.stderr
    return [f"{m.get('url', '').split('/site')[-1]}:{m.get('lastLine', '?')}: {m.get('type')}"
            f"{'/' + m['subType'] if m.get('subType') else ''}: {m.get('message')}"
            for m in report["messages"] if m.get("type") in ("error", "non-document-error")
            or m.get("subType") == "warning"]


def test_every_page_of_the_bundled_site_is_valid(vnu: list[str], tmp_path: Path) -> None:
    root = bundled(tmp_path)
    build(root, tmp_path / "site", now=NOW)
    build(root, tmp_path / "drafts-site", now=NOW, drafts=True)
    # And as a team would grow it: search on ([site] search = true: the search pages, the menu's
    # Search, search.js), an About page and two languages' sections (their menus, archives,
    # tag indexes, the old addresses of the English archive).
    (tmp_path / "more").mkdir()
    more = bundled(tmp_path / "more")
    toml = more / "gulagpub.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[site]\n", "[site]\nsearch = true\n", 1), encoding="utf-8")
    about_and_two_versions(more, "Texto.\n")
    build(more, tmp_path / "search-site", now=NOW)
    assert (tmp_path / "search-site" / "es" / "search" / "index.html").is_file()
    assert problems(vnu, tmp_path / "site", tmp_path / "drafts-site", tmp_path / "search-site") == []


HOSTILE = """\
---
title: "<b>Bold</b> & <script>alert(1)</script> “quoted”"
date: 2024-05-01
state: published
author: "Ana <i>Ruiz</i>"
tags: ["<svg onload=alert(1)>", "Solovki & Butyrki"]
categories: [Letters]
summary: "A summary with <em>markup</em> & an ampersand"
aliases: ["/old/hostile-post/"]
source:
  title: "Carta <desde> Solovki"
  author: "Ana Ruiz"
  publication: "Tierra y Libertad"
  date: "1931-05"
  lang: es
  url: "https://example.org/carta?a=1&b=2"
translation:
  translator: "Tania Translator"
  from_lang: es
updated: 2024-06-01 10:00
corrections:
- date: 2024-06-01
  note: "the year was <b>1931</b> & not 1932 <script>alert(4)</script>"
---
A letter with a footnote[^1] and <script>alert(2)</script> inline, a
[link](javascript:alert(3)) and an image ![](https://example.org/x.png).

| a | table |
|---|-------|
| 1 | 2     |

[^1]: The note, with *emphasis* and a [link](https://example.org/).
"""

WITHDRAWN = """\
---
title: "<i>Withdrawn</i> & gone"
date: 2024-05-03
state: withdrawn
withdrawn:
  by: alice@example.org
  at: 2024-06-02 10:00:00+00:00
  reason: "A forgery <script>alert(5)</script> & worse"
---
Gone.
"""

ARABIC = """\
---
title: "رسالة من المنفى"
date: 2024-05-02
state: published
lang: ar
tags: [Letters]
---
نص الرسالة.
"""


def test_hostile_and_unusual_posts_give_valid_pages(vnu: list[str], tmp_path: Path) -> None:
    root = bundled(tmp_path)
    (root / "posts" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (root / "posts" / "arabic-letter.md").write_text(ARABIC, encoding="utf-8")
    (root / "posts" / "withdrawn-letter.md").write_text(WITHDRAWN, encoding="utf-8")
    (root / "originals" / "es").mkdir(parents=True)  # the hostile post's parallel view
    (root / "originals" / "es" / "hostile.md").write_text(
        '---\ntitle: "<b>Carta</b>"\n---\nUna carta <script>alert(6)</script>.\n\n| a |\n|---|\n| 1 |\n',
        encoding="utf-8")
    commit_all(root, "Three more posts")
    result = build(root, tmp_path / "site", now=NOW)
    assert result.warnings == [] and result.posts == 7
    site = tmp_path / "site"
    assert (site / "2024" / "05" / "01").is_dir() and (site / "old" / "hostile-post" / "index.html").is_file()
    assert problems(vnu, site) == []
    hostile = next(site.glob("2024/05/01/*/index.html")).read_text(encoding="utf-8")
    assert "the year was &lt;b&gt;1931&lt;/b&gt; &amp; not 1932 &lt;script&gt;" in hostile
    parallel = next(site.glob("2024/05/01/*/parallel/index.html")).read_text(encoding="utf-8")
    assert "<script>" not in parallel and "Una carta" in parallel
    gone = next(site.glob("2024/05/03/*/index.html")).read_text(encoding="utf-8")
    assert "Reason: A forgery &lt;script&gt;" in gone and "Gone." not in gone


def bundle_with_a_scan(root: Path) -> Path:
    """posts/letter/, a bundle holding scan-p1.jpg (a real 64x48 JPEG): its folder."""
    folder = root / "posts" / "letter"
    folder.mkdir()
    (folder / "scan-p1.jpg").write_bytes(jpeg(64, 48))
    return folder


def test_a_document_with_its_scans_figures_and_files_gives_a_valid_page(vnu: list[str], tmp_path: Path) -> None:
    root = bundled(tmp_path)
    folder = bundle_with_a_scan(root)
    (folder / "letter.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "scan-p2.jpg").write_bytes(jpeg(48, 64))
    (folder / "index.md").write_text(
        "---\ntitle: A letter with its scan\ndate: 2024-05-03\nstate: published\n"
        "image:\n  src: scan-p1.jpg\n  alt: Page 1 of the letter\n"
        "source:\n  author: Mollie Steimer\n  scans: [scan-p1.jpg, scan-p2.jpg]\n---\n"
        "The letter.\n\n![Page 1 of the letter](scan-p1.jpg \"Scan: International Institute of Social History\")\n\n"
        "Inline ![page 1, small](scan-p1.jpg) and [the PDF](letter.pdf).\n", encoding="utf-8")
    commit_all(root, "A letter with its scan")
    build(root, tmp_path / "site", now=NOW)
    page = (tmp_path / "site" / "2024" / "05" / "03" / "letter" / "index.html").read_text(encoding="utf-8")
    assert "<figcaption>Scan: International Institute of Social History</figcaption>" in page
    assert 'width="64" height="48" loading="lazy"' in page and '<small class="file">(PDF, 9 bytes)</small>' in page
    assert '<a href="#scans">Scans of the original: 2 pages</a>' in page and page.count("<figcaption>Page ") == 2
    assert problems(vnu, tmp_path / "site") == []


def test_a_bundled_translation_with_notes_beside_its_original_gives_a_valid_parallel_view(
        vnu: list[str], tmp_path: Path) -> None:
    """Both texts' footnotes resolve in the parallel view (cut after rendering),
    with ids of their own, and the scan in the bundle is the one published
    beside the post's page (the view is a folder further down)."""
    root = bundled(tmp_path)
    folder = bundle_with_a_scan(root)
    (folder / "index.md").write_text(
        "---\ntitle: A letter from Solovki\ndate: 2024-05-03\nstate: published\n"
        "translation:\n  translator: Paul Sharkey\n  from_lang: ru\n---\n"
        "The letter was written in 1925.[^1]\n\n![Page 1 of the letter](scan-p1.jpg)\n\n"
        "It reached Berlin.[^2]\n\n[^1]: On the island, in the winter.\n[^2]: Through the Red Cross.\n",
        encoding="utf-8")
    original = root / "originals" / "ru" / "letter.md"
    original.parent.mkdir(parents=True)
    original.write_text("---\ntitle: Письмо с Соловков\n---\n\nПисьмо написано в 1925 году.[^1]\n\n"
                        "![Конверт письма](envelope.jpg)\n\nОно дошло до Берлина.\n\n[^1]: На острове, зимой.\n",
                        encoding="utf-8")
    (folder / "envelope.jpg").write_bytes(jpeg(80, 40))  # (named by the original alone)
    commit_all(root, "A letter with its original")
    site = tmp_path / "site"
    build(root, site, now=NOW)
    view = (site / "2024" / "05" / "03" / "letter" / "parallel" / "index.html").read_text(encoding="utf-8")
    assert "[^" not in view
    pairs = view.split('<div class="pair">')[1:]
    assert len(pairs) == 4  # three paragraphs, then the notes beside the notes
    assert 'href="#original-fn-1" id="original-fnref-1"' in pairs[0] and 'href="#fn-1" id="fnref-1"' in pairs[0]
    assert '<li id="original-fn-1">' in pairs[3] and "На острове, зимой." in pairs[3]
    assert '<li id="fn-2">' in pairs[3] and "Through the Red Cross." in pairs[3]
    assert 'src="/2024/05/03/letter/scan-p1.jpg"' in pairs[1] and 'width="64" height="48"' in pairs[1]
    assert (site / "2024" / "05" / "03" / "letter" / "scan-p1.jpg").is_file()
    # The original's own image is published with the post, and shown beside the translation's.
    assert ('<img src="/2024/05/03/letter/envelope.jpg" alt="Конверт письма" width="80" height="40" '
            'loading="lazy">') in pairs[1]
    assert (site / "2024" / "05" / "03" / "letter" / "envelope.jpg").read_bytes() == (folder / "envelope.jpg").read_bytes()
    assert "envelope.jpg" not in (site / "2024" / "05" / "03" / "letter" / "index.html").read_text(encoding="utf-8")
    assert problems(vnu, site) == []


def test_a_page_with_large_images_and_their_copies_is_valid(vnu: list[str], tmp_path: Path) -> None:
    """srcset and sizes, the link to the original around a figure's image, also from a --relative-links preview."""
    root = bundled(tmp_path)
    folder = root / "posts" / "photos"
    folder.mkdir()
    (folder / "monclus.jpg").write_bytes(jpeg(2000, 1500))
    (root / "media").mkdir()
    (root / "media" / "poster.jpg").write_bytes(jpeg(1200, 1600))
    (folder / "index.md").write_text(
        "---\ntitle: Photos\ndate: 2024-05-04\nstate: published\n---\n"
        '![Vicente Monclús in 1937](monclus.jpg "Photo: a family archive")\n\n'
        "The poster, ![a poster of the CNT](/media/poster.jpg), and [the photo](monclus.jpg).\n", encoding="utf-8")
    commit_all(root, "Photos")
    build(root, tmp_path / "site", now=NOW)
    build(root, tmp_path / "preview", now=NOW, relative_links=True)
    page = (tmp_path / "site" / "2024/05/04/photos/index.html").read_text(encoding="utf-8")
    assert page.count(" srcset=") == 2 and '<a href="monclus.jpg"><img' in page
    assert problems(vnu, tmp_path / "site" / "2024/05/04/photos", tmp_path / "preview" / "2024/05/04/photos") == []
