"""`gulagpub serve`: the site on 127.0.0.1, rebuilt when a post changes."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from gulagpub.build import build
from gulagpub.preview import make_server
from sitehelp import NOW, bundled, project_site, wait_for_line


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


def test_serve_puts_a_project_site_under_its_path_with_its_own_404(tmp_path: Path) -> None:
    root = project_site(tmp_path)
    build(root, tmp_path / "site", now=NOW)
    server = make_server(tmp_path / "site", 0, "/gulag/")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        home = urllib.request.urlopen(base + "/gulag/", timeout=10).read().decode()
        # Every link of the page resolves as the host will resolve it.
        for href in re.findall(r'(?:href|src)="(/[^"]*)"', home):
            assert urllib.request.urlopen(base + href, timeout=10).status == 200, href
        assert urllib.request.urlopen(base + "/", timeout=10).geturl() == base + "/gulag/"  # (redirected)
        for missing in ("/gulag/no/such/page/", "/elsewhere/"):
            try:
                urllib.request.urlopen(base + missing, timeout=10)
                raise AssertionError(f"{missing} was found")
            except urllib.error.HTTPError as e:
                assert e.code == 404 and "<html" in e.read().decode()
    finally:
        server.shutdown()
        server.server_close()
