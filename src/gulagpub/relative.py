"""A built page whose links to the site lead there from wherever the site's
folder is: opened from disk (file://, a pull request's preview downloaded
as an artifact) with no server. Pure.

The site's pages link with paths from the host's root (`/2012/10/20/x/`,
`/blog/style.css` for a site under /blog/): from a file, `/` is the disk's
root, and a folder is not its index.html. Here every such link in an
attribute (href, src, a redirect's `url=`) becomes a path from the page's
own folder, to the file itself: `../../../../2012/10/20/x/index.html`.
Links elsewhere (`https://…`, `mailto:`, `#fn-1`) are left as they are.
"""

from __future__ import annotations

import re

_LINK = re.compile(rb'((?:href|src)="|content="\d+; url=)([^"]*)(")')


def relativized(html: bytes, path: str, prefix: str) -> bytes:
    """`html`, the page at site path `path` ('a/b/index.html'), with its links
    to the site (paths starting with `prefix`, the base URL's path: '/' or
    '/blog/') made relative to its folder."""
    up = "../" * path.count("/")
    start = prefix.encode("utf-8")

    def fix(m: re.Match[bytes]) -> bytes:
        url = m.group(2)
        if not url.startswith(start) or url.startswith(b"//"):
            return m.group(0)
        target, sep, fragment = url[len(start):].partition(b"#")
        target, qsep, query = target.partition(b"?")
        if not target or target.endswith(b"/"):
            target += b"index.html"
        return m.group(1) + up.encode() + target + qsep + query + sep + fragment + m.group(3)

    return _LINK.sub(fix, html)
