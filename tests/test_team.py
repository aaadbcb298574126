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
