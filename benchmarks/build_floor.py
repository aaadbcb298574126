#!/usr/bin/env python3
"""The floor under any `gulagpub build` of a given blog on this machine.

Two costs no build of the same output can avoid, each measured on its own,
without gulagpub's planning, templates or feeds:

  render   parsing every content file (gulagpub's postfile.parse_post) and
           turning its Markdown into safe HTML (render.markdown_to_html:
           cmarkgfm, then nh3) — the C and Rust libraries the issue asks for,
           called once per post, in one process (CPU seconds per post)
  write    making the built site's folders and writing its files, bytes
           already in memory (os.mkdir, os.open/os.write/os.close), in one
           process and split over two forked processes

Usage (CORPUS is a content repository, SITE a site built from it):

    .venv/bin/python benchmarks/build_floor.py --corpus CORPUS --site SITE --runs 5

Write runs go to fresh folders beside SITE, moved into a trash folder
emptied when the run ends (deleting just before writing slows file creation
on an ext4 file system without a journal: see build_bench.py). Prints
medians (min-max); results JSON in benchmarks/results/floor-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def render_floor(corpus: Path) -> dict[str, float]:
    """CPU seconds to parse and render every content file once, in this process."""
    from gulagpub.content import content_paths
    from gulagpub.postfile import parse_post
    from gulagpub.render import markdown_to_html

    paths = content_paths(corpus)
    datas = [(p, (corpus / p).read_bytes()) for p in paths]
    markdown_to_html("warm *up*")
    c0, t0 = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    posts = [parse_post(p, d, default_lang="en")[0] for p, d in datas]
    c1 = _cpu(resource.RUSAGE_SELF)
    for post in posts:
        if post is not None:
            markdown_to_html(post.body)
    c2, t2 = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    return {"files": len(paths), "parse_cpu": c1 - c0, "markdown_cpu": c2 - c1, "wall": t2 - t0}


def _tree(site: Path) -> tuple[list[str], list[tuple[str, bytes]]]:
    dirs: list[str] = []
    files: list[tuple[str, bytes]] = []
    for dirpath, _, filenames in os.walk(site):
        rel = os.path.relpath(dirpath, site)
        if rel != ".":
            dirs.append(rel)
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as f:
                files.append((os.path.join(rel, name), f.read()))
    return dirs, files


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def _split(n: int, part) -> None:  # type: ignore[no-untyped-def]
    """part(k, n) for k in 0..n-1, in n forked processes (n == 1: here)."""
    if n == 1:
        part(0, 1)
        return
    pids = []
    for k in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                part(k, n)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)


def write_floor(dirs: list[str], files: list[tuple[str, bytes]], dst: Path, processes: int) -> dict[str, float]:
    """Make `dirs` and write `files` under `dst` (new) with `processes` processes."""
    by_depth: dict[int, list[str]] = {}
    for d in dirs:
        by_depth.setdefault(d.count(os.sep), []).append(d)
    c0 = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    os.mkdir(dst)
    for depth in sorted(by_depth):  # parents before children
        names = by_depth[depth]
        _split(processes, lambda k, n, names=names: [os.mkdir(os.path.join(dst, d)) for d in names[k::n]])
    t1 = time.perf_counter()

    def write(k: int, n: int) -> None:
        for path, data in files[k::n]:
            fd = os.open(os.path.join(dst, path), _FLAGS, 0o666)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    _split(processes, write)
    t2 = time.perf_counter()
    c2 = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
    return {"mkdir": t1 - t0, "files": t2 - t1, "wall": t2 - t0, "cpu": c2 - c0}


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="a content repository (posts/, translations/)")
    ap.add_argument("--site", type=Path, required=True, help="a site built from it")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--results", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)
    if not (args.site / "index.html").is_file():
        ap.error(f"{args.site}: not a built site (no index.html); build it first with gulagpub build")

    renders = [render_floor(args.corpus) for _ in range(args.runs)]
    n = renders[0]["files"]
    per_post = [1000 * (r["parse_cpu"] + r["markdown_cpu"]) / n for r in renders]
    print(f"render: {n} files, parse CPU {_summary([r['parse_cpu'] for r in renders])}, "
          f"Markdown -> safe HTML CPU {_summary([r['markdown_cpu'] for r in renders])}; "
          f"{statistics.median(per_post):.3f} ms a post")

    dirs, files = _tree(args.site)
    size = sum(len(b) for _, b in files)
    print(f"write: {len(dirs)} folders, {len(files)} files, {size / 1e6:.1f} MB")
    trash = args.site.parent / f".floor-trash-{os.getpid()}"
    trash.mkdir()
    writes: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    try:
        for i in range(args.runs):
            for processes in (1, 2):
                dst = args.site.parent / f".floor-{os.getpid()}-{i}-{processes}"
                writes[processes].append(write_floor(dirs, files, dst, processes))
                dst.rename(trash / dst.name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    for processes, rows in writes.items():
        print(f"write, {processes} process(es): wall {_summary([r['wall'] for r in rows])} "
              f"(folders {_summary([r['mkdir'] for r in rows])}, files {_summary([r['files'] for r in rows])}), "
              f"CPU {_summary([r['cpu'] for r in rows])}")

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.results / f"floor-{stamp}.json"
    out.write_text(json.dumps({
        "when": stamp, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                   "load": os.getloadavg()},
        "corpus": str(args.corpus), "site": str(args.site), "render": renders,
        "write": {"folders": len(dirs), "files": len(files), "bytes": size,
                  "runs": {str(k): v for k, v in writes.items()}},
    }, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
