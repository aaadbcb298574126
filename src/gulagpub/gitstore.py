"""Git as the store of content and its history. Edge module.

Every function here runs a bounded number of git processes, never one per
post or per commit: history is read in one `git log` pass.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

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


# A file's change time is not compared with the index's: the build hard-links
# the content's media into the site, which moves theirs, and git would read
# every scan again (seconds for a few thousand) to find them unchanged.
_OPTIONS = ("-c", "core.trustctime=false")


def git_bytes(root: Path, *args: str, input: bytes | None = None, check: bool = True,
              env: dict[str, str] | None = None) -> bytes:
    full_env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *_OPTIONS, *args], input=input, capture_output=True, env=full_env,
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


def blob_ids(root: Path, paths: Collection[str]) -> dict[str, str]:
    """Git's object id of each of `paths` as it is in the work tree (what `git
    hash-object` gives, through the repository's filters: a file's name for its
    bytes that any clone agrees on). From the index for a file it holds unchanged
    (git compares the stat it keeps, and the bytes when that cannot tell), hashed
    by git for the others; three git processes at most, whatever the number of
    paths. A path git cannot hash (gone, unreadable, a newline in its name) is left out."""
    wanted = set(paths)
    if not wanted:
        return {}
    ids: dict[str, str] = {}
    for entry in git_bytes(root, "ls-files", "--stage", "-z").split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        path = os.fsdecode(name)
        if path in wanted and meta.endswith(b" 0"):  # (stage 0: not in the middle of a merge)
            ids[path] = meta.split(b" ")[1].decode("ascii")
    if ids:
        changed = git_bytes(root, "diff-files", "--name-only", "--relative", "-z")
        for name in changed.split(b"\0"):
            ids.pop(os.fsdecode(name), None)
    rest = sorted(p for p in wanted - ids.keys() if "\n" not in p and os.path.isfile(os.path.join(root, p)))
    if rest:
        out = git_bytes(root, "hash-object", "--stdin-paths", input=os.fsencode("\n".join(rest) + "\n"), check=False)
        # (In order; git stops at a file it cannot read: it and those after it stay unknown.)
        ids.update(zip(rest, out.decode("ascii", "replace").split()))
    return ids


def format_trailers(trailers: list[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in trailers)


def _message(subject: str, body: str, trailers: list[tuple[str, str]] | None) -> str:
    message = subject.strip() + "\n"
    if body.strip():
        message += "\n" + body.strip() + "\n"
    if trailers:
        message += "\n" + format_trailers(trailers) + "\n"
    return message


def commit(root: Path, paths: list[str], subject: str, body: str = "",
           trailers: list[tuple[str, str]] | None = None, *, sign_key: str | None = None,
           allow_empty: bool = False, contents: Mapping[str, bytes | None] | None = None,
           expect_head: str | None = None) -> str:
    """Make one commit on top of HEAD holding `paths` as they are in the
    working tree (added, changed or deleted) and `contents` (path -> bytes;
    None: delete), written to the working tree once committed; return its id.

    Nothing else is taken along (other staged changes stay staged), and the
    commit is made only if HEAD is still `expect_head` (the HEAD the caller
    read its state at; default: HEAD when called) and nobody staged anything
    for these paths meanwhile: the commit is built apart (`git commit-tree`)
    and HEAD moved with `git update-ref HEAD NEW OLD`, which git refuses when
    HEAD is no longer OLD. So two processes committing at once never lose a
    commit or mix their files: the second is refused (`Moved`), its
    working tree and index untouched. With `sign_key` (a path to an SSH key,
    or a key git's ssh signer accepts) the commit is signed (git's SSH signing)."""
    import tempfile  # (here: a build, which commits nothing, does not load it)

    contents = dict(contents or {})
    old = expect_head if expect_head is not None else head(root)
    every = sorted(set(paths) | set(contents))
    entries = _entries(root, paths, contents)
    with tempfile.TemporaryDirectory(prefix="gulagpub-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if old:
            git(root, "read-tree", old, env=env)
        else:
            git(root, "read-tree", "--empty", env=env)
        git(root, "update-index", "-z", "--index-info", input=entries, env=env)
        tree = git(root, "write-tree", env=env).strip()
    if old and not allow_empty and tree == git(root, "rev-parse", f"{old}^{{tree}}").strip():
        raise GitError(f"nothing to commit: {', '.join(every) or 'no file'} as in HEAD already")
    args = ["commit-tree", tree, "-F", "-"] + (["-p", old] if old else [])
    if sign_key:
        args = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign_key}", *args, "-S"]
    else:
        args.append("--no-gpg-sign")
    new = git(root, *args, input=_message(subject, body, trailers).encode("utf-8")).strip()
    if old and every:
        staged = git(root, "diff-index", "--cached", "--name-only", "-z", old, "--", *every)
        if staged.strip("\0"):
            raise Moved(f"{', '.join(p for p in staged.split(chr(0)) if p)}: changed in the index (staged) "
                        "while this command ran; nothing was committed: commit or unstage that change "
                        "(`git restore --staged PATH`) and run the command again")
    proc = subprocess.run(["git", "-C", str(root), "update-ref", "-m", f"gulagpub: {subject.strip()[:200]}",
                           "HEAD", new, old or NULL_ID], capture_output=True,
                          env={**os.environ, "LC_ALL": "C"})
    if proc.returncode != 0:
        now = head(root)
        raise Moved(f"the repository changed while this command ran (HEAD is now "
                    f"{(now or 'nothing')[:10]}, not {(old or 'nothing')[:10]} as it was read): nothing was "
                    "committed; run the command again")
    if every:
        try:
            git(root, "update-index", "-z", "--index-info", input=entries)
        except GitError as exc:
            raise GitError(f"committed {new[:10]}, but git's index could not be brought up to it ({exc}); "
                           f"run `git reset -q -- {' '.join(every[:3])}{' ...' if len(every) > 3 else ''}` "
                           "once nothing else is using the repository") from exc
    for path, data in contents.items():
        _put(root, path, data)
    return new


class Moved(GitError):
    """HEAD or the index changed between reading the repository and committing."""


def _entries(root: Path, paths: list[str], contents: Mapping[str, bytes | None]) -> bytes:
    """`git update-index -z --index-info` lines for these files: their blobs
    written to git's object store (in one `git hash-object` each way)."""
    lines: list[str] = []
    present: list[str] = []
    for path in paths:
        if path in contents:
            continue
        try:
            st = os.lstat(root / path)
        except FileNotFoundError:
            lines.append(f"0 {NULL_ID}\t{path}")
            continue
        if not stat.S_ISREG(st.st_mode):
            raise GitError(f"{path}: not a regular file (a symbolic link or a folder); gulagpub commits "
                           "plain files only")
        present.append(path)
    if present:
        ids = git(root, "hash-object", "-w", "--stdin-paths", input="\n".join(present).encode("utf-8")).split()
        for path, blob in zip(present, ids, strict=True):
            mode = "100755" if os.stat(root / path).st_mode & 0o111 else "100644"
            lines.append(f"{mode} {blob}\t{path}")
    written = {p: d for p, d in contents.items() if d is not None}
    lines += [f"0 {NULL_ID}\t{p}" for p, d in contents.items() if d is None]
    if written:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="gulagpub-blobs-") as tmp:
            files = []
            for i, data in enumerate(written.values()):
                files.append(str(Path(tmp) / str(i)))
                Path(files[-1]).write_bytes(data)
            ids = git(root, "hash-object", "-w", "--no-filters", "--stdin-paths",
                      input="\n".join(files).encode("utf-8")).split()
        lines += [f"100644 {blob}\t{path}" for path, blob in zip(written, ids, strict=True)]
    return "".join(line + "\0" for line in lines).encode("utf-8")


def _put(root: Path, path: str, data: bytes | None) -> None:
    """The working tree's `path` made to hold `data` (None: removed), atomically."""
    full = root / path
    try:
        if data is None:
            full.unlink(missing_ok=True)
            return
        full.parent.mkdir(parents=True, exist_ok=True)
        tmp = full.with_name(f".{full.name}.gulagpub-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, full)
    except OSError as exc:
        raise GitError(f"{path}: committed, but the file could not be written ({exc.strerror}); "
                       f"run `git checkout -- {path}` once the disk or permission problem is fixed") from exc


def is_shallow(root: Path) -> bool:
    """Whether the repository holding `root` is a shallow clone (its git
    folder has a `shallow` file: history before some commits is missing)."""
    from .store import git_dir

    folder = git_dir(root)  # (the top of a working tree, its own worktree folder: no git process needed)
    if folder is not None:
        common = folder / "commondir"
        if common.is_file():
            folder = (folder / common.read_text(encoding="utf-8", errors="replace").strip()).resolve()
        try:
            return (folder / "shallow").stat().st_size > 0
        except OSError:
            return False
    found = git(root, "rev-parse", "--git-path", "shallow", check=False).strip()
    if not found:
        return False
    path = Path(found) if os.path.isabs(found) else root / found
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def require_history(root: Path, doing: str, *, allow_shallow: bool = False,
                    warn: Callable[[str], None] | None = None) -> None:
    """Refuse to go on (`ShallowClone`) when `root` is a shallow clone and
    `doing` needs the whole history; with `allow_shallow`, warn instead."""
    if not is_shallow(root):
        return
    what = (f"{root} is a shallow clone (.git/shallow): {doing} needs the whole history, and commits "
            "before the clone's depth are missing")
    if not allow_shallow:
        raise ShallowClone(f"{what}; run `git fetch --unshallow` (in GitHub Actions: actions/checkout with "
                           "fetch-depth: 0), or pass --allow-shallow to go on with the history there is")
    if warn is not None:
        warn(f"{what}; going on (--allow-shallow): what needs older commits may be wrong")


class ShallowClone(GitError):
    """The repository is a shallow clone and the command needs its whole history."""


class TreeEntry(NamedTuple):
    """One entry of a git tree: its mode ('100644', '120000' for a symbolic
    link, '160000' for a submodule, '040000' for a folder) and its path."""

    mode: str
    path: str

    @property
    def is_link(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.mode == "160000"


def tree_entries(root: Path, rev: str, paths: list[str]) -> list[TreeEntry]:
    """Every entry at and below `paths` in the tree of `rev` (folders too), in
    one `git ls-tree`."""
    out = git(root, "ls-tree", "-r", "-t", "-z", "--full-tree", rev, "--", *paths)
    found = []
    for record in out.split("\0"):
        if record:
            meta, _, path = record.partition("\t")
            found.append(TreeEntry(meta.split(" ", 1)[0], path))
    return found


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
