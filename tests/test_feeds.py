"""Feed entries and documents: the direct serializers write exactly what feedgen, lxml and json write."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gulagpub.feeds import (FORMATS, Document, Enclosure, Entry, FeedInfo, Rendered, _atom_head, _direct_head, _direct_xml,
                            _feedgen_xml, _json_item, _plain, _rss_head, atom, rss, serialize)
from gulagpub.render import strip_forbidden

# Hostile text: markup, entities, quotes, CDATA ends, astral, combining and RTL characters.
safe = st.sampled_from(["<", ">", "&", "&amp;", '"', "'", "]]>", "<b>", "</entry>", "\n", "\x7f", "\x85",
                        "\u2028", "\ufeff", "é", "e\u0301", "Ж", "עברית", "👩‍👩‍👧", "\U0001d4b3", " ", "a",
                        "<p>x</p>", "Gulag"])
chars = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=4)
words = st.lists(st.one_of(safe, safe, chars), min_size=1, max_size=8).map("".join)
# Now and then one field gets what lxml refuses or writes as a reference, or is empty.
odd = st.sampled_from(["\r", "\t", "\x00", "\x0b", "\x1f", "\ufffe", "\ud800"])
when = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=3)),
                                               timezone(timedelta(hours=-5, minutes=-30))]))
TEXTS = ["id", "title", "url", "author", "lang", "summary", "content_html", "via", "source", "rights"]


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    e = Entry(
        id=draw(st.one_of(words, st.just("tag:example.org,2012-10-20:x"))),
        title=draw(words), url=draw(st.one_of(words, st.just("https://example.org/2012/x/"))),
        published=draw(when), updated=draw(when), author=draw(words),
        lang=draw(st.one_of(st.sampled_from(["en", "es", "ru", "pt-BR"]), words)),
        summary=draw(words), content_html=draw(words),
        contributors=tuple(draw(st.lists(words, max_size=3))),
        categories=tuple(draw(st.lists(st.tuples(words, st.sampled_from(
            ["https://example.org/tag/", "https://example.org/category/?a=1&b=\"2\"<>"])), max_size=4))),
        via=draw(st.one_of(st.none(), words)), source=draw(st.one_of(st.none(), words)),
        rights=draw(st.one_of(st.none(), words)),
        enclosure=draw(st.one_of(st.none(), st.builds(
            Enclosure, st.one_of(words, st.just("https://example.org/2012/x/scan.jpg?a=1&b=2")),
            st.integers(0, 10**9), st.one_of(st.just("image/jpeg"), words)))),
    )
    spoil = draw(st.sampled_from([*[None] * 12, *TEXTS, "contributors", "categories"]))
    if spoil in ("contributors", "categories"):
        extra = draw(st.one_of(st.just(""), odd))
        return replace(e, **{spoil: (*getattr(e, spoil), extra if spoil == "contributors" else (extra, extra))})
    if spoil is not None:
        value = getattr(e, spoil) or ""
        return replace(e, **{spoil: draw(st.one_of(st.just(""), odd.map(lambda c: value + c + value)))})
    return e


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_direct_entries_are_byte_identical_to_feedgen(e: Entry) -> None:
    """Whatever the entry, the direct serializer writes feedgen's bytes or leaves the entry to it."""
    direct = _direct_xml(e)
    if direct is None:
        return
    assert direct == _feedgen_xml(e)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_json_items_are_what_json_dumps_makes(e: Entry) -> None:
    def utc(t: datetime) -> str:
        return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    item = {"id": e.id, "url": e.url, "title": strip_forbidden(e.title), "content_html": e.content_html,
            "summary": e.summary, "date_published": utc(e.published), "date_modified": utc(e.updated),
            "authors": [{"name": e.author}], "language": e.lang}
    if e.categories:
        item["tags"] = [name for name, _ in e.categories]
    if e.via:
        item["external_url"] = e.via
    if e.enclosure:
        item["image"] = e.enclosure.url
    assert _json_item(e) == json.dumps(item, ensure_ascii=False)
    assert json.loads(_json_item(e)) == item


def test_an_ordinary_entry_is_written_directly_and_equals_feedgen() -> None:
    e = Entry(id="tag:gulaganarchists.wordpress.com,2012-10-20:vicente", title="Vicente Monclús <Guallar>",
              url="https://example.org/2012/10/20/vicente/", published=datetime(2012, 10, 20, 14, 32, tzinfo=timezone.utc),
              updated=datetime(2013, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
              author="gulaganarchists", lang="es", summary="Abiego & “Barbastro”…",
              content_html='<p>Abiego &amp; <a href="https://example.org/?a=1&amp;b=2">x</a></p>\n',
              contributors=("Paul Sharkey",), categories=(("gulag", "https://example.org/tag/"),),
              via="https://huesca.info/x?y=1&z=2", source="O Crabero", rights="CC BY-SA",
              enclosure=Enclosure("https://example.org/2012/10/20/vicente/photo.jpg", 81234, "image/jpeg"))
    direct = _direct_xml(e)
    assert direct is not None
    assert b'rel="enclosure" type="image/jpeg" length="81234"' in direct[0]
    assert b'<enclosure url="https://example.org/2012/10/20/vicente/photo.jpg" length="81234"' in direct[1]
    assert direct == _feedgen_xml(e)
    rendered = serialize(e, FORMATS)
    assert (rendered.parts["atom"], rendered.parts["rss"]) == direct
    assert b'<title type="xhtml">' in rendered.parts["atom"] and b"Paul Sharkey" in rendered.parts["rss"]
    assert json.loads(rendered.parts["json"])["title"] == e.title


@st.composite
def documents(draw: st.DrawFn) -> tuple[FeedInfo, Document[Rendered]]:
    base = draw(st.one_of(st.just("https://example.org/tag/a&b/"), words))
    info = FeedInfo(title=draw(words), subtitle=draw(st.one_of(st.just(""), words)),
                    home=draw(st.one_of(st.just(base), words)), base=base,
                    lang=draw(st.one_of(st.sampled_from(["en", "pt-BR"]), words)), author=draw(words))
    spoil = draw(st.sampled_from([*[None] * 8, "title", "subtitle", "author", "lang", "home", "base"]))
    if spoil is not None:
        value = getattr(info, spoil)
        info = replace(info, **{spoil: draw(st.one_of(st.just(""), odd.map(lambda c: value + c + value)))})
    pages = draw(st.integers(0, 4))
    dates = draw(st.lists(st.tuples(when, when), max_size=3))
    doc = Document(draw(st.integers(0, pages)), tuple(Rendered(p, u, {}) for p, u in dates), pages)
    return info, doc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_direct_feed_heads_are_byte_identical_to_feedgen(feed: tuple[FeedInfo, Document[Rendered]]) -> None:
    """Whatever the feed, its head is written directly as feedgen writes it, or left to feedgen."""
    info, doc = feed
    if not _plain(info):
        return
    fallback = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert _direct_head(info, doc, fallback, "atom") == _atom_head(info, doc, fallback)
    assert _direct_head(info, doc, fallback, "rss") == _rss_head(info, doc, fallback)


def test_an_ordinary_feed_head_is_written_directly_and_equals_feedgen() -> None:
    info = FeedInfo(title="Anarchists in the Gulag – Tag: Solovki & Perm", subtitle="Documents, “translated”",
                    home="https://example.org/tag/solovki/", base="https://example.org/tag/solovki/",
                    lang="es", author="Anarchists in the Gulag")
    entry = Rendered(datetime(2012, 10, 20, 14, 32, tzinfo=timezone.utc),
                     datetime(2013, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
                     {"atom": b"<entry/>\n", "rss": b"<item/>\n"})
    doc = Document(2, (entry,), 3)
    fallback = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert _plain(info)
    assert atom(info, doc, fallback) == _atom_head(info, doc, fallback).replace(b"</feed>", b"<entry/>\n</feed>")
    assert rss(info, doc, fallback) == _rss_head(info, doc, fallback).replace(b"</channel>", b"<item/>\n</channel>")
    assert b'rel="next-archive"' in atom(info, doc, fallback) and b"<pubDate>" in rss(info, doc, fallback)


def test_a_summary_that_shows_markup_is_sent_as_html_that_shows_it() -> None:
    e = Entry(id="tag:example.org,2013-01-11:markup", title="Markup", url="https://example.org/markup/",
              published=datetime(2013, 1, 11, tzinfo=timezone.utc), updated=datetime(2013, 1, 11, tzinfo=timezone.utc),
              author="Theme Buster", lang="en", summary="The HTML <blockquote> element, ?a=1&igshid=2",
              content_html="<p>x</p>")
    direct = _direct_xml(e)
    assert direct == _feedgen_xml(e)
    atom_xml, rss_xml = direct
    assert (b'<summary type="html">&lt;p&gt;The HTML &amp;lt;blockquote&amp;gt; element, ?a=1&amp;amp;igshid=2'
            b"&lt;/p&gt;</summary>") in atom_xml
    assert b"<description>&lt;p&gt;The HTML &amp;lt;blockquote&amp;gt;" in rss_xml
    plain = replace(e, summary="Abiego & Barbastro")
    atom_plain, rss_plain = _direct_xml(plain)
    assert b"<summary>Abiego &amp; Barbastro</summary>" in atom_plain  # text: as before
    assert b"<description>Abiego &amp;amp; Barbastro</description>" in rss_plain  # HTML: escaped once more
