"""The workflow's rules, over values: no files, no git."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

from conftest import BASE_CONFIG

from gulagpub.config import Role, parse_config
from gulagpub.model import State, content_digest
from gulagpub.postfile import parse_post
from gulagpub.promotion import due
from gulagpub.workflow import (
    Action,
    TRANSITIONS,
    member_by_email,
    may,
    missing_for,
    standings,
    tally,
    transition,
)

CONFIG = parse_config(BASE_CONFIG)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
SRC = Path(__file__).resolve().parent.parent / "src" / "gulagpub"


def post(text: str, path: str = "posts/p.md"):
    p, problems = parse_post(path, text.encode(), default_lang="en", tz=CONFIG.site.tz)
    assert problems == [], problems
    return p


def review(by: str, content: str, verdict: str = "approved") -> str:
    return (f"  - by: {by}\n    verdict: {verdict}\n    at: 2026-11-27 10:00:00+00:00\n"
            f"    content: {content}\n")


BASE = "title: T\nstate: {state}\nauthor: Alice Editor\nlang: en\n"


def digest_of(text: str) -> str:
    return post(text).digest


def test_the_table_holds_the_main_path_and_nothing_else():
    path = [State.DRAFT, State.TRANSLATION, State.REVIEW, State.APPROVED, State.PUBLISHED]
    for a, b in zip(path, path[1:]):
        assert transition(a, b) is not None, (a, b)
    assert transition(State.REVIEW, State.DRAFT).action == Action.REQUEST_CHANGES
    assert transition(State.REVIEW, State.TRANSLATION).action == Action.REQUEST_CHANGES
    assert transition(State.PUBLISHED, State.WITHDRAWN).roles == frozenset({Role.EDITOR})
    # An original draft goes to review by an editor or by its author (a translator too).
    assert transition(State.DRAFT, State.REVIEW).roles == frozenset({Role.EDITOR, Role.TRANSLATOR})
    assert transition(State.DRAFT, State.APPROVED) is None
    assert transition(State.REVIEW, State.PUBLISHED) is None
    assert transition(State.WITHDRAWN, State.PUBLISHED) is None
    assert len({(t.source, t.target) for t in TRANSITIONS}) == len(TRANSITIONS)


def test_entering_translation_lists_everything_missing():
    p = post("---\n" + BASE.format(state="translation") + "---\nText\n")
    missing = missing_for(State.TRANSLATION, p, CONFIG)
    assert len(missing) == 2
    assert "no source language: set 'translation.from_lang' (or 'source.lang')" in missing[0]
    assert "no assigned translator on the team with the translator role (translator: nobody)" in missing[1]


def test_a_translator_must_work_in_the_target_language():
    p = post("---\n" + BASE.format(state="draft").replace("lang: en", "lang: de")
             + "translation:\n  translator: Tania Translator\n  from_lang: ru\n---\nText\n")
    assert missing_for(State.TRANSLATION, p, CONFIG) == [
        "no assigned translator of posts/p.md translates into 'de' (Tania Translator: ['es', 'ru']); "
        "assign another translator or add the language to their 'langs' in gulagpub.toml"]


def test_an_editor_is_not_an_assignable_translator():
    p = post("---\n" + BASE.format(state="draft") + "translation:\n  translator: Boris Editor\n  from_lang: ru\n---\nx\n")
    assert "no assigned translator on the team with the translator role (translator: Boris Editor)" in \
        missing_for(State.TRANSLATION, p, CONFIG)[0]


def test_review_needs_a_body_and_for_a_translation_translator_and_source():
    p = post("---\n" + BASE.format(state="review") + "translation:\n  from_lang: es\n---\n\n")
    assert missing_for(State.REVIEW, p, CONFIG) == [
        "posts/p.md has an empty body; write the text below the front matter",
        "posts/p.md is a translation but names no translator; set 'translation.translator' or run "
        "`gulagpub assign posts/p.md EMAIL`",
        "posts/p.md is a translation without source attribution; set 'source.publication', "
        "'source.title' or 'source.url' (where the original text comes from)",
    ]
    original = post("---\n" + BASE.format(state="review") + "---\nText\n")
    assert missing_for(State.REVIEW, original, CONFIG) == []


def test_a_file_in_translations_is_a_translation():
    p = post("---\ntitle: T\nstate: review\n---\nTexto\n", path="translations/es/p.md")
    assert any("names no translator" in m for m in missing_for(State.REVIEW, p, CONFIG))


def test_approvals_count_only_distinct_editors_on_the_current_content():
    head = "---\n" + BASE.format(state="approved") + "translation:\n  translator: Tania Translator\n  from_lang: es\nsource: {publication: X}\n"
    plain = post(head + "---\nText\n")
    d = plain.digest
    text = head + "reviews:\n" + review("boris@example.org", d) + review("BORIS@example.org", d) + \
        review("alice@example.org", d) + review("tania@example.org", d) + \
        review("mallory@example.org", d) + "---\nText\n"
    t = tally(post(text), CONFIG)
    assert [r.by for r in t.valid] == ["BORIS@example.org"]  # one per editor, the latest
    assert sorted(why for _, why in t.refused) == [
        "approval by Tania Translator <tania@example.org>, who is not an editor",
        "approval by mallory@example.org, who is not on the team",
        "self-approval: Alice Editor <alice@example.org> is the author of posts/p.md",
    ]
    assert t.enough


def test_an_edit_makes_approvals_stale_but_the_workflow_fields_do_not():
    head = "---\n" + BASE.format(state="approved")
    d = digest_of(head + "---\nText\n")
    approved = post(head + "reviews:\n" + review("boris@example.org", d) + "---\nText\n")
    assert tally(approved, CONFIG).enough  # recording the review did not change the digest
    edited = post(head + "reviews:\n" + review("boris@example.org", d) + "---\nText, edited\n")
    t = tally(edited, CONFIG)
    assert not t.enough and [r.by for r in t.stale] == ["boris@example.org"]
    assert missing_for(State.APPROVED, edited, CONFIG) == [
        "posts/p.md has 0 of 1 approval(s) needed on its current content (1 stale: given on earlier "
        "content); an editor who is neither its author nor a translator runs `gulagpub approve posts/p.md`"]
    assert d == content_digest({"title": "T", "author": "Alice Editor", "lang": "en"}, "Text\n")


def test_changes_requested_after_an_approval_withdraws_it():
    head = "---\n" + BASE.format(state="review")
    d = digest_of(head + "---\nText\n")
    p = post(head + "reviews:\n" + review("boris@example.org", d)
             + review("boris@example.org", d, "changes-requested") + "---\nText\n")
    assert tally(p, CONFIG).valid == ()


def test_roles_decide_who_may_move_a_post():
    p = post("---\n" + BASE.format(state="approved") + "---\nText\n")
    tania, boris = CONFIG.member(email="tania@example.org"), CONFIG.member(email="boris@example.org")
    approve = transition(State.REVIEW, State.APPROVED)
    assert may(boris, approve, p) is None
    assert may(tania, approve, p) == ("Tania Translator <tania@example.org> may not approve "
                                      "(review -> approved): only a team member with the editor role may")
    assert may(None, approve, p).startswith("not on the team")
    submit = transition(State.TRANSLATION, State.REVIEW)
    assert "is not a translator of posts/p.md" in may(tania, submit, p)


def test_github_web_editor_addresses_map_through_the_login():
    assert member_by_email(CONFIG, "tania-gh@users.noreply.github.com").name == "Tania Translator"
    assert member_by_email(CONFIG, "123456+boris-gh@users.noreply.github.com").name == "Boris Editor"
    assert member_by_email(CONFIG, "123456+nobody@users.noreply.github.com") is None


def test_due_posts_are_approved_with_valid_approvals_and_their_date_has_come():
    head = "---\n" + BASE.format(state="approved") + "date: {date}\n"
    def make(date: str, name: str):
        d = digest_of(head.format(date=date) + "---\nText\n")
        return post(head.format(date=date) + "reviews:\n" + review("boris@example.org", d) + "---\nText\n",
                    path=f"posts/{name}.md")
    past, future = make("2026-11-01 10:00", "past"), make("2027-01-01 10:00", "future")
    assert [p.path for p in due([past, future], CONFIG, NOW).ready] == ["posts/past.md"]
    stale = post(head.format(date="2026-11-01 10:00") + "reviews:\n" + review("boris@example.org", "0" * 16)
                 + "---\nText\n", path="posts/stale.md")
    found = due([past, stale], CONFIG, NOW)
    assert [p.path for p in found.ready] == ["posts/past.md"]
    assert [r.post.path for r in found.refused] == ["posts/stale.md"]
    assert "0 of 1 approval(s) needed on its current content (1 stale" in found.refused[0].reasons[0]


def test_status_tells_when_the_original_changed_after_translation():
    original = post("---\ntitle: T\nstate: published\ndate: 2026-01-01\n---\nText\n")
    version = post("---\ntitle: T\nstate: translation\ntranslation:\n  translator: Tania Translator\n"
                   "  from_lang: en\n  of_digest: 0000000000000000\n---\nTexto\n", path="translations/es/p.md")
    rows = {r.path: r for r in standings([original, version], CONFIG)}
    assert rows["translations/es/p.md"].outdated_translation
    assert rows["translations/es/p.md"].waiting_for == "translation by Tania Translator"
    assert not rows["posts/p.md"].outdated_translation


CORE = ["model", "workflow", "postfile", "config", "urls", "ledger", "check", "errors"]
EDGE = {"gitstore", "content", "editorial", "cli", "history", "site", "mastodon", "publish"}


def test_core_modules_import_no_edge_module():
    for name in CORE:
        tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                mod = (node.module or "").split(".")[0]
                names = {mod} if mod else {a.name for a in node.names}
                assert not names & EDGE, f"{name}.py imports {names & EDGE}"
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert a.name not in ("subprocess", "os"), f"{name}.py imports {a.name}: core does no I/O"
                    assert not (a.name.startswith("gulagpub.") and a.name.split(".")[1] in EDGE), name


def test_only_an_original_post_skips_translation():
    boris = CONFIG.member(email="boris@example.org")
    submit = transition(State.DRAFT, State.REVIEW)
    original = post("---\n" + BASE.format(state="review") + "---\nText\n")
    translated = post("---\n" + BASE.format(state="review") + "translation:\n  from_lang: es\n---\nText\n")
    assert may(boris, submit, original) is None
    assert "is a translation in draft; it goes through translation first" in may(boris, submit, translated)
