"""Reading the working tree: the parse cache kept in .git never serves a
changed file, and lives where a pull request cannot plant it."""

from __future__ import annotations

import os
import pickle
import time

from gulagpub.content import load, locate


def age(path, seconds: int) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_the_cache_lives_in_git_and_serves_only_unchanged_files(repo):
    f = repo.write("posts/p.md", "---\ntitle: First\n---\nx\n")
    age(f, 3600)
    assert load(repo.root).find("p").title == "First"
    cache = repo.root / ".git" / "gulagpub-parse-cache.pickle"
    assert cache.is_file() and not list(repo.root.glob("*.pickle"))
    assert load(repo.root).find("p").title == "First"  # from the cache
    f.write_text("---\ntitle: Second one\n---\nx\n")
    age(f, 1800)
    assert load(repo.root).find("p").title == "Second one"


def test_a_file_changed_just_now_is_not_cached(repo):
    repo.write("posts/p.md", "---\ntitle: Fresh\n---\nx\n")
    load(repo.root)
    assert cached_entries(repo)["posts/p.md"][0] is None  # racy: same-size edits within one tick would be missed


def cached_entries(repo) -> dict:
    """Every entry of the parse cache: (stamp, post, problems) by path."""
    with (repo.root / ".git" / "gulagpub-parse-cache.pickle").open("rb") as fh:
        buckets = pickle.load(fh)["buckets"]
    return {path: entry for raw in buckets.values() for path, entry in pickle.loads(raw).items()}


def test_locate_finds_a_post_by_path_name_or_slug_without_parsing(repo):
    repo.write("posts/2012-10-20-vicente.md", "not even front matter")
    assert locate(repo.root, "posts/2012-10-20-vicente.md") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "2012-10-20-vicente") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "vicente") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "nobody") is None
