"""Announcing published posts on social networks, exactly once. Edge.

`announce()` is the use case: for each network with credentials (Mastodon,
Bluesky: the adapters in `mastodon` and `bluesky`), it picks the posts due,
reads what the account already shows, composes each announcement
(`compose`), posts it, and keeps the ledger (`announcements.jsonl`, see
`ledger`) in Git.

The exactly-once protocol, per network (docs/announcing.md has the crash
analysis): when something is due, (0) read the account's own recent posts,
back to the oldest post due (at most `search_pages` pages): a post found
there is recorded as announced, whatever the ledger says — the ledger is a
cache of what the network knows, and a fresh clone of the last pushed commit
may have lost the last run's records; then, per post not found, (a) append
a `pending` record (naming the lead image uploaded for it, on Mastodon: a
later try attaches that upload instead of making another) and fsync it;
(b) post it with its key (Mastodon's Idempotency-Key; on Bluesky the record
key itself, so a repeated create is refused), looking at the account again
before any retry; (c) append
`posted` with the id and URL, fsync. The ledger is committed once, at the
end of the run (the next run commits whatever a killed run left).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Union

from . import gitstore, media
from .bluesky import IMAGE_LIMITS as BLUESKY_IMAGE_LIMITS
from .bluesky import BlueskyCredentials, record_key
from .compose import BlueskyPost, Status, compose, compose_bluesky
from .config import Config, NetworkSettings
from .content import Content, load
from .errors import AnnounceError, ContentError, Problem
from .ledger import BLUESKY, LEDGER_FILE, MASTODON, NETWORKS, Record, parse_ledger
from .mastodon import OFFLINE_IMAGE_LIMITS as MASTODON_IMAGE_LIMITS
from .mastodon import MastodonCredentials, idempotency_key
from .model import Kind, Post, State
from .network import Attachment, ImageLimits, ImagePlan, Network, Posted, Rejected, Scan, Stopped, Target, plan_image
from .urls import entry_id, url_of

Credentials = Union[MastodonCredentials, BlueskyCredentials]
Draft = Union[Status, BlueskyPost]

# Exist only for the tests that SIGKILL a run at a chosen step: the run
# creates the file named by _PAUSE_FILE when it reaches the step named by
# _PAUSE_AT ("STEP" or "NETWORK:STEP"), then waits there until it is killed.
ENV_PAUSE_AT = "GULAGPUB_TEST_PAUSE_AT"
ENV_PAUSE_FILE = "GULAGPUB_TEST_PAUSE_FILE"
CHECKPOINTS = ("before-found", "before-pending", "before-post", "after-post", "after-ledger")

DONE_STATES = frozenset({"posted", "skipped", "deleted", "left"})
# A post's announcement is never older than the post (the scan stops there);
# the margin covers clocks that disagree.
CLOCK_MARGIN = timedelta(days=1)


def credentials_from_env(environ: Mapping[str, str]) -> list[Credentials]:
    """The networks whose credentials are in the environment (AnnounceError
    when one is half set)."""
    found: list[Credentials | None] = [MastodonCredentials.from_env(environ), BlueskyCredentials.from_env(environ)]
    return [c for c in found if c is not None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one post on one network in a run."""

    network: str
    path: str
    post: str  # stable id
    # posted | found | failed | deleted | left | skipped | outbox, or in a dry run
    # would-post | would-record (found on the account) | would-delete | would-leave | would-check
    action: str
    url: str | None = None  # the status's URL, or the outbox file
    message: str = ""
    draft: Draft | None = None
    image: ImagePlan | None = None  # the lead image it would carry (a dry run, the outbox)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: int = 0  # posts due but over --limit: left for the next run
    stopped: list[str] = field(default_factory=list)  # why a network's run stopped early
    scans: dict[str, str] = field(default_factory=dict)  # network -> what reading the account found
    commit: str | None = None
    mode: str = "post"  # post | dry-run | outbox

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    @property
    def ok(self) -> bool:
        """False when something due was left unannounced by a fault."""
        return not self.failed and not self.stopped


def lead_image_in(root: Path) -> Callable[[Post], Attachment | None]:
    """A post's lead image (its `image:`) as the file in the working tree at `root`."""
    def lead(post: Post) -> Attachment | None:
        path = media.lead_image(post)
        if post.image is None or path is None:
            return None
        return Attachment(root / path, post.image)

    return lead


# What each network takes as a lead image, known without asking it (a dry run or the outbox without credentials).
OFFLINE_IMAGE_LIMITS: Mapping[str, ImageLimits] = {MASTODON: MASTODON_IMAGE_LIMITS, BLUESKY: BLUESKY_IMAGE_LIMITS}


def image_plan(root: Path, post: Post, lead_image: Callable[[Post], Attachment | None],
               limits: ImageLimits) -> ImagePlan | None:
    """The lead image `post`'s announcement would carry under `limits`, as
    the file's header tells (nothing is read over the network)."""
    image = lead_image(post)
    if image is None:
        return None
    try:
        shown = image.path.relative_to(root).as_posix()
    except ValueError:
        shown = str(image.path)
    return plan_image(image, shown, limits)


def held_back(posts: list[Post], problems: Iterable[Problem]) -> dict[str, str]:
    """Path -> why it is not announced, for each of `posts` whose file has
    problems (those `gulagpub check` reports): an announcement cannot be
    taken back as a page can be fixed."""
    by_path: dict[str, list[Problem]] = {}
    for p in problems:
        by_path.setdefault(p.path, []).append(p)
    return {post.path: (f"{post.path}: not announced: its file has {len(by_path[post.path])} problem(s) "
                        f"(the first: {by_path[post.path][0]}); run `gulagpub check`, fix them and run "
                        "`gulagpub announce` again")
            for post in posts if post.path in by_path}


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def key_for(network: str, post: Post, post_id: str) -> str:
    return record_key(post_id, post.date) if network == BLUESKY else idempotency_key(post_id)


def settings_for(config: Config, network: str) -> NetworkSettings:
    return config.bluesky if network == BLUESKY else config.mastodon


def compose_for(network: str, post: Post, link: str, config: Config) -> Draft:
    """The announcement as composed without asking the network (default limits)."""
    if network == BLUESKY:
        return compose_bluesky(post, link, config.bluesky)
    return compose(post, link, config.mastodon)


def announceable(post: Post, posts_by_path: Mapping[str, Post]) -> bool:
    """A published post, or a published language version of a post that is
    itself published (a version of a withdrawn post is not announced)."""
    if post.kind not in (Kind.POST, Kind.TRANSLATION) or post.state != State.PUBLISHED:
        return False
    original = posts_by_path.get(post.original) if post.original else None
    return original is None or original.state == State.PUBLISHED


def _recent_enough(post: Post, settings: NetworkSettings) -> bool:
    since = settings.announce_since
    return since is None or (post.date is not None and post.date >= since)


def due(posts: list[Post], records: Mapping[str, Record], config: Config, settings: NetworkSettings) -> list[Post]:
    """Published posts not yet announced on a network, oldest first; those
    published before its `announce_since` never are."""
    by_path = {p.path: p for p in posts}
    out = []
    for p in posts:
        if not announceable(p, by_path) or not _recent_enough(p, settings):
            continue
        rec = records.get(entry_id(p, config))
        if rec is not None and rec.state in DONE_STATES:
            continue
        out.append(p)
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(out, key=lambda p: (p.date or far, p.path))


def withdrawn(posts: list[Post], records: Mapping[str, Record], config: Config,
              settings: NetworkSettings) -> list[tuple[Post, Record | None]]:
    """Withdrawn posts whose announcement is up (and not yet left on purpose),
    or may be: a run was interrupted while announcing it, or the ledger has
    no record of it at all (lost with a runner)."""
    out = []
    for p in posts:
        if p.kind == Kind.PAGE or p.state != State.WITHDRAWN or not _recent_enough(p, settings):
            continue
        rec = records.get(entry_id(p, config))
        if rec is None or rec.state == "pending" or (rec.state == "posted" and rec.status_id):
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
        self.records[record.network][record.post] = record


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
        if at not in (name, name.split(":", 1)[-1]):
            return
        Path(flag).write_text(name, encoding="utf-8")
        while True:  # until the test kills this process
            time.sleep(0.05)

    return checkpoint


def _draft_json(draft: Draft) -> dict[str, Any]:
    if isinstance(draft, Status):
        return {"status": draft.text, "spoiler_text": draft.spoiler_text, "language": draft.language,
                "visibility": draft.visibility, "length": draft.length}
    return {"text": draft.text, "langs": list(draft.langs), "labels": list(draft.labels),
            "card": {"uri": draft.card.uri, "title": draft.card.title, "description": draft.card.description},
            "facets": [{"start": f.start, "end": f.end, "link": f.link, "tag": f.tag} for f in draft.facets],
            "length": draft.length}


def _write_outbox(out: Path, items: list[tuple[str, Post, str, str, Draft]],
                  images: Sequence[ImagePlan | None]) -> list[Path]:
    folder = out / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    files = []
    counters: dict[str, int] = {}
    for (network, post, pid, link, draft), image in zip(items, images, strict=True):
        counters[network] = n = counters.get(network, 0) + 1
        suffix = "" if network == MASTODON else f".{network}"
        path = folder / f"{n:03d}-{post.slug}{suffix}.json"
        data = {"network": network, "post": pid, "path": post.path, "link": link, **_draft_json(draft),
                "image": image.as_json() if image is not None else None, "key": key_for(network, post, pid)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        files.append(path)
    return files


def announce(root: Path, now: datetime, *, out: Path, credentials: Sequence[Credentials],
             content: Content | None = None, networks: Collection[str] | None = None,
             limit: int | None = None, dry_run: bool = False,
             lead_image: Callable[[Post], Attachment | None] | None = None,
             progress: Callable[[str], None] = _no_progress,
             checkpoint: Callable[[str], None] = _no_checkpoint) -> Report:
    """Announce every published post not yet announced, on every network in
    `credentials` (or those of them named in `networks`), oldest first, at
    most `limit` (default: each network's setting) per network and run.
    Without credentials, write what would be posted (on Mastodon, or on the
    `networks` named) to OUT/outbox/ instead; with `dry_run`, only report
    (the accounts are read, nothing is posted or written). The ledger is
    committed at the end, whatever happened. A post whose file has problems
    is not announced (a failed outcome saying so); each post carries its
    `image:` (`lead_image`: another source of lead images)."""
    content = content or load(root)
    config = content.config
    lead_image = lead_image or lead_image_in(root)
    held = held_back(content.posts, content.problems)
    if limit is not None and limit < 0:
        raise AnnounceError("--limit must be 0 or more")
    unknown = set(networks or ()) - set(NETWORKS)
    if unknown:
        raise AnnounceError(f"unknown network {sorted(unknown)[0]!r}; known: {', '.join(NETWORKS)}")
    have = {c.network for c in credentials}
    if credentials and networks:
        missing = sorted(set(networks) - have)
        if missing:
            needed = {MASTODON: "MASTODON_API_BASE_URL and MASTODON_ACCESS_TOKEN",
                      BLUESKY: "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD"}[missing[0]]
            raise AnnounceError(f"--network {missing[0]}: {needed} are not set; set them, or leave "
                                f"--network {missing[0]} out")
    chosen = [c for c in credentials if networks is None or c.network in networks]
    report = Report(mode="dry-run" if dry_run else ("post" if chosen else "outbox"))

    if not chosen:
        ledger = Ledger(root)
        items = []
        for network in (networks or (MASTODON,)):
            settings = settings_for(config, network)
            todo = _ready(network, due(content.posts, ledger.records[network], config, settings), held, config,
                          report)
            cap = settings.limit if limit is None else limit
            report.waiting += max(0, len(todo) - cap)
            for post in todo[:cap]:
                pid, link = entry_id(post, config), url_of(post, config)
                try:
                    items.append((network, post, pid, link, compose_for(network, post, link, config)))
                except AnnounceError as exc:
                    report.outcomes.append(Outcome(network, post.path, pid, "failed", message=str(exc)))
        images = [image_plan(root, p, lead_image, OFFLINE_IMAGE_LIMITS[n]) for n, p, _, _, _ in items]
        if dry_run:
            report.outcomes += [Outcome(n, p.path, pid, "would-post", draft=d, image=i)
                                for (n, p, pid, _, d), i in zip(items, images, strict=True)]
        else:
            files = _write_outbox(out, items, images)
            report.outcomes += [Outcome(n, p.path, pid, "outbox", url=str(f), draft=d, image=i)
                                for (n, p, pid, _, d), f, i in zip(items, files, images, strict=True)]
        return report

    with _exclusive(root):
        ledger = Ledger(root)  # read under the lock
        for problem in ledger.problems:  # e.g. the torn last line of a killed run
            progress(f"warning: {problem}")
        try:
            for cred in chosen:
                run = _Run(root, cred, config, ledger, now, dry_run, report, lead_image, held, progress, checkpoint)
                run.go(content.posts, limit)
        finally:
            if not dry_run:
                done = [o for o in report.outcomes if o.action in ("posted", "found", "deleted", "left", "skipped")]
                announced = sum(o.action in ("posted", "found") for o in done)
                report.commit = _commit_ledger(
                    root, f"Announce: {len(done)} change(s) to the ledger",
                    [("Gulagpub-Command", "announce"), ("Announced", str(announced))],
                )
    return report


def _ready(network: str, todo: list[Post], held: Mapping[str, str], config: Config, report: Report) -> list[Post]:
    """The posts of `todo` not held back; each held back is reported as failed
    (and not recorded: nothing was sent, the next run looks at it again)."""
    for post in todo:
        if post.path in held:
            report.outcomes.append(Outcome(network, post.path, entry_id(post, config), "failed",
                                           message=held[post.path]))
    return [p for p in todo if p.path not in held]


@dataclass
class _Run:
    """One network's part of a run."""

    root: Path
    credentials: Credentials
    config: Config
    ledger: Ledger
    now: datetime
    dry_run: bool
    report: Report
    lead_image: Callable[[Post], Attachment | None]
    held: Mapping[str, str]  # path -> why it is not announced
    progress: Callable[[str], None]
    checkpoint: Callable[[str], None]

    @property
    def network(self) -> str:
        return self.credentials.network

    @property
    def settings(self) -> NetworkSettings:
        return settings_for(self.config, self.network)

    def _outcome(self, post: Post, action: str, **kw: Any) -> Outcome:
        o = Outcome(self.network, post.path, entry_id(post, self.config), action, **kw)
        self.report.outcomes.append(o)
        return o

    def _record(self, post: Post, state: str, posted: Posted | None = None, *, note: str | None = None,
                key: str | None = None, media: str | None = None, image: str | None = None) -> None:
        pid = entry_id(post, self.config)
        self.ledger.append(Record(pid, post.path, state, _iso(self.now), posted.status_id if posted else None,
                                  posted.url if posted else None, key or key_for(self.network, post, pid),
                                  note=note, network=self.network, media=media, image=image))

    def _target(self, post: Post) -> Target:
        pid = entry_id(post, self.config)
        return Target(pid, post.path, url_of(post, self.config), key_for(self.network, post, pid))

    def go(self, posts: list[Post], limit: int | None) -> None:
        records = self.ledger.records[self.network]
        settings = self.settings
        todo = _ready(self.network, due(posts, records, self.config, settings), self.held, self.config, self.report)
        cap = settings.limit if limit is None else limit
        self.report.waiting += max(0, len(todo) - cap)
        todo = todo[:cap]
        gone = withdrawn(posts, records, self.config, settings)
        if not todo and not gone:
            return  # nothing to ask the network
        try:
            net: Network = self.credentials.connect(settings)  # type: ignore[arg-type]
        except Stopped as exc:
            self.report.stopped.append(f"{self.network}: {exc}")
            return
        try:
            dates = [p.date for p in [*todo, *(p for p, _ in gone)]]
            since = None if any(d is None for d in dates) else min(d for d in dates if d is not None) - CLOCK_MARGIN
            scan = net.recent(since, settings.search_pages)
            found = sum(scan.find(self._target(p)) is not None for p in [*todo, *(p for p, _ in gone)])
            self.report.scans[self.network] = f"{scan.describe()}: {found} of the {len(todo) + len(gone)} post(s) " \
                                              "looked for already there"
            self.progress(f"{self.network}: {self.report.scans[self.network]}")
            for n, post in enumerate(todo, 1):
                self.progress(f"{self.network} [{n}/{len(todo)}] {post.path}")
                outcome = self._announce_one(post, net, scan)
                detail = outcome.url or outcome.message
                self.progress(f"{self.network} [{n}/{len(todo)}] {outcome.action}" + (f": {detail}" if detail else ""))
            for post, rec in gone:
                self._withdraw_one(post, rec, net, scan)
        except Stopped as exc:
            self.report.stopped.append(f"{self.network}: {exc}")
        finally:
            net.close()

    def _announce_one(self, post: Post, net: Network, scan: Scan) -> Outcome:
        target = self._target(post)
        try:
            draft = net.compose(post, target.link)
        except AnnounceError as exc:
            if not self.dry_run:
                self._record(post, "failed", note=str(exc))
            return self._outcome(post, "failed", message=str(exc))
        already = scan.find(target)
        if already is not None:
            if self.dry_run:
                return self._outcome(post, "would-record", url=already.url, draft=draft,
                                     message="already on the account: recorded, not posted again")
            self.checkpoint(f"{self.network}:before-found")
            self._record(post, "posted", already, note="found on the account, not in the ledger")
            return self._outcome(post, "found", url=already.url, draft=draft)
        if self.dry_run:  # (the limits come with what composing read: no request of their own)
            return self._outcome(post, "would-post", draft=draft,
                                 image=image_plan(self.root, post, self.lead_image, net.image_limits()))
        rec = self.ledger.records[self.network].get(target.post)
        pending = rec if rec is not None and rec.state == "pending" else None
        image = self.lead_image(post)
        uploaded = made_of = None
        try:
            if image is not None:
                # An image uploaded by a try that did not post is attached again,
                # while the network holds it: the ledger's pending record names it.
                made_of = image.digest()
                same = pending is not None and pending.image == made_of
                uploaded = net.attach(image, pending.media if pending is not None and same else None)
        except (Rejected, ContentError) as exc:
            self._record(post, "failed", note=str(exc))
            return self._outcome(post, "failed", message=f"{post.path}: the lead image: {exc}")
        made_of = made_of if uploaded is not None else None
        if pending is None or (pending.media, pending.image) != (uploaded, made_of):
            self.checkpoint(f"{self.network}:before-pending")
            self._record(post, "pending", media=uploaded, image=made_of)
        self.checkpoint(f"{self.network}:before-post")
        try:
            posted = net.post(draft, target, image, uploaded)
        except (Rejected, ContentError) as exc:
            self._record(post, "failed", note=str(exc))
            return self._outcome(post, "failed", message=f"{post.path}: {exc}")
        self.checkpoint(f"{self.network}:after-post")
        self._record(post, "posted", posted)
        self.checkpoint(f"{self.network}:after-ledger")
        return self._outcome(post, "posted", url=posted.url, draft=draft)

    def _withdraw_one(self, post: Post, rec: Record | None, net: Network, scan: Scan) -> Outcome:
        if rec is None or rec.state == "pending":
            # Interrupted while announcing, or no record at all; withdrawn since: is it up?
            found = scan.find(self._target(post))
            if found is None:
                if self.dry_run:
                    return self._outcome(post, "would-skip", message="withdrawn, never announced")
                self._record(post, "skipped", note="withdrawn before it was announced")
                return self._outcome(post, "skipped", message="withdrawn before it was announced")
            if not self.dry_run:
                self._record(post, "posted", found, note="found on the account, not in the ledger")
            posted = found
        else:
            assert rec.status_id is not None
            posted = Posted(rec.status_id, rec.url or "")
        if self.settings.on_withdraw == "delete":
            if self.dry_run:
                return self._outcome(post, "would-delete", url=posted.url)
            try:
                net.delete(posted)
            except Rejected as exc:
                return self._outcome(post, "failed", url=posted.url, message=f"{post.path}: {exc}")
            self._record(post, "deleted", posted, note="post withdrawn: its announcement deleted")
            return self._outcome(post, "deleted", url=posted.url)
        if self.dry_run:
            return self._outcome(post, "would-leave", url=posted.url)
        self._record(post, "left", posted, note="post withdrawn: its announcement left up (on_withdraw = leave)")
        return self._outcome(post, "left", url=posted.url)


def mark_existing(root: Path, now: datetime, *, content: Content | None = None,
                  networks: Collection[str] | None = None, dry_run: bool = False) -> tuple[list[Record], str | None]:
    """Record every published post not yet in the ledger as `skipped` (never
    to be announced) on every network (or those named) and commit: the step
    before a first run on an archive, or before adding a network."""
    unknown = set(networks or ()) - set(NETWORKS)
    if unknown:
        raise AnnounceError(f"unknown network {sorted(unknown)[0]!r}; known: {', '.join(NETWORKS)}")
    content = content or load(root)
    config = content.config
    ledger = Ledger(root)
    by_path = {p.path: p for p in content.posts}
    records = []
    for network in (networks or NETWORKS):
        for post in sorted(content.posts, key=lambda p: p.path):
            pid = entry_id(post, config)
            if announceable(post, by_path) and pid not in ledger.records[network]:
                records.append(Record(pid, post.path, "skipped", _iso(now),
                                      note="published before the announcer (mark-existing)", network=network))
    if dry_run:
        return records, None
    with _exclusive(root):
        for rec in records:
            ledger.append(rec)
        sha = _commit_ledger(root, f"Mark {len(records)} existing announcement(s) as not to be made",
                             [("Gulagpub-Command", "announce --mark-existing")])
    return records, sha
