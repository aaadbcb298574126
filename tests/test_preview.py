"""`gulagpub serve`: the site on 127.0.0.1, rebuilt when a post changes."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sitehelp import bundled, wait_for_line


def test_serve_answers_on_localhost_and_rebuilds_after_an_edit(tmp_path: Path) -> None:
    root = bundled(tmp_path)
    exe = Path(sys.executable).parent / "gulagpub"
    proc = subprocess.Popen([str(exe), "-C", str(root), "serve", "--port", "0", "--out", str(tmp_path / "site")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = wait_for_line(proc, r"on (http://127\.0\.0\.1:\d+/)", 120, "serve did not say where it listens").group(1)
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "Vicente Monclús Guallar" in page
        post = root / "posts/2012-10-20-vicente-monclus-guallar.md"
        post.write_text(post.read_text().replace("title: Vicente", "title: Edited Vicente"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if "Edited Vicente" in urllib.request.urlopen(url, timeout=10).read().decode():
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the site was not rebuilt after the edit")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
