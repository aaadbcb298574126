"""The announcer killed with SIGKILL at every step, on Mastodon and on Bluesky,
then run again (i) in the same working tree, (ii) from a fresh clone of the
last pushed commit (a bare repository stands in for GitHub: a killed CI
runner pushes nothing) with the server's key forgotten: exactly one
announcement per post and network, every time.

Each test is one chain of real `gulagpub announce` processes over real HTTP
(forked from a warm launcher, tests/warm.py, so as not to pay a second and a
half of imports per process):
each is killed at the next step (the `GULAGPUB_TEST_PAUSE_AT` checkpoints,
and while the server holds a stored post's reply), the next one starts from
what the last one left; after every kill no post is on the network twice, and
the last run, in place or in a fresh clone, leaves each post there once."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from bluesky_server import BlueskyServer
from click.testing import CliRunner
from conftest import ALICE, Repo, act_as, post_text, run_git
from mastodon_server import MastodonServer
from sitehelp import jpeg
from warm import Launcher

from gulagpub.announce import CHECKPOINTS
from gulagpub.cli import main
from gulagpub.ledger import LEDGER_FILE, parse_ledger

NAMES = ("2026-11-20-a", "2026-11-21-b", "2026-11-22-c", "2026-11-23-d")
# Each step is reachable in this order from what the kill before it left
# (before-found needs a post on the network that the ledger does not show).
ORDER = ("after-post", "before-found", "before-pending", "before-post", "after-ledger", "held")
assert set(ORDER) - {"held"} == set(CHECKPOINTS)


def link(name: str) -> str:
    return f"https://blog.example.org/{name[:10].replace('-', '/')}/{name[11:]}/"


class Net:
    """One network's test server, seen the same way for both."""

    def __init__(self, name: str, mode: str) -> None:
        self.name = name
        self.mode = mode
        if name == "mastodon":
            self.server: Any = MastodonServer().start()
        else:
            # From a fresh clone, the server also ignores record keys: only the feed tells.
            self.server = BlueskyServer(rkeys="ignore" if mode == "fresh" else "refuse").start()

    def settings(self) -> str:
        if self.name == "mastodon":
            return "[mastodon]\nlimit = 10\nretry_for = 2\n"
        return f'[bluesky]\nservice = "{self.server.base_url}"\nlimit = 10\nretry_for = 2\n'

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MASTODON_", "BLUESKY_", "GULAGPUB_TEST_"))}
        if self.name == "mastodon":
            env.update(MASTODON_API_BASE_URL=self.server.base_url, MASTODON_ACCESS_TOKEN=self.server.token)
        else:
            env.update(BLUESKY_HANDLE=self.server.handle, BLUESKY_APP_PASSWORD=self.server.password)
        return {**env, **extra}

    def counts(self) -> dict[str, int]:
        s = self.server
        if self.name == "mastodon":
            texts = [st["text_source"] for st in s.statuses.values()]
        else:
            texts = [r["value"]["embed"]["external"]["uri"] for r in s.records.values()]
        return {n: sum(link(n) in t for t in texts) for n in NAMES}

    def total(self) -> int:
        return len(self.server.statuses if self.name == "mastodon" else self.server.records)

    def forget(self) -> None:
        if self.name == "mastodon":
            self.server.forget_keys()  # an hour has passed: Mastodon forgot every Idempotency-Key

    def hold(self) -> None:
        self.server.held.clear()
        self.server.release.clear()
        self.server.fail("hold-after")


@pytest.fixture
def origin(repo: Repo, tmp_path: Path) -> Path:
    for name in NAMES:
        repo.write(f"posts/{name}.md", post_text(f"Post {name[-1]}", state="published",
                                                 date=f"{name[:10]} 10:00", tags="[gulag]"))
    repo.commit("Four published posts")
    bare = tmp_path / "origin.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(bare))
    return bare


def clone(origin: Path, where: Path) -> Repo:
    run_git(origin.parent, "clone", "-q", str(origin), str(where))
    act_as(where, ALICE)
    run_git(where, "config", "commit.gpgsign", "false")
    return Repo(where)


def kill_at(launch: Launcher, work: Repo, net: Net, step: str, flag: Path) -> None:
    args = ["-C", str(work.root), "announce"]
    if step == "held":
        net.hold()
        child = launch(args, net.env())
        reached = net.server.held.is_set
    else:
        child = launch(args, net.env(GULAGPUB_TEST_PAUSE_AT=f"{net.name}:{step}", GULAGPUB_TEST_PAUSE_FILE=str(flag)))
        reached = flag.exists
    end = time.monotonic() + 30
    while not reached() and child.alive() and time.monotonic() < end:
        time.sleep(0.02)
    alive = child.alive()
    child.kill()
    net.server.release.set()
    assert alive and reached(), f"the run did not reach {step}: {child.output()}"


@pytest.mark.parametrize("mode", ["in-place", "fresh"])
@pytest.mark.parametrize("network", ["mastodon", "bluesky"])
def test_killed_at_every_step_then_run_again_each_post_once(origin, tmp_path, network, mode):
    net = Net(network, mode)
    launch = Launcher(tmp_path / "runs").__enter__()
    try:
        seed = clone(origin, tmp_path / "seed")
        seed.write("gulagpub.toml", seed.read("gulagpub.toml") + net.settings())
        seed.commit("Announce on " + network)
        seed.git("push", "-q", "origin", "main")
        work = clone(origin, tmp_path / "work")
        for n, step in enumerate(ORDER):
            if mode == "fresh":
                work = clone(origin, tmp_path / f"run-{n}")  # what the last runner pushed: nothing since
                net.forget()
            kill_at(launch, work, net, step, tmp_path / f"paused-{n}")
            assert max(net.counts().values()) <= 1, f"posted twice after a kill at {step}: {net.counts()}"
            assert net.total() == sum(net.counts().values())
        if mode == "fresh":
            work = clone(origin, tmp_path / "last")
            net.forget()
        result = CliRunner().invoke(main, ["-C", str(work.root), "announce"], env=net.env())
        assert result.exit_code == 0, result.stderr
        assert net.counts() == {n: 1 for n in NAMES} and net.total() == len(NAMES)
        records = parse_ledger(work.read(LEDGER_FILE))[0][network]
        assert {r.path for r in records.values() if r.state == "posted"} == {f"posts/{n}.md" for n in NAMES}
        assert work.git("status", "--porcelain", "--", LEDGER_FILE) == ""
        # The ledger pushed (as the workflow does), a later runner finds nothing to do.
        work.git("push", "-q", "origin", "main")
        later = clone(origin, tmp_path / "later")
        again = CliRunner().invoke(main, ["-C", str(later.root), "announce"], env=net.env())
        assert again.exit_code == 0 and again.stdout == "" and "nothing to announce" in again.stderr
        assert net.counts() == {n: 1 for n in NAMES}
    finally:
        launch.__exit__()
        net.server.stop()


def test_killed_between_the_upload_and_the_status_one_status_one_attachment(origin, tmp_path):
    """The lead image: a run killed after uploading it, before its pending
    record names it, costs one upload more; one killed after that, none;
    either way the post is announced once, with one attachment."""
    net = Net("mastodon", "in-place")
    launch = Launcher(tmp_path / "runs").__enter__()
    try:
        work = clone(origin, tmp_path / "work")
        work.write("gulagpub.toml", work.read("gulagpub.toml") + net.settings())
        work.write("media/a.jpg", jpeg(64, 48, gps=True))
        text = work.read(f"posts/{NAMES[0]}.md")
        work.write(f"posts/{NAMES[0]}.md", text.replace("---\n", "---\nimage:\n  src: /media/a.jpg\n  alt: Page 1\n", 1))
        work.commit("Announce on Mastodon; a lead image")
        kill_at(launch, work, net, "before-pending", tmp_path / "paused-0")  # uploaded, not recorded
        assert len(net.server.uploads) == 1 and net.total() == 0
        kill_at(launch, work, net, "before-post", tmp_path / "paused-1")  # uploaded again, recorded
        assert len(net.server.uploads) == 2 and net.total() == 0
        kill_at(launch, work, net, "before-post", tmp_path / "paused-2")  # the upload recorded is used again
        assert len(net.server.uploads) == 2
        result = CliRunner().invoke(main, ["-C", str(work.root), "announce"], env=net.env())
        assert result.exit_code == 0, result.stderr
        assert net.counts() == {n: 1 for n in NAMES} and net.total() == len(NAMES)
        [status] = [s for s in net.server.statuses.values() if link(NAMES[0]) in s["text_source"]]
        assert [(m["id"], m["description"]) for m in status["media_attachments"]] == [
            (net.server.uploads[1], "Page 1")]
        assert len(net.server.uploads) == 2
    finally:
        launch.__exit__()
        net.server.stop()
