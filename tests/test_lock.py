"""The repository lock: one writer at a time, across processes; let go however a holder ends."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from gulagpub import lock, store
from gulagpub.errors import GulagpubError

from conftest import Repo

HOLD = """
import sys, time
from pathlib import Path
from gulagpub import lock
with lock.exclusive(Path(sys.argv[1]), "test holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    proc.stdout.close()
    assert line == "held"
    return proc


def test_second_holder_fails_at_once_without_wait(repo: Repo) -> None:
    proc = _holder(repo.root, 30)
    try:
        with pytest.raises(lock.Busy, match="test holder"):
            with lock.exclusive(repo.root, "second", wait=False):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_waiter_says_so_and_gets_the_lock_when_the_holder_is_killed(repo: Repo) -> None:
    proc = _holder(repo.root, 30)
    heard: list[str] = []
    killer = subprocess.Popen([sys.executable, "-c", f"import os,time,signal; time.sleep(0.5); os.kill({proc.pid}, 9)"])
    started = time.monotonic()
    with lock.exclusive(repo.root, "second", say=heard.append):
        waited = time.monotonic() - started
    killer.wait()
    proc.wait()
    assert heard and "waiting for another gulagpub command" in heard[0] and "test holder" in heard[0]
    assert 0.3 < waited < 10


def test_reentrant_in_one_process(repo: Repo) -> None:
    with lock.exclusive(repo.root, "outer", wait=False):
        with lock.exclusive(repo.root, "inner", wait=False):
            pass
        proc = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from gulagpub import lock\n"
                               "try:\n with lock.exclusive(Path(sys.argv[1]), 'x', wait=False): print('got')\n"
                               "except lock.Busy: print('busy')", str(repo.root)], capture_output=True, text=True)
        assert proc.stdout.strip() == "busy"
    with lock.exclusive(repo.root, "after", wait=False):
        pass


def test_lock_lives_in_the_git_folder(repo: Repo) -> None:
    with lock.exclusive(repo.root, "x"):
        assert (repo.root / ".git" / "gulagpub" / "lock").is_file()
    assert not (repo.root / "gulagpub").exists()


def test_state_folder_that_is_a_link_is_refused(repo: Repo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo.root / ".git" / "gulagpub").symlink_to(elsewhere)
    with pytest.raises(store.StateError, match="symbolic link"):
        store.state_dir(repo.root)
    with pytest.raises(GulagpubError):
        with lock.exclusive(repo.root, "x"):
            pass
    assert list(elsewhere.iterdir()) == []
