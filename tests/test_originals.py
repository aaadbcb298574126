"""The text a translation was made from, stored beside it (originals/LANG/NAME.md):
approvals record its digest and the commit approved, and `gulagpub check`
says when the original changed after the translation was approved."""

from __future__ import annotations

from conftest import ALICE, BORIS, TANIA, Repo
from flow import gp, ok, post_in_review

from gulagpub.content import load

ORIGINAL = """\
---
title: Vicente Monclús Guallar
source:
  publication: O Crabero
  via: Huesca-Info
  date: "2009-05-01"
---

Vicente Monclús Guallar nació en Abiego.
"""


def test_an_approval_records_the_original_and_check_reports_when_it_changes(repo: Repo):
    repo.write("originals/es/vicente.md", ORIGINAL)
    repo.commit("The Spanish original of Vicente", who=TANIA)
    path = post_in_review(repo)
    head = repo.git("rev-parse", "HEAD").strip()
    ok(gp(repo, "approve", path, "-m", "Checked against the Spanish", who=BORIS))
    review = load(repo.root).find(path).reviews[-1]
    assert review.commit == head
    assert review.original is not None and len(review.original) >= 8
    assert ok(gp(repo, "check")).code == 0

    repo.write("originals/es/vicente.md", ORIGINAL.replace("Abiego", "Huesca"))
    repo.commit("Fix the original", who=ALICE)
    run = gp(repo, "check")
    assert run.code != 0
    out = run.out + run.err
    assert "posts/vicente.md" in out
    assert "originals/es/vicente.md changed after boris@example.org approved this translation" in out


def test_a_post_without_a_stored_original_records_none(repo: Repo):
    path = post_in_review(repo)
    ok(gp(repo, "approve", path, "-m", "Checked", who=BORIS))
    assert load(repo.root).find(path).reviews[-1].original is None
    assert ok(gp(repo, "check")).code == 0


def test_bad_originals_are_named_with_what_to_do(repo: Repo):
    path = post_in_review(repo)
    repo.write("originals/es/vicente.md", "---\ntitle: V\npages: 3\n---\n\nTexto.\n")
    run = gp(repo, "check")
    out = run.out + run.err
    assert run.code != 0
    assert "originals/es/vicente.md" in out and "unknown field 'pages' in an original" in out
    text = repo.read(path).replace("lang: en\n", "lang: en\noriginal: originals/es/missing.md\n", 1)
    repo.write(path, text)
    run = gp(repo, "check")
    assert "'original' names originals/es/missing.md, which does not exist" in run.out + run.err
    repo.write(path, text.replace("originals/es/missing.md", "../etc/passwd"))
    run = gp(repo, "check")
    assert "must name a file in originals/LANG/" in run.out + run.err
