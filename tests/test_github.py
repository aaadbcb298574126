"""The GitHub side of the project: workflows, templates, CODEOWNERS and the
push-back script. Workflows are linted by the real actionlint; the rules we
care about beyond lint (pinned actions, least privilege, no secret reachable
from a pull request) are checked on the parsed YAML."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ALICE, BORIS, PROJECT, require, run_git
from gulagpub import images

GITHUB = PROJECT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
FORMS = sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else {name: None for name in ([on] if isinstance(on, str) else on)}


def actionlint() -> str:
    exe = Path(sys.executable).parent / "actionlint"
    found = str(exe) if exe.exists() else shutil.which("actionlint")
    require("actionlint (the test extra installs it)", found is not None)
    assert found is not None
    return found


def test_there_is_a_pull_request_and_a_publishing_workflow() -> None:
    assert [p.name for p in WORKFLOWS] == ["pr-comment.yml", "pr.yml", "publish.yml"]


def test_actionlint_passes_on_every_workflow() -> None:
    proc = subprocess.run([actionlint(), "-no-color", *map(str, WORKFLOWS)],
                          capture_output=True, text=True, cwd=PROJECT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.pull_request.title }}\n"
                   "        shell: nosuchshell\n      - uses: actions/checkout@v4\n        with: {depth: 1}\n")
    proc = subprocess.run([actionlint(), "-no-color", str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert "depth" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses or path.name == "pr-comment.yml"  # (which runs no action at all)
    for line in uses:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        assert PINNED.match(ref), f"{path.name}: `{line.strip()}` is not pinned to a full commit SHA"
        assert re.search(r"#\s*v\d+\.\d+\.\d+\s*$", line), f"{path.name}: `{line.strip()}` lacks a '# vX.Y.Z' comment"


def test_every_checkout_of_the_content_fetches_its_git_lfs_files() -> None:
    """Scans and PDFs may be Git LFS files: a checkout without them holds
    pointers, which check and build refuse (`git lfs pull`)."""
    content = 0
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                if not step.get("uses", "").startswith("actions/checkout@"):
                    continue
                given = step.get("with", {})
                if "repository" in given:  # (another repository: the shared tools, no content)
                    continue
                content += 1
                assert given.get("lfs") is True, f"{path.name} job {name}: checkout without `lfs: true`"
    assert content == 5  # pr.yml's three jobs, publish.yml's two


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    wf = load(path)
    assert wf.get("permissions") == {}, "top-level permissions must be {} (jobs raise what they need)"
    for name, job in wf["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"job {name} must state its permissions"
        assert "write-all" not in str(perms)


def test_pull_requests_get_no_secret_and_no_write_token() -> None:
    pr = load(GITHUB / "workflows" / "pr.yml")
    assert set(triggers(pr)) == {"pull_request"}
    assert "secrets" not in str(pr), "pr.yml must not read any secret"
    for job in pr["jobs"].values():
        assert set(job["permissions"].values()) == {"read"}
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_the_preview_is_built_by_the_base_branchs_gulagpub_and_uploaded() -> None:
    pr = load(GITHUB / "workflows" / "pr.yml")
    job = pr["jobs"]["preview"]
    assert job["permissions"] == {"contents": "read"}
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "pip install --quiet ../base" in runs and "pip install -e" not in runs
    assert "../venv-base/bin/gulagpub build --drafts --relative-links --out ../preview" in runs
    assert '../venv-base/bin/gulagpub pr-comment --base "origin/$BASE_REF" --pr-author "$PR_AUTHOR"' in runs
    uploads = {s["with"]["name"]: s["with"]["path"] for s in job["steps"]
               if str(s.get("uses", "")).startswith("actions/upload-artifact@")}
    assert uploads == {"preview": "preview", "pr-comment": "comment"}


def test_the_comment_is_posted_with_write_rights_that_never_run_the_pull_requests_code() -> None:
    wf = load(GITHUB / "workflows" / "pr-comment.yml")
    pr = load(GITHUB / "workflows" / "pr.yml")
    assert triggers(wf) == {"workflow_run": {"workflows": [pr["name"]], "types": ["completed"]}}
    assert wf["permissions"] == {}
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert job["if"] == "github.event.workflow_run.event == 'pull_request'"
    for step in job["steps"]:
        assert "uses" not in step, "no action (no checkout): nothing of the pull request runs here"
        assert "${{" not in step["run"], "event values reach the script only through the environment"
        assert "secrets." not in str(step)
    script = job["steps"][1]["run"]
    # The pull request is the one whose head is the run's commit, whatever the artifact claims.
    assert '[ "$head" != "$HEAD_SHA" ]' in script
    assert job["steps"][1]["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert "-F body=@body.md" in script and "--method PATCH" in script


def test_no_workflow_runs_on_pull_request_target() -> None:
    for path in WORKFLOWS:
        assert "pull_request_target" not in triggers(load(path)), path.name


def test_pull_request_check_judges_the_whole_history_by_the_author_login() -> None:
    pr = load(GITHUB / "workflows" / "pr.yml")
    steps = pr["jobs"]["workflow-rules"]["steps"]
    checkout = steps[0]
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("with", {}).get("python-version") == "3.11" for s in steps)
    check = next(s for s in steps if "gulagpub check" in s.get("run", ""))
    assert '--base "origin/$BASE_REF"' in check["run"]
    assert '--pr-author "$PR_AUTHOR"' in check["run"]
    # Passed through the environment, never pasted into the script (injection).
    assert check["env"]["PR_AUTHOR"] == "${{ github.event.pull_request.user.login }}"
    tests = pr["jobs"]["tests"]["steps"]
    runs = "\n".join(s.get("run", "") for s in tests)
    assert "pip install -e '.[test]'" in runs
    assert "pytest" in runs and "feedcheck --werror" in runs


def test_secrets_reach_only_the_announce_step() -> None:
    wf = load(GITHUB / "workflows" / "publish.yml")
    holders = []
    for job_name, job in wf["jobs"].items():
        assert "secrets" not in str({k: v for k, v in job.items() if k != "steps"})
        for step in job.get("steps", []):
            if "secrets." in str(step):
                holders.append((job_name, step.get("name")))
                assert set(step["env"]) == {"MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN",
                                            "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"}
                assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in step["env"].items())
                assert step["run"].strip() == "gulagpub announce"
    assert holders == [("announce", "Announce new posts on Mastodon and Bluesky")]


def test_publishing_runs_on_push_schedule_and_by_hand_one_at_a_time() -> None:
    wf = load(GITHUB / "workflows" / "publish.yml")
    on = triggers(wf)
    assert on["push"] == {"branches": ["main"]}
    assert on["schedule"] == [{"cron": "17 * * * *"}]
    assert "workflow_dispatch" in on
    assert wf["concurrency"] == {"group": "publish", "cancel-in-progress": False}
    jobs = wf["jobs"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert jobs["announce"]["needs"] == ["publish", "deploy"]
    used = [s.get("uses", "").split("@")[0] for j in jobs.values() for s in j["steps"]]
    for official in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert official in used
    # The loop is ended by GITHUB_TOKEN and idempotence, not by a message marker.
    assert not any("skip ci" in s.get("run", "") for j in jobs.values() for s in j["steps"])


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_issue_forms_are_valid(path: Path) -> None:
    form = load(path)
    for key in ("name", "description", "body"):
        assert form.get(key), f"{path.name}: '{key}' is required in an issue form"
    assert set(form) <= {"name", "description", "body", "title", "labels", "assignees", "projects", "type"}
    ids = []
    for element in form["body"]:
        kind = element["type"]
        assert kind in {"markdown", "textarea", "input", "dropdown", "checkboxes"}, kind
        attrs = element["attributes"]
        if kind == "markdown":
            assert attrs["value"].strip()
            continue
        assert attrs["label"].strip()
        ids.append(element["id"])
        if kind == "dropdown":
            assert attrs["options"] and len(set(attrs["options"])) == len(attrs["options"])
        if kind == "checkboxes":
            assert all(o["label"] for o in attrs["options"])
        assert set(element.get("validations", {})) <= {"required"}
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
    assert any(e.get("validations", {}).get("required") for e in form["body"])


def test_there_are_forms_for_translation_requests_and_corrections() -> None:
    assert [p.name for p in FORMS] == ["correction.yml", "translation-request.yml"]


def test_pull_request_template_asks_for_source_translator_language_rights() -> None:
    text = (GITHUB / "pull_request_template.md").read_text(encoding="utf-8")
    for heading in ("## The source", "## The translator", "Language of the translation", "## Rights"):
        assert heading in text


def test_codeowners_routes_content_to_editors() -> None:
    rules = {}
    for line in (GITHUB / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            rules[pattern] = owners
    for folder in ("/posts/", "/translations/", "/gulagpub.toml"):
        assert rules[folder] == ["@gulaganarchists/editors"]


# --- .github/scripts/push-to-main, against a bare repository as "GitHub" ----------

PUSH = GITHUB / "scripts" / "push-to-main"


def push_to_main(clone: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PUSH)], cwd=clone, capture_output=True, text=True)


@pytest.fixture
def remote_and_clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    bare = tmp_path / "github.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    a = tmp_path / "bot"
    run_git(tmp_path, "clone", "-q", str(bare), str(a))
    (a / "f.txt").write_text("one\n")
    run_git(a, "add", "f.txt")
    run_git(a, "commit", "-q", "--no-gpg-sign", "-m", "start", who=ALICE)
    run_git(a, "push", "-q", "origin", "HEAD:main")
    b = tmp_path / "editor"
    run_git(tmp_path, "clone", "-q", str(bare), str(b))
    return bare, a, b


def test_push_to_main_with_nothing_to_push(remote_and_clones: tuple[Path, Path, Path]) -> None:
    _, bot, _ = remote_and_clones
    proc = push_to_main(bot)
    assert proc.returncode == 0 and "nothing to push" in proc.stdout


def test_push_to_main_replays_its_commit_when_main_moved(remote_and_clones: tuple[Path, Path, Path]) -> None:
    bare, bot, editor = remote_and_clones
    (editor / "g.txt").write_text("editor\n")
    run_git(editor, "add", "g.txt")
    run_git(editor, "commit", "-q", "--no-gpg-sign", "-m", "editor's change", who=BORIS)
    run_git(editor, "push", "-q", "origin", "HEAD:main")
    (bot / "ledger.txt").write_text("announced\n")
    run_git(bot, "add", "ledger.txt")
    run_git(bot, "commit", "-q", "--no-gpg-sign", "-m", "Record announcement", who=ALICE)
    proc = push_to_main(bot)
    assert proc.returncode == 0, proc.stderr
    assert "pushed 1 commit(s)" in proc.stdout
    subjects = run_git(bare, "log", "--format=%s", "main").splitlines()
    assert subjects == ["Record announcement", "editor's change", "start"]


def test_push_to_main_script_passes_shellcheck() -> None:
    found = shutil.which("shellcheck")
    require("shellcheck (Debian package 'shellcheck', installed by .ci/run)", found is not None)
    proc = subprocess.run([str(found), str(PUSH)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_the_images_copies_are_kept_between_publishes_only_from_main() -> None:
    """publish.yml restores and saves .git/gulagpub/copies/ (actions/cache, pinned) before it
    builds; no other workflow touches that cache, so only main's runs write what they restore."""
    wf = load(GITHUB / "workflows" / "publish.yml")
    steps = wf["jobs"]["publish"]["steps"]
    names = [s.get("name") for s in steps]
    (cache,) = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert re.fullmatch(r"actions/cache@[0-9a-f]{40}", cache["uses"])
    assert cache["with"]["path"] == ".git/gulagpub/copies"
    # (Named by how copies are made and named: another gulagpub's copies are not restored.)
    prefix = f"gulagpub-copies-{images.copies_tag()}-"
    assert cache["with"]["key"].startswith(prefix + "${{ hashFiles(") and cache["with"]["restore-keys"] == prefix
    assert names.index(cache["name"]) < names.index("Promote due posts and build the site")
    assert triggers(wf).keys() == {"push", "schedule", "workflow_dispatch"}  # (never a pull request's run)
    for other in WORKFLOWS:
        if other.name != "publish.yml":
            assert "gulagpub/copies" not in other.read_text(encoding="utf-8"), other.name
