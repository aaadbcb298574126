"""Incremental builds (the parse cache, the traces, site.py's spare folder):
after each kind of change, the site an incremental build leaves is, byte for
byte, the site a full build of the same content makes. Every build here also
plans the long way and checks the short plan missed nothing
(GULAGPUB_CHECK_PLAN)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import post_text
from gulagpub.build import build
from sitehelp import NOW, commit_all, jpeg, snapshot


@pytest.fixture(autouse=True)
def check_every_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULAGPUB_CHECK_PLAN", "1")


def state(root: Path) -> Path:
    return root / ".git" / "gulagpub"


def full_site(root: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    """What a full build makes of the working tree as it is (a copy, gulagpub's state left out)."""
    copy = tmp_path / f"copy-{name}"

    def ignore(folder: str, names: list[str]) -> list[str]:
        return ["gulagpub"] if Path(folder).name == ".git" else []

    shutil.copytree(root, copy, ignore=ignore, symlinks=True)
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


def withdraw_post(root: Path) -> None:  # its address serves the page saying so; it leaves lists and feeds
    p = nth_post(root, 15)
    p.write_text(p.read_text().replace("state: published", "state: withdrawn\nwithdrawn:\n  by: a@example.org\n"
                                       "  at: 2026-11-27 12:06:00+00:00\n  reason: A forgery"))
    commit_all(root, "Withdraw a post", when="2026-11-27T12:06:00+00:00")


def keep_reason_private(root: Path) -> None:  # the withdrawn page no longer gives the reason
    p = nth_post(root, 15)
    p.write_text(p.read_text().replace("  reason: A forgery", "  reason: A forgery\n  public: false"))
    commit_all(root, "Keep the reason private", when="2026-11-27T12:07:00+00:00")


def propose_correction(root: Path) -> None:  # in review: the site keeps the published version (from git)
    p = nth_post(root, 17)
    p.write_text(p.read_text().replace("state: published", "state: review\ncorrection:\n  note: A date\n"
                                       "  by: a@example.org").replace("## Part one", "## Part one, corrected"))
    commit_all(root, "Propose a correction", when="2026-11-27T12:08:00+00:00")


def publish_correction(root: Path) -> None:  # published again: the note on the page and in the feeds
    p = nth_post(root, 17)
    p.write_text(p.read_text().replace("state: review\ncorrection:\n  note: A date\n  by: a@example.org",
                                       "state: published\nupdated: 2026-11-27 12:09\ncorrections:\n"
                                       "- date: 2026-11-27\n  note: A date"))
    commit_all(root, "Publish the correction", when="2026-11-27T12:09:00+00:00")


def store_original(root: Path) -> None:  # the post gets its parallel view, and a link to it
    p = nth_post(root, 19)
    (root / "originals/es").mkdir(parents=True, exist_ok=True)
    (root / "originals/es" / p.name).write_text("---\ntitle: Original\n---\n\nUn párrafo.\n\nOtro.\n")
    p.write_text(p.read_text().replace("state: published", f"state: published\noriginal: originals/es/{p.name}"))
    commit_all(root, "Store an original", when="2026-11-27T12:09:30+00:00")


def edit_original(root: Path) -> None:  # only the parallel view reads it
    f = root / "originals/es" / nth_post(root, 19).name
    f.write_text(f.read_text().replace("Otro.", "Otro párrafo, corregido."))
    commit_all(root, "Correct the original", when="2026-11-27T12:09:40+00:00")


def retitle_post(root: Path) -> None:  # its neighbours' pages and its archive year name its title
    p = nth_post(root, 20)
    text = p.read_text()
    start = text.index("title: ")
    p.write_text(text[:start] + "title: A new title for an old post" + text[text.index("\n", start):])
    commit_all(root, "Retitle a post", when="2026-11-27T12:09:45+00:00")


def add_about_page(root: Path) -> None:  # the default menu shows it, on every page
    (root / "pages").mkdir(exist_ok=True)
    (root / "pages/about.md").write_text(post_text("About us", "published", "Who we are.\n", date="2025-01-01 10:00"))
    commit_all(root, "An about page", when="2026-11-27T12:09:50+00:00")


def retitle_about_page(root: Path) -> None:  # (a title is not a file's form: the menu's titles are in every key)
    (root / "pages/about.md").write_text(post_text("About this archive", "published", "Who we are.\n", date="2025-01-01 10:00"))
    commit_all(root, "Retitle the about page", when="2026-11-27T12:09:55+00:00")


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


def bundle_name(root: Path) -> str:
    (index,) = (root / "posts").glob("*/index.md")
    return index.parent.name


def make_bundle(root: Path) -> None:  # a post with its scans and a PDF, a site-wide file, a version using them
    p = sorted((root / "posts").glob("*.md"))[-1]
    folder = root / "posts" / p.name[:-3]
    folder.mkdir()
    text = p.read_text() + "\n![Page 1](scan-p1.jpg)\n\n[The PDF](freedom.pdf)\n\n![A logo](/media/logo.png)\n"
    text = text.replace("---\n", "---\nimage:\n  src: scan-p1.jpg\n  alt: Page 1\n", 1)  # its lead image: in feeds
    p.unlink()
    (folder / "index.md").write_text(text)
    (folder / "scan-p1.jpg").write_bytes(b"\xff\xd8 page one")
    (folder / "freedom.pdf").write_bytes(b"%PDF-1.4 freedom")
    (root / "media").mkdir()
    (root / "media/logo.png").write_bytes(b"\x89PNG logo")
    (root / "translations/de" / f"{folder.name}.md").write_text(post_text(
        "Mit Scans", "published", "![Seite 1](scan-p1.jpg)\n", date="2025-07-02 10:00"))
    commit_all(root, "A post with its files", when="2026-11-27T12:20:00+00:00")


def replace_scan(root: Path) -> None:  # same name, other bytes: its pages, copies and feed enclosures again
    (root / "posts" / bundle_name(root) / "scan-p1.jpg").write_bytes(b"\xff\xd8 page one, a better scan")
    commit_all(root, "A better scan", when="2026-11-27T12:25:00+00:00")


def drop_file(root: Path) -> None:  # a file no longer named leaves the site (it stays in the bundle)
    index = root / "posts" / bundle_name(root) / "index.md"
    index.write_text(index.read_text().replace("[The PDF](freedom.pdf)", "The PDF is gone."))
    commit_all(root, "No PDF", when="2026-11-27T12:30:00+00:00")


def add_scans(root: Path) -> None:  # the original's pages after the text; the version without scans shows them too
    folder = root / "posts" / bundle_name(root)
    (folder / "page-1.jpg").write_bytes(jpeg(30, 40))
    (folder / "page-2.jpg").write_bytes(jpeg(31, 41))
    index = folder / "index.md"
    index.write_text(index.read_text().replace("---\n", "---\nsource:\n  scans: [page-1.jpg, page-2.jpg]\n", 1))
    commit_all(root, "Its scans", when="2026-11-27T12:35:00+00:00")


def reorder_scans(root: Path) -> None:  # the same files (the same shape), the version's page follows its post's
    index = root / "posts" / bundle_name(root) / "index.md"
    index.write_text(index.read_text().replace("[page-1.jpg, page-2.jpg]", "[page-2.jpg, page-1.jpg]"))
    commit_all(root, "Scans in the right order", when="2026-11-27T12:40:00+00:00")


def replace_page_scan(root: Path) -> None:  # a better scan, another size: both pages show its new size
    (root / "posts" / bundle_name(root) / "page-2.jpg").write_bytes(jpeg(62, 82))
    commit_all(root, "A better scan of page 2", when="2026-11-27T12:45:00+00:00")


def original_image(root: Path) -> None:  # named by the original alone: published, in the parallel view
    (root / "media/stamp.jpg").write_bytes(jpeg(20, 10))
    f = root / "originals/es" / nth_post(root, 19).name
    f.write_text(f.read_text() + "\n![El sello del campo](/media/stamp.jpg)\n")
    commit_all(root, "The original's stamp", when="2026-11-27T12:50:00+00:00")


def replace_original_image(root: Path) -> None:  # a better photo of it: the parallel view shows its new size
    (root / "media/stamp.jpg").write_bytes(jpeg(40, 20))
    commit_all(root, "A better photo of the stamp", when="2026-11-27T12:55:00+00:00")


def change_template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    base = Path(__file__).parent.parent / "src/gulagpub/templates/base.html"
    (root / "templates/base.html").write_text(base.read_text().replace("</body>", "<!-- ours --></body>"))


def change_settings(root: Path) -> None:
    config = root / "gulagpub.toml"
    config.write_text(config.read_text().replace('title = "Generated Blog"', 'title = "Renamed Blog"'))


def delete_cache(root: Path) -> None:
    edit_without_commit(root)
    shutil.rmtree(state(root))


def damage_cache(root: Path) -> None:  # every file of the state but the key: half of it, then garbage
    edit_without_commit(root)
    for f in state(root).iterdir():
        if f.is_file() and f.name not in ("key", "lock"):
            data = f.read_bytes()
            f.write_bytes(data[: len(data) // 2] + b"\x80garbage")


STEPS: list[tuple[str, Callable[[Path], None]]] = [
    ("edit", edit_text), ("uncommitted", edit_without_commit), ("add", add_post_with_new_tag),
    ("delete", delete_post), ("rename", rename_post), ("retag", change_tags), ("redate", change_date),
    ("language", first_language_version), ("retitle-version", retitle_version),
    ("withdraw", withdraw_post), ("private-reason", keep_reason_private),
    ("correct", propose_correction), ("republish", publish_correction),
    ("original", store_original), ("edit-original", edit_original),
    ("retitle", retitle_post), ("about", add_about_page), ("retitle-about", retitle_about_page),
    ("comments", add_comments), ("toot", toot), ("bundle", make_bundle), ("replace-scan", replace_scan),
    ("drop-file", drop_file), ("scans", add_scans), ("reorder-scans", reorder_scans),
    ("replace-page-scan", replace_page_scan), ("original-image", original_image),
    ("replace-original-image", replace_original_image), ("template", change_template), ("settings", change_settings),
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
        if name in ("withdraw", "private-reason"):
            page = _page_at(out, nth_post(root, 15))
            assert "was withdrawn on" in page and ("A forgery" in page) == (name == "withdraw")
        if name in ("correct", "republish"):
            page = _page_at(out, nth_post(root, 17))
            assert ("Part one, corrected" in page) == ("Corrected on" in page) == (name == "republish")
        if name == "edit-original":
            assert "Otro párrafo, corregido." in (next(out.rglob("parallel/index.html"))).read_text(encoding="utf-8")
        if name == "edit":  # its page and its neighbours', the lists (its language's of its tags too), archive years and feeds
            assert result.rendered == 1 and result.report.written < 56, result
        if name == "bundle":
            files = {p for p in snapshot(out) if p.endswith((".jpg", ".pdf", ".png"))}
            assert len(files) == 4 and "media/logo.png" in files, files  # the version's page has its own scan
            assert any(b'rel="enclosure"' in data for p, data in snapshot(out).items() if p.endswith(".atom"))
        if name == "replace-scan":  # the two pages naming the scan and its two copies (and the lists they are in)
            assert result.report.written < 46, result
        if name == "scans":  # adding images: as an edit of the post (23 files, drop-file), and the images beside its pages
            assert result.rendered == 1 and result.report.written < 34, result
        if name in ("original-image", "replace-original-image"):
            view = next(out.rglob("parallel/index.html")).read_text(encoding="utf-8")
            size = 'width="20" height="10"' if name == "original-image" else 'width="40" height="20"'
            assert f'src="/media/stamp.jpg" alt="El sello del campo" {size}' in view
            assert (out / "media/stamp.jpg").read_bytes() == (root / "media/stamp.jpg").read_bytes()
        if name in ("scans", "reorder-scans", "replace-page-scan"):
            pages = [p for p in snapshot(out) if p.endswith("/index.html") and b'id="scans"' in snapshot(out)[p]]
            assert len(pages) == 2, pages  # the post's and its German version's
            for page in pages:
                html = snapshot(out)[page].decode()
                first = html.index('<figure><a href="', html.index('id="scans"'))
                assert ("page-2.jpg" in html[first:first + 80]) == (name != "scans")
                assert ('width="62" height="82"' in html) == (name == "replace-page-scan")


def _page_at(out: Path, post: Path) -> str:
    """The page built at a post's address (its slug names its folder)."""
    slug = post.stem.split("-", 3)[-1] if post.stem[:4].isdigit() else post.stem
    found = [f for f in out.rglob("index.html") if f.parent.name == slug]
    assert len(found) == 1, (slug, found)
    return found[0].read_text(encoding="utf-8")


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
    # After edits of texts, a title, comments, only what they reach is planned.
    from gulagpub.outputs import Planner

    root, out = blog
    monkeypatch.delenv("GULAGPUB_CHECK_PLAN")  # (which plans the long way too)

    def whole_plan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole site was planned")

    for name, change in [("edit", edit_text), ("uncommitted", edit_without_commit), ("comments", add_comments)]:
        change(root)
        with monkeypatch.context() as m:
            m.setattr(Planner, "everything", whole_plan)
            result = build(root, out, now=NOW)
        assert result.report.written < 56, (name, result)  # (its lists: also its language's lists of its tags)
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


def test_rows_of_the_cache_rewritten_by_hand_are_never_served(blog: tuple[Path, Path], tmp_path: Path) -> None:
    # Every row of the state database is sealed with its key: a row altered
    # (or moved to another key) is a miss, made again, not a page.
    import sqlite3

    root, out = blog
    with sqlite3.connect(state(root) / "cache.sqlite") as db:
        rows = db.execute("SELECT key, value FROM kv WHERE key LIKE 'html:%'").fetchall()
        db.executemany("UPDATE kv SET value = ? WHERE key = ?",
                       [(value[:16] + b"<p>INJECTED</p>", key) for key, value in rows])
        keys = [k for k, _ in rows]
        db.execute("UPDATE kv SET value = (SELECT value FROM kv WHERE key = ?) WHERE key = ?", (keys[0], keys[1]))
    change_template(root)  # every page again, from the cache
    result = build(root, out, now=NOW)
    assert not any(b"INJECTED" in data for data in snapshot(out).values())
    assert snapshot(out) == full_site(root, tmp_path, "rewritten")
    assert result.rendered == len(rows)


def test_a_damaged_state_file_is_a_one_line_notice_and_is_made_again(blog: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    root, out = blog
    index = state(root) / "parse-index"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index.write_bytes(bytes(data))
    edit_text(root)
    result = build(root, out, now=NOW)
    notices = [w for w in result.warnings if "damaged or not written by gulagpub" in w.message]
    assert len(notices) == 1 and "parse-index" in notices[0].message
    assert snapshot(out) == full_site(root, tmp_path, "damaged-index")
    assert not [w for w in build(root, out, now=NOW).warnings if "damaged" in w.message]  # made again


def test_a_dry_run_touches_neither_the_caches_nor_the_live_site(blog: tuple[Path, Path]) -> None:
    root, out = blog
    edit_text(root)
    before = {f.name: f.read_bytes() for f in state(root).iterdir() if f.is_file()}
    site_before = snapshot(out)
    result = build(root, out, now=NOW, dry_run=True)
    assert result.report.written == 0 and result.pages > 60
    assert {f.name: f.read_bytes() for f in state(root).iterdir() if f.is_file()} == before
    assert snapshot(out) == site_before
    assert build(root, out, now=NOW).report.written < 30  # the next real build is still incremental


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


def test_the_first_build_writes_the_whole_cache_and_later_builds_read_it(
        blog: tuple[Path, Path], tmp_path: Path) -> None:
    import sqlite3

    root, out = blog
    assert not (state(root) / "cache.sqlite.new").exists()  # written under another name, then moved in place
    files = sum(1 for _ in root.glob("**/*.md"))

    def count(kind: str) -> int:
        with sqlite3.connect(state(root) / "cache.sqlite") as db:
            return db.execute("SELECT count(*) FROM kv WHERE key LIKE ?", (kind + ":%",)).fetchone()[0]

    assert count("html") == count("post") == count("rec") == files
    change_template(root)  # every page again, from the cached HTML and posts
    assert build(root, out, now=NOW).rendered == 0
    assert snapshot(out) == full_site(root, tmp_path, "template")
    edit_text(root)  # the edited post's rows replace its old ones: the cache keeps the size of the content
    assert build(root, out, now=NOW).rendered == 1
    assert count("html") == count("post") == count("rec") == files


def test_a_first_build_that_cannot_write_its_cache_leaves_none(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from corpus import generate
    from gulagpub import store

    real = sqlite3.connect

    def broken(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(path).endswith(".new"):
            raise sqlite3.OperationalError("disk I/O error")
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    root = tmp_path / "gen"
    generate(root, 12)
    monkeypatch.setattr(store.sqlite3 if hasattr(store, "sqlite3") else sqlite3, "connect", broken)
    build(root, tmp_path / "site", now=NOW)  # the site is built; the cache is only a cache
    assert not (state(root) / "cache.sqlite").exists()
    assert not (state(root) / "cache.sqlite.new").exists()
    monkeypatch.undo()
    edit_text(root)
    build(root, tmp_path / "site", now=NOW)
    assert snapshot(tmp_path / "site") == full_site(root, tmp_path, "after")


def test_the_spare_folder_follows_the_live_site_through_many_swaps(tmp_path: Path) -> None:
    # After each swap the spare is the previous live site, and the live manifest
    # says how the two differ: the next build brings the spare up to date from
    # that alone, unless the spare's manifest is not the one it names.
    from gulagpub.site import MARKER, Output, write_site

    out, spare, state = tmp_path / "site", tmp_path / ".site.gulagpub-next", tmp_path / "state"
    state.mkdir()

    def files(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
                if p.is_file() and p.name != MARKER}

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
