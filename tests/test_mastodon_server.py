"""The test server answers with the shape of a real Mastodon: its JSON has the
keys of the responses recorded from Mastodon 4.6.4 in ../shared (cassettes),
and it behaves as Mastodon where the bot depends on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from mastodon_server import MastodonServer

CASSETTES = "fixtures/mastodon-cassettes"


@pytest.fixture
def server():
    s = MastodonServer().start()
    yield s
    s.stop()


def keys_of(value: Any, where: str = "$") -> set[str]:
    """Every key path in a JSON value: 'a', 'a.b', 'a[].c' (first item of lists)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(f"{where}.{k}")
            out |= keys_of(v, f"{where}.{k}")
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        out |= keys_of(value[0], f"{where}[]")
    return out


def recorded(shared: Path, name: str, index: int = 0) -> tuple[int, dict[str, list[str]], Any]:
    data = yaml.safe_load((shared / CASSETTES / name).read_text(encoding="utf-8"))
    response = data["interactions"][index]["response"]
    return response["status"]["code"], response["headers"], json.loads(response["body"]["string"])


def call(server: MastodonServer, method: str, path: str, token: str | None = "ok", **kw: Any) -> requests.Response:
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {server.token if token == 'ok' else token}"
    return requests.request(method, server.base_url + path, headers=headers, timeout=10, **kw)


def same_keys(ours: Any, theirs: Any) -> None:
    a, b = keys_of(ours), keys_of(theirs)
    assert a == b, f"only ours: {sorted(a - b)}; only recorded: {sorted(b - a)}"


def test_status_account_instance_and_error_bodies_have_the_recorded_keys(server, shared):
    posted = call(server, "POST", "/api/v1/statuses", data={"status": "Toot!", "spoiler_text": "CW",
                                                             "visibility": "public"})
    code, _, real = recorded(shared, "test_status_post[Content warning-public].yaml")
    assert posted.status_code == code == 200
    same_keys(posted.json(), real)
    same_keys(posted.json()["account"], real["account"])

    deleted = call(server, "DELETE", f"/api/v1/statuses/{posted.json()['id']}")
    code, _, real = recorded(shared, "test_status_post[Content warning-public].yaml", 1)
    assert deleted.status_code == code
    same_keys(deleted.json(), real)  # 'text' instead of 'content', as Mastodon answers a DELETE

    for path, cassette in (("/api/v2/instance/", "test_instance.yaml"), ("/api/v1/instance/", "test_instance_v1.yaml")):
        ours = call(server, "GET", path, token=None)
        code, _, real = recorded(shared, cassette)
        assert ours.status_code == code
        same_keys(ours.json(), real)

    for (method, path, token, data), cassette in (
        (("POST", "/api/v1/statuses", "ok", {"status": ""}), "test_status_empty.yaml"),
        (("GET", "/api/v1/statuses/0", "ok", None), "test_status_missing.yaml"),
        (("GET", "/api/v1/statuses/0", None, None), "test_home_tl_anonymous_throws.yaml"),
    ):
        ours = call(server, method, path, token=token, data=data)
        code, headers, real = recorded(shared, cassette)
        assert ours.status_code == code
        same_keys(ours.json(), real)
        assert ("www-authenticate" in {k.lower() for k in headers}) == ("WWW-Authenticate" in ours.headers)


def test_rate_limit_headers_like_mastodon(server, shared):
    _, real, _ = recorded(shared, "test_status_post[None-public].yaml")
    ours = call(server, "POST", "/api/v1/statuses", data={"status": "hello"})
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert name.lower() in {k.lower() for k in real}
        assert name in ours.headers
    # An ISO 8601 time with microseconds, not an epoch number.
    assert ours.headers["X-RateLimit-Reset"].endswith("Z") and "." in ours.headers["X-RateLimit-Reset"]
    assert real["x-ratelimit-reset"][0].endswith("Z") and "." in real["x-ratelimit-reset"][0]


def test_wrong_token_is_401(server):
    assert call(server, "POST", "/api/v1/statuses", token="wrong", data={"status": "x"}).status_code == 401
    assert server.statuses == {}


def test_length_rule_graphemes_and_urls(server):
    server.max_characters = 30
    url = "https://example.org/" + "a" * 100
    ok = call(server, "POST", "/api/v1/statuses", data={"status": "👩‍👩‍👧‍👦" * 7 + url})  # 7 + 23
    assert ok.status_code == 200
    too_long = call(server, "POST", "/api/v1/statuses", data={"status": "x" * 8 + url})
    assert too_long.status_code == 422
    with_cw = call(server, "POST", "/api/v1/statuses", data={"status": "x" * 7 + url, "spoiler_text": "!"})
    assert with_cw.status_code == 422
    as_json = call(server, "POST", "/api/v1/statuses", json={"status": "JSON body"})
    assert as_json.status_code == 200 and "JSON body" in as_json.json()["content"]


def test_idempotency_key_returns_the_same_status_within_the_window(server):
    first = call(server, "POST", "/api/v1/statuses", data={"status": "once"}, headers={"Idempotency-Key": "k1"})
    again = call(server, "POST", "/api/v1/statuses", data={"status": "once"}, headers={"Idempotency-Key": "k1"})
    assert first.json()["id"] == again.json()["id"]
    assert len(server.statuses) == 1
    server.idempotency_ttl = 0
    later = call(server, "POST", "/api/v1/statuses", data={"status": "once"}, headers={"Idempotency-Key": "k1"})
    assert later.json()["id"] != first.json()["id"]
    assert len(server.statuses) == 2


def test_faults_on_demand(server):
    server.fail("500")
    assert call(server, "POST", "/api/v1/statuses", data={"status": "a"}).status_code == 500
    server.fail("429", reset_in=60)
    limited = call(server, "POST", "/api/v1/statuses", data={"status": "a"})
    assert limited.status_code == 429 and limited.headers["X-RateLimit-Remaining"] == "0"
    assert server.statuses == {}
    server.fail("drop-before")
    with pytest.raises(requests.ConnectionError):
        call(server, "POST", "/api/v1/statuses", data={"status": "a"})
    assert server.statuses == {}
    server.fail("drop-after")
    with pytest.raises(requests.ConnectionError):
        call(server, "POST", "/api/v1/statuses", data={"status": "stored, reply lost"})
    assert [s["content"] for s in server.statuses.values()] == ["<p>stored, reply lost</p>"]


def test_account_statuses_are_paged_newest_first_with_a_link_header(server):
    for n in range(5):
        call(server, "POST", "/api/v1/statuses", data={"status": f"s{n}"})
    me = call(server, "GET", "/api/v1/accounts/verify_credentials").json()
    page = call(server, "GET", f"/api/v1/accounts/{me['id']}/statuses", params={"limit": 2})
    assert [s["content"] for s in page.json()] == ["<p>s4</p>", "<p>s3</p>"]
    nxt = page.links["next"]["url"]
    page2 = requests.get(nxt, headers={"Authorization": f"Bearer {server.token}"}, timeout=10)
    assert [s["content"] for s in page2.json()] == ["<p>s2</p>", "<p>s1</p>"]
