"""The localized interface: complete catalogs, Babel formats, pages with no English left."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from gulagpub import i18n
from gulagpub.build import build
from sitehelp import NOW, bundled, english_interface_words

LANGS = ("es", "ru", "fr", "de")
POT = i18n.LOCALES_DIR / "gulagpub.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _messages(path: Path, lang: str | None = None) -> dict[Any, Any]:
    with path.open("rb") as f:
        cat = read_po(f, locale=lang)
    return {m.id: m.string for m in cat if m.id and not m.fuzzy}


def test_the_template_names_every_message_the_sources_use() -> None:
    # The .pot is extracted from the code and templates (docs/translating.md):
    # a message added without re-extracting would stay English everywhere.
    from babel.messages.extract import extract_from_dir

    root = Path(i18n.__file__).parent
    found = {m[2] for m in extract_from_dir(str(root), method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
                                            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
                                            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None})}
    assert found and found == set(_messages(POT))


@pytest.mark.parametrize("lang", LANGS)
def test_each_catalog_is_complete_and_keeps_the_placeholders(lang: str) -> None:
    wanted = _messages(POT)
    have = _messages(i18n.LOCALES_DIR / lang / "LC_MESSAGES" / "gulagpub.po", lang)
    # (A message with plural forms is read as tuples: its singular and plural, and each form of the language.)
    missing = [m for m in wanted if not have.get(m) or not all(have[m])]
    assert missing == [], f"{lang}: untranslated {missing}"
    for msgid, text in have.items():
        for form in text if isinstance(text, tuple) else (text,):
            plural = msgid[-1] if isinstance(msgid, tuple) else msgid
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(plural)), (lang, msgid)
    assert set(LANGS) <= set(i18n.catalog_langs())


def test_dates_and_numbers_follow_the_language() -> None:
    day = date(2008, 8, 19)
    assert i18n.interface("es").date(day) == "19 de agosto de 2008"
    assert i18n.interface("ru").date(day) == "19 августа 2008\u202fг."
    assert i18n.interface("de").date(day) == "19. August 2008"
    assert i18n.interface("fr").number(12345) == "12\u202f345"
    assert i18n.interface("es").human_date("1924-01") == "enero de 1924"
    assert i18n.interface_lang("pt-BR", "en") == "en" and i18n.interface_lang("es-AR", "en") == "es"
    # A link to a file is followed by its kind and size, in CLDR's units.
    assert i18n.interface("en").file_note("PDF", 2500) == "(PDF, 2.5 kB)"
    assert i18n.interface("es").file_note("PDF", 1_234_567) == "(PDF, 1,2 MB)"
    assert i18n.interface("ru").file_note("text", 812) == "(текст, 812 байт)"
    assert i18n.interface("fr").file_note("file", 3_100_000_000) == "(fichier, 3,1\u202fGo)"


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled site with a Spanish and a Russian version of Mollie Steimer's letter."""
    tmp = tmp_path_factory.mktemp("i18n")
    root = bundled(tmp)
    for lang, title in (("es", "Al dejar Rusia"), ("ru", "Покидая Россию")):
        tr = root / f"translations/{lang}/2008-08-19-on-leaving-russia-mollie-steimer.md"
        tr.parent.mkdir(parents=True)
        tr.write_text(f"---\ntitle: {title}\nstate: published\ndate: 2008-08-20 10:00\ntags: [gulag]\n"
                      "translation:\n  translator: Tania Translator\n  from_lang: en\n"
                      "corrections:\n- date: 2026-11-20\n  note: la fecha\n---\n\nТекст.\n",
                      encoding="utf-8")
    # Their original stored beside them (the parallel view), and a withdrawn Russian document.
    original = root / "originals/en/2008-08-19-on-leaving-russia-mollie-steimer.md"
    original.parent.mkdir(parents=True)
    original.write_text("---\ntitle: On leaving Russia\nlang: en\n---\n\nDear comrades.\n", encoding="utf-8")
    (root / "translations/ru/2026-01-05-letter.md").write_text(
        "---\ntitle: Письмо\nstate: withdrawn\ndate: 2026-01-05 10:00\nwithdrawn:\n  by: alice@example.org\n"
        "  at: 2026-11-26 10:00\n  reason: подделка\n---\n\nТекст.\n", encoding="utf-8")
    build(root, tmp / "out", now=NOW)
    return tmp / "out"


@pytest.mark.parametrize("lang, path", [("es", "es/index.html"), ("ru", "ru/index.html"),
                                        ("es", "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html"),
                                        ("ru", "ru/2008/08/20/on-leaving-russia-mollie-steimer/index.html"),
                                        ("es", "es/2008/08/20/on-leaving-russia-mollie-steimer/parallel/index.html"),
                                        ("ru", "ru/2008/08/20/on-leaving-russia-mollie-steimer/parallel/index.html"),
                                        ("ru", "ru/2026/01/05/letter/index.html")])
def test_a_page_in_another_language_has_no_english_interface_word(translated: Path, lang: str, path: str) -> None:
    page = (translated / path).read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in page
    # The interface only: drop the other posts' own text (English titles and summaries), URLs,
    # and the JSON-LD (data: schema.org's names). The Chicago citation is in the page's language.
    chrome = re.sub(r'<li class="item[\s\S]*?</li>|<script type="application/ld\+json">[\s\S]*?</script>|<title>.*?</title>|href="[^"]*"|<link[^>]*>|<meta[^>]*>', " ", page)
    chrome = re.sub(r"<[^>]+>", lambda m: " ".join(re.findall(r'aria-label="([^"]*)"', m.group(0))), chrome)
    left = set(re.findall(r"[A-Za-z]{4,}", chrome)) & english_interface_words()
    assert left == set(), f"{path}: English interface words {sorted(left)}"


def test_the_page_shows_the_date_and_provenance_in_its_language(translated: Path) -> None:
    es = (translated / "es/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert "20 de agosto de 2008" in es and "Traducido del inglés por Tania Translator." in es
    ru = (translated / "ru/2008/08/20/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert "20 августа 2008" in ru and "Перевод (язык оригинала: английский): Tania Translator." in ru
    assert ">Главная<" in ru and "Español" in ru
    # The correction note, the link to the parallel view and that view, the withdrawn page.
    assert 'Corregido el <time datetime="2026-11-20">20 de noviembre de 2026</time>:</strong> la fecha' in es
    assert "Leer junto al original en inglés</a>" in es
    assert "Исправлено <time datetime=\"2026-11-20\">20 ноября 2026\u202fг.</time>:" in ru
    parallel = (translated / "es/2008/08/20/on-leaving-russia-mollie-steimer/parallel/index.html").read_text("utf-8")
    assert "<title>Al dejar Rusia: junto al original" in parallel
    assert "El original en inglés junto a la traducción al español, párrafo por párrafo." in parallel
    withdrawn = (translated / "ru/2026/01/05/letter/index.html").read_text(encoding="utf-8")
    assert "<title>Снято с публикации: Письмо" in withdrawn and "Причина: подделка" in withdrawn
    assert 'Вернуться на <a href="/ru/">главную страницу</a>.' in withdrawn


def test_no_template_writes_a_word_outside_the_catalogs() -> None:
    # A word written into a template as it is, not through _() or {% trans %},
    # stays English on every page: the catalogs' tests cannot see it.
    left = {}
    for template in sorted((Path(i18n.__file__).parent / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}|\{%-? *trans\b.*?endtrans *-?%\}|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
        said = " ".join(re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', text))
        words = set(re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>", " ", text) + " " + said))
        words -= {"Atom", "RSS", "JSON", "Feed"}  # (formats' names)
        if words:
            left[template.name] = sorted(words)
    assert left == {}


def test_the_site_title_and_description_can_be_given_per_language(tmp_path: Path) -> None:
    root = bundled(tmp_path)
    (root / "gulagpub.toml").write_text((root / "gulagpub.toml").read_text(encoding="utf-8")
                                        + '\n[site.titles]\nes = "Anarquistas en el Gulag"\n'
                                        '[site.descriptions]\nes = "Fuentes sobre la represión"\n', encoding="utf-8")
    tr = root / "translations/es/2008-08-19-on-leaving-russia-mollie-steimer.md"
    tr.parent.mkdir(parents=True)
    tr.write_text("---\ntitle: Al dejar Rusia\nstate: published\ndate: 2008-08-20 10:00\n---\n\nTexto.\n")
    build(root, tmp_path / "out", now=NOW)
    es = (tmp_path / "out/es/index.html").read_text(encoding="utf-8")
    en = (tmp_path / "out/index.html").read_text(encoding="utf-8")
    assert "Anarquistas en el Gulag" in es and 'content="Fuentes sobre la represión"' in es
    assert "Anarquistas en el Gulag" not in en


def test_the_table_of_autonyms_is_babels() -> None:
    # (A table so that the menu does not load every language's CLDR data.)
    assert {code: i18n.cldr_autonym(code) for code in i18n.AUTONYMS} == i18n.AUTONYMS
    assert i18n.autonym("pt-BR") == "Português" and i18n.autonym("xx") == "xx"


def test_templates_are_compiled_with_their_messages_in_the_language(tmp_path: Path) -> None:
    from gulagpub import theme

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text(
        '{{ _("Tags:") }}|{{ _("Page %(n)s of %(total)s", n=v, total=2) }}|{{ gettext(name) }}|'
        '{% trans href=v, name=v %}in reply to <a href="{{ href }}">{{ name }}</a>{% endtrans %}|'
        '{{ ngettext("%(num)s post", "%(num)s posts", 2) }}', encoding="utf-8")
    (tmp_path / "state").mkdir()
    env = theme.environment(tmp_path, tmp_path / "state", i18n.interface("es"))
    out = env.get_template("t.html").render(v="<b>", name="Home")
    assert out == ('Etiquetas:|Página &lt;b&gt; de 2|Inicio|en respuesta a <a href="&lt;b&gt;">&lt;b&gt;</a>|'
                   '2 posts')
    # The same template in another language is compiled apart (its own cache entry).
    env_ru = theme.environment(tmp_path, tmp_path / "state", i18n.interface("ru"))
    assert env_ru.get_template("t.html").render(v="1", name="Home").startswith("Метки:|")


def test_a_feed_entry_says_its_correction_in_its_own_language(translated: Path, shared: Path) -> None:
    # The Spanish version's entry, in every format of its section's feeds and its tag's:
    # the note's words and day in Spanish, as its page writes them; the English entries in English.
    import feedparser

    from sitehelp import feedcheck

    said = 'Corregido el <time datetime="2026-11-20">20 de noviembre de 2026</time>:</strong> la fecha'
    json_items = json.loads((translated / "es/feed.json").read_bytes())["items"]
    contents = [i["content_html"] for i in json_items if i["title"] == "Al dejar Rusia"]
    for feed in ("es/feed.atom", "es/feed.rss", "es/tag/gulag/feed.atom"):
        entries = feedparser.parse((translated / feed).read_bytes()).entries
        contents += [e.content[0].value for e in entries if e.title == "Al dejar Rusia"]
    assert len(contents) == 4
    for content in contents:
        assert said in content and "Traducido del inglés por Tania Translator." in content
        assert "Corrected on" not in content
    for feed in ("feed.atom", "ru/feed.atom"):
        text = (translated / feed).read_text(encoding="utf-8")
        assert "Corregido" not in text and ("Исправлено" in text) == feed.startswith("ru/")
    result = feedcheck(shared, translated)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_citations_say_the_correction_in_the_page_language(translated: Path) -> None:
    """The Chicago citation on the page through the catalogs, its dates by Babel; the
    RIS file's notes in the document's language (LA), each correction's day as ISO 8601."""
    post = "2008/08/20/on-leaving-russia-mollie-steimer/"
    es = (translated / "es" / post / "index.html").read_text(encoding="utf-8")
    assert ('<p class="citation">«Al dejar Rusia», trad. de Tania Translator, <i>Anarchists in the Gulag (and '
            'prison and exile)</i>, 20 de agosto de 2008, corregido el 20 de noviembre de 2026, '
            f'https://gulaganarchists.github.io/es/{post}.</p>') in es
    assert ("«Al dejar Rusia». Traducido del inglés por Tania Translator. <i>Anarchists in the Gulag (and prison "
            "and exile)</i>, 20 de agosto de 2008. Corregido el 20 de noviembre de 2026. https://") in es
    ru = (translated / "ru" / post / "index.html").read_text(encoding="utf-8")
    assert "«Покидая Россию», пер. Tania Translator, <i>" in ru and ", исправлено 20 ноября 2026\u202fг., https://" in ru
    assert "Исправлено 20 ноября 2026\u202fг. https://" in ru and "orrected" not in ru
    ris = (translated / "es" / post / "cite.ris").read_bytes().decode("utf-8").split("\r\n")
    assert "LA  - es" in ris and "N1  - Traducido del inglés." in ris and "N1  - Corregido el 2026-11-20: la fecha" in ris
    ru_ris = (translated / "ru" / post / "cite.ris").read_bytes().decode("utf-8").split("\r\n")
    assert "N1  - Исправлено 2026-11-20: la fecha" in ru_ris
    # The English original, not corrected, says nothing of corrections.
    en = (translated / "2008/08/19/on-leaving-russia-mollie-steimer/index.html").read_text(encoding="utf-8")
    assert "orrected" not in en and "Steimer, Mollie. “On leaving Russia by Mollie Steimer.” Originally published in" in en


@pytest.mark.parametrize("lang, note, bibliography, ris_note", [
    ("en", "“Carta,” trans. Ana Ruiz and Li Wei, originally published in <i>Freedom</i>, January 1924, <i>Blog</i>, "
           "January 2, 2020, corrected on November 20, 2026, https://b.example/p/.",
     "“Carta.” Translated from the Spanish by Ana Ruiz and Li Wei. Originally published in <i>Freedom</i>, "
     "January 1924 (via IISH). <i>Blog</i>, January 2, 2020. Corrected on November 20, 2026. https://b.example/p/.",
     "Corrected on 2026-11-20: the date"),
    ("es", "«Carta», trad. de Ana Ruiz y Li Wei, publicado originalmente en <i>Freedom</i>, enero de 1924, "
           "<i>Blog</i>, 2 de enero de 2020, corregido el 20 de noviembre de 2026, https://b.example/p/.",
     "«Carta». Traducido del español por Ana Ruiz y Li Wei. Publicado originalmente en <i>Freedom</i>, enero de "
     "1924 (vía IISH). <i>Blog</i>, 2 de enero de 2020. Corregido el 20 de noviembre de 2026. https://b.example/p/.",
     "Corregido el 2026-11-20: the date"),
    ("ru", "«Carta», пер. Ana Ruiz и Li Wei, впервые опубликовано: <i>Freedom</i>, январь 1924\u202fг., <i>Blog</i>, "
           "2 января 2020\u202fг., исправлено 20 ноября 2026\u202fг., https://b.example/p/.",
     "«Carta». Перевод (язык оригинала: испанский): Ana Ruiz и Li Wei. Впервые опубликовано: <i>Freedom</i>, "
     "январь 1924\u202fг. (через IISH). <i>Blog</i>, 2 января 2020\u202fг. Исправлено 20 ноября 2026\u202fг. "
     "https://b.example/p/.",
     "Исправлено 2026-11-20: the date"),
    ("fr", "« Carta », trad. par Ana Ruiz et Li Wei, publié pour la première fois dans <i>Freedom</i>, janvier 1924, "
           "<i>Blog</i>, 2 janvier 2020, corrigé le 20 novembre 2026, https://b.example/p/.",
     "« Carta ». Traduit (langue d’origine : espagnol) par Ana Ruiz et Li Wei. Publié pour la première fois dans "
     "<i>Freedom</i>, janvier 1924 (via IISH). <i>Blog</i>, 2 janvier 2020. Corrigé le 20 novembre 2026. "
     "https://b.example/p/.",
     "Corrigé le 2026-11-20 : the date"),
    ("de", "„Carta“, übers. von Ana Ruiz und Li Wei, erstmals erschienen in <i>Freedom</i>, Januar 1924, <i>Blog</i>, "
           "2. Januar 2020, korrigiert am 20. November 2026, https://b.example/p/.",
     "„Carta“. Übersetzt von Ana Ruiz und Li Wei (Originalsprache: Spanisch). Erstmals erschienen in <i>Freedom</i>, "
     "Januar 1924 (über IISH). <i>Blog</i>, 2. Januar 2020. Korrigiert am 20. November 2026. https://b.example/p/.",
     "Korrigiert am 2026-11-20: the date"),
])
def test_chicago_and_ris_in_each_language(lang: str, note: str, bibliography: str, ris_note: str) -> None:
    from datetime import datetime, timezone

    from gulagpub.citation import Cited, Correction, Original, chicago, ris

    cited = Cited(title="Carta", url="https://b.example/p/", lang=lang, site="Blog", site_url="https://b.example/",
                  published=datetime(2020, 1, 2, 12, tzinfo=timezone.utc), modified=None,
                  translators=("Ana Ruiz", "Li Wei"), from_lang="es",
                  original=Original(publication="Freedom", via="IISH", date="1924-01"),
                  corrections=(Correction("2026-11-20", "the date"), Correction("2025-03-01", "a name")))
    cite = chicago(cited, i18n.interface(lang))
    assert (cite.note, cite.bibliography) == (note, bibliography)
    assert f"N1  - {ris_note}\r\n" in ris(cited, i18n.interface(lang))
