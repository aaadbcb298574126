"""Archived comments kept beside a post: `posts/NAME.comments.yaml`. Pure.

The WordPress import writes these files; the publisher shows them on the
post page as a closed archive. The format (see docs/wordpress.md):

    post: posts/NAME.md
    comments:
    - {id: 881, author: Ann, date: 2012-09-03 10:18:04-07:00, parent: 880, text: "Markdown"}
    import: {from: wordpress, wp_id: 1148, digest: ...}

No e-mail or IP addresses: the importer never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import yaml

SUFFIX = ".comments.yaml"
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    date: datetime | None
    text: str  # Markdown
    parent: int = 0
    type: str = "comment"  # or 'pingback', 'trackback'


def path_for(post_path: str) -> str:
    """posts/NAME.md -> posts/NAME.comments.yaml"""
    return post_path.removesuffix(".md") + SUFFIX


def parse_comments(data: bytes) -> list[Comment]:
    """The comments of a comments file; entries that are not well formed are
    left out (an archive shows what it can), a broken file gives none."""
    if len(data) > MAX_BYTES:
        return []
    try:
        doc: Any = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    entries = doc.get("comments") if isinstance(doc, dict) else None
    out = []
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict) or not isinstance(e.get("text"), str):
            continue
        when = e.get("date")
        if isinstance(when, datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        out.append(Comment(
            id=e["id"] if isinstance(e.get("id"), int) else 0,
            author=str(e.get("author") or "Anonymous"),
            date=when if isinstance(when, datetime) else None,
            text=e["text"],
            parent=e["parent"] if isinstance(e.get("parent"), int) else 0,
            type=str(e.get("type") or "comment"),
        ))
    return out
