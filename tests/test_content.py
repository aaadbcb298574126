"""Reading the working tree: the parse cache kept in .git never serves a
changed file, and lives where a pull request cannot plant it."""

from __future__ import annotations

import os
import pickle
import time

from conftest import post_text, require

from gulagpub.content import _bucket as bucket_of
from gulagpub.content import load, load_config, locate
from gulagpub.parallel import PARALLEL_FROM, cores
from gulagpub.postfile import parse_post


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
    return {path: entry for raw in cache_buckets(repo).values() for path, entry in pickle.loads(raw).items()}


def test_locate_finds_a_post_by_path_name_or_slug_without_parsing(repo):
    repo.write("posts/2012-10-20-vicente.md", "not even front matter")
    assert locate(repo.root, "posts/2012-10-20-vicente.md") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "2012-10-20-vicente") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "vicente") == "posts/2012-10-20-vicente.md"
    assert locate(repo.root, "nobody") is None


def test_a_cold_load_of_many_files_parses_them_on_every_core_as_one_by_one(repo):
    require("two cores (the parse is spread over worker processes)", cores() >= 2)
    texts = {}
    for i in range(PARALLEL_FROM + 40):
        body = f"Text {i}.\n"
        texts[f"posts/p{i:03d}.md"] = (post_text(f"Post {i}", "published", body, date="2012-10-20 14:32")
                                       if i % 7 else f"---\ntitle: [broken\n---\n{body}")
    texts["translations/es/p001.md"] = post_text("Uno", "draft")
    for path, text in texts.items():
        age(repo.write(path, text), 3600)
    config = load_config(repo.root)
    one_by_one = [parse_post(path, texts[path].encode(), default_lang=config.site.lang, tz=config.site.tz)
                  for path in sorted(texts)]

    content = load(repo.root)  # cold: no cache yet
    assert [(p.path, p.title, p.date, p.meta) for p in content.posts] == [
        (p.path, p.title, p.date, p.meta) for p, _ in one_by_one if p is not None]
    assert content.problems == sorted(q for _, probs in one_by_one for q in probs)
    assert len([p for p in content.problems if "not valid YAML" in p.message]) == 35
    assert all("digest" in vars(p) for p in content.posts if p.kind.value == "post")  # kept by the cache

    warm = load(repo.root)
    assert [(p.path, p.meta, p.digest) for p in warm.posts] == [(p.path, p.meta, p.digest) for p in content.posts]
    assert warm.problems == content.problems


def test_one_changed_file_pickles_one_bucket_again(repo):
    for i in range(50):
        age(repo.write(f"posts/p{i:02d}.md", post_text(f"Post {i}")), 3600)
    load(repo.root)
    before = cache_buckets(repo)
    age(repo.write("posts/p07.md", post_text("Post seven, changed")), 1800)
    assert load(repo.root).find("p07").title == "Post seven, changed"
    after = cache_buckets(repo)
    assert before.keys() == after.keys()
    assert [b for b in before if before[b] != after[b]] == [bucket_of("posts/p07.md")]


def cache_buckets(repo) -> dict:
    with (repo.root / ".git" / "gulagpub-parse-cache.pickle").open("rb") as fh:
        return pickle.load(fh)["buckets"]


def test_the_cache_keeps_no_raw_fields_and_a_cached_post_reads_them_again_alike(repo):
    plain = "---\ntitle: Plain\ntags: [gulag, exile]\nsource:\n  publication: Freedom\n---\nx\n"
    odd = "---\ntitle: Odd\nsummary: |\n  Two\n  lines\ntags: &t [gulag]\ncategories: *t\n---\ny\n"  # PyYAML's path
    for name, text in (("plain", plain), ("odd", odd)):
        age(repo.write(f"posts/{name}.md", text), 3600)
    config = load_config(repo.root)
    load(repo.root)
    entries = cached_entries(repo)
    assert all({"meta", "lines"}.isdisjoint(vars(post)) for _, post, _ in entries.values())
    warm = load(repo.root).by_path()
    for name, text in (("plain", plain), ("odd", odd)):
        fresh, _ = parse_post(f"posts/{name}.md", text.encode(), default_lang=config.site.lang, tz=config.site.tz)
        cached = warm[f"posts/{name}.md"]
        assert "meta" not in vars(cached)  # not read until asked
        assert (cached.meta, cached.lines, cached.digest) == (fresh.meta, fresh.lines, fresh.digest)
    assert warm["posts/odd.md"].meta["summary"] == "Two\nlines\n"
    assert warm["posts/plain.md"].line_of("source") == 4
