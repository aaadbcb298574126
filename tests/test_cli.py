"""The CLI as a user meets it: help on every command, exit codes, stdout vs
stderr, --json, --dry-run, and a few runs of the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from conftest import ALICE, BORIS, MALLORY, PROJECT, TANIA, act_as
from flow import approved, gp, ok, post_in_review

from gulagpub.cli import main

SCRIPT = Path(sys.executable).parent / "gulagpub"


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out += all_commands(cmd, f"{prefix}{name} ")
    return out


def test_every_command_has_help_with_an_example():
    commands = all_commands(main)
    assert {"init", "team add", "new", "translate", "assign", "submit", "approve", "request-changes",
            "withdraw", "status", "history", "check"} <= {name for name, _ in commands}
    for name, cmd in commands:
        assert cmd.help and len(cmd.help) > 40, f"`gulagpub {name}` has no help text"
        assert "Example:" in cmd.help, f"`gulagpub {name}` --help has no Example"
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"`gulagpub {name}` option {param.opts} has no help"


def test_commands_that_commit_accept_dry_run():
    for name, cmd in all_commands(main):
        if name in ("init", "team add", "new", "translate", "assign", "submit", "approve",
                    "request-changes", "withdraw", "setup github", "team set", "team remove"):
            assert "--dry-run" in [o for p in cmd.params for o in p.opts], name


def test_status_lists_who_has_what(repo):
    path = post_in_review(repo)
    repo.write("posts/draft.md", "---\ntitle: Draft\nstate: translation\nauthor: Alice Editor\n"
                                 "translation:\n  translator: Tania Translator\n  from_lang: es\n---\n\nx\n")
    repo.commit("Another", who=ALICE)
    run = ok(gp(repo, "status"))
    assert run.lines == [
        "translation  posts/draft.md  Draft  [waits for translation by Tania Translator]",
        f"review       {path}  Vicente  [waits for review by an editor (0 of 1 approvals)]",
    ]
    data = json.loads(ok(gp(repo, "status", "--json")).out)
    row = data["posts"][1]
    assert (row["path"], row["state"], row["approvals"], row["approvals_required"]) == (path, "review", 0, 1)


def test_status_shows_stale_approvals_and_outdated_translations(repo):
    path = approved(repo)
    ok(gp(repo, "translate", path, "--lang", "es", "--translator", "tania@example.org", who=ALICE))
    repo.write(path, repo.read(path).replace("Abiego", "Abiego (Huesca)"))
    repo.commit("Fix", who=TANIA)
    data = {r["path"]: r for r in json.loads(ok(gp(repo, "status", "--json")).out)["posts"]}
    assert data[path]["stale_approvals"] == ["boris@example.org"]
    assert data["translations/es/vicente.md"]["outdated_translation"] is True
    text = ok(gp(repo, "status")).out
    assert "! posts/vicente.md changed after this version was translated; update the translation" in text


def test_history_lists_each_state_change(repo):
    path = approved(repo)
    run = ok(gp(repo, "history", "vicente"))
    rows = [line.split()[2:5] for line in run.lines]
    assert rows == [["(new)", "->", "draft"], ["draft", "->", "translation"], ["translation", "->", "review"],
                    ["review", "->", "approved"]]
    assert run.lines[-1].endswith('approve          Boris Editor <boris@example.org>  "Checked"')
    events = json.loads(ok(gp(repo, "history", path, "--json")).out)["events"]
    assert [(e["from"], e["to"], e["action"], e["email"]) for e in events] == [
        (None, "draft", "create", "alice@example.org"),
        ("draft", "translation", "assign", "alice@example.org"),
        ("translation", "review", "submit", "tania@example.org"),
        ("review", "approved", "approve", "boris@example.org"),
    ]
    assert events[-1]["commit"] == repo.git("rev-parse", "HEAD").strip()


def test_refusals_are_messages_not_tracebacks(repo):
    path = post_in_review(repo)
    run = gp(repo, "approve", path, who=ALICE)
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("error: cannot approve posts/vicente.md: self-approval")
    run = gp(repo, "new", "Intrusion", who=MALLORY)
    assert run.code == 1 and "mallory@example.org (git config user.email) is not on the team" in run.err
    run = gp(repo, "approve", "no-such-post", who=BORIS)
    assert run.code == 2 and "no post 'no-such-post'" in run.err
    run = gp(repo, "request-changes", path, who=BORIS)
    assert run.code == 2 and "Missing option '-m'" in run.err


def test_dry_run_prints_and_changes_nothing(repo):
    path = post_in_review(repo)
    before = repo.git("rev-parse", "HEAD")
    run = ok(gp(repo, "approve", path, "--dry-run", who=BORIS))
    assert run.lines[0] == "would commit: Approve posts/vicente.md: Vicente"
    assert "  Approved-by: Boris Editor <boris@example.org>" in run.lines
    assert "dry run: nothing was written or committed" in run.err
    assert repo.git("rev-parse", "HEAD") == before and repo.git("status", "--porcelain") == ""


def script(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_the_installed_script_runs_the_whole_path(tmp_path):
    assert SCRIPT.exists()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Alice Editor\n\temail = alice@example.org\n"
                         "[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n")
    env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    blog = tmp_path / "blog"
    r = script("init", str(blog), "--title", "Blog", "--base-url", "https://b.example.org/", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    steps = [
        (ALICE, ["team", "add", "Tania Translator", "tania@example.org", "--role", "translator", "--lang", "en"]),
        (ALICE, ["team", "add", "Boris Editor", "boris@example.org", "--role", "editor"]),
        (ALICE, ["new", "Letter from Berlin", "--translate-from", "ru", "--source-publication", "Freedom"]),
        (ALICE, ["assign", "letter-from-berlin", "Tania Translator"]),
    ]
    for who, args in steps:
        act_as(blog, who)
        r = script(*args, cwd=blog, env=env)
        assert r.returncode == 0, (args, r.stderr)
    (blog / "posts/letter-from-berlin.md").write_text(
        (blog / "posts/letter-from-berlin.md").read_text() + "\nDear comrades,\n")
    act_as(blog, TANIA)
    subprocess.run(["git", "-C", str(blog), "commit", "-qam", "Translate"], check=True,
                   env={**os.environ, **env})
    for who, args in [(TANIA, ["submit", "letter-from-berlin"]), (BORIS, ["approve", "letter-from-berlin"])]:
        act_as(blog, who)
        r = script(*args, cwd=blog, env=env)
        assert r.returncode == 0, (args, r.stderr)
    r = script("-C", str(blog), "check", "--base", "HEAD~6", cwd=tmp_path, env=env)
    assert (r.returncode, r.stdout) == (0, ""), r.stdout
    r = script("status", cwd=blog, env=env)
    assert r.stdout.startswith("approved     posts/letter-from-berlin.md  Letter from Berlin")


def test_the_installed_script_exit_codes(tmp_path):
    r = script("-C", str(PROJECT), "check", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "") and "5 file(s) checked, no problems" in r.stderr
    r = script("-C", str(PROJECT), "check", "--base", "not-a-ref", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = script("status", cwd=tmp_path)
    assert r.returncode == 1 and "no gulagpub.toml in" in r.stderr and "`gulagpub init DIR`" in r.stderr


def test_history_keeps_an_index_for_the_next_run(repo):
    approved(repo)
    index = repo.root / ".git" / "gulagpub-history-cache.pickle"
    first = ok(gp(repo, "history", "vicente"))
    stat = index.stat()
    assert ok(gp(repo, "history", "vicente")) == first
    assert index.stat() == stat  # HEAD is indexed: nothing read from git's history, nothing written
    repo.write("notes.txt", "a commit the index does not know yet\n")
    repo.commit("notes")
    assert ok(gp(repo, "history", "vicente")) == first
    assert index.stat().st_mtime_ns != stat.st_mtime_ns or index.stat().st_ino != stat.st_ino
    info = repo.root / ".git" / "objects" / "info"
    assert not (info / "commit-graph").exists() and not (info / "commit-graphs").exists()
