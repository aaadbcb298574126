"""relative.py: a page's links to the site made relative to its folder and to files."""

from __future__ import annotations

from gulagpub.relative import relativized


def test_links_to_the_site_become_paths_to_files_from_the_page() -> None:
    page = (b'<a href="/">Home</a><a href="/tag/gulag/?x=1#top">t</a><link href="/style.css">'
            b'<img src="/media/scan.jpg"><a href="#fn-1">1</a><a href="https://other.example/x/">o</a>'
            b'<a href="//cdn.example/x">c</a><a href="mailto:a@b.c">m</a>')
    assert relativized(page, "2012/10/20/x/index.html", "/") == (
        b'<a href="../../../../index.html">Home</a><a href="../../../../tag/gulag/index.html?x=1#top">t</a>'
        b'<link href="../../../../style.css"><img src="../../../../media/scan.jpg"><a href="#fn-1">1</a>'
        b'<a href="https://other.example/x/">o</a><a href="//cdn.example/x">c</a><a href="mailto:a@b.c">m</a>')


def test_a_site_under_a_sub_path_and_a_redirect_page() -> None:
    page = b'<meta http-equiv="refresh" content="0; url=/blog/2008/08/19/m/"><a href="/elsewhere/">x</a>'
    assert relativized(page, "old/m/index.html", "/blog/") == (
        b'<meta http-equiv="refresh" content="0; url=../../2008/08/19/m/index.html"><a href="/elsewhere/">x</a>')
    assert relativized(b'<a href="/blog/">h</a>', "index.html", "/blog/") == b'<a href="index.html">h</a>'
