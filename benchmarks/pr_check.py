"""Time `gulagpub check --base main --pr-author LOGIN` on a pull request.

Generates a content repository of N posts (default 10,000) on main, then a
pull-request branch of 20 commits made as GitHub's web editor makes them
(a new translation, edited in several commits), and reports the median wall
time of `check --base main` and `check --base main --pr-author tania-gh`
over several runs. Run it anywhere: `python benchmarks/pr_check.py [N]`.
The machine is shared: medians are noisy, say so when quoting them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GULAGPUB = str(Path(sys.executable).parent / "gulagpub")
CONFIG = """\
[site]
title = "Bench"
base_url = "https://bench.example.org/"

[[team]]
name = "Alice Editor"
email = "alice@example.org"
github = "alice-gh"
roles = ["editor"]

[[team]]
name = "Tania Translator"
email = "tania@example.org"
github = "tania-gh"
roles = ["translator"]
langs = ["en", "es"]
"""


def git(root: Path, *args: str, who: tuple[str, str] = ("Alice Editor", "alice@example.org")) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
           "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1], "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def make(root: Path, n: int) -> None:
    git(root, "init", "-q", "-b", "main")
    (root / "gulagpub.toml").write_text(CONFIG)
    posts = root / "posts"
    posts.mkdir()
    for i in range(n):
        (posts / f"post-{i:05d}.md").write_text(
            f"---\ntitle: Post {i}\nstate: draft\nauthor: Alice Editor\n---\n\nText of post {i}.\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-gpg-sign", "-m", "Many drafts")
    git(root, "checkout", "-q", "-b", "translation")
    web = ("Tania", "tania-gh@users.noreply.github.com")
    path = root / "posts" / "letter.md"
    for i in range(20):
        state = "translation" if i < 19 else "review"
        path.write_text(f"---\ntitle: Letter\nstate: {state}\nlang: en\nauthor: Tania Translator\n"
                        "source:\n  publication: Freedom\n  lang: es\ntranslation:\n"
                        f"  translator: Tania Translator\n  from_lang: es\n---\n\n" + "Line.\n" * (i + 1))
        git(root, "add", "-A")
        git(root, "commit", "-q", "--no-gpg-sign", "-m", f"Update letter.md ({i + 1})", who=web)


def median_time(root: Path, *args: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([GULAGPUB, "-C", str(root), *args], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(proc.stderr)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "blog"
        root.mkdir()
        make(root, n)
        median_time(root, "check")  # warm the parse cache, as a second run in CI would be
        for args in (("check",), ("check", "--base", "main"), ("check", "--base", "main", "--pr-author", "tania-gh")):
            print(f"{n} posts, 20-commit pull request: gulagpub {' '.join(args)}: "
                  f"median {median_time(root, *args):.2f} s")


if __name__ == "__main__":
    main()
