"""Corrections of published posts, end to end in a real repository with
several identities: a translator proposes one on a branch (the pull-request
check as pr.yml runs it accepts it), the site keeps the published text while
it is in review, another editor approves, the publisher publishes it again
with its public note and `updated`, feeds carry it (each format keeping the
entry's id, address and first date), and `history` and `check --base` (over
the range and each commit) tell who proposed and who approved; a language
version's correction is said in its language."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import ALICE, BORIS, TANIA, Repo
from flow import approved, gp, ok
from sitehelp import feedcheck

from gulagpub.cli import main

POST = "posts/vicente.md"
NOTE = "the date of the arrest was 20-4-1950, not 1951"
WRONG = "He was arrested in 1951."
RIGHT = "He was arrested on 20-4-1950."


def publish(repo: Repo, out: Path, when: str) -> None:
    ok(gp(repo, "publish", "--out", str(out), "--no-announce", "--now", when, who=ALICE))


@pytest.fixture
def published(repo: Repo, tmp_path: Path) -> tuple[Repo, Path]:
    """Vicente by Alice, translated by Tania, approved by Boris, published."""
    approved(repo)
    repo.write(POST, repo.read(POST) + f"\n{WRONG}\n")
    repo.commit("Add the arrest", who=TANIA)
    ok(gp(repo, "submit", POST, who=TANIA))
    ok(gp(repo, "approve", POST, who=BORIS))
    site = tmp_path / "site"
    # (Published after the commits were made, as a real post is: feeds date an
    # entry by its publication or its last change, whichever is later.)
    publish(repo, site, "2030-12-01T10:00:00+00:00")
    assert "state: published" in repo.read(POST)
    repo.git("branch", "-f", "published")
    return repo, site


def address_of(site: Path) -> Path:
    pages = [p for p in site.rglob("index.html") if "vicente" in str(p.parent)]
    assert len(pages) == 1, pages
    return pages[0]


def page_of(site: Path) -> str:
    return address_of(site).read_text(encoding="utf-8")


def check_base(repo: Repo, base: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(repo.root), "check", "--base", base, *args],
                                env={"GITHUB_ACTIONS": "false"})
    return result.exit_code, result.output


def pr_comment(repo: Repo, base: str, login: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(repo.root), "pr-comment", "--base", base, "--pr-author", login],
                                env={"GITHUB_ACTIONS": "false"})
    return result.exit_code, result.output


def entry_in_each_format(site: Path) -> dict[str, dict[str, str]]:
    """The post's entry as each feed format gives it: id, link, first and last dates."""
    atom = feedparser.parse((site / "feed.atom").read_bytes()).entries
    rss = feedparser.parse((site / "feed.rss").read_bytes()).entries
    items = json.loads((site / "feed.json").read_bytes())["items"]
    assert len(atom) == len(rss) == len(items) == 1
    return {"atom": {"id": atom[0].id, "link": atom[0].link, "published": atom[0].published,
                     "updated": atom[0].updated},
            "rss": {"id": rss[0].id, "link": rss[0].link, "published": rss[0].published},
            "json": {"id": items[0]["id"], "link": items[0]["url"], "published": items[0]["date_published"],
                     "updated": items[0]["date_modified"]}}


def test_a_translators_correction_through_a_pull_request(published: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, site = published
    before = repo.read(POST)
    first_id = next(line for line in before.splitlines() if line.startswith("id:"))
    first_date = next(line for line in before.splitlines() if line.startswith("date:"))
    old_feed = feedparser.parse((site / "feed.atom").read_bytes()).entries[0]
    old_entries = entry_in_each_format(site)
    old_address = address_of(site)

    # Tania, on a branch: edit, then submit with the public note (one commit).
    repo.git("checkout", "-q", "-b", "fix-arrest")
    repo.write(POST, before.replace(WRONG, RIGHT))
    ok(gp(repo, "submit", POST, "--note", NOTE, who=TANIA))
    text = repo.read(POST)
    assert "state: review" in text and f"note: {NOTE}" in text and "by: tania@example.org" in text
    # The pull-request check, as pr.yml runs it: the base's gulagpub over the branch.
    code, out = check_base(repo, "published", "--pr-author", "tania-gh")
    assert code == 0, out
    code, out = check_base(repo, "published")
    assert code == 0, out
    # The pull request's comment (pr.yml's preview job) says what it is.
    code, out = pr_comment(repo, "published", "tania-gh")
    assert code == 0, out
    assert f"| published → review (a correction: `` {NOTE} ``) |" in out

    # Merged first (the recommended flow): main's site still shows what was published.
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "fix-arrest")
    ok(gp(repo, "build", "--out", str(site), who=ALICE))
    page = page_of(site)
    assert WRONG in page and RIGHT not in page and "Corrected on" not in page
    status = json.loads(ok(gp(repo, "status", "--json", who=ALICE)).out)
    row = next(r for r in (status if isinstance(status, list) else status["posts"]) if r["path"] == POST)
    assert "correction" in row["waiting_for"]

    # Nobody approves their own; Alice wrote it; Boris approves.
    assert gp(repo, "approve", POST, who=TANIA).code == 1
    refused = gp(repo, "approve", POST, who=ALICE)
    assert refused.code == 1 and "self-approval" in refused.err
    ok(gp(repo, "approve", POST, "-m", "Checked against the police record", who=BORIS))
    assert "state: approved" in repo.read(POST)

    publish(repo, site, "2030-12-12T09:00:00+00:00")
    text = repo.read(POST)
    assert "state: published" in text and "correction:" not in text.replace("corrections:", "")
    assert first_id in text and first_date in text
    assert "updated: 2030-12-12 10:00" in text  # (the site's time zone: Madrid)
    page = page_of(site)
    assert RIGHT in page and WRONG not in page
    # (The day in the page's interface language, as its date: CLDR's English.)
    assert f"Corrected on <time datetime=\"2030-12-12\">December 12, 2030</time>:</strong> {NOTE}" in page
    new_feed = feedparser.parse((site / "feed.atom").read_bytes()).entries[0]
    assert new_feed.id == old_feed.id and new_feed.link == old_feed.link
    assert new_feed.updated != old_feed.updated and new_feed.updated.startswith("2030-12-12T09:00")
    assert NOTE in new_feed.content[0].value
    # In every format: the same id, address and first date; a later `updated`.
    new_entries = entry_in_each_format(site)
    for fmt, old_entry in old_entries.items():
        new_entry = new_entries[fmt]
        assert {k: new_entry[k] for k in ("id", "link", "published")} == \
            {k: old_entry[k] for k in ("id", "link", "published")}, fmt
        if "updated" in old_entry:
            assert new_entry["updated"] != old_entry["updated"], fmt
    assert new_entries["json"]["updated"].startswith("2030-12-12T09:00")
    assert address_of(site) == old_address

    # What git recorded proves who proposed and who approved: the whole range, and each
    # commit on its own (the proposal, the approval, the publication), as a push to main is judged.
    code, out = check_base(repo, "published")
    assert code == 0, out
    commits = repo.git("rev-list", "--reverse", "published..main").split()
    assert len(commits) == 3
    for commit in commits:
        repo.git("checkout", "-q", "--detach", commit)
        code, out = check_base(repo, commit + "^")
        assert code == 0, (repo.git("log", "-1", "--format=%an: %s", commit), out)
    repo.git("checkout", "-q", "main")
    hist = ok(gp(repo, "history", POST, "--json", who=ALICE))
    events = json.loads(hist.out)["events"]
    correct = next(e for e in events if e["action"] == "correct")
    assert correct["email"] == "tania@example.org" and correct["note"] == NOTE
    assert correct["from"] == "published" and correct["to"] == "review"
    approve = [e for e in events if e["action"] == "approve"][-1]
    assert approve["email"] == "boris@example.org"
    assert events[-1]["action"] == "publish-correction" and events[-1]["note"] == NOTE
    plain = ok(gp(repo, "history", POST, who=ALICE)).out
    assert f'"{NOTE}"' in plain


def test_the_corrected_feeds_pass_the_strict_validator(published: tuple[Repo, Path], shared: Path) -> None:
    repo, site = published
    repo.write(POST, repo.read(POST).replace(WRONG, RIGHT))
    ok(gp(repo, "submit", POST, "--note", "a <date> & a place", who=TANIA))
    ok(gp(repo, "approve", POST, who=BORIS))
    publish(repo, site, "2030-12-12T09:00:00+00:00")
    result = feedcheck(shared, site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "December 12, 2030</time>:</strong> a &lt;date&gt; &amp; a place" in page_of(site)


def test_a_direct_edit_of_a_published_post_is_refused_with_what_to_do(published: tuple[Repo, Path]) -> None:
    repo, _ = published
    for who in (TANIA, BORIS):
        repo.git("checkout", "-q", "-B", "direct", "published")
        repo.write(POST, repo.read(POST).replace(WRONG, RIGHT))
        repo.commit("Fix the date", who=who)
        code, out = check_base(repo, "published")
        assert code == 1
        assert "changed the text of a published post directly" in out
        assert f"gulagpub submit {POST} --note" in out


def test_submit_on_a_published_post_needs_an_edit_and_a_note(published: tuple[Repo, Path]) -> None:
    repo, _ = published
    nothing = gp(repo, "submit", POST, "--note", NOTE, who=TANIA)
    assert nothing.code == 1 and "no change to propose" in nothing.err
    repo.write(POST, repo.read(POST).replace(WRONG, RIGHT))
    silent = gp(repo, "submit", POST, who=TANIA)
    assert silent.code != 0 and "--note" in silent.err
    minor = gp(repo, "submit", POST, "--minor", who=TANIA)
    assert minor.code != 0 and "only an editor" in minor.err
    assert "state: published" in repo.git("show", f"HEAD:{POST}")


def test_a_forged_proposer_is_caught(published: tuple[Repo, Path]) -> None:
    repo, _ = published
    text = repo.read(POST).replace(WRONG, RIGHT).replace("state: published", "state: review")
    text = text.replace("---\n\n", f"correction:\n  note: {NOTE}\n  by: PROPOSER\n---\n\n", 1)
    repo.write(POST, text.replace("PROPOSER", "boris@example.org"))
    repo.commit("Fix the date", who=TANIA)
    code, out = check_base(repo, "published")
    assert code == 1 and "FORGERY: proposes the correction in the name of boris@example.org" in out
    # The same written in the web editor with her own address is a proposed correction.
    repo.write(POST, text.replace("PROPOSER", "tania@example.org"))
    repo.commit("Fix the proposer", who=TANIA)
    code, out = check_base(repo, "published", "--pr-author", "tania-gh")
    assert code == 0, out


def test_an_editors_minor_fix_has_no_note_and_keeps_updated(published: tuple[Repo, Path]) -> None:
    repo, site = published
    old_entry = feedparser.parse((site / "feed.atom").read_bytes()).entries[0]
    repo.write(POST, repo.read(POST).replace("Abiego", "Abiego (Huesca)"))
    ok(gp(repo, "submit", POST, "--minor", who=BORIS))
    assert "minor: true" in repo.read(POST)
    refused = gp(repo, "approve", POST, who=BORIS)
    assert refused.code == 1 and "proposed the correction" in refused.err
    # Alice wrote the post; a third editor approves.
    text = repo.read("gulagpub.toml") + '\n[[team]]\nname = "Carla Editor"\nemail = "carla@example.org"\nroles = ["editor"]\n'
    repo.write("gulagpub.toml", text)
    repo.commit("Carla joins", who=ALICE, paths=("gulagpub.toml",))
    ok(gp(repo, "approve", POST, who=("Carla Editor", "carla@example.org")))
    publish(repo, site, "2030-12-12T09:00:00+00:00")
    page = page_of(site)
    assert "Abiego (Huesca)" in page and "Corrected on" not in page
    entry = feedparser.parse((site / "feed.atom").read_bytes()).entries[0]
    assert entry.updated == old_entry.updated
    code, out = check_base(repo, "published")
    assert code == 0, out


def test_request_changes_keeps_a_correction_in_review_and_on_the_site(published: tuple[Repo, Path]) -> None:
    repo, site = published
    repo.write(POST, repo.read(POST).replace(WRONG, RIGHT))
    ok(gp(repo, "submit", POST, "--note", NOTE, who=TANIA))
    ok(gp(repo, "request-changes", POST, "-m", "Give the source of the date", who=BORIS))
    assert "state: review" in repo.read(POST)
    ok(gp(repo, "build", "--out", str(site), who=ALICE))
    assert WRONG in page_of(site)
    code, out = check_base(repo, "published")
    assert code == 0, out


def test_diff_shows_what_changed_since_an_editors_last_approval(published: tuple[Repo, Path]) -> None:
    repo, _ = published
    assert "commit: " in repo.read(POST)  # each approval records the commit it approved
    since = ok(gp(repo, "diff", POST, who=BORIS))  # publishing dated what Boris approved, and that is all
    changed = [line for line in since.out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["+date: 2030-12-01 11:00"], since.out
    assert "changed since Boris Editor approved it" in since.err
    repo.write(POST, repo.read(POST).replace(WRONG, RIGHT))
    ok(gp(repo, "submit", POST, "--note", NOTE, who=TANIA))
    shown = ok(gp(repo, "diff", POST, "--editor", "boris-gh", who=ALICE))
    assert f"-{WRONG}\n" in shown.out and f"+{RIGHT}\n" in shown.out
    assert f"+  note: {NOTE}\n" in shown.out  # the proposal is content: the approval vouches for it
    assert "reviews:" not in shown.out and "state:" not in shown.out  # what the workflow wrote is not
    assert shown.out.startswith(f"--- {POST} @ ")
    never = gp(repo, "diff", POST, who=ALICE)
    assert never.code == 1 and "Alice Editor <alice@example.org> has not approved" in never.err
    assert "approved by: boris@example.org" in never.err
    ok(gp(repo, "approve", POST, who=BORIS))
    same = ok(gp(repo, "diff", POST, who=BORIS))
    assert same.out == "" and "no change since Boris Editor approved it" in same.err


ES = "translations/es/vicente.md"


def test_a_language_versions_correction_is_published_in_its_language(published: tuple[Repo, Path],
                                                                      shared: Path) -> None:
    # Tania corrects her published Spanish version; Alice (an editor for Spanish) approves;
    # the publisher publishes it again: its page and its section's feeds say so in Spanish.
    repo, site = published
    repo.write(ES, "---\ntitle: Vicente (es)\nstate: published\ndate: 2030-12-02 10:00\nlang: es\n"
                   "source:\n  publication: O Crabero\ntranslation:\n  translator: Tania Translator\n  from_lang: en\n---\n\n"
                   "Fue detenido en 1951.\n")
    repo.commit("Import the Spanish version", who=ALICE)
    publish(repo, site, "2030-12-03T10:00:00+00:00")
    base = repo.git("rev-parse", "HEAD").strip()
    old = feedparser.parse((site / "es/feed.atom").read_bytes()).entries[0]

    repo.write(ES, repo.read(ES).replace("en 1951", "el 20-4-1950"))
    ok(gp(repo, "submit", ES, "--note", "la fecha de la detención", who=TANIA))
    ok(gp(repo, "approve", ES, who=ALICE))
    publish(repo, site, "2030-12-12T09:00:00+00:00")
    code, out = check_base(repo, base)
    assert code == 0, out

    page = next(p for p in (site / "es").rglob("index.html") if p.parent.name == "vicente").read_text("utf-8")
    assert ('Corregido el <time datetime="2030-12-12">12 de diciembre de 2030</time>:</strong> '
            "la fecha de la detención") in page and "el 20-4-1950" in page
    new = feedparser.parse((site / "es/feed.atom").read_bytes()).entries[0]
    assert (new.id, new.link, new.published) == (old.id, old.link, old.published)
    assert new.updated.startswith("2030-12-12T09:00") and new.updated != old.updated
    assert "Corregido el" in new.content[0].value and "Corrected on" not in new.content[0].value
    result = feedcheck(shared, site)
    assert result.returncode == 0, result.stdout + result.stderr
