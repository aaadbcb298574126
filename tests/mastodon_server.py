"""A small Mastodon-like HTTP server for the tests, on 127.0.0.1, state in memory.

It behaves as Mastodon 4.x does where the bot depends on it: bearer-token
auth (401), POST /api/v1/statuses (form or JSON) with Mastodon's length rule
(grapheme clusters of content warning + text, every URL as 23, mentions as
@user) and 422, Idempotency-Key remembered for `idempotency_ttl` seconds,
GET/DELETE /api/v1/statuses/:id, /api/v1/instance and /api/v2/instance,
/api/v1/accounts/verify_credentials, /api/v1/accounts/:id/statuses with
max_id/limit paging and a Link header, rate-limit headers on every response
(ISO 8601 reset), POST /api/v2/media (and v1: an image and its
description, refused over `image_size_limit` bytes or `image_matrix_limit`
pixels, or with a description over 1500 characters, as Mastodon does), GET /api/v1/media/:id (only an upload of the
account not yet in a status, as Mastodon's), statuses with media_ids (422
for an id unknown or already in a status, as Mastodon 4.3 answers),
`drop_media()` (what a day does to uploads no status took), 403 for media
with a token whose `scopes` lack write:media, and faults on demand (`fail`): 500, 429, a connection dropped before
storing, after storing (the reply lost), held after storing until the test
has killed the client, a reply dripped one byte at a time after storing
('drip'), or a 200 that is not a status ('bogus', nothing stored).

Servers differ in what they do with an Idempotency-Key: `idempotency` is
"keep" (Mastodon: for `idempotency_ttl` seconds; `forget_keys()` is an hour
passing) or "ignore" (servers that never supported it).

Its JSON has the keys of the real responses recorded in
../shared/fixtures/mastodon-cassettes/ (test_mastodon_server.py compares them).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import regex
from fakeserver import FaultHandler, FaultServer

# Mastodon (twitter-text): a URL is not preceded by a letter, digit, @, $ or
# #, has a dotted host, and trailing punctuation is not part of it.
_URL = regex.compile(
    r"(?<![A-Za-z0-9@$#＠＃])https?://[\p{L}\p{M}\p{Nd}_-]+(?:\.[\p{L}\p{M}\p{Nd}_-]+)*\.[A-Za-z]{2,}"
    r"(?::\d+)?(?:[/?#]\S*?)?(?=[.,;:!?'\")\]]*(?:\s|$))"
)
# Mastodon's Account::MENTION_RE ([[:word:]] is letters, marks, digits, connectors).
_W = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_MENTION = regex.compile(
    rf"(?<=^|[^/{_W}])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[{_W}.-]+[{_W}]+)?", regex.IGNORECASE
)


def mastodon_length(text: str, spoiler_text: str, url_length: int) -> int:
    """Mastodon's StatusLengthValidator: graphemes of CW + text, URLs as `url_length`."""
    countable = _URL.sub("x" * url_length, text)
    countable = _MENTION.sub(lambda m: "@" + m.group(1), countable)
    return len(regex.findall(r"\X", spoiler_text + countable))


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}Z"


def _iso_ms(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class MastodonServer(FaultServer):
    """Start with `start()`; `base_url`, `token`, `statuses` (id -> status
    JSON, posting order) are what tests look at."""

    ACCOUNT_ID = "117020565966271181"

    def __init__(self, token: str = "test-token-5f0c2a9e", *, max_characters: int = 500,
                 url_length: int = 23, idempotency_ttl: float = 3600.0, v2: bool = True,
                 idempotency: str = "keep", image_size_limit: int = 16777216,
                 image_matrix_limit: int = 33177600, scopes: str = "read write") -> None:
        super().__init__()
        self.token = token
        self.scopes = scopes.split()  # the token's: media needs write or write:media
        self.idempotency = idempotency  # keep | ignore
        self.media: dict[str, dict[str, Any]] = {}  # id -> attachment JSON (bytes under "data")
        self.uploads: list[str] = []  # the id of every upload, dropped or not, in order
        self.image_size_limit = image_size_limit
        self.image_matrix_limit = image_matrix_limit
        self.max_characters = max_characters
        self.url_length = url_length
        self.idempotency_ttl = idempotency_ttl
        self.v2 = v2
        self.statuses: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, tuple[str, float]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers (no Authorization)
        self.reject: Callable[[str], bool] = lambda text: False  # 422 (in Japanese) for matching texts
        self._next_id = 117020586000687987
        self._remaining = 300

    def fail(self, kind: str, times: int = 1, method: str = "POST", path: str = "/api/v1/statuses",
             reset_in: float = 0.0) -> None:
        """Make the next `times` matching requests fail with `kind` (see fakeserver)."""
        self.add_fault(kind, times, method, path, reset_in)

    def drop_media(self) -> None:
        """What a day does to uploads that no status took: Mastodon removes them."""
        with self.lock:
            for mid in [m for m, a in self.media.items() if a.get("status") is None]:
                del self.media[mid]

    def attachment(self, mid: str) -> dict[str, Any]:
        """An upload as Mastodon shows it (no bytes, no status)."""
        return {k: v for k, v in self.media[mid].items() if k not in ("data", "mime", "status")}

    def forget_keys(self) -> None:
        """What an hour does to Mastodon's memory of Idempotency-Keys."""
        with self.lock:
            self.keys.clear()

    # -- JSON in the shape of Mastodon's ------------------------------------------

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[1]

    def account(self) -> dict[str, Any]:
        b = self.base_url
        return {
            "id": self.ACCOUNT_ID, "username": "gulagbot", "acct": "gulagbot",
            "display_name": "Anarchists in the Gulag", "locked": False, "bot": True,
            "discoverable": None, "indexable": True, "group": False,
            "created_at": "2026-08-01T00:00:00.000Z", "note": "<p>New posts from the blog</p>",
            "url": f"{b}/@gulagbot", "uri": f"{b}/ap/users/{self.ACCOUNT_ID}",
            "avatar": f"{b}/avatars/original/missing.png", "avatar_static": f"{b}/avatars/original/missing.png",
            "avatar_description": "", "header": f"{b}/headers/original/missing.png",
            "header_static": f"{b}/headers/original/missing.png", "header_description": "",
            "followers_count": 0, "following_count": 0, "statuses_count": len(self.statuses),
            "last_status_at": None, "hide_collections": False, "show_media": True,
            "show_media_replies": True, "show_featured": True, "noindex": False,
            "feature_approval": {"automatic": [], "manual": [], "current_user": "denied"},
            "emojis": [], "roles": [], "fields": [{"name": "blog", "value": "gulaganarchists", "verified_at": None}],
        }

    def _status(self, sid: str, text: str, spoiler: str, visibility: str, language: str | None,
                created: datetime) -> dict[str, Any]:
        b = self.base_url
        html = "".join(f"<p>{_linkify(p)}</p>" for p in text.split("\n\n"))
        return {
            "id": sid, "created_at": _iso_ms(created), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": bool(spoiler), "spoiler_text": spoiler, "visibility": visibility,
            "language": language, "uri": f"{b}/ap/users/{self.ACCOUNT_ID}/statuses/{sid}",
            "url": f"{b}/@gulagbot/{sid}", "replies_count": 0, "reblogs_count": 0,
            "favourites_count": 0, "quotes_count": 0, "edited_at": None, "favourited": False,
            "reblogged": False, "muted": False, "bookmarked": False, "pinned": False,
            "content": html, "filtered": [], "reblog": None,
            "application": {"name": "gulagpub", "website": None}, "account": self.account(),
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "tagged_collections": [],
            "quote": None, "card": None, "poll": None,
            "quote_approval": {"automatic": ["public"], "manual": [], "current_user": "automatic"},
            "text_source": text,  # not sent: the DELETE response's "text"
        }

    def public(self, status: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in status.items() if k != "text_source"}

    def instance_v1(self) -> dict[str, Any]:
        return {
            "uri": self.host, "title": "Test Mastodon", "short_description": "", "description": "",
            "email": "", "version": "4.6.4", "urls": {"streaming_api": "ws://127.0.0.1:4000"},
            "stats": {"user_count": 1, "status_count": len(self.statuses), "domain_count": 1},
            "thumbnail": f"{self.base_url}/preview.png", "languages": ["en"], "registrations": False,
            "approval_required": False, "invites_enabled": False,
            "configuration": {
                "accounts": {"max_featured_tags": 10},
                "statuses": self._statuses_config(),
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png"], "image_size_limit": self.image_size_limit,
                    "image_matrix_limit": self.image_matrix_limit, "video_size_limit": 103809024,
                    "video_frame_rate_limit": 120, "video_matrix_limit": 8294400,
                },
                "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                          "max_expiration": 2629746},
            },
            "contact_account": None, "rules": [],
        }

    def _statuses_config(self) -> dict[str, int]:
        return {"max_characters": self.max_characters, "max_media_attachments": 4,
                "characters_reserved_per_url": self.url_length}

    def instance_v2(self) -> dict[str, Any]:
        b = self.base_url
        return {
            "domain": self.host, "title": "Test Mastodon", "version": "4.6.4",
            "source_url": "https://github.com/mastodon/mastodon", "description": "",
            "usage": {"users": {"active_month": 1}},
            "thumbnail": {"url": f"{b}/preview.png", "description": "A test instance"},
            "icon": [{"src": f"{b}/icon-36.png", "size": "36x36"}], "languages": ["en"],
            "configuration": {
                "urls": {"streaming": "ws://127.0.0.1:4000", "status": None, "about": f"{b}/about",
                         "privacy_policy": f"{b}/privacy-policy", "terms_of_service": None},
                "vapid": {"public_key": "test"},
                "accounts": {"max_display_name_length": 40, "max_note_length": 500,
                             "max_avatar_description_length": 150, "max_header_description_length": 150,
                             "max_featured_tags": 10, "max_pinned_statuses": 5, "max_profile_fields": 4,
                             "profile_field_name_limit": 255, "profile_field_value_limit": 255},
                "statuses": self._statuses_config(),
                "media_attachments": {"description_limit": 1500, "image_matrix_limit": self.image_matrix_limit,
                                      "image_size_limit": self.image_size_limit,
                                      "supported_mime_types": ["image/jpeg", "image/png", "image/gif",
                                                               "image/webp", "image/heic", "image/avif"],
                                      "video_frame_rate_limit": 120, "video_matrix_limit": 8294400,
                                      "video_size_limit": 103809024},
                "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                          "max_expiration": 2629746},
                "translation": {"enabled": False},
                "timelines_access": {
                    "live_feeds": {"local": "public", "remote": "public"},
                    "hashtag_feeds": {"local": "public", "remote": "public"},
                    "trending_link_feeds": {"local": "public", "remote": "public"},
                },
                "limited_federation": False,
            },
            "registrations": {"enabled": False, "approval_required": False, "reason_required": False,
                              "message": None, "min_age": None, "url": None},
            "api_versions": {"mastodon": 11}, "wrapstodon": None,
            "contact": {"email": "", "account": None}, "rules": [],
        }

    # -- behaviour -------------------------------------------------------------

    def create(self, form: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        """Store a status, or return the one stored under `key`; (code, JSON)."""
        now = time.time()
        if self.idempotency == "ignore":
            key = None
        with self.lock:
            if key and key in self.keys:
                sid, at = self.keys[key]
                if now - at < self.idempotency_ttl and sid in self.statuses:
                    return 200, self.statuses[sid]
            text = form.get("status", "")
            spoiler = form.get("spoiler_text", "")
            if not text.strip():
                return 422, {"error": "バリデーションに失敗しました: Textを入力してください"}
            if mastodon_length(text, spoiler, self.url_length) > self.max_characters:
                return 422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}
            if self.reject(text):
                return 422, {"error": "バリデーションに失敗しました: 拒否されました"}
            self._next_id += 1 << 16
            sid = str(self._next_id)
            status = self._status(sid, text, spoiler, form.get("visibility", "public"),
                                  form.get("language"), datetime.now(timezone.utc))
            media_ids = form.get("media_ids[]") or []
            unknown = [m for m in media_ids if m not in self.media or self.media[m].get("status") is not None]
            if unknown:
                return 422, {"error": f"Media {', '.join(unknown)} not found or already attached to another post"}
            status["media_attachments"] = [self.attachment(m) for m in media_ids]
            for m in media_ids:
                self.media[m]["status"] = sid
            self.statuses[sid] = status
            if key:
                self.keys[key] = (sid, now)
            return 200, status

    def rate_headers(self, method: str, path: str) -> dict[str, str]:
        now = datetime.now(timezone.utc)
        with self.lock:
            self._remaining = max(self._remaining - 1, 0)
            remaining = self._remaining
        if method == "POST" and path.startswith("/api/v1/statuses"):
            limit, boundary = 300, now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=3 - now.hour % 3)
        elif method == "DELETE":
            limit, boundary = 30, now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30)
        else:
            limit, boundary = 300, now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": _iso(boundary)}


def _multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """The fields of a multipart/form-data body; a file as {"data", "type", "name"}."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            form[name] = {"data": data, "type": part.get_content_type(), "name": part.get_filename()}
        else:
            form[name] = data.decode("utf-8")
    return form


def _linkify(text: str) -> str:
    import html

    out = html.escape(text).replace("\n", "<br />")
    return _URL.sub(lambda m: f'<a href="{m.group(0)}" rel="nofollow noopener" target="_blank">{m.group(0)}</a>', out)


class _Handler(FaultHandler):
    state: MastodonServer

    def _form(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type") or ""
        if "multipart/form-data" in kind:
            return _multipart(body, kind)
        raw = body.decode("utf-8")
        if "json" in kind:
            data = json.loads(raw or "{}")
            form: dict[str, Any] = {k: "" if v is None else str(v) for k, v in data.items() if k != "media_ids"}
            if isinstance(data.get("media_ids"), list):
                form["media_ids[]"] = [str(m) for m in data["media_ids"]]
            return form
        fields = parse_qs(raw, keep_blank_values=True)
        form = {k: v[-1] for k, v in fields.items()}
        if "media_ids[]" in fields:
            form["media_ids[]"] = fields["media_ids[]"]
        return form

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.state.token}"

    def _handle(self) -> None:
        m = self.state
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        method = self.command
        m.requests.append((method, path, {k: v for k, v in self.headers.items() if k.lower() != "authorization"}))
        form = self._form() if method in ("POST", "PUT") else {}
        fault = m._take_fault(method, path)
        if fault is not None:
            if fault.kind == "500":
                return self._reply(500, {"error": "We're sorry, but something went wrong on our end."})
            if fault.kind == "429":
                reset = datetime.now(timezone.utc) + timedelta(seconds=fault.reset_in)
                return self._reply(429, {"error": "Too many requests"},
                                   {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": _iso(reset)})
            if fault.kind == "drop-before":
                return self._drop()
        if path in ("/api/v1/instance", "/api/v2/instance"):
            if path.endswith("v2/instance") and not m.v2:
                return self._reply(404, {"error": "Not Found"})
            return self._reply(200, m.instance_v2() if path.endswith("v2/instance") else m.instance_v1())
        if not self._authorized():
            return self._reply(401, {"error": "The access token is invalid"}, {
                "WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                                    'error_description="The access token is invalid"'})
        if path.startswith(("/api/v1/media", "/api/v2/media")) and not {"write", "write:media"} & set(m.scopes):
            return self._reply(403, {"error": "This action is outside the authorized scopes"})
        if path in ("/api/v1/media", "/api/v2/media") and method == "POST":
            return self._upload(form.get("file") or {}, form.get("description"))
        found = re.fullmatch(r"/api/v1/media/(\d+)", path)
        if found and method == "GET":
            with m.lock:
                held = m.media.get(found.group(1))
                shown = m.attachment(found.group(1)) if held is not None and held.get("status") is None else None
            if shown is None:
                return self._reply(404, {"error": "Record not found"})
            return self._reply(200, shown)
        if path == "/api/v1/statuses" and method == "POST":
            if fault is not None and fault.kind == "bogus":
                return self._reply(200, {"id": None, "url": 12})
            code, body = m.create(form, self.headers.get("Idempotency-Key"))
            if fault is not None and fault.kind == "drip" and code == 200:
                return self._drip(m.public(body))
            if fault is not None and fault.kind in ("drop-after", "hold-after") and code == 200:
                if fault.kind == "hold-after":
                    m.held.set()
                    m.release.wait(30)
                return self._drop()
            return self._reply(code, m.public(body) if code == 200 else body)
        if path == "/api/v1/accounts/verify_credentials" and method == "GET":
            return self._reply(200, {**m.account(), "source": {
                "privacy": "public", "sensitive": False, "language": "en", "note": "", "fields": [],
                "follow_requests_count": 0}, "role": {"id": "-99", "name": "", "permissions": "0",
                                                      "color": "", "highlighted": False}})
        found = re.fullmatch(r"/api/v1/accounts/(\d+)/statuses", path)
        if found and method == "GET":
            return self._account_statuses(found.group(1), parse_qs(url.query))
        found = re.fullmatch(r"/api/v1/statuses/(\d+)", path)
        if found and method in ("GET", "DELETE"):
            sid = found.group(1)
            with m.lock:
                status = m.statuses.get(sid)
                if status is not None and method == "DELETE":
                    del m.statuses[sid]
            if status is None:
                return self._reply(404, {"error": "Not Found"})
            if method == "DELETE":
                body = {k: v for k, v in status.items() if k not in ("content", "text_source")}
                body = {**{k: body[k] for k in list(body)[:list(status).index("content")]},
                        "text": status["text_source"],
                        **{k: body[k] for k in list(body)[list(status).index("content"):]}}
                return self._reply(200, body)
            return self._reply(200, m.public(status))
        return self._reply(404, {"error": "Not Found"})

    def _upload(self, file: dict[str, Any], description: str | None) -> None:
        from io import BytesIO

        from PIL import Image

        m = self.state
        data = file.get("data", b"")
        if len(description or "") > 1500:
            return self._reply(422, {"error": "Validation failed: Description is too long (maximum is 1500 characters)"})
        if len(data) > m.image_size_limit:
            return self._reply(422, {"error": f"Validation failed: File file size must be less than "
                                              f"{m.image_size_limit // 1048576} MB"})
        try:
            with Image.open(BytesIO(data)) as im:
                width, height = im.size
        except OSError:
            return self._reply(422, {"error": "Validation failed: File has contents that are not what they are "
                                              "reported to be"})
        if width * height > m.image_matrix_limit:
            return self._reply(422, {"error": f"{width}x{height} images are not supported"})
        with m.lock:
            mid = str(len(m.uploads) + 117020600000000001)
            m.uploads.append(mid)
            m.media[mid] = {"id": mid, "type": "image", "url": f"{m.base_url}/media/{mid}.png",
                            "preview_url": f"{m.base_url}/media/{mid}-small.png", "remote_url": None,
                            "preview_remote_url": None, "text_url": None,
                            "meta": {"original": {"width": width, "height": height}},
                            "description": description, "blurhash": None,
                            "data": data, "mime": file.get("type")}
        return self._reply(200, m.attachment(mid))

    def _account_statuses(self, account_id: str, query: dict[str, list[str]]) -> None:
        m = self.state
        if account_id != m.ACCOUNT_ID:
            return self._reply(404, {"error": "Record not found"})
        limit = min(int(query.get("limit", ["20"])[0]), 40)
        max_id = int(query["max_id"][0]) if "max_id" in query else None
        with m.lock:
            newest_first = sorted(m.statuses.values(), key=lambda s: int(s["id"]), reverse=True)
        if max_id is not None:
            newest_first = [s for s in newest_first if int(s["id"]) < max_id]
        page = newest_first[:limit]
        headers = {}
        if page:
            base = f"{m.base_url}/api/v1/accounts/{account_id}/statuses"
            links = [f'<{base}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"']
            if len(newest_first) > limit:
                links.insert(0, f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next"')
            headers["Link"] = ", ".join(links)
        return self._reply(200, [m.public(s) for s in page], headers)

    do_GET = do_POST = do_DELETE = do_PUT = _handle  # type: ignore[assignment]


MastodonServer.handler = _Handler
