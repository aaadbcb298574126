"""A built page whose links to the site lead there from wherever the site's
folder is: opened from disk (file://, a pull request's preview downloaded
as an artifact) with no server. Pure.

The site's pages link with paths from the host's root (`/2012/10/20/x/`,
`/blog/style.css` for a site under /blog/): from a file, `/` is the disk's
root, and a folder is not its index.html. Here every such link in an
attribute (href, src, a redirect's `url=`) becomes a path from the page's
own folder, to the file itself: `../../../../2012/10/20/x/index.html`.
An image's `srcset` (its smaller copies) has each of its URLs made relative
so. Links elsewhere (`https://…`, `mailto:`, `#fn-1`) are left as they are.
"""

from __future__ import annotations

import re

from .render import srcset_mapped

_LINK = re.compile(rb'((?:href|src)="|content="\d+; url=)([^"]*)(")')
_SRCSET = re.compile(rb'(\ssrcset=")([^"]*)(")')


def relativized(html: bytes, path: str, prefix: str) -> bytes:
    """`html`, the page at site path `path` ('a/b/index.html'), with its links
    to the site (paths starting with `prefix`, the base URL's path: '/' or
    '/blog/') made relative to its folder."""
    up = ("../" * path.count("/")).encode()
    start = prefix.encode("utf-8")

    def fixed(url: bytes) -> bytes:
        if not url.startswith(start) or url.startswith(b"//"):
            return url
        target, sep, fragment = url[len(start):].partition(b"#")
        target, qsep, query = target.partition(b"?")
        if not target or target.endswith(b"/"):
            target += b"index.html"
        return up + target + qsep + query + sep + fragment

    html = _LINK.sub(lambda m: m.group(1) + fixed(m.group(2)) + m.group(3), html)
    if b" srcset=" in html:
        def candidates(m: re.Match[bytes]) -> bytes:
            value = srcset_mapped(m.group(2).decode("utf-8"), lambda u: fixed(u.encode("utf-8")).decode("utf-8"))
            return m.group(1) + value.encode("utf-8") + m.group(3)

        html = _SRCSET.sub(candidates, html)
    return html
