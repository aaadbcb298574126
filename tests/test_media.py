"""Media in the content repository: bundles, references, and the check's errors on them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gulagpub.content import load, locate
from gulagpub.media import LFS_POINTER, bundle_folder
from sitehelp import jpeg

CONFIG = """\
[site]
title = "Anarchists in the Gulag"
base_url = "https://example.org"
lang = "en"

[[team]]
name = "Ed"
email = "ed@example.org"
roles = ["editor"]
"""

LETTER = """\
---
title: Letter of Mollie Steimer
state: draft
date: 2012-10-20
---
The letter, transcribed.

![Page 1 of the letter](scan-p1.jpg)

[The PDF](freedom-1924.pdf "Freedom, 1924") and [the photo](/media/monclus.jpg).
"""


def repo(tmp_path: Path, body: str = LETTER, files: dict[str, bytes] | None = None) -> Path:
    (tmp_path / "gulagpub.toml").write_text(CONFIG)
    (tmp_path / "posts" / "letter").mkdir(parents=True)
    (tmp_path / "posts" / "letter" / "index.md").write_text(body)
    for path, data in (files if files is not None else {
            "posts/letter/scan-p1.jpg": b"\xff\xd8jpeg", "posts/letter/freedom-1924.pdf": b"%PDF-1.4",
            "media/monclus.jpg": b"\xff\xd8jpeg"}).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    return tmp_path


def messages(root: Path) -> list[str]:
    return [str(p) for p in load(root).problems]


def test_a_bundle_is_a_post_named_by_its_folder(tmp_path: Path) -> None:
    root = repo(tmp_path)
    content = load(root)
    assert content.problems == []
    (post,) = content.posts
    assert (post.path, post.name, post.slug) == ("posts/letter/index.md", "letter", "letter")
    assert locate(root, "letter") == "posts/letter/index.md"


def test_a_missing_file_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.remove(root / "posts/letter/freedom-1924.pdf")
    os.remove(root / "media/monclus.jpg")
    assert messages(root) == [
        "posts/letter/index.md:10: '/media/monclus.jpg' (media/monclus.jpg) no such file",
        "posts/letter/index.md:10: 'freedom-1924.pdf' (posts/letter/freedom-1924.pdf) no such file",
    ]


def test_paths_cannot_leave_the_bundle(tmp_path: Path) -> None:
    root = repo(tmp_path, LETTER.replace("scan-p1.jpg", "../../gulagpub.toml"))
    (msg,) = messages(root)
    assert msg.startswith("posts/letter/index.md:8: '../../gulagpub.toml' leaves the post's folder")


def test_a_symbolic_link_is_never_followed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.remove(root / "posts/letter/scan-p1.jpg")
    os.symlink(root / "media/monclus.jpg", root / "posts/letter/scan-p1.jpg")
    (msg,) = messages(root)
    assert msg.startswith("posts/letter/index.md:8: 'scan-p1.jpg' (posts/letter/scan-p1.jpg) is a symbolic link")


def test_an_lfs_pointer_tells_to_run_git_lfs_pull(tmp_path: Path) -> None:
    pointer = LFS_POINTER + b"\noid sha256:" + b"0" * 64 + b"\nsize 1048576\n"
    root = repo(tmp_path)
    (root / "posts/letter/scan-p1.jpg").write_bytes(pointer)
    (msg,) = messages(root)
    assert msg.startswith("posts/letter/index.md:8: 'scan-p1.jpg' (posts/letter/scan-p1.jpg) is a Git LFS pointer")
    assert "git lfs pull" in msg


def test_a_file_over_the_size_limit_is_refused_with_size_and_limit(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "gulagpub.toml").write_text(CONFIG + '\n[limits]\nfile_size = "1 KB"\n')
    (root / "posts/letter/freedom-1924.pdf").write_bytes(b"%PDF" + b"x" * 2000)
    (msg,) = messages(root)
    assert msg.startswith("posts/letter/index.md:10: 'freedom-1924.pdf' (posts/letter/freedom-1924.pdf) is 2,004 bytes, "
                          "more than the 1,000 allowed ([limits] file_size")


def test_code_other_sites_and_single_file_posts_are_not_file_references(tmp_path: Path) -> None:
    body = LETTER + "\n`![x](gone.jpg)`\n\n```\n![x](gone.jpg)\n```\n\n[site](https://example.org/a.jpg) [top](#top)\n" \
        "A note.[^1]\n\n[^1]: Letters-from-camps is a word, not a file.\n"
    root = repo(tmp_path, body)
    assert messages(root) == []
    (root / "posts/single.md").write_text("---\ntitle: Single\n---\nSee [the letter](../letter/).\n")
    assert messages(root) == []
    assert [p.slug for p in load(root).posts] == ["letter", "single"]


def test_a_language_version_uses_its_posts_files(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert bundle_folder("translations/es/letter.md") == "posts/letter/"
    (root / "translations/es").mkdir(parents=True)
    (root / "translations/es/letter.md").write_text(
        "---\ntitle: Carta\nstate: translation\ntranslation:\n  translator: Paul Sharkey\n---\n"
        "![Página 1](scan-p1.jpg)\n\n![Página 2](scan-p2.jpg)\n")
    assert messages(root) == ["translations/es/letter.md:9: 'scan-p2.jpg' (posts/letter/scan-p2.jpg) no such file"]
    content = load(root)
    (version,) = [p for p in content.posts if p.kind.value == "translation"]
    assert version.original == "posts/letter/index.md"


def test_a_post_made_a_bundle_keeps_its_language_versions(tmp_path: Path) -> None:
    """Moving posts/NAME.md into posts/NAME/index.md (or back) re-reads its
    versions, though their own bytes did not change (the parse cache)."""
    root = repo(tmp_path, LETTER.replace("![Page 1 of the letter](scan-p1.jpg)", "").replace(
        "[The PDF](freedom-1924.pdf \"Freedom, 1924\") and ", ""))
    (root / "translations/es").mkdir(parents=True)
    (root / "translations/es/letter.md").write_text("---\ntitle: Carta\nstate: draft\n---\nTexto.\n")

    def originals() -> list[str | None]:
        content = load(root)
        assert [str(p) for p in content.problems] == []
        return [p.original for p in content.posts if p.kind.value == "translation"]

    assert originals() == ["posts/letter/index.md"]
    os.rename(root / "posts/letter/index.md", root / "posts/letter.md")
    assert originals() == ["posts/letter.md"]
    os.rename(root / "posts/letter.md", root / "posts/letter/index.md")
    assert originals() == ["posts/letter/index.md"]
    os.remove(root / "posts/letter/index.md")
    assert [str(p) for p in load(root).problems] == [
        "translations/es/letter.md: no posts/letter.md to be a translation of; a language version must have the "
        "same file name as its post in posts/ (NAME.md, or the bundle NAME/index.md)"]


# --- on the site -------------------------------------------------------------------

def published_repo(tmp_path: Path) -> Path:
    """The letter published, with a Spanish version naming one of its scans, in a git repository."""
    from sitehelp import commit_all

    from conftest import run_git

    (tmp_path / "blog").mkdir()
    root = repo(tmp_path / "blog", LETTER.replace("state: draft", "state: published"))
    (root / "translations/es").mkdir(parents=True)
    (root / "translations/es/letter.md").write_text(
        "---\ntitle: Carta\nstate: published\ndate: 2012-10-21\n---\n![Página 1](scan-p1.jpg)\n")
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "The letter with its files")
    return root


def test_the_build_publishes_the_files_under_the_posts_address(tmp_path: Path) -> None:
    from gulagpub.build import build
    from sitehelp import NOW

    root = published_repo(tmp_path)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    page = (out / "2012/10/20/letter/index.html").read_text()
    assert 'src="scan-p1.jpg"' in page and 'href="freedom-1924.pdf"' in page
    for published, source in (("2012/10/20/letter/scan-p1.jpg", "posts/letter/scan-p1.jpg"),
                              ("2012/10/20/letter/freedom-1924.pdf", "posts/letter/freedom-1924.pdf"),
                              ("media/monclus.jpg", "media/monclus.jpg"),
                              ("es/2012/10/21/letter/scan-p1.jpg", "posts/letter/scan-p1.jpg")):
        assert (out / published).read_bytes() == (root / source).read_bytes()
        # Linked, not copied: the bytes are never read (the site and its spare share the inode).
        assert os.stat(out / published).st_ino == os.stat(root / source).st_ino
    assert 'src="scan-p1.jpg"' in (out / "es/2012/10/21/letter/index.html").read_text()
    # A file copied in (another inode, another stat) is published again; the repository's is never written.
    (root / "posts/letter/scan-p2.jpg").write_bytes(b"\xff\xd8 two")
    os.replace(root / "posts/letter/scan-p2.jpg", root / "posts/letter/scan-p1.jpg")
    build(root, out, now=NOW)
    assert (out / "2012/10/20/letter/scan-p1.jpg").read_bytes() == b"\xff\xd8 two"
    assert (out / "es/2012/10/21/letter/scan-p1.jpg").read_bytes() == b"\xff\xd8 two"


def test_a_published_post_naming_a_missing_file_stops_the_build(tmp_path: Path) -> None:
    from gulagpub.build import build
    from gulagpub.errors import BuildError
    from sitehelp import NOW

    root = published_repo(tmp_path)
    out = tmp_path / "site"
    build(root, out, now=NOW)
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    os.remove(root / "posts/letter/freedom-1924.pdf")
    with pytest.raises(BuildError) as err:
        build(root, out, now=NOW)
    assert "posts/letter/index.md:10: 'freedom-1924.pdf' (posts/letter/freedom-1924.pdf) no such file" in str(err.value)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before  # the old site, untouched


def test_files_named_in_inline_html_are_references_too(tmp_path: Path) -> None:
    # An imported blog keeps figures and galleries as HTML: their files are published and checked.
    body = LETTER.split("The letter, transcribed.")[0] + (
        'The letter.\n\n<figure class="gallery"><figure><a href="scan-p1.jpg"><img src="scan-p1.jpg" '
        'alt="Page 1" /></a></figure>\n<figure><img src="/media/monclus.jpg" alt="Monclús" /></figure>'
        "<figure><img src='scan-p2.jpg' alt=\"Page 2\" /></figure></figure>\n")
    root = repo(tmp_path, body)
    from gulagpub.media import named_files

    (post,) = load(root).posts
    assert named_files(post) == ("media/monclus.jpg", "posts/letter/scan-p1.jpg", "posts/letter/scan-p2.jpg")
    assert messages(root) == ["posts/letter/index.md:9: 'scan-p2.jpg' (posts/letter/scan-p2.jpg) no such file"]


def test_files_named_by_a_tag_over_several_lines_are_references_and_commented_out_ones_not(tmp_path: Path) -> None:
    from gulagpub.build import build
    from gulagpub.media import named_files
    from sitehelp import NOW, commit_all

    from conftest import run_git

    body = LETTER.replace("state: draft", "state: published").split("The letter, transcribed.")[0] + (
        'The letter.\n\n<a\n  href="freedom-1924.pdf"><img\n    src="scan-p1.jpg"\n    alt="Page 1"></a>\n\n'
        'Then <img alt="Page 2"\n  src="scan-p2.jpg">\n\n<!-- <img src="old.jpg" alt="Old"> -->\n\n'
        '<!--\n<a href="older.pdf">the old PDF</a>\n-->\n\n```\n<img\n  src="code.jpg">\n```\n')
    root = repo(tmp_path, body)
    (post,) = load(root).posts
    assert named_files(post) == ("posts/letter/freedom-1924.pdf", "posts/letter/scan-p1.jpg",
                                 "posts/letter/scan-p2.jpg")
    # The missing file is reported at the line of its src, the commented-out ones not at all.
    assert messages(root) == ["posts/letter/index.md:14: 'scan-p2.jpg' (posts/letter/scan-p2.jpg) no such file"]
    (root / "posts/letter/scan-p2.jpg").write_bytes(b"\xff\xd8jpeg")
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "The letter with its files in HTML over several lines")
    out = tmp_path / "site"
    build(root, out, now=NOW)
    page = (out / "2012/10/20/letter/index.html").read_text()
    assert 'src="scan-p1.jpg"' in page and 'src="scan-p2.jpg"' in page and 'href="freedom-1924.pdf"' in page
    for name in ("scan-p1.jpg", "scan-p2.jpg", "freedom-1924.pdf"):
        assert (out / "2012/10/20/letter" / name).read_bytes() == (root / "posts/letter" / name).read_bytes()


# --- facsimiles: the original's scans (source.scans) ------------------------------

FACSIMILE = """\
---
title: Letter of Mollie Steimer
state: published
date: 2012-10-20
source:
  author: Mollie Steimer
  scans:
    - scan-p1.jpg
    - scan-p2.jpg
    - /media/envelope.jpg
---
The letter, transcribed.

![Page 1 of the letter](scan-p1.jpg)
"""


def facsimile_repo(tmp_path: Path, body: str = FACSIMILE) -> Path:
    return repo(tmp_path, body, {"posts/letter/scan-p1.jpg": jpeg(60, 80), "posts/letter/scan-p2.jpg": jpeg(61, 81),
                                 "media/envelope.jpg": jpeg(90, 40), "posts/letter/notes.pdf": b"%PDF-1.4\n"})


SPANISH_LETTER = "---\ntitle: Carta de Mollie Steimer\nstate: published\ndate: 2012-10-21\n---\nLa carta.\n"


def facsimile_site(tmp_path: Path, body: str = FACSIMILE, files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """The facsimile repository in tmp_path/blog with `files` (path -> text) written
    in it, committed and built into tmp_path/site: (repository, site)."""
    from conftest import run_git
    from gulagpub.build import build
    from sitehelp import NOW, commit_all

    (tmp_path / "blog").mkdir()
    root = facsimile_repo(tmp_path / "blog", body)
    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "The letter with its scans")
    build(root, tmp_path / "site", now=NOW)
    return root, tmp_path / "site"


def test_each_scan_is_checked_at_its_line(tmp_path: Path) -> None:
    root = facsimile_repo(tmp_path)
    assert messages(root) == []
    (root / "posts/letter/index.md").write_text(FACSIMILE.replace("    - /media/envelope.jpg\n", (
        "    - /media/envelope.jpg\n    - scan-p4.jpg\n    - notes.pdf\n    - ../../gulagpub.toml\n"
        "    - https://example.org/scan.jpg\n")))
    os.remove(root / "media/envelope.jpg")
    assert messages(root) == [
        "posts/letter/index.md:10: scan '/media/envelope.jpg' (media/envelope.jpg) no such file",
        "posts/letter/index.md:11: scan 'scan-p4.jpg' (posts/letter/scan-p4.jpg) no such file",
        "posts/letter/index.md:12: scan 'notes.pdf' (posts/letter/notes.pdf) is not an image (JPEG, PNG, WebP, GIF); "
        "link a PDF from the text instead",
        "posts/letter/index.md:13: scan '../../gulagpub.toml' is not a file of this site: a scan is a file beside "
        "the post or in media/ (`/media/gulagpub.toml`)",
        "posts/letter/index.md:14: scan 'https://example.org/scan.jpg' is not a file of this site: a scan is a file "
        "beside the post or in media/ (`/media/scan.jpg`)",
    ]


def test_scans_written_otherwise_than_as_a_list_of_files_are_an_error(tmp_path: Path) -> None:
    root = facsimile_repo(tmp_path, FACSIMILE.replace(
        "  scans:\n    - scan-p1.jpg\n    - scan-p2.jpg\n    - /media/envelope.jpg\n", "  scans: {page: 1}\n"))
    assert messages(root) == [
        "posts/letter/index.md:7: 'source.scans' must be a list of file names; write the scans as a list of files "
        "beside the post or in /media/, page by page: 'scans: [scan-p1.jpg, scan-p2.jpg]'"]
    # In a single-file post, a scan beside it cannot be: the message says how to make it a bundle.
    (root / "posts/single.md").write_text("---\ntitle: Single\nsource: {scans: [scan.jpg]}\n---\nText.\n")
    assert messages(root)[1] == (
        "posts/single.md:3: scan 'scan.jpg' is not a file of this site: a scan is a file beside the post (make it "
        "a bundle: `git mv posts/NAME.md posts/NAME/index.md`, the scans beside index.md) or in media/ "
        "(`/media/scan.jpg`)")


def test_the_page_shows_the_scans_after_the_text_and_the_provenance_links_them(tmp_path: Path) -> None:
    """Each page in order, numbered, linking to its file, with alt text from the title;
    a scan the text does not show is published too; a language version without scans
    of its own shows its post's, in its language."""
    root, out = facsimile_site(tmp_path, files={
        "translations/es/letter.md": SPANISH_LETTER,
        "translations/ru/letter.md": "---\ntitle: Письмо\nstate: published\ndate: 2012-10-21\n"
                                     "source: {scans: [scan-p2.jpg]}\n---\nПисьмо.\n"})
    page = (out / "2012/10/20/letter/index.html").read_text()
    assert '<a href="#scans">Scans of the original: 3 pages</a></p>' in page
    text, scans = page.index('<div class="content">'), page.index('<section class="scans" id="scans"')
    assert text < scans < page.index("<footer>")
    assert page.count("<figure>", scans) == 3
    assert ('<figure><a href="/2012/10/20/letter/scan-p2.jpg"><img src="/2012/10/20/letter/scan-p2.jpg" '
            'alt="Page 2 of the original of Letter of Mollie Steimer" width="61" height="81" loading="lazy"></a>'
            '<figcaption>Page 2</figcaption></figure>') in page
    assert page.index("scan-p1.jpg", scans) < page.index("scan-p2.jpg", scans) < page.index("/media/envelope.jpg", scans)
    # Published as the text's files are: scan-p2 is named only by `scans`.
    for published, source in (("2012/10/20/letter/scan-p2.jpg", "posts/letter/scan-p2.jpg"),
                              ("media/envelope.jpg", "media/envelope.jpg"),
                              ("es/2012/10/21/letter/scan-p2.jpg", "posts/letter/scan-p2.jpg")):
        assert os.stat(out / published).st_ino == os.stat(root / source).st_ino
    assert not (out / "2012/10/20/letter/notes.pdf").exists()  # (named by no text)
    spanish = (out / "es/2012/10/21/letter/index.html").read_text()
    assert '<a href="#scans">Escaneos del original: 3 páginas</a>' in spanish
    assert ('<img src="/es/2012/10/21/letter/scan-p1.jpg" alt="Página 1 del original de Carta de Mollie Steimer" '
            'width="60" height="80" loading="lazy"></a><figcaption>Página 1</figcaption>') in spanish
    russian = (out / "ru/2012/10/21/letter/index.html").read_text()  # (its own list: one page)
    assert '<a href="#scans">Сканы оригинала: 1 страница</a>' in russian
    assert 'alt="Страница 1 оригинала: Письмо"' in russian and "scan-p1.jpg" not in russian


def test_the_scans_in_every_language(tmp_path: Path) -> None:
    from gulagpub import i18n

    def label(lang: str, n: int) -> str:
        ui = i18n.interface(lang)
        return ui.ngettext("Scans of the original: %(num)s page", "Scans of the original: %(num)s pages", n) % {
            "num": n}

    assert [label("en", n) for n in (1, 3)] == ["Scans of the original: 1 page", "Scans of the original: 3 pages"]
    assert [label("ru", n) for n in (1, 3, 5, 21)] == [
        "Сканы оригинала: 1 страница", "Сканы оригинала: 3 страницы", "Сканы оригинала: 5 страниц",
        "Сканы оригинала: 21 страница"]
    assert [label("de", n) for n in (1, 2)] == ["Scans des Originals: 1 Seite", "Scans des Originals: 2 Seiten"]
    assert label("fr", 2) == "Numérisations de l’original : 2 pages" and label("es", 1) == (
        "Escaneos del original: 1 página")


def test_a_title_cannot_inject_markup_through_the_scans_alt_text(tmp_path: Path) -> None:
    _, out = facsimile_site(tmp_path, FACSIMILE.replace(
        "title: Letter of Mollie Steimer", "title: '\"><script>alert(1)</script> & co'"))
    page = (out / "2012/10/20/letter/index.html").read_text()
    assert "<script>alert" not in page
    assert 'alt="Page 1 of the original of &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"' in page


def test_feed_entries_carry_the_scans_as_the_page_shows_them_absolute_under_a_sub_path(
        tmp_path: Path, shared: Path) -> None:
    """In every format, after the text: each page numbered, "Page N" in the entry's
    language, at its absolute address under a base URL with a path; the feeds valid."""
    import json

    import feedparser

    from sitehelp import feedcheck

    _, out = facsimile_site(tmp_path, files={
        "gulagpub.toml": CONFIG.replace('"https://example.org"', '"https://example.org/blog/"'),
        "translations/es/letter.md": SPANISH_LETTER})
    base = "https://example.org/blog/"
    page2 = base + "2012/10/20/letter/scan-p2.jpg"
    figure = (f'<figure><a href="{page2}"><img src="{page2}" alt="Page 2 of the original of Letter of Mollie '
              'Steimer" width="61" height="81"></a><figcaption>Page 2</figcaption></figure>')

    # (As feedparser gives it back: attributes sorted, void elements closed.)
    parsed_figure = (f'<figure><a href="{page2}"><img alt="Page 2 of the original of Letter of Mollie Steimer" '
                     f'height="81" src="{page2}" width="61" /></a><figcaption>Page 2</figcaption></figure>')

    def content(entry: feedparser.FeedParserDict) -> str:
        return str(entry.content[0].value if "content" in entry else entry.description)

    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse(out / name)
        assert not parsed.bozo, (name, parsed.bozo_exception)
        (letter,) = [e for e in parsed.entries if e.link.endswith("/blog/2012/10/20/letter/")]
        html = content(letter)
        assert parsed_figure in html, html
        scans = html.index("<h2>Scans of the original</h2>")
        assert html.index("The letter, transcribed.") < scans
        assert html.index(page2, scans) > html.index("scan-p1.jpg", scans)
        assert html.index(base + "media/envelope.jpg", scans) > html.index(page2, scans)
        assert html.count("<figure>", scans) == 3
    items = json.loads((out / "feed.json").read_text())["items"]
    (letter_json,) = [i for i in items if i["url"] == base + "2012/10/20/letter/"]
    assert figure in letter_json["content_html"]
    # The Spanish version shows its post's scans, published beside its own page, with the words in Spanish.
    spanish = feedparser.parse(out / "es/feed.atom")
    (carta,) = spanish.entries
    html = content(carta)
    assert "<h2>Escaneos del original</h2>" in html and "Scans of the original" not in html
    es_page1 = base + "es/2012/10/21/letter/scan-p1.jpg"
    assert (f'<img alt="Página 1 del original de Carta de Mollie Steimer" height="80" src="{es_page1}" width="60" />'
            '</a><figcaption>Página 1</figcaption>') in html
    assert (out / "es/2012/10/21/letter/scan-p1.jpg").exists()
    feeds = [out / "feed.atom", out / "feed.rss", out / "feed.json", out / "es/feed.atom", out / "es/feed.rss"]
    checked = feedcheck(shared, *feeds)
    assert checked.returncode == 0, checked.stdout + checked.stderr
