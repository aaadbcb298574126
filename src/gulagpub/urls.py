"""Where each post lives on the site, and its stable id. Pure.

The publisher, the feeds and the Mastodon bot all take URLs and ids from
here, so a link in an announcement is always the page the build wrote.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

from .config import Config
from .model import Kind, Post


def path_of(post: Post, config: Config) -> str:
    """The post's page as a site path with a trailing slash, e.g.
    '/2012/10/20/vicente-monclus-guallar/'; language versions live under
    '/LANG/...', pages at '/SLUG/'. Non-ASCII slugs are percent-encoded."""
    return site_path(post.kind.value, post.slug, post.date, post.lang, config)


def site_path(kind: str, slug: str, date: datetime | None, lang: str, config: Config) -> str:
    """path_of, from the fields it reads (kind as Kind's value)."""
    slug = quote(slug, safe="-")
    if kind == Kind.PAGE.value:
        return f"/{slug}/"
    when = date.astimezone(config.site.tz) if date else None
    path = config.site.permalink.format(
        year=f"{when.year:04d}" if when else "undated",
        month=f"{when.month:02d}" if when else "00",
        day=f"{when.day:02d}" if when else "00",
        slug=slug,
        lang=lang,
    )
    if kind == Kind.TRANSLATION.value:
        path = f"/{quote(lang.lower())}{path}"
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
    return stable_id(post.id, post.date, post.path, config)


def stable_id(id: str | None, date: datetime | None, path: str, config: Config) -> str:
    """entry_id, from the fields it reads."""
    if id:
        return id
    host = urlsplit(config.site.base_url).hostname or "localhost"
    day = date.astimezone(config.site.tz).strftime("%Y-%m-%d") if date else "undated"
    return f"tag:{host},{day}:{path.removesuffix('.md')}"
