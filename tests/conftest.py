"""Shared test fixtures: real git repositories made in tmp_path, several
identities, and the rule for things outside the project (../shared/,
Chromium): skip with a reason on a developer's machine, fail under CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests: the same examples on every run (derandomize), and no time
# limit per example (a loaded CI machine must not turn a slow example into a
# failure). A test's own @settings still sets its number of examples.
settings.register_profile("gulagpub", derandomize=True, deadline=None)
settings.load_profile("gulagpub")

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"

ALICE = ("Alice Editor", "alice@example.org")  # editor
BORIS = ("Boris Editor", "boris@example.org")  # editor
TANIA = ("Tania Translator", "tania@example.org")  # translator (es, ru)
MALLORY = ("Mallory Outsider", "mallory@example.org")  # not on the team

BASE_CONFIG = """\
[site]
title = "Test Blog"
base_url = "https://blog.example.org/"
lang = "en"
timezone = "Europe/Madrid"

[workflow]
approvals_required = 1

[[team]]
name = "Alice Editor"
email = "alice@example.org"
github = "alice-gh"
roles = ["editor"]
langs = ["en", "es"]

[[team]]
name = "Boris Editor"
email = "boris@example.org"
github = "boris-gh"
roles = ["editor"]
langs = ["en", "ru"]

[[team]]
name = "Tania Translator"
email = "tania@example.org"
github = "tania-gh"
roles = ["translator"]
langs = ["es", "ru"]
"""


def require(what: str, ok: bool) -> None:
    """Skip when `what` is missing, unless under CI, where it must be there."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI must run this test: .ci/run installs it")
    pytest.skip(f"{what} is missing (CI installs it; see .ci/run)")


@pytest.fixture
def shared() -> Path:
    require(f"{SHARED} (the project's shared fixtures, beside the checkout)", SHARED.is_dir())
    return SHARED


def run_git(root: Path, *args: str, who: tuple[str, str] | None = None, check: bool = True) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    if who:
        env.update(GIT_AUTHOR_NAME=who[0], GIT_AUTHOR_EMAIL=who[1],
                   GIT_COMMITTER_NAME=who[0], GIT_COMMITTER_EMAIL=who[1])
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def act_as(root: Path, who: tuple[str, str]) -> None:
    """Make `who` the person git (and so gulagpub) sees in this clone."""
    run_git(root, "config", "user.name", who[0])
    run_git(root, "config", "user.email", who[1])


class Repo:
    """A content repository in a temporary folder, with helpers to write files
    and commit them as a given person."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, path: str, text: str | bytes) -> Path:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text, encoding="utf-8")
        return full

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def commit(self, message: str, who: tuple[str, str] = ALICE, paths: tuple[str, ...] = ()) -> str:
        run_git(self.root, "add", "-A", *paths)
        run_git(self.root, "commit", "-q", "--no-gpg-sign", "-m", message, who=who)
        return run_git(self.root, "rev-parse", "HEAD").strip()

    def git(self, *args: str, who: tuple[str, str] | None = None, check: bool = True) -> str:
        return run_git(self.root, *args, who=who, check=check)

    def as_(self, who: tuple[str, str]) -> "Repo":
        act_as(self.root, who)
        return self


def post_text(title: str = "A post", state: str = "draft", body: str = "Some text.\n", **fields: str) -> str:
    lines = ["---", f"title: {title}", f"state: {state}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    lines += ["---", "", body]
    return "\n".join(lines)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A content repository with three team members and one first commit by Alice."""
    root = tmp_path / "blog"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    act_as(root, ALICE)
    run_git(root, "config", "commit.gpgsign", "false")
    r = Repo(root)
    r.write("gulagpub.toml", BASE_CONFIG)
    r.write("posts/.keep", "")
    r.commit("Start the blog", who=ALICE)
    return r


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    require("Chromium (Debian package 'chromium')", path is not None)
    assert path is not None
    return path


def ssh_keygen(key: Path, comment: str) -> Path:
    """An ed25519 key pair without passphrase at `key` (and `key`.pub); returns the .pub."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)], check=True)
    return key.with_name(key.name + ".pub")


@pytest.fixture
def mastodon_test_server() -> Iterator[Any]:
    """tests/mastodon_server.py (branch bot) running on 127.0.0.1 for one test."""
    try:
        from mastodon_server import MastodonServer
    except ImportError:
        require("tests/mastodon_server.py (branch bot)", False)
    server = MastodonServer().start()
    yield server
    server.stop()
