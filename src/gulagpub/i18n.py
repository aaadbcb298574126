"""The interface in the reader's language: the words the templates and the
provenance line show, from gettext message catalogs, and dates, months,
numbers and language names formatted by Babel (CLDR data) for that
language. Edge module (reads the catalogs, package data).

The catalogs are the `.po` files in `locales/LANG/LC_MESSAGES/gulagpub.po`,
read as they are when a language is first asked for (Babel's parser, a few
milliseconds): there is no compiled `.mo` to keep in step, and nothing to
run at install time beyond pip. docs/translating.md tells how to add a
language or a new message.

In a template, `_("Home")` (or `gettext`, `ngettext`, `{% trans %}`) gives
the text in the page's language; `_("Page %(n)s of %(total)s", n=1,
total=3)` fills in values (escaped). Each interface language has its own
template environment (theme.environment), whose templates are compiled with
their messages already in that language.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "gulagpub"
SOURCE_LANG = "en"  # the language of the messages themselves (the msgids)


@functools.cache
def catalog_langs() -> tuple[str, ...]:
    """The languages the interface is translated into (and English, the messages' own)."""
    found = {p.parent.parent.name.replace("_", "-") for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {SOURCE_LANG}))


@functools.cache
def digest() -> str:
    """Names every catalog (part of every output's key: a new translation rebuilds the pages)."""
    h = hashlib.blake2b(digest_size=16)
    for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        h.update(po.parent.parent.name.encode() + b"\0" + po.read_bytes() + b"\0")
    return h.hexdigest()


def catalog_lang(lang: str) -> str | None:
    """The catalog for a language tag ('pt-BR' -> 'pt-BR', else 'pt'); None when there is none."""
    langs = catalog_langs()
    tag = lang.replace("_", "-")
    for candidate in (tag, tag.split("-")[0]):
        for have in langs:
            if have.lower() == candidate.lower():
                return have
    return None


def interface_lang(lang: str, site_lang: str) -> str:
    """The language a page's interface is shown in: its own when it has a
    catalog, else the site's, else English."""
    return catalog_lang(lang) or catalog_lang(site_lang) or SOURCE_LANG


@functools.cache
def interface(lang: str) -> Interface:
    """The interface in `lang` (a language with a catalog: see interface_lang)."""
    return Interface(lang)


class Interface:
    """The words and formats of one language."""

    def __init__(self, lang: str) -> None:
        from babel import Locale, UnknownLocaleError

        self.lang = lang
        self._catalog: Any = None  # read when a message is first asked for (templates have theirs compiled in)
        try:
            self.locale = Locale.parse(lang.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse(SOURCE_LANG)
        self._dates: dict[date, str] = {}
        self._months: dict[tuple[int, int], str] = {}
        self._numbers: dict[int, str] = {}
        self._sizes: dict[int, str] = {}
        self._names: dict[str, str] = {}
        self._spelled: dict[str, str] = {}  # human_date: a source's date is spelled on its page and in its entry

    def __repr__(self) -> str:
        return f"Interface({self.lang!r})"

    # --- words ---------------------------------------------------------------
    def load(self) -> None:
        """Read now what formatting and translating need (the catalog, CLDR's data)."""
        from babel import dates, numbers, units  # noqa: F401

        _ = self._translations, self.locale.date_formats, self.locale.number_symbols, self.locale.languages

    @property
    def _translations(self) -> Any:
        if self._catalog is None:
            self._catalog = _translations(self.lang) or False
        return self._catalog

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message) if self._translations else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._translations:
            return self._translations.ngettext(singular, plural, n)
        return singular if n == 1 else plural

    # --- formats -------------------------------------------------------------
    def date(self, when: date | datetime) -> str:
        """'19 de agosto de 2008': a day, in this language's long form."""
        day = when.date() if isinstance(when, datetime) else when
        done = self._dates.get(day)
        if done is None:
            from babel.dates import format_date

            done = self._dates[day] = format_date(day, "long", locale=self.locale)
        return done

    def month_year(self, year: int, month: int) -> str:
        """'agosto de 2008'."""
        done = self._months.get((year, month))
        if done is None:
            from babel.dates import format_date, match_skeleton

            skeletons = self.locale.datetime_skeletons
            pattern = skeletons.get("yMMMM") or skeletons[match_skeleton("yMMMM", skeletons) or "yMMM"]
            done = self._months[year, month] = format_date(date(year, month, 1), pattern, locale=self.locale)
        return done

    def month(self, month: int) -> str:
        """'agosto': a month's name standing alone (an archive's heading)."""
        return str(self.locale.months["stand-alone"]["wide"][month])

    def number(self, n: int) -> str:
        """'12 345': a count or a page number, grouped as the language does."""
        done = self._numbers.get(n)
        if done is None:
            from babel.numbers import format_decimal

            done = self._numbers[n] = format_decimal(n, locale=self.locale)
        return done

    def file_size(self, size: int) -> str:
        """'1,2 MB', '2,5 kB', '812 bytes': a file's size, in this language's units."""
        done = self._sizes.get(size)
        if done is None:
            from babel.units import format_unit

            for unit, scale in (("gigabyte", 10**9), ("megabyte", 10**6), ("kilobyte", 10**3)):
                if size >= scale:
                    done = format_unit(size / scale, f"digital-{unit}", "short", "#,##0.0", locale=self.locale)
                    break
            else:
                done = format_unit(size, "digital-byte", "long", locale=self.locale)
            done = self._sizes[size] = done
        return done

    def file_note(self, kind: str, size: int) -> str:
        """'(PDF, 1,2 MB)': what follows a link to a file of that kind and size."""
        return self.gettext("(%(kind)s, %(size)s)") % {"kind": self.gettext(kind), "size": self.file_size(size)}

    def human_date(self, value: str) -> str:
        """A source's date as written in front matter ('1924', '1924-01', '1924-01-05')
        in this language; anything else is returned as written."""
        done = self._spelled.get(value)
        if done is None:
            from .render import spell_date

            done = self._spelled[value] = spell_date(value, self.month_year, lambda y, m, d: self.date(date(y, m, d)))
        return done

    def language_name(self, code: str) -> str:
        """The name of a language in this language ('es' -> 'Spanish', 'español', 'испанский')."""
        done = self._names.get(code)
        if done is None:
            done = self._names[code] = _name_of(code, self.locale) or code
        return done


# The languages' own names as autonym() makes them from CLDR, for the menu of
# every page: Babel gives one only by loading that language's CLDR data (a few
# milliseconds each, for every language of the site on every build).
# tests/test_i18n.py checks each against Babel.
AUTONYMS = {
    "en": "English", "es": "Español", "ru": "Русский", "fr": "Français", "de": "Deutsch", "it": "Italiano",
    "pt": "Português", "ca": "Català", "eu": "Euskara", "gl": "Galego", "uk": "Українська",
    "be": "Беларуская", "pl": "Polski", "cs": "Čeština", "bg": "Български", "yi": "ייִדיש", "he": "עברית",
    "ar": "العربية", "zh": "中文", "ja": "日本語", "ko": "한국어", "el": "Ελληνικά", "tr": "Türkçe",
    "nl": "Nederlands", "sv": "Svenska", "eo": "Esperanto", "ka": "ქართული", "hy": "Հայերեն", "fa": "فارسی",
    "ro": "Română", "hu": "Magyar", "fi": "Suomi", "lt": "Lietuvių", "lv": "Latviešu", "et": "Eesti",
}


@functools.cache
def autonym(code: str) -> str:
    """A language's name in itself, as a menu shows it ('Español', 'Русский')."""
    known = AUTONYMS.get(code)
    return known if known is not None else cldr_autonym(code)


def cldr_autonym(code: str) -> str:
    """A language's name in itself from Babel's CLDR data, capitalized as a menu
    shows it where the script has capitals for it (Georgian has none)."""
    from babel import Locale, UnknownLocaleError

    try:
        name = _name_of(code, Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        name = None
    if not name:
        return code
    if "\u10d0" <= name[0] <= "\u10ff":  # Georgian's Mkhedruli: its capitals are another script style
        return name
    return name[:1].upper() + name[1:]


def _name_of(code: str, locale: Any) -> str | None:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code.replace("-", "_")).get_language_name(locale)
    except (UnknownLocaleError, ValueError):
        return None


def _translations(lang: str) -> Any:
    """The catalog of `lang` as gettext translations (None for the messages' own language)."""
    if lang == SOURCE_LANG:
        return None
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALES_DIR / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang.replace("-", "_"), domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # (fuzzy entries left out, as msgfmt does)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)

