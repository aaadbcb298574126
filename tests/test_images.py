"""Images and files on the site: sizes, lazy loading, types and sizes of linked
files, EXIF location left out of published copies, alt text required."""

from __future__ import annotations

import io
import os
import random
import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import ALICE, BORIS, Repo, act_as
from gulagpub import editorial
from gulagpub.build import build
from gulagpub.content import load
from gulagpub.errors import WorkflowError
from sitehelp import GPS_IFD, MAKE, NOW, jpeg, png

LETTER = """\
---
title: Letter of Mollie Steimer
state: published
date: 2012-10-20
---
The letter, transcribed.

![Page 1 of the letter](scan-p1.jpg)

![](rule.png "decorative")

[The PDF of the letter](letter.pdf) and [the photo](/media/steimer.png).
"""


@pytest.fixture
def blog(repo: Repo) -> Repo:
    repo.write("posts/letter/index.md", LETTER)
    repo.write("posts/letter/scan-p1.jpg", jpeg(640, 480, gps=True))
    repo.write("posts/letter/rule.png", png(300, 4))
    repo.write("posts/letter/letter.pdf", b"%PDF-1.4\n" + b"x" * 2491)
    repo.write("media/steimer.png", png(20, 30))
    repo.commit("The letter with its scan")
    return repo


def test_images_get_their_size_and_lazy_loading_and_files_their_type_and_size(blog: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(blog.root, out, now=NOW)
    page = (out / "2012/10/20/letter/index.html").read_text()
    imgs = re.findall(r"<img\b[^>]*>", page)
    assert any('src="scan-p1.jpg"' in i and 'width="640" height="480"' in i and 'loading="lazy"' in i
               and 'alt="Page 1 of the letter"' in i for i in imgs), imgs
    assert any('src="rule.png"' in i and 'width="300" height="4"' in i for i in imgs), imgs
    assert re.search(r'href="letter.pdf"[^>]*>The PDF of the letter</a> <small class="file">\(PDF, 2.5 kB\)</small>',
                     page), page
    assert re.search(r'href="/media/steimer.png"[^>]*>the photo</a> <small class="file">\(PNG, \d+ bytes\)</small>',
                     page)


def test_published_photos_leave_out_where_they_were_taken(blog: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(blog.root, out, now=NOW)
    source, published = blog.root / "posts/letter/scan-p1.jpg", out / "2012/10/20/letter/scan-p1.jpg"
    with Image.open(source) as before, Image.open(published) as after:
        assert GPS_IFD in before.getexif() and GPS_IFD not in after.getexif()
        assert after.getexif()[MAKE] == "Zorki"  # the rest of the EXIF stays
        assert before.tobytes() == after.tobytes()  # the image itself is not encoded again
    assert b"Zorki" in published.read_bytes()
    # A file without a location is linked as it is (the same inode), never read.
    assert os.stat(out / "media/steimer.png").st_ino == os.stat(blog.root / "media/steimer.png").st_ino
    # A photo replaced by one without a location is then linked too.
    (blog.root / "posts/letter/new.jpg").write_bytes(jpeg(640, 480, gps=False))
    os.replace(blog.root / "posts/letter/new.jpg", source)
    build(blog.root, out, now=NOW)
    assert os.stat(published).st_ino == os.stat(source).st_ino


def test_an_image_without_alt_text_is_reported_and_stops_submit_and_approve(repo: Repo) -> None:
    repo.write("posts/scan/index.md", "---\ntitle: A scan\nstate: draft\n---\n\nThe text.\n\n![](p1.jpg)\n")
    repo.write("posts/scan/p1.jpg", jpeg(10, 10, gps=False))
    repo.commit("A scan without alt text", who=BORIS)
    (problem,) = [str(p) for p in load(repo.root).problems]
    assert problem.startswith("posts/scan/index.md:8: an image without alt text; describe the image for "
                              "readers who cannot see it")
    act_as(repo.root, ALICE)
    with pytest.raises(WorkflowError, match="posts/scan/index.md:8: .*describe the image for readers who cannot see"):
        editorial.submit(repo.root, "scan")
    repo.write("posts/scan/index.md", "---\ntitle: A scan\nstate: review\n---\n\nThe text.\n\n![](p1.jpg)\n")
    repo.commit("In review", who=BORIS)
    with pytest.raises(WorkflowError, match="describe the image for readers who cannot see it"):
        editorial.approve(repo.root, "scan", NOW)
    repo.write("posts/scan/index.md", "---\ntitle: A scan\nstate: review\n---\n\nThe text.\n\n"
                                      "![The first page, typed](p1.jpg)\n")
    repo.commit("Alt text", who=BORIS)
    editorial.approve(repo.root, "scan", NOW)
    assert load(repo.root).find("scan").state.value == "approved"


HTML_SCANS = """\
---
title: Scans in HTML
state: draft
---

The text.

<p><img src="p1.jpg" width="10"></p>
<figure><IMG SRC='p2.jpg' ALT=''></figure>
<img src="p3.jpg" alt="   ">
<img src="p4.jpg" alt="The second page, typed"> <img src="p5.jpg" alt="" title="decorative">

`<img src="p6.jpg">` in a code span is not an image.

    <img src="p7.jpg">
"""


def submit_and_approve_are_refused(repo: Repo, draft: str, submit_line: int, approve_line: int) -> None:
    """Alice's submit of the draft posts/scan (`draft`, committed) is refused at
    `submit_line`, and once it is in review her approval at `approve_line`."""
    act_as(repo.root, ALICE)
    with pytest.raises(WorkflowError,
                       match=f"posts/scan/index.md:{submit_line}: .*describe the image for readers who cannot see"):
        editorial.submit(repo.root, "scan")
    repo.write("posts/scan/index.md", draft.replace("state: draft", "state: review"))
    repo.commit("In review", who=BORIS)
    with pytest.raises(WorkflowError, match=f"posts/scan/index.md:{approve_line}: .*in its alt attribute"):
        editorial.approve(repo.root, "scan", NOW)


def test_an_html_image_without_alt_text_is_reported_and_stops_submit_and_approve(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/scan/index.md", HTML_SCANS)
    for n in range(1, 6):
        repo.write(f"posts/scan/p{n}.jpg", jpeg(10, 10, gps=False))
    repo.commit("Scans in inline HTML without alt text", who=BORIS)
    problems = [str(p) for p in load(repo.root).problems]
    how = ("an image without alt text; describe the image for readers who cannot see it: write what it shows "
           'in its alt attribute, <img src="{0}" alt="Page 1 of the letter">; an image that only decorates says '
           'so in its title, with an empty alt: <img src="{0}" alt="" title="decorative">')
    assert problems == [f"posts/scan/index.md:8: {how.format('p1.jpg')}",
                        f"posts/scan/index.md:9: {how.format('p2.jpg')}",
                        f"posts/scan/index.md:10: {how.format('p3.jpg')}"]
    submit_and_approve_are_refused(repo, HTML_SCANS, 8, 9)
    fixed = (HTML_SCANS.replace("state: draft", "state: review").replace('width="10"', 'alt="Page 1" width="10"')
             .replace("ALT=''", "ALT='Page 2' title='Scan: IISH'").replace('alt="   "', 'alt="" title="Decorative"'))
    repo.write("posts/scan/index.md", fixed)
    repo.commit("Alt text", who=BORIS)
    assert load(repo.root).problems == []
    editorial.approve(repo.root, "scan", NOW)
    assert load(repo.root).find("scan").state.value == "approved"
    # The decorative image is published with its empty alt (the HTML checkers' rule), the others with theirs.
    out = tmp_path / "site"
    build(repo.root, out, now=NOW, drafts=True)
    page = next(out.rglob("scan/index.html")).read_text()
    imgs = re.findall(r"<img\b[^>]*>", page)
    assert all(re.search(r'\balt="[^"]', i) or 'alt=""' in i and 'title="decorative"' in i.lower()
               for i in imgs) and len(imgs) == 5, imgs


SPREAD_SCANS = """\
---
title: Scans in HTML over several lines
state: draft
---

The text.

<figure><img
    src="p1.jpg"
    width="10"></figure>

Before <img src="p2.jpg"
  alt="The second page, typed"> and <img
  src="p3.jpg"
  alt=""
  title="decorative">

<!-- <img src="old.jpg"> -->

<!--
<img
  src="older.jpg">
-->

```
<img
  src="p4.jpg">
```
"""


def test_an_html_image_over_several_lines_is_checked_at_the_line_of_its_tag(repo: Repo) -> None:
    # WordPress exports and hand-written figures spread a tag over lines; one
    # commented out or in a code block is not shown, so not checked.
    from flow import gp

    repo.write("posts/scan/index.md", SPREAD_SCANS)
    for n in range(1, 4):
        repo.write(f"posts/scan/p{n}.jpg", jpeg(10, 10, gps=False))
    repo.commit("Scans in HTML over several lines", who=BORIS)
    run = gp(repo, "check")
    assert run.code == 1
    assert run.lines == ["posts/scan/index.md:8: an image without alt text; describe the image for readers who "
                         'cannot see it: write what it shows in its alt attribute, <img src="p1.jpg" alt="Page 1 of '
                         'the letter">; an image that only decorates says so in its title, with an empty alt: '
                         '<img src="p1.jpg" alt="" title="decorative">'], run.out
    submit_and_approve_are_refused(repo, SPREAD_SCANS, 8, 8)
    repo.write("posts/scan/index.md", SPREAD_SCANS.replace("state: draft", "state: review")
               .replace('    width="10">', '    alt="The first page"\n    width="10">'))
    repo.commit("Alt text", who=BORIS)
    run = gp(repo, "check")
    assert (run.code, run.out) == (0, ""), run.out
    editorial.approve(repo.root, "scan", NOW)
    assert load(repo.root).find("scan").state.value == "approved"


def test_the_lead_image_in_link_cards_and_feeds_and_media_links_absolute_under_a_sub_path(
        repo: Repo, tmp_path: Path, shared: Path) -> None:
    import json

    import feedparser

    from sitehelp import feedcheck

    config = repo.read("gulagpub.toml").replace('base_url = "https://blog.example.org/"',
                                                'base_url = "https://blog.example.org/archive/"')
    repo.write("gulagpub.toml", config)
    repo.write("posts/letter/index.md", LETTER.replace(
        "date: 2012-10-20\n", "date: 2012-10-20\nimage:\n  src: scan-p1.jpg\n  alt: Page 1 of the letter, handwritten\n"))
    scan = jpeg(640, 480, gps=True)
    repo.write("posts/letter/scan-p1.jpg", scan)
    repo.write("posts/letter/rule.png", png(300, 4))
    repo.write("posts/letter/letter.pdf", b"%PDF-1.4\n")
    repo.write("media/steimer.png", png(20, 30))
    repo.commit("The letter with its lead image")
    assert load(repo.root).problems == []
    out = tmp_path / "site"
    build(repo.root, out, now=NOW)
    base = "https://blog.example.org/archive/"
    lead = base + "2012/10/20/letter/scan-p1.jpg"
    published = (out / "2012/10/20/letter/scan-p1.jpg").read_bytes()  # (without its location: fewer bytes)

    page = (out / "2012/10/20/letter/index.html").read_text()
    assert f'<meta property="og:image" content="{lead}">' in page
    assert '<meta property="og:image:width" content="640">' in page
    assert '<meta property="og:image:alt" content="Page 1 of the letter, handwritten">' in page
    assert 'src="/archive/media/steimer.png"' not in page  # a link, in this text
    assert 'href="/archive/media/steimer.png"' in page

    atom = (out / "feed.atom").read_text()
    assert (f'<link href="{lead}" rel="enclosure" type="image/jpeg" length="{len(published)}"/>') in atom
    assert f'href="{base}media/steimer.png"' in atom and f'src="{lead}"' in atom.replace("&quot;", '"')
    rss = (out / "feed.rss").read_text()
    assert f'<enclosure url="{lead}" length="{len(published)}" type="image/jpeg"/>' in rss
    (item,) = json.loads((out / "feed.json").read_text())["items"]
    assert item["image"] == lead
    assert f'href="{base}media/steimer.png"' in item["content_html"]
    parsed = feedparser.parse(out / "feed.atom")
    assert [(e.href, e.type, e.length) for e in parsed.entries[0].enclosures] == [
        (lead, "image/jpeg", str(len(published)))]
    checked = feedcheck(shared, out / "feed.atom", out / "feed.rss", out / "feed.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- an image as a social network takes it (the announcer's lead image) ----------

TYPES = frozenset({"image/jpeg", "image/png"})


def test_fitted_is_the_file_itself_within_the_limits_a_jpeg_without_its_location(tmp_path):
    from gulagpub.images import fitted

    (tmp_path / "a.png").write_bytes(png(40, 30))
    assert fitted(tmp_path / "a.png", 10**6, 10**6, TYPES) == (png(40, 30), "image/png", "a.png", False)
    (tmp_path / "b.jpg").write_bytes(jpeg(40, 30, gps=True))
    sent = fitted(tmp_path / "b.jpg", 10**6, 10**6, TYPES)
    with Image.open(io.BytesIO(sent.data)) as im:
        assert not sent.resized and GPS_IFD not in im.getexif() and im.getexif()[MAKE] == "Zorki"


def test_fitted_over_the_bytes_pixels_or_types_is_a_smaller_jpeg_upright_on_white(tmp_path):
    from gulagpub.images import fitted

    noise = Image.frombytes("RGB", (400, 300), random.Random(5).randbytes(400 * 300 * 3))
    noise.save(tmp_path / "noise.png")
    sent = fitted(tmp_path / "noise.png", 60_000, 10**6, TYPES)
    assert sent.resized and sent.mime == "image/jpeg" and sent.name == "noise.jpg" and len(sent.data) <= 60_000
    # A photo taken sideways (EXIF orientation 6), transparent, and of a type the network does not take.
    im = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(tmp_path / "side.webp", "WEBP", exif=exif, lossless=True)
    sent = fitted(tmp_path / "side.webp", 10**6, 7500, TYPES)
    with Image.open(io.BytesIO(sent.data)) as out:
        assert out.format == "JPEG" and out.size == (50, 150) and dict(out.getexif()) == {}
        assert out.convert("RGB").getpixel((25, 75)) >= (250, 250, 250)  # transparency on white


def test_fitted_something_that_is_not_an_image_is_a_clear_error(tmp_path):
    from gulagpub.errors import ContentError
    from gulagpub.images import fitted

    (tmp_path / "scan.jpg").write_bytes(b"<html>not found</html>")
    with pytest.raises(ContentError, match=r"scan\.jpg: not an image that can be read"):
        fitted(tmp_path / "scan.jpg", 10**6, 10**6, TYPES)
