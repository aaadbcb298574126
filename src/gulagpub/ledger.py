"""The announcement ledger: what the Mastodon bot has announced, kept in Git.

`announcements.jsonl` at the content root, one JSON object per line, appended
(appends merge cleanly in Git). The last record for a post id wins. Pure
parsing here; the bot module writes and commits records.

Record fields: post (stable id, see urls.entry_id), path, state
("pending" | "posted" | "skipped" | "failed" | "deleted" | "left"),
at (ISO 8601 UTC), and for posted records status_id and url.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem

LEDGER_FILE = "announcements.jsonl"


@dataclass(frozen=True)
class Record:
    """One line of announcements.jsonl."""

    post: str
    path: str
    state: str
    at: str
    status_id: str | None = None
    url: str | None = None
    key: str | None = None  # Idempotency-Key sent with the status
    note: str | None = None

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def parse_ledger(text: str) -> tuple[dict[str, Record], list[Problem]]:
    """The latest record per post id, and a problem per unreadable line."""
    latest: dict[str, Record] = {}
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rec = Record(**{k: data.get(k) for k in Record.__dataclass_fields__})
            if not rec.post or not rec.state:
                raise ValueError("post and state are required")
        except (ValueError, TypeError) as exc:
            problems.append(Problem(LEDGER_FILE, n, f"unreadable ledger line ({exc}); "
                                    "fix or remove it (git log -p announcements.jsonl shows who wrote it)"))
            continue
        latest[rec.post] = rec
    return latest, problems


def load_ledger(root: Path) -> dict[str, Record]:
    path = root / LEDGER_FILE
    if not path.is_file():
        return {}
    latest, _ = parse_ledger(path.read_text(encoding="utf-8"))
    return latest


def status_urls(records: dict[str, Record]) -> dict[str, str]:
    """Post id -> the URL of its Mastodon status, for posts whose status is
    up (posted, or left up after a withdrawal): the publisher links each
    page to it ("Discuss on Mastodon")."""
    return {pid: r.url for pid, r in records.items() if r.state in ("posted", "left") and r.url}
