"""Timing of the announcer: composing statuses, and one announce run of N
posts against the Mastodon test server on 127.0.0.1 (real Mastodon.py, real
HTTP; the run reads the account once, then posts).

    .venv/bin/python benchmarks/announce.py [N]

Prints medians. The machine is shared: figures are noisy, compare medians
of several runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from mastodon_server import MastodonServer  # noqa: E402

from gulagpub.announce import announce  # noqa: E402
from gulagpub.compose import Limits, compose  # noqa: E402
from gulagpub.config import MastodonSettings  # noqa: E402
from gulagpub.mastodon import MastodonCredentials  # noqa: E402
from gulagpub.model import Kind, Post, State  # noqa: E402

TITLE = "Opposition and resistance of Russia’s socialists 👩‍👩‍👧‍👦 e\u0301 日本語 שלום " * 6


def bench_compose(n: int = 2000) -> float:
    post = Post(path="posts/p.md", kind=Kind.POST, name="p", slug="p", title=TITLE, state=State.PUBLISHED,
                lang="en", body="", tags=("gulag", "prison and exile", "Sources / Links"), summary=TITLE)
    link = "https://gulaganarchists.github.io/2008/08/19/on-leaving-russia-mollie-steimer/"
    times = []
    for _ in range(n):
        t = time.perf_counter()
        compose(post, link, MastodonSettings(), Limits(500, 23))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_run(posts: int) -> float:
    server = MastodonServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "gulagpub.toml").write_text(
                '[site]\ntitle = "B"\nbase_url = "https://b.example/"\n[mastodon]\nlimit = 1000\n'
                '[[team]]\nname = "B"\nemail = "b@b.example"\nroles = ["editor"]\n', encoding="utf-8")
            (root / "posts").mkdir()
            for i in range(posts):
                (root / "posts" / f"p{i:04d}.md").write_text(
                    f"---\ntitle: Post {i} {TITLE[:80]}\nstate: published\ndate: 2026-11-{1 + i % 28:02d} 10:00\n"
                    f"tags: [gulag]\n---\n\nText.\n", encoding="utf-8")
            for args in (["init", "-q"], ["-c", "user.email=b@b.example", "-c", "user.name=B", "add", "-A"],
                         ["-c", "user.email=b@b.example", "-c", "user.name=B", "commit", "-q", "-m", "i"]):
                subprocess.run(["git", "-C", tmp, *args], check=True)
            subprocess.run(["git", "-C", tmp, "config", "user.email", "b@b.example"], check=True)
            t = time.perf_counter()
            report = announce(root, datetime.now(timezone.utc), out=root / "_site",
                              credentials=[MastodonCredentials(server.base_url, server.token)])
            elapsed = time.perf_counter() - t
            assert report.ok and len(server.statuses) == posts
            return elapsed
    finally:
        server.stop()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    c = statistics.median(bench_compose() for _ in range(3))
    print(f"compose (hostile 600-grapheme title, summary, 3 tags): median {c * 1e6:.0f} µs per status")
    runs = [bench_run(n) for _ in range(5)]
    med = statistics.median(runs)
    print(f"announce {n} posts over HTTP to the local test server: median {med:.2f} s "
          f"({med / n * 1000:.0f} ms per post; runs: {', '.join(f'{r:.2f}' for r in runs)})")
