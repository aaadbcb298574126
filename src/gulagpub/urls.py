"""Where each post lives on the site, and its stable id. Pure.

The publisher, the feeds and the Mastodon bot all take URLs and ids from
here, so a link in an announcement is always the page the build wrote.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from .config import Config
from .model import Kind, Post


def path_of(post: Post, config: Config) -> str:
    """The post's page as a site path with a trailing slash, e.g.
    '/2012/10/20/vicente-monclus-guallar/'; language versions live under
    '/LANG/...', pages at '/SLUG/'. Non-ASCII slugs are percent-encoded."""
    slug = quote(post.slug, safe="-")
    if post.kind == Kind.PAGE:
        return f"/{slug}/"
    when = post.date.astimezone(config.site.tz) if post.date else None
    path = config.site.permalink.format(
        year=f"{when.year:04d}" if when else "undated",
        month=f"{when.month:02d}" if when else "00",
        day=f"{when.day:02d}" if when else "00",
        slug=slug,
        lang=post.lang,
    )
    if post.kind == Kind.TRANSLATION:
        path = f"/{quote(post.lang.lower())}{path}"
    return path


def absolute(path: str, config: Config) -> str:
    """A site path ('/a/b/') as an absolute URL under base_url."""
    return config.site.base_url + path.lstrip("/")


def url_of(post: Post, config: Config) -> str:
    return absolute(path_of(post, config), config)


def entry_id(post: Post, config: Config) -> str:
    """The post's stable id for feeds and announcements: its `id` field when
    set (imported posts keep their old ids; `publish` writes one), else a
    tag: URI made from the site's host, the date and the file path, which
    does not change when the title, slug or base URL path changes."""
    if post.id:
        return post.id
    host = urlsplit(config.site.base_url).hostname or "localhost"
    day = post.date.astimezone(config.site.tz).strftime("%Y-%m-%d") if post.date else "undated"
    return f"tag:{host},{day}:{post.path.removesuffix('.md')}"
