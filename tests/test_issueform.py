"""A "Translation request" issue (the form in .github/ISSUE_TEMPLATE) made
into a draft by an editor: `gulagpub new --from-issue`."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from conftest import ALICE, PROJECT, TANIA, Repo, act_as
from flow import gp, ok

from gulagpub.cli import main
from gulagpub.content import load
from gulagpub.errors import UsageError
from gulagpub.issueform import answers, offer

# An issue's body as GitHub writes a filled-in form (a heading per field).
ISSUE = """\
### Title of the original

Письмо из Соловков

### Author of the original

_No response_

### Where to find it (link, or library reference)

https://example.org/solovki

### Where and when it was published

Freedom, January 1924
reprinted in Cienfuegos Press Anarchist Review #4 (1978)

### Language of the original

Russian (ru)

### Translate into

English (en), Spanish (es)

### Rights

Public domain

### Translator

- [X] I would like to translate it myself

### Anything else

"title: injected\\nstate: approved" ---
"""


def test_the_forms_labels_are_the_ones_read() -> None:
    form = yaml.safe_load((PROJECT / ".github" / "ISSUE_TEMPLATE" / "translation-request.yml").read_text())
    labels = {e["attributes"]["label"] for e in form["body"] if e["type"] != "markdown"}
    assert set(answers(ISSUE)) <= labels
    assert {"Title of the original", "Language of the original", "Translate into"} <= labels


def test_an_issue_becomes_the_details_of_a_draft() -> None:
    found = offer(ISSUE)
    assert (found.title, found.from_lang, found.lang) == ("Письмо из Соловков", "ru", "en")
    assert found.source == {"title": "Письмо из Соловков", "lang": "ru", "url": "https://example.org/solovki",
                            "publication": "Freedom, January 1924; reprinted in Cienfuegos Press Anarchist "
                                           "Review #4 (1978)", "rights": "Public domain"}
    assert offer(ISSUE, lang="es").lang == "es"
    other = ISSUE.replace("Russian (ru)", "Other (say below)")
    with pytest.raises(UsageError) as refused:
        offer(other)
    assert str(refused.value) == ("the issue's 'Language of the original' is 'Other (say below)', not a language "
                                  "with its code, like 'Russian (ru)'; give the code with --translate-from / --lang")
    assert offer(other, from_lang="uk").from_lang == "uk"
    with pytest.raises(UsageError, match="not a translation request"):
        offer("Please translate this.")


def test_new_from_an_issue_makes_a_draft_that_passes_the_check(repo: Repo, tmp_path) -> None:
    issue = tmp_path / "issue.md"
    issue.write_text(ISSUE, encoding="utf-8")
    base = repo.git("rev-parse", "HEAD").strip()
    ok(gp(repo, "new", "--from-issue", str(issue), "--slug", "letter-from-solovki", who=ALICE))
    post = load(repo.root).find("posts/letter-from-solovki.md")
    assert (post.title, post.lang, post.state.value, post.author) == (
        "Письмо из Соловков", "en", "draft", "Alice Editor")
    assert post.translation.from_lang == "ru" and post.source.url == "https://example.org/solovki"
    # The stranger's text stayed values: nothing it says became a field of its own.
    assert "injected" not in repo.read("posts/letter-from-solovki.md")
    assert ok(gp(repo, "check", "--base", base)).code == 0
    act_as(repo.root, TANIA)
    run = CliRunner().invoke(main, ["-C", str(repo.root), "new", "--from-issue", "-", "--dry-run"],
                             input=ISSUE.replace("Письмо", "Ещё письмо"))
    assert run.exit_code == 0, run.output
    assert gp(repo, "new", who=ALICE).err == "error: give the post's TITLE (or --from-issue FILE)\n"
