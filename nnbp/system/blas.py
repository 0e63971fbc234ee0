"""How many threads the BLAS may use while nnbp works: a number, `all` (the CPUs nnbp may run on),
or `auto`, which decides from the shape of the work.

`auto` is a rule, not a stopwatch: one thread per `PER_THREAD` multiply-adds in the largest matrix
product of a step (at most every CPU). Small products finish before a second thread pays for
waking up, and on a machine where another program holds a core, OpenBLAS's threads wait on each
other for whole scheduler slices. A policy that timed steps and switched would follow the
machine's load, and since OpenBLAS's results differ in their last bits with the number of threads
(they do, from about a hundred columns a product), the same config and seed would no longer give
the same weights. The limit is set with threadpoolctl around the work and restored afterwards.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

PER_THREAD = 3_000_000  # multiply-adds of a step's largest product each BLAS thread is given, at least
SETTINGS = ("auto", "all")
MAX_THREADS = 1024


def cpu_count() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def largest_product(sizes: list[int] | tuple[int, ...], m: int) -> int:
    """Multiply-adds of the largest matrix product of a step on m examples: m · n_in · n_out."""
    return m * max(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def resolve(setting: str | int, sizes: list[int] | tuple[int, ...], m: int) -> int:
    """The number of BLAS threads `setting` means for steps of m examples through `sizes`."""
    if setting == "all":
        return cpu_count()
    if setting == "auto":
        return max(1, min(cpu_count(), largest_product(sizes, m) // PER_THREAD))
    return int(setting)


@functools.cache
def controller() -> ThreadpoolController:
    """threadpoolctl's view of the thread pools loaded (numpy's BLAS among them), taken once a process:
    it walks the libraries in a ctypes callback, where an exception raised by a signal handler is lost.
    Libraries loaded later (scipy's BLAS, say) are not limited: nnbp's products run in numpy's."""
    import numpy  # noqa: F401  (loads the BLAS the walk must find)

    return ThreadpoolController()


@contextmanager
def blas_threads(n: int) -> Iterator[int]:
    """Let the BLAS use n threads inside the block; the previous limit is restored after it."""
    with controller().limit(limits=n, user_api="blas"):
        yield n


def others_busy(interval: float = 0.1) -> float | None:
    """How many CPUs' worth of work other programs are doing, sampled over `interval` seconds from
    Linux's /proc/stat (None elsewhere)."""

    def sample() -> tuple[int, int, float]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
        return sum(ticks) - ticks[3] - ticks[4], sum(ticks), time.process_time()

    try:
        busy0, total0, own0 = sample()
        time.sleep(interval)
        busy1, total1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    if total1 == total0:
        return None
    cpus_seen = (total1 - total0) / os.sysconf("SC_CLK_TCK") / interval  # the CPUs the kernel counted
    return max(0.0, (busy1 - busy0) / (total1 - total0) * cpus_seen - (own1 - own0) / interval)


def busy_warning(n: int) -> str | None:
    """A note when n > 1 BLAS threads would share the CPUs with other programs' work."""
    if n < 2:
        return None
    if n > cpu_count():
        return (
            f"note: {n} BLAS threads on {cpu_count()} CPUs take turns on them; --threads {cpu_count()} "
            "(or auto) is as fast or faster"
        )
    others, cpus = others_busy(), cpu_count()
    if others is None or others + n <= cpus + 0.5:
        return None
    return (
        f"note: other programs keep about {others:.1f} of the {cpus} CPUs busy; with {n} BLAS threads "
        "training may run several times slower than with --threads 1 (whose weights differ in their last bits)"
    )
