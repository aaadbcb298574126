"""A generated blog, written as a gulagpub repository, a Pelican project and a Hugo site.

Used by build_bench.py. Everything comes from one `random.Random(seed)`, so
the same (size, seed) gives byte-identical corpora on every machine.

One "document" is either a post in English or a language version (Spanish
or Russian, 10 %) of one of those posts, so a corpus of N documents has
N files of content in each of the three formats:

    gulagpub   posts/NAME.md, translations/LANG/NAME.md, gulagpub.toml, git repo
    pelican    content/NAME.md, content/NAME-LANG.md (Translation: true), pelicanconf.py
    hugo       content/posts/NAME.md, content/posts/NAME.LANG.md, hugo.toml, layouts/
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

GENERATOR_VERSION = 1  # bump when the written corpus changes: kept corpora are regenerated
LANG_SHARE = 0.10  # share of documents that are Spanish or Russian language versions
FIRST_DAY = datetime(2011, 1, 1)
YEARS = 15
BASE_URL = "https://bench.example.org/"
SITE_TITLE = "Anarchists in the Gulag (benchmark corpus)"

# --- vocabularies -----------------------------------------------------------

EN_WORDS = """
the of and to in a was were that his her their they prison camp exile anarchist
comrades letter workers peasants government police arrested sentenced years
Solovki Butyrka Moscow Petrograd Kharkov Odessa Siberia Kolyma Vorkuta Karaganda
Narym Suzdal Yaroslavl Tobolsk isolator hunger strike deported freedom committee
Red Cross solidarity fund released again winter spring autumn summer march
trial charges tribunal Cheka GPU NKVD family wife children brother sister friend
wrote published newspaper pamphlet meeting union factory strike wages bread
hunger cold barracks guards transfer convoy train station border Germany Berlin
Paris Barcelona Buenos Aires New York Chicago after before during while until
because although however then later never always often every other many few
some all no one two three four five hundred thousand first last long short
old young free political criminal Bolshevik Communist Soviet revolution
Makhnovist Ukraine Kronstadt sailors soldiers army front war peace memory
archive document testimony witness record file case name names list dead
died shot executed survived returned escaped forests mines railway construction
""".split()

ES_WORDS = """
el la los las de del y en un una que su sus eran fue prisión campo exilio
anarquista compañeros carta obreros campesinos gobierno policía detenido
condenado años Moscú Siberia Vorkuta Karagandá huelga hambre deportado libertad
comité solidaridad liberado otra vez invierno primavera otoño verano juicio
cargos tribunal familia mujer hijos hermano hermana amigo escribió publicado
periódico folleto reunión sindicato fábrica salarios pan frío barracones
guardias tren estación frontera Francia París Barcelona Zaragoza Huesca después
antes durante mientras hasta porque aunque luego nunca siempre muchos pocos
algunos todos ninguno primero último largo corto viejo joven libre político
revolución ejército frente guerra paz memoria archivo documento testimonio
testigo murió fusilado sobrevivió volvió escapó bosques minas ferrocarril
""".split()

RU_WORDS = """
и в не на с что его её их они был были тюрьма лагерь ссылка анархист
товарищи письмо рабочие крестьяне правительство арестован приговорён лет
Соловки Бутырка Москва Петроград Харьков Одесса Сибирь Колыма Воркута Караганда
Нарым Суздаль Ярославль Тобольск изолятор голодовка выслан свобода комитет
Красный Крест солидарность фонд освобождён снова зима весна осень лето
суд обвинение трибунал ЧК ГПУ НКВД семья жена дети брат сестра друг
написал опубликовано газета брошюра собрание союз завод забастовка хлеб
голод холод бараки охрана этап поезд станция граница после до во время
потому хотя затем никогда всегда многие немногие первый последний долгий
старый молодой свободный политический революция армия фронт война мир память
архив документ свидетельство свидетель умер расстрелян выжил вернулся бежал
""".split()

WORDS = {"en": EN_WORDS, "es": ES_WORDS, "ru": RU_WORDS}

HEADINGS = {
    "en": ["Arrest", "The isolator", "Letters from exile", "The hunger strike", "Transfer",
           "Release", "Afterwards", "What the archive says", "Testimony", "Notes"],
    "es": ["Detención", "El aislador", "Cartas desde el exilio", "La huelga de hambre",
           "Traslado", "Liberación", "Después", "Lo que dice el archivo", "Testimonio", "Notas"],
    "ru": ["Арест", "Изолятор", "Письма из ссылки", "Голодовка", "Этап", "Освобождение",
           "После", "Что говорит архив", "Свидетельство", "Примечания"],
}

PEOPLE = [
    "Mollie Steimer", "Senya Fleshin", "Aron Baron", "Fanya Baron", "Olga Taratuta",
    "Grigori Maximoff", "Volin", "Peter Arshinov", "Nestor Makhno", "Francisco Ponzán",
    "Vicente Monclús", "Efim Yarchuk", "Nikolai Rogdaev", "Alexei Borovoi", "Ida Mett",
    "Nikolai Lazarevich", "Anatoli Gorelik", "Yakov Voline", "Boris Yelensky", "Lev Chorny",
]
PUBLICATIONS = [
    "Freedom", "Golos Truda", "Solidaridad Obrera", "CNT", "Le Libertaire", "Probuzhdenie",
    "Delo Truda", "Mother Earth", "Tierra y Libertad", "Bulletin of the Relief Fund",
    "Umanità Nova", "Die Internationale", "Freie Arbeiter Stimme", "La Protesta", "O Crabero",
]
VIA = ["Huesca-Info", "Kate Sharpley Library", "KRAS-AIT", "Anarchist Black Cross", "Libcom"]
TRANSLATORS = ["Paul Sharkey", "Nick Heath", "Malcolm Archibald", "Ana Ruiz", "Dmitri Rublev"]
AUTHORS = ["gulaganarchists", "Alice Editor", "Boris Editor"]
CATEGORIES = [
    "Letters", "Memoirs", "Biographies", "Documents", "Prison", "Exile", "Solidarity",
    "Press", "Obituaries", "Reviews", "Interviews", "History", "Appeals", "Trials", "Camps",
]
_PLACES = [
    "Solovki", "Butyrka", "Suzdal", "Yaroslavl", "Tobolsk", "Verkhneuralsk", "Kolyma",
    "Vorkuta", "Karaganda", "Narym", "Kharkov", "Odessa", "Kiev", "Moscow", "Petrograd",
    "Kronstadt", "Berlin", "Paris", "Barcelona", "Aragón", "Huesca", "Zaragoza", "Buenos Aires",
    "New York", "Chicago", "Tashkent", "Samarkand", "Minusinsk", "Chimkent", "Orel",
    "Vyatka", "Kazan", "Tomsk", "Irkutsk", "Omsk", "Perm", "Ufa", "Saratov", "Samara", "Riga",
]
_TOPICS = [
    "hunger strike", "isolator", "deportation", "exile", "Red Cross", "relief fund", "trial",
    "executions", "Cheka", "GPU", "NKVD", "Makhnovists", "Kronstadt revolt", "anarcho-syndicalism",
    "Tolstoyans", "SRs", "Mensheviks", "women", "students", "sailors", "peasants", "workers",
    "strikes", "press", "letters", "memoirs", "obituaries", "archives", "rehabilitation",
    "Spanish pilots", "Civil War", "Comintern", "Bolshevik terror", "prison conditions",
    "solidarity", "émigrés", "Bulletin", "Golos Truda", "Nabat", "Poles",
]
_YEARS = [str(y) for y in range(1917, 1957)]
_NAMES = [p.split()[-1] for p in PEOPLE] + [
    "Kropotkin", "Berkman", "Goldman", "Shapiro", "Schapiro", "Fleshin", "Gorelik", "Markus",
    "Novomirsky", "Karelin", "Solonovich", "Ulanovsky", "Khudolei", "Andreyev", "Zabrezhnev",
    "Atabekian", "Kozlovsky", "Chernyakov", "Shatov", "Petrovsky",
]
_ORGS = [
    "CNT", "FAI", "IWA", "FAUD", "USI", "FORA", "IWW", "ABC", "KRAS", "SAC", "Nabat federation",
    "Black Guards", "Moscow Federation", "Kharkov group", "Odessa group", "Kiev group",
    "Petrograd federation", "Union of Russian Workers", "Anarcho-Universalists",
    "Anarchist Red Cross", "Joint Committee", "Berlin Fund", "Paris Group", "Chicago Aid",
    "Buenos Aires group", "Dielo Truda group", "Golos Truda group", "Volna group",
    "Probuzhdenie group", "Spanish exiles", "MLE", "FIJL", "SIA", "CGT", "FORU", "OAI",
    "AIT", "ASI", "FAF", "FAG", "Relief Fund of the IWMA", "Free Society group",
    "Freedom group", "Vsevobuch", "Kharkov Nabat",
]
TAGS = list(dict.fromkeys(_PLACES + _TOPICS + _YEARS + _NAMES + _ORGS))[:200]  # 200 distinct
assert len(TAGS) == 200, len(TAGS)
SOURCE_LANGS = ["en", "es", "ru", "fr", "de", "it", "yi"]
LANG_NAMES = {"es": "Spanish", "ru": "Russian", "fr": "French", "de": "German",
              "it": "Italian", "yi": "Yiddish", "en": "English"}


@dataclass
class Doc:
    """One content file, before it is written in any format."""

    name: str  # file name without .md, e.g. 2012-10-20-on-leaving-solovki-17
    slug: str
    lang: str  # en for posts; es|ru for language versions
    title: str
    date: datetime
    author: str
    tags: list[str]
    category: str
    summary: str
    body: str
    source: dict[str, str] = field(default_factory=dict)
    translation: dict[str, str] = field(default_factory=dict)
    reprints: list[dict[str, str]] = field(default_factory=list)
    content_warning: str | None = None

    @property
    def is_version(self) -> bool:
        return self.lang != "en"


# --- text -------------------------------------------------------------------


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    picked = rng.choices(words, k=n)
    # emphasis and links now and then
    r = rng.random()
    if r < 0.12:
        i = rng.randrange(n)
        picked[i] = f"*{picked[i]}*"
    elif r < 0.18:
        i = rng.randrange(n)
        picked[i] = f"**{picked[i]}**"
    elif r < 0.26:
        i = rng.randrange(max(1, n - 2))
        text = " ".join(picked[i:i + 2])
        picked[i:i + 2] = [f"[{text}](https://archive.example.org/doc/{rng.randrange(1, 99999)})"]
    s = " ".join(picked)
    if n > 9 and rng.random() < 0.4:
        cut = s.find(" ", len(s) // 2)
        if cut > 0:
            s = s[:cut] + "," + s[cut:]
    return s[0].upper() + s[1:] + rng.choice(".....?!")


def make_body(rng: random.Random, lang: str, target_words: int) -> str:
    """Markdown paragraphs, headings, block quotes and the odd list: about
    `target_words` words."""
    words = WORDS[lang]
    blocks: list[str] = []
    count = 0
    since_heading = 0
    while count < target_words:
        if since_heading >= 3 and rng.random() < 0.35:
            blocks.append("## " + rng.choice(HEADINGS[lang]))
            since_heading = 0
            continue
        sentences = [_sentence(rng, words, rng.randint(8, 22)) for _ in range(rng.randint(2, 6))]
        count += sum(s.count(" ") + 1 for s in sentences)
        r = rng.random()
        if r < 0.12:
            blocks.append("\n>\n".join("> " + s for s in sentences))
        elif r < 0.17:
            blocks.append("\n".join("- " + s for s in sentences))
        else:
            blocks.append(" ".join(sentences))
        since_heading += 1
    return "\n\n".join(blocks) + "\n"


def _title(rng: random.Random, lang: str) -> str:
    person = rng.choice(PEOPLE)
    place = rng.choice(_PLACES)
    year = rng.choice(_YEARS)
    if lang == "es":
        forms = [f"{person} en {place}", f"Carta desde {place}, {year}",
                 f"La huelga de hambre de {place}", f"Recordando a {person}"]
    elif lang == "ru":
        forms = [f"{person}: письмо, {year}", f"Голодовка, {year}",
                 f"Воспоминания о {person}", f"Из истории, {year}"]
    else:
        forms = [f"{person} in {place}", f"A letter from {place}, {year}",
                 f"The hunger strike in {place} ({year})", f"Remembering {person}",
                 f"{place}: testimony of {person}", f"From the archive: {place}, {year}"]
    return rng.choice(forms)


def slugify(text: str) -> str:
    s = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


# --- the corpus as data -----------------------------------------------------


def generate(n: int, seed: int) -> list[Doc]:
    """N documents: posts in English and, for 10 % of them, Spanish or
    Russian language versions of earlier posts. Sorted by date."""
    rng = random.Random(f"{seed}:{n}")
    n_versions = round(n * LANG_SHARE)
    n_posts = n - n_versions
    span = (datetime(FIRST_DAY.year + YEARS, 1, 1) - FIRST_DAY).total_seconds()
    times = sorted(FIRST_DAY + timedelta(seconds=rng.randrange(int(span)) // 60 * 60)
                   for _ in range(n_posts))
    posts: list[Doc] = []
    for i, when in enumerate(times):
        title = _title(rng, "en")
        slug = f"{slugify(title)}-{i + 1}"
        name = f"{when:%Y-%m-%d}-{slug}"
        src_lang = rng.choice(SOURCE_LANGS)
        source = {"title": _title(rng, src_lang if src_lang in WORDS else "en"),
                  "author": rng.choice(PEOPLE),
                  "publication": rng.choice(PUBLICATIONS),
                  "date": f"{rng.randint(1918, 1975)}-{rng.randint(1, 12):02d}",
                  "lang": src_lang}
        if rng.random() < 0.3:
            source["via"] = rng.choice(VIA)
        if rng.random() < 0.3:
            source["url"] = f"https://archive.example.org/item/{rng.randrange(1, 10**6)}"
        if rng.random() < 0.2:
            source["rights"] = "Public domain"
        translation = {}
        if src_lang != "en":
            translation = {"translator": rng.choice(TRANSLATORS), "from_lang": src_lang}
        reprints = []
        if rng.random() < 0.15:
            reprints = [{"publication": rng.choice(PUBLICATIONS), "date": str(rng.randint(1960, 2010))}]
        body = make_body(rng, "en", rng.randint(600, 1000))
        posts.append(Doc(
            name=name, slug=slug, lang="en", title=title, date=when,
            author=rng.choice(AUTHORS),
            tags=rng.sample(TAGS, rng.randint(1, 5)),
            category=rng.choice(CATEGORIES),
            summary=body.split(".")[0].lstrip("#> -*")[:150].strip() + ".",
            body=body, source=source, translation=translation, reprints=reprints,
            content_warning="executions, torture" if rng.random() < 0.05 else None,
        ))
    versions: list[Doc] = []
    for post in rng.sample(posts, n_versions):
        lang = rng.choice(["es", "ru"])
        # The post was translated from this language version: say so.
        post.source["lang"] = lang
        post.translation = {"translator": rng.choice(TRANSLATORS), "from_lang": lang}
        body = make_body(rng, lang, rng.randint(600, 1000))
        versions.append(Doc(
            name=post.name, slug=post.slug, lang=lang, title=_title(rng, lang),
            date=post.date, author=post.author, tags=list(post.tags), category=post.category,
            summary=body.split(".")[0].lstrip("#> -*")[:150].strip() + ".",
            body=body, source=dict(post.source), translation={}, reprints=[],
            content_warning=post.content_warning,
        ))
    return sorted(posts + versions, key=lambda d: (d.date, d.lang, d.name))


# --- writers ----------------------------------------------------------------


def _yaml(meta: dict) -> str:
    """Front matter the way people write it: lists of names inline, mappings
    as blocks (like the bundled posts/*.md)."""
    out = []
    for key, value in meta.items():
        flow = isinstance(value, list) and all(isinstance(v, str) for v in value)
        out.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True,
                                  default_flow_style=True if flow else False, width=1000)
                   .removeprefix("{").removesuffix("}\n").rstrip("\n") + "\n")
    return "".join(out)


def gulagpub_path(doc: Doc) -> str:
    return f"translations/{doc.lang}/{doc.name}.md" if doc.is_version else f"posts/{doc.name}.md"


def gulagpub_text(doc: Doc) -> str:
    meta: dict = {"title": doc.title}
    if not doc.is_version:
        meta["id"] = f"tag:bench.example.org,{doc.date:%Y-%m-%d}:{doc.slug}"
    meta.update({"state": "published", "author": doc.author,
                 "date": f"{doc.date:%Y-%m-%d %H:%M}", "lang": doc.lang,
                 "tags": doc.tags, "categories": [doc.category], "summary": doc.summary})
    if doc.content_warning:
        meta["content_warning"] = doc.content_warning
    meta["source"] = doc.source
    if doc.translation:
        meta["translation"] = doc.translation
    if doc.reprints:
        meta["reprints"] = doc.reprints
    return "---\n" + _yaml(meta) + "---\n\n" + doc.body


GULAGPUB_TOML = f"""\
# A generated corpus for benchmarks/build_bench.py (not a real blog).

[site]
title = "{SITE_TITLE}"
description = "Generated posts to time builds"
base_url = "{BASE_URL}"
lang = "en"
timezone = "UTC"

[workflow]
approvals_required = 1
signed_approvals = false

[feeds]
entries = 20

[[team]]
name = "gulaganarchists"
email = "gulaganarchists@users.noreply.github.com"
github = "gulaganarchists"
roles = ["editor"]
langs = ["en", "es", "ru"]
"""


def pelican_path(doc: Doc) -> str:
    return f"content/{doc.name}-{doc.lang}.md" if doc.is_version else f"content/{doc.name}.md"


def pelican_text(doc: Doc) -> str:
    lines = [
        f"Title: {doc.title}",
        f"Date: {doc.date:%Y-%m-%d %H:%M}",
        f"Category: {doc.category}",
        f"Tags: {', '.join(doc.tags)}",
        f"Slug: {doc.slug}",
        f"Authors: {doc.author}",
        f"Lang: {doc.lang}",
        f"Summary: {doc.summary}",
    ]
    if doc.is_version:
        lines.append("Translation: true")
    for k, v in doc.source.items():
        lines.append(f"Source_{k}: {v}")
    for k, v in doc.translation.items():
        lines.append(f"Translation_{k}: {v}")
    if doc.content_warning:
        lines.append(f"Content_warning: {doc.content_warning}")
    return "\n".join(lines) + "\n\n" + doc.body


PELICANCONF = f"""\
# A generated corpus for benchmarks/build_bench.py: Pelican's default theme,
# with feeds for the whole site, per category, per tag and per language on,
# in Atom and RSS, carrying full content like gulagpub's feeds.
AUTHOR = "gulaganarchists"
SITENAME = "{SITE_TITLE}"
SITEURL = "{BASE_URL.rstrip('/')}"
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10

ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/index.html"
ARTICLE_LANG_URL = "{{lang}}/{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/"
ARTICLE_LANG_SAVE_AS = "{{lang}}/{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/index.html"

FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{{slug}}.atom.xml"
CATEGORY_FEED_RSS = "feeds/category/{{slug}}.rss.xml"
TAG_FEED_ATOM = "feeds/tag/{{slug}}.atom.xml"
TAG_FEED_RSS = "feeds/tag/{{slug}}.rss.xml"
TRANSLATION_FEED_ATOM = "feeds/all-{{lang}}.atom.xml"
TRANSLATION_FEED_RSS = "feeds/all-{{lang}}.rss.xml"
AUTHOR_FEED_ATOM = None  # gulagpub has no feeds per author
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 20  # like gulagpub's [feeds] entries = 20
RSS_FEED_SUMMARY_ONLY = False

LOAD_CONTENT_CACHE = False
"""


def hugo_path(doc: Doc) -> str:
    return f"content/posts/{doc.name}.{doc.lang}.md" if doc.is_version else f"content/posts/{doc.name}.md"


def hugo_text(doc: Doc) -> str:
    meta: dict = {"title": doc.title, "date": f"{doc.date:%Y-%m-%dT%H:%M:00Z}",
                  "slug": doc.slug, "author": doc.author, "tags": doc.tags,
                  "categories": [doc.category], "summary": doc.summary}
    # Custom fields at the top level: Hugo puts them in .Params (0.111 and later).
    if doc.content_warning:
        meta["content_warning"] = doc.content_warning
    meta["source"] = doc.source
    if doc.translation:
        meta["translation"] = doc.translation
    return "---\n" + _yaml(meta) + "---\n\n" + doc.body


HUGO_TOML = """\
# A generated corpus for benchmarks/build_bench.py: a minimal theme in
# layouts/, RSS for the home page, sections, taxonomies and terms, with
# full content, paginated lists, like Pelican's default theme.
baseURL = "{base_url}"
title = "{title}"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = false
enableRobotsTXT = false
disableKinds = []

{pagination}

[services.rss]
limit = 20

[permalinks]
posts = "/:year/:month/:day/:slug/"

[taxonomies]
tag = "tags"
category = "categories"

[outputs]
home = ["html", "rss"]
section = ["html", "rss"]
taxonomy = ["html", "rss"]
term = ["html", "rss"]

[languages.en]
weight = 1
languageName = "English"
[languages.es]
weight = 2
languageName = "Español"
[languages.ru]
weight = 3
languageName = "Русский"
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ .Site.Title }}</title>
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">
{{ end }}{{ with .Site.Home.OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}" title="{{ $.Site.Title }}">
{{ end }}</head>
<body>
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
<nav>{{ range .Site.Taxonomies.categories }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><a href="{{ "tags/" | relLangURL }}">Tags</a> <a href="{{ "categories/" | relLangURL }}">Categories</a></footer>
</body>
</html>
""",
    "_default/single.html": """\
{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
by {{ .Params.author }}</p>
{{ with .Params.content_warning }}<p class="cw">Content warning: {{ . }}</p>{{ end }}
{{ with .Params.source }}<p class="provenance">From: {{ .publication }}{{ with .via }}, via {{ . }}{{ end }}{{ with .date }}, {{ . }}{{ end }}.
{{ with $.Params.translation }}Translated by {{ .translator }}.{{ end }}</p>{{ end }}
{{ .Content }}
<p>{{ range .GetTerms "categories" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}
{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">#{{ .LinkTitle }}</a> {{ end }}</p>
{{ with .Translations }}<ul>{{ range . }}<li><a hreflang="{{ .Lang }}" href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
</article>{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ partial "summaries.html" (.Paginate .Pages) }}{{ end }}
""",
    "index.html": """\
{{ define "main" }}{{ partial "summaries.html" (.Paginate (where .Site.RegularPages "Section" "posts")) }}{{ end }}
""",
    "_default/terms.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
""",
    "partials/summaries.html": """\
{{ range .Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary }}</p></article>
{{ end }}
{{ partial "pager.html" . }}
""",
    "partials/pager.html": """\
<nav class="pager">{{ if .HasPrev }}<a rel="prev" href="{{ .Prev.URL }}">Newer</a>{{ end }}
Page {{ .PageNumber }} of {{ .TotalPages }}
{{ if .HasNext }}<a rel="next" href="{{ .Next.URL }}">Older</a>{{ end }}</nav>
""",
    "_default/rss.xml": """\
{{- $pages := .RegularPages -}}{{- if .IsHome -}}{{- $pages = .Site.RegularPages -}}{{- end -}}
{{- $limit := .Site.Config.Services.RSS.Limit -}}{{- if ge $limit 1 -}}{{- $pages = $pages | first $limit -}}{{- end -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ if .IsHome }}{{ .Site.Title }}{{ else }}{{ .Title }} · {{ .Site.Title }}{{ end }}</title>
<link>{{ .Permalink }}</link>
<description>{{ .Site.Title }}</description>
<language>{{ .Site.Language.Lang }}</language>
{{ with .OutputFormats.Get "rss" }}<atom:link href="{{ .Permalink }}" rel="self" type="application/rss+xml"/>{{ end }}
{{ range $pages }}<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<guid>{{ .Permalink }}</guid>
{{ range .Params.tags }}<category>{{ . }}</category>{{ end }}
<description>{{ .Content | html }}</description>
</item>
{{ end }}</channel>
</rss>
""",
}


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """git in `root` as the benchmark's identity, with no hooks or signing
    from the user's configuration. (Change times are not compared: the builds
    hard-link the corpus's media into the site, which moves theirs, and every
    `reset --hard` between runs would read all the scans again. No automatic
    gc: after the media corpus's commit of 15,000 objects git packs 5 GB in
    the background, a core taken from the builds being timed for many minutes.)"""
    return subprocess.run(
        ["git", "-c", "user.name=Benchmark", "-c", "user.email=bench@example.org",
         "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "core.trustctime=false",
         "-c", "gc.auto=0", *args],
        cwd=root, check=True, capture_output=True, text=True,
        env=None if env is None else {**os.environ, **env}).stdout.strip()


def write_gulagpub(docs: list[Doc], root: Path) -> None:
    for doc in docs:
        _write(root, gulagpub_path(doc), gulagpub_text(doc))
    _write(root, "gulagpub.toml", GULAGPUB_TOML)
    _write(root, ".gitignore", ".gulagpub-cache/\n_site/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    # One commit, dated like the newest post, so "updated from git" is stable.
    newest = max(d.date for d in docs).strftime("%Y-%m-%dT%H:%M:00+00:00")
    git(root, "commit", "-q", "-m", f"Generated corpus of {len(docs)} posts",
        env={"GIT_AUTHOR_DATE": newest, "GIT_COMMITTER_DATE": newest})


MEDIA_IMAGE = (1200, 800)  # pixels: a JPEG of noise this large is about 1 MB, like a scanned page
PDF_EVERY = 25  # one post in this many of those with a scan also carries a PDF


def add_media(root: Path, images: int, seed: int, keep: str) -> int:
    """Make `images` posts of the gulagpub corpus at `root` bundles, each with a
    scanned page (a real JPEG of about 1 MB, shown in its text) and one in
    PDF_EVERY also a PDF (linked), spread over the corpus; `keep` (the post
    edit runs change) stays a single file. Amends the corpus's one commit (its
    date kept). Returns the bytes of media written."""
    import io

    from PIL import Image

    rng = random.Random(seed)
    posts = [p for p in sorted((root / "posts").glob("*.md")) if p.stem != keep]
    step = max(1, len(posts) // max(1, images))
    written = 0
    for n, post in enumerate(posts[::step][:images]):
        folder = post.with_suffix("")
        folder.mkdir()
        pixels = Image.frombytes("L", MEDIA_IMAGE, rng.randbytes(MEDIA_IMAGE[0] * MEDIA_IMAGE[1]))
        buf = io.BytesIO()
        pixels.save(buf, "JPEG", quality=92)
        (folder / "scan-p1.jpg").write_bytes(buf.getvalue())
        text = post.read_text(encoding="utf-8") + "\n![Page 1 of the original, scanned](scan-p1.jpg)\n"
        written += len(buf.getvalue())
        if n % PDF_EVERY == 0:
            pdf = b"%PDF-1.4\n" + rng.randbytes(2_000_000) + b"\n%%EOF\n"
            (folder / "original.pdf").write_bytes(pdf)
            text += "\n[The original as a PDF](original.pdf)\n"
            written += len(pdf)
        (folder / "index.md").write_text(text, encoding="utf-8")
        post.unlink()
    date = git(root, "log", "-1", "--format=%aI")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--amend", "--no-edit", env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    return written


def write_pelican(docs: list[Doc], root: Path) -> None:
    for doc in docs:
        _write(root, pelican_path(doc), pelican_text(doc))
    _write(root, "pelicanconf.py", PELICANCONF)


def hugo_version() -> tuple[int, int] | None:
    """(0, 111) for Hugo v0.111.3; None when hugo is not installed."""
    exe = shutil.which("hugo")
    if not exe:
        return None
    out = subprocess.run([exe, "version"], capture_output=True, text=True).stdout
    m = re.search(r"v(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def write_hugo(docs: list[Doc], root: Path) -> None:
    for doc in docs:
        _write(root, hugo_path(doc), hugo_text(doc))
    # Hugo 0.128 renamed `paginate` to [pagination] pagerSize (and later
    # refuses the old key); Debian bookworm ships 0.111.
    version = hugo_version()
    pagination = ("[pagination]\npagerSize = 10" if version and version >= (0, 128)
                  else "paginate = 10")
    _write(root, "hugo.toml", HUGO_TOML.format(base_url=BASE_URL, title=SITE_TITLE,
                                               pagination=pagination))
    for rel, text in HUGO_LAYOUTS.items():
        _write(root, f"layouts/{rel}", text)


WRITERS = {"gulagpub": write_gulagpub, "pelican": write_pelican, "hugo": write_hugo}
PATH_OF = {"gulagpub": gulagpub_path, "pelican": pelican_path, "hugo": hugo_path}


def ensure(root: Path, n: int, seed: int, tools: list[str]) -> dict:
    """Make (or reuse) the corpus of `n` documents under `root`/TOOL for each
    tool. Returns the corpus stamp: n, seed, the post that edit runs change,
    and whether it was reused."""
    marker = root / "corpus.json"
    want = {"generator": GENERATOR_VERSION, "n": n, "seed": seed}
    stamp = json.loads(marker.read_text()) if marker.exists() else {}
    if {k: stamp.get(k) for k in want} != want:
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        stamp = {}
    missing = [t for t in tools if not (root / f"{t}.complete").exists()]
    if not missing:
        return {**stamp, "reused": True}
    docs = generate(n, seed)
    posts = [d for d in docs if not d.is_version]
    stamp = {**want, "edit": posts[len(posts) // 2].name}
    marker.write_text(json.dumps(stamp))
    for tool in missing:
        target = root / tool
        if target.exists():
            shutil.rmtree(target)
        WRITERS[tool](docs, target)
        (root / f"{tool}.complete").write_text("")
    return {**stamp, "reused": len(missing) < len(tools)}
