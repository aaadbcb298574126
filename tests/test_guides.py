"""The guides in docs/ run: every command in them, in order, in a real setup.

A bare repository under `github/` stands in for GitHub (each person's git
maps https://github.com/ to it), holding this project as the blog's
repository. Each person has their own HOME (git identity, SSH key) and
clone. A guide's ```console block runs as the person its
`<!-- guide: as NAME -->` comment names, each `$ ` line a command (its exit
code must be 0), with the folder carried from block to block. Steps that
happen in GitHub's web pages are prose in the guide, with a
`<!-- guide: github ... -->` comment that this harness carries out as GitHub
would (fork, open or merge a pull request, commit from the web editor, run
the publishing workflow); `<!-- guide: append NAME PATH -->` stands for
"write this in the file with your editor".

Nobody has `gulagpub` on their PATH until their guide installs it:
`<!-- guide: install NAME -->` stands for its block of `python3 -m venv DIR`
and `DIR/bin/pip install .` (what the README's set-up runs, and CI with it):
DIR becomes a link to this test's own virtual environment, which holds this
checkout's gulagpub. A `source DIR/bin/activate` carries over to the same
person's later blocks, as in one terminal.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from conftest import PROJECT, require

DOCS = PROJECT / "docs"
GUIDES = ("guide-editors.md", "guide-setup.md", "guide-translators.md")
ORDER = {"guide-setup.md": 2, "guide-translators.md": 3, "guide-editors.md": 4}
BIN = Path(sys.executable).parent
PUSH_TO_MAIN = ".github/scripts/push-to-main"
DIRECTIVE = re.compile(r"^<!-- guide: (.+?) -->$")
FENCE = re.compile(r"^```(\w*)$")

PEOPLE = {
    "maintainer": ("gulaganarchists", "gulaganarchists@users.noreply.github.com"),
    "boris": ("Boris Editor", "boris@example.org"),
    "tania": ("Tania Translator", "tania@example.org"),
    "bot": ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"),
}


@dataclass
class Step:
    guide: str
    line: int
    order: int
    directive: list[str]
    block: str | None  # the fenced block after the directive
    lang: str | None

    def where(self) -> str:
        return f"docs/{self.guide}:{self.line}"


def steps_of(guide: str) -> list[Step]:
    lines = (DOCS / guide).read_text(encoding="utf-8").splitlines()
    steps: list[Step] = []
    pending: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(lines):
        m = DIRECTIVE.match(lines[i])
        fence = FENCE.match(lines[i])
        if m:
            pending.append((i + 1, shlex.split(m.group(1))))
        elif fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j] == "```")
            block, lang = "\n".join(lines[i + 1:end]) + "\n", fence.group(1)
            if lang == "console":
                assert pending and pending[-1][1][0] in ("as", "install"), \
                    f"docs/{guide}:{i + 1}: a console block needs `<!-- guide: as NAME -->` before it"
            takes_block = [p for p in pending if p[1][0] in ("as", "append", "install")
                           or p[1][:2] == ["github", "web-edit"]]
            for line, words in pending:
                steps.append(Step(guide, line, 0, words, block if (line, words) in takes_block else None, lang))
            pending = []
            i = end
        elif lines[i].strip() and pending and not lines[i].startswith("<!--"):
            for line, words in pending:  # a directive with no block after it (a web step)
                steps.append(Step(guide, line, 0, words, None, None))
            pending = []
        i += 1
    for line, words in pending:
        steps.append(Step(guide, line, 0, words, None, None))
    for s in steps:
        orders = [w.split("=", 1)[1] for w in s.directive if w.startswith("order=")]
        s.order = int(orders[0]) if orders else ORDER[guide]
        s.directive = [w for w in s.directive if not w.startswith("order=")]
    return steps


def commands(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


class Person:
    def __init__(self, root: Path, who: str, github: Path) -> None:
        self.name, self.email = PEOPLE[who]
        self.home = root / f"home-{who}"
        (self.home / ".ssh").mkdir(parents=True)
        (self.home / ".gitconfig").write_text(
            f"[user]\n\tname = {self.name}\n\temail = {self.email}\n"
            f"[url \"file://{github}/\"]\n\tinsteadOf = https://github.com/\n")
        self.cwd = self.home
        self.venv = ""  # the virtual environment activated in an earlier block
        # The publishing workflow installs gulagpub on the runner's PATH (publish.yml); people install their own.
        self.path = f"{BIN}{os.pathsep}" if who == "bot" else ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GIT_", "MASTODON_", "GITHUB_", "VIRTUAL_ENV"))}
        path = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                               if p and Path(p).resolve() != BIN.resolve())
        env.update(HOME=str(self.home), GIT_CONFIG_NOSYSTEM="1", PATH=f"{self.path}{path}", **extra)
        return env

    def sh(self, script: str, where: str, **extra: str) -> str:
        """Run the commands in one shell, each must succeed; the folder and an
        activated virtual environment carry over."""
        state, venv = self.home / ".guide-cwd", self.home / ".guide-venv"
        activate = f"source {shlex.quote(self.venv)}/bin/activate\n" if self.venv else ""
        full = (f"set -euo pipefail\n{activate}trap 'echo \"FAILED ($?): $BASH_COMMAND\" >&2' ERR\n"
                f"{script}\npwd > {shlex.quote(str(state))}\necho \"${{VIRTUAL_ENV:-}}\" > {shlex.quote(str(venv))}\n")
        proc = subprocess.run(["bash", "-c", full], cwd=self.cwd, env=self.env(**extra),
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, f"{where}: as {self.name}:\n{proc.stdout}\n{proc.stderr}"
        self.cwd = Path(state.read_text().strip())
        self.venv = venv.read_text().strip()
        return proc.stdout

    def install(self, block: str, where: str) -> None:
        """`python3 -m venv DIR` and `DIR/bin/pip install .`: DIR links to this test's environment."""
        lines = commands(block)
        made = [re.fullmatch(r"python3 -m venv (\S+)", line) for line in lines]
        assert len(lines) == 2 and made[0] and re.fullmatch(rf"{re.escape(made[0][1])}/bin/pip install \.", lines[1]), \
            f"{where}: an install block is `python3 -m venv DIR` then `DIR/bin/pip install .`"
        folder = Path(made[0][1].replace("~", str(self.home), 1))
        folder = folder if folder.is_absolute() else self.cwd / folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(Path(sys.prefix))


class GitHub:
    """What happens in GitHub's web pages, done with git on bare repositories."""

    def __init__(self, root: Path, people: dict[str, Person], mastodon: Any) -> None:
        self.root = root / "github"
        self.people = people
        self.mastodon = mastodon
        self.pulls = 0
        self.blog = self.root / "gulaganarchists" / "blog.git"
        self.blog.parent.mkdir(parents=True)
        git(root, "init", "-q", "--bare", "-b", "main", str(self.blog))
        git(PROJECT, "push", "-q", str(self.blog), "HEAD:refs/heads/main")
        self.scratch = root / "github-scratch"

    def run(self, step: Step) -> None:
        action, *args = step.directive[1:]
        getattr(self, action.replace("-", "_"))(step, *args)

    def _work(self, name: str) -> Path:
        work = self.scratch / name
        git(self.root, "clone", "-q", str(self.blog), str(work))
        return work

    def fork(self, step: Step, login: str) -> None:
        if not (self.root / login / "blog.git").exists():
            git(self.root, "clone", "-q", "--bare", str(self.blog), str(self.root / login / "blog.git"))

    def send(self, step: Step, source: str, target: str) -> None:
        src_who, src = source.split(":", 1)
        dst_who, dst = target.split(":", 1)
        (self.people[dst_who].home / dst).write_bytes((self.people[src_who].home / src).read_bytes())

    def pull_request(self, step: Step, login: str, branch: str) -> None:
        self.pulls += 1
        git(self.root, "-C", str(self.root / login / "blog.git"), "push", "-q", str(self.blog),
            f"{branch}:refs/pull/{self.pulls}/head")
        self._check(f"pr-{self.pulls}", f"refs/pull/{self.pulls}/head", login, step)

    def web_edit(self, step: Step, login: str, branch: str, path: str) -> None:
        work = self._work(f"web-{branch}")
        git(work, "switch", "-q", "-c", branch)
        (work / path).write_text(step.block or "", encoding="utf-8")
        web = {"GIT_AUTHOR_NAME": login, "GIT_AUTHOR_EMAIL": f"{login}@users.noreply.github.com",
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
        git(work, "add", path)
        git(work, "commit", "-q", "--no-gpg-sign", "-m", f"Create {Path(path).name}", env=web)
        # The web editor commits to a branch of the translator's fork; this
        # pull request is checked, then left open (the guide goes on with the
        # same translation made on the command line).
        self.fork(step, login)
        git(work, "push", "-q", str(self.root / login / "blog.git"), f"HEAD:refs/heads/{branch}")
        git(work, "push", "-q", "origin", f"HEAD:refs/pull/web-{branch}/head")
        self._check(f"web-{branch}-check", f"refs/pull/web-{branch}/head", login, step)

    def _check(self, name: str, ref: str, login: str, step: Step) -> None:
        """What pr.yml's "workflow rules" job runs."""
        work = self._work(name)
        git(work, "fetch", "-q", "origin", f"{ref}:{name}")
        git(work, "switch", "-q", name)
        proc = subprocess.run([str(BIN / "gulagpub"), "check", "--base", "origin/main", "--pr-author", login],
                              cwd=work, capture_output=True, text=True, env=self.people["bot"].env())
        assert proc.returncode == 0, f"{step.where()}: the pull request's check fails:\n{proc.stdout}{proc.stderr}"

    def merge(self, step: Step, number: str) -> None:
        work = self._work(f"merge-{number}")
        git(work, "fetch", "-q", "origin", f"refs/pull/{number}/head")
        env = {"GIT_AUTHOR_NAME": "Boris Editor", "GIT_AUTHOR_EMAIL": "boris@example.org",
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
        git(work, "merge", "-q", "--no-ff", "--no-gpg-sign", "-m", f"Merge pull request #{number}", "FETCH_HEAD",
            env=env)
        git(work, "push", "-q", "origin", "main")

    def publish(self, step: Step) -> None:
        """What publish.yml's jobs run, with the Mastodon secrets."""
        bot = self.people["bot"]
        server = self.mastodon
        secrets = {"MASTODON_API_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": server.token}
        if not (bot.home / "blog").exists():
            bot.sh("git clone -q https://github.com/gulaganarchists/blog.git", step.where())
        bot.cwd = bot.home / "blog"
        bot.sh(f"git pull -q --ff-only\ngulagpub publish --no-announce\n{PUSH_TO_MAIN}", step.where())
        before = len(server.statuses)
        bot.sh(f"gulagpub announce\n{PUSH_TO_MAIN}", step.where(), **secrets)
        assert len(server.statuses) == before + 1, f"{step.where()}: the post was not announced"


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com",
            "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com", **(env or {})}
    proc = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, text=True)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def test_every_console_block_says_who_runs_it() -> None:
    for guide in GUIDES:
        steps = steps_of(guide)  # asserts on unmarked console blocks
        assert any(s.directive[0] == "as" and s.block and commands(s.block) for s in steps), guide


def test_the_guides_run_in_order(tmp_path: Path, mastodon_test_server: Any) -> None:
    for command in ("publish", "announce", "approve", "build"):
        proc = subprocess.run([str(BIN / "gulagpub"), command, "--help"], capture_output=True)
        require(f"`gulagpub {command}` (branches core, pub, bot)", proc.returncode == 0)
    steps = sorted((s for g in GUIDES for s in steps_of(g)), key=lambda s: s.order)  # stable: file order kept
    people: dict[str, Person] = {}
    github_root = tmp_path / "github"
    for who in PEOPLE:
        people[who] = Person(tmp_path, who, github_root)
    github = GitHub(tmp_path, people, mastodon_test_server)
    ran = 0
    for step in steps:
        kind = step.directive[0]
        if kind == "as":
            assert step.block is not None and step.lang == "console", f"{step.where()}: `as` needs a console block"
            people[step.directive[1]].sh("\n".join(commands(step.block)), step.where())
            ran += len(commands(step.block))
        elif kind == "install":
            assert step.block is not None and step.lang == "console", f"{step.where()}: `install` needs a console block"
            require("a virtual environment running the tests (its bin/activate)", (Path(sys.prefix) / "bin" / "activate").exists())
            people[step.directive[1]].install(step.block, step.where())
        elif kind == "append":
            who, path = step.directive[1:]
            target = people[who].cwd / path
            target.write_text(target.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + (step.block or ""),
                              encoding="utf-8")
        elif kind == "github":
            github.run(step)
        else:
            raise AssertionError(f"{step.where()}: unknown guide directive {step.directive}")
    assert ran >= 40
    published = git(tmp_path, "-C", str(github.blog), "show", "main:posts/letter-from-solovki.md")
    assert "state: withdrawn" in published
