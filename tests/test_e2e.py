"""The whole flow on "GitHub", offline, with real git and the real CLI.

A bare repository plays GitHub; each person works in their own clone with
their own HOME (git identity, signing key). An editor starts the blog and
adds a translator; the translator translates on a branch and pushes it; the
pull-request check passes; a forged approval on another branch fails; an
editor approves (SSH-signed) on the branch, merges and pushes; the publisher
(as the publishing workflow does) publishes, pushes back with
.github/scripts/push-to-main, announces on a Mastodon test server; the feed
credits the translator, the account holds one status for the post, and a
second run changes nothing. A second translation is published by a later run,
the translator then leaves the team, and every commit on main still passes.

Each step needs a command from one of the branches core, pub and bot; when
one is missing the test stops there (skipped on a laptop, failed under CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser

from conftest import PROJECT, SHARED, require, ssh_keygen

GULAGPUB = str(Path(sys.executable).parent / "gulagpub")
PUSH_TO_MAIN = str(PROJECT / ".github" / "scripts" / "push-to-main")
POST = "posts/letter-from-solovki.md"
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


class Person:
    """Someone with their own HOME (git identity, keys) and a clone."""

    def __init__(self, tmp: Path, name: str, email: str, key: Path | None = None) -> None:
        self.name, self.email = name, email
        self.home = tmp / f"home-{email.split('@')[0]}"
        self.home.mkdir()
        config = f"[user]\n\tname = {name}\n\temail = {email}\n[init]\n\tdefaultBranch = main\n"
        if key is not None:
            config += f"[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = {key}\n"
        (self.home / ".gitconfig").write_text(config)
        self.clone = tmp / f"clone-{email.split('@')[0]}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GIT_", "MASTODON_")) and k != "GITHUB_ACTIONS"}
        env.update(HOME=str(self.home), GIT_CONFIG_NOSYSTEM="1", **extra)
        return env

    def run(self, *args: str, ok: bool = True, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(list(args), cwd=cwd or self.clone, env=self.env(**env), capture_output=True, text=True)
        if ok and proc.returncode != 0:
            raise AssertionError(f"{self.name}: {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def git(self, *args: str, ok: bool = True) -> str:
        return self.run("git", *args, ok=ok).stdout

    def gp(self, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run(GULAGPUB, *args, ok=ok, **env)


def need(*commands: str) -> None:
    """The commands this step needs: skip (or fail under CI) when a branch
    that brings one is not merged yet."""
    for command in commands:
        proc = subprocess.run([GULAGPUB, *command.split(), "--help"], capture_output=True, text=True)
        require(f"`gulagpub {command}`", proc.returncode == 0)


def test_from_translation_to_announcement(tmp_path: Path, mastodon_test_server: Any) -> None:
    server = mastodon_test_server
    bare = tmp_path / "github.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    boris_pub = str(ssh_keygen(tmp_path / "boris_key", "boris@example.org"))
    alice = Person(tmp_path, "Alice Editor", "alice@example.org")
    boris = Person(tmp_path, "Boris Editor", "boris@example.org", key=tmp_path / "boris_key")
    tania = Person(tmp_path, "Tania Translator", "tania@example.org")
    bot = Person(tmp_path, *BOT)

    # 1. The editor starts the blog and adds the team (branch core).
    need("init", "team add")
    alice.run("git", "clone", "-q", str(bare), str(alice.clone), cwd=tmp_path)
    alice.gp("init", str(alice.clone), "--title", "Anarchists in the Gulag",
             "--base-url", "https://blog.example.org/")
    alice.gp("team", "add", "Boris Editor", "boris@example.org", "--role", "editor", "--lang", "en",
             "--signing-key", boris_pub)
    alice.gp("team", "add", "Tania Translator", "tania@example.org", "--role", "translator",
             "--lang", "en", "--lang", "es", "--github", "tania-gh")
    settings = alice.clone / "gulagpub.toml"
    text = settings.read_text()
    assert "signed_approvals = false" in text
    settings.write_text(text.replace("signed_approvals = false", "signed_approvals = true"))
    alice.git("commit", "-q", "-am", "Approvals must be signed")
    alice.git("push", "-q", "origin", "main")

    # 2. The translator translates on a branch and pushes it.
    need("new", "assign", "submit", "check")
    tania.run("git", "clone", "-q", str(bare), str(tania.clone), cwd=tmp_path)

    def translate(branch: str, slug: str, title: str, source_title: str, source_url: str, text: str) -> Path:
        """Tania's translation on a branch of its own: drafted, written, submitted, pushed."""
        path = f"posts/{slug}.md"
        tania.git("checkout", "-q", "-b", branch)
        tania.gp("new", title, "--slug", slug, "--translate-from", "es", "--source-title", source_title,
                 "--source-publication", "Freedom", "--source-url", source_url)
        tania.gp("assign", path, "tania@example.org")
        post = tania.clone / path
        post.write_text(post.read_text().rstrip("\n") + f"\n\n{text}\n")
        tania.git("commit", "-q", "-am", f"Translate {title}")
        tania.gp("submit", path)
        tania.git("push", "-q", "origin", branch)
        return post

    post = translate("translate-letter", "letter-from-solovki", "Letter from Solovki", "Carta desde Solovki",
                     "https://example.org/carta", "Dear comrades, we are alive.")

    # 3. The pull-request check passes, commit by commit and as a whole.
    tania.gp("check", "--base", "origin/main")
    tania.gp("check", "--base", "origin/main", "--pr-author", "tania-gh")

    # 4. A forged approval on another branch fails the check.
    tania.git("checkout", "-q", "-b", "forged")
    forged = post.read_text().replace("state: review", "state: approved\nreviews:\n- by: boris@example.org\n"
                                      "  verdict: approved\n  at: 2026-11-27T10:00:00Z\n  content: 0123456789abcdef")
    post.write_text(forged)
    tania.git("commit", "-q", "-am", "Approved by Boris")
    for extra in ((), ("--pr-author", "tania-gh")):
        result = tania.gp("check", "--base", "origin/main", *extra, ok=False, GITHUB_ACTIONS="true")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "FORGERY" in result.stdout
        assert f"::error file={POST}," in result.stdout
    tania.git("checkout", "-q", "translate-letter")

    # 5. An editor reviews the branch, approves it (signed), merges and pushes.
    need("approve")
    boris.run("git", "clone", "-q", str(bare), str(boris.clone), cwd=tmp_path)
    boris.git("checkout", "-q", "-b", "translate-letter", "origin/translate-letter")
    boris.gp("approve", POST)
    assert "-----BEGIN SSH SIGNATURE-----" in boris.git("cat-file", "commit", "HEAD")
    boris.gp("check", "--base", "origin/main", "--pr-author", "tania-gh")
    boris.git("checkout", "-q", "main")
    before_merge = boris.git("rev-parse", "HEAD").strip()
    boris.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from tania-gh/translate-letter",
              "translate-letter")
    boris.gp("check", "--base", before_merge)
    boris.git("push", "-q", "origin", "main")

    # 6. The publishing workflow: publish, push back, announce, push back (branches pub, bot).
    need("publish", "announce")
    bot.run("git", "clone", "-q", str(bare), str(bot.clone), cwd=tmp_path)
    masto = {"MASTODON_API_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": server.token}

    def publishing_run() -> None:
        bot.git("pull", "-q", "--ff-only", "origin", "main")
        bot.gp("publisher", "--git-config")  # as publish.yml does: the [publisher] that `init` wrote
        bot.gp("publish", "--no-announce")
        bot.run(PUSH_TO_MAIN)
        bot.gp("announce", **masto)
        bot.run(PUSH_TO_MAIN)

    publishing_run()
    main_after = subprocess.run(["git", "-C", str(bare), "rev-parse", "main"], capture_output=True,
                                text=True, check=True).stdout
    assert "state: published" in subprocess.run(["git", "-C", str(bare), "show", f"main:{POST}"],
                                                capture_output=True, text=True, check=True).stdout

    # 7. The feed holds the post with the translator's credit.
    feed = feedparser.parse((bot.clone / "_site" / "feed.atom").read_bytes())
    entries = [e for e in feed.entries if e.title == "Letter from Solovki"]
    assert len(entries) == 1
    assert "Tania Translator" in [c.get("name") for c in entries[0].get("contributors", [])]
    link = next(x.href for x in entries[0].links if x.rel == "alternate")
    assert link.startswith("https://blog.example.org/")

    # 8. The account holds exactly one status for it.
    statuses = list(server.statuses.values())
    assert len([s for s in statuses if link in s["text_source"]]) == 1

    # 9. Running the publishing steps again changes nothing.
    publishing_run()
    assert subprocess.run(["git", "-C", str(bare), "rev-parse", "main"], capture_output=True,
                          text=True, check=True).stdout == main_after
    assert list(server.statuses.values()) == statuses

    # 9b. On main, every commit passes the check, the publisher's among them
    # (its promotion and its ledger record), each judged by the settings before it.
    bot.git("pull", "-q", "--ff-only", "origin", "main")
    first = bot.git("rev-list", "--max-parents=0", "HEAD").strip()
    authors = bot.git("log", "--format=%ae", f"{first}..HEAD").split()
    assert authors.count(BOT[1]) == 2  # the promotion, the ledger record
    checked = bot.gp("check", "--base", first)
    assert checked.stdout == "" and "no problems" in checked.stderr

    # 10. The feeds of the published site pass the strict validator.
    feedcheck = SHARED / "tools" / "feedcheck" / "feedcheck"
    if feedcheck.exists():  # always under CI (.ci/run insists on ../shared)
        strict = subprocess.run([sys.executable, str(feedcheck), "--werror", "-q", str(bot.clone / "_site")],
                                capture_output=True, text=True)
        assert strict.returncode == 0, strict.stdout + strict.stderr

    # 11. A second translation, published by a later run: the publisher's commits of
    # every run pass the check; then the translator leaves the team, and her past
    # work (judged by the settings of its time) still passes (issue 18).
    second = "posts/letter-from-butyrki.md"
    tania.git("checkout", "-q", "main")
    tania.git("pull", "-q", "--ff-only", "origin", "main")
    translate("translate-butyrki", "letter-from-butyrki", "Letter from Butyrki", "Carta desde Butyrki",
              "https://example.org/butyrki", "We are moved to Butyrki.")
    boris.git("fetch", "-q", "origin")
    boris.git("pull", "-q", "--ff-only", "origin", "main")
    boris.git("checkout", "-q", "-b", "translate-butyrki", "origin/translate-butyrki")
    boris.gp("approve", second)
    boris.git("checkout", "-q", "main")
    before_merge = boris.git("rev-parse", "HEAD").strip()
    boris.git("merge", "-q", "--no-ff", "-m", "Merge pull request #2 from tania-gh/translate-butyrki",
              "translate-butyrki")
    boris.gp("check", "--base", before_merge)
    boris.git("push", "-q", "origin", "main")
    publishing_run()
    assert len([s for s in server.statuses.values() if "letter-from-butyrki" in s["text_source"]]) == 1

    boris.git("pull", "-q", "--ff-only", "origin", "main")
    boris.gp("team", "remove", "tania@example.org")
    assert "Tania" not in boris.gp("team", "list").stdout
    boris.git("push", "-q", "origin", "main")
    bot.git("pull", "-q", "--ff-only", "origin", "main")
    authors = bot.git("log", "--format=%ae", f"{first}..HEAD").split()
    assert authors.count(BOT[1]) == 4  # two runs that published: a promotion and a ledger record each
    checked = bot.gp("check", "--base", first)
    assert checked.stdout == "" and "no problems" in checked.stderr, checked.stdout + checked.stderr
