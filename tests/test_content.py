"""Reading the working tree (content.load over reading.py): the parse cache
kept in .git never serves a changed file, and lives where a pull request
cannot plant it."""

from __future__ import annotations

import os
import time

from conftest import post_text, require

from gulagpub.content import load, load_config, locate
from gulagpub.parallel import PARALLEL_FROM, cores
from gulagpub.postfile import parse_post
from gulagpub.reading import INDEX_NAME, ParseCache


def age(path, seconds: int) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_the_cache_lives_in_git_and_serves_only_unchanged_files(repo):
    f = repo.write("posts/p.md", "---\ntitle: First\n---\nx\n")
    age(f, 3600)
    assert load(repo.root).find("p").title == "First"
    state = repo.root / ".git" / "gulagpub"
    assert (state / INDEX_NAME).is_file() and (state / "cache.sqlite").is_file()
    assert repo.git("status", "--porcelain", "--ignored").strip() == "?? posts/p.md"  # nothing else in the working tree
    assert load(repo.root).find("p").title == "First"  # from the cache
    f.write_text("---\ntitle: Second one\n---\nx\n")
    age(f, 1800)
    assert load(repo.root).find("p").title == "Second one"


def test_a_file_changed_just_now_is_not_cached(repo):
    repo.write("posts/p.md", "---\ntitle: Fresh\n---\nx\n")
    load(repo.root)
    # racy: its stat is not kept, as same-size edits within one tick would be missed
    assert cache_of(repo).index["posts/p.md"].stat == (0, 0, 0)


def cache_of(repo) -> ParseCache:
    return ParseCache(repo.root, load_config(repo.root))


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


def test_one_changed_file_adds_a_few_bytes_to_the_index_journal(repo):
    for i in range(50):
        age(repo.write(f"posts/p{i:02d}.md", post_text(f"Post {i}")), 3600)
    load(repo.root)
    index = repo.root / ".git" / "gulagpub" / INDEX_NAME
    before = index.read_bytes()
    age(repo.write("posts/p07.md", post_text("Post seven, changed")), 1800)
    assert load(repo.root).find("p07").title == "Post seven, changed"
    assert index.read_bytes() == before  # the index is not written again...
    journal = index.with_name(INDEX_NAME + ".journal")
    assert 0 < journal.stat().st_size < 1000  # ...its journal takes the one row
    assert cache_of(repo).index["posts/p07.md"].stat != (0, 0, 0)


def test_the_cache_keeps_no_raw_fields_and_a_cached_post_reads_them_again_alike(repo):
    plain = "---\ntitle: Plain\ntags: [gulag, exile]\nsource:\n  publication: Freedom\n---\nx\n"
    odd = "---\ntitle: Odd\nsummary: |\n  Two\n  lines\ntags: &t [gulag]\ncategories: *t\n---\ny\n"  # PyYAML's path
    for name, text in (("plain", plain), ("odd", odd)):
        age(repo.write(f"posts/{name}.md", text), 3600)
    config = load_config(repo.root)
    load(repo.root)
    cache = cache_of(repo)
    kept = cache.posts([cache.index[p].sha for p in ("posts/plain.md", "posts/odd.md")])
    assert len(kept) == 2 and all({"meta", "lines"}.isdisjoint(vars(post)) for post in kept.values())
    warm = load(repo.root).by_path()
    for name, text in (("plain", plain), ("odd", odd)):
        fresh, _ = parse_post(f"posts/{name}.md", text.encode(), default_lang=config.site.lang, tz=config.site.tz)
        cached = warm[f"posts/{name}.md"]
        assert "meta" not in vars(cached)  # not read until asked
        assert (cached.meta, cached.lines, cached.digest) == (fresh.meta, fresh.lines, fresh.digest)
    assert warm["posts/odd.md"].meta["summary"] == "Two\nlines\n"
    assert warm["posts/plain.md"].line_of("source") == 4


def test_a_post_is_cached_without_its_body_and_read_back_whole_with_its_digest(repo):
    body = "Some text in ünïcode.\n\n## A heading\n\nMore.\n"
    age(repo.write("posts/p.md", post_text("Cached", state="published", body=body)), 3600)
    load(repo.root)
    cache = cache_of(repo)
    sha = cache.index["posts/p.md"].sha
    row = cache.db.get("post:" + sha)
    assert row is not None
    end = 4 + int.from_bytes(row[:4], "little")  # the Post pickled without its body, then the body as text
    assert body.encode() not in row[4:end] and row[end:] == body.encode()
    cached = cache.post(sha)
    config = load_config(repo.root)
    fresh, _ = parse_post("posts/p.md", (repo.root / "posts/p.md").read_bytes(),
                          default_lang=config.site.lang, tz=config.site.tz)
    assert cached is not None and cached == fresh and cached.body == body
    assert vars(cached)["digest"] == fresh.digest  # kept from the parse, not computed again
    # A row whose length prefix names more bytes than it holds is a miss, not a traceback.
    cache.db.put("post:" + sha, (len(row) + 1).to_bytes(4, "little") + row[4:])
    assert cache.post(sha) is None
