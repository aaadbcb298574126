"""The status text: counted as Mastodon counts, shortened without ever cutting
the link or the content warning, whatever the input."""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastodon_server import mastodon_length

from gulagpub.compose import (
    Limits,
    clean,
    compose,
    graphemes,
    hashtag,
    hashtags,
    status_length,
)
from gulagpub.config import MastodonSettings
from gulagpub.errors import AnnounceError
from gulagpub.model import Kind, Post, State

LINK = "https://blog.example.org/2026/11/27/a-very-long-slug-that-is-much-longer-than-23-characters/"

HOSTILE = [
    "👩‍👩‍👧‍👦", "🏴‍☠️", "👍🏽", "e\u0301", "n\u0303\u0308", "日本語の文書", "СССР", "ГУЛАГ",
    "مرحبا بالعالم", "שלום", "\u202e", "\u200d", " ", "  ", "\t", "\n", "x", "Word", "#", "@",
    "@bob@example.org", "https://evil.example/x", "…", "\u0000", "\ufeff", "a_b", "1937",
]


def make_post(title: str = "A title", *, summary: str | None = None, tags: tuple[str, ...] = (),
              categories: tuple[str, ...] = (), cw: str | None = None, lang: str = "en") -> Post:
    return Post(path="posts/p.md", kind=Kind.POST, name="p", slug="p", title=title,
                state=State.PUBLISHED, lang=lang, body="", tags=tags, categories=categories,
                summary=summary, content_warning=cw)


def test_link_counts_as_23_and_mention_as_username_only():
    assert status_length(LINK, links=(LINK,)) == 23
    assert status_length(f"Read:\n\n{LINK}", url_length=30, links=(LINK,)) == len("Read:\n\n") + 30
    assert status_length("hi @bob@example.org") == len("hi @bob")


def test_other_urls_never_counted_shorter_than_mastodon_counts_them():
    for text in ("see https://example.org/a.", "https://x", "0https://a.org,https://b.org", "https://" + "a" * 80 + ".zz"):
        assert status_length(text) >= mastodon_length(text, "", 23)


def test_graphemes_not_code_points():
    assert status_length("👩‍👩‍👧‍👦") == 1
    assert status_length("e\u0301") == 1
    assert status_length("日本語") == 3
    assert status_length("ab", spoiler_text="👍🏽") == 3


@pytest.mark.parametrize("tag, expected", [
    ("Sources / Links", "#SourcesLinks"),
    ("prison and exile", "#PrisonAndExile"),
    ("gulag", "#gulag"),
    ("ГУЛАГ лагерь", "#ГУЛАГЛагерь"),
    ("日本 語", "#日本語"),
    ("1937", None),
    ("🏴‍☠️", None),
    ("   ", None),
    ("snake_case tag", "#Snake_caseTag"),
])
def test_hashtags_from_tags(tag, expected):
    assert hashtag(tag) == expected


def test_hashtags_dedupe_case_insensitively():
    assert hashtags(["gulag", "Gulag", "🏴‍☠️", "CNT"]) == ["#gulag", "#CNT"]


def test_status_has_title_summary_link_and_hashtags():
    post = make_post("Vicente Monclús", summary="A Spanish libertarian.", tags=("gulag",),
                     categories=("Sources / Links",), lang="es")
    status = compose(post, LINK, MastodonSettings(visibility="unlisted"))
    assert status.text == f"Vicente Monclús\n\nA Spanish libertarian.\n\n{LINK}\n\n#gulag #SourcesLinks"
    assert status.language == "es"
    assert status.visibility == "unlisted"
    assert status.spoiler_text == ""
    assert status.shortened == ()


def test_summary_left_out_when_the_settings_say_so():
    status = compose(make_post(summary="Short."), LINK, MastodonSettings(summary=False))
    assert "Short." not in status.text


def test_content_warning_from_post_or_from_tag_mapping():
    cfg = MastodonSettings(content_warnings={"torture": "Torture", "Death": "Death"})
    assert compose(make_post(cw="Executions"), LINK, cfg).spoiler_text == "Executions"
    assert compose(make_post(tags=("death", "torture", "gulag")), LINK, cfg).spoiler_text == "Death; Torture"
    assert compose(make_post(tags=("gulag",)), LINK, cfg).spoiler_text == ""


def test_language_is_the_primary_subtag():
    assert compose(make_post(lang="pt-BR"), LINK, MastodonSettings()).language == "pt"
    assert compose(make_post(lang="ru"), LINK, MastodonSettings()).language == "ru"


def test_shortening_order_summary_then_hashtags_then_title():
    post = make_post("Word " * 30, summary="S" * 100, tags=("alpha", "beta", "gamma"))
    limits = Limits(max_characters=200)
    status = compose(post, LINK, MastodonSettings(), limits)
    assert status.shortened == ("summary",)
    assert "#alpha #beta #gamma" in status.text
    status = compose(post, LINK, MastodonSettings(), Limits(max_characters=190))
    assert status.shortened == ("summary", "hashtags")
    assert status.text == ("Word " * 30).strip() + f"\n\n{LINK}\n\n#alpha #beta"
    status = compose(post, LINK, MastodonSettings(), Limits(max_characters=60))
    assert status.shortened == ("summary", "hashtags", "title")
    assert status.text == "Word " * 6 + "Word…\n\n" + LINK  # 34 + 1 + 2 + 23 = 60
    assert status.length <= 60


def test_title_cut_at_a_word_boundary_never_inside_a_word():
    post = make_post("Opposition and resistance of Russia’s socialists and anarchists to the Bolshevik regime")
    status = compose(post, LINK, MastodonSettings(), Limits(max_characters=60))
    title = status.text.split("\n\n")[0]
    assert title.endswith("…")
    assert post.title.startswith(title[:-1])
    assert post.title[len(title) - 1] == " "


def test_content_warning_and_link_that_do_not_fit_fail_clearly():
    post = make_post(cw="W" * 490)
    with pytest.raises(AnnounceError, match=r"posts/p.md: the content warning .* do not fit"):
        compose(post, LINK, MastodonSettings())


text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=80).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, summary=text, tags=st.lists(text, max_size=8), cw=st.sampled_from(["", "CW 👩‍👩‍👧", "e\u0301" * 50]),
       limit=st.integers(min_value=80, max_value=600), url_length=st.sampled_from([23, 30]))
def test_any_input_fits_keeps_the_link_and_the_warning(title, summary, tags, cw, limit, url_length):
    post = make_post(title, summary=summary, tags=tuple(tags), cw=cw or None)
    status = compose(post, LINK, MastodonSettings(), Limits(limit, url_length))
    # Fits, by our count and by the test server's independent count.
    assert status.length <= limit
    assert mastodon_length(status.text, status.spoiler_text, url_length) <= limit
    assert LINK in status.text.split("\n\n")
    assert status.spoiler_text == clean(cw)
    assert not regex.search(r"[\u202a-\u202e\u2066-\u2069\p{Cs}]", status.text)
    for tag in regex.findall(r"(?:^|\s)(#\S+)", status.text.split(LINK)[-1]):
        assert regex.fullmatch(r"#[\p{L}\p{M}\p{Nd}_]*\p{L}[\p{L}\p{M}\p{Nd}_]*|#[\p{L}\p{M}\p{Nd}_]*_[\p{L}\p{M}\p{Nd}_]*", tag)
    first = status.text.split("\n\n")[0]
    if "title" in status.shortened and first != LINK:
        assert first.endswith("…")
        kept = graphemes(first[:-1])
        assert graphemes(clean(title))[: len(kept)] == kept


def test_very_long_title_of_one_word_is_cut_between_graphemes():
    title = "👩‍👩‍👧‍👦e\u0301日" * 3000  # 9000 graphemes, no space
    status = compose(make_post(title, tags=("gulag",)), LINK, MastodonSettings())
    first = status.text.split("\n\n")[0]
    assert status.length == 500 and status.shortened == ("hashtags", "title")
    assert first.endswith("…") and title.startswith(first[:-1])
    assert status.text.endswith(LINK)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, summary=text, tags=st.lists(text, max_size=8), cw=st.sampled_from(["", "CW 👩‍👩‍👧", "e\u0301" * 50]),
       translator=st.sampled_from(["", "Paul Sharkey", "Таня " * 30]))
def test_any_input_fits_bluesky_and_its_facets_point_at_their_text(title, summary, tags, cw, translator):
    from gulagpub.compose import compose_bluesky, link_display
    from gulagpub.config import BlueskySettings
    from gulagpub.model import Translation

    post = make_post(title, summary=summary, tags=tuple(tags), cw=cw or None)
    if translator:
        post = Post(**{**post.__dict__, "translation": Translation((translator,), "es")})
    made = compose_bluesky(post, LINK, BlueskySettings())
    assert made.length == len(graphemes(made.text)) <= 300 and len(made.text.encode("utf-8")) <= 3000
    assert made.text.startswith(f"⚠ {clean(cw)}\n\n" if clean(cw) else "")
    assert made.labels == (("graphic-media",) if clean(cw) else ())
    data = made.text.encode("utf-8")
    links = [f for f in made.facets if f.link]
    assert [(data[f.start:f.end].decode(), f.link) for f in links] == [(link_display(LINK), LINK)]
    for f in made.facets:
        if f.tag is not None:
            assert data[f.start:f.end].decode() == "#" + f.tag
    assert made.card.uri == LINK and made.card.title == clean(title)
    assert not regex.search(r"[\u202a-\u202e\u2066-\u2069\p{Cs}]", made.text)


def test_the_credit_in_the_posts_language():
    from gulagpub.compose import credit
    from gulagpub.model import Source, Translation

    post = make_post()
    sharkey = Post(**{**post.__dict__, "source": Source(publication="O Crabero", via="Huesca-Info"),
                      "translation": Translation(("Paul Sharkey",), "es")})
    assert compose(sharkey, LINK, MastodonSettings()).text.split("\n\n")[1] == (
        "From: O Crabero, via Huesca-Info. Translated from the Spanish by Paul Sharkey.")
    spanish = Post(**{**sharkey.__dict__, "lang": "es", "translation": Translation(("Tania", "Boris"), "en")})
    assert credit(spanish).translation == "Traducción: Tania y Boris."
    assert credit(spanish).source == "Fuente: O Crabero, via Huesca-Info."
    # When it does not fit, the source goes before the translator, both before the title is cut.
    status = compose(sharkey, LINK, MastodonSettings(), Limits(max_characters=80))
    assert status.shortened == ("source",) and "Translated from the Spanish by Paul Sharkey." in status.text
    status = compose(sharkey, LINK, MastodonSettings(), Limits(max_characters=40))
    assert status.shortened == ("source", "translator") and status.text == f"A title\n\n{LINK}"
