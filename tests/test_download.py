"""Fetching the old blog's files (download.py) and placing them (wpmedia.py):
real bytes over real HTTP from a server on 127.0.0.1, each way a host fails
reported, nothing half-written, and a second run finishing the first."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gulagpub import wpmedia
from gulagpub.download import Fetch, Settings, fetch_all, judge
from gulagpub.wpmarkup import Attachment
from media_server import MediaServer, jpeg, pdf, png

# Short, so that the slow server and the retries cost a fraction of a second.
FAST = Settings(connect_timeout=1.0, read_timeout=0.3, deadline=2.0, retries=2, backoff=0.01, max_bytes=50_000)


@pytest.fixture
def server() -> Iterator[MediaServer]:
    s = MediaServer().start()
    yield s
    s.stop()


def test_the_bytes_must_be_what_the_server_says() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Site closed</title></head><body>gone</body></html>" * 3
    assert judge("image/jpeg", jpeg()) is None
    assert judge("application/pdf", pdf()) is None
    assert judge("application/octet-stream", png()) is None  # an unhelpful type, but real bytes
    assert "HTML page" in (judge("image/jpeg", page) or "")
    assert "HTML page" in (judge("application/octet-stream", page) or "")
    assert "bytes are image/png" in (judge("image/jpeg", png()) or "")
    assert "not such a file" in (judge("application/pdf", b"hello, world" * 10) or "")


def test_each_failure_is_reported_nothing_is_half_written_and_a_second_run_completes(
        server: MediaServer, tmp_path: Path) -> None:
    good, doc = jpeg(), pdf()
    page = b"<!DOCTYPE html><html><head><title>Error</title></head><body>" + b"x" * 600 + b"</body></html>"
    urls = {
        "posts/a/good.jpg": server.put("/up/good.jpg", good, "image/jpeg"),
        "media/doc.pdf": server.put("/up/doc.pdf", doc, "application/pdf"),
        "posts/a/flaky.png": server.put("/up/flaky.png", png(), "image/png"),
        "posts/a/gone.jpg": server.base_url + "/up/gone.jpg",
        "posts/a/slow.jpg": server.put("/up/slow.jpg", jpeg(), "image/jpeg", "slow", delay=1.0),
        "posts/a/cut.jpg": server.put("/up/cut.jpg", jpeg(), "image/jpeg", "truncated"),
        "posts/a/error.jpg": server.put("/up/error.jpg", page, "image/jpeg"),
        "media/big.jpg": server.put("/up/big.jpg", jpeg((800, 800), "red") + b"\0" * 60_000, "image/jpeg"),
    }
    server.fail("/up/flaky.png", 1)  # 500, then the file: the retry brings it
    jobs = [Fetch(u, d) for d, u in urls.items()]
    started = time.monotonic()
    first = fetch_all(tmp_path, jobs, FAST)
    assert time.monotonic() - started < 6

    assert sorted(first.fetched) == ["media/doc.pdf", "posts/a/flaky.png", "posts/a/good.jpg"]
    assert (tmp_path / "posts/a/good.jpg").read_bytes() == good
    assert (tmp_path / "media/doc.pdf").read_bytes() == doc
    reasons = {f.dest: f.reason for f in first.failed}
    assert set(reasons) == {"posts/a/gone.jpg", "posts/a/slow.jpg", "posts/a/cut.jpg", "posts/a/error.jpg",
                            "media/big.jpg"}
    assert "HTTP 404" in reasons["posts/a/gone.jpg"] and "gone from the old site" in reasons["posts/a/gone.jpg"]
    assert "too slow" in reasons["posts/a/slow.jpg"]
    assert "of 1," in reasons["posts/a/cut.jpg"] or "ended after" in reasons["posts/a/cut.jpg"], reasons
    assert "HTML page" in reasons["posts/a/error.jpg"] and "image/jpeg" in reasons["posts/a/error.jpg"]
    assert "more than the 50,000" in reasons["media/big.jpg"]
    assert server.hits["/up/flaky.png"] == 2
    # Nothing half: no failed file has its name, no temporary file is left.
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["media/doc.pdf", "posts/a/flaky.png", "posts/a/good.jpg"]

    # The host mends; the second run fetches only what the first could not.
    server.put("/up/gone.jpg", jpeg(), "image/jpeg")
    server.put("/up/slow.jpg", jpeg(), "image/jpeg")
    server.put("/up/cut.jpg", jpeg(), "image/jpeg")
    server.put("/up/error.jpg", jpeg(), "image/jpeg")
    before = dict(server.hits)
    second = fetch_all(tmp_path, jobs, FAST)
    assert sorted(second.fetched) == ["posts/a/cut.jpg", "posts/a/error.jpg", "posts/a/gone.jpg", "posts/a/slow.jpg"]
    assert sorted(second.present) == ["media/doc.pdf", "posts/a/flaky.png", "posts/a/good.jpg"]
    assert [f.dest for f in second.failed] == ["media/big.jpg"]
    assert server.hits["/up/good.jpg"] == before["/up/good.jpg"]  # not fetched again


def _left(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _noise(n: int) -> bytes:
    """A real JPEG of at least `n` bytes (noise does not compress)."""
    import io
    import random

    from PIL import Image

    side = int(n ** 0.5) + 1
    rnd = random.Random(n)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3)).save(out, "JPEG", quality=95)
    assert len(out.getvalue()) >= n
    return out.getvalue()


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_a_download_cut_off_part_way_is_resumed_where_it_stopped(server: MediaServer, tmp_path: Path,
                                                                 validator: str) -> None:
    body = _noise(20_000)
    cut = 7_000
    stamp = {"etag": '"v1-abc"'} if validator == "etag" else {"last_modified": "Tue, 01 May 2012 10:00:00 GMT"}
    url = server.put("/up/scan.jpg", body, "image/jpeg", cut=cut, **stamp)
    job = Fetch(url, "posts/a/scan.jpg")

    first = fetch_all(tmp_path, [job], FAST)
    (failure,) = first.failed
    assert f"ended after 7,000 of {len(body):,} bytes" in failure.reason and "run again to fetch the rest" in failure.reason
    assert not (tmp_path / "posts/a/scan.jpg").exists()  # nothing half at the file's name
    assert (tmp_path / "posts/a/scan.jpg.gulagpub-tmp").read_bytes() == body[:cut]  # its bytes so far, kept
    assert "Range" not in server.seen["/up/scan.jpg"][0]

    second = fetch_all(tmp_path, [job], FAST)
    assert second.fetched == second.resumed == ["posts/a/scan.jpg"] and second.failed == []
    asked = server.seen["/up/scan.jpg"][-1]
    assert asked["Range"] == f"bytes={cut}-"
    assert asked["If-Range"] == next(iter(stamp.values()))
    assert (tmp_path / "posts/a/scan.jpg").read_bytes() == body
    assert _left(tmp_path) == ["posts/a/scan.jpg"]


def test_a_file_too_slow_to_finish_in_its_time_is_resumed_by_the_next_run(server: MediaServer,
                                                                          tmp_path: Path) -> None:
    body = _noise(30_000)
    url = server.put("/up/scan.jpg", body, "image/jpeg", "drip", delay=0.1, etag='"s"')  # 3 s: past FAST's 2 s
    job = Fetch(url, "posts/a/scan.jpg")
    (failure,) = fetch_all(tmp_path, [job], FAST).failed
    assert failure.reason == "not complete after 2 s (the server is too slow); run again to fetch the rest"
    kept = (tmp_path / "posts/a/scan.jpg.gulagpub-tmp").stat().st_size
    assert 0 < kept < len(body)
    server.put("/up/scan.jpg", body, "image/jpeg", etag='"s"')  # the host is quicker now
    second = fetch_all(tmp_path, [job], FAST)
    assert second.resumed == ["posts/a/scan.jpg"] and server.seen["/up/scan.jpg"][-1]["Range"] == f"bytes={kept}-"
    assert (tmp_path / "posts/a/scan.jpg").read_bytes() == body


def test_a_server_that_ignores_ranges_sends_the_whole_file_again(server: MediaServer, tmp_path: Path) -> None:
    body = _noise(20_000)
    url = server.put("/up/scan.jpg", body, "image/jpeg", etag='"v1"', ranges=False, cut=9_000)
    job = Fetch(url, "posts/a/scan.jpg")
    assert fetch_all(tmp_path, [job], FAST).failed
    second = fetch_all(tmp_path, [job], FAST)
    assert server.seen["/up/scan.jpg"][-1]["Range"] == "bytes=9000-"  # asked, and answered with 200
    assert second.fetched == ["posts/a/scan.jpg"] and second.resumed == []
    assert (tmp_path / "posts/a/scan.jpg").read_bytes() == body  # not the first part twice
    assert _left(tmp_path) == ["posts/a/scan.jpg"]


def test_a_file_changed_since_the_cut_is_fetched_whole_not_spliced(server: MediaServer, tmp_path: Path) -> None:
    old, new = _noise(20_000), _noise(25_000)
    url = server.put("/up/scan.jpg", old, "image/jpeg", etag='"v1"', cut=8_000)
    job = Fetch(url, "posts/a/scan.jpg")
    assert fetch_all(tmp_path, [job], FAST).failed
    server.put("/up/scan.jpg", new, "image/jpeg", etag='"v2"')  # replaced on the old site meanwhile
    second = fetch_all(tmp_path, [job], FAST)
    asked = server.seen["/up/scan.jpg"][-1]
    assert asked["Range"] == "bytes=8000-" and asked["If-Range"] == '"v1"'  # If-Range: no longer the file
    assert second.fetched == ["posts/a/scan.jpg"] and second.resumed == []
    assert (tmp_path / "posts/a/scan.jpg").read_bytes() == new


def test_a_cut_answer_without_a_validator_is_not_kept_nor_resumed(server: MediaServer, tmp_path: Path) -> None:
    body = _noise(20_000)
    url = server.put("/up/scan.jpg", body, "image/jpeg", cut=5_000)  # no ETag, no Last-Modified
    job = Fetch(url, "posts/a/scan.jpg")
    (failure,) = fetch_all(tmp_path, [job], FAST).failed
    assert "ended after 5,000 of" in failure.reason and "run again to fetch the rest" not in failure.reason
    assert _left(tmp_path) == []  # bytes it could not prove the rest of belongs to are dropped
    second = fetch_all(tmp_path, [job], FAST)
    assert "Range" not in server.seen["/up/scan.jpg"][-1]
    assert (tmp_path / "posts/a/scan.jpg").read_bytes() == body and second.resumed == []


def test_a_resumed_file_is_checked_whole_before_it_takes_its_name(server: MediaServer, tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>Closed</title></head><body>" + b"x" * 20_000 + b"</body></html>"
    url = server.put("/up/scan.jpg", page, "image/jpeg", etag='"e"', cut=100)  # the cut comes before 512 bytes
    job = Fetch(url, "posts/a/scan.jpg")
    assert "ended after 100 of" in fetch_all(tmp_path, [job], FAST).failed[0].reason
    (failure,) = fetch_all(tmp_path, [job], FAST).failed
    assert server.seen["/up/scan.jpg"][-1]["Range"] == "bytes=100-"
    assert "HTML page" in failure.reason
    assert _left(tmp_path) == []


def test_a_server_that_keeps_failing_is_retried_then_reported(server: MediaServer, tmp_path: Path) -> None:
    url = server.put("/x.jpg", jpeg(), "image/jpeg")
    server.fail("/x.jpg", 10)
    out = fetch_all(tmp_path, [Fetch(url, "media/x.jpg")], FAST)
    assert server.hits["/x.jpg"] == 3  # the first try and FAST's two retries
    assert "500" in out.failed[0].reason
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").iterdir())


def test_a_place_outside_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo/media").symlink_to(tmp_path / "outside")
    out = fetch_all(tmp_path / "repo", [Fetch("http://127.0.0.1:9/x.jpg", "media/x.jpg")], FAST)
    assert "leaves the repository" in out.failed[0].reason


# --- where the files go (pure) -------------------------------------------------

SITE = wpmedia.OldSite.of("https://old.example.com")
UP = "https://old.example.com/wp-content/uploads/2012/05/"


def uses(wp_id: int, body: str, *, path: str = "", bundle: bool = True, thumbnail: int = 0,
         links: tuple[str, ...] = ()) -> wpmedia.Uses:
    return wpmedia.Uses(wp_id=wp_id, path=path or f"posts/2012-05-0{wp_id}-p{wp_id}.md", bundle=bundle,
                        body=body, new_path=f"/2012/05/0{wp_id}/p{wp_id}/", links=links, thumbnail=thumbnail)


def test_a_file_one_post_uses_goes_into_its_bundle_and_a_shared_one_to_media() -> None:
    one = uses(1, f'![Harbour]({UP}harbour.jpg?w=300) and <a href="{UP}harbour.jpg">big</a> and {UP}letter.pdf',
               thumbnail=7)
    two = uses(2, f"![Yard]({UP}yard.jpg) ![Harbour]({UP}harbour.jpg)")
    page = uses(3, "![Map](http://old.example.com/wp-content/uploads/2012/05/map.png)",
                path="pages/about.md", bundle=False)
    attachments = {
        7: Attachment(id=7, url=f"{UP}cover.jpg", alt="The cover", parent=1),
        8: Attachment(id=8, url=f"{UP}unused.jpg", parent=0),
        9: Attachment(id=9, url=f"{UP}Scan%20p1.JPG", parent=2),
    }
    plan = wpmedia.place(SITE, [one, two, page], attachments)
    dests = {p.url.rsplit("/", 1)[-1]: p.dest for p in plan.files.values()}
    assert dests == {
        "harbour.jpg": "media/2012/05/harbour.jpg",  # used by two posts
        "letter.pdf": "posts/2012-05-01-p1/letter.pdf",
        "cover.jpg": "posts/2012-05-01-p1/cover.jpg",  # its featured image, attached to it
        "yard.jpg": "posts/2012-05-02-p2/yard.jpg",
        "Scan%20p1.JPG": "posts/2012-05-02-p2/Scan-p1.JPG",  # attached to it, used by none
        "map.png": "media/2012/05/map.png",  # a page is not a bundle
        "unused.jpg": "media/2012/05/unused.jpg",
    }
    assert plan.bundles == {1: "posts/2012-05-01-p1/index.md", 2: "posts/2012-05-02-p2/index.md"}
    # The copy is of the original file, not of WordPress's 300-pixel rendition.
    assert f"{UP}harbour.jpg" in [p.url for p in plan.files.values()]


def test_links_go_to_the_copies_and_to_the_new_pages_and_the_rest_stays() -> None:
    body = (f'![Harbour]({UP}harbour.jpg?w=300)\n\n<a href="{UP}harbour.jpg"><img src="{UP}letter.png" /></a>\n\n'
            "[the other letter](https://old.example.com/2012/05/02/p2/#comments), "
            "[by id](http://www.old.example.com/?p=2). "
            f"[gone]({UP}gone.jpg) [elsewhere](https://example.net/2012/05/02/p2/) "
            "[a page we do not have](https://old.example.com/shop/)")
    one = uses(1, body)
    two = uses(2, "", links=("/2012/05/02/p2/", "/?p=2"))
    plan = wpmedia.place(SITE, [one, two], {})
    present = {k: p.dest for k, p in plan.files.items() if not p.dest.endswith("gone.jpg")}
    out = wpmedia.rewrite(SITE, body, "posts/2012-05-01-p1/index.md", plan, present)
    assert out == ("![Harbour](harbour.jpg)\n\n<a href=\"harbour.jpg\"><img src=\"letter.png\" /></a>\n\n"
                   "[the other letter](/2012/05/02/p2/#comments), [by id](/2012/05/02/p2/). "
                   f"[gone]({UP}gone.jpg) [elsewhere](https://example.net/2012/05/02/p2/) "
                   "[a page we do not have](https://old.example.com/shop/)")


def test_names_in_a_bundle_are_safe_and_never_collide() -> None:
    body = (f"![a]({UP}scan.jpg) ![b](https://old.example.com/wp-content/uploads/2013/01/scan.jpg) "
            f"![c]({UP}index.md) ![d]({UP}%D0%BF%D0%B8%D1%81%D1%8C%D0%BC%D0%BE.pdf)")
    plan = wpmedia.place(SITE, [uses(1, body)], {})
    assert sorted(p.dest for p in plan.files.values()) == [
        "posts/2012-05-01-p1/file.pdf", "posts/2012-05-01-p1/scan-2.jpg", "posts/2012-05-01-p1/scan.jpg"]
    # (index.md is not among the uploads' suffixes: it stays a link to the old site)


def test_a_host_that_is_gone_is_reported_in_words(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on any more: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = fetch_all(tmp_path, [Fetch(f"http://127.0.0.1:{port}/x.jpg", "media/x.jpg")], FAST)
    (failure,) = out.failed
    assert failure.reason.startswith("cannot connect (") and "refused" in failure.reason.lower()
    assert "object at 0x" not in failure.reason
    assert not (tmp_path / "media/x.jpg").exists()


def test_progress_counts_the_files_and_the_bytes_of_a_large_one(server: MediaServer, tmp_path: Path) -> None:
    big = pdf() + b"%" + b"\0" * 700_000
    jobs = [Fetch(server.put("/up/big.pdf", big, "application/pdf"), "media/big.pdf"),
            Fetch(server.put("/up/a.jpg", jpeg(), "image/jpeg"), "media/a.jpg")]
    heard: list[tuple[str, int, int]] = []
    settings = Settings(connect_timeout=1.0, read_timeout=1.0, deadline=5.0, retries=0, max_bytes=1_000_000)
    out = fetch_all(tmp_path, jobs, settings, progress=lambda *e: heard.append(e))
    assert out.failed == []
    assert heard[0] == ("downloading", 0, 2) and heard[-1] == ("downloading", 2, 2)
    received = [e for e in heard if e[0] == "receiving"]
    assert [got // 262_144 for _, got, _ in received] == [1, 2]  # every 256 KiB of the large one
    assert all(total == len(big) for _, _, total in received)
    assert heard.index(("downloading", 1, 2)) > heard.index(received[-1])


# --- a folder that cannot be written, a disk that is full -----------------------

@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only: by its permissions, or for root (whom permissions
    do not stop) as a read-only bind mount of itself."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root, and this system does not let a test mount a folder read-only")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@contextlib.contextmanager
def full_disk(folder: Path, size: str = "64k") -> Iterator[None]:
    """`folder` on a file system of `size` (a tmpfs: needs root and mount)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("a full disk is made with a small tmpfs, which needs root and mount")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_read_only_folder_is_a_reason_naming_what_to_do(server: MediaServer, tmp_path: Path) -> None:
    url = server.put("/up/a.jpg", jpeg(), "image/jpeg")
    with read_only(tmp_path / "posts"):
        out = fetch_all(tmp_path, [Fetch(url, "posts/a/a.jpg"), Fetch(url, "posts/b.jpg")], FAST)
    assert [f.dest for f in out.failed] == ["posts/a/a.jpg", "posts/b.jpg"] and out.fetched == []
    for f in out.failed:
        assert f.url == url
        assert f.reason.startswith("cannot write it: ")
        assert ("permission denied: check the owner and permissions of the folder" in f.reason
                or "the file system is read-only: choose a folder on a writable disk" in f.reason), f.reason
    assert _left(tmp_path) == []


def test_a_full_disk_is_a_reason_naming_what_to_do_and_leaves_no_part(server: MediaServer, tmp_path: Path) -> None:
    url = server.put("/up/big.pdf", pdf() + b"%" + b"\0" * 200_000, "application/pdf", etag='"p"')
    small = server.put("/up/a.jpg", jpeg(), "image/jpeg")
    roomy = Settings(connect_timeout=1.0, read_timeout=1.0, deadline=5.0, retries=0, max_bytes=1_000_000)
    with full_disk(tmp_path / "media"):
        out = fetch_all(tmp_path, [Fetch(url, "media/big.pdf"), Fetch(small, "media/a.jpg")], roomy)
        assert out.fetched == ["media/a.jpg"]
        (failure,) = out.failed
        assert failure.reason == "cannot write it: no space left on the disk: free some space and run again"
        assert _left(tmp_path) == ["media/a.jpg"]  # the part that did not fit is not left filling the disk


def test_a_part_as_long_as_the_file_is_fetched_whole_when_the_server_says_416(server: MediaServer,
                                                                            tmp_path: Path) -> None:
    """A run that stopped between the last byte and the rename left the whole
    file as a part: asking for the bytes after its end is refused (416), and
    the file is fetched again from the first byte."""
    import json

    body = jpeg()
    url = server.put("/up/a.jpg", body, "image/jpeg", etag='"a"')
    (tmp_path / "media").mkdir()
    (tmp_path / "media/a.jpg.gulagpub-tmp").write_bytes(body)
    (tmp_path / "media/a.jpg.resume.gulagpub-tmp").write_text(json.dumps({"url": url, "validator": '"a"'}))
    out = fetch_all(tmp_path, [Fetch(url, "media/a.jpg")], FAST)
    assert out.fetched == ["media/a.jpg"] and out.resumed == [] and out.failed == []
    assert [h.get("Range") for h in server.seen["/up/a.jpg"]] == [f"bytes={len(body)}-", None]
    assert (tmp_path / "media/a.jpg").read_bytes() == body and _left(tmp_path) == ["media/a.jpg"]


def test_a_part_left_as_a_symbolic_link_is_not_followed(server: MediaServer, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    (tmp_path / "repo/media").mkdir(parents=True)
    (tmp_path / "repo/media/a.jpg.gulagpub-tmp").symlink_to(outside)
    url = server.put("/up/a.jpg", jpeg(), "image/jpeg", etag='"a"')
    out = fetch_all(tmp_path / "repo", [Fetch(url, "media/a.jpg")], FAST)
    assert out.fetched == ["media/a.jpg"] and "Range" not in server.seen["/up/a.jpg"][0]
    assert outside.read_bytes() == b"keep me"
