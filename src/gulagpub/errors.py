"""Every error gulagpub raises, under one root.

This module imports nothing of ours. Each message names the file (and line
where there is one), what is wrong, and what to do next.
"""

from __future__ import annotations

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
