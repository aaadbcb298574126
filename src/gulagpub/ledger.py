"""The announcement ledger: what the announcer has announced where, kept in Git.

`announcements.jsonl` at the content root, one JSON object per line, appended
(appends merge cleanly in Git). The last record for a (network, post id) wins.
Pure parsing here; the announcer (`announce`) writes and commits records.

The ledger is a cache of what the networks know, not the only truth: before
posting, the announcer asks each network what the account already shows
(see docs/announcing.md), so a ledger lost with a runner is rebuilt from it.

Record fields: network ("mastodon" | "bluesky"; absent in lines written
before there was more than one network: those are Mastodon's), post (stable
id, see urls.entry_id), path, state ("pending" | "posted" | "skipped" |
"failed" | "deleted" | "left"), at (ISO 8601 UTC), and for posted records
status_id (Mastodon's status id, Bluesky's at:// URI) and url; a pending
record may name the lead image uploaded for it (media: Mastodon's media
attachment id, and image: the digest of the file and alt text it was made
from), which the next try attaches instead of uploading it again, unless
the image or its alt text changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem

LEDGER_FILE = "announcements.jsonl"
MASTODON = "mastodon"
BLUESKY = "bluesky"
NETWORKS = (MASTODON, BLUESKY)


@dataclass(frozen=True)
class Record:
    """One line of announcements.jsonl."""

    post: str
    path: str
    state: str
    at: str
    status_id: str | None = None
    url: str | None = None
    key: str | None = None  # Mastodon's Idempotency-Key, Bluesky's record key
    note: str | None = None
    network: str = MASTODON
    media: str | None = None  # pending: the lead image uploaded for it (Mastodon's media id)
    image: str | None = None  # and what that upload was made of (network.Attachment.digest)

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


# network -> post id -> its latest record
Entries = dict[str, dict[str, Record]]


def parse_ledger(text: str) -> tuple[Entries, list[Problem]]:
    """The latest record per network and post id (every known network has
    an entry, maybe empty), and a problem per unreadable line."""
    latest: Entries = {name: {} for name in NETWORKS}
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            values = {k: data[k] for k in Record.__dataclass_fields__ if data.get(k) is not None}
            rec = Record(**values)
            if not rec.post or not rec.state:
                raise ValueError("post and state are required")
            if rec.network not in latest:
                raise ValueError(f"unknown network {rec.network!r}; known: {', '.join(NETWORKS)}")
        except (ValueError, TypeError) as exc:
            problems.append(Problem(LEDGER_FILE, n, f"unreadable ledger line ({exc}); "
                                    "fix or remove it (git log -p announcements.jsonl shows who wrote it)"))
            continue
        latest[rec.network][rec.post] = rec
    return latest, problems


def load_ledger(root: Path, network: str = MASTODON) -> dict[str, Record]:
    """Post id -> the latest record of `network` (Mastodon's by default: the
    build links each page to its Mastodon status)."""
    path = root / LEDGER_FILE
    if not path.is_file():
        return {}
    latest, _ = parse_ledger(path.read_text(encoding="utf-8"))
    return latest.get(network, {})


def status_urls(records: dict[str, Record]) -> dict[str, str]:
    """Post id -> the URL of its status, for posts whose status is up
    (posted, or left up after a withdrawal): the publisher links each page
    to its Mastodon status ("Discuss on Mastodon")."""
    return {pid: r.url for pid, r in records.items() if r.state in ("posted", "left") and r.url}
