#!/usr/bin/env python3
"""Time the editorial workflow commands on a large generated repository.

Generates (or reuses, with --keep) a content repository of --posts posts and
--commits commits of history on main, plus a 20-commit side branch (checked
out), then runs each command as a whole process, several times, and reports
the median wall time (with min and max) and the peak memory:

    gulagpub status
    gulagpub history POST          one post with a long history
    gulagpub check --base main     the 20-commit branch
    gulagpub check                 every post, no history (with --plain-check)

The same is done on a repository with the same posts and only
--compare-commits commits of history, to show whether a command's time grows
with history outside what it was asked about. See benchmarks/README.md.

Example:
    python benchmarks/workflow_bench.py --posts 500 --commits 2000 --runs 3
    python benchmarks/workflow_bench.py --keep /tmp/gulagpub-bench     # full size, kept
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
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

import workflow_content as wc  # noqa: E402  (beside this script)

MARKER = "gulagpub-bench.json"  # in .git/: what was generated, written last
TARGETS = {"status": 1.0, "history": 0.3, "check --base": 2.0}


@dataclass
class Timing:
    name: str
    argv: list[str]
    commits: int
    cold: bool = False
    available: bool = True
    note: str = ""
    runs: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def command(self) -> str:
        return self.name.removesuffix(" (cold)")

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    @property
    def median_cpu(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        if self.runs:
            d.update(median=self.median, min=min(self.runs), max=max(self.runs),
                     peak_rss_mb=max(self.rss_mb), median_cpu=statistics.median(self.cpu))
        d["target"] = TARGETS.get(self.command)
        return d


def gulagpub_command() -> list[str]:
    """The `gulagpub` installed beside this Python (the project's venv), else on PATH."""
    beside = Path(sys.executable).parent / "gulagpub"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("gulagpub")
    if found:
        return [found]
    sys.exit("workflow_bench: no `gulagpub` command; install the project first "
             "(python3 -m venv .venv && .venv/bin/pip install -e .) and run this with .venv/bin/python")


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, float, int, str]:
    """(wall seconds, peak RSS MB, CPU seconds, exit code, stderr) of one whole
    process. os.wait4 gives this child's own resource use (with the git
    processes it waited for), unlike RUSAGE_CHILDREN, which accumulates."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, proc.returncode, stderr


def available(gp: list[str], repo: Path) -> dict[str, str]:
    """Which of the timed command shapes this gulagpub has ('' when it has it)."""
    missing = {}
    top = subprocess.run([*gp, "--help"], cwd=repo, capture_output=True, text=True).stdout
    if not any(line.split()[:1] == ["history"] for line in top.splitlines()):
        missing["history"] = "not available: this gulagpub has no `history` command"
    check = subprocess.run([*gp, "check", "--help"], cwd=repo, capture_output=True, text=True).stdout
    if "--base" not in check:
        missing["check --base"] = "not available: this gulagpub's `check` has no --base"
    return missing


def drop_caches(repo: Path, commit_graph: bool) -> None:
    """Remove what gulagpub keeps between runs in .git (its parse cache, and
    the commit-graph `history` writes), as a fresh clone in CI has none."""
    for f in (repo / ".git").glob("gulagpub-*cache*"):
        f.unlink()
    set_commit_graph(repo, commit_graph)


def time_command(t: Timing, repo: Path, runs: int, warmup: int, cold: bool, commit_graph: bool) -> Timing:
    """Warm: after `warmup` untimed runs, gulagpub's caches are filled.
    Cold: each run starts without them (and without a commit-graph unless
    `commit_graph`)."""
    for _ in range(0 if cold else warmup):  # file cache, .pyc files, gulagpub's caches
        run_once(t.argv, repo)
    for _ in range(runs):
        if cold:
            drop_caches(repo, commit_graph)
        wall, rss, cpu, code, stderr = run_once(t.argv, repo)
        t.runs.append(wall)
        t.rss_mb.append(rss)
        t.cpu.append(cpu)
        t.exit_codes.append(code)
        if code != 0:
            t.stderr_tail = "\n".join(stderr.strip().splitlines()[-5:])
    return t


def repository(keep: Path, posts: int, commits: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The generated repository for these parameters: reused from `keep` when
    complete, made otherwise."""
    root = keep / f"posts{posts}-commits{commits}-seed{seed}"
    marker = root / ".git" / MARKER
    if marker.is_file():
        facts = json.loads(marker.read_text())
        if facts.get("generator") == wc.GENERATOR_VERSION:
            print(f"reusing {root}", file=sys.stderr)
            return root, facts
    if root.exists():  # ours (the name says so), but incomplete or from an older generator
        shutil.rmtree(root)
    print(f"generating {posts:,} posts, {commits:,} commits in {root} ...", file=sys.stderr)
    start = time.perf_counter()
    facts = wc.write(root, wc.plan(posts, commits, seed), wc.vocabulary(PROJECT))
    facts["generated_in_s"] = round(time.perf_counter() - start, 1)
    marker.write_text(json.dumps(facts, indent=2))
    print(f"  done in {facts['generated_in_s']} s", file=sys.stderr)
    return root, facts


def set_commit_graph(root: Path, wanted: bool) -> None:
    """Give the repository git's commit-graph (with changed-path Bloom filters),
    or take it away, so each run measures what it says."""
    info = root / ".git" / "objects" / "info"
    if wanted:
        if not (info / "commit-graph").exists():
            subprocess.run(["git", "-C", str(root), "commit-graph", "write", "--reachable",
                            "--changed-paths"], check=True)
        return
    (info / "commit-graph").unlink(missing_ok=True)
    shutil.rmtree(info / "commit-graphs", ignore_errors=True)


def measure(gp: list[str], root: Path, facts: dict[str, Any], runs: int, warmup: int,
            cold_runs: int, plain_check: bool, commit_graph: bool) -> list[Timing]:
    missing = available(gp, root)
    shapes = [
        ("status", [*gp, "status"]),
        ("history", [*gp, "history", facts["long_post"]]),
        ("check --base", [*gp, "check", "--base", wc.MAIN]),
    ] + ([("check", [*gp, "check"])] if plain_check else [])
    out = []
    for cold in ([True] if cold_runs else []) + [False]:
        for name, argv in shapes:
            t = Timing(name + (" (cold)" if cold else ""), argv, facts["commits"], cold=cold)
            n = cold_runs if cold else runs
            if name in missing:
                t.available, t.note = False, missing[name]
            else:
                print(f"  {t.name} ({facts['commits']:,} commits) x{n} ...", file=sys.stderr)
                time_command(t, root, n, warmup, cold, commit_graph)
                if any(t.exit_codes):
                    last = t.stderr_tail.splitlines()[-1] if t.stderr_tail else ""
                    t.note = f"exit {sorted(set(t.exit_codes))}: {last}"
            out.append(t)
    return out


def table(results: list[Timing]) -> str:
    lines = [f"{'command':<21} {'commits':>8} {'median':>8} {'min':>8} {'max':>8} {'CPU':>8} "
             f"{'peak RSS':>9} {'target':>7}  verdict"]
    for t in results:
        target = TARGETS.get(t.command)
        tgt = f"< {target:g} s" if target else ""
        if not t.available or t.median is None:
            lines.append(f"{t.name:<21} {t.commits:>8,} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>9} "
                         f"{tgt:>7}  {t.note}")
            continue
        verdict = "" if target is None else ("meets target" if t.median < target else "OVER target")
        if t.note:
            verdict = (verdict + "; " if verdict else "") + t.note
        lines.append(f"{t.name:<21} {t.commits:>8,} {t.median:>7.3f}s {min(t.runs):>7.3f}s "
                     f"{max(t.runs):>7.3f}s {t.median_cpu:>7.3f}s {max(t.rss_mb):>6.0f} MB {tgt:>7}  {verdict}")
    return "\n".join(lines)


def growth(small: list[Timing], large: list[Timing]) -> list[dict[str, Any]]:
    """Each command's medians at both history lengths. Judged on CPU time
    (user + sys of the process and the git it runs), which a busy machine
    disturbs less than wall time; 'flat' allows for noise: within 25 % or 50 ms."""
    rows = []
    for a, b in zip(small, large):
        if a.median is None or b.median is None or a.median_cpu is None or b.median_cpu is None:
            rows.append({"command": a.name, "verdict": "not measured"})
            continue
        ratio = b.median_cpu / a.median_cpu if a.median_cpu else float("inf")
        flat = ratio < 1.25 or b.median_cpu - a.median_cpu < 0.05
        rows.append({"command": a.name, "small_commits": a.commits, "small_median": a.median,
                     "small_cpu": a.median_cpu, "large_commits": b.commits, "large_median": b.median,
                     "large_cpu": b.median_cpu, "cpu_ratio": round(ratio, 2),
                     "verdict": "flat" if flat else "GROWS"})
    return rows


def environment() -> dict[str, Any]:
    def out(*argv: str) -> str:
        proc = subprocess.run(argv, cwd=PROJECT, capture_output=True, text=True)
        return proc.stdout.strip()

    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "loadavg": os.getloadavg(), "python": platform.python_version(),
        "platform": platform.platform(), "git": out("git", "--version"),
        "project_commit": out("git", "rev-parse", "--short", "HEAD"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000, help="posts in the repository (default 10000)")
    ap.add_argument("--commits", type=int, default=50_000, help="commits of history on main (default 50000)")
    ap.add_argument("--compare-commits", type=int, default=None,
                    help="also time a repository with the same posts and this much history "
                         "(default commits/5; 0 to skip)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before them (default 1)")
    ap.add_argument("--cold-runs", type=int, default=1,
                    help="runs of each command without gulagpub's caches in .git, as in a fresh "
                         "clone (default 1; 0 to skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep generated repositories in this folder and reuse them next time")
    ap.add_argument("--generate-only", action="store_true", help="make the repositories, time nothing")
    ap.add_argument("--commit-graph", action="store_true",
                    help="give the repositories git's commit-graph with changed-path Bloom filters "
                         "from the start; by default they have none, like a fresh clone (gulagpub "
                         "`history` may write one itself: the cold runs start without it)")
    ap.add_argument("--plain-check", action="store_true",
                    help="also time `gulagpub check` without --base (every post, no history)")
    ap.add_argument("--results", type=Path, default=HERE / "results",
                    help="folder for the JSON results (default benchmarks/results/)")
    args = ap.parse_args()
    compare = args.commits // 5 if args.compare_commits is None else args.compare_commits
    sizes = [args.commits] + ([compare] if 0 < compare < args.commits else [])

    gp = gulagpub_command()
    keep = args.keep or Path(tempfile.mkdtemp(prefix="gulagpub-bench-"))
    keep.mkdir(parents=True, exist_ok=True)
    try:
        repos = []
        for c in sizes:
            try:
                repos.append(repository(keep.resolve(), args.posts, c, args.seed))
            except ValueError as exc:  # too little history for the posts asked for
                if not repos:
                    sys.exit(f"workflow_bench: {exc}")
                print(f"not comparing with {c:,} commits: {exc}", file=sys.stderr)
        if args.generate_only:
            for root, facts in repos:
                print(f"{root}: {facts['commits']:,} commits on {wc.MAIN}, {facts['branch_commits']} on "
                      f"{facts['branch']} (checked out); long history: {facts['long_post']}")
            return 0
        measured = []
        for root, facts in repos:
            set_commit_graph(root, args.commit_graph)
            facts["commit_graph"] = args.commit_graph
            print(f"timing in {root}", file=sys.stderr)
            measured.append(measure(gp, root, facts, args.runs, args.warmup, args.cold_runs,
                                    args.plain_check, args.commit_graph))
    finally:
        if args.keep is None:
            shutil.rmtree(keep, ignore_errors=True)

    env = environment()
    facts = repos[0][1]
    print(f"\ngulagpub workflow benchmark: {args.posts:,} posts, {args.runs} runs each (median, min, max; "
          f"wall time of the whole process), {env['cpus']} CPUs, load {env['loadavg'][0]:.2f}")
    print(f"history of {facts['long_post']} ({facts['long_post_commits']} commits); "
          f"check --base over {facts['branch_commits']} commits of branch {facts['branch']}; "
          f"git commit-graph: {'yes' if args.commit_graph else 'none'}\n")
    print(table([t for ts in measured for t in ts]))
    rows = growth(measured[1], measured[0]) if len(measured) == 2 else []
    if rows:
        print(f"\ngrowth with history outside the range asked about "
              f"({sizes[1]:,} -> {sizes[0]:,} commits):")
        for r in rows:
            if "cpu_ratio" in r:
                print(f"  {r['command']:<21} wall {r['small_median']:.3f}s -> {r['large_median']:.3f}s, "
                      f"CPU {r['small_cpu']:.3f}s -> {r['large_cpu']:.3f}s (x{r['cpu_ratio']})  {r['verdict']}")
            else:
                print(f"  {r['command']:<21} {r['verdict']}")
    print("\nThe machine may be shared: figures are noisy; compare medians, not single runs.")

    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"workflow-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({
        "environment": env, "posts": args.posts, "runs": args.runs, "warmup": args.warmup, "seed": args.seed,
        "repositories": [f for _, f in repos],
        "results": [t.summary() for ts in measured for t in ts], "growth": rows,
    }, indent=2))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
