"""Withdrawal in the open: a withdrawn post's address serves a page saying
it was withdrawn, when and (unless kept private) why, never a bare 404; its
feed entries go; its language versions go with it and are never published or
announced after it."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from conftest import ALICE, BORIS, TANIA, Repo
from flow import gp, ok

POST = "posts/2026-01-05-letter.md"
ES = "translations/es/2026-01-05-letter.md"
RU = "translations/ru/2026-01-05-letter.md"
VERSION = ("---\ntitle: {title}\nstate: {state}\ndate: 2026-01-06 10:00\nlang: {lang}\nid: tag:blog.example.org,"
           "2026:{lang}-letter\ntranslation:\n  translator: Tania Translator\n  from_lang: en\nsource:\n"
           "  publication: Freedom\n{reviews}---\n\nTexto.\n")


@pytest.fixture
def blog(repo: Repo, tmp_path: Path) -> tuple[Repo, Path]:
    repo.write(POST, "---\ntitle: Letter from Solovki\nstate: published\ndate: 2026-01-05 10:00\n"
                     "author: Alice Editor\n---\n\nDear comrade.\n")
    repo.write(ES, VERSION.format(title="Carta", state="published", lang="es", reviews=""))
    repo.commit("Import the letter", who=ALICE)
    # A Russian version approved, waiting for its date, when the letter is withdrawn.
    repo.write(RU, VERSION.format(title="Pismo", state="review", lang="ru", reviews="").replace(
        "date: 2026-01-06 10:00", "date: 2030-01-01 10:00"))
    repo.commit("Translate into Russian", who=ALICE)
    ok(gp(repo, "approve", RU, who=BORIS))
    site = tmp_path / "site"
    ok(gp(repo, "build", "--out", str(site), "--now", "2026-12-01T10:00:00Z"))
    return repo, site


def address(site: Path, lang: str = "") -> Path:
    found = [p for p in site.rglob("index.html") if p.parent.name == "letter" and
             (f"/{lang}/" in p.as_posix() if lang else "/es/" not in p.as_posix() and "/ru/" not in p.as_posix())]
    assert len(found) == 1, found
    return found[0]


def entries(site: Path) -> list[str]:
    """The links of the main feed's and the Spanish feed's entries."""
    return [e.link for feed in (site / "feed.atom", site / "es/feed.atom") if feed.exists()
            for e in feedparser.parse(feed.read_bytes()).entries]


def test_the_address_says_withdrawn_when_and_why(blog: tuple[Repo, Path]) -> None:
    repo, site = blog
    page = address(site)
    assert "Dear comrade" in address(site).read_text(encoding="utf-8")
    assert len(entries(site)) == 2
    ok(gp(repo, "withdraw", POST, "--reason", "The source turned out to be a forgery", who=BORIS))
    ok(gp(repo, "build", "--out", str(site), "--now", "2026-12-01T10:00:00Z"))
    # (Each in its language: the Spanish version's page in Spanish.)
    for where, said, reason in ((address(site), "This document was withdrawn on <time", "Reason: "),
                                (address(site, "es"), "Este documento se retiró el <time", "Motivo: ")):
        html = where.read_text(encoding="utf-8")
        assert "Dear comrade" not in html and "Texto" not in html
        assert said in html
        assert reason + "The source turned out to be a forgery" in html
        assert '<meta name="robots" content="noindex">' in html
    assert page == address(site)
    assert entries(site) == []
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "letter" not in sitemap


def test_a_private_reason_is_not_shown(blog: tuple[Repo, Path]) -> None:
    repo, site = blog
    ok(gp(repo, "withdraw", POST, "--reason", "The family asked us to", "--private-reason", who=BORIS))
    assert "public: false" in repo.read(POST)
    ok(gp(repo, "build", "--out", str(site), "--now", "2026-12-01T10:00:00Z"))
    html = address(site).read_text(encoding="utf-8")
    assert "was withdrawn on" in html and "family" not in html and "Reason" not in html
    assert "The family asked us to" in ok(gp(repo, "history", POST)).out  # kept in the record


def test_language_versions_are_never_published_or_announced_after_their_post(blog: tuple[Repo, Path]) -> None:
    repo, site = blog
    ok(gp(repo, "withdraw", POST, "--reason", "A forgery", who=BORIS))
    later = "2030-06-01T10:00:00Z"  # the Russian version's date has come
    dry = ok(gp(repo, "publish", "--dry-run", "--now", later, "--no-announce", who=ALICE))
    assert "ru" not in dry.out and "Pismo" not in dry.out, dry.out
    ok(gp(repo, "publish", "--out", str(site), "--now", later, "--no-announce", who=ALICE))
    assert "state: review" not in repo.read(RU) and "state: approved" in repo.read(RU)
    announce = gp(repo, "announce", "--dry-run", "--json", who=ALICE,
                  env={"MASTODON_API_BASE_URL": "http://127.0.0.1:9", "MASTODON_ACCESS_TOKEN": "x"})
    listed = announce.out + announce.err
    assert "letter" not in listed, listed
    status = json.loads(ok(gp(repo, "status", "--json")).out)
    rows = status if isinstance(status, list) else status["posts"]
    assert {r["path"]: r["state"] for r in rows}[ES] == "withdrawn"


def test_only_an_editor_changes_the_reason_a_page_gives(blog: tuple[Repo, Path]) -> None:
    repo, _ = blog
    ok(gp(repo, "withdraw", POST, "--reason", "A forgery", who=BORIS))
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write(POST, repo.read(POST).replace("reason: A forgery", "reason: Censored by the editors"))
    repo.commit("My reason", who=TANIA)
    run = gp(repo, "check", "--base", base)
    assert run.code == 1 and "changed the withdrawal" in run.out + run.err
    repo.git("reset", "-q", "--hard", base)
    repo.write(POST, repo.read(POST).replace("reason: A forgery", "reason: A forgery\n  public: false"))
    repo.commit("Keep it private", who=ALICE)
    assert ok(gp(repo, "check", "--base", base)).code == 0
