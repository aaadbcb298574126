"""CPU time of the reading stage's worker alone: `reading._parse` (read, parse,
render, pickle) over every post and language version of a corpus, its result
pickled as the worker sends it back, in one process, `--rounds` times.

Run it with each version's Python, interleaved, to compare two versions of the
reading stage without the noise of a whole build (files written, workers forked):

    for i in 1 2 3; do
      MAIN/.venv/bin/python benchmarks/reading_bench.py CORPUS/gulagpub
      .venv/bin/python benchmarks/reading_bench.py CORPUS/gulagpub
    done

CORPUS is a corpus made by build_corpus.py (build_bench.py --keep DIR keeps one).
It prints the CPU seconds of each round and the bytes sent back per file.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from gulagpub import reading
from gulagpub.content import load_config


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", type=Path, help="a content repository (CORPUS/gulagpub)")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    root = args.corpus
    config = load_config(root)
    paths = sorted(f.relative_to(root).as_posix() for top in ("posts", "translations") for f in (root / top).rglob("*.md"))
    jobs = [(path, str(root / path), (root / path).read_bytes(), config, True, None) for path in paths]
    rounds = []
    sent: list[bytes] = []
    for _ in range(args.rounds):
        start = time.process_time()
        sent = [pickle.dumps(reading._parse(job), protocol=pickle.HIGHEST_PROTOCOL) for job in jobs]
        rounds.append(time.process_time() - start)
    print(f"{len(jobs)} files: CPU s per round " + " ".join(f"{r:.3f}" for r in rounds)
          + f"; {sum(map(len, sent)) // max(1, len(sent))} bytes sent back per file")


if __name__ == "__main__":
    main()
