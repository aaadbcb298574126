"""The text a translation was made from, stored beside it (originals/LANG/NAME.md):
approvals record its digest and the commit approved, and `gulagpub check`
says when the original changed after the translation was approved."""

from __future__ import annotations

from conftest import ALICE, BORIS, TANIA, Repo
from flow import gp, ok, post_in_review
from sitehelp import jpeg

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


def test_the_site_shows_the_translation_beside_its_original(repo: Repo, tmp_path):
    repo.write("originals/es/vicente.md", ORIGINAL + "\nFue detenido en 1950.\n\n```\nuna cita\n\nen dos partes\n```\n")
    repo.commit("The Spanish original of Vicente", who=TANIA)
    path = post_in_review(repo)
    ok(gp(repo, "approve", path, who=BORIS))
    site = tmp_path / "site"
    ok(gp(repo, "publish", "--out", str(site), "--now", "2030-12-01T10:00:00Z", "--no-announce", who=ALICE))
    page = next(site.glob("2030/12/01/vicente/index.html")).read_text(encoding="utf-8")
    assert '<a href="/2030/12/01/vicente/parallel/">Read it beside the Spanish original</a>' in page
    view = (site / "2030/12/01/vicente/parallel/index.html").read_text(encoding="utf-8")
    pairs = view.split('<div class="pair">')[1:]
    assert len(pairs) == 3  # the longer text sets the rows; a fenced block is one paragraph
    assert '<div class="original" lang="es"><p>Vicente Monclús Guallar nació en Abiego.</p>' in pairs[0]
    assert '<div class="translation" lang="en"><p>Vicente was born in Abiego.</p>' in pairs[0]
    assert "Fue detenido en 1950." in pairs[1] and "una cita\n\nen dos partes" in pairs[2]
    assert '<div class="translation" lang="en"></div>' in pairs[2]


def test_an_originals_images_are_checked_with_file_and_line(repo: Repo):
    (repo.root / "media").mkdir()
    (repo.root / "media/vicente-p1.jpg").write_bytes(jpeg(40, 60))
    repo.write("originals/es/vicente.md", ORIGINAL + "\n![La primera página](/media/vicente-p1.jpg)\n\n"
               "![La segunda](/media/vicente-p2.jpg)\n")
    path = post_in_review(repo)
    run = gp(repo, "check")
    assert run.code != 0
    out = run.out + run.err
    assert "originals/es/vicente.md:13: '/media/vicente-p2.jpg' (media/vicente-p2.jpg) no such file" in out
    assert "vicente-p1" not in out and path not in out


def test_an_originals_missing_image_leaves_the_post_published(tmp_path):
    """The original is a reader's aid: its image that cannot be published is
    left out of the parallel view with a warning, and the build goes on."""
    from conftest import run_git
    from gulagpub.build import build
    from sitehelp import NOW, commit_all

    root = tmp_path / "blog"
    (root / "posts/letter").mkdir(parents=True)
    (root / "gulagpub.toml").write_text('[site]\ntitle = "T"\nbase_url = "https://example.org"\n\n'
                                        '[[team]]\nname = "Ed"\nemail = "ed@example.org"\nroles = ["editor"]\n')
    (root / "posts/letter/index.md").write_text(
        "---\ntitle: A letter\nstate: published\ndate: 2024-05-03\ntranslation:\n  from_lang: ru\n---\nThe letter.\n")
    (root / "originals/ru").mkdir(parents=True)
    (root / "originals/ru/letter.md").write_text("---\ntitle: Письмо\n---\n\nПисьмо.\n\n![Конверт](envelope.jpg)\n")
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "A letter whose original names a missing file")
    result = build(root, tmp_path / "site", now=NOW)
    assert [str(n) for n in result.warnings] == [
        "posts/letter/index.md: posts/letter/envelope.jpg no such file: left out of the site"]
    view = (tmp_path / "site/2024/05/03/letter/parallel/index.html").read_text(encoding="utf-8")
    assert "Письмо." in view and 'src="/2024/05/03/letter/envelope.jpg"' in view
