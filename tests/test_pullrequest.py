"""`gulagpub check --base REF --pr-author LOGIN`: a pull request judged as a
whole and attributed to the GitHub user who opened it, with messages a
translator who never opens a terminal can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import ALICE, BORIS, Repo, post_text, ssh_keygen
from gulagpub.cli import main

ORIGINAL = "posts/2024-01-05-letter.md"
VERSION = "translations/es/2024-01-05-letter.md"
WEB = ("Tania", "tania-gh@users.noreply.github.com")  # GitHub's web editor
LAPTOP = ("tania", "tania@laptop.localdomain")  # a desktop tool's guess


def version(state: str = "review", translator: str | None = "Tania Translator", extra: str = "",
            body: str = "Querido camarada:\n") -> str:
    lines = ["---", "title: Carta desde Solovki", f"state: {state}", "lang: es", "translation:"]
    if translator:
        lines.append(f"  translator: {translator}")
    lines += ["  from_lang: en", "source:", "  publication: Freedom", "  date: January 1924"]
    lines += [extra.rstrip("\n")] if extra else []
    lines += ["---", "", body]
    return "\n".join(lines)


@pytest.fixture
def blog(repo: Repo) -> Repo:
    repo.write(ORIGINAL, post_text("Letter from Solovki", state="published", body="Dear comrade:\n",
                                   date="2024-01-05 10:00", author="Alice Editor"))
    repo.commit("Import the letter", who=ALICE)
    repo.git("branch", "base")
    repo.git("checkout", "-q", "-b", "translation")
    return repo


def check(repo: Repo, *args: str, actions: bool = False) -> Result:
    env = {"GITHUB_ACTIONS": "true" if actions else "false"}
    return CliRunner().invoke(main, ["-C", str(repo.root), "check", "--base", "base", *args], env=env)


def test_web_editor_commits_are_judged_as_the_pull_request_author(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=LAPTOP)
    plain = check(blog)
    assert plain.exit_code == 1 and "not on the team" in plain.output
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_the_pull_request_is_judged_as_a_whole_not_commit_by_commit(blog: Repo) -> None:
    blog.write(VERSION, version(translator=None))
    blog.commit("Create carta.md", who=WEB)
    blog.write(VERSION, version())
    blog.commit("Update carta.md", who=WEB)
    assert check(blog).exit_code == 1  # the first commit alone lacked the translator
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 0, result.output


def test_a_missing_translator_is_explained_on_its_line(blog: Repo) -> None:
    blog.write(VERSION, version(translator=None))
    blog.commit("Create carta.md", who=WEB)
    result = check(blog, "--pr-author", "tania-gh", actions=True)
    assert result.exit_code == 1
    message = ("this pull request (by @tania-gh): this translation names no translator: add "
               "`translation.translator: Tania Translator` (the line `  translator: Tania Translator` under "
               "`translation:`)")
    assert result.stdout.splitlines()[0] == f"{VERSION}:5: {message}"
    assert f"::error file={VERSION},line=5::" in result.output
    assert "gulagpub assign" not in result.output


# --- the browser path: a mistake in hand-written front matter, answered with the line ----------

WEB_POST = "posts/letter-from-solovki.md"


def web_post(lang: str = "en", date: str = "2024-01-05", translation: str | None = "Tania Translator",
             from_lang: str = "ru") -> str:
    """The front matter the translator guide (and the pull-request template) has her paste."""
    lines = ["---", "title: Letter from Solovki", "state: review", "author: Tania Translator", f"lang: {lang}",
             f"date: {date}", "source:", "  title: Письмо из Соловков", "  publication: Freedom", "  lang: ru"]
    if translation is not None:
        lines += ["translation:", f"  translator: {translation}", f"  from_lang: {from_lang}"]
    return "\n".join(lines + ["---", "Dear comrades, we are alive.", ""])


def web_check(blog: Repo, text: str) -> list[str]:
    # Tania translates into English in these: the team's langs allow it.
    blog.git("checkout", "-q", "base")
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace('langs = ["es", "ru"]', 'langs = ["es", "ru", "en"]'))
    blog.commit("Tania translates into English", who=ALICE)
    blog.git("checkout", "-q", "translation")
    blog.git("merge", "-q", "--ff-only", "base")
    blog.write(WEB_POST, text)
    blog.commit("Create letter-from-solovki.md", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert "gulagpub " not in result.stdout, result.stdout  # no command-line step in a browser's pull request
    return result.stdout.splitlines()


def test_the_browser_template_as_given_passes(blog: Repo) -> None:
    assert web_check(blog, web_post()) == []


def test_a_missing_translation_block_is_answered_with_the_line_to_add(blog: Repo) -> None:
    assert web_check(blog, web_post(translation=None)) == [
        f"{WEB_POST}:7: this pull request (by @tania-gh): this translation names no translator: add "
        "`translation.translator: Tania Translator` (a line `translation:`, then below it "
        "`  translator: Tania Translator` and `  from_lang: ru`, the original's language)"]


def test_a_translator_named_otherwise_than_the_team_is_told_her_team_name(blog: Repo) -> None:
    assert web_check(blog, web_post(translation="Tania T.")) == [
        f"{WEB_POST}:11: this pull request (by @tania-gh): 'translator: Tania T.' is not the name the team knows "
        "you by: use your team name: Tania Translator (write `translation.translator: Tania Translator`)"]


def test_a_translation_without_its_original_language_is_answered_with_the_line(blog: Repo) -> None:
    text = web_post().replace("  lang: ru\n", "").replace("  from_lang: ru\n", "")
    assert web_check(blog, text) == [
        f"{WEB_POST}:10: this pull request (by @tania-gh): this translation does not say what language it is "
        "translated from: add `translation.from_lang: CODE` with the original's language code, like ru or es (the "
        "line `  from_lang: ru` under `translation:`)"]


def test_a_language_name_is_answered_with_its_code(blog: Repo) -> None:
    assert web_check(blog, web_post(lang="English", from_lang="Русский")) == [
        f"{WEB_POST}:5: 'lang: English' is not a language code: use en",
        f"{WEB_POST}:13: 'from_lang: Русский' (under 'translation:') is not a language code: use ru"]


def test_a_date_in_another_format_is_answered_with_the_format(blog: Repo) -> None:
    assert web_check(blog, web_post(date="5 January 2024")) == [
        f"{WEB_POST}:6: 'date' '5 January 2024' is not a date: write it as YYYY-MM-DD, or YYYY-MM-DD HH:MM with "
        "the time (optionally with the zone, +01:00), like 2024-01-05 10:00"]


def test_a_translator_cannot_mark_a_post_approved(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=WEB)
    blog.git("branch", "-f", "base")
    blog.write(VERSION, version(state="approved"))
    blog.commit("Update carta.md", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1
    assert "only an editor can mark a post approved" in result.output


def test_an_approval_written_by_the_translator_is_a_forgery(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=WEB)
    blog.git("branch", "-f", "base")
    forged = ("reviews:\n- by: boris@example.org\n  verdict: approved\n  at: 2026-11-27T10:00:00Z\n"
              "  content: 0123456789abcdef")
    blog.write(VERSION, version(state="approved", extra=forged))
    # The commit even claims to be Boris's: unsigned, it still counts as the author's.
    blog.commit("Approve carta.md", who=BORIS)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1
    assert "FORGERY" in result.output
    assert "only an editor can approve" in result.output


def test_someone_not_in_the_team_is_told_how_to_join(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=("Newcomer", "newcomer@users.noreply.github.com"))
    result = check(blog, "--pr-author", "newcomer")
    assert result.exit_code == 1
    assert "@newcomer is not in the team yet" in result.output
    assert "--github newcomer" in result.output


def test_pr_author_needs_a_base(repo: Repo) -> None:
    result = CliRunner().invoke(main, ["-C", str(repo.root), "check", "--pr-author", "tania-gh"])
    assert result.exit_code == 2
    assert "--pr-author needs --base" in result.output


# --- an editor approving on the branch: counts only when signed ---------------------

@pytest.fixture
def signed_blog(blog: Repo, tmp_path: Path) -> tuple[Repo, Path]:
    key = tmp_path / "boris_key"
    public = ssh_keygen(key, BORIS[1]).read_text().strip()
    blog.git("checkout", "-q", "base")
    config = blog.read("gulagpub.toml").replace("approvals_required = 1",
                                                 "approvals_required = 1\nsigned_approvals = true")
    config = config.replace('github = "boris-gh"', f'github = "boris-gh"\nsigning_key = "{public}"')
    # Boris reviews the Spanish version: an editor approves only the languages they read.
    config = config.replace('langs = ["en", "ru"]', 'langs = ["en", "ru", "es"]')
    blog.write("gulagpub.toml", config)
    blog.commit("Sign approvals", who=ALICE)
    blog.git("checkout", "-q", "translation")
    blog.git("merge", "-q", "--ff-only", "base")
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=WEB)
    return blog, key


def approve_as_boris(blog: Repo, key: Path | None) -> Result:
    blog.as_(BORIS)
    if key is not None:
        blog.git("config", "user.signingkey", str(key))
    return CliRunner().invoke(main, ["-C", str(blog.root), "approve", VERSION], env={"GITHUB_ACTIONS": "false"})


def test_a_signed_approval_on_the_branch_counts_as_the_editors(signed_blog: tuple[Repo, Path]) -> None:
    blog, key = signed_blog
    approved = approve_as_boris(blog, key)
    assert approved.exit_code == 0, approved.output
    assert "state: approved" in blog.read(VERSION)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 0, result.output


def test_changing_the_text_after_the_approval_makes_it_stale(signed_blog: tuple[Repo, Path]) -> None:
    blog, key = signed_blog
    assert approve_as_boris(blog, key).exit_code == 0
    blog.write(VERSION, blog.read(VERSION).replace("Querido camarada:", "Querida camarada:"))
    blog.commit("Update carta.md", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1
    assert "stale" in result.output


def test_an_unsigned_approval_in_the_editors_name_fails(signed_blog: tuple[Repo, Path]) -> None:
    blog, _ = signed_blog
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("signed_approvals = true",
                                                                   "signed_approvals = false"))
    approved = approve_as_boris(blog, None)  # unsigned: the settings are changed, uncommitted
    assert approved.exit_code == 0, approved.output
    blog.git("checkout", "-q", "--", "gulagpub.toml")
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1
    assert "FORGERY" in result.output
    assert "only an editor can mark a post approved" in result.output


def test_a_translator_cannot_make_themselves_an_editor(blog: Repo) -> None:
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace(
        'github = "tania-gh"\nroles = ["translator"]', 'github = "tania-gh"\nroles = ["translator", "editor"]'))
    blog.commit("Update gulagpub.toml", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1
    assert "gulagpub.toml: this pull request (by @tania-gh): " in result.output
    assert "only an editor may" in result.output


def test_updating_the_branch_from_main_keeps_it_judged_as_before(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=WEB)
    blog.git("checkout", "-q", "base")
    blog.write("posts/2024-02-01-other.md", post_text("Other", state="draft", author="Alice Editor"))
    blog.commit("New draft", who=ALICE)
    blog.git("checkout", "-q", "translation")
    # GitHub's "Update branch" button: a merge of main, made as the pull request's author.
    blog.git("merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "Merge branch 'main' into translation", "base",
             who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 0, result.output


def test_the_pull_request_templates_front_matter_passes_as_filled_in(blog: Repo) -> None:
    from conftest import PROJECT

    template = (PROJECT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    block = template.split("```yaml\n", 1)[1].split("```", 1)[0]
    text = block.replace("Your Team Name", "Tania Translator") + "Dear comrades, we are alive.\n"
    assert web_check(blog, text) == []
    # Each line is what the check's answers name.
    assert "translator: Tania Translator" in text and "lang: en" in text and "date: 2024-01-05" in text


def test_the_comment_lists_the_changes_the_verdict_and_the_preview(blog: Repo) -> None:
    blog.write(VERSION, version())
    blog.commit("Create carta.md", who=WEB)
    run = CliRunner().invoke(main, ["-C", str(blog.root), "pr-comment", "--base", "base", "--pr-author", "tania-gh",
                                    "--preview", "Open the preview."], env={"GITHUB_ACTIONS": "false"})
    assert run.exit_code == 0, run.output
    assert run.stdout.splitlines() == [
        "<!-- gulagpub-preview -->", "### Preview of this pull request", "",
        "| file | title | state | translates |", "| --- | --- | --- | --- |",
        f"| `` {VERSION} `` | `` Carta desde Solovki `` (es) | (new) → review | `` {ORIGINAL} `` |", "",
        "**The check passes:** every change follows the workflow's rules.", "", "Open the preview.", ""]
    blog.write(VERSION, version(translator="Tania | T.").replace("Carta desde Solovki", "Carta `x` | <b>y</b>"))
    blog.commit("Update carta.md", who=WEB)
    run = CliRunner().invoke(main, ["-C", str(blog.root), "pr-comment", "--base", "base", "--pr-author", "tania-gh",
                                    "--preview", "Open the preview."], env={"GITHUB_ACTIONS": "false"})
    lines = run.stdout.splitlines()
    # What the pull request wrote is shown as code: it cannot format, link, mention or break the table.
    assert lines[5] == f"| `` {VERSION} `` | `` Carta 'x' \\| <b>y</b> `` (es) | (new) → review | `` {ORIGINAL} `` |"
    assert lines[7] == ("**The check found 1 problem(s)** (the \"workflow rules\" check shows them on the lines of "
                        "the files):")
    assert lines[8].startswith(f"- `` {VERSION}:5: this pull request (by @tania-gh): 'translator: Tania \\| T.'")
