"""parallel.map_all: the results of one function over many values, in order,
worked out in forked processes only when there are many."""

from __future__ import annotations

import os

from conftest import require

from gulagpub.parallel import PARALLEL_FROM, cores, map_all


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_many_values_are_worked_out_in_other_processes_in_order():
    require("two cores", cores() >= 2)
    results = list(map_all(pid_and_square, range(PARALLEL_FROM), chunksize=8))
    assert [square for _, square in results] == [x * x for x in range(PARALLEL_FROM)]
    assert os.getpid() not in {pid for pid, _ in results}


def test_few_values_are_worked_out_here():
    results = list(map_all(pid_and_square, range(5)))
    assert results == [(os.getpid(), x * x) for x in range(5)]


def test_a_process_with_other_threads_is_not_forked():
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = list(map_all(pid_and_square, range(PARALLEL_FROM)))
    finally:
        stop.set()
        other.join()
    assert {pid for pid, _ in results} == {os.getpid()}
