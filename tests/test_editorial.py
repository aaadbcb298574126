"""The editorial use cases on real git repositories, acted by several people."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ALICE, BORIS, MALLORY, TANIA, Repo, act_as, run_git
from flow import TRANSLATED, approved, gp, into_english, post_in_review

from gulagpub import editorial
from gulagpub.config import Member, Role
from gulagpub.content import load
from gulagpub.errors import PermissionDenied, UsageError, WorkflowError
from gulagpub.model import State, Verdict

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def state(repo: Repo, path: str) -> State:
    return load(repo.root).find(path).state


def last_message(repo: Repo) -> str:
    return repo.git("log", "-1", "--format=%an <%ae>%n%B")


def commits(repo: Repo) -> int:
    return int(repo.git("rev-list", "--count", "HEAD"))


def test_the_whole_path_from_draft_to_approved(repo):
    path = post_in_review(repo)
    assert state(repo, path) == State.REVIEW
    assert "Transition: translation -> review" in last_message(repo)
    act_as(repo.root, BORIS)
    out = editorial.approve(repo.root, path, NOW, note="Checked against the Spanish")
    post = load(repo.root).find(path)
    assert post.state == State.APPROVED
    [r] = post.reviews
    assert (r.by, r.name, r.verdict, r.content, r.note) == (
        "boris@example.org", "Boris Editor", Verdict.APPROVED, post.digest, "Checked against the Spanish")
    assert last_message(repo) == (
        "Boris Editor <boris@example.org>\nApprove posts/vicente.md: Vicente\n\nPost: posts/vicente.md\n"
        "Transition: review -> approved\nApproved-by: Boris Editor <boris@example.org>\n\n")
    assert out.commit == repo.git("rev-parse", "HEAD").strip()
    assert repo.git("status", "--porcelain") == ""


def test_new_and_assign_write_the_fields_and_one_commit_each(repo):
    into_english(repo)
    before = commits(repo)
    act_as(repo.root, ALICE)
    editorial.new(repo.root, "Vicente Monclús: a life", translate_from="es",
                  source={"publication": "O Crabero", "via": "Huesca-Info"})
    path = "posts/vicente-monclus-a-life.md"
    assert repo.read(path) == (
        "---\ntitle: 'Vicente Monclús: a life'\nstate: draft\nauthor: Alice Editor\nlang: en\nsource:\n"
        "  publication: O Crabero\n  via: Huesca-Info\n  lang: es\ntranslation:\n  from_lang: es\n---\n")
    editorial.assign(repo.root, "vicente-monclus-a-life", "tania-gh")
    assert commits(repo) == before + 2
    post = load(repo.root).find(path)
    assert post.state == State.TRANSLATION and post.translators == ("Tania Translator",)
    assert "Assigned-to: Tania Translator <tania@example.org>" in last_message(repo)


def test_translate_makes_a_language_version_that_records_its_original(repo):
    repo.write("posts/p.md", "---\ntitle: Hello\nstate: published\ndate: 2026-01-01\nauthor: Alice Editor\n"
                             "tags: [gulag]\nsource:\n  publication: Freedom\n---\n\nText.\n")
    repo.commit("Import", who=ALICE)
    act_as(repo.root, ALICE)
    editorial.translate(repo.root, "p", "es", translator="tania@example.org")
    version = load(repo.root).find("translations/es/p.md")
    original = load(repo.root).find("posts/p.md")
    assert version.state == State.TRANSLATION and version.lang == "es"
    assert version.translation.from_lang == "en" and version.translators == ("Tania Translator",)
    assert version.translation.of_digest == original.digest
    assert version.source.publication == "Freedom" and version.tags == ("gulag",)
    assert version.date is None and version.body == "Text.\n"
    assert "Translation-of: posts/p.md" in last_message(repo)


def test_translate_never_copies_the_posts_feed_id(repo):
    repo.write("posts/p.md", "---\ntitle: Hello\nid: https://old.example.com/?p=12\nstate: published\n"
                             "date: 2026-01-01\nauthor: Alice Editor\n---\n\nText.\n")
    repo.commit("Import", who=ALICE)
    act_as(repo.root, ALICE)
    editorial.translate(repo.root, "p", "es")
    assert "id:" not in repo.read("translations/es/p.md")
    content = load(repo.root)
    assert content.find("translations/es/p.md").id is None and content.problems == []


def test_request_changes_keeps_the_note_and_returns_to_the_translator(repo):
    path = post_in_review(repo)
    act_as(repo.root, BORIS)
    editorial.request_changes(repo.root, path, "Paragraph 2: check the dates", NOW)
    post = load(repo.root).find(path)
    assert post.state == State.TRANSLATION
    assert post.reviews[-1].verdict == Verdict.CHANGES_REQUESTED
    assert post.reviews[-1].note == "Paragraph 2: check the dates"
    assert "Changes-requested-by: Boris Editor <boris@example.org>" in last_message(repo)
    assert "Transition: review -> translation" in last_message(repo)


def test_an_original_post_goes_from_draft_to_review_by_an_editor(repo):
    repo.write("posts/essay.md", "---\ntitle: Essay\nstate: draft\nauthor: Boris Editor\n---\n\nMine.\n")
    repo.commit("Draft", who=BORIS)
    act_as(repo.root, TANIA)
    with pytest.raises(PermissionDenied) as refused:
        editorial.submit(repo.root, "essay")
    assert str(refused.value) == ("cannot submit posts/essay.md: Tania Translator <tania@example.org> is not the "
                                  "author of posts/essay.md; only its author or an editor may submit an original draft")
    act_as(repo.root, ALICE)
    editorial.submit(repo.root, "essay")
    assert state(repo, "essay") == State.REVIEW
    editorial.request_changes(repo.root, "essay", "Shorter, please", NOW)
    assert state(repo, "essay") == State.DRAFT


def test_a_translator_submits_an_original_draft_they_wrote(repo):
    act_as(repo.root, TANIA)
    editorial.new(repo.root, "Memories of Butyrki", slug="butyrki")
    repo.write("posts/butyrki.md", repo.read("posts/butyrki.md") + "\nWhat I remember.\n")
    repo.commit("Write", who=TANIA)
    editorial.submit(repo.root, "butyrki")
    assert state(repo, "butyrki") == State.REVIEW
    with pytest.raises(PermissionDenied) as refused:
        editorial.approve(repo.root, "butyrki", NOW)
    assert str(refused.value) == "Tania Translator <tania@example.org> may not approve: only an editor may; ask an editor"
    act_as(repo.root, BORIS)
    editorial.approve(repo.root, "butyrki", NOW)
    assert state(repo, "butyrki") == State.APPROVED


def test_withdraw_needs_an_editor_and_keeps_the_reason(repo):
    repo.write("posts/p.md", "---\ntitle: Hello\nstate: published\ndate: 2026-01-01\n---\n\nText.\n")
    repo.commit("Import", who=ALICE)
    act_as(repo.root, TANIA)
    with pytest.raises(PermissionDenied, match="may not withdraw a post: only an editor may"):
        editorial.withdraw(repo.root, "p", "rights", NOW)
    act_as(repo.root, BORIS)
    editorial.withdraw(repo.root, "p", "The rights holder asked us to", NOW)
    post = load(repo.root).find("p")
    assert post.state == State.WITHDRAWN and post.withdrawn.reason == "The rights holder asked us to"
    assert "Withdrawn-by: Boris Editor <boris@example.org>" in last_message(repo)


# --- refusals ----------------------------------------------------------------------

def test_self_approval_is_refused_for_the_author_and_the_translator(repo):
    path = post_in_review(repo)
    act_as(repo.root, ALICE)
    with pytest.raises(PermissionDenied) as exc:
        editorial.approve(repo.root, path, NOW)
    assert str(exc.value) == ("cannot approve posts/vicente.md: self-approval: Alice Editor <alice@example.org> "
                              "is the author of posts/vicente.md; another editor must approve it")
    act_as(repo.root, TANIA)
    with pytest.raises(PermissionDenied, match="may not approve: only an editor may"):
        editorial.approve(repo.root, path, NOW)
    assert state(repo, path) == State.REVIEW


def test_an_editor_who_translated_may_not_approve(repo):
    repo.write("posts/p.md", TRANSLATED.format(state="review").replace("Tania Translator", "Boris Editor"))
    repo.commit("Translated by Boris", who=BORIS)
    act_as(repo.root, BORIS)
    with pytest.raises(PermissionDenied, match="Boris Editor <boris@example.org> is a translator of posts/p.md"):
        editorial.approve(repo.root, "p", NOW)


def test_assigning_without_source_language_or_translator_role_is_refused(repo):
    repo.write("posts/p.md", "---\ntitle: P\nstate: draft\nauthor: Alice Editor\n---\n\nText\n")
    repo.commit("Draft", who=ALICE)
    act_as(repo.root, ALICE)
    with pytest.raises(WorkflowError) as exc:
        editorial.assign(repo.root, "p", "tania@example.org")
    assert str(exc.value) == (
        "cannot assign posts/p.md:\n- posts/p.md has no source language: set 'translation.from_lang' "
        "(or 'source.lang'), e.g. `gulagpub new TITLE --translate-from es`\n"
        "- no assigned translator of posts/p.md translates into 'en' (Tania Translator: ['es', 'ru']); "
        "assign another translator or add the language to their 'langs' in gulagpub.toml")
    with pytest.raises(WorkflowError, match="Boris Editor <boris@example.org> does not have the translator role"):
        editorial.assign(repo.root, "p", "boris@example.org")
    with pytest.raises(WorkflowError, match="'nobody@example.org' is not on the team"):
        editorial.assign(repo.root, "p", "nobody@example.org")


def test_submitting_without_translator_source_or_body_lists_all_three(repo):
    repo.write("posts/p.md", "---\ntitle: P\nstate: translation\nauthor: Alice Editor\n"
                             "translation:\n  from_lang: es\n---\n")
    repo.commit("Odd", who=ALICE)
    act_as(repo.root, ALICE)
    with pytest.raises(WorkflowError) as exc:
        editorial.submit(repo.root, "p")
    lines = str(exc.value).splitlines()
    assert lines[0] == "cannot submit posts/p.md:"
    assert [line.split(" ", 3)[3][:40] for line in lines[1:]] == [
        "an empty body; write the text below the ",
        "a translation but names no translator; s",
        "a translation without source attribution",
    ]


def test_a_stale_approval_after_a_content_edit_does_not_count(repo):
    path = approved(repo)
    repo.write(path, repo.read(path).replace("Abiego", "Abiego (Huesca)"))
    repo.commit("Fix a place name", who=TANIA)
    post = load(repo.root).find(path)
    assert post.state == State.APPROVED  # as the edit left it; check and status report it
    act_as(repo.root, TANIA)
    editorial.submit(repo.root, path)
    assert state(repo, path) == State.REVIEW
    assert "Transition: approved -> review" in last_message(repo)
    act_as(repo.root, BORIS)
    editorial.approve(repo.root, path, NOW)  # a new approval on the new content
    assert state(repo, path) == State.APPROVED


def test_a_second_approval_of_the_same_content_by_the_same_editor_is_refused(repo, tmp_path):
    text = repo.read("gulagpub.toml").replace("approvals_required = 1", "approvals_required = 2")
    repo.write("gulagpub.toml", text)
    repo.commit("Two approvals", who=ALICE)
    path = post_in_review(repo)
    act_as(repo.root, BORIS)
    editorial.approve(repo.root, path, NOW)
    assert state(repo, path) == State.REVIEW
    assert "Transition: review -> review (1 of 2 approvals)" in last_message(repo)
    with pytest.raises(WorkflowError, match="approved this content of posts/vicente.md already"):
        editorial.approve(repo.root, path, NOW)


def test_someone_not_on_the_team_can_do_nothing(repo):
    act_as(repo.root, MALLORY)
    with pytest.raises(PermissionDenied, match=r"mallory@example.org \(git config user.email\) is not on the team"):
        editorial.new(repo.root, "Intrusion")
    with pytest.raises(PermissionDenied, match="is not on the team"):
        editorial.team_add(repo.root, Member("M", "m@example.org", frozenset({Role.EDITOR})))


def test_a_file_with_uncommitted_changes_is_not_touched(repo):
    path = post_in_review(repo)
    repo.write(path, repo.read(path) + "\nAn unsaved thought.\n")
    act_as(repo.root, BORIS)
    with pytest.raises(WorkflowError, match="posts/vicente.md has uncommitted changes; commit them"):
        editorial.approve(repo.root, path, NOW)
    assert "An unsaved thought." in repo.read(path)


def test_dry_run_changes_nothing(repo):
    path = post_in_review(repo)
    before = (commits(repo), repo.read(path))
    act_as(repo.root, BORIS)
    out = editorial.approve(repo.root, path, NOW, dry_run=True)
    assert out.dry_run and out.commit is None
    assert ("Approved-by", "Boris Editor <boris@example.org>") in out.trailers
    assert (commits(repo), repo.read(path)) == before


# --- init and team --------------------------------------------------------------------

@pytest.fixture
def global_identity(tmp_path, monkeypatch):
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[user]\n\tname = Alice Editor\n\temail = alice@example.org\n[commit]\n\tgpgsign = false\n"
                   "[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    return cfg


def test_init_makes_a_repository_with_its_first_editor(tmp_path, global_identity):
    root = tmp_path / "newblog"
    editorial.init(root, "New Blog", "https://new.example.org", lang="es", timezone="Europe/Madrid")
    content = load(root)
    assert content.config.site.base_url == "https://new.example.org/"
    [first] = content.config.team
    assert (first.email, first.roles, first.langs) == ("alice@example.org", frozenset({Role.EDITOR}), ("es",))
    assert (root / "posts").is_dir() and (root / "translations").is_dir()
    assert run_git(root, "log", "--format=%s").strip() == "Start New Blog"
    with pytest.raises(UsageError, match="gulagpub.toml already exists"):
        editorial.init(root, "Again", "https://x.org/")


def test_init_refuses_a_bad_timezone_before_making_anything(tmp_path, global_identity):
    from gulagpub.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown timezone 'Mars/Olympus'"):
        editorial.init(tmp_path / "b", "B", "https://b.org/", timezone="Mars/Olympus")
    assert not (tmp_path / "b").exists()


def test_team_add_appends_and_keeps_comments(repo, tmp_path):
    repo.write("gulagpub.toml", "# Our blog: keep this comment\n" + repo.read("gulagpub.toml"))
    repo.commit("Comment", who=ALICE)
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "paul", "-f", str(key)], check=True)
    act_as(repo.root, ALICE)
    editorial.team_add(repo.root, Member("Paul Sharkey", "paul@example.org", frozenset({Role.TRANSLATOR}),
                                         langs=("es", "en"), signing_key=editorial.read_public_key(Path(f"{key}.pub"))))
    text = repo.read("gulagpub.toml")
    assert text.startswith("# Our blog: keep this comment\n")
    paul = load(repo.root).config.member(email="paul@example.org")
    assert paul.langs == ("es", "en") and paul.signing_key.startswith("ssh-ed25519 ")
    assert "Team-added: Paul Sharkey <paul@example.org>" in last_message(repo)
    with pytest.raises(UsageError, match="is a PRIVATE key"):
        editorial.read_public_key(key)
    act_as(repo.root, TANIA)
    with pytest.raises(PermissionDenied, match="may not change the team: only an editor may"):
        editorial.team_add(repo.root, Member("X", "x@example.org", frozenset({Role.EDITOR})))


def test_withdrawing_a_post_withdraws_its_published_language_versions_in_one_commit(repo):
    repo.write("posts/p.md", "---\ntitle: Hello\nstate: published\ndate: 2026-01-01\n---\n\nText.\n")
    repo.write("translations/es/p.md", "---\ntitle: Hola\nstate: published\ndate: 2026-01-02\n"
                                       "translation:\n  translator: Tania Translator\n  from_lang: en\n---\n\nTexto.\n")
    repo.write("translations/ru/p.md", "---\ntitle: Privet\nstate: draft\n---\n\nTekst.\n")
    repo.commit("Import", who=ALICE)
    base = repo.git("rev-parse", "HEAD").strip()
    before = commits(repo)
    act_as(repo.root, BORIS)
    editorial.withdraw(repo.root, "p", "The rights holder asked us to", NOW)
    assert commits(repo) == before + 1
    content = load(repo.root)
    assert content.find("posts/p.md").state == State.WITHDRAWN
    es = content.find("translations/es/p.md")
    assert es.state == State.WITHDRAWN and es.withdrawn.reason == "The rights holder asked us to"
    assert content.find("translations/ru/p.md").state == State.DRAFT  # never published: left as it is
    assert "Post: translations/es/p.md" in last_message(repo)
    # The check of the range proves an editor made both moves.
    assert gp(repo, "check", "--base", base).code == 0


def test_new_and_translate_take_the_date_tags_categories_and_summary(repo):
    from flow import gp, ok

    ok(gp(repo, "new", "Vicente", "--slug", "vicente", "--source-lang", "es", "--source-publication", "O Crabero",
          "--date", "2012-10-20 14:32", "--tag", "Spain", "--tag", "CNT", "--category", "Biographies",
          "--summary", "An Aragonese anarchist in the Gulag.", who=ALICE))
    post = load(repo.root).find("posts/vicente.md")
    assert (post.date.isoformat(), post.tags, post.categories, post.summary) == (
        "2012-10-20T14:32:00+02:00", ("Spain", "CNT"), ("Biographies",), "An Aragonese anarchist in the Gulag.")
    assert post.source.lang == "es" and post.source.publication == "O Crabero"
    ok(gp(repo, "translate", "vicente", "--lang", "ru", "--summary", "Арагонский анархист в ГУЛАГе.",
          "--tag", "Испания", "--date", "2012-10-21", who=ALICE))
    version = load(repo.root).find("translations/ru/vicente.md")
    assert (version.summary, version.tags, version.categories, version.date.date().isoformat()) == (
        "Арагонский анархист в ГУЛАГе.", ("Испания",), ("Biographies",), "2012-10-21")
    run = gp(repo, "new", "Other", "--date", "20.10.2012", who=ALICE)
    assert (run.code, run.err) == (2, "error: --date '20.10.2012' is not a date: write it as YYYY-MM-DD, or "
                                      "YYYY-MM-DD HH:MM with the time (optionally with the zone, +01:00), like "
                                      "2024-01-05 10:00\n")


def test_init_makes_a_repository_ready_to_build_and_commit_in(tmp_path, global_identity):
    from gulagpub.build import build
    from datetime import datetime, timezone

    root = tmp_path / "newblog"
    root.mkdir()
    (root / ".gitignore").write_text("notes.txt")  # a folder's own rules stay
    editorial.init(root, "New Blog", "https://new.example.org/", description="Letters  from\nexile.")
    assert load(root).config.site.description == "Letters from exile."
    assert (root / ".gitignore").read_text().startswith("notes.txt\n# Made by gulagpub init.")
    build(root, root / "_site", now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert run_git(root, "status", "--porcelain").strip() == ""  # nothing built shows as untracked
    assert run_git(root, "check-ignore", "._site.gulagpub-next/index.html").strip()  # (the spare of later builds)
    for left in ("posts/.a.md.gulagpub-4242", "posts/a.md.gulagpub-tmp"):  # (an interrupted write's)
        assert run_git(root, "check-ignore", left).strip() == left
    for page in ("index.html", "404.html"):
        assert '<meta name="description" content="Letters from exile.">' in (root / "_site" / page).read_text()


def test_new_page_starts_a_standalone_page_that_the_menu_shows_once_published(repo, tmp_path):
    from datetime import datetime, timezone

    from flow import gp, ok
    from gulagpub.publisher import publish

    ok(gp(repo, "new", "--page", "About this archive", "--slug", "about", "--summary", "Who we are.", who=ALICE))
    assert repo.read("pages/about.md") == (
        "---\ntitle: About this archive\nstate: draft\nauthor: Alice Editor\nlang: en\nsummary: Who we are.\n---\n")
    assert "New draft pages/about.md: About this archive" in last_message(repo)
    repo.write("pages/about.md", repo.read("pages/about.md") + "\nWe publish letters from the Gulag.\n")
    repo.commit("About: the text", who=ALICE)
    ok(gp(repo, "submit", "pages/about.md", who=ALICE))
    ok(gp(repo, "approve", "pages/about.md", "-m", "Fine", who=BORIS))
    publish(repo.root, tmp_path / "site", datetime(2026, 12, 1, tzinfo=timezone.utc))
    about = (tmp_path / "site/about/index.html").read_text(encoding="utf-8")
    assert "We publish letters from the Gulag." in about
    assert '<a href="/about/">About this archive</a>' in (tmp_path / "site/404.html").read_text(encoding="utf-8")
    # What a page cannot have, and the site's own folders, are refused before anything is written.
    for args, said in ((("--page", "Dated", "--date", "2026-01-01"), "has no date"),
                       (("--page", "Archive"), "/archive/ is a folder of the site itself"),
                       (("--page", "X", "--slug", "tag"), "/tag/ is a folder of the site itself")):
        run = gp(repo, "new", *args, who=ALICE)
        assert run.code == 2 and said in run.err, run
    assert not (repo.root / "pages/archive.md").exists() and repo.git("status", "--porcelain") == ""
