"""A small Bluesky-like XRPC server for the tests, on 127.0.0.1, state in memory.

It answers the XRPC procedures and queries the atproto SDK calls for the
announcer, with the shapes of their lexicons (lexicons/com/atproto/...,
lexicons/app/bsky/... in the atproto repository): com.atproto.server.
createSession (handle + app password -> JWTs; 401 otherwise), com.atproto.
repo.createRecord (with a record key that must be a TID; a key already used
is refused with a 500, as the reference PDS answers today; a post over 300
graphemes or 3000 bytes, or a link card whose thumbnail is over the
lexicon's 1,000,000 bytes, is a 400 InvalidRecord), getRecord (400
RecordNotFound), deleteRecord, uploadBlob, and app.bsky.feed.getAuthorFeed
(newest first, a cursor). Bearer auth on everything but createSession and
getRecord, rate-limit headers (ratelimit-reset in epoch seconds) on every
response, and the faults of tests/mastodon_server.py on demand (`fail`):
500, 429, drop-before, drop-after, hold-after, drip, bogus.

`indexed = False` is an AppView that has not indexed the account's posts
yet: the feed is empty while the records are there. `rkeys = "ignore"` makes it a server that assigns its own record key (as a
create without one): the key can no longer refuse a repeat, only reading
the feed finds it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex
from fakeserver import FaultHandler, FaultServer

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_S32 = "234567abcdefghijklmnopqrstuvwxyz"
COLLECTION = "app.bsky.feed.post"
THUMB_MAX = 1_000_000  # app.bsky.embed.external#external: thumb maxSize


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": "at+jwt", "alg": "ES256K"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(hashlib.sha256(json.dumps(claims).encode()).digest())}"


def cid_of(data: Any) -> str:
    """A CIDv1 (dag-cbor, sha-256) in its usual base32 form, of the JSON here."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).digest()
    return "bafyrei" + base64.b32encode(digest).decode("ascii").lower().rstrip("=")


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BlueskyServer(FaultServer):
    """Start with `start()`; `base_url`, `handle`, `password`, `did`, `records`
    (rkey -> {"uri", "cid", "value", "indexedAt"}, posting order) are what
    tests look at."""

    def __init__(self, handle: str = "gulagpub.test", password: str = "app-pass-7c1e-2b9d-44aa", *,
                 rkeys: str = "refuse") -> None:
        super().__init__()
        self.handle = handle
        self.password = password
        self.did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
        self.rkeys = rkeys  # refuse | ignore
        self.indexed = True  # False: the feed (the AppView's) shows nothing yet, records are there
        self.records: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # method, NSID
        self.tokens: set[str] = set()
        self._clock = int(time.time() * 1_000_000)

    def fail(self, kind: str, times: int = 1, method: str = "POST", nsid: str = "com.atproto.repo.createRecord",
             reset_in: float = 0.0) -> None:
        """Make the next `times` calls of `nsid` fail with `kind` (see fakeserver)."""
        self.add_fault(kind, times, method, "/xrpc/" + nsid, reset_in)

    def new_tid(self) -> str:
        with self.lock:
            self._clock = max(self._clock + 1, int(time.time() * 1_000_000))
            n = self._clock
        out = ""
        while n:
            out = _S32[n % 32] + out
            n //= 32
        return out.rjust(11, "2") + "22"

    def profile(self) -> dict[str, Any]:
        return {"did": self.did, "handle": self.handle, "displayName": "Anarchists in the Gulag",
                "avatar": f"{self.base_url}/avatar.jpg", "associated": {"chat": {"allowIncoming": "following"}},
                "viewer": {"muted": False, "blockedBy": False}, "labels": [],
                "createdAt": "2026-08-01T00:00:00.000Z"}

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("repo") not in (self.did, self.handle):
            return 400, {"error": "InvalidRequest", "message": "Invalid repo"}
        if body.get("collection") != COLLECTION:
            return 400, {"error": "InvalidRequest", "message": "Invalid collection"}
        record = body.get("record")
        if not isinstance(record, dict) or record.get("$type") != COLLECTION:
            return 400, {"error": "InvalidRecord", "message": "Invalid app.bsky.feed.post record"}
        text = record.get("text", "")
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode("utf-8")) > 3000:
            return 400, {"error": "InvalidRecord", "message": "Invalid app.bsky.feed.post record: "
                                                               "Record/text must not be longer than 300 graphemes"}
        thumb = ((record.get("embed") or {}).get("external") or {}).get("thumb")
        if isinstance(thumb, dict) and int(thumb.get("size") or 0) > THUMB_MAX:
            return 400, {"error": "InvalidRecord", "message": "Invalid app.bsky.feed.post record: "
                                                               f"Record/embed/external/thumb cannot be over {THUMB_MAX} bytes"}
        rkey = body.get("rkey")
        if rkey is not None and not TID.match(str(rkey)):
            return 400, {"error": "InvalidRequest", "message": "Invalid record key: must be a TID"}
        if rkey is None or self.rkeys == "ignore":
            rkey = self.new_tid()
        with self.lock:
            if rkey in self.records:
                # The reference PDS: the repository's tree refuses a second
                # value at the key, and the error reaches the client as a 500.
                return 500, {"error": "InternalServerError", "message": "Internal Server Error"}
            uri = f"at://{self.did}/{COLLECTION}/{rkey}"
            cid = cid_of(record)
            self.records[rkey] = {"uri": uri, "cid": cid, "value": record, "indexedAt": _now_iso()}
        return 200, {"uri": uri, "cid": cid, "commit": {"cid": cid_of([uri, cid]), "rev": self.new_tid()},
                     "validationStatus": "valid"}

    def post_view(self, rkey: str) -> dict[str, Any]:
        stored = self.records[rkey]
        record = stored["value"]
        view: dict[str, Any] = {
            "uri": stored["uri"], "cid": stored["cid"], "author": self.profile(), "record": record,
            "bookmarkCount": 0, "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
            "indexedAt": stored["indexedAt"], "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [{"src": self.did, "uri": stored["uri"], "cid": stored["cid"], "val": v["val"],
                        "cts": record.get("createdAt")} for v in (record.get("labels") or {}).get("values", [])],
        }
        external = (record.get("embed") or {}).get("external")
        if external:
            view["embed"] = {"$type": "app.bsky.embed.external#view", "external": {
                "uri": external["uri"], "title": external.get("title", ""),
                "description": external.get("description", ""),
                **({"thumb": f"{self.base_url}/img/{external['thumb']['ref']['$link']}"}
                   if external.get("thumb") else {})}}
        return view

    def rate_headers(self, method: str, path: str) -> dict[str, str]:
        reset = int(time.time()) + 300
        return {"ratelimit-limit": "3000", "ratelimit-remaining": "2999", "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300"}


class _Handler(FaultHandler):
    state: BlueskyServer
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        b = self.state
        url = urlsplit(self.path)
        method = self.command
        nsid = url.path.removeprefix("/xrpc/")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        b.requests.append((method, nsid))
        fault = b._take_fault(method, url.path)
        if fault is not None:
            if fault.kind == "500":
                return self._reply(500, {"error": "InternalServerError", "message": "Internal Server Error"})
            if fault.kind == "429":
                return self._reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                                   {"ratelimit-remaining": "0",
                                    "ratelimit-reset": str(int(time.time() + fault.reset_in + 0.999))})
            if fault.kind == "drop-before":
                return self._drop()
            if fault.kind == "bogus":
                return self._reply(200, {"uri": None, "cid": 12})
        if nsid == "com.atproto.server.createSession" and method == "POST":
            body = json.loads(raw or b"{}")
            if body.get("identifier") not in (b.handle, b.did) or body.get("password") != b.password:
                return self._reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
            now = int(time.time())
            access = _jwt({"scope": "com.atproto.appPass", "sub": b.did, "iat": now, "exp": now + 7200,
                           "aud": "did:web:127.0.0.1"})
            with b.lock:
                b.tokens.add(access)
            return self._reply(200, {"did": b.did, "handle": b.handle, "email": "bot@example.org",
                                     "emailConfirmed": True, "emailAuthFactor": False, "accessJwt": access,
                                     "refreshJwt": _jwt({"scope": "com.atproto.refresh", "sub": b.did,
                                                         "exp": now + 86400}), "active": True})
        if nsid == "com.atproto.repo.getRecord" and method == "GET":
            with b.lock:
                stored = b.records.get(query.get("rkey", ""))
            if query.get("repo") not in (b.did, b.handle) or query.get("collection") != COLLECTION or stored is None:
                return self._reply(400, {"error": "RecordNotFound",
                                         "message": f"Could not locate record: at://{query.get('repo')}/"
                                                    f"{query.get('collection')}/{query.get('rkey')}"})
            return self._reply(200, {"uri": stored["uri"], "cid": stored["cid"], "value": stored["value"]})
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in b.tokens:
            return self._reply(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
        if nsid == "com.atproto.repo.createRecord" and method == "POST":
            code, body = b.create(json.loads(raw or b"{}"))
            if fault is not None and code == 200:
                if fault.kind == "drip":
                    return self._drip(body)
                if fault.kind == "hold-after":
                    b.held.set()
                    b.release.wait(30)
                if fault.kind in ("drop-after", "hold-after"):
                    return self._drop()
            return self._reply(code, body)
        if nsid == "com.atproto.repo.deleteRecord" and method == "POST":
            body = json.loads(raw or b"{}")
            with b.lock:
                b.records.pop(str(body.get("rkey")), None)
            return self._reply(200, {"commit": {"cid": cid_of(body), "rev": b.new_tid()}})
        if nsid == "com.atproto.repo.uploadBlob" and method == "POST":
            cid = "bafkrei" + base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii").lower().rstrip("=")
            with b.lock:
                b.blobs[cid] = raw
            return self._reply(200, {"blob": {"$type": "blob", "ref": {"$link": cid},
                                              "mimeType": self.headers.get("Content-Type") or "*/*",
                                              "size": len(raw)}})
        if nsid == "app.bsky.feed.getAuthorFeed" and method == "GET":
            if query.get("actor") not in (b.did, b.handle):
                return self._reply(400, {"error": "InvalidRequest", "message": "Profile not found"})
            limit = max(1, min(int(query.get("limit", "50")), 100))
            with b.lock:
                newest_first = sorted(b.records, key=lambda k: b.records[k]["indexedAt"] + k, reverse=True)
            if not b.indexed:
                newest_first = []
            start = int(query["cursor"]) if query.get("cursor", "").isdigit() else 0
            page = newest_first[start:start + limit]
            body = {"feed": [{"post": b.post_view(k)} for k in page]}
            if start + limit < len(newest_first):
                body["cursor"] = str(start + limit)
            return self._reply(200, body)
        return self._reply(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    do_GET = do_POST = _handle  # type: ignore[assignment]


BlueskyServer.handler = _Handler
