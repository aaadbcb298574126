"""WXR exports are read safely and mapped to our model field by field;
WordPress markup becomes clean Markdown, and what it cannot say is kept and noted."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE_CONFIG
from gulagpub.config import parse_config
from gulagpub.errors import ImportFailed
from gulagpub.model import Kind
from gulagpub.wordpress import Export, parse_export, read_author_map, to_documents
from gulagpub.render import markdown_to_html
from gulagpub.wpmarkup import (Attachment, Context, _autop_plain, _autop_tags, _converted, embed_titles,
                               expand_shortcodes, fix_c1, to_markdown, to_text, wpautop)

CONFIG = parse_config(BASE_CONFIG)  # site timezone Europe/Madrid; team Alice, Boris, Tania

WP_NS = "http://wordpress.org/export/1.2/"


def wxr(items: str, *, ns: str = WP_NS, authors: str = "", channel: str = "") -> bytes:
    """A minimal WXR export around `items`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel>
<title>Old blog</title>
<link>https://old.example.com</link>
<language>en-US</language>
<wp:wxr_version>{ns.rstrip('/').rsplit('/', 1)[-1]}</wp:wxr_version>
<wp:base_blog_url>https://old.example.com</wp:base_blog_url>
{authors}{channel}
{items}
</channel>
</rss>
""".encode("utf-8")


def item(wp_id: int = 10, *, title: str = "A post", name: str = "a-post", status: str = "publish",
         post_type: str = "post", content: str = "Hello.", excerpt: str = "", creator: str = "alice",
         date: str = "2012-10-20 14:32:00", date_gmt: str = "2012-10-20 12:32:00",
         extra: str = "", link: str | None = None) -> str:
    link = link if link is not None else f"https://old.example.com/2012/10/20/{name}/"
    return f"""<item>
<title>{title}</title>
<link>{link}</link>
<dc:creator><![CDATA[{creator}]]></dc:creator>
<guid isPermaLink="false">https://old.example.com/?p={wp_id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[{excerpt}]]></excerpt:encoded>
<wp:post_id>{wp_id}</wp:post_id>
<wp:post_date>{date}</wp:post_date>
<wp:post_date_gmt>{date_gmt}</wp:post_date_gmt>
<wp:post_name>{name}</wp:post_name>
<wp:status>{status}</wp:status>
<wp:post_parent>0</wp:post_parent>
<wp:post_type>{post_type}</wp:post_type>
<wp:post_password></wp:post_password>
<wp:is_sticky>0</wp:is_sticky>
{extra}
</item>"""


def mapped(data: bytes, **kw):
    return to_documents(parse_export(data, "export.xml"), CONFIG, **kw)


# --- reading the real fixtures ---------------------------------------------

def test_the_theme_unit_test_export_is_read_whole(shared: Path) -> None:
    data = (shared / "fixtures/wordpress/themeunittestdata.wordpress.xml").read_bytes()
    export = parse_export(data, "themeunittestdata.wordpress.xml")
    assert isinstance(export, Export)
    assert export.wxr_version == "1.2"  # its namespace is https://wordpress.org/export/1.2/
    assert export.base_blog_url == "https://wpthemetestdata.wordpress.com"
    kinds: dict[str, int] = {}
    for it in export.items:
        kinds[it.post_type] = kinds.get(it.post_type, 0) + 1
    assert kinds == {"post": 51, "page": 21, "attachment": 38, "nav_menu_item": 70}
    assert sum(len(it.comments) for it in export.items) == 32
    assert [a.login for a in export.authors] == ["themedemos", "themereviewteam"]
    sticky = [it for it in export.items if it.wp_id in export.sticky_ids]
    assert [it.name for it in sticky] == ["template-sticky"]


def test_the_small_wxr_1_1_export_is_read(shared: Path) -> None:
    data = (shared / "fixtures/wordpress/small-export.xml").read_bytes()
    export = parse_export(data, "small-export.xml")
    assert export.wxr_version == "1.1"
    assert len(export.items) == 11
    hello = next(it for it in export.items if it.name == "hello-world")
    assert hello.title == "Hello world!" and hello.status == "publish"
    draft = next(it for it in export.items if it.title == "Draft Page")
    assert draft.date_gmt is None and draft.date_local == datetime(2011, 1, 18, 7, 46, 29)


def test_namespaces_match_whatever_their_scheme_and_version() -> None:
    for ns in ("http://wordpress.org/export/1.0/", "https://wordpress.org/export/1.2/"):
        out = mapped(wxr(item(), ns=ns))
        assert [d.meta["title"] for d in out.documents] == ["A post"]


# --- mapping ------------------------------------------------------------------

def test_a_published_post_maps_field_by_field() -> None:
    data = wxr(item(content="First paragraph.\n\nSecond <em>one</em>.", excerpt="<p>The <b>gist</b>.</p>",
                    extra='<category domain="post_tag" nicename="gulag"><![CDATA[Gulag]]></category>'
                          '<category domain="category" nicename="sources"><![CDATA[Sources &amp; Links]]></category>'))
    (doc,) = mapped(data).documents
    assert doc.path == "posts/2012-10-20-a-post.md" and doc.kind == Kind.POST
    m = doc.meta
    assert m["title"] == "A post" and m["slug"] == "a-post" and m["state"] == "published"
    assert m["id"] == "https://old.example.com/?p=10"
    assert m["date"] == datetime(2012, 10, 20, 14, 32, tzinfo=timezone(timedelta(hours=2)))
    assert m["tags"] == ["Gulag"] and m["categories"] == ["Sources & Links"]
    assert m["summary"] == "The gist ."
    assert m["author"] == "alice"  # not in the export's authors: its login as written
    assert m["import"]["wp_id"] == 10 and m["import"]["link"].endswith("/2012/10/20/a-post/")
    assert "aliases" not in m  # the old path is the new path: nothing to redirect
    assert doc.body == "First paragraph.\n\nSecond *one*.\n"
    assert doc.redirects == [("/?p=10", "/2012/10/20/a-post/")]


def test_statuses_map_to_states_and_private_ones_are_left_out_unless_asked() -> None:
    items = "".join([
        item(1, name="p1", status="publish"), item(2, name="p2", status="draft"),
        item(3, name="p3", status="pending"), item(4, name="p4", status="future"),
        item(5, name="p5", status="private"), item(6, name="p6", status="trash"),
        item(7, name="p7", status="auto-draft"),
        item(8, name="p8", extra="").replace("<wp:post_password></wp:post_password>",
                                             "<wp:post_password>secret</wp:post_password>"),
    ])
    out = mapped(wxr(items))
    states = {d.meta["slug"]: d.meta["state"] for d in out.documents}
    assert states == {"p1": "published", "p2": "draft", "p3": "review", "p4": "approved", "p8": "draft"}
    assert "date" in next(d.meta for d in out.documents if d.meta["slug"] == "p4")
    why = dict(out.skipped)
    assert "--include-private" in why["post 5 'A post'"] and "private" in why["post 5 'A post'"]
    assert "trash" in why["post 6 'A post'"]
    assert "autosave" in why["post 7 'A post'"]
    p8 = next(d for d in out.documents if d.meta["slug"] == "p8")
    assert any("password-protected" in n for n in p8.notes)
    with_private = mapped(wxr(items), include_private=True)
    assert {d.meta["slug"]: d.meta["state"] for d in with_private.documents}["p5"] == "draft"


def test_authors_are_matched_to_the_team_by_email_login_or_name() -> None:
    authors = """<wp:author><wp:author_login>ali</wp:author_login><wp:author_email>ALICE@example.org</wp:author_email>
<wp:author_display_name><![CDATA[A.]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login>boris-gh</wp:author_login><wp:author_email>b@elsewhere.org</wp:author_email>
<wp:author_display_name><![CDATA[B]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login>tt</wp:author_login><wp:author_email>t@elsewhere.org</wp:author_email>
<wp:author_display_name><![CDATA[Tania Translator]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login>zed</wp:author_login><wp:author_email>zed@elsewhere.org</wp:author_email>
<wp:author_display_name><![CDATA[Zed Stranger]]></wp:author_display_name></wp:author>"""
    items = "".join(item(i, name=f"p{i}", creator=c) for i, c in
                    enumerate(["ali", "boris-gh", "tt", "zed"], 1))
    out = mapped(wxr(items, authors=authors))
    assert [d.meta["author"] for d in out.documents] == [
        "Alice Editor", "Boris Editor", "Tania Translator", "Zed Stranger"]
    assert out.unknown_authors == ["Zed Stranger"]
    assert all("@" not in str(d.meta) for d in out.documents)  # e-mail addresses never written


def test_dates_fall_back_to_the_sites_offset_when_gmt_is_zero() -> None:
    items = item(1, name="dated") + item(2, name="undated-gmt", status="draft",
                                         date="2013-01-05 09:00:00", date_gmt="0000-00-00 00:00:00")
    out = mapped(wxr(items))
    draft = next(d for d in out.documents if d.meta["slug"] == "undated-gmt")
    # the other item shows the site is at UTC+2; the draft's local time is read in it
    assert draft.meta["date"].isoformat() == "2013-01-05T09:00:00+02:00"


def test_slugs_keep_their_script_and_unusable_ones_are_replaced_and_reported() -> None:
    items = (item(1, name="%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2")
             + item(2, name="foo.bar") + item(3, title="No slug yet", name="", status="draft")
             + item(4, name="a-post") + item(5, name="a-post"))
    out = mapped(wxr(items))
    slugs = [d.meta["slug"] for d in out.documents]
    assert slugs == ["επίπεδο-2", "foo-bar", "no-slug-yet", "a-post", "a-post-2"]
    assert any("'foo.bar' is not a valid slug" in n for n in out.documents[1].notes)
    assert any("taken" in n for n in out.documents[4].notes)


def test_old_permalinks_that_differ_become_aliases_and_redirects() -> None:
    extra = ("<wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key>"
             "<wp:meta_value><![CDATA[first-name]]></wp:meta_value></wp:postmeta>")
    # published at 23:30 UTC: the next day in Madrid, so the dated path changes
    data = wxr(item(date="2012-10-20 23:30:00", date_gmt="2012-10-20 23:30:00", extra=extra))
    (doc,) = mapped(data).documents
    assert doc.path == "posts/2012-10-21-a-post.md"
    assert doc.meta["aliases"] == ["/2012/10/20/a-post/", "/2012/10/20/first-name/"]
    assert ("/?p=10", "/2012/10/21/a-post/") in doc.redirects
    assert ("/2012/10/20/first-name/", "/2012/10/21/a-post/") in doc.redirects


def test_pages_go_to_pages_with_their_old_nested_path_as_alias() -> None:
    data = wxr(item(2, title="About", name="about", post_type="page",
                    link="https://old.example.com/who/about/"))
    (doc,) = mapped(data).documents
    assert doc.kind == Kind.PAGE and doc.path == "pages/about.md"
    assert doc.meta["aliases"] == ["/who/about/"]
    assert ("/?page_id=2", "/about/") in doc.redirects


def test_attachments_are_listed_and_menus_skipped_with_a_reason() -> None:
    attachment = item(30, post_type="attachment", status="inherit", name="photo").replace(
        "</item>", "<wp:attachment_url>https://old.example.com/files/photo.jpg</wp:attachment_url></item>")
    menu = item(31, post_type="nav_menu_item", name="m")
    out = mapped(wxr(attachment + menu))
    assert out.documents == []
    assert out.attachments == [("https://old.example.com/files/photo.jpg", "")]
    assert "menu" in out.skipped[0][1]


def test_comments_keep_name_date_text_and_parent_but_no_email_or_ip() -> None:
    comments = """<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_author><![CDATA[Ann]]></wp:comment_author>
<wp:comment_author_email>ann@mail.example</wp:comment_author_email><wp:comment_author_IP>10.1.2.3</wp:comment_author_IP>
<wp:comment_date>2012-10-21 10:00:00</wp:comment_date><wp:comment_date_gmt>2012-10-21 08:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[Thanks!]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_type></wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>
<wp:comment><wp:comment_id>6</wp:comment_id><wp:comment_author><![CDATA[Bo]]></wp:comment_author>
<wp:comment_date_gmt>2012-10-21 09:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[Agreed]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>5</wp:comment_parent></wp:comment>
<wp:comment><wp:comment_id>7</wp:comment_id><wp:comment_author>spammer</wp:comment_author>
<wp:comment_content>buy</wp:comment_content><wp:comment_approved>spam</wp:comment_approved></wp:comment>"""
    out = mapped(wxr(item(extra=comments)))
    (doc,) = out.documents
    assert [(c["id"], c["author"], c.get("parent"), c["text"]) for c in doc.comments] == [
        (5, "Ann", None, "Thanks!"), (6, "Bo", 5, "Agreed")]
    assert doc.comments[0]["date"].isoformat() == "2012-10-21T10:00:00+02:00"
    assert out.comments_skipped == 1
    assert "ann@mail.example" not in str(doc.comments) and "10.1.2.3" not in str(doc.comments)


# --- hostile and broken exports ---------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss><channel><title>&lol3;</title></channel></rss>
"""


def test_an_entity_bomb_is_refused_before_expansion() -> None:
    with pytest.raises(ImportFailed, match=r"^bomb\.xml:2: the file declares a DTD"):
        parse_export(BILLION_LAUGHS, "bomb.xml")


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    data = wxr(item(content="x")).replace(
        b"<rss", f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<rss'.encode(), 1
    ).replace(b"<title>A post</title>", b"<title>&xxe;</title>")
    with pytest.raises(ImportFailed) as err:
        parse_export(data, "xxe.xml")
    assert "xxe.xml:2:" in str(err.value) and "XXE" in str(err.value)
    assert "TOP-SECRET" not in str(err.value)


def test_a_cut_off_file_says_so_and_asks_for_a_new_download() -> None:
    data = wxr(item())
    with pytest.raises(ImportFailed) as err:
        parse_export(data[: len(data) // 2], "export.xml")
    message = str(err.value)
    assert re.match(r"^export\.xml:\d+: the file ends before the export does", message)
    assert "cut off" in message and "Download the export again" in message


def test_a_damaged_line_is_shown_with_its_line_and_column_and_what_to_do() -> None:
    data = wxr(item()).replace(b"]]></content:encoded>", b"</content:encoded>", 1)
    with pytest.raises(ImportFailed) as err:
        parse_export(data, "export.xml")
    message = str(err.value)
    line = data.split(b"\n").index(b"<excerpt:encoded><![CDATA[]]></excerpt:encoded>") + 1
    assert message.startswith(f"export.xml:{line}:32: not well-formed XML (mismatched tag) in "
                              "`<excerpt:encoded><![CDATA[]]></excerpt:encoded>`")
    assert "correct that line" in message


def test_an_undeclared_prefix_that_is_not_wordpress_s_is_named_with_the_fix() -> None:
    data = wxr(item(extra="<itunes:author>x</itunes:author>"))
    with pytest.raises(ImportFailed) as err:
        parse_export(data, "export.xml")
    assert re.match(r"^export\.xml:\d+: the element uses the namespace prefix 'itunes:'", str(err.value))
    assert 'xmlns:itunes="..."' in str(err.value) and "export it again" not in str(err.value)


def test_bytes_that_are_not_utf8_are_named_with_their_line() -> None:
    data = wxr(item(content="caf\u00e9")).replace("café".encode(), b"caf\xe9")
    with pytest.raises(ImportFailed) as err:
        parse_export(data, "export.xml")
    assert re.match(r"^export\.xml:\d+: bytes that are not UTF-8", str(err.value))
    assert "save it as UTF-8" in str(err.value)


def test_an_oversized_export_is_refused_with_the_bound() -> None:
    with pytest.raises(ImportFailed, match=r"export\.xml: the export is [\d,]+ bytes, more than the 1,000"):
        parse_export(wxr(item(content="x" * 2000)), "export.xml", max_bytes=1000)


def test_a_plain_rss_feed_is_not_taken_for_an_export() -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    with pytest.raises(ImportFailed, match="not a WordPress export"):
        parse_export(rss, "feed.xml")


# --- markup -------------------------------------------------------------------

def test_wpautop_makes_paragraphs_from_blank_lines_and_breaks_from_newlines() -> None:
    html = wpautop("One\ntwo\n\nThree\n<ul>\n<li>x</li>\n</ul>\n<pre>a\n\nb</pre>")
    assert html.startswith("<p>One<br />\ntwo</p>\n<p>Three</p>\n<ul>")
    assert "<pre>a\n\nb</pre>" in html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "word", " ", "  ", "\t", "\n", "\n\n", "\n \n", " \n", "\n  \n\n", "&",
                                 "br /", "p", "»", "\u00a0"]), max_size=20).map("".join))
def test_wpautop_of_a_text_without_tags_is_what_the_full_steps_make(text: str) -> None:
    """The fast path for tagless text (comments, most classic posts) changes nothing."""
    if not text.strip():
        return
    normal = text + "\n"
    assert _autop_plain(normal) == _autop_tags(normal)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "Жук", "é", "_x_", "1.", " ", "  ", "\t", "\n", "\n\n", "\n \n", " \n",
                                 "\n\t\n", "\r\n", ".", ",", "“", "—", "(x)", "'", '"', "%", "/", "42"]),
                max_size=20).map("".join))
def test_plain_text_is_converted_without_parsing_exactly_as_with(text: str) -> None:
    """The fast path for words and line breaks (most comments) is the full conversion's result."""
    fast = to_markdown(text)
    assert fast == _converted(text.replace("\r\n", "\n"), Context())


def test_classic_content_without_p_tags_keeps_its_paragraphs() -> None:
    assert to_markdown("One line\nsame paragraph\n\nNext paragraph").markdown == \
        "One line\\\nsame paragraph\n\nNext paragraph\n"


def test_block_editor_content_is_not_autop_ed_and_comments_vanish() -> None:
    md = to_markdown("<!-- wp:paragraph -->\n<p>A\nB</p>\n<!-- /wp:paragraph -->").markdown
    assert md == "A\nB\n"


def test_captions_become_image_and_caption_and_prose_brackets_stay() -> None:
    c = to_markdown('[caption id="x" width="300"]<img src="https://old.example.com/a.jpg" alt="A" /> '
                    "A <b>caption</b>[/caption]\n\nHe was in Kizobabad [presumably Kirovabad].")
    assert c.markdown == ("![A](https://old.example.com/a.jpg)\n\n*A **caption***\n\n"
                          "He was in Kizobabad [presumably Kirovabad].\n")
    assert c.notes == [] and c.media == ["https://old.example.com/a.jpg"]


def test_an_aligned_caption_keeps_its_alignment_as_a_class() -> None:
    c = to_markdown('[caption id="attachment_3" align="alignright" width="300"]<a href="https://o.example.com/a.jpg">'
                    '<img src="https://o.example.com/a.jpg?w=300" alt="Boats" /></a> The harbour[/caption]')
    assert c.markdown.startswith('<figure class="alignright"><a href="https://o.example.com/a.jpg"><img alt="Boats"')
    assert "<figcaption>The harbour</figcaption>\n</figure>" in c.markdown
    html = markdown_to_html(c.markdown)  # the sanitizer keeps that class, and no other
    assert '<figure class="alignright">' in html and 'class="size' not in html


YT = "Xq3bW1a7cZk"


@pytest.mark.parametrize("code, url", [
    (f"[youtube=http://www.youtube.com/watch?v={YT}&amp;w=640&amp;h=385]", f"https://www.youtube.com/watch?v={YT}"),
    (f"[youtube https://www.youtube.com/watch?v={YT}]", f"https://www.youtube.com/watch?v={YT}"),
    (f"[youtube {YT}]", f"https://www.youtube.com/watch?v={YT}"),
    ("[vimeo 41532867]", "https://vimeo.com/41532867"),
    ("[vimeo https://vimeo.com/41532867]", "https://vimeo.com/41532867"),
    ("[googlevideo=http://video.google.com/googleplayer.swf?docId=-820472356&amp;hl=en]",
     "http://video.google.com/videoplay?docid=-820472356"),
    ("[embed width=\"500\"]https://vimeo.com/38201735[/embed]", "https://vimeo.com/38201735"),
    ('[audio mp3="https://o.files.wordpress.com/song.mp3"][/audio]', "https://o.files.wordpress.com/song.mp3"),
    ("[audio https://o.files.wordpress.com/song.mp3|titles=Song]", "https://o.files.wordpress.com/song.mp3"),
    ('[video mp4="https://o.files.wordpress.com/interview.mp4"][/video]', "https://o.files.wordpress.com/interview.mp4"),
    (f"Before.\n\nhttps://www.youtube.com/watch?v={YT}\n\nAfter.", f"https://www.youtube.com/watch?v={YT}"),
    (f'<iframe src="https://www.youtube.com/embed/{YT}?rel=0" width="560"></iframe>', f"https://www.youtube.com/watch?v={YT}"),
    ('<!-- wp:embed {"url":"https://vimeo.com/38201735"} -->\n<figure class="wp-block-embed is-type-video">'
     '<div class="wp-block-embed__wrapper">\nhttps://vimeo.com/38201735\n</div></figure>\n<!-- /wp:embed -->',
     "https://vimeo.com/38201735"),
])
def test_embeds_become_a_figure_with_a_link_and_no_player(code: str, url: str) -> None:
    c = to_markdown(code)
    assert f'<figure class="embed">\n<p><a href="{url}">' in c.markdown or \
        f'<figure class="embed"><p><a href="{url}">' in c.markdown
    html = markdown_to_html(c.markdown)
    assert '<figure class="embed">' in html and f'href="{url}"' in html.replace("&amp;", "&")
    assert not re.search(r"<(iframe|script|object|embed|video|audio)\b", html)
    assert "[" not in html  # no shortcode left


def test_an_embed_shows_the_title_wordpress_cached_for_it() -> None:
    cached = embed_titles((f'<iframe title="A talk on Solovki (1931)" src="https://www.youtube.com/embed/{YT}?feature=oembed">'
                           "</iframe>",))
    c = to_markdown(f"[youtube=http://www.youtube.com/watch?v={YT}&w=640]\n\nhttps://youtu.be/{YT}",
                    Context(embed_titles=cached))
    assert c.markdown.count(f'<a href="https://www.youtube.com/watch?v={YT}">A talk on Solovki (1931)</a>') == 2
    assert "<figcaption>Video on YouTube</figcaption>" in c.markdown
    untitled = to_markdown("[vimeo 41532867]")
    assert ">Video on Vimeo</a>" in untitled.markdown and "no title" in untitled.notes[0]


def test_a_url_alone_on_its_line_is_embedded_only_for_embeddable_sites_and_not_in_code() -> None:
    assert "<figure" not in to_markdown("See\n\nhttps://example.org/page\n").markdown
    assert "<figure" not in to_markdown(f"<pre>\nhttps://www.youtube.com/watch?v={YT}\n</pre>").markdown
    assert "<figure" not in to_markdown(f"Watch https://www.youtube.com/watch?v={YT} now.").markdown


def test_scripts_go_and_are_noted() -> None:
    c = to_markdown("Text.\n\n<script>alert(1)</script>")
    assert "alert" not in c.markdown and any(n.startswith("<script>") for n in c.notes)


MEDIA = {
    1: Attachment(1, "https://o.files.wordpress.com/a.jpg", title="A", caption="The harbour", alt="Boats", parent=9, menu_order=2),
    2: Attachment(2, "https://o.files.wordpress.com/b.png", title="Page one", parent=9, menu_order=1),
    3: Attachment(3, "https://o.files.wordpress.com/c.jpg", title="Elsewhere", parent=4),
    4: Attachment(4, "https://o.files.wordpress.com/song.mp3", title="Song", parent=9),
}


def test_a_gallery_becomes_its_images_linking_to_the_files() -> None:
    c = to_markdown('[gallery columns="2"]\n\n[gallery ids="3,1" link="file"]', Context(post_id=9, attachments=MEDIA))
    first, second = c.markdown.split("\n\n")
    # the post's own images, in WordPress's menu order; not the sound file
    assert first.index("b.png") < first.index("a.jpg") and "song.mp3" not in first and "c.jpg" not in first
    assert '<a href="https://o.files.wordpress.com/a.jpg"><img alt="Boats" src="https://o.files.wordpress.com/a.jpg"/></a>' in first
    assert "<figcaption>The harbour</figcaption>" in first and 'alt="Page one"' in first
    assert second.index("c.jpg") < second.index("a.jpg")
    assert c.media == ["https://o.files.wordpress.com/b.png", "https://o.files.wordpress.com/a.jpg",
                       "https://o.files.wordpress.com/c.jpg"]
    assert '<figure class="gallery">' in markdown_to_html(c.markdown)


def test_media_urls_go_through_the_context_for_the_media_download_to_map() -> None:
    local = Context(post_id=9, attachments=MEDIA, media_url=lambda u: "/media/" + u.rsplit("/", 1)[1])
    c = to_markdown('[gallery ids="1"]\n\n<img src="https://o.files.wordpress.com/x.jpg" alt="x" />\n\n'
                    "[audio https://o.files.wordpress.com/song.mp3]", local)
    assert 'src="/media/a.jpg"' in c.markdown and "](/media/x.jpg)" in c.markdown
    assert 'href="/media/song.mp3"' in c.markdown
    assert "https://o.files.wordpress.com/x.jpg" in c.media  # still listed by the old URL, to fetch


def test_a_gallery_without_images_in_the_export_stays_as_text_and_is_reported() -> None:
    c = to_markdown("[gallery]", Context(post_id=77, attachments=MEDIA))
    assert c.markdown == "[gallery]\n" and c.shortcodes == Counter({"gallery": 1})


def test_unknown_shortcodes_are_kept_counted_by_name_and_prose_brackets_are_not() -> None:
    notes: list[str] = []
    unknown: Counter[str] = Counter()
    text = ('Vote [polldaddy poll=61234] [wufoo username="g" formhash="z"] '
            '[contact-form][contact-field label="Name"/][/contact-form] [polldaddy poll=2] '
            "He wrote from Kem [sic] in 1926 [1] [...] [Translator's note: ...]")
    assert expand_shortcodes(text, notes, unknown=unknown) == text
    assert unknown == Counter({"polldaddy": 2, "wufoo": 1, "contact-form": 1})
    assert "shortcode [wufoo] kept as text: [wufoo username=\"g\" formhash=\"z\"]" in notes
    assert expand_shortcodes("[[caption]] is literal", notes) == "[[caption]] is literal"


def test_c1_controls_are_read_as_windows_1252_as_browsers_do() -> None:
    assert fix_c1("\u0093Quoted\u0094 \u0096 don\u0092t\u009d \u0080") == "“Quoted” – don’t €"
    assert to_text("Pis\u0092mo") == "Pis’mo"
    c = to_markdown("Line \u0085 with a \u009d dropped")
    assert "\u009d" not in c.markdown and "…" in c.markdown


def test_unknown_entities_are_kept_as_the_text_wordpress_showed() -> None:
    c = to_markdown("The letter &hl; and &fs; and &nbsp;and &amp; and &eacute;")
    assert c.markdown == "The letter &hl; and &fs; and \u00a0and & and é\n"
    assert "The letter &amp;hl; and &amp;fs;" in markdown_to_html(c.markdown)
    assert to_text("A &hl; title") == "A &hl; title"


def test_unclosed_markup_is_closed() -> None:
    c = to_markdown("<b>Comrades, <i>we are alive\n\n<div>Translated")
    html = markdown_to_html(c.markdown)
    assert html.count("<strong>") == html.count("</strong>") and html.count("<em>") == html.count("</em>")
    assert "<div" not in html or html.count("<div") == html.count("</div>")


def test_what_markdown_cannot_say_is_kept_as_inline_html() -> None:
    c = to_markdown('<table class="t"><tr><td colspan="2" onclick="evil()">a</td></tr>\n\n'
                    "<tr><td>b</td><td>c</td></tr></table>\n\nE=mc<sup>2</sup>, H<sub>2</sub>O")
    assert '<table class="t">' in c.markdown and '<td colspan="2">a</td>' in c.markdown
    assert "onclick" not in c.markdown
    assert "\n\n" not in c.markdown.split("<table")[1].split("</table>")[0]  # one HTML block
    assert "E=mc<sup>2</sup>, H<sub>2</sub>O" in c.markdown
    assert any("table kept as HTML" in n for n in c.notes)


def test_simple_tables_become_markdown_tables() -> None:
    md = to_markdown("<table><tr><th>Year</th><th>Camp</th></tr><tr><td>1923</td><td>Solovki</td></tr></table>").markdown
    assert "| Year | Camp |\n| --- | --- |\n| 1923 | Solovki |" in md




# --- what real exports hold (tests/fixtures/wordpress/wpcom-2012.xml, written by hand) ----

WPCOM = Path(__file__).parent / "fixtures" / "wordpress" / "wpcom-2012.xml"


def wpcom(**kw):
    export = parse_export(WPCOM.read_bytes(), "wpcom-2012.xml")
    return export, to_documents(export, CONFIG, **kw)


def by_id(out, wp_id: int):
    (doc,) = [d for d in out.documents if d.item.wp_id == wp_id]
    return doc


def test_an_undeclared_atom_prefix_is_read_with_a_warning() -> None:
    export, out = wpcom()
    assert export.title == "Anarchists in the Gulag (test)" and len(export.items) == 13
    assert export.warnings == (
        "namespace prefix(es) used without a declaration, as WordPress.com exports of 2010-2015 do: "
        "'atom:' (first used at line 30); read as WordPress means them",)
    assert out.notes[0] == export.warnings[0]


def test_control_characters_and_html_entities_outside_cdata_are_read_with_warnings() -> None:
    data = wxr(item(title="Caf&eacute; &hl;\x0c Kem", content="x\x0by"))
    export = parse_export(data, "export.xml")
    assert export.items[0].title == "Café &hl; Kem" and export.items[0].content == "xy"
    entities, controls = export.warnings  # in the order the parser met them
    assert controls.startswith("2 control character(s) that XML does not allow (first at line ")
    assert entities == ("1 HTML entity reference(s) XML does not define (&nbsp;...) read as the "
                                  "characters they name; unknown entity reference(s) kept as text: &hl; (1x)")


def test_a_file_that_reads_as_it_is_gets_no_warning() -> None:
    assert parse_export(wxr(item()), "export.xml").warnings == ()


def test_the_later_of_two_posts_sharing_a_guid_gets_a_fresh_id_and_keeps_the_guid() -> None:
    _, out = wpcom()
    first, later = by_id(out, 102), by_id(out, 103)
    guid = "http://anarchistsgulag.wordpress.com/?p=102"
    assert first.meta["id"] == guid
    assert later.meta["id"] == "tag:blog.example.org,2012-04-10:posts/2012-04-10-letter-from-vorkuta-copy"
    assert later.meta["import"]["guid"] == guid
    assert any("is not unique (posts/2012-04-01-letter-from-vorkuta.md (earlier) has it too)" in n for n in later.notes)
    assert any(n.startswith(f"GUID {guid} shared by posts/2012-04-01-letter-from-vorkuta.md and "
                            "posts/2012-04-10-letter-from-vorkuta-copy.md") for n in out.notes)
    ids = [d.meta["id"] for d in out.documents]
    assert len(ids) == len(set(ids))


def test_a_guid_already_used_in_the_repository_is_not_given_again() -> None:
    _, out = wpcom(taken_ids=frozenset({"http://anarchistsgulag.wordpress.com/?p=101"}))
    assert by_id(out, 101).meta["id"].startswith("tag:blog.example.org,2012-03-05:posts/")
    assert any("a file already in the repository has it" in n for n in by_id(out, 101).notes)


def test_a_cyrillic_slug_and_its_percent_encoded_permalink_are_one_path() -> None:
    _, out = wpcom()
    doc = by_id(out, 101)
    assert doc.meta["slug"] == "письмо-из-соловков"
    assert doc.new_path == "/2012/03/05/" + quote("письмо-из-соловков") + "/"
    assert "aliases" not in doc.meta  # its old link, lower-case escapes, is the same page
    assert [r[0] for r in doc.redirects] == ["/?p=101"]


def test_two_posts_wanting_one_old_path_are_reported_and_it_goes_to_the_first() -> None:
    _, out = wpcom()
    first, second = by_id(out, 102), by_id(out, 104)
    assert first.meta["aliases"] == ["/2012/04/01/letter/"]
    assert "aliases" not in second.meta and ("/2012/04/01/letter/", second.new_path) not in second.redirects
    note = ("old path /2012/04/01/letter/ already redirects to posts/2012-04-01-letter-from-vorkuta.md and was "
            "also posts/2012-04-01-second-letter-from-vorkuta.md's")
    assert any(n.startswith(note) for n in second.notes) and any(n.startswith(note) for n in out.notes)


def test_an_old_path_that_is_another_posts_page_is_not_taken_from_it() -> None:
    extra = "<wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value>b</wp:meta_value></wp:postmeta>"
    out = mapped(wxr(item(1, name="a", extra=extra) + item(2, name="b")))
    assert "aliases" not in out.documents[0].meta
    assert any("old path /2012/10/20/b/ is the page of posts/2012-10-20-b.md" in n for n in out.notes)


def test_old_content_is_cleaned_c1_entities_and_unclosed_tags() -> None:
    _, out = wpcom()
    doc = by_id(out, 101)
    assert doc.meta["title"] == "Письмо из Соловков ’ 1926"
    assert doc.body.startswith("“Smuggled out” of the camp in 1926 – a copy.")
    assert "The letter &hl; reached us through the &fs; Red Cross." in doc.body
    assert "**Comrades, *we are alive***" in doc.body
    assert doc.comments[0]["text"] == "Thank you “for this”."


def test_the_wordpress_com_shortcodes_of_a_post_become_figures() -> None:
    _, out = wpcom()
    body = by_id(out, 105).body
    assert body.count('<figure class="embed">') == 8
    assert body.count('<a href="https://www.youtube.com/watch?v=Xq3bW1a7cZk">Anarchists in the Solovki camp, a talk '
                      '(1931)</a>') == 2  # the shortcode and the URL alone on its line, titled from the oEmbed cache
    assert '<figure class="alignright">' in body
    assert "He wrote from Kem [sic] in 1926 [1]." in body
    assert "[youtube" not in body and "[vimeo" not in body and "[audio" not in body


def test_galleries_take_their_images_from_the_exports_attachments() -> None:
    _, out = wpcom()
    body = by_id(out, 110).body
    own, chosen = body.split("Chosen ones:")
    assert own.index("letter-page-1.png") < own.index("butyrka-yard.jpg")  # menu order
    assert 'alt="The prison yard"' in own and "<figcaption>First page of the letter</figcaption>" in own
    assert chosen.index("solovki-harbour.jpg") < chosen.index("letter-page-1.png")


def test_unknown_shortcodes_are_reported_by_name_and_count_for_the_export() -> None:
    _, out = wpcom()
    assert out.shortcodes == Counter({"polldaddy": 2, "wufoo": 1, "contact-form": 1})
    assert ("shortcode [polldaddy] kept as text 2 time(s) in 1 file(s) (posts/2012-05-02-voices-of-the-exile.md)"
            ": nothing here draws it; rewrite those passages by hand") in out.notes


def test_pages_keep_their_menu_order_and_parent_for_the_menu() -> None:
    _, out = wpcom()
    assert [(d.meta["slug"], d.meta["import"]["menu_order"], d.meta["import"].get("parent"))
            for d in out.documents if d.kind == Kind.PAGE] == [("about", 2, None), ("contact", 1, None),
                                                               ("sources", 3, 120)]
    assert "menu_order" not in by_id(out, 102).meta["import"]


def test_authors_map_by_login_and_unknown_ones_are_listed_with_their_posts() -> None:
    _, out = wpcom()
    assert by_id(out, 101).meta["author"] == "Alice Editor"  # by the export's e-mail
    assert by_id(out, 105).meta["author"] == "Paul Sharkey"  # kept as text
    assert [(a.login, a.name, a.posts) for a in out.authors] == [("mollie", "Mollie S.", 1),
                                                                 ("sharkeytr", "Paul Sharkey", 1)]
    _, mapped_out = wpcom(author_map={"mollie": "TANIA@example.org", "guestwriter": "boris@example.org"})
    assert by_id(mapped_out, 110).meta["author"] == "Tania Translator"
    assert [a.login for a in mapped_out.authors] == ["sharkeytr"]
    assert "--map-author guestwriter: no post or page of the export has that login as its author" in mapped_out.notes


def test_mapping_an_author_to_someone_not_in_the_team_is_refused_with_the_command() -> None:
    with pytest.raises(ImportFailed, match=r"--map-author mollie=m@example\.net: nobody in gulagpub\.toml's team "
                                           r"has that e-mail; add them first \(gulagpub team add"):
        wpcom(author_map={"mollie": "m@example.net"})


def test_an_authors_file_is_read_line_by_line() -> None:
    text = "# WordPress login = team e-mail\nmollie = tania@example.org\n\nsharkeytr,alice@example.org  # ok\n"
    assert read_author_map(text, "authors.txt") == {"mollie": "tania@example.org", "sharkeytr": "alice@example.org"}
    with pytest.raises(ImportFailed, match=r"^authors\.txt:2: 'mollie tania' is not `LOGIN = EMAIL`"):
        read_author_map("# x\nmollie tania\n", "authors.txt")


# --- footnotes -----------------------------------------------------------------

def test_block_editor_footnotes_keep_their_text_from_postmeta() -> None:
    content = ('<!-- wp:paragraph -->\n<p>Vicente was arrested<sup data-fn="5f1c" class="fn">'
               '<a href="#5f1c" id="5f1c-link">1</a></sup> and tortured<sup data-fn="77aa" class="fn">'
               '<a href="#77aa" id="77aa-link">2</a></sup>.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:footnotes /-->')
    meta = ('[{"content":"On 20-4-1950, not 1951.","id":"5f1c"},'
            '{"content":"In the <em>Lubyanka</em>.","id":"77aa"}]')
    extra = f"<wp:postmeta><wp:meta_key>footnotes</wp:meta_key><wp:meta_value><![CDATA[{meta}]]></wp:meta_value></wp:postmeta>"
    (doc,) = mapped(wxr(item(content=content, extra=extra))).documents
    assert doc.body == ("Vicente was arrested[^1] and tortured[^2].\n\n"
                        "[^1]: On 20-4-1950, not 1951.\n[^2]: In the *Lubyanka*.\n")
    html = markdown_to_html(doc.body)
    assert 'id="fn-1"' in html and "Lubyanka" in html and "data-fn" not in html


def test_a_block_footnote_without_its_text_is_kept_as_its_number_and_noted() -> None:
    content = '<!-- wp:paragraph -->\n<p>Text<sup data-fn="x1" class="fn"><a href="#x1" id="x1-link">1</a></sup>.</p>\n<!-- /wp:paragraph -->'
    got = to_markdown(content, Context())
    assert "<sup>1</sup>" in got.markdown and any("no text in the export" in n for n in got.notes)


def test_pasted_word_footnotes_become_markdown_footnotes() -> None:
    content = ('He wrote<a title="" href="#_ftn1" name="_ftnref1">[1]</a> a letter.'
               '<a href="#_ftn2" name="_ftnref2"><span>[2]</span></a>\n\n<hr size="1" />\n'
               '<div id="ftn1">\n<p><a title="" href="#_ftnref1" name="_ftn1">[1]</a> In <i>Freedom</i>, '
               'January 1924.</p>\n</div>\n<div id="ftn2">\n<p><a href="#_ftnref2" name="_ftn2">[2]</a> '
               'Reprinted in 1978.</p>\n</div>')
    got = to_markdown(content)
    assert got.markdown == ("He wrote[^1] a letter.[^2]\n\n[^1]: In *Freedom*, January 1924.\n"
                            "[^2]: Reprinted in 1978.\n")
    assert "_ftn" not in got.markdown and "---" not in got.markdown
