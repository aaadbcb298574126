"""WXR exports are read safely and mapped to our model field by field;
WordPress markup becomes clean Markdown, and what it cannot say is kept and noted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import BASE_CONFIG
from gulagpub.config import parse_config
from gulagpub.errors import ImportFailed
from gulagpub.model import Kind
from gulagpub.wordpress import Export, parse_export, to_documents
from gulagpub.wpmarkup import expand_shortcodes, to_markdown, wpautop

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


@pytest.mark.parametrize("damage, where", [
    (lambda d: d.replace(b"]]></content:encoded>", b"</content:encoded>", 1), "export.xml:"),
    (lambda d: d[: len(d) // 2], "export.xml:"),
])
def test_broken_cdata_and_truncated_files_name_the_file_and_line(damage, where) -> None:
    with pytest.raises(ImportFailed, match=r"^export\.xml:\d+: not well-formed XML .*export it again"):
        parse_export(damage(wxr(item())), "export.xml")


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


def test_embeds_become_links_scripts_go_and_both_are_noted() -> None:
    c = to_markdown('<iframe src="https://www.youtube.com/embed/abc"></iframe>\n\n'
                    "[embed]https://vimeo.com/1[/embed]\n\n<script>alert(1)</script>")
    assert "[Iframe: https://www.youtube.com/embed/abc](https://www.youtube.com/embed/abc)" in c.markdown
    assert "<https://vimeo.com/1>" in c.markdown
    assert "alert" not in c.markdown
    assert [n.split(" ")[0] for n in c.notes] == ["embed", "<iframe>", "<script>"]


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


def test_unknown_shortcodes_stay_as_text_and_are_noted() -> None:
    notes: list[str] = []
    assert expand_shortcodes('[gallery ids="1,2"]', notes) == '[gallery ids="1,2"]'
    assert notes == ['shortcode [gallery] kept as text: [gallery ids="1,2"]']
    assert expand_shortcodes("[[caption]] is literal", notes) == "[[caption]] is literal"
