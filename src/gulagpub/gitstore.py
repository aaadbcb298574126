"""Git as the store of content and its history. Edge module.

Every function here runs a bounded number of git processes, never one per
post or per commit: history is read in one `git log` pass.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .errors import GitError

NULL_ID = "0" * 40  # git's id for "no object" (a deleted file's new blob)

# Separators that cannot occur in git's own output fields.
_REC = "\x1e"  # record: one commit
_FLD = "\x1f"  # field
# What `log` and `commits` read of each commit (see `_commit`).
_FORMAT = _FLD.join(["%H", "%P", "%an", "%ae", "%aI", "%ce", "%cI", "%B", "%(trailers:only,unfold)"])


def git(root: Path, *args: str, input: bytes | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> str:
    """Run git in `root` and return its standard output as text."""
    return git_bytes(root, *args, input=input, check=check, env=env).decode("utf-8", "replace")


def git_bytes(root: Path, *args: str, input: bytes | None = None, check: bool = True,
              env: dict[str, str] | None = None) -> bytes:
    full_env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], input=input, capture_output=True, env=full_env,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed; install git and try again") from exc
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip() or proc.stdout.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed: {msg}")
    return proc.stdout


def is_repo(root: Path) -> bool:
    proc = subprocess.run(["git", "-C", str(root), "rev-parse", "--git-dir"], capture_output=True)
    return proc.returncode == 0


def identity(root: Path) -> tuple[str, str]:
    """(name, email) from `git config`, as git will use them for commits."""
    name = git(root, "config", "user.name", check=False).strip()
    email = git(root, "config", "user.email", check=False).strip()
    if not email:
        raise GitError(
            "git does not know who you are; run `git config user.email you@example.org` "
            "and `git config user.name 'Your Name'` (gulagpub uses them to know your role)"
        )
    return name, email


def head(root: Path) -> str | None:
    out = git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    return out or None


def dirty(root: Path, paths: list[str]) -> list[str]:
    """Those of `paths` with uncommitted changes (staged or not, or untracked)."""
    if not paths:
        return []
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    return [entry[3:] for entry in out.split("\0") if entry]


def format_trailers(trailers: list[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in trailers)


def commit(root: Path, paths: list[str], subject: str, body: str = "",
           trailers: list[tuple[str, str]] | None = None, *, sign_key: str | None = None,
           allow_empty: bool = False) -> str:
    """Stage `paths` (added, changed or deleted) and make one commit; return its id.
    With `sign_key` (a path to an SSH private key, or a key git's ssh signer
    accepts) the commit is signed with git's own SSH signing."""
    if paths:
        git(root, "add", "-A", "--", *paths)
    message = subject.strip() + "\n"
    if body.strip():
        message += "\n" + body.strip() + "\n"
    if trailers:
        message += "\n" + format_trailers(trailers) + "\n"
    args = ["commit", "--quiet", "--no-verify", "-F", "-"]
    if allow_empty:
        args.append("--allow-empty")
    if sign_key:
        args = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign_key}", *args, "-S"]
    else:
        args.append("--no-gpg-sign")
    if paths and not allow_empty:
        args += ["--", *paths]
    git(root, *args, input=message.encode("utf-8"))
    return git(root, "rev-parse", "HEAD").strip()


@dataclass(frozen=True)
class Commit:
    """One commit as `log` and `commits` read it."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: datetime
    committer_email: str
    committer_date: datetime
    message: str
    trailers: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str], ...] = field(default=())  # (status letter, path)
    # (path, blob id before, blob id after; NULL_ID: none), for each of `files`
    blobs: tuple[tuple[str, str, str], ...] = field(default=(), compare=False, repr=False)

    def versions(self) -> dict[str, str | None]:
        """`REV:PATH` -> blob id (None: no such file) for what this commit
        changed, as `read_blobs` can be asked for it: `SHA:PATH`, and for a
        commit with one parent `SHA^1:PATH`."""
        known: dict[str, str | None] = {}
        for path, old, new in self.blobs:
            known[f"{self.sha}:{path}"] = None if new == NULL_ID else new
            if len(self.parents) == 1:
                known[f"{self.sha}^1:{path}"] = None if old == NULL_ID else old
        return known

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def trailer(self, key: str) -> list[str]:
        return [v for k, v in self.trailers if k.lower() == key.lower()]


def log(root: Path, revs: list[str] | None = None, paths: list[str] | None = None,
        *, first_parent: bool = False, reverse: bool = False, max_count: int | None = None,
        merges_against_each_parent: bool = False) -> list[Commit]:
    """Commits (newest first unless `reverse`) with the files each changed,
    read in one `git log` pass. `revs` like ['main..HEAD']; default HEAD.

    A merge's files are those it changed against its first parent; with
    `merges_against_each_parent` they are those that differ from any parent,
    and merges that kept one side whole are listed too (--full-history)."""
    if head(root) is None:
        return []
    # --raw: the status letters --name-status gives, and the blob ids, which
    # `git cat-file` reads without looking the path up in the commit's trees.
    args = ["log", "-z", f"--format={_REC}{_FORMAT}{_FLD}", "--raw", "--no-abbrev", "--no-renames", "-m",
            "--diff-merges=separate" if merges_against_each_parent else "--diff-merges=first-parent"]
    if merges_against_each_parent:
        args.append("--full-history")
    if first_parent:
        args.append("--first-parent")
    if reverse:
        args.append("--reverse")
    if max_count is not None:
        args.append(f"--max-count={max_count}")
    args += list(revs or ["HEAD"])
    args.append("--")
    args += list(paths or [])
    out = git(root, *args)
    commits: list[Commit] = []
    index: dict[str, int] = {}
    for record in out.split(_REC)[1:]:
        parts = record.split(_FLD)
        rest = parts[9] if len(parts) > 9 else ""
        tokens = [t for t in rest.strip("\n\0").split("\0")]
        files = []
        blobs = []
        i = 0
        while i + 1 < len(tokens):
            status = tokens[i].strip("\n")
            if not status:
                i += 1
                continue
            if status.startswith(":"):  # ":OLDMODE NEWMODE OLDBLOB NEWBLOB STATUS"
                raw = status.split()
                status = raw[4] if len(raw) > 4 else "?"
                if len(raw) > 4:
                    blobs.append((tokens[i + 1], raw[2], raw[3]))
            files.append((status[0], tokens[i + 1]))
            i += 2
        sha = parts[0]
        if sha in index:  # the same merge, diffed against its next parent
            i = index[sha]
            known = set(commits[i].files)
            commits[i] = replace(commits[i], files=commits[i].files + tuple(f for f in files if f not in known))
            continue  # (a merge's blob ids stay those against its first parent)
        index[sha] = len(commits)
        commits.append(_commit(parts, tuple(files), tuple(blobs)))
    return commits


def commits(root: Path, shas: list[str]) -> list[Commit]:
    """The commits `shas`, in that order, without their files (one `git log
    --no-walk`: no tree is read)."""
    if not shas:
        return []
    out = git(root, "log", "-z", "--no-walk=unsorted", "--stdin", f"--format={_REC}{_FORMAT}",
              input="".join(s + "\n" for s in shas).encode("ascii"))
    return [_commit(record.rstrip("\0").split(_FLD)) for record in out.split(_REC)[1:]]


def _commit(parts: list[str], files: tuple[tuple[str, str], ...] = (),
            blobs: tuple[tuple[str, str, str], ...] = ()) -> Commit:
    """A Commit from the first nine fields of `_FORMAT`."""
    sha, parents, an, ae, ad, ce, cd, message, trailer_text = parts[:9]
    trailers = []
    for line in trailer_text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            trailers.append((k.strip(), v.strip()))
    return Commit(
        sha=sha, parents=tuple(parents.split()), author_name=an, author_email=ae,
        author_date=datetime.fromisoformat(ad), committer_email=ce,
        committer_date=datetime.fromisoformat(cd), message=message.strip(),
        trailers=tuple(trailers), files=files, blobs=blobs,
    )


def read_blobs(root: Path, specs: list[str], known: dict[str, str | None] | None = None
               ) -> dict[str, bytes | None]:
    """The contents of many `REV:PATH` objects through one `git cat-file --batch`;
    None for those that do not exist. `known` maps specs to blob ids already
    known (Commit.versions()): git reads those without looking paths up in trees."""
    if known:
        wanted = {s: known[s] if s in known else s for s in specs}
        by_id = read_blobs(root, sorted({w for w in wanted.values() if w is not None}))
        return {s: None if w is None else by_id[w] for s, w in wanted.items()}
    if not specs:
        return {}
    out = git_bytes(root, "cat-file", "--batch", input=("\n".join(specs) + "\n").encode("utf-8"))
    result: dict[str, bytes | None] = {}
    pos = 0
    for spec in specs:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].decode("utf-8", "replace")
        pos = nl + 1
        if header.endswith(" missing") or header.endswith(" ambiguous"):
            result[spec] = None
            continue
        size = int(header.rsplit(" ", 1)[1])
        result[spec] = out[pos:pos + size]
        pos += size + 1
    return result
