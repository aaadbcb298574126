"""`gulagpub team list / set / remove`: editors change the team, one commit
each, on real repositories; what a removed member did stays valid."""

from __future__ import annotations

import json
import tomllib

from conftest import ALICE, BORIS, TANIA, Repo
from flow import approved, gp, ok

from gulagpub.content import load_config


def test_list_shows_the_team_and_json_holds_every_field(repo: Repo) -> None:
    run = ok(gp(repo, "team", "list"))
    assert run.lines == [
        "Alice Editor <alice@example.org>  editor; langs en,es; github alice-gh",
        "Boris Editor <boris@example.org>  editor; langs en,ru; github boris-gh",
        "Tania Translator <tania@example.org>  translator; langs es,ru; github tania-gh",
    ]
    data = json.loads(ok(gp(repo, "team", "list", "--json")).out)
    assert data["team"][2] == {"name": "Tania Translator", "email": "tania@example.org", "roles": ["translator"],
                               "langs": ["es", "ru"], "github": "tania-gh", "signing_key": None}
    assert data["publisher"] is None


def test_set_changes_one_member_in_one_commit_and_keeps_the_rest(repo: Repo, tmp_path) -> None:
    text = repo.read("gulagpub.toml").replace("[workflow]", "# the rules\n[workflow]")
    repo.write("gulagpub.toml", text)
    repo.commit("comment", who=ALICE)
    head = repo.git("rev-parse", "HEAD").strip()
    key = tmp_path / "tania.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf0rP6 tania\n")
    run = ok(gp(repo, "team", "set", "tania-gh", "--role", "translator", "--role", "editor", "--lang", "en",
                "--github", "tania-t", "--signing-key", str(key), who=ALICE))
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert "Change Tania Translator's github, langs, roles, signing_key in the team" in run.err
    tania = load_config(repo.root).member(email="tania@example.org")
    assert tania is not None and sorted(tania.roles) == ["editor", "translator"]
    assert (tania.langs, tania.github, tania.signing_key) == (("en",), "tania-t", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf0rP6 tania")
    after = repo.read("gulagpub.toml")
    assert "# the rules\n[workflow]" in after
    assert after.replace(after[after.index('[[team]]\nname = "Tania'):], "") == text[:text.index('[[team]]\nname = "Tania')]
    assert ok(gp(repo, "check", "--base", head)).code == 0


def test_only_an_editor_changes_the_team_and_never_removes_the_last_editor(repo: Repo) -> None:
    run = gp(repo, "team", "remove", "alice@example.org", who=TANIA)
    assert (run.code, run.err) == (1, "error: Tania Translator <tania@example.org> may not change the team: only "
                                      "an editor may; ask an editor\n")
    ok(gp(repo, "team", "remove", "Boris Editor", who=ALICE))
    run = gp(repo, "team", "remove", "alice-gh", who=ALICE)
    assert (run.code, run.err) == (1, "error: Alice Editor <alice@example.org> is the team's last editor; add "
                                      "another editor first (`gulagpub team add NAME EMAIL --role editor`): only "
                                      "editors approve, publish and change the team\n")
    run = gp(repo, "team", "set", "alice@example.org", "--role", "translator", who=ALICE)
    assert run.code == 1 and "is the team's last editor" in run.err
    run = gp(repo, "team", "remove", "nobody", who=ALICE)
    assert (run.code, run.err) == (2, "error: 'nobody' is not on the team; give the name, e-mail or GitHub login "
                                      "of a member (`gulagpub team list` lists them)\n")
    assert [m["email"] for m in tomllib.loads(repo.read("gulagpub.toml"))["team"]] == [
        "alice@example.org", "tania@example.org"]


def test_a_removed_members_past_work_stays_valid(repo: Repo) -> None:
    base = repo.git("rev-parse", "HEAD").strip()
    approved(repo)  # translated by Tania, approved by Boris
    ok(gp(repo, "publish", "--no-announce", "--now", "2026-12-01T10:00:00Z", "--out",
          str(repo.root.parent / "site"), who=ALICE))
    ok(gp(repo, "team", "remove", "tania@example.org", who=ALICE))
    ok(gp(repo, "team", "remove", "boris@example.org", who=ALICE))
    run = gp(repo, "check", "--base", base)
    assert (run.code, run.out) == (0, "")
    # From now on, a removed member's commits are not the team's.
    repo.write("posts/vicente.md", repo.read("posts/vicente.md").replace("Abiego", "Huesca"))
    sha = repo.commit("Fix", who=TANIA)
    run = gp(repo, "check", "--base", base)
    assert run.code == 1 and f"commit {sha[:10]} by tania@example.org: the author is not on the team" in run.out


def test_dry_run_commits_nothing(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    run = ok(gp(repo, "team", "remove", "tania@example.org", "--dry-run", who=BORIS))
    assert run.out.startswith("would commit: Remove Tania Translator from the team")
    assert repo.git("rev-parse", "HEAD").strip() == head


def test_an_editors_langs_limit_the_language_versions_they_approve(repo: Repo) -> None:
    from flow import into_english

    into_english(repo)
    ok(gp(repo, "new", "Vicente", "--slug", "vicente", who=ALICE))
    repo.write("posts/vicente.md", repo.read("posts/vicente.md") + "\nVicente was born in Abiego.\n")
    repo.commit("Write", who=ALICE)
    ok(gp(repo, "translate", "vicente", "--lang", "es", "--translator", "tania@example.org", who=ALICE))
    path = "translations/es/vicente.md"
    repo.write(path, repo.read(path).replace("Abiego", "Abiego (es)"))
    repo.commit("Translate", who=TANIA)
    ok(gp(repo, "submit", path, who=TANIA))
    run = gp(repo, "approve", path, who=BORIS)  # Boris reads en and ru
    assert (run.code, run.err) == (1, f"error: cannot approve {path}: Boris Editor <boris@example.org> reviews en, "
                                      f"ru (their langs in gulagpub.toml), not 'es', the language of {path}; an "
                                      "editor who reads it approves it (or an editor adds the language: `gulagpub "
                                      "team set boris@example.org --lang ...`); another editor must approve it\n")
    ok(gp(repo, "team", "set", "boris-gh", "--lang", "en", "--lang", "ru", "--lang", "es", who=ALICE))
    ok(gp(repo, "approve", path, who=BORIS))


def test_setup_github_names_the_publisher_once_and_lists_what_is_left(repo: Repo) -> None:
    assert gp(repo, "setup", "github", who=TANIA).err == (
        "error: Tania Translator <tania@example.org> may not set the repository up for GitHub: only an editor "
        "may; ask an editor\n")
    head = repo.git("rev-parse", "HEAD").strip()
    run = ok(gp(repo, "setup", "github", who=ALICE))
    sha = repo.git("rev-parse", "HEAD").strip()
    assert repo.git("rev-parse", "HEAD~1").strip() == head
    assert run.lines[0] == sha
    assert "committed" in run.err and "Name the publisher" in run.err
    text = repo.read("gulagpub.toml")
    assert text.index("[publisher]") < text.index("[[team]]")
    assert str(load_config(repo.root).publisher) == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>")
    assert run.lines[1:] == [
        "What is left to do:",
        "1. Settings -> Pages -> Source: GitHub Actions (publish.yml deploys the site there).",
        "2. Settings -> Secrets and variables -> Actions: the secrets MASTODON_API_BASE_URL and "
        "MASTODON_ACCESS_TOKEN (and BLUESKY_HANDLE, BLUESKY_APP_PASSWORD for Bluesky); only publish.yml's "
        "announce step reads them.",
        "3. Settings -> Branches -> protect main: require a pull request, the checks \"workflow rules\" and "
        "\"tests and feed validation\", and review from Code Owners; let editors and github-actions[bot] push "
        "to main (the publisher pushes state changes and the announcement ledger).",
        "4. Settings -> Actions -> General: keep \"Require approval for first-time contributors\" on.",
        "5. .github/workflows/pr.yml is missing: copy it from gulagpub's own repository.",
        "6. .github/workflows/publish.yml is missing: copy it from gulagpub's own repository.",
        "7. Approvals are not signed: once every editor has a signing key (`gulagpub team set EMAIL "
        "--signing-key FILE.pub`), set signed_approvals = true under [workflow] in gulagpub.toml "
        "(docs/guide-setup.md).",
    ]
    # The commit is an editor's settings change: it passes the check.
    assert ok(gp(repo, "check", "--base", head)).code == 0
    again = ok(gp(repo, "setup", "github", who=ALICE))
    assert repo.git("rev-parse", "HEAD").strip() == sha
    assert again.err == ("[publisher] is set already: github-actions[bot] "
                         "<41898282+github-actions[bot]@users.noreply.github.com>\n")
    assert again.lines[0] == "What is left to do:"
