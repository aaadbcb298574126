"""Language tags as people write them: a language's name answered with its
code. Pure.

A translator typing front matter in the browser writes `lang: English` or
`from_lang: Русский`; the check answers with the tag to write instead. The
names come from langcodes and its language-data (CLDR's names of every
language, in every language), loaded only when a value is not a tag.
"""

from __future__ import annotations

from .model import is_valid_lang


def code_for(name: str) -> str | None:
    """The language tag a language's name stands for ('English' -> 'en',
    'español' -> 'es'), or None when it names no language."""
    import langcodes  # loaded on this path only: 20 MB of names nothing else needs

    try:
        return str(langcodes.find(name.strip()).to_tag())
    except LookupError:
        return None


def not_a_tag(field: str, value: str) -> str | None:
    """What is wrong with `value` as the language field `field` (None: a tag)."""
    if is_valid_lang(value):
        return None
    code = code_for(value) if value.strip() else None
    if code is not None:
        parent, _, key = field.rpartition(".")
        under = f" (under '{parent}:')" if parent else ""
        return f"'{key}: {value}'{under} is not a language code: use {code}"
    return f"'{field}' {value!r} is not a language code; use a BCP 47 tag like 'en', 'es', 'ru' or 'pt-BR'"
