"""Every error gulagpub raises, under one root.

This module imports nothing of ours. Each message names the file (and line
where there is one), what is wrong, and what to do next.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at one line (0 when unknown)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class GulagpubError(Exception):
    """Root of all errors: the CLI prints the message and exits 1."""


class UsageError(GulagpubError):
    """The command was asked for something that cannot be meant (exit 2)."""


class ConfigError(GulagpubError):
    """gulagpub.toml is missing or wrong."""


class ContentError(GulagpubError):
    """One or more files have problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class WorkflowError(GulagpubError):
    """A transition was refused: the message says what is missing."""


class PermissionDenied(WorkflowError):
    """The acting person's role does not allow this."""


class GitError(GulagpubError):
    """A git command failed; the message quotes git."""


class BuildError(GulagpubError):
    """The site could not be built; the previous output is untouched."""


class AnnounceError(GulagpubError):
    """Announcing on Mastodon failed for a reason that stops the run."""


class ImportFailed(GulagpubError):
    """An export could not be imported; nothing was written."""


class DiskError(GulagpubError):
    """The disk or the operating system refused a read or a write."""


_DISK_ADVICE = {
    "ENOSPC": "no space left on the disk: free some space and run again",
    "EDQUOT": "the disk quota is used up: free some space and run again",
    "EACCES": "permission denied: check the owner and permissions of the folder, or choose another one",
    "EPERM": "not permitted: check the owner and permissions of the folder, or choose another one",
    "EROFS": "the file system is read-only: choose a folder on a writable disk",
    "ENOTDIR": "a file stands where a folder is needed: move the file away",
    "EISDIR": "a folder stands where a file is needed: move the folder away",
    "ELOOP": "a symbolic link stands where a file or folder is needed: remove the link",
    "EMFILE": "too many open files: raise the limit (ulimit -n) and run again",
    "ENFILE": "too many open files on the system: run again later",
    "EIO": "the disk reported an input/output error: check the disk",
    "ENAMETOOLONG": "a file name is too long for this file system: shorten the slug or the folder",
}


def disk_advice(exc: OSError) -> str:
    """What went wrong and what to do, in a few words, for an OSError (without its path)."""
    name = errno.errorcode.get(exc.errno or 0, "")
    return _DISK_ADVICE.get(name) or (exc.strerror or str(exc))


def disk_error(exc: OSError, doing: str) -> DiskError:
    """One line for an OSError: the path, what was being done, what went wrong and what to do."""

    advice = disk_advice(exc)
    where = exc.filename if exc.filename is not None else "(unknown path)"
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    return DiskError(f"{where}: {doing} failed: {advice}")
