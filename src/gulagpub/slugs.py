"""URL slugs: the one rule by which titles, tags and imported WordPress slugs
become a path segment. Core module (pure).

A slug is letters of any script, digits and hyphens (what model.is_valid_slug
accepts): 'Spanish Civil War' -> 'spanish-civil-war', 'Гулаг' -> 'гулаг',
'../../x' -> 'x'. Tag and category slugs are published addresses: this rule
must not change what it makes of a name.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80
_NON_WORD = re.compile(r"[\W_]+")


def slug(text: str, *, plain_latin: bool = False) -> str:
    """`text` as a slug ('' when it has no letter or digit). With
    `plain_latin`, accents are dropped from Latin letters first ('Monclús' ->
    'monclus'; 'й' stays), as for a new post's address made from its title."""
    if plain_latin:
        text = "".join(map(_unaccented, text))
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub("-", text).strip("-")[:MAX_LENGTH].strip("-")


def _unaccented(char: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare.isascii() else char
