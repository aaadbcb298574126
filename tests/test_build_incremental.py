"""Incremental builds (build.py's parse cache and plan memo, site.py's kept
files): after each kind of change, the site an incremental build leaves is,
byte for byte, the site a full build of the same content makes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import post_text
from gulagpub.build import CACHE_DIR, build
from sitehelp import NOW, commit_all, snapshot


def full_site(root: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    """What a full build makes of the working tree as it is (a copy, caches left out)."""
    copy = tmp_path / f"copy-{name}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(CACHE_DIR), symlinks=True)
    build(copy, tmp_path / f"full-{name}", now=NOW)
    return snapshot(tmp_path / f"full-{name}")


def nth_post(root: Path, n: int) -> Path:
    return sorted((root / "posts").glob("*.md"))[n]


def edit_text(root: Path) -> None:
    p = nth_post(root, 7)
    p.write_text(p.read_text().replace("## Part one", "## Part one, edited\n\nNew words."))
    commit_all(root, "Edit a text", when="2026-11-27T11:00:00+00:00")


def edit_without_commit(root: Path) -> None:  # seen by its stat, not through git
    p = nth_post(root, 9)
    p.write_text(p.read_text() + "\nAn uncommitted correction.\n")


def add_post_with_new_tag(root: Path) -> None:
    (root / "posts/2025-06-01-new.md").write_text(post_text(
        "A new post", "published", "Fresh.\n", date="2025-06-01 10:00", tags="[tag-1, новый]"))
    commit_all(root, "Add a post", when="2026-11-27T11:10:00+00:00")


def delete_post(root: Path) -> None:
    nth_post(root, 3).unlink()
    commit_all(root, "Delete a post", when="2026-11-27T11:20:00+00:00")


def rename_post(root: Path) -> None:
    p = nth_post(root, 5)
    p.rename(p.with_name(p.name.replace("post-", "renamed-post-")))
    commit_all(root, "Rename a post", when="2026-11-27T11:30:00+00:00")


def change_tags(root: Path) -> None:
    p = nth_post(root, 11)
    text = p.read_text()
    start = text.index("tags: [")
    p.write_text(text[:start] + "tags: [tag-1, a-tag-of-its-own]" + text[text.index("]", start) + 1:])
    commit_all(root, "Retag a post", when="2026-11-27T11:40:00+00:00")


def change_date(root: Path) -> None:  # the post moves in every list it is in
    p = nth_post(root, 13)
    text = p.read_text()
    start = text.index("date: ")
    p.write_text(text[:start] + "date: 2026-01-01 09:00" + text[text.index("\n", start):])
    commit_all(root, "Redate a post", when="2026-11-27T11:50:00+00:00")


def first_language_version(root: Path) -> None:  # the languages' menu of every page changes
    original = nth_post(root, 2)
    tr = root / "translations/de" / original.name
    tr.parent.mkdir(parents=True)
    tr.write_text(post_text("Ein Beitrag", "published", "Text.\n", date="2025-07-01 10:00"))
    commit_all(root, "A first German version", when="2026-11-27T12:00:00+00:00")


def retitle_version(root: Path) -> None:  # the original's page names its versions' titles
    tr = root / "translations/de" / nth_post(root, 2).name
    tr.write_text(post_text("Ein neuer Titel", "published", "Text.\n", date="2025-07-01 10:00"))
    commit_all(root, "Retitle the German version", when="2026-11-27T12:05:00+00:00")


def add_comments(root: Path) -> None:  # comments kept from the old blog show on the post's page
    p = nth_post(root, 4)
    p.with_name(p.name[:-3] + ".comments.yaml").write_text(
        "comments:\n- id: 1\n  author: Olga\n  date: 2012-01-01 10:00:00\n  text: Thank you.\n")
    commit_all(root, "Keep the old comments", when="2026-11-27T12:10:00+00:00")


def toot(root: Path) -> None:  # the post's page links its announcement
    from gulagpub.content import load
    from gulagpub.ledger import LEDGER_FILE, Record
    from gulagpub.urls import entry_id

    content = load(root)
    post = next(p for p in content.posts if p.path == nth_post(root, 6).relative_to(root).as_posix())
    (root / LEDGER_FILE).write_text(Record(post=entry_id(post, content.config), path=post.path, state="posted",
                                           at="2026-11-27T12:15:00+00:00", status_id="1",
                                           url="https://mastodon.example/@blog/1").to_json() + "\n")
    commit_all(root, "Announced", when="2026-11-27T12:15:00+00:00")


def change_template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    base = Path(__file__).parent.parent / "src/gulagpub/templates/base.html"
    (root / "templates/base.html").write_text(base.read_text().replace("</body>", "<!-- ours --></body>"))


def change_settings(root: Path) -> None:
    config = root / "gulagpub.toml"
    config.write_text(config.read_text().replace('title = "Generated Blog"', 'title = "Renamed Blog"'))


def delete_cache(root: Path) -> None:
    edit_without_commit(root)
    shutil.rmtree(root / CACHE_DIR)


def damage_cache(root: Path) -> None:
    edit_without_commit(root)
    cache = root / CACHE_DIR
    for f in cache.iterdir():
        if f.is_file() and f.name != ".gitignore":
            data = f.read_bytes()
            f.write_bytes(data[: len(data) // 2] + b"\x80garbage")
    (cache / "plan.journal").write_bytes(b"\x80\x05garbage")


STEPS: list[tuple[str, Callable[[Path], None]]] = [
    ("edit", edit_text), ("uncommitted", edit_without_commit), ("add", add_post_with_new_tag),
    ("delete", delete_post), ("rename", rename_post), ("retag", change_tags), ("redate", change_date),
    ("language", first_language_version), ("retitle-version", retitle_version),
    ("comments", add_comments), ("toot", toot), ("template", change_template), ("settings", change_settings),
    ("no-cache", delete_cache), ("damaged-cache", damage_cache),
]


@pytest.fixture
def blog(tmp_path: Path) -> tuple[Path, Path]:
    from corpus import generate

    root = tmp_path / "gen"
    generate(root, 60)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    return root, out


def test_after_every_kind_of_change_an_incremental_build_equals_a_full_build(
        blog: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = blog
    for name, change in STEPS:
        change(root)
        result = build(root, out, now=NOW)
        assert snapshot(out) == full_site(root, tmp_path, name), f"after step {name!r}"
        if name == "edit":
            assert result.rendered == 1 and result.report.written < 30, result


def test_a_build_with_nothing_changed_writes_nothing(blog: tuple[Path, Path]) -> None:
    root, out = blog
    before = snapshot(out)
    result = build(root, out, now=NOW)
    assert (result.report.written, result.report.removed, result.rendered) == (0, 0, 0)
    assert result.pages > 60 and snapshot(out) == before


def test_building_elsewhere_in_between_does_not_confuse_the_plan_memo(
        blog: tuple[Path, Path], tmp_path: Path) -> None:
    # The memo then remembers the other folder's build: what it says is checked
    # against the folder being built, so the first folder is brought up to date.
    root, out = blog
    edit_text(root)
    build(root, tmp_path / "elsewhere", now=NOW)
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "elsewhere")


def test_a_file_removed_from_the_live_site_by_hand_is_made_again(blog: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = blog
    build(root, out, now=NOW)  # the spare folder now exists
    victim = next(out.glob("tag/*/index.html"))
    edit_text(root)
    build(root, out, now=NOW)
    victim.unlink()  # from the live site, which the memo says is complete
    edit_without_commit(root)
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "hand")


def test_an_edit_is_planned_from_the_memo_alone(blog: tuple[Path, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The delta plan: after edits of texts, a title, comments, the whole plan is never made.
    from gulagpub.build import _Builder

    root, out = blog

    def whole_plan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole site was planned")

    for name, change in [("edit", edit_text), ("uncommitted", edit_without_commit), ("comments", add_comments)]:
        change(root)
        with monkeypatch.context() as m:
            m.setattr(_Builder, "plan", whole_plan)
            result = build(root, out, now=NOW)
        assert result.report.written < 30, (name, result)
        assert snapshot(out) == full_site(root, tmp_path, name), f"after step {name!r}"


def test_an_edit_made_while_the_build_was_blocked_reaches_the_site(blog: tuple[Path, Path], tmp_path: Path) -> None:
    # The blocked build kept the edited post's parse record, which the plan never saw.
    from gulagpub.errors import BuildError

    root, out = blog
    edit_without_commit(root)  # (seen by its stat alone: Git's history does not name it)
    broken = nth_post(root, 20)
    good = broken.read_text()
    broken.write_text(good.replace("tags: [", "bogus: 1\ntags: ["))  # (its record, tags, date... stay the same)
    with pytest.raises(BuildError):
        build(root, out, now=NOW)
    broken.write_text(good)
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "unblocked")


def test_a_live_site_other_than_the_one_remembered_is_refused(tmp_path: Path) -> None:
    from gulagpub.site import Output, StaleOutputs, write_site

    out, state = tmp_path / "site", tmp_path / "state"
    state.mkdir()
    first = write_site(out, [Output("a.html", "1", lambda: b"a"), Output("b.html", "1", lambda: b"b")], state=state)
    second = write_site(out, [Output("a.html", "2", lambda: b"A")], state=state, live=first.token)
    assert (out / "a.html").read_bytes() == b"A" and (out / "b.html").read_bytes() == b"b"
    with pytest.raises(StaleOutputs):
        write_site(out, [Output("b.html", "2", lambda: b"B")], state=state, live=first.token)
    assert second.token != first.token and (out / "b.html").read_bytes() == b"b"


def test_a_damaged_record_in_the_cache_is_reported_not_a_traceback(blog: tuple[Path, Path], tmp_path: Path) -> None:
    # Records stay pickled in the parse cache until read: one that cannot be read names the fix.
    import pickle

    from gulagpub.errors import BuildError

    root, out = blog
    index = root / CACHE_DIR / "index.pickle"
    version, values = pickle.loads(index.read_bytes())
    index.write_bytes(pickle.dumps((version, {p: (*v[:4], b"\x80garbage") for p, v in values.items()})))
    (root / CACHE_DIR / "index.journal").unlink(missing_ok=True)
    edit_text(root)
    with pytest.raises(BuildError, match=r"\.gulagpub-cache/ is damaged; delete it and build again"):
        build(root, out, now=NOW)
    shutil.rmtree(root / CACHE_DIR)
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "damaged-record")


def test_a_second_edit_within_the_same_timestamp_tick_and_size_is_not_missed(
        blog: tuple[Path, Path], tmp_path: Path) -> None:
    # Saved, built, saved again within one tick of the file system's clock, with
    # the same length (`serve` rebuilds on every save): the stat alone is the same.
    root, out = blog
    p = nth_post(root, 4)
    p.write_text(p.read_text().replace("## Part one", "## Part AAAA"))
    build(root, out, now=NOW)
    st = p.stat()
    p.write_text(p.read_text().replace("## Part AAAA", "## Part BBBB"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (p.stat().st_mtime_ns, p.stat().st_size, p.stat().st_ino) == (st.st_mtime_ns, st.st_size, st.st_ino)
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "tick")
    assert any(b"Part BBBB" in data for data in snapshot(out).values())


def test_the_first_build_writes_the_whole_html_cache_and_later_builds_read_it(
        blog: tuple[Path, Path], tmp_path: Path) -> None:
    import sqlite3

    root, out = blog
    cache = root / CACHE_DIR
    assert not (cache / "html.sqlite.new").exists()  # written under another name, then moved in place
    files = sum(1 for _ in root.glob("**/*.md"))
    with sqlite3.connect(cache / "html.sqlite") as db:
        assert db.execute("SELECT count(*) FROM html").fetchone()[0] == files
        assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == files
    change_template(root)  # every page again, from the cached HTML and posts
    build(root, out, now=NOW)
    assert snapshot(out) == full_site(root, tmp_path, "template")
    edit_text(root)  # and the same database takes the edited post's rows
    assert build(root, out, now=NOW).rendered == 1
    with sqlite3.connect(cache / "html.sqlite") as db:
        assert db.execute("SELECT count(*) FROM html").fetchone()[0] == files + 1


def test_a_first_build_that_cannot_write_its_html_cache_leaves_none(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from corpus import generate
    from gulagpub import build as build_module

    def broken(db: sqlite3.Connection, rows: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    root = tmp_path / "gen"
    generate(root, 12)
    monkeypatch.setattr(build_module, "_insert", broken)
    build(root, tmp_path / "site", now=NOW)  # the site is built; the cache is only a cache
    assert not (root / CACHE_DIR / "html.sqlite").exists()
    assert not (root / CACHE_DIR / "html.sqlite.new").exists()
    monkeypatch.undo()
    edit_text(root)
    build(root, tmp_path / "site", now=NOW)
    assert snapshot(tmp_path / "site") == full_site(root, tmp_path, "after")


def test_the_spare_folder_follows_the_live_site_through_many_swaps(tmp_path: Path) -> None:
    # After each swap the spare is the previous live site, and the live manifest
    # says how the two differ: the next build brings the spare up to date from
    # that alone, unless the spare's manifest is not the one it names.
    from gulagpub.site import Output, write_site

    out, spare, state = tmp_path / "site", tmp_path / ".site.gulagpub-next", tmp_path / "state"
    state.mkdir()

    def files(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}

    def outputs(keys: dict[str, str]) -> list[Output]:
        return [Output(p, k, lambda k=k: k.encode()) for p, k in keys.items()]

    live = {"a.html": "a0", "b.html": "b0", "c/d.html": "d0"}
    report = write_site(out, outputs(live), state=state)
    steps: list[tuple[str, dict[str, str]]] = [
        ("live", {"a.html": "a1"}), ("live", {"b.html": "b1", "e/f.html": "f1"}), ("live", {"a.html": "a2"}),
        ("full", {"a.html": "a2", "e/f.html": "f2"}), ("live", {"a.html": "a3"}), ("damaged", {"e/f.html": "f3"}),
        ("live", {"g.html": "g1", "a.html": "a4"}), ("live", {"a.html": "a5"}),
    ]
    for kind, keys in steps:
        before = dict(live)
        if kind == "damaged":  # the spare's manifest is gone (an interrupted build)
            next(state.glob("site-*.spare")).unlink()
        if kind == "full":
            report = write_site(out, outputs(keys), state=state)
            live = dict(keys)
        else:
            report = write_site(out, outputs(keys), state=state, live=report.token)
            live.update(keys)
        assert files(out) == live, (kind, keys)
        if kind != "damaged":
            assert files(spare) == before, (kind, keys)
