"""Helpers for the workflow tests: run the CLI in-process as a given person,
and put posts into a given state with real commits."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner
from conftest import ALICE, BORIS, TANIA, Repo, act_as

from gulagpub.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def gp(repo: Repo, *args: str, who: tuple[str, str] | None = None, env: dict[str, str] | None = None) -> Run:
    """`gulagpub -C REPO ARGS...` in-process, as `who` (git config user.*)."""
    if who is not None:
        act_as(repo.root, who)
    result = CliRunner().invoke(main, ["-C", str(repo.root), *args], env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def ok(run: Run) -> Run:
    assert run.code == 0, f"exit {run.code}\nstdout: {run.out}\nstderr: {run.err}"
    return run


TRANSLATED = """\
---
title: Vicente
state: {state}
author: Alice Editor
lang: en
source:
  publication: O Crabero
  via: Huesca-Info
  lang: es
translation:
  translator: Tania Translator
  from_lang: es
---

Vicente was born in Abiego.
"""


def into_english(repo: Repo) -> None:
    """Tania translates from es and ru; let her translate into English too
    (a translator's `langs` must hold the language they translate into)."""
    text = repo.read("gulagpub.toml")
    if 'langs = ["es", "ru"]' in text:
        repo.write("gulagpub.toml", text.replace('langs = ["es", "ru"]', 'langs = ["es", "ru", "en"]'))
        repo.commit("Tania translates into English too", who=ALICE)


def post_in_review(repo: Repo, path: str = "posts/vicente.md") -> str:
    """A translated post by Alice, translated by Tania, taken to review
    through the CLI; returns its path."""
    into_english(repo)
    ok(gp(repo, "new", "Vicente", "--slug", path.rsplit("/", 1)[-1][:-3], "--translate-from", "es",
          "--source-publication", "O Crabero", "--source-via", "Huesca-Info", who=ALICE))
    ok(gp(repo, "assign", path, "tania@example.org", who=ALICE))
    repo.write(path, repo.read(path) + "\nVicente was born in Abiego.\n")
    repo.commit("Translate Vicente", who=TANIA)
    ok(gp(repo, "submit", path, who=TANIA))
    return path


def approved(repo: Repo, path: str = "posts/vicente.md") -> str:
    post_in_review(repo, path)
    ok(gp(repo, "approve", path, "-m", "Checked", who=BORIS))
    return path
