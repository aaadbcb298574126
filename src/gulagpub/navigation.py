"""The menu at the top of every page: which entries it has, in which order.
Pure: the settings' list and the standalone pages in, entries out (pages.py
names the site's own parts in each page's language and links them within
its language's section).

`[site] menu` lists the site's own parts (config.MENU_PARTS: home, archive,
tags, categories, feeds) and the slugs of standalone pages (pages/NAME.md,
shown by their title). A part the site does not have (tags on a site with
none) is left out; so is a page of the default menu ('about') that does not
exist, while a page the settings name that does not exist is an error.
"""

from __future__ import annotations

from typing import NamedTuple

from .config import DEFAULT_MENU, MENU_PARTS


class MenuEntry(NamedTuple):
    part: str  # one of MENU_PARTS, or 'page'
    title: str  # a page's title ('' for the site's parts: pages.py names them)
    path: str  # a page's site path ('' for the site's parts)


def menu_of(menu: list[str], pages: dict[str, tuple[str, str]], has: set[str]) -> tuple[list[MenuEntry], list[str]]:
    """The menu's entries, and the problems of its setting: `pages` gives each
    standalone page's (title, site path) by slug, `has` the parts the site has."""
    entries: list[MenuEntry] = []
    problems: list[str] = []
    for name in menu:
        if name in MENU_PARTS:
            if name in has:
                entries.append(MenuEntry(name, "", ""))
        elif name in pages:
            title, path = pages[name]
            entries.append(MenuEntry("page", title, path))
        elif not (menu == DEFAULT_MENU and name in DEFAULT_MENU):
            known = ", ".join([*MENU_PARTS, *sorted(pages)])
            problems.append(f"[site] menu names '{name}', which is neither a part of the site nor a page's slug "
                            f"(known: {known}); add pages/{name}.md (gulagpub new --page) or remove it from the menu")
    return entries, problems
