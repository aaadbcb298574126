"""Sealed state files in .git/gulagpub/: only bytes gulagpub wrote are ever decoded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gulagpub import store

from conftest import Repo


def test_round_trip_and_location(repo: Repo) -> None:
    sealer = store.Sealer(store.state_dir(repo.root))
    sealer.write("thing", b"payload")
    assert (repo.root / ".git" / "gulagpub" / "thing").is_file()
    assert sealer.read("thing") == b"payload"
    assert oct((repo.root / ".git" / "gulagpub" / "key").stat().st_mode & 0o777) == "0o600"


def test_one_flipped_byte_is_refused_with_a_notice(repo: Repo) -> None:
    sealer = store.Sealer(store.state_dir(repo.root))
    sealer.write("thing", b"x" * 1000)
    path = repo.root / ".git" / "gulagpub" / "thing"
    data = bytearray(path.read_bytes())
    data[-10] ^= 1
    path.write_bytes(bytes(data))
    heard: list[str] = []
    assert sealer.read("thing", heard.append) is None
    assert len(heard) == 1 and "damaged or not written by gulagpub" in heard[0] and str(path) in heard[0]


def test_bytes_sealed_with_another_key_are_refused(repo: Repo, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    store.Sealer(other).write("thing", b"planted")
    folder = store.state_dir(repo.root)
    (folder / "thing").write_bytes((other / "thing").read_bytes())
    assert store.Sealer(folder).read("thing") is None


def test_fifo_link_and_foreign_files_are_never_read(repo: Repo, tmp_path: Path) -> None:
    folder = store.state_dir(repo.root)
    sealer = store.Sealer(folder)
    os.mkfifo(folder / "fifo")  # opening it for reading would hang a careless reader
    target = tmp_path / "target"
    target.write_bytes(sealer.seal(b"via a link"))
    (folder / "link").symlink_to(target)
    names = ["fifo", "link"]
    if os.getuid() == 0:  # (only root can give a file to another user)
        sealer.write("foreign", b"someone else's")
        os.chown(folder / "foreign", 54321, -1)
        names.append("foreign")
    heard: list[str] = []
    for name in names:
        assert sealer.read(name, heard.append) is None
    assert len(heard) == len(names) and all("not a regular file of yours" in h for h in heard)
    assert target.exists()  # the link is dropped, not what it points to


def test_state_dir_outside_git_is_in_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "plain"
    root.mkdir()
    folder = store.state_dir(root)
    assert folder.parent == tmp_path / "cache" / "gulagpub"
    assert store.state_dir(root) == folder
