"""Every page of the built site is valid HTML, as the Nu Html Checker (the
W3C's validator, `vnu.jar` from the npm registry, run with Debian's Java)
reads it: the bundled site as published and with its drafts, and a site of
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
from sitehelp import NOW, bundled, commit_all

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
    assert problems(vnu, tmp_path / "site", tmp_path / "drafts-site") == []


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
---
A letter with a footnote[^1] and <script>alert(2)</script> inline, a
[link](javascript:alert(3)) and an image ![](https://example.org/x.png).

| a | table |
|---|-------|
| 1 | 2     |

[^1]: The note, with *emphasis* and a [link](https://example.org/).
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
    commit_all(root, "Two more posts")
    result = build(root, tmp_path / "site", now=NOW)
    assert result.warnings == [] and result.posts == 7
    site = tmp_path / "site"
    assert (site / "2024" / "05" / "01").is_dir() and (site / "old" / "hostile-post" / "index.html").is_file()
    assert problems(vnu, site) == []


def test_a_document_with_its_scans_figures_and_files_gives_a_valid_page(vnu: list[str], tmp_path: Path) -> None:
    import io

    from PIL import Image

    root = bundled(tmp_path)
    folder = root / "posts" / "letter"
    folder.mkdir()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 180, 150)).save(buf, "JPEG")
    (folder / "scan-p1.jpg").write_bytes(buf.getvalue())
    (folder / "letter.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "index.md").write_text(
        "---\ntitle: A letter with its scan\ndate: 2024-05-03\nstate: published\n"
        "image:\n  src: scan-p1.jpg\n  alt: Page 1 of the letter\n---\n"
        "The letter.\n\n![Page 1 of the letter](scan-p1.jpg \"Scan: International Institute of Social History\")\n\n"
        "Inline ![page 1, small](scan-p1.jpg) and [the PDF](letter.pdf).\n", encoding="utf-8")
    commit_all(root, "A letter with its scan")
    build(root, tmp_path / "site", now=NOW)
    page = (tmp_path / "site" / "2024" / "05" / "03" / "letter" / "index.html").read_text(encoding="utf-8")
    assert "<figcaption>Scan: International Institute of Social History</figcaption>" in page
    assert 'width="64" height="48" loading="lazy"' in page and '<small class="file">(PDF, 9 bytes)</small>' in page
    assert problems(vnu, tmp_path / "site") == []
