"""A copy of a built site that opens from disk. Edge module (files).

The site links its pages, styles and feeds by their path from the site's
root (`/style.css`, `/2012/10/20/vicente/`): right on a web server, but
opened as `file://.../index.html` (a preview downloaded from a pull
request's check) every such link points at the root of the disk, so the
page has no styles and its links lead nowhere. The copy made here has every
link relative to its page (`../../../style.css`), and a link to a folder
names its `index.html`, which a browser does not add for files.

The build's own output is never changed (its files may be hard links shared
with the live site): the copy is a new folder.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .errors import UsageError, disk_error

# Attributes our templates write with double quotes; a post's own HTML is
# normalized by the renderer the same way.
_ATTRIBUTE = re.compile(r'(\s(?:href|src|action)=")([^"]*)(")')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')
_CSS_URL = re.compile(r"""(url\(\s*['"]?)([^'")\s]+)(['"]?\s*\))""")


def relative(link: str, page: str, prefix: str = "/") -> str:
    """`link` as written in the file `page` (a path inside the site, like
    '2012/10/20/vicente/index.html'), relative to that page when it is a
    path under the site's `prefix` (its base URL's path); else as it is."""
    if not link.startswith(prefix) or link.startswith("//"):
        return link
    cut = len(link)
    for mark in ("?", "#"):
        at = link.find(mark)
        if at != -1:
            cut = min(cut, at)
    path, rest = link[len(prefix):cut], link[cut:]
    if path == "" or path.endswith("/"):
        path += "index.html"
    return posixpath.relpath(path, posixpath.dirname(page) or ".") + rest


def relink_html(text: str, page: str, prefix: str = "/") -> str:
    text = _ATTRIBUTE.sub(lambda m: m[1] + relative(m[2], page, prefix) + m[3], text)
    return _SRCSET.sub(lambda m: m[1] + ", ".join(
        " ".join([relative(part.split()[0], page, prefix), *part.split()[1:]])
        for part in m[2].split(",") if part.strip()) + m[3], text)


def relink_css(text: str, page: str, prefix: str = "/") -> str:
    return _CSS_URL.sub(lambda m: m[1] + relative(m[2], page, prefix) + m[3], text)


def copy(site: Path, out: Path, base_url: str) -> int:
    """Copy the built `site` to the new folder `out` with relative links;
    returns how many files were copied."""
    if not (site / "index.html").is_file():
        raise UsageError(f"{site} holds no built site (no index.html); build it first: "
                         f"`gulagpub build --drafts --out {site}`")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; give a new folder for the copy")
    prefix = urlsplit(base_url).path or "/"
    count = 0
    try:
        for source in sorted(site.rglob("*")):
            if source.is_symlink() or not source.is_file():
                continue
            name = source.relative_to(site).as_posix()
            if name.startswith(".") or "/." in name:
                continue  # the build's own bookkeeping
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.suffix in (".html", ".css"):
                text = source.read_text(encoding="utf-8")
                text = relink_html(text, name, prefix) if source.suffix == ".html" else relink_css(text, name, prefix)
                target.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(source, target)
            count += 1
    except OSError as exc:
        raise disk_error(exc, f"copying the site to {out}") from exc
    return count
