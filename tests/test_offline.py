"""`gulagpub offline`: a built preview copied so that it opens from disk —
in a real headless Chromium from file://, with its styles and every link
leading to a file that is there."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sitehelp import NOW, bundled
from test_browser import Page, crawl, page  # noqa: F401 - the browser fixture

from gulagpub.build import build
from gulagpub.errors import UsageError
from gulagpub.offline import copy, relative


def test_links_become_relative_to_their_page() -> None:
    page_ = "2012/10/20/vicente/index.html"
    assert relative("/style.css", page_) == "../../../../style.css"
    assert relative("/", page_) == "../../../../index.html"
    assert relative("/tag/gulag/?x=1#top", page_) == "../../../../tag/gulag/index.html?x=1#top"
    assert relative("/2012/10/20/vicente/cite.ris", page_) == "cite.ris"
    assert relative("#main", page_) == "#main"
    assert relative("https://example.org/", page_) == "https://example.org/"
    assert relative("//cdn.example.org/x.js", page_) == "//cdn.example.org/x.js"
    assert relative("/blog/style.css", "index.html", "/blog/") == "style.css"
    assert relative("/elsewhere/", "index.html", "/blog/") == "/elsewhere/"


def test_a_copy_needs_a_built_site_and_a_new_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="holds no built site"):
        copy(tmp_path, tmp_path / "out", "https://example.org/")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<a href=\"/\">home</a>")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="exists and is not an empty folder"):
        copy(tmp_path / "site", tmp_path / "out", "https://example.org/")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_a_preview_with_drafts_opens_from_disk_with_styles_and_working_links(tmp_path: Path, page: Page) -> None:  # noqa: F811
    root = bundled(tmp_path)
    (root / "posts" / "a-draft.md").write_text("---\ntitle: A draft in review\nstate: review\n"
                                               "date: 2026-11-01\n---\n\nNot public yet.\n", encoding="utf-8")
    built, out = tmp_path / "built", tmp_path / "preview"
    build(root, built, now=NOW, drafts=True)
    assert copy(built, out, "https://gulaganarchists.github.io/") > 10
    page.open((out / "index.html").as_uri())
    # The style sheet applied: the body has the width style.css gives it.
    assert page.js("getComputedStyle(document.body).maxWidth") != "none"
    assert "A draft in review" in page.js("document.body.innerText")
    def check(url: str) -> list[str]:
        assert page.js("getComputedStyle(document.body).maxWidth") != "none", f"{url}: no styles"
        pages = []
        for link in page.js("Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href)"):
            if not link.startswith("file://"):
                continue
            target = Path(unquote(urlsplit(link).path))
            assert target.is_file(), f"{url} links {link}, which is not there"
            if target.suffix == ".html" and out in target.parents:
                pages.append(target.as_uri())
        return pages

    pages = crawl(page, [(out / "index.html").as_uri()], check)
    assert pages >= 8
