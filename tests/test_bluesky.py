"""`gulagpub announce` on Bluesky, with the real atproto SDK over real HTTP to
the XRPC test server: the post followers see, and every post exactly once,
whatever fails or the server forgets (tests/test_announce_crash.py kills it)."""

from __future__ import annotations

import io
import os
import random
import time
from datetime import datetime, timezone

import pytest
import regex
from bluesky_server import TID, BlueskyServer
from click.testing import CliRunner
from conftest import Repo, post_text
from PIL import Image
from sitehelp import png

from gulagpub.bluesky import record_key
from gulagpub.cli import main
from gulagpub.compose import compose_bluesky
from gulagpub.config import BlueskySettings
from gulagpub.ledger import LEDGER_FILE, load_ledger, parse_ledger
from gulagpub.model import Kind, Post, State, Source, Translation

POSTS = {
    "2026-11-20-steimer": ("On leaving Russia", "2026-11-20 10:00",
                           {"tags": "[gulag, prison and exile]", "summary": "A letter of 1923."}),
    "2026-11-21-karaganda": ("The tragedy of Karaganda", "2026-11-21 10:00", {"tags": "[executions]", "lang": "es"}),
    "2026-11-22-memorial": ("Memorial, opposition and resistance", "2026-11-22 10:00",
                            {"content_warning": "Death in the camps"}),
}


def url(name: str) -> str:
    return f"https://blog.example.org/{name[:10].replace('-', '/')}/{name[11:]}/"


@pytest.fixture
def server():
    s = BlueskyServer().start()
    yield s
    s.stop()


@pytest.fixture
def blog(repo: Repo, server: BlueskyServer) -> Repo:
    repo.write("gulagpub.toml", repo.read("gulagpub.toml") + f"""
[mastodon]
limit = 10

[mastodon.content_warnings]
executions = "Executions"

[bluesky]
service = "{server.base_url}"
limit = 10
retry_for = 1.5
rate_limit_wait = 4
request_timeout = 5
""")
    for name, (title, date, extra) in POSTS.items():
        repo.write(f"posts/{name}.md", post_text(title, state="published", date=date, **extra))
    repo.commit("Three published posts")
    return repo


def env_for(server: BlueskyServer, password: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASTODON_", "BLUESKY_", "GULAGPUB_TEST_"))}
    env.update(BLUESKY_HANDLE=server.handle, BLUESKY_APP_PASSWORD=password or server.password)
    return env


def announce(blog: Repo, server: BlueskyServer, *args: str, password: str | None = None):
    return CliRunner().invoke(main, ["-C", str(blog.root), "announce", *args], env=env_for(server, password))


def posts_for(server: BlueskyServer, name: str) -> list[dict]:
    return [r for r in server.records.values() if r["value"]["embed"]["external"]["uri"] == url(name)]


def assert_exactly_once(server: BlueskyServer) -> None:
    assert {name: len(posts_for(server, name)) for name in POSTS} == {name: 1 for name in POSTS}
    assert len(server.records) == len(POSTS)


def ledger(blog: Repo) -> dict:
    records, problems = parse_ledger(blog.read(LEDGER_FILE))
    assert problems == [] and records["mastodon"] == {}
    return {r.path.removeprefix("posts/").removesuffix(".md"): r for r in records["bluesky"].values()}


def committed(blog: Repo) -> bool:
    return blog.git("status", "--porcelain", "--", LEDGER_FILE).strip() == ""


def test_each_post_once_with_card_facets_language_and_content_warning(blog, server):
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    steimer, karaganda, memorial = (posts_for(server, n)[0] for n in POSTS)
    record = steimer["value"]
    assert record["text"] == "On leaving Russia\n\nblog.example.org/2026/11/20/s…\n\n#gulag #PrisonAndExile"
    card = record["embed"]["external"]
    assert (card["title"], card["description"]) == ("On leaving Russia", "A letter of 1923.")
    data = record["text"].encode("utf-8")
    spans = {data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"][0] for f in record["facets"]}
    assert spans["blog.example.org/2026/11/20/s…"] == {"$type": "app.bsky.richtext.facet#link", "uri": url("2026-11-20-steimer")}
    assert spans["#gulag"]["tag"] == "gulag" and spans["#PrisonAndExile"]["tag"] == "PrisonAndExile"
    assert [record["langs"], karaganda["value"]["langs"]] == [["en"], ["es"]]
    assert "labels" not in record
    # The content warning opens the post and hides the card's image behind a label;
    # the mapping of tags to warnings is [mastodon]'s, which [bluesky] does not set.
    assert memorial["value"]["text"].startswith("⚠ Death in the camps\n\n")
    assert memorial["value"]["labels"]["values"] == [{"$type": "com.atproto.label.defs#selfLabel", "val": "graphic-media"}]
    assert karaganda["value"]["text"].startswith("⚠ Executions\n\n")
    # The record key is the post's, derived from its stable id: a repeat is refused.
    pid = "tag:blog.example.org,2026-11-20:posts/2026-11-20-steimer"
    assert steimer["uri"].endswith("/" + record_key(pid, datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)))
    records = ledger(blog)
    assert records["2026-11-20-steimer"].url == (
        f"https://bsky.app/profile/{server.did}/post/{steimer['uri'].rsplit('/', 1)[1]}")
    assert records["2026-11-20-steimer"].status_id == steimer["uri"]
    assert {r.network for r in records.values()} == {"bluesky"} and committed(blog)
    assert load_ledger(blog.root) == {}  # the build's "Discuss on Mastodon" reads Mastodon's only
    assert [ln.split()[:2] for ln in result.stdout.splitlines()] == [["posted", "bluesky"]] * 3
    again = announce(blog, server)
    assert again.exit_code == 0 and again.stdout == "" and "nothing to announce" in again.stderr
    assert_exactly_once(server)


def test_record_keys_are_tids_stable_and_distinct_for_versions_of_one_second():
    when = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    keys = {record_key(f"tag:blog.example.org,2026-11-20:{p}", when) for p in
            ("posts/x", "translations/es/x", "translations/ru/x", "translations/fr/x")}
    assert len(keys) == 4 and all(TID.match(k) for k in keys)
    assert record_key("a", when) == record_key("a", when)
    assert sorted([record_key("a", when), record_key("a", datetime(2026, 11, 21, tzinfo=timezone.utc))]) == [
        record_key("a", when), record_key("a", datetime(2026, 11, 21, tzinfo=timezone.utc))]  # sorts by date


def test_300_graphemes_whatever_the_title_and_the_credit_when_it_fits():
    post = Post(path="posts/p.md", kind=Kind.POST, name="p", slug="p", title="👩‍👩‍👧‍👦 Word " * 200,
                state=State.PUBLISHED, lang="en", body="", tags=("gulag",), content_warning="e\u0301" * 40,
                source=Source(publication="O Crabero"), translation=Translation(("Paul Sharkey",), "es"))
    link = "https://blog.example.org/2026/11/27/" + "long-slug-" * 20 + "/"
    made = compose_bluesky(post, link, BlueskySettings())
    assert made.length <= 300 and len(regex.findall(r"\X", made.text)) == made.length
    assert made.shortened == ("hashtags", "source", "translator", "title")
    assert made.text.startswith("⚠ " + "e\u0301" * 40 + "\n\n👩‍👩‍👧‍👦 Word")
    short = compose_bluesky(post.__class__(**{**post.__dict__, "title": "A letter", "content_warning": None}),
                            link, BlueskySettings())
    assert "From: O Crabero. Translated from the Spanish by Paul Sharkey." in short.text.split("\n\n")
    assert short.shortened == ()


def test_a_lost_reply_is_found_under_the_record_key_before_the_retry(blog, server):
    server.fail("drop-after")  # stored, the reply lost
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    assert ("GET", "com.atproto.repo.getRecord") in server.requests


def test_a_repeated_create_is_refused_when_neither_ledger_nor_feed_knows(blog, server):
    assert announce(blog, server).exit_code == 0
    (blog.root / LEDGER_FILE).unlink()  # a fresh clone of a commit before the ledger
    server.indexed = False  # and the AppView behind: the feed shows nothing
    before = len(server.requests)
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    creates = [n for m, n in server.requests[before:] if n == "com.atproto.repo.createRecord"]
    assert len(creates) == 3  # each refused (500, as the reference PDS), then read under its key
    assert {r.state for r in ledger(blog).values()} == {"posted"}


def test_a_server_that_ignores_record_keys_is_still_posted_to_once(blog, server):
    server.rkeys = "ignore"  # as if the key could not refuse a repeat: only the feed tells
    server.fail("drop-after", times=2)
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)


def test_with_the_ledger_lost_the_author_feed_tells_what_is_there(blog, server):
    server.rkeys = "ignore"
    assert announce(blog, server, "--limit", "2").exit_code == 0
    (blog.root / LEDGER_FILE).unlink()
    dry = announce(blog, server, "--dry-run")
    assert [ln.split()[0] for ln in dry.stdout.splitlines() if not ln.startswith(" ")] == [
        "would-record", "would-record", "would-post"]
    assert "bluesky: read 1 page(s), 2 post(s) of the account back to the oldest post due" in dry.stderr
    result = announce(blog, server)
    assert [ln.split()[0] for ln in result.stdout.splitlines()] == ["found", "found", "posted"]
    assert_exactly_once(server)


@pytest.mark.parametrize("fault, times, reset_in", [("500", 2, 0), ("drop-before", 1, 0), ("429", 1, 1.0)])
def test_transient_faults_are_retried(blog, server, fault, times, reset_in):
    server.fail(fault, times=times, reset_in=reset_in)
    start = time.monotonic()
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    if fault == "429":
        assert time.monotonic() - start >= 0.5


@pytest.mark.parametrize("fault, times, reset_in, says", [
    ("500", 1000, 0, "Bluesky did not answer (HTTP 500: InternalServerError: Internal Server Error; retried for 1.5 s"),
    ("429", 1, 3600, "Bluesky's rate limit is reached until"),
])
def test_lasting_faults_stop_the_run_and_a_later_run_finishes(blog, server, fault, times, reset_in, says):
    server.fail(fault, times=times, reset_in=reset_in)
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 10 and result.exit_code == 1
    assert says in result.stderr and "run again" in result.stderr
    assert server.records == {} and ledger(blog)["2026-11-20-steimer"].state == "pending" and committed(blog)
    server.faults.clear()
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_a_dripping_server_and_a_reply_that_is_not_a_record(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("request_timeout = 5", "request_timeout = 1.5"))
    server.drip_every = 0.3
    server.fail("drip")
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 8 and result.exit_code == 1
    assert "Bluesky did not finish answering within request_timeout = 1.5 s" in result.stderr
    assert ledger(blog)["2026-11-20-steimer"].state == "pending" and committed(blog)
    server.fail("bogus")  # {"uri": null, "cid": 12} for the next post
    result = announce(blog, server)
    assert result.exit_code == 1 and "answered with something that is not" in result.stderr
    assert ledger(blog)["2026-11-21-karaganda"].state == "pending"
    assert ledger(blog)["2026-11-20-steimer"].state == "posted"  # found: the drip had stored it
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_the_app_password_is_never_shown_logged_or_committed(blog, server):
    wrong = "wrong-app-pass-9f3d-11aa"
    bad = announce(blog, server, password=wrong)
    assert bad.exit_code == 1 and "Bluesky refused the credentials (HTTP 401" in bad.stderr
    assert "BLUESKY_APP_PASSWORD" in bad.stderr
    outputs = [bad.stdout, bad.stderr]
    server.fail("500", times=3)
    for args in ((), ("--dry-run",), ("--json",)):
        r = announce(blog, server, *args)
        outputs += [r.stdout, r.stderr]
    history = blog.git("log", "-p", "--all")
    for secret in (server.password, wrong, *server.tokens):
        for text in [*outputs, history, blog.read(LEDGER_FILE)]:
            assert secret not in text


def test_withdrawn_posts_are_deleted_on_bluesky_when_the_settings_say_so(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[bluesky]\n", '[bluesky]\non_withdraw = "delete"\n'))
    assert announce(blog, server).exit_code == 0
    blog.write("posts/2026-11-20-steimer.md", post_text("On leaving Russia", state="withdrawn", date="2026-11-20 10:00")
               .replace("---\n\n", "withdrawn: {by: alice@example.org, at: 2026-11-26 10:00, reason: rights}\n---\n\n", 1))
    blog.commit("Withdraw")
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert "deleted      bluesky   posts/2026-11-20-steimer.md" in result.stdout
    assert posts_for(server, "2026-11-20-steimer") == []
    assert ledger(blog)["2026-11-20-steimer"].state == "deleted"


def with_image(blog: Repo, name: str, data: bytes) -> None:
    blog.write(f"media/{name}.png", data)
    text = blog.read(f"posts/{name}.md")
    blog.write(f"posts/{name}.md", text.replace("---\n", f"---\nimage:\n  src: /media/{name}.png\n  alt: Page 1\n", 1))
    blog.commit(f"A lead image for {name}")


def test_the_lead_image_is_the_cards_thumbnail(blog, server):
    with_image(blog, "2026-11-20-steimer", png(64, 40))
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    thumb = posts_for(server, "2026-11-20-steimer")[0]["value"]["embed"]["external"]["thumb"]
    assert thumb["$type"] == "blob" and server.blobs[thumb["ref"]["$link"]] == png(64, 40)
    assert thumb["mimeType"] == "image/png"
    assert "thumb" not in posts_for(server, "2026-11-21-karaganda")[0]["value"]["embed"]["external"]


def test_a_thumbnail_over_the_lexicons_million_bytes_goes_as_a_smaller_jpeg(blog, server):
    noise = Image.frombytes("RGB", (700, 700), random.Random(14).randbytes(700 * 700 * 3))
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    assert len(buf.getvalue()) > 1_000_000
    with_image(blog, "2026-11-20-steimer", buf.getvalue())
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    thumb = posts_for(server, "2026-11-20-steimer")[0]["value"]["embed"]["external"]["thumb"]
    sent = server.blobs[thumb["ref"]["$link"]]
    assert len(sent) <= 1_000_000 and thumb["mimeType"] == "image/jpeg" and thumb["size"] == len(sent)
    with Image.open(io.BytesIO(sent)) as im:
        assert im.format == "JPEG"


def test_both_networks_in_one_run_each_with_its_own_ledger(blog, server):
    from mastodon_server import MastodonServer

    mastodon = MastodonServer().start()
    try:
        env = {**env_for(server), "MASTODON_API_BASE_URL": mastodon.base_url, "MASTODON_ACCESS_TOKEN": mastodon.token}
        result = CliRunner().invoke(main, ["-C", str(blog.root), "announce"], env=env)
        assert result.exit_code == 0, result.stderr
        assert len(mastodon.statuses) == len(server.records) == 3
        records = parse_ledger(blog.read(LEDGER_FILE))[0]
        assert {n: {r.state for r in v.values()} for n, v in records.items()} == {
            "mastodon": {"posted"}, "bluesky": {"posted"}}
        only = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--network", "bluesky", "--dry-run"], env=env)
        assert only.exit_code == 0 and "nothing to announce" in only.stderr
        unset = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--network", "bluesky"],
                                   env={**env, "BLUESKY_APP_PASSWORD": "", "BLUESKY_HANDLE": ""})
        assert unset.exit_code == 1 and "--network bluesky: BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are not set" \
            in unset.stderr
    finally:
        mastodon.stop()


def test_bluesky_settings_errors_name_their_own_line(blog):
    text = blog.read("gulagpub.toml").replace("[bluesky]\nservice", '[bluesky]\nlimit = -1\nservice').replace(
        "[bluesky]\nlimit = -1\nservice", "[bluesky]\nsummary = false\nlimit = -1\nservice")
    text = text.replace("limit = 10\nretry_for", "retry_for")  # [bluesky]'s own limit line is the -1
    blog.write("gulagpub.toml", text)
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--dry-run"])
    n = text.splitlines().index("limit = -1") + 1
    assert result.exit_code == 1 and f"gulagpub.toml:{n}: bluesky.limit must be a whole number" in result.stderr


def test_half_set_credentials_are_a_clear_error(blog):
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce"],
                                env={"BLUESKY_HANDLE": "gulag.bsky.social", "BLUESKY_APP_PASSWORD": ""})
    assert result.exit_code == 1 and "error: BLUESKY_APP_PASSWORD is not set" in result.stderr


def test_the_outbox_for_bluesky_without_credentials(blog, tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--network", "bluesky", "--out", str(out)],
                                env={"MASTODON_API_BASE_URL": "", "BLUESKY_HANDLE": ""})
    assert result.exit_code == 0, result.stderr
    assert sorted(f.name for f in (out / "outbox").iterdir()) == [
        "001-steimer.bluesky.json", "002-karaganda.bluesky.json", "003-memorial.bluesky.json"]
