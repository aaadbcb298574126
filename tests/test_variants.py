"""Large images published with smaller WebP copies (images.variants) offered
through srcset: made at the right widths, not for small, moving or vector
images, made once per image's bytes (the folder of copies in .git/gulagpub/),
removed with their image; in feeds and --relative-links previews."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import feedparser
import pytest
from PIL import Image

from conftest import Repo, run_git
from gulagpub import images
from gulagpub.build import build
from gulagpub.store import state_dir
from sitehelp import NOW, jpeg

PHOTOS = """\
---
title: Photos of Vicente Monclús
state: published
date: 2012-10-20
---
The photos.

![Vicente Monclús in 1937](big.jpg "Photo: a family archive")

![A map of the camps](map.png)

![A small portrait](small.jpg)

![A moving banner](banner.gif)

![The federation's emblem](emblem.svg)

![The poster](/media/poster.jpg)

[The whole photo](big.jpg)
"""

PAGE = "2012/10/20/photos/"


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 120, 30, 200)).save(buf, "PNG")
    return buf.getvalue()


def animated_gif(width: int, height: int) -> bytes:
    frames = [Image.new("P", (width, height), c) for c in (1, 2, 3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def webp(width: int, height: int, colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "WEBP")
    return buf.getvalue()


@pytest.fixture
def photos(repo: Repo) -> Repo:
    repo.write("posts/photos/index.md", PHOTOS)
    repo.write("posts/photos/big.jpg", jpeg(2000, 1000, gps=True))
    repo.write("posts/photos/map.png", png(1000, 700))
    repo.write("posts/photos/small.jpg", jpeg(500, 400))
    repo.write("posts/photos/banner.gif", animated_gif(1200, 300))
    repo.write("posts/photos/emblem.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"/>')
    repo.write("media/poster.jpg", jpeg(1200, 1600))
    repo.commit("The photos")
    return repo


def copies_in(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.webp"))


def test_large_images_get_webp_copies_at_the_widths_narrower_than_them(photos: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(photos.root, out, now=NOW)
    assert copies_in(out) == [
        *[f"{PAGE}big.jpg.{w}w.webp" for w in (1600, 480, 960)], f"{PAGE}map.png.480w.webp",
        *[f"media/poster.jpg.{w}w.webp" for w in (480, 960)]]
    for name, width, height in [("big.jpg.480w.webp", 480, 240), ("big.jpg.960w.webp", 960, 480),
                                ("big.jpg.1600w.webp", 1600, 800), ("map.png.480w.webp", 480, 336)]:
        data = (out / PAGE / name).read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            assert (im.format, im.size) == ("WEBP", (width, height)), name
            assert not im.getexif() and "exif" not in im.info and "xmp" not in im.info, name
        assert b"Zorki" not in data  # (the camera's EXIF, with its GPS position, stays behind)
    with Image.open(out / PAGE / "map.png.480w.webp") as im:
        assert im.mode == "RGBA"  # (its transparency kept)
    # The original is published too, and is what the image's src and its link name.
    assert (out / PAGE / "big.jpg").is_file()
    html = (out / PAGE / "index.html").read_text()
    imgs = {re.search(r'src="([^"]*)"', i).group(1): i for i in re.findall(r"<img\b[^>]*>", html)}
    assert ('srcset="big.jpg.480w.webp 480w, big.jpg.960w.webp 960w, big.jpg.1600w.webp 1600w, big.jpg 2000w"'
            in imgs["big.jpg"]), imgs["big.jpg"]
    assert 'sizes="(max-width: 42rem) calc(100vw - 2rem), 40rem"' in imgs["big.jpg"]
    assert 'width="2000" height="1000"' in imgs["big.jpg"]
    assert '<figure><a href="big.jpg"><img src="big.jpg"' in html
    assert 'srcset="/media/poster.jpg.480w.webp 480w, /media/poster.jpg.960w.webp 960w, /media/poster.jpg 1200w"' \
        in imgs["/media/poster.jpg"]
    for plain in ("small.jpg", "banner.gif", "emblem.svg"):
        assert "srcset" not in imgs[plain] and f'<a href="{plain}">' not in html, plain
    # Feeds keep one absolute src: a feed reader shows the image, not a choice of copies.
    feed = feedparser.parse(out / "feed.atom")
    content = feed.entries[0].content[0].value
    assert 'src="https://blog.example.org/2012/10/20/photos/big.jpg"' in content, content
    assert "srcset" not in content and "webp" not in (out / "feed.rss").read_text()


def test_copies_are_made_once_per_image_and_leave_with_it(photos: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(photos.root, out, now=NOW)
    copy = out / PAGE / "big.jpg.480w.webp"
    folder = state_dir(photos.root) / "copies"
    kept = {p.name: p.read_bytes() for p in folder.glob("*.webp")}
    assert len(kept) == 6 and copy.read_bytes() in kept.values()
    # The next build reads nothing of it: the live site's copy stays (the same file).
    inode = os.stat(copy).st_ino
    photos.write("posts/photos/index.md", PHOTOS.replace("The photos.", "The photos, described."))
    build(photos.root, out, now=NOW)
    assert os.stat(copy).st_ino == inode
    # A fresh checkout (another stat, as in CI) into a new folder takes the copy from the
    # folder of copies instead of encoding it: the bytes put there are the ones published.
    name = next(n for n, data in kept.items() if data == copy.read_bytes())
    marked = webp(480, 240, "red")
    (folder / name).write_bytes(marked)
    os.utime(photos.root / "posts/photos/big.jpg", ns=(10**18, 10**18))
    build(photos.root, tmp_path / "other", now=NOW)
    assert (tmp_path / "other" / PAGE / "big.jpg.480w.webp").read_bytes() == marked
    # A copy cut short in the folder is not published: it is made again.
    (folder / name).write_bytes(marked[:-10])
    build(photos.root, tmp_path / "third", now=NOW)
    again = (tmp_path / "third" / PAGE / "big.jpg.480w.webp").read_bytes()
    assert again == kept[name] and (folder / name).read_bytes() == kept[name]
    # Other bytes are another image: encoded anew.
    photos.write("posts/photos/big.jpg", jpeg(1800, 900))
    build(photos.root, out, now=NOW)
    with Image.open(copy) as im:
        assert im.size == (480, 240)
    assert copy.read_bytes() not in kept.values()
    # A narrower image in its place has fewer copies: the others leave the site.
    photos.write("posts/photos/big.jpg", jpeg(1000, 500))
    build(photos.root, out, now=NOW)
    assert [p for p in copies_in(out) if "big.jpg" in p] == [f"{PAGE}big.jpg.480w.webp"]
    assert 'srcset="big.jpg.480w.webp 480w, big.jpg 1000w"' in (out / PAGE / "index.html").read_text()
    # An image no longer named leaves the site with its copies.
    photos.write("posts/photos/index.md", PHOTOS.replace("![Vicente Monclús in 1937](big.jpg \"Photo: a family archive\")",
                                                         "").replace("[The whole photo](big.jpg)", ""))
    (photos.root / "posts/photos/big.jpg").unlink()
    build(photos.root, out, now=NOW)
    assert not any("big.jpg" in p for p in copies_in(out)) and f"{PAGE}map.png.480w.webp" in copies_in(out)
    assert not (out / PAGE / "big.jpg").exists()


def test_a_relative_links_preview_names_the_copies_from_the_page(photos: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(photos.root, out, now=NOW, relative_links=True)
    html = (out / PAGE / "index.html").read_text()
    assert ('srcset="../../../../media/poster.jpg.480w.webp 480w, ../../../../media/poster.jpg.960w.webp 960w, '
            '../../../../media/poster.jpg 1200w"') in html
    for url in re.findall(r'srcset="([^"]*)"', html)[0].split(", "):
        assert (out / PAGE / url.split(" ")[0]).is_file(), url


def test_beside_its_original_a_photo_names_its_copies_from_the_post_s_folder(tmp_path: Path) -> None:
    """The parallel view is a folder below the post's page: its images' src, link and srcset
    all lead to the files beside the post, and its column is half the width from 48rem."""
    from conftest import run_git
    from sitehelp import commit_all

    root = tmp_path / "blog"
    (root / "posts/letter").mkdir(parents=True)
    (root / "gulagpub.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://example.org"\n\n'
                                        '[[team]]\nname = "Ed"\nemail = "ed@example.org"\nroles = ["editor"]\n')
    (root / "posts/letter/index.md").write_text(
        "---\ntitle: A letter\nstate: published\ndate: 2024-05-03\ntranslation:\n  from_lang: ru\n---\n"
        "The letter.\n\n![The envelope](envelope.jpg)\n")
    (root / "posts/letter/envelope.jpg").write_bytes(jpeg(1200, 600))
    (root / "originals/ru").mkdir(parents=True)
    (root / "originals/ru/letter.md").write_text("---\ntitle: Письмо\n---\n\nПисьмо.\n\n![Конверт](envelope.jpg)\n")
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "A letter beside its original")
    build(root, tmp_path / "site", now=NOW)
    view = (tmp_path / "site/2024/05/03/letter/parallel/index.html").read_text(encoding="utf-8")
    base = "/2024/05/03/letter/envelope.jpg"
    srcset = f'srcset="{base}.480w.webp 480w, {base}.960w.webp 960w, {base} 1200w"'
    assert view.count(srcset) == 2 and view.count(f'<a href="{base}"><img src="{base}"') == 2, view
    assert 'sizes="(max-width: 48rem) calc(100vw - 2rem), (max-width: 72rem) calc(50vw - 1.75rem), 34.25rem"' in view
    for w in (480, 960):
        assert (tmp_path / "site" / f"{base[1:]}.{w}w.webp").is_file()


def test_a_photo_taken_sideways_is_measured_and_copied_as_it_is_shown(repo: Repo, tmp_path: Path) -> None:
    """A phone's JPEG stored 2000 x 1000 with EXIF orientation 6 (turn a quarter) is shown
    1000 x 2000: its width and height say so, and its copies are upright."""
    im = Image.new("RGB", (2000, 1000), (200, 180, 150))
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    repo.write("posts/photos/index.md", PHOTOS.split("The photos.")[0] + "![A portrait](portrait.jpg)\n")
    repo.write("posts/photos/portrait.jpg", buf.getvalue())
    repo.commit("A portrait")
    out = tmp_path / "site"
    build(repo.root, out, now=NOW)
    html = (out / PAGE / "index.html").read_text()
    assert 'width="1000" height="2000"' in html
    assert 'srcset="portrait.jpg.480w.webp 480w, portrait.jpg 1000w"' in html  # (960 is not under 90 %)
    with Image.open(out / PAGE / "portrait.jpg.480w.webp") as copy:
        assert copy.size == (480, 960)


def test_what_an_image_is_is_found_once_for_its_bytes(photos: Repo, tmp_path: Path) -> None:
    """The folder of copies remembers each image's type and size by git's id of its
    bytes: a build without its traces (a fresh clone with the folder restored, as
    publish.yml runs) opens no image seen before; a damaged memory is not used."""
    state = state_dir(photos.root)
    memo = state / "copies" / images.SEEN
    build(photos.root, tmp_path / "site", now=NOW, dry_run=True)
    assert not memo.exists()  # (a dry run writes nothing)
    build(photos.root, tmp_path / "site", now=NOW)
    seen = json.loads(memo.read_text())
    blob = run_git(photos.root, "rev-parse", "HEAD:posts/photos/map.png").strip()
    assert seen["seen"][f"{blob} image/png"][:3] == ["image/png", 1000, 700]
    seen["seen"][f"{blob} image/png"][2] = 699  # (marked: taken from here, not from the file)
    memo.write_text(json.dumps(seen))

    def without_traces() -> None:
        for p in state.iterdir():
            if p.name != "copies":
                shutil.rmtree(p) if p.is_dir() else p.unlink()

    without_traces()
    build(photos.root, tmp_path / "other", now=NOW)
    assert 'width="1000" height="699"' in map_img(tmp_path / "other")
    memo.write_text('{"format": "gulagpub seen 1", "seen": {"' + blob + ' image/png": ["image/png", "x"]}}')
    without_traces()
    build(photos.root, tmp_path / "third", now=NOW)
    assert 'width="1000" height="700"' in map_img(tmp_path / "third")


def map_img(site: Path) -> str:
    return re.findall(r'<img src="map.png"[^>]*>', (site / PAGE / "index.html").read_text())[0]


def test_copies_no_complete_build_uses_leave_the_folder_after_a_month(photos: Repo, tmp_path: Path) -> None:
    build(photos.root, tmp_path / "site", now=NOW)
    folder = state_dir(photos.root) / "copies"
    used = sorted(p.name for p in folder.glob("*.webp"))
    month_ago = time.time() - images.UNUSED_FOR - 60
    for name in ("0" * 64 + ".webp", ".left-by-a-killed-writer.webp.123.tmp"):
        (folder / name).write_bytes(webp(480, 240, "red"))
    for p in folder.iterdir():
        os.utime(p, (month_ago, month_ago))  # (the copies in use are as old: kept)
    (folder / ("1" * 64 + ".webp")).write_bytes(webp(480, 240, "blue"))  # unused, made today: kept
    build(photos.root, tmp_path / "other", now=NOW)  # (into another folder: a complete build)
    assert sorted(p.name for p in folder.glob("*.webp")) == sorted([*used, "1" * 64 + ".webp"])
    assert not list(folder.glob(".*.tmp"))
    assert (tmp_path / "other" / PAGE / "big.jpg.480w.webp").is_file()


SCANNED = """\
---
title: A letter in two scans
state: published
date: 2012-10-20
source:
  scans:
    - page-1.jpg
    - /media/envelope.jpg
    - stamp.jpg
---
The letter, transcribed.
"""
SCANNED_PAGE = "2012/10/20/scanned/"


@pytest.mark.parametrize("base_url, relative", [("https://blog.example.org/", False),
                                                ("https://example.org/archive/", False),
                                                ("https://example.org/archive/", True)])
def test_the_scans_of_the_original_are_offered_with_their_copies(
        repo: Repo, tmp_path: Path, base_url: str, relative: bool) -> None:
    """A large scan, in the bundle or in media/, has the srcset and sizes of the text's
    images, naming copies that are on the site (under a sub-path, and from the page's
    folder in a --relative-links preview); one narrower than 533 px has none."""
    repo.write("gulagpub.toml", repo.read("gulagpub.toml").replace('"https://blog.example.org/"', f'"{base_url}"'))
    repo.write("posts/scanned/index.md", SCANNED)
    repo.write("posts/scanned/page-1.jpg", jpeg(2000, 2800))
    repo.write("media/envelope.jpg", jpeg(1100, 500))
    repo.write("posts/scanned/stamp.jpg", jpeg(520, 600))
    repo.commit("A letter in scans")
    out = tmp_path / "site"
    build(repo.root, out, now=NOW, relative_links=relative)
    html = (out / SCANNED_PAGE / "index.html").read_text()
    section = html[html.index('<section class="scans"'):html.index("</section>", html.index('<section class="scans"'))]
    imgs = {re.search(r'src="([^"]*)"', i).group(1).rpartition("/")[2]: i for i in re.findall(r"<img\b[^>]*>", section)}
    assert sorted(imgs) == ["envelope.jpg", "page-1.jpg", "stamp.jpg"]
    prefix = "/archive/" if "archive" in base_url else "/"

    def candidates(img: str) -> list[tuple[str, str]]:
        srcset = re.search(r'srcset="([^"]*)"', img)
        assert srcset is not None, img
        assert 'sizes="(max-width: 42rem) calc(100vw - 2rem), 40rem"' in img, img
        return [(url, width) for url, width in (c.split(" ") for c in srcset.group(1).split(", "))]

    for name, widths, original in (("page-1.jpg", ["480w", "960w", "1600w"], "2000w"),
                                   ("envelope.jpg", ["480w", "960w"], "1100w")):
        found = candidates(imgs[name])
        assert [w for _, w in found] == [*widths, original], found
        src = re.search(r'src="([^"]*)"', imgs[name]).group(1)
        assert [u for u, _ in found] == [f"{src}.{w}.webp" for w in widths] + [src], found
        for url, _ in found:  # (each a file of the built site, as the page's links reach it)
            file = out / SCANNED_PAGE / url if relative else out / url.removeprefix(prefix)
            assert file.is_file(), url
            assert relative == url.startswith("../") and relative != url.startswith(prefix), url
    assert "srcset" not in imgs["stamp.jpg"] and "sizes" not in imgs["stamp.jpg"]
    assert 'width="520" height="600" loading="lazy">' in imgs["stamp.jpg"]
    assert not list((out / SCANNED_PAGE).glob("stamp.jpg.*"))


NAMED_LIKE_COPIES = """\
---
title: Photos of Vicente Monclús
state: {state}
date: 2012-10-20
source:
  scans:
    - scan.jpg
    - scan.jpg.960w.webp
---
The photos.

![The scan](scan.jpg)

![A copy made by hand](scan.jpg.480w.webp)

![Beside a small photo](small.jpg.480w.webp) and ![](small.jpg "decorative")

![No such copy of the map](map.png.1600w.webp) and ![The map](map.png)

![A poster's copy](/media/poster.jpg.960w.webp)
"""


def named_like_copies(repo: Repo, state: str) -> Repo:
    repo.write("posts/photos/index.md", NAMED_LIKE_COPIES.format(state=state))
    repo.write("posts/photos/scan.jpg", jpeg(2000, 1000))
    for name in ("scan.jpg.480w.webp", "scan.jpg.960w.webp", "small.jpg.480w.webp", "map.png.1600w.webp"):
        repo.write(f"posts/photos/{name}", webp(300, 200, "blue"))
    repo.write("posts/photos/small.jpg", jpeg(500, 400))
    repo.write("posts/photos/map.png", png(1000, 700))
    repo.write("media/poster.jpg.960w.webp", webp(300, 200, "blue"))
    repo.write("media/poster.jpg", jpeg(1200, 1600))
    repo.write("posts/poster.md", "---\ntitle: The poster\nstate: draft\n---\n![The poster](/media/poster.jpg)\n")
    repo.commit("Files named like copies")
    return repo


def taken(name: str, width: int, original: str, folder: str = "posts/photos") -> str:
    return (f"cannot be published: its name is taken by the {width} px copy of {original}, published beside it; "
            f"rename {name} (`git mv {folder}/{name} {folder}/NEW-NAME.webp`) and the references to it")


def test_a_file_named_like_the_copy_of_an_image_beside_it_is_an_error_at_its_line(repo: Repo) -> None:
    """`scan.jpg.480w.webp` beside a scan.jpg published with a 480 px copy would be
    published at the copy's path: check names it (in the text, in the scans, in media/
    when another post publishes the image) and says to rename it; a name no copy
    takes (no copy 1600 px wide of a map 1000 px wide, none at all of a small photo) is fine."""
    from gulagpub.content import load

    named_like_copies(repo, "draft")
    assert [str(p) for p in load(repo.root).problems] == [
        "posts/photos/index.md:8: scan 'scan.jpg.960w.webp' (posts/photos/scan.jpg.960w.webp) "
        + taken("scan.jpg.960w.webp", 960, "scan.jpg"),
        "posts/photos/index.md:14: 'scan.jpg.480w.webp' (posts/photos/scan.jpg.480w.webp) "
        + taken("scan.jpg.480w.webp", 480, "scan.jpg"),
        "posts/photos/index.md:20: '/media/poster.jpg.960w.webp' (media/poster.jpg.960w.webp) "
        + taken("poster.jpg.960w.webp", 960, "poster.jpg", "media"),
    ]


def test_the_build_stops_at_a_file_named_like_a_copy_and_never_publishes_it_for_the_copy(
        repo: Repo, tmp_path: Path) -> None:
    """A published post: the build stops with the check's message, the site untouched;
    a draft in a preview: the file is left out with a warning, and the path holds the copy."""
    from gulagpub.errors import BuildError

    out = tmp_path / "site"
    build(repo.root, out, now=NOW)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    named_like_copies(repo, "published")
    with pytest.raises(BuildError) as err:
        build(repo.root, out, now=NOW)
    assert ("posts/photos/index.md:14: 'scan.jpg.480w.webp' (posts/photos/scan.jpg.480w.webp) "
            + taken("scan.jpg.480w.webp", 480, "scan.jpg")) in str(err.value)
    assert "two pages want the same path" not in str(err.value)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    repo.write("posts/photos/index.md", NAMED_LIKE_COPIES.format(state="draft"))
    repo.commit("Back to a draft")
    result = build(repo.root, out, now=NOW, drafts=True)
    assert ("posts/photos/index.md: posts/photos/scan.jpg.480w.webp "
            + taken("scan.jpg.480w.webp", 480, "scan.jpg") + ": left out of the site") in map(str, result.warnings)
    for name, width in (("scan.jpg.480w.webp", 480), ("scan.jpg.960w.webp", 960),
                        ("../../../../media/poster.jpg.960w.webp", 960)):
        with Image.open(out / PAGE / name) as im:
            assert im.size[0] == width, name  # (the copy, not the blue file of 300 px)
    for name in ("small.jpg.480w.webp", "map.png.1600w.webp"):  # (no copy takes their names: published as they are)
        assert (out / PAGE / name).read_bytes() == (repo.root / "posts/photos" / name).read_bytes()


def test_an_image_grown_large_enough_for_copies_takes_the_name_of_a_file_beside_it(
        repo: Repo, tmp_path: Path) -> None:
    """The next build after scan.jpg is replaced by a large one (its copies new) stops
    at the scan.jpg.480w.webp published before, as a first build would."""
    from gulagpub.errors import BuildError

    repo.write("posts/photos/index.md", PHOTOS.split("The photos.")[0]
               + "![The scan](scan.jpg)\n\n![A detail](scan.jpg.480w.webp)\n")
    repo.write("posts/photos/scan.jpg", jpeg(500, 400))
    repo.write("posts/photos/scan.jpg.480w.webp", webp(300, 200, "blue"))
    repo.commit("A scan and a detail")
    out = tmp_path / "site"
    build(repo.root, out, now=NOW)
    assert (out / PAGE / "scan.jpg.480w.webp").read_bytes() == (repo.root / "posts/photos/scan.jpg.480w.webp").read_bytes()
    repo.write("posts/photos/scan.jpg", jpeg(2000, 1600))
    repo.commit("The scan at full size")
    with pytest.raises(BuildError, match=r"posts/photos/index\.md:8: 'scan\.jpg\.480w\.webp' .* its name is taken "
                                         r"by the 480 px copy of scan\.jpg"):
        build(repo.root, out, now=NOW)


def test_only_a_whole_webp_file_of_the_user_s_in_the_folder_is_linked(tmp_path: Path) -> None:
    """A FIFO (never opened for reading: it would block), a link, a file cut short: made again."""
    whole = tmp_path / "whole.webp"
    whole.write_bytes(webp(48, 24, "red"))
    assert images._whole_webp(whole)
    (tmp_path / "short.webp").write_bytes(whole.read_bytes()[:-1])
    os.mkfifo(tmp_path / "fifo.webp")
    (tmp_path / "link.webp").symlink_to(whole)
    for name in ("short.webp", "fifo.webp", "link.webp", "missing.webp"):
        assert not images._whole_webp(tmp_path / name), name
