"""Markdown -> safe HTML, absolute links for feeds, XML-safe text, provenance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gulagpub.model import Kind, Post, Reprint, Source, State, Translation
from gulagpub.render import (
    absolutize,
    human_date,
    is_xml_safe,
    language_name,
    markdown_to_html,
    provenance,
    strip_forbidden,
)


@pytest.mark.parametrize("markdown, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ("[click](javascript:alert(1))", "javascript:"),
    ("[click](JaVaScRiPt:alert(1))", "alert"),
    ('<a href="data:text/html,<script>x</script>">x</a>', "data:"),
    ("<iframe src=https://evil.example/></iframe>", "<iframe"),
    ("<object data=x></object><embed src=x>", "<object"),
    ("<style>body{display:none}</style>", "<style"),
    ("<form action=https://evil.example><input></form>", "<form"),
    ('<p style="position:fixed">x</p>', "style="),
    ('<div onclick="x()">x</div>', "onclick"),
    ("<svg><script>alert(1)</script></svg>", "<script"),
])
def test_hostile_markup_is_removed(markdown: str, forbidden: str) -> None:
    assert forbidden.lower() not in markdown_to_html(markdown).lower()


def test_commonmark_and_gfm_render() -> None:
    html = markdown_to_html("# Title\n\n*em* ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in html and "<em>em</em>" in html and "<del>gone</del>" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_external_links_get_rel_internal_do_not() -> None:
    html = markdown_to_html("[out](https://example.org/) and [in](/2012/x/)")
    assert '<a rel="noopener noreferrer nofollow" href="https://example.org/">out</a>' in html
    assert '<a href="/2012/x/">in</a>' in html


def test_absolutize_makes_links_and_images_absolute() -> None:
    html = markdown_to_html("[a](/x/) [b](../y/) ![pic](img.png) [c](https://o.example/) [m](mailto:a@b.c)")
    out = absolutize(html, "https://blog.example.org/2012/10/20/post/")
    assert 'href="https://blog.example.org/x/"' in out
    assert 'href="https://blog.example.org/2012/10/20/y/"' in out
    assert 'src="https://blog.example.org/2012/10/20/post/img.png"' in out
    assert 'href="https://o.example/"' in out and 'href="mailto:a@b.c"' in out


def test_strip_forbidden_keeps_tab_lf_cr_and_everything_else() -> None:
    text = "a\x00b\x08c\tok\nline\rx\x0bd\x1fe\ufffef\uffffg\ud800h é 中 🙂"
    assert strip_forbidden(text) == "abc\tok\nline\rxdefgh é 中 🙂"


def _xml_char(c: str) -> bool:  # XML 1.0, production [2] Char
    n = ord(c)
    return n in (0x9, 0xA, 0xD) or 0x20 <= n <= 0xD7FF or 0xE000 <= n <= 0xFFFD or n >= 0x10000


@given(st.lists(st.one_of(st.characters(max_codepoint=0x40), st.characters(), st.sampled_from(
    ["\ud800", "\udfff", "\ufffe", "\uffff", "\ufffd", "é", "🙂"])), max_size=12).map("".join))
def test_xml_safety_is_decided_and_stripped_as_xml_1_0_says(text: str) -> None:
    assert is_xml_safe(text) == all(map(_xml_char, text))
    assert strip_forbidden(text) == "".join(filter(_xml_char, text))


def test_control_characters_never_reach_html() -> None:
    assert "\x01" not in markdown_to_html("hello\x01 world\x1b")


def test_language_names_and_partial_dates() -> None:
    assert language_name("es") == "Spanish"
    assert language_name("pt-BR") == "Portuguese"
    assert language_name("xx") == "xx"
    assert human_date("1924-01") == "January 1924"
    assert human_date("1924-01-05") == "5 January 1924"
    assert human_date("1978") == "1978"
    assert human_date("spring 1921") == "spring 1921"


def _post(**kw: object) -> Post:
    return Post(path="posts/x.md", kind=Kind.POST, name="x", slug="x", title="T",
                state=State.PUBLISHED, lang="en", body="", **kw)  # type: ignore[arg-type]


def test_provenance_of_a_translation_via_a_website() -> None:
    post = _post(source=Source(publication="O Crabero", via="Huesca-Info", lang="es"),
                 translation=Translation(translators=("Paul Sharkey",), from_lang="es"))
    assert " ".join(provenance(post)) == (
        "From: O Crabero, via Huesca-Info. Translated from the Spanish by Paul Sharkey.")


def test_provenance_of_a_reprinted_letter() -> None:
    post = _post(source=Source(publication="Freedom", date="1924-01"),
                 reprints=(Reprint("Cienfuegos Press Anarchist Review, #4", "1978"),))
    assert provenance(post) == [
        "First published in Freedom, January 1924; reprinted in "
        "Cienfuegos Press Anarchist Review, #4 (1978)."]


def test_provenance_with_two_translators_and_rights() -> None:
    post = _post(source=Source(title="Letter", author="M. S.", rights="CC BY-SA 4.0"),
                 translation=Translation(translators=("A", "B", "C"), from_lang="ru"))
    assert provenance(post) == ["“Letter” by M. S.", "Translated from the Russian by A, B and C.",
                                "Rights: CC BY-SA 4.0."]


MARKDOWN_SAMPLES = st.lists(st.sampled_from([
    "# Title\n", "Some *text* and **more**.\n", "| a | b |\n|---|---|\n| 1 | 2 |\n", "~~gone~~ ",
    "www.example.org and https://example.org/x?y=1 ", "<div>raw <b>html</b></div>\n", "> quote\n",
    "- one\n- two\n", "```\ncode <x>\n```\n", "Ünïcode — «ёлка» 🌲 ", "\n\n", "[l](http://x.org)",
    "<script>x</script>", "&amp; &copy; &#x1F600;",
]), max_size=12).map("".join)


@given(MARKDOWN_SAMPLES | st.text(max_size=200))
def test_the_leak_free_renderer_makes_what_cmarkgfm_makes(markdown):
    import cmarkgfm

    from gulagpub import render

    assert render._freeing() is not None  # the cmarkgfm pinned in pyproject exports cmark_node_free
    expected = cmarkgfm.markdown_to_html_with_extensions(
        markdown, options=render._OPTIONS, extensions=render._EXTENSIONS)
    assert render._cmark_html(markdown) == expected


# --- footnotes ---------------------------------------------------------------

NOTES = "Arrested[^1] in Moscow[^cell] and again[^1].\n\n[^1]: On *20-4-1950*, not 1951.\n[^cell]: Lubyanka.\n"


def test_footnotes_are_numbered_with_links_both_ways() -> None:
    html = markdown_to_html(NOTES)
    assert '<sup class="footnote-ref"><a href="#fn-1" id="fnref-1">1</a></sup>' in html
    assert '<sup class="footnote-ref"><a href="#fn-cell" id="fnref-cell">2</a></sup>' in html
    assert '<div class="footnotes" role="doc-endnotes">' in html and '<li id="fn-1">' in html
    assert '<a href="#fnref-1" class="footnote-backref" aria-label="Back to reference 1">' in html
    assert 'href="#fnref-1-2"' in html  # the second reference to note 1 has its own way back
    assert "[^1]" not in html and "<em>20-4-1950</em>" in html


def test_only_footnotes_keep_ids_and_their_notes_are_sanitized() -> None:
    html = markdown_to_html('<a id="main" href="#x">x</a><li id="comments-heading">y</li>[^1]\n\n'
                            '[^1]: <script>alert(1)</script><a href="javascript:x()" onclick="y()">z</a>\n')
    assert 'id="main"' not in html and 'id="comments-heading"' not in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert 'id="fn-1"' in html


def test_a_feed_entry_s_footnotes_get_ids_of_their_own_and_stay_in_the_entry() -> None:
    from gulagpub.render import anchored

    html = anchored(absolutize(markdown_to_html(NOTES), "https://blog.example.org/p/"), "n1234-")
    assert 'href="#n1234-fn-1"' in html and 'id="n1234-fnref-1"' in html and 'id="n1234-fn-1"' in html
    assert 'href="#n1234-fnref-1"' in html and "https://blog.example.org/p/#" not in html
    other = anchored(markdown_to_html(NOTES), "n5678-")
    ids = {m for m in __import__("re").findall(r'id="([^"]+)"', html)}
    assert ids and ids.isdisjoint(__import__("re").findall(r'id="([^"]+)"', other))


def test_summaries_leave_footnotes_and_their_numbers_out() -> None:
    from gulagpub.render import summary_of

    post = Post(path="posts/a.md", kind=Kind.POST, name="a", slug="a", title="A", state=State.DRAFT,
                lang="en", body=NOTES)
    summary = summary_of(post, markdown_to_html(NOTES))
    assert summary == "Arrested in Moscow and again."
    assert "Lubyanka" not in summary and "1" not in summary


def test_an_image_alone_with_a_title_is_a_figure_with_its_caption_escaped() -> None:
    from gulagpub.render import markdown_to_html

    html = markdown_to_html('![Page 1](scan.jpg "Scan: <script>x</script> & IISH")\n\n![](rule.png "decorative")\n\n'
                            'In ![a](b.jpg "t") a line.\n')
    assert ('<figure><img src="scan.jpg" alt="Page 1"><figcaption>Scan: &lt;script&gt;x&lt;/script&gt; &amp; IISH'
            '</figcaption></figure>') in html
    assert '<p><img src="rule.png" alt="" title="decorative"></p>' in html  # decorative: no caption
    assert '<p>In <img src="b.jpg" alt="a" title="t"> a line.</p>' in html  # within a line: no figure
