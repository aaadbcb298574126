"""One function over many values, on every core when there are many.

Edge module (starts processes). Workers are forked from the calling process,
so they start at once with everything it has loaded (modules, settings) and
nothing is imported twice; `func` and the values travel by pickle, and so do
the results. Without fork (Windows), with one core, with few values, or
while other threads run, the work is done in this process.

Used by the reading stage (the build, status, check) and the site's writers.

The cycle collector is handled here, and only here: builds make many
long-lived objects with few cycles, for which its passes are work for
nothing (`collector_paused`); forked processes share the parent's memory
until an object is touched, and the collector touches every one
(`fork_friendly`); a command ends without its last pass (`end_quietly`).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Fewer values than this are done here: forking, and pickling the results
# back, costs more than it saves (about 20 ms for two workers).
PARALLEL_FROM = 200


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_all(func: Callable[[T], R], values: Sequence[T], *, at_least: int = PARALLEL_FROM,
            workers: int = 4, chunksize: int = 64) -> Iterator[R]:
    """func(v) for each of `values`, in order, spread over at most `workers`
    forked processes (one per core) when there are `at_least` values. The
    results come as they are ready: the caller works on the first ones while
    the workers make the rest."""
    n = min(workers, cores())
    # Forking a process where another thread may hold a lock (a server, a
    # file watcher) can leave the child waiting forever: then work here.
    if len(values) < at_least or n < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        yield from map(func, values)
        return
    import multiprocessing  # here: a command with little to do does not pay for importing them
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(func, values, chunksize=chunksize)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the block runs (and in the
    processes it forks), as it was after. A build makes few cycles, and the
    collector walking its ever larger heap of posts, pages and feed entries
    is most of the time it would take."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def fork_friendly() -> Iterator[None]:
    """Around forking workers: the objects made so far are kept out of the
    collector's way, so that a worker does not copy every page of memory it
    shares with its parent by touching them."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def end_quietly() -> None:
    """The process ends now: skip the collector's last pass over every object
    left (freeing them all); the system takes the memory back."""
    gc.freeze()
