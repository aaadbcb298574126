"""`gulagpub announce` on Mastodon, with the real Mastodon.py client over real
HTTP to the test server: every post exactly once, whatever fails, whatever
the server forgets or sends back (tests/test_announce_crash.py kills it)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from conftest import PROJECT, Repo, post_text, run_git
from mastodon_server import MastodonServer
from PIL import Image
from sitehelp import GPS_IFD, jpeg

from gulagpub.cli import main
from gulagpub.ledger import LEDGER_FILE, load_ledger, parse_ledger, status_urls
from gulagpub.mastodon import idempotency_key

MASTODON = """
[mastodon]
visibility = "unlisted"
limit = 10
retry_for = 1.5
rate_limit_wait = 4
request_timeout = 5

[mastodon.content_warnings]
executions = "Executions"
"""

POSTS = {
    # name: (title, date, extra front matter)
    "2026-11-20-steimer": ("On leaving Russia", "2026-11-20 10:00", {"tags": "[gulag, prison and exile]"}),
    "2026-11-21-karaganda": ("The tragedy of Karaganda", "2026-11-21 10:00",
                             {"tags": "[executions]", "lang": "es"}),
    "2026-11-22-memorial": ("Memorial, opposition and resistance", "2026-11-22 10:00",
                            {"content_warning": "Death in the camps"}),
}
WITHDRAWN = post_text("On leaving Russia", state="withdrawn", date="2026-11-20 10:00").replace(
    "---\n\n", "withdrawn: {by: alice@example.org, at: 2026-11-26 10:00, reason: rights}\n---\n\n", 1)


def url(name: str) -> str:
    day = name[:10].replace("-", "/")
    return f"https://blog.example.org/{day}/{name[11:]}/"


@pytest.fixture
def server():
    s = MastodonServer().start()
    yield s
    s.stop()


@pytest.fixture
def blog(repo: Repo) -> Repo:
    repo.write("gulagpub.toml", repo.read("gulagpub.toml") + MASTODON)
    for name, (title, date, extra) in POSTS.items():
        repo.write(f"posts/{name}.md", post_text(title, state="published", date=date, **extra))
    repo.commit("Three published posts")
    return repo


def env_for(server: MastodonServer, token: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASTODON_", "BLUESKY_", "GULAGPUB_TEST_"))}
    env.update(MASTODON_API_BASE_URL=server.base_url, MASTODON_ACCESS_TOKEN=token or server.token, **extra)
    return env


def announce(blog: Repo, server: MastodonServer | None, *args: str, token: str | None = None):
    """Run `gulagpub announce` in this process (the CLI, as a user runs it)."""
    env = env_for(server, token) if server else {"MASTODON_API_BASE_URL": "", "MASTODON_ACCESS_TOKEN": ""}
    return CliRunner().invoke(main, ["-C", str(blog.root), "announce", *args], env=env)


def spawn(blog: Repo, server: MastodonServer, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gulagpub", "-C", str(blog.root), "announce"],
                            env=env_for(server, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate()  # reaps it and closes its pipes


def count(server: MastodonServer, name: str) -> int:
    return sum(url(name) in s["content"] for s in server.statuses.values())


def assert_exactly_once(server: MastodonServer) -> None:
    assert {name: count(server, name) for name in POSTS} == {name: 1 for name in POSTS}
    assert len(server.statuses) == len(POSTS)


def ledger(blog: Repo) -> dict:
    records, problems = parse_ledger(blog.read(LEDGER_FILE))
    assert problems == []
    assert records["bluesky"] == {}
    return {r.path.removeprefix("posts/").removesuffix(".md"): r for r in records["mastodon"].values()}


def committed(blog: Repo) -> bool:
    return blog.git("status", "--porcelain", "--", LEDGER_FILE).strip() == ""


# -- the normal case ------------------------------------------------------------


def test_announces_each_post_once_oldest_first_with_language_cw_and_visibility(blog, server):
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    statuses = list(server.statuses.values())
    assert [s["url"] for s in statuses] == [line.split()[-1] for line in result.stdout.splitlines()]
    assert [next(n for n in POSTS if url(n) in s["content"]) for s in statuses] == list(POSTS)
    steimer, karaganda, memorial = statuses
    assert "#gulag #PrisonAndExile" in steimer["content"]
    assert [s["visibility"] for s in statuses] == ["unlisted"] * 3
    assert [s["language"] for s in statuses] == ["en", "es", "en"]
    assert [s["spoiler_text"] for s in statuses] == ["", "Executions", "Death in the camps"]
    keys = [h.get("Idempotency-Key") for m, p, h in server.requests if m == "POST"]
    assert keys == [idempotency_key(f"tag:blog.example.org,{n[:10]}:posts/{n}") for n in POSTS]
    assert "mastodon [3/3]" in result.stderr  # progress
    assert "read 1 page(s)" in result.stderr  # the account was read before posting
    records = ledger(blog)
    assert {n: (r.state, r.url) for n, r in records.items()} == {
        n: ("posted", s["url"]) for n, s in zip(POSTS, statuses, strict=True)}
    assert committed(blog)
    assert "Gulagpub-Command: announce" in blog.git("log", "-1", "--format=%B")

    again = announce(blog, server)
    assert again.exit_code == 0 and again.stdout == ""
    assert_exactly_once(server)


def test_status_urls_for_the_back_link(blog, server):
    assert announce(blog, server).exit_code == 0
    urls = status_urls(load_ledger(blog.root))
    assert sorted(urls.values()) == sorted(s["url"] for s in server.statuses.values())


def test_one_run_at_a_time(blog, server):
    import fcntl

    with open(blog.root / ".git" / "gulagpub-announce.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = announce(blog, server)
    assert result.exit_code == 1 and "another `gulagpub announce` is running" in result.stderr
    assert server.statuses == {}


def test_dry_run_prints_and_touches_nothing(blog, server):
    result = announce(blog, server, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "CW: Executions" in result.stdout and url("2026-11-20-steimer") in result.stdout
    assert server.statuses == {}
    assert not (blog.root / LEDGER_FILE).exists()
    assert blog.git("status", "--porcelain") == ""


def test_limit_per_run_rest_left_for_the_next(blog, server):
    result = announce(blog, server, "--limit", "2")
    assert result.exit_code == 0
    assert len(server.statuses) == 2 and count(server, "2026-11-22-memorial") == 0
    assert "1 more post(s) left for the next run" in result.stderr
    assert announce(blog, server, "--limit", "2").exit_code == 0
    assert_exactly_once(server)


def test_instance_limit_from_v2_then_v1(blog, server):
    blog.write("posts/2026-11-23-long.md", post_text("Word " * 40, state="published", date="2026-11-23 10:00"))
    blog.commit("A long title")
    server.v2 = False  # fall back to /api/v1/instance
    server.max_characters = 100
    assert announce(blog, server).exit_code == 0
    long = [s for s in server.statuses.values() if "long/" in s["content"]][0]
    assert "Word…" in long["content"]


# -- no floods, edits, withdrawals ------------------------------------------------


def test_no_flood_on_the_bundled_archive(tmp_path, server):
    root = tmp_path / "archive"
    shutil.copytree(PROJECT / "posts", root / "posts")
    shutil.copy(PROJECT / "gulagpub.toml", root / "gulagpub.toml")
    run_git(root.parent, "init", "-q", "-b", "main", str(root))
    archive = Repo(root)
    archive.as_(("Bot", "bot@example.org"))
    archive.commit("import")
    result = announce(archive, server)
    assert result.exit_code == 0, result.stderr
    assert server.statuses == {} and result.stdout == ""


def test_mark_existing_then_only_new_posts(blog, server):
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--mark-existing"])
    assert result.exit_code == 0
    assert result.stdout.count("skipped      mastodon") == result.stdout.count("skipped      bluesky") == 3
    records = parse_ledger(blog.read(LEDGER_FILE))[0]
    assert {r.state for net in records.values() for r in net.values()} == {"skipped"} and committed(blog)
    assert {net: len(r) for net, r in records.items()} == {"mastodon": 3, "bluesky": 3}
    blog.write("posts/2026-11-25-new.md", post_text("New", state="published", date="2026-11-25 10:00"))
    blog.commit("New post")
    assert announce(blog, server).exit_code == 0
    assert ["2026/11/25/new/" in s["content"] for s in server.statuses.values()] == [True]


def test_announce_since_keeps_older_posts_quiet(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace(
        "[mastodon]\n", "[mastodon]\nannounce_since = 2026-11-22T00:00:00Z\n"))
    blog.commit("bot set up on the 22nd")
    assert announce(blog, server).exit_code == 0
    assert len(server.statuses) == 1 and count(server, "2026-11-22-memorial") == 1


def test_edit_after_announce_does_not_announce_again(blog, server):
    assert announce(blog, server).exit_code == 0
    blog.write("posts/2026-11-20-steimer.md", post_text(
        "On leaving Russia (corrected)", state="published", date="2026-11-20 10:00", tags="[gulag, new]"))
    blog.commit("Fix the title")
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


@pytest.mark.parametrize("setting, state", [("", "left"), ('on_withdraw = "delete"\n', "deleted")])
def test_withdraw_leaves_or_deletes_the_status_and_records_it(blog, server, setting, state):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[mastodon]\n", "[mastodon]\n" + setting))
    assert announce(blog, server).exit_code == 0
    status_id = ledger(blog)["2026-11-20-steimer"].status_id
    blog.write("posts/2026-11-20-steimer.md", WITHDRAWN)
    blog.commit("Withdraw")
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert f"{state:<12} mastodon  posts/2026-11-20-steimer.md" in result.stdout
    assert (status_id in server.statuses) == (state == "left")
    assert ledger(blog)["2026-11-20-steimer"].state == state and committed(blog)
    assert announce(blog, server).stdout == ""  # recorded: not again


def test_withdrawn_while_its_announcement_was_interrupted(blog, server, tmp_path):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[mastodon]\n", '[mastodon]\non_withdraw = "delete"\n'))
    flag = tmp_path / "paused"
    proc = spawn(blog, server, GULAGPUB_TEST_PAUSE_AT="after-post", GULAGPUB_TEST_PAUSE_FILE=str(flag))
    wait_for(lambda: flag.exists() or proc.poll() is not None, "the run to reach after-post")
    kill(proc)
    assert count(server, "2026-11-20-steimer") == 1
    blog.write("posts/2026-11-20-steimer.md", WITHDRAWN)
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert count(server, "2026-11-20-steimer") == 0
    assert ledger(blog)["2026-11-20-steimer"].state == "deleted"


# -- faults ----------------------------------------------------------------------


@pytest.mark.parametrize("fault, times, reset_in", [
    ("500", 2, 0), ("drop-before", 1, 0), ("drop-after", 1, 0), ("429", 1, 1.0)])
def test_transient_faults_are_retried_with_the_same_key(blog, server, fault, times, reset_in):
    server.fail(fault, times=times, reset_in=reset_in)
    start = time.monotonic()
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    if fault == "429":  # waited for the reset, about a second away
        assert time.monotonic() - start >= 0.5


@pytest.mark.parametrize("fault, times, reset_in, says", [
    ("500", 1000, 0, "did not answer (HTTP 500; retried for 1.5 s"),
    ("429", 1, 3600, "rate limit is reached until"),
])
def test_lasting_faults_stop_the_run_in_bounded_time_and_a_later_run_finishes(
        blog, server, fault, times, reset_in, says):
    server.fail(fault, times=times, reset_in=reset_in)
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 10
    assert result.exit_code == 1
    assert says in result.stderr and "run again" in result.stderr
    assert server.statuses == {}
    assert ledger(blog)["2026-11-20-steimer"].state == "pending"
    server.faults.clear()
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_instance_down_stops_in_bounded_time(blog, server):
    server.stop()
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 10
    assert result.exit_code == 1
    assert "did not answer (network error; retried for 1.5 s" in result.stderr
    assert not (blog.root / LEDGER_FILE).exists()  # nothing was sent, nothing recorded


def test_422_for_one_post_others_go_on(blog, server):
    server.reject = lambda text: "Karaganda" in text  # refused with a Japanese message
    result = announce(blog, server)
    assert result.exit_code == 1
    assert "posts/2026-11-21-karaganda.md" in result.stderr and "HTTP 422" in result.stderr
    assert count(server, "2026-11-20-steimer") == count(server, "2026-11-22-memorial") == 1
    assert ledger(blog)["2026-11-21-karaganda"].state == "failed"
    server.reject = lambda text: False
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_content_warning_too_long_fails_that_post_clearly(blog, server):
    blog.write("posts/2026-11-23-cw.md", post_text("T", state="published", date="2026-11-23 10:00",
                                                   content_warning="W" * 490))
    result = announce(blog, server)
    assert result.exit_code == 1
    assert "posts/2026-11-23-cw.md: the content warning (490 characters)" in result.stderr
    assert_exactly_once(server)


def test_no_credentials_writes_the_outbox_under_out(blog, tmp_path):
    out = tmp_path / "site"
    result = announce(blog, None, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    files = sorted((out / "outbox").glob("*.json"))
    assert [f.name for f in files] == ["001-steimer.json", "002-karaganda.json", "003-memorial.json"]
    assert [line.split()[-1] for line in result.stdout.splitlines()] == [str(f) for f in files]
    data = json.loads(files[1].read_text(encoding="utf-8"))
    assert data["spoiler_text"] == "Executions" and data["language"] == "es"
    assert url("2026-11-21-karaganda") in data["status"]
    assert not (blog.root / LEDGER_FILE).exists()


@pytest.mark.parametrize("base, token, says", [
    ("http://127.0.0.1:9", "", "MASTODON_ACCESS_TOKEN is not set"),
    ("", "secret-abc", "MASTODON_API_BASE_URL is not set"),
    ("mastodon.social", "secret-abc", "MASTODON_API_BASE_URL must be the instance's address"),
])
def test_incomplete_credentials_are_a_clear_error(blog, base, token, says):
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce"],
                                env={"MASTODON_API_BASE_URL": base, "MASTODON_ACCESS_TOKEN": token})
    assert result.exit_code == 1
    assert result.stderr == f"error: {says}" + result.stderr.split(says, 1)[1]
    assert "secret-abc" not in result.stderr


def test_the_token_is_never_shown_logged_or_committed(blog, server):
    outputs = []
    wrong = "wrong-token-d41d8cd98f00b204"
    bad = announce(blog, server, token=wrong)
    assert bad.exit_code == 1 and "Mastodon refused the credentials (HTTP 401" in bad.stderr
    assert "put it in MASTODON_ACCESS_TOKEN" in bad.stderr
    outputs += [bad.stdout, bad.stderr]
    server.fail("500", times=3)
    server.reject = lambda text: "Karaganda" in text
    for args in ((), ("--dry-run",), ("--json",)):
        r = announce(blog, server, *args)
        outputs += [r.stdout, r.stderr]
    proc = spawn(blog, server)
    outputs += [b.decode() for b in proc.communicate(timeout=60)]
    history = blog.git("log", "-p", "--all")
    for secret in (server.token, wrong):
        for text in [*outputs, history, blog.read(LEDGER_FILE)]:
            assert secret not in text


# -- killed, torn, held -------------------------------------------------------------


def test_a_torn_last_line_from_a_killed_write_is_skipped_not_glued(blog, server):
    blog.write(LEDGER_FILE, '{"post": "tag:blog.example.org,2026-11-20:posts/2026-11-20-st')
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert "announcements.jsonl:1: unreadable ledger line" in result.stderr
    assert_exactly_once(server)
    lines = blog.read(LEDGER_FILE).splitlines()
    assert lines[0].endswith("2026-11-20-st") and len(lines) == 1 + 2 * len(POSTS)


def test_killed_after_the_server_stored_but_before_the_reply(blog, server):
    server.fail("hold-after")
    proc = spawn(blog, server)
    wait_for(lambda: server.held.is_set() or proc.poll() is not None, "the server to store the status")
    kill(proc)
    server.release.set()
    assert len(server.statuses) == 1
    assert ledger(blog)["2026-11-20-steimer"].state == "pending"
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)


def test_a_status_the_instance_stored_but_forgot_the_key_of_is_found_on_the_account(blog, server):
    server.idempotency_ttl = 0  # the instance has forgotten every key
    server.fail("hold-after")
    proc = spawn(blog, server)
    wait_for(lambda: server.held.is_set() or proc.poll() is not None, "the server to store the status")
    kill(proc)
    server.release.set()
    for n in range(45):  # the lost status is on the second page of the account's statuses
        server.create({"status": f"unrelated {n}"}, None)
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert {name: count(server, name) for name in POSTS} == {name: 1 for name in POSTS}
    assert "found" in result.stdout.splitlines()[0]
    assert "found on the account" in ledger(blog)["2026-11-20-steimer"].note


def test_pending_not_on_the_account_is_posted_again_when_the_key_is_forgotten(blog, server, tmp_path):
    server.idempotency_ttl = 0
    flag = tmp_path / "paused"
    proc = spawn(blog, server, GULAGPUB_TEST_PAUSE_AT="before-post", GULAGPUB_TEST_PAUSE_FILE=str(flag))
    wait_for(lambda: flag.exists() or proc.poll() is not None, "the run to reach before-post")
    kill(proc)
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_help_teaches_the_environment_and_ends_with_an_example():
    result = CliRunner().invoke(main, ["announce", "--help"])
    assert result.exit_code == 0
    for needed in ("MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD",
                   "--mark-existing", "--network", "outbox"):
        assert needed in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("-h, --help")
    assert "Example:" in result.stdout.split("Options:")[0].rstrip().rsplit("\n\n", 1)[-1]


@pytest.mark.parametrize("line, says", [
    ('on_withdraw = "burn"', "mastodon.on_withdraw must be 'leave' or 'delete'"),
    ("search_pages = -2", "mastodon.search_pages must be a whole number, 0 or more"),
    ("run_timeout = 0", "mastodon.run_timeout must be more than 0 seconds"),
    ('search_pages = "many"', "mastodon.search_pages must be a whole number, 0 or more"),
    ('summary = "yes"', "mastodon.summary must be true or false"),
])
def test_bad_bot_settings_name_the_line(blog, line, says):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[mastodon]\n", f"[mastodon]\n{line}\n"))
    result = CliRunner().invoke(main, ["-C", str(blog.root), "announce", "--dry-run"])
    assert result.exit_code == 1
    n = blog.read("gulagpub.toml").splitlines().index(line) + 1
    assert f"gulagpub.toml:{n}:" in result.stderr and says in result.stderr


# -- servers that forget, ignore, drip or answer nonsense ------------------------------


@pytest.mark.parametrize("mode", ["forget", "ignore"])
def test_a_lost_reply_is_looked_for_before_the_retry_when_the_key_does_not_help(blog, server, mode):
    if mode == "ignore":
        server.idempotency = "ignore"  # a server that never supported Idempotency-Key
    else:
        server.idempotency_ttl = 0  # one that forgets keys at once
    server.fail("drop-after", times=2)  # stored, the reply lost: twice
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert_exactly_once(server)
    assert [r.state for r in ledger(blog).values()] == ["posted"] * 3


def test_a_dripping_server_stops_the_run_in_bounded_time_with_the_ledger_committed(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("request_timeout = 5", "request_timeout = 1.5"))
    blog.commit("Shorter requests")
    server.drip_every = 0.3  # never silent for as long as a read timeout: only a deadline ends it
    server.fail("drip")
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 8
    assert result.exit_code == 1
    assert "did not finish answering within request_timeout = 1.5 s" in result.stderr
    assert ledger(blog)["2026-11-20-steimer"].state == "pending" and committed(blog)
    assert len(server.statuses) == 1  # stored before the drip began
    again = announce(blog, server)
    assert again.exit_code == 0, again.stderr
    assert "found" in again.stdout.splitlines()[0]
    assert_exactly_once(server)


def test_the_run_as_a_whole_has_a_deadline(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[mastodon]\n", "[mastodon]\nrun_timeout = 1.5\n"))
    server.drip_every = 0.3
    server.fail("drip")
    start = time.monotonic()
    result = announce(blog, server)
    assert time.monotonic() - start < 6
    assert result.exit_code == 1 and "this run has taken run_timeout = 1.5 s on Mastodon" in result.stderr
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_a_200_that_is_not_a_status_is_never_recorded_as_posted(blog, server):
    server.fail("bogus")  # {"id": null, "url": 12}, nothing stored
    result = announce(blog, server)
    assert result.exit_code == 1
    assert "answered with something that is not a status" in result.stderr
    record = ledger(blog)["2026-11-20-steimer"]
    assert record.state == "pending" and record.url is None and committed(blog)
    assert status_urls(load_ledger(blog.root)) == {}  # no "Discuss on Mastodon" link to 12
    assert announce(blog, server).exit_code == 0
    assert_exactly_once(server)


def test_a_status_url_off_the_instance_is_not_a_status(blog, server):
    real = server.public
    server.public = lambda status: {**real(status), "url": "https://evil.example/@x/1", "uri": None}
    result = announce(blog, server)
    assert result.exit_code == 1 and "not a status" in result.stderr
    assert ledger(blog)["2026-11-20-steimer"].state == "pending"


# -- a ledger lost: the account is the truth ---------------------------------------------


def test_with_the_ledger_lost_nothing_is_posted_again_and_dry_run_says_what_it_found(blog, server):
    assert announce(blog, server, "--limit", "2").exit_code == 0
    (blog.root / LEDGER_FILE).unlink()  # as a fresh clone of a commit before the ledger was pushed
    server.forget_keys()
    dry = announce(blog, server, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert [ln.split()[0] for ln in lines if not ln.startswith(" ")] == ["would-record", "would-record", "would-post"]
    assert "read 1 page(s), 2 post(s) of the account back to the oldest post due: 2 of the 3" in dry.stderr
    assert not (blog.root / LEDGER_FILE).exists() and len(server.statuses) == 2
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert [ln.split()[0] for ln in result.stdout.splitlines()] == ["found", "found", "posted"]
    assert_exactly_once(server)
    assert {r.url for r in ledger(blog).values()} == {s["url"] for s in server.statuses.values()}


def test_reading_the_account_is_bounded_by_search_pages(blog, server):
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("[mastodon]\n", "[mastodon]\nsearch_pages = 1\n"))
    assert announce(blog, server, "--limit", "1").exit_code == 0
    (blog.root / LEDGER_FILE).unlink()
    for n in range(45):
        server.create({"status": f"unrelated {n}"}, None)
    before = len(server.requests)
    result = announce(blog, server, "--dry-run")
    assert "read 1 page(s), 40 post(s) of the account (search_pages reached)" in result.stderr
    assert [p for m, p, _ in server.requests[before:] if p.endswith("/statuses")] == [
        f"/api/v1/accounts/{server.ACCOUNT_ID}/statuses"]


def test_nothing_to_announce_is_said(blog, server):
    assert announce(blog, server).exit_code == 0
    before = len(server.requests)
    for args in (("--dry-run",), ()):
        result = announce(blog, server, *args)
        assert result.exit_code == 0 and result.stdout == ""
        assert "nothing to announce" in result.stderr
    assert server.requests[before:] == []  # nothing due: the instance is not even asked


# -- what followers see -------------------------------------------------------------------


SHARKEY = ('source: {publication: O Crabero, via: Huesca-Info}\n'
           'translation: {translator: Paul Sharkey, from_lang: es}')


def test_translator_source_and_language_versions_in_their_language(blog, server):
    blog.write("posts/2026-11-20-steimer.md", post_text(
        "On leaving Russia", state="published", date="2026-11-20 10:00", body="Text.\n\n", **{
            "source": "{publication: O Crabero, via: Huesca-Info}",
            "translation": "{translator: Paul Sharkey, from_lang: es}"}))
    blog.write("translations/es/2026-11-20-steimer.md", post_text(
        "Al dejar Rusia", state="published", date="2026-11-24 10:00", tags="[gulag]",
        translation="{translator: Tania Translator, from_lang: en}"))
    blog.write("translations/ru/2026-11-20-steimer.md", post_text(
        "Покидая Россию", state="published", date="2026-11-24 11:00",
        translation="{translator: [Tania Translator, Boris Editor], from_lang: en}"))
    # A version of a withdrawn post is not announced, and a withdrawn version neither.
    blog.write("posts/2026-11-22-memorial.md", post_text("Memorial", state="withdrawn", date="2026-11-22 10:00")
               .replace("---\n\n", "withdrawn: {by: alice@example.org, at: 2026-11-26 10:00, reason: rights}\n---\n\n", 1))
    blog.write("translations/es/2026-11-22-memorial.md", post_text("Memorial", state="published",
                                                                  date="2026-11-24 10:00"))
    blog.commit("Credits and versions")
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    texts = {s["language"] + (":" + s["text_source"].split("\n")[0]): s["text_source"] for s in server.statuses.values()}
    assert set(texts) == {"en:On leaving Russia", "es:The tragedy of Karaganda", "es:Al dejar Rusia", "ru:Покидая Россию"}
    assert ("From: O Crabero, via Huesca-Info. Translated from the Spanish by Paul Sharkey."
            in texts["en:On leaving Russia"].split("\n\n"))
    assert "Traducción: Tania Translator." in texts["es:Al dejar Rusia"].split("\n\n")
    assert "https://blog.example.org/es/2026/11/24/steimer/" in texts["es:Al dejar Rusia"]
    assert "Перевод: Tania Translator и Boris Editor." in texts["ru:Покидая Россию"].split("\n\n")
    assert not any("memorial" in t for t in texts.values())


# -- the lead image ----------------------------------------------------------------


def with_image(blog: Repo, name: str, data: bytes, alt: str = "Page 1 of the letter, handwritten") -> bytes:
    """Give a post a lead image (`image:`, in media/) and commit; the image's bytes."""
    blog.write(f"media/{name}.jpg", data)
    text = blog.read(f"posts/{name}.md")
    blog.write(f"posts/{name}.md", text.replace("---\n", f"---\nimage:\n  src: /media/{name}.jpg\n  alt: {alt}\n", 1))
    blog.commit(f"A lead image for {name}")
    return data


def attachments(server: MastodonServer, name: str) -> list[dict]:
    [status] = [s for s in server.statuses.values() if url(name) in s["content"]]
    return status["media_attachments"]


def test_the_lead_image_goes_once_with_its_alt_text_and_without_its_location(blog, server):
    with_image(blog, "2026-11-20-steimer", jpeg(320, 200, gps=True))
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    [attached] = attachments(server, "2026-11-20-steimer")
    assert attached["description"] == "Page 1 of the letter, handwritten"
    assert attachments(server, "2026-11-21-karaganda") == attachments(server, "2026-11-22-memorial") == []
    assert server.uploads == [attached["id"]]
    with Image.open(io.BytesIO(server.media[attached["id"]]["data"])) as sent:
        assert sent.size == (320, 200) and GPS_IFD not in sent.getexif()  # the file, without where it was taken
    assert ledger(blog)["2026-11-20-steimer"].state == "posted"


def stopped_after_the_upload(blog: Repo, server: MastodonServer) -> str:
    """A run that uploads the lead image, then cannot post (a rate limit for an
    hour); the media id its pending record names."""
    with_image(blog, "2026-11-20-steimer", jpeg(320, 200, gps=False))
    server.fail("429", reset_in=3600)
    result = announce(blog, server, "--limit", "1")
    assert result.exit_code == 1 and "rate limit" in result.stderr
    assert server.statuses == {} and len(server.uploads) == 1
    pending = ledger(blog)["2026-11-20-steimer"]
    assert pending.state == "pending" and pending.media == server.uploads[0]
    return pending.media


def test_an_upload_whose_status_was_not_posted_is_attached_by_the_next_run(blog, server):
    media = stopped_after_the_upload(blog, server)
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    assert [a["id"] for a in attachments(server, "2026-11-20-steimer")] == [media]
    assert server.uploads == [media]  # not uploaded again
    assert ("GET", f"/api/v1/media/{media}") in [(m, p) for m, p, _ in server.requests]
    assert_exactly_once(server)


def test_an_upload_the_instance_dropped_is_made_again_once(blog, server):
    media = stopped_after_the_upload(blog, server)
    server.drop_media()  # a day later: Mastodon removed the upload no status took
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    [attached] = attachments(server, "2026-11-20-steimer")
    assert server.uploads == [media, attached["id"]] and attached["description"] == "Page 1 of the letter, handwritten"
    assert_exactly_once(server)
    again = announce(blog, server)
    assert again.exit_code == 0 and len(server.uploads) == 2


def test_an_upload_of_an_image_changed_since_is_not_the_one_attached(blog, server):
    media = stopped_after_the_upload(blog, server)
    assert ledger(blog)["2026-11-20-steimer"].image
    blog.write("media/2026-11-20-steimer.jpg", jpeg(330, 200, gps=False))  # the right page, after all
    blog.commit("The right page")
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    [attached] = attachments(server, "2026-11-20-steimer")
    assert attached["id"] != media and server.uploads == [media, attached["id"]]
    assert server.media[attached["id"]]["data"] == jpeg(330, 200, gps=False)


def test_a_lead_image_over_the_instances_limits_goes_as_a_smaller_jpeg(blog):
    server = MastodonServer(image_matrix_limit=250_000, image_size_limit=16777216).start()
    try:
        with_image(blog, "2026-11-20-steimer", jpeg(1000, 600, gps=True))  # 600,000 pixels
        result = announce(blog, server)
        assert result.exit_code == 0, result.stderr
        [attached] = attachments(server, "2026-11-20-steimer")
        assert attached["description"] == "Page 1 of the letter, handwritten"
        upload = server.media[attached["id"]]
        assert upload["mime"] == "image/jpeg"
        with Image.open(io.BytesIO(upload["data"])) as sent:
            assert sent.format == "JPEG" and sent.width * sent.height <= 250_000
            assert abs(sent.width / sent.height - 1000 / 600) < 0.01  # the same shape
            assert dict(sent.getexif()) == {}  # no EXIF at all in a copy
        assert (blog.root / "media/2026-11-20-steimer.jpg").read_bytes() == jpeg(1000, 600, gps=True)
    finally:
        server.stop()


def test_an_alt_text_over_the_instances_description_limit_is_cut_at_a_word(blog, server):
    alt = "A handwritten page of the letter, in Russian, " * 40  # 1,840 characters
    with_image(blog, "2026-11-20-steimer", jpeg(32, 24, gps=False), alt=alt.strip())
    result = announce(blog, server)
    assert result.exit_code == 0, result.stderr
    [attached] = attachments(server, "2026-11-20-steimer")
    described = attached["description"]
    assert len(described) <= 1500 and described.endswith("…") and alt.startswith(described[:-1])
    assert described[-2] != " " and alt[len(described) - 1] in " ,"  # cut between words


def test_a_post_whose_file_has_problems_is_not_announced_the_others_are(blog, server):
    text = blog.read("posts/2026-11-20-steimer.md")  # the oldest: held back, it takes no place of --limit
    blog.write("posts/2026-11-20-steimer.md", text.replace("---\n", "---\ncolour: red\n", 1))
    blog.commit("A field gulagpub does not know")
    result = announce(blog, server, "--limit", "2")
    assert result.exit_code == 1
    assert ("error: posts/2026-11-20-steimer.md: not announced: its file has 1 problem(s) (the first: "
            "posts/2026-11-20-steimer.md:2: unknown field 'colour'") in result.stderr
    assert "run `gulagpub check`, fix them" in result.stderr
    assert count(server, "2026-11-20-steimer") == 0
    assert count(server, "2026-11-21-karaganda") == count(server, "2026-11-22-memorial") == 1
    assert "2026-11-20-steimer" not in ledger(blog)  # nothing was sent: nothing recorded
    blog.write("posts/2026-11-20-steimer.md", text)
    blog.commit("Fixed")
    fixed = announce(blog, server)
    assert fixed.exit_code == 0, fixed.stderr
    assert_exactly_once(server)


def test_a_token_without_write_media_fails_that_post_saying_which_scope(blog):
    server = MastodonServer(scopes="read:accounts write:statuses").start()
    try:
        with_image(blog, "2026-11-20-steimer", jpeg(32, 24, gps=False))
        result = announce(blog, server)
        assert result.exit_code == 1
        assert "posts/2026-11-20-steimer.md: the lead image: uploading the lead image: Mastodon refused it " \
               "(HTTP 403" in result.stderr
        assert "lacks the scope write:media" in result.stderr and server.token not in result.stderr
        assert count(server, "2026-11-20-steimer") == 0 and count(server, "2026-11-21-karaganda") == 1
        assert ledger(blog)["2026-11-20-steimer"].state == "failed"
    finally:
        server.stop()


def test_dry_run_shows_the_lead_image_its_size_alt_text_and_that_it_will_be_shrunk(blog):
    """With credentials: against the instance's limits, read with what composing
    reads (no request of its own, nothing uploaded)."""
    server = MastodonServer(image_matrix_limit=250_000, image_size_limit=16777216).start()
    try:
        data = with_image(blog, "2026-11-20-steimer", jpeg(1000, 600, gps=True))  # 600,000 pixels
        result = announce(blog, server, "--dry-run")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        at = lines.index(next(line for line in lines if line.startswith("would-post") and "steimer" in line))
        image = [line for line in lines[at:] if line.startswith("  image:")][0]
        assert image == f"  image: media/2026-11-20-steimer.jpg (JPEG, 1000 x 600 pixels, {len(data):,} bytes)"
        assert lines[lines.index(image) + 1] == "  alt: Page 1 of the letter, handwritten"
        assert lines[lines.index(image) + 2] == (
            "  shrunk: over the instance's limits: 600,000 pixels, more than 250,000; a smaller JPEG copy is sent "
            "(the file is not changed)")
        assert sum(line.startswith("  image:") for line in lines) == 1  # the others have none
        assert server.uploads == [] and server.statuses == {}
        assert not any("/media" in p for _, p, _ in server.requests)
        # What a dry run reads anyway: the account, and the instance's configuration (once, for composing too).
        paths = [p for _, p, _ in server.requests]
        assert {p for p in paths if "/statuses" not in p} == {"/api/v1/accounts/verify_credentials",
                                                               "/api/v2/instance"}
        assert paths.count("/api/v2/instance") == 1
        as_json = json.loads(announce(blog, server, "--dry-run", "--json").stdout)
        [shown] = [o["image"] for o in as_json["outcomes"] if o["image"]]
        assert shown == {"path": "media/2026-11-20-steimer.jpg", "bytes": len(data), "type": "image/jpeg",
                         "width": 1000, "height": 600, "alt": "Page 1 of the letter, handwritten",
                         "shrunk": "over the instance's limits: 600,000 pixels, more than 250,000",
                         "limits": "the instance's limits", "problem": None}
        assert blog.git("status", "--porcelain") == ""
    finally:
        server.stop()


def test_without_credentials_the_dry_run_and_the_outbox_show_the_lead_image_offline(blog, tmp_path):
    """Judged by Mastodon's default limits (and Bluesky's card's, which have no
    alt text), said to be so: nothing asks a network."""
    data = with_image(blog, "2026-11-20-steimer", jpeg(4000, 2200, gps=False))  # 8,800,000 pixels
    result = announce(blog, None, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"  image: media/2026-11-20-steimer.jpg (JPEG, 4000 x 2200 pixels, {len(data):,} bytes)" in result.stdout
    assert "  alt: Page 1 of the letter, handwritten" in result.stdout
    assert ("  shrunk: over Mastodon's default limits (the instance's own are read when posting): 8,800,000 pixels, "
            "more than 8,294,400; a smaller JPEG copy is sent (the file is not changed)") in result.stdout
    bluesky = announce(blog, None, "--dry-run", "--network", "bluesky")
    assert bluesky.exit_code == 0, bluesky.stderr
    assert "  alt: (none: the network shows no alt text for this image)" in bluesky.stdout
    assert ("  shrunk: over the limits of Bluesky's link card: 8,800,000 pixels, more than 2,073,600"
            in bluesky.stdout)
    out = tmp_path / "site"
    written = announce(blog, None, "--out", str(out))
    assert written.exit_code == 0, written.stderr
    assert "  alt: Page 1 of the letter, handwritten" in written.stdout
    files = sorted((out / "outbox").glob("*.json"))
    image = json.loads(files[0].read_text(encoding="utf-8"))["image"]
    assert image["path"] == "media/2026-11-20-steimer.jpg" and image["bytes"] == len(data)
    assert image["alt"] == "Page 1 of the letter, handwritten" and image["shrunk"].startswith("over Mastodon's")
    assert json.loads(files[1].read_text(encoding="utf-8"))["image"] is None
    # An image within the limits is not said to be shrunk.
    with_image(blog, "2026-11-21-karaganda", jpeg(320, 200))
    small = announce(blog, None, "--dry-run").stdout
    block = small[small.index("karaganda"):small.index("memorial")]  # (its outcome's lines, oldest first)
    assert "  image: media/2026-11-21-karaganda.jpg (JPEG, 320 x 200 pixels" in block and "shrunk" not in block
