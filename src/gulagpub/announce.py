"""Announcing published posts on Mastodon, exactly once. Edge module.

`announce()` is the use case: it picks the posts due, composes each status
(`compose`), sends it through a `Client` and keeps the ledger
(`announcements.jsonl`, see `ledger`) in Git. `MastodonClient` is the one
place that talks to an instance (Mastodon.py); it turns every failure into
`Rejected` (this post) or `Stopped` (this run), with the token scrubbed.

The exactly-once protocol, per post (see docs/mastodon.md for the crash
analysis): (a) append a `pending` record with the Idempotency-Key and fsync
it; (b) POST the status with that key; (c) append `posted` with the status
id and URL, fsync; the ledger is committed once, at the end of the run (the
next run commits whatever a killed run left). A `pending` record younger
than `idempotency_window` is retried with the same key (the instance answers
with the status it already stored); an older one is first looked for among
the account's recent statuses.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from . import gitstore
from .compose import Limits, Status, compose
from .config import Config, MastodonSettings
from .content import Content, load
from .errors import AnnounceError
from .ledger import LEDGER_FILE, Record, parse_ledger
from .model import Kind, Post, State
from .urls import entry_id, url_of

ENV_BASE_URL = "MASTODON_API_BASE_URL"
ENV_TOKEN = "MASTODON_ACCESS_TOKEN"
# Exist only for the tests that SIGKILL a run at a chosen step: the run
# creates the file named by _PAUSE_FILE when it reaches the step named by
# _PAUSE_AT, then waits there until it is killed.
ENV_PAUSE_AT = "GULAGPUB_TEST_PAUSE_AT"
ENV_PAUSE_FILE = "GULAGPUB_TEST_PAUSE_FILE"
CHECKPOINTS = ("before-pending", "before-post", "after-post", "after-ledger")

DONE_STATES = frozenset({"posted", "skipped", "deleted", "left"})


@dataclass(frozen=True)
class Credentials:
    """Where and as whom to post; only ever read from the environment."""

    api_base_url: str
    access_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials | None:
        base = environ.get(ENV_BASE_URL, "").strip()
        token = environ.get(ENV_TOKEN, "").strip()
        if not base and not token:
            return None
        if not base or not token:
            missing = ENV_BASE_URL if not base else ENV_TOKEN
            raise AnnounceError(
                f"{missing} is not set; set both {ENV_BASE_URL} and {ENV_TOKEN} to post, "
                "or neither to write the outbox"
            )
        if not base.startswith(("https://", "http://")) or len(base.split("://", 1)[1]) < 1:
            raise AnnounceError(f"{ENV_BASE_URL} must be the instance's address, like https://mastodon.social")
        return cls(base.rstrip("/"), token)


@dataclass(frozen=True)
class Posted:
    status_id: str
    url: str


class Rejected(AnnounceError):
    """The instance refused this status (4xx): the other posts go on."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Stopped(AnnounceError):
    """The instance cannot be used now (unreachable, 5xx, rate limit, token refused)."""


class Client(Protocol):
    """What `announce` needs from an instance."""

    def limits(self) -> Limits: ...
    def post(self, status: Status, key: str) -> Posted: ...
    def find(self, url: str, pages: int) -> Posted | None: ...
    def delete(self, status_id: str) -> None: ...


ClientFactory = Callable[[Credentials, MastodonSettings], Client]


class MastodonClient:
    """A `Client` over Mastodon.py with bounded retries and no secrets in errors."""

    def __init__(self, credentials: Credentials, settings: MastodonSettings, *,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from mastodon import Mastodon

        self._token = credentials.access_token
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self.api = Mastodon(
            api_base_url=credentials.api_base_url,
            access_token=credentials.access_token,
            request_timeout=settings.request_timeout,
            ratelimit_method="throw",
            version_check_mode="none",
            user_agent="gulagpub",
        )

    def _scrub(self, text: object) -> str:
        return str(text).replace(self._token, "[token]") if self._token else str(text)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn(*args)`, retrying network errors and 5xx with exponential
        backoff for at most `retry_for` seconds, and waiting for a rate limit
        reset at most `rate_limit_wait` seconds. Errors are re-raised as ours
        without chaining: Mastodon.py's may carry request data."""
        from mastodon.errors import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonRatelimitError,
            MastodonServerError,
        )

        deadline = self.clock() + self.settings.retry_for
        delay = 0.2
        while True:
            try:
                return fn(*args, **kwargs)
            except MastodonRatelimitError:
                reset = self.api.ratelimit_reset
                wait = max(0.0, reset - time.time()) if reset else None
                if wait is None or wait > self.settings.rate_limit_wait:
                    when = (datetime.fromtimestamp(reset, timezone.utc).isoformat(timespec="seconds")
                            if reset else "an unknown time")
                    raise Stopped(
                        f"{what}: the instance's rate limit is reached until {when} (more than "
                        f"rate_limit_wait = {self.settings.rate_limit_wait:g} s away); run again after that"
                    ) from None
                self.sleep(wait + 0.05)
                continue
            except (MastodonNetworkError, MastodonServerError) as exc:
                reason = (f"HTTP {exc.args[1]}" if isinstance(exc, MastodonServerError) and len(exc.args) > 1
                          else "network error")
                if self.clock() + delay > deadline:
                    raise Stopped(
                        f"{what}: the instance did not answer ({reason}; retried for "
                        f"{self.settings.retry_for:g} s, see retry_for in gulagpub.toml [mastodon]); "
                        "check the instance and run again"
                    ) from None
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
            except MastodonAPIError as exc:
                code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
                detail = self._scrub(exc.args[3]) if len(exc.args) > 3 and exc.args[3] else "no details"
                if code == 401:
                    raise Stopped(
                        f"{what}: the instance refused {ENV_TOKEN} (HTTP 401: {detail}); make a new "
                        "access token with the scopes read:accounts and write:statuses"
                    ) from None
                raise Rejected(f"{what}: the instance refused it (HTTP {code}: {detail})", code) from None

    def limits(self) -> Limits:
        from mastodon.errors import MastodonDeprecationWarning

        for fetch in (self.api.instance_v2, self.api.instance_v1):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MastodonDeprecationWarning)
                    info = self._call("reading the instance's limits", fetch)
                statuses = info["configuration"]["statuses"]
                return Limits(int(statuses["max_characters"]), int(statuses["characters_reserved_per_url"]))
            except (Rejected, KeyError, TypeError, ValueError):
                continue
        return Limits()

    def post(self, status: Status, key: str) -> Posted:
        result = self._call(
            "posting the status", self.api.status_post, status.text,
            spoiler_text=status.spoiler_text or None, language=status.language,
            visibility=status.visibility, idempotency_key=key,
        )
        return Posted(str(result["id"]), str(result["url"] or result["uri"]))

    def find(self, url: str, pages: int) -> Posted | None:
        me = self._call("reading the account", self.api.account_verify_credentials)
        page = self._call("reading the account's statuses", self.api.account_statuses, me["id"], limit=40)
        wanted = (url, html.escape(url))
        for _ in range(max(pages, 1)):
            if not page:
                return None
            for st in page:
                content = st.get("content") or st.get("text") or ""
                if any(w in content for w in wanted):
                    return Posted(str(st["id"]), str(st["url"] or st["uri"]))
            page = self._call("reading the account's statuses", self.api.fetch_next, page)
        return None

    def delete(self, status_id: str) -> None:
        try:
            self._call("deleting the status", self.api.status_delete, status_id)
        except Rejected as exc:
            if exc.code != 404:  # already gone is what we wanted
                raise


def mastodon_client(credentials: Credentials, settings: MastodonSettings) -> Client:
    return MastodonClient(credentials, settings)


@dataclass(frozen=True)
class Outcome:
    """What happened to one post in a run."""

    path: str
    post: str  # stable id
    # posted | found | failed | deleted | left | skipped | outbox, or in a dry run
    # would-post | would-delete | would-leave | would-check
    action: str
    url: str | None = None  # the status's URL, or the outbox file
    message: str = ""
    status: Status | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: int = 0  # posts due but over --limit: left for the next run
    stopped: str | None = None  # why the run stopped early
    commit: str | None = None
    mode: str = "post"  # post | dry-run | outbox

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    @property
    def ok(self) -> bool:
        """False when something due was left unannounced by a fault."""
        return not self.failed and self.stopped is None


def idempotency_key(post_id: str) -> str:
    """The Idempotency-Key for a post: the same on every run, for this post only."""
    return hashlib.sha256(("gulagpub announce\0" + post_id).encode("utf-8")).hexdigest()


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def announceable(post: Post) -> bool:
    return post.kind in (Kind.POST, Kind.TRANSLATION) and post.state == State.PUBLISHED


def due(posts: list[Post], ledger: dict[str, Record], config: Config) -> list[Post]:
    """Published posts not yet announced, oldest first; those published
    before `announce_since` never are."""
    since = config.mastodon.announce_since
    out = []
    for p in posts:
        if not announceable(p):
            continue
        if since is not None and (p.date is None or p.date < since):
            continue
        rec = ledger.get(entry_id(p, config))
        if rec is not None and rec.state in DONE_STATES:
            continue
        out.append(p)
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(out, key=lambda p: (p.date or far, p.path))


def withdrawn(posts: list[Post], ledger: dict[str, Record], config: Config) -> list[tuple[Post, Record]]:
    """Withdrawn posts whose status is up (and not yet left on purpose), or
    may be: a run was interrupted while announcing it."""
    out = []
    for p in posts:
        if p.kind == Kind.PAGE or p.state != State.WITHDRAWN:
            continue
        rec = ledger.get(entry_id(p, config))
        if rec is not None and (rec.state == "pending" or (rec.state == "posted" and rec.status_id)):
            out.append((p, rec))
    return out


class Ledger:
    """The ledger file, appended one fsynced line at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / LEDGER_FILE
        text = self.path.read_text(encoding="utf-8") if self.path.is_file() else ""
        self.records, self.problems = parse_ledger(text)

    def append(self, record: Record) -> None:
        new = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            line = record.to_json() + "\n"
            if size:
                # A run killed mid-write leaves a line without its newline:
                # never glue a record onto it.
                with open(self.path, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        line = "\n" + line
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            dfd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        self.records[record.post] = record


def _commit_ledger(root: Path, subject: str, trailers: list[tuple[str, str]]) -> str | None:
    """Commit the ledger if it changed (also what a killed run left behind)."""
    if not gitstore.is_repo(root) or not gitstore.dirty(root, [LEDGER_FILE]):
        return None
    return gitstore.commit(root, [LEDGER_FILE], subject, trailers=trailers)


@contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """One announcing run per repository at a time: two overlapping runs
    (two cron jobs) would both see a post as due."""
    where = Path(gitstore.git(root, "rev-parse", "--absolute-git-dir").strip()) if gitstore.is_repo(root) else root
    fd = os.open(where / "gulagpub-announce.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnnounceError(
                f"another `gulagpub announce` is running on {root}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock; the kernel does so too if we are killed


def _no_progress(message: str) -> None:
    pass


def _no_checkpoint(name: str) -> None:
    pass


def pause_from_env(environ: Mapping[str, str]) -> Callable[[str], None]:
    """The checkpoint the tests use to SIGKILL a run at a chosen step (see
    ENV_PAUSE_AT); a no-op unless both variables are set."""
    at = environ.get(ENV_PAUSE_AT)
    flag = environ.get(ENV_PAUSE_FILE)
    if not at or not flag:
        return _no_checkpoint

    def checkpoint(name: str) -> None:
        if name != at:
            return
        Path(flag).write_text(name, encoding="utf-8")
        while True:  # until the test kills this process
            time.sleep(0.05)

    return checkpoint


def _write_outbox(out: Path, items: list[tuple[Post, str, str, Status]]) -> list[Path]:
    folder = out / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    files = []
    for n, (post, pid, link, status) in enumerate(items, 1):
        path = folder / f"{n:03d}-{post.slug}.json"
        data = {
            "post": pid, "path": post.path, "link": link, "status": status.text,
            "spoiler_text": status.spoiler_text, "language": status.language,
            "visibility": status.visibility, "length": status.length,
            "idempotency_key": idempotency_key(pid),
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        files.append(path)
    return files


def announce(root: Path, now: datetime, *, out: Path, credentials: Credentials | None,
             client_factory: ClientFactory = mastodon_client, settings: MastodonSettings | None = None,
             content: Content | None = None, limit: int | None = None, dry_run: bool = False,
             progress: Callable[[str], None] = _no_progress,
             checkpoint: Callable[[str], None] = _no_checkpoint) -> Report:
    """Announce every published post not yet announced, oldest first, at most
    `limit` (default: the settings') per run. Without credentials, write
    what would be posted to OUT/outbox/ instead; with `dry_run`, only report.
    The ledger is committed at the end, whatever happened."""
    content = content or load(root)
    config = content.config
    if settings is not None:
        config = replace(config, mastodon=settings)
    settings = config.mastodon
    limit = settings.limit if limit is None else limit
    if limit < 0:
        raise AnnounceError("--limit must be 0 or more")
    ledger = Ledger(root)
    todo = due(content.posts, ledger.records, config)
    gone = withdrawn(content.posts, ledger.records, config)
    report = Report(waiting=max(0, len(todo) - limit),
                    mode="dry-run" if dry_run else ("post" if credentials else "outbox"))
    todo = todo[:limit]

    if credentials is None:
        items = []
        for post in todo:
            pid, link = entry_id(post, config), url_of(post, config)
            try:
                status = compose(post, link, settings)
            except AnnounceError as exc:
                report.outcomes.append(Outcome(post.path, pid, "failed", message=str(exc)))
                continue
            items.append((post, pid, link, status))
        if dry_run:
            report.outcomes += [Outcome(p.path, pid, "would-post", status=s) for p, pid, _, s in items]
        else:
            files = _write_outbox(out, items)
            report.outcomes += [Outcome(p.path, pid, "outbox", url=str(f), status=s)
                                for (p, pid, _, s), f in zip(items, files, strict=True)]
        return report

    with _exclusive(root):
        ledger = Ledger(root)  # read again under the lock
        for problem in ledger.problems:  # e.g. the torn last line of a killed run
            progress(f"warning: {problem}")
        todo = due(content.posts, ledger.records, config)[:limit]
        gone = withdrawn(content.posts, ledger.records, config)
        _send(root, config, ledger, todo, gone, client_factory(credentials, settings), now, dry_run,
              report, progress, checkpoint)
    return report


def _send(root: Path, config: Config, ledger: Ledger, todo: list[Post], gone: list[tuple[Post, Record]],
          client: Client, now: datetime, dry_run: bool, report: Report,
          progress: Callable[[str], None], checkpoint: Callable[[str], None]) -> None:
    try:
        limits = client.limits() if todo else Limits()
        for n, post in enumerate(todo, 1):
            progress(f"[{n}/{len(todo)}] {post.path}")
            outcome = _announce_one(post, config, ledger, client, limits, now, dry_run, checkpoint)
            report.outcomes.append(outcome)
            progress(f"[{n}/{len(todo)}] {outcome.action}: {outcome.url or outcome.message}")
        for post, rec in gone:
            report.outcomes.append(_withdraw_one(post, rec, config, ledger, client, now, dry_run))
    except Stopped as exc:
        report.stopped = str(exc)
    finally:
        if not dry_run:
            done = [o for o in report.outcomes if o.action in ("posted", "found", "deleted", "left")]
            report.commit = _commit_ledger(
                root, f"Announce on Mastodon: {len(done)} change(s) to the ledger",
                [("Gulagpub-Command", "announce"), ("Announced", str(sum(o.action in ("posted", "found") for o in done)))],
            )


def _announce_one(post: Post, config: Config, ledger: Ledger, client: Client, limits: Limits,
                  now: datetime, dry_run: bool, checkpoint: Callable[[str], None]) -> Outcome:
    pid, link = entry_id(post, config), url_of(post, config)
    settings = config.mastodon
    key = idempotency_key(pid)
    try:
        status = compose(post, link, settings, limits)
    except AnnounceError as exc:
        if not dry_run:
            ledger.append(Record(pid, post.path, "failed", _iso(now), key=key, note=str(exc)))
        return Outcome(post.path, pid, "failed", message=str(exc))
    if dry_run:
        return Outcome(post.path, pid, "would-post", status=status)
    rec = ledger.records.get(pid)
    sent_at = _parse_iso(rec.at) if rec is not None and rec.state == "pending" else None
    if sent_at is not None and (now - sent_at).total_seconds() >= settings.idempotency_window:
        # The instance may have forgotten the key: look before posting again.
        found = client.find(link, settings.search_pages)
        if found is not None:
            ledger.append(Record(pid, post.path, "posted", _iso(now), found.status_id, found.url, key,
                                 note="found on the account after an interrupted run"))
            return Outcome(post.path, pid, "found", url=found.url, status=status)
        sent_at = None
    if sent_at is None:
        checkpoint("before-pending")
        ledger.append(Record(pid, post.path, "pending", _iso(now), key=key))
    checkpoint("before-post")
    try:
        posted = client.post(status, key)
    except Rejected as exc:
        ledger.append(Record(pid, post.path, "failed", _iso(now), key=key, note=str(exc)))
        return Outcome(post.path, pid, "failed", message=f"{post.path}: {exc}")
    checkpoint("after-post")
    ledger.append(Record(pid, post.path, "posted", _iso(now), posted.status_id, posted.url, key))
    checkpoint("after-ledger")
    return Outcome(post.path, pid, "posted", url=posted.url, status=status)


def _withdraw_one(post: Post, rec: Record, config: Config, ledger: Ledger, client: Client,
                  now: datetime, dry_run: bool) -> Outcome:
    pid = entry_id(post, config)
    if rec.state == "pending":
        # Interrupted while announcing, withdrawn since: was it posted?
        if dry_run:
            return Outcome(post.path, pid, "would-check", message="interrupted announcement of a withdrawn post")
        found = client.find(url_of(post, config), config.mastodon.search_pages)
        if found is None:
            ledger.append(Record(pid, post.path, "skipped", _iso(now), key=rec.key,
                                 note="withdrawn before it was announced"))
            return Outcome(post.path, pid, "skipped", message="withdrawn before it was announced")
        rec = Record(pid, post.path, "posted", _iso(now), found.status_id, found.url, rec.key,
                     note="found on the account after an interrupted run")
        ledger.append(rec)
    if config.mastodon.on_withdraw == "delete":
        if dry_run:
            return Outcome(post.path, pid, "would-delete", url=rec.url)
        assert rec.status_id is not None
        try:
            client.delete(rec.status_id)
        except Rejected as exc:
            return Outcome(post.path, pid, "failed", url=rec.url, message=f"{post.path}: {exc}")
        ledger.append(Record(pid, post.path, "deleted", _iso(now), rec.status_id, rec.url, rec.key,
                             note="post withdrawn: status deleted"))
        return Outcome(post.path, pid, "deleted", url=rec.url)
    if dry_run:
        return Outcome(post.path, pid, "would-leave", url=rec.url)
    ledger.append(Record(pid, post.path, "left", _iso(now), rec.status_id, rec.url, rec.key,
                         note="post withdrawn: status left up (on_withdraw = leave)"))
    return Outcome(post.path, pid, "left", url=rec.url)


def mark_existing(root: Path, now: datetime, *, content: Content | None = None,
                  dry_run: bool = False) -> tuple[list[Record], str | None]:
    """Record every published post not yet in the ledger as `skipped` (never
    to be announced) and commit: the step before a first run on an archive."""
    content = content or load(root)
    config = content.config
    ledger = Ledger(root)
    records = []
    for post in sorted(content.posts, key=lambda p: p.path):
        pid = entry_id(post, config)
        if announceable(post) and pid not in ledger.records:
            records.append(Record(pid, post.path, "skipped", _iso(now), note="published before the bot (mark-existing)"))
    if dry_run:
        return records, None
    with _exclusive(root):
        for rec in records:
            ledger.append(rec)
        sha = _commit_ledger(root, f"Mark {len(records)} existing post(s) as not to be announced",
                             [("Gulagpub-Command", "announce --mark-existing")])
    return records, sha
