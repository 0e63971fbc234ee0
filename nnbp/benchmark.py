"""Timing the matrix engine against the per-example loop on the same work, and both against the floor.

"The same work" means: the same initial weights, the same shuffled order of examples, the same
number of SGD steps of the same size, and the same batch gathering. Repeats of the two engines and
of the floor are interleaved, so a noisy neighbour slows them alike; figures are medians.
This module measures and returns numbers; the command line turns them into text and pictures.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field

import numpy as np

from nnbp.config import TrainConfig
from nnbp.data.dataset import Dataset
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.setup import build_network, check_against_data
from nnbp.sgd import sgd_step
from nnbp.system.blas import blas_threads, cpu_count, resolve
from nnbp.training import Batcher, gradient_of

Array = np.ndarray


@dataclass(frozen=True)
class BenchResult:
    """Seconds per epoch over the whole training set, medians over the repeats (with min and max)."""

    mini_batch_size: int
    dtype: str
    n_train: int
    matrix_seconds_per_epoch: float
    matrix_spread: tuple[float, float]
    loop_seconds_per_epoch: float
    loop_spread: tuple[float, float]
    loop_examples_timed: int  # the loop's epoch is extrapolated from this many examples
    matrix_examples_timed: int
    floor_seconds_per_epoch: float  # the bare matrix products an epoch of steps needs
    max_grad_diff: float  # largest |matrix − loop| over every ∂C/∂w, ∂C/∂b of one batch

    @property
    def speedup(self) -> float:
        return self.loop_seconds_per_epoch / self.matrix_seconds_per_epoch

    @property
    def floor_ratio(self) -> float:
        return self.matrix_seconds_per_epoch / self.floor_seconds_per_epoch

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            speedup=self.speedup,
            floor_ratio=self.floor_ratio,
            matrix_examples_per_second=self.n_train / self.matrix_seconds_per_epoch,
            loop_examples_per_second=self.n_train / self.loop_seconds_per_epoch,
        )
        return d


def _time_steps(engine: str, network: Network, dataset: Dataset, order: Array, m: int, eta: float) -> float:
    """Seconds for SGD steps over `order` in batches of m, gathering each batch as training does."""
    gradient = gradient_of(engine, network)
    batcher = Batcher(dataset, dataset.train, network.dtype)
    start = time.perf_counter()
    for X, Y in batcher.batches(order, m):
        sgd_step(network, gradient(X, Y), eta, X.shape[1])
    return time.perf_counter() - start


def _floor_step(network: Network, m: int) -> Callable[[], None]:
    """One step's matrix products alone, on preallocated arrays: forward w·a, backward wᵀ·δ and δ·aᵀ."""
    rng = np.random.default_rng(0)
    dtype = network.dtype
    activations = [rng.random((n, m)).astype(dtype) for n in network.sizes]
    zs = [np.empty((n, m), dtype) for n in network.sizes[1:]]
    deltas = [rng.random((n, m)).astype(dtype) for n in network.sizes[1:]]
    nabla_w = [np.empty_like(w) for w in network.weights]
    weights = network.weights
    n_layers = len(weights)

    def step() -> None:
        for j in range(n_layers):
            np.matmul(weights[j], activations[j], out=zs[j])
        for j in range(n_layers - 1, -1, -1):
            if j < n_layers - 1:
                np.matmul(weights[j + 1].T, deltas[j + 1], out=deltas[j])
            np.matmul(deltas[j], activations[j].T, out=nabla_w[j])

    return step


def _time_floor(step: Callable[[], None], n_steps: int) -> float:
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return time.perf_counter() - start


def max_grad_diff(network: Network, dataset: Dataset, idx: Array) -> float:
    """The largest difference between the two engines' gradients (means over the batch) on one batch."""
    X, Y = Batcher(dataset, dataset.train, network.dtype).gather(idx)
    matrix = gradient_of("matrix", network)(X, Y)
    loop = gradient_of("loop", network)(X, Y)
    diffs = [np.abs(a - b).max() for a, b in zip(matrix[0] + matrix[1], loop[0] + loop[1])]
    return float(max(diffs)) / len(idx)


def bench(
    initial: Network,
    dataset: Dataset,
    mini_batch_size: int,
    *,
    eta: float = 3.0,
    seed: int = 0,
    repeats: int = 5,
    matrix_examples: int | None = None,
    loop_examples: int = 2000,
) -> BenchResult:
    """Time both engines and the floor on the same work; per-epoch figures cover the whole training set.

    Every run starts from a copy of `initial` and visits the examples in one order drawn from `seed`.
    The matrix engine runs over `matrix_examples` examples (default: all), the loop over
    `loop_examples` (both rounded up to whole batches, at most the training set); their times are
    scaled to a full epoch.
    """
    rng = np.random.default_rng(seed)
    n = len(dataset.train)
    order = rng.permutation(n)
    m = mini_batch_size

    def whole_batches(k: int) -> int:
        return min(n, -(-k // m) * m)

    matrix_order = order[: whole_batches(matrix_examples or n)]
    loop_order = order[: whole_batches(loop_examples)]
    floor = _floor_step(initial, m)
    n_steps = -(-len(matrix_order) // m)

    def run_matrix() -> float:
        return _time_steps("matrix", initial.copy(), dataset, matrix_order, m, eta) * n / len(matrix_order)

    def run_loop() -> float:
        return _time_steps("loop", initial.copy(), dataset, loop_order, m, eta) * n / len(loop_order)

    def run_floor() -> float:
        return _time_floor(floor, n_steps) * n / len(matrix_order)

    warm = order[: min(n, 3 * m)]  # warm-up: caches, BLAS threads, workspaces
    _time_steps("matrix", initial.copy(), dataset, warm, m, eta)
    _time_steps("loop", initial.copy(), dataset, warm, m, eta)
    _time_floor(floor, 3)

    times: dict[str, list[float]] = {"matrix": [], "loop": [], "floor": []}
    runs = [("matrix", run_matrix), ("loop", run_loop), ("floor", run_floor)]
    for r in range(repeats):
        for name, run in runs if r % 2 == 0 else runs[::-1]:
            times[name].append(run())

    def spread(name: str) -> tuple[float, float]:
        return (min(times[name]), max(times[name]))

    return BenchResult(
        mini_batch_size=m,
        dtype=initial.dtype.name,
        n_train=n,
        matrix_seconds_per_epoch=statistics.median(times["matrix"]),
        matrix_spread=spread("matrix"),
        loop_seconds_per_epoch=statistics.median(times["loop"]),
        loop_spread=spread("loop"),
        loop_examples_timed=len(loop_order),
        matrix_examples_timed=len(matrix_order),
        floor_seconds_per_epoch=statistics.median(times["floor"]),
        max_grad_diff=max_grad_diff(initial, dataset, order[:m]),
    )


def environment() -> dict:
    """What the figures depend on: numpy, the BLAS library and its threads, the machine."""
    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cpus": cpu_count(),
        "blas": _blas(),
    }
    return env


def peak_memory_mb() -> float:
    """This process's maximum resident set size so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blas() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        config = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        return [
            {
                "library": config.get("name"),
                "version": config.get("version"),
                "threads": None,
                "note": "install threadpoolctl to see threads and kernel",
            }
        ]
    return [
        {
            "library": i.get("internal_api"),
            "version": i.get("version"),
            "threads": i.get("num_threads"),
            "architecture": i.get("architecture"),
            "file": i.get("filepath"),
        }
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass
class Plan:
    """What `nnbp bench` times, and the results as they come."""

    config: TrainConfig
    dataset: Dataset
    batch_sizes: list[int]
    repeats: int
    loop_examples: int
    matrix_examples: int | None
    environment: dict
    contended: bool = False  # time the matrix engine with each thread setting, quiet and beside a busy process
    results: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """Everything measured, as one JSON-ready object."""
        return {
            "environment": self.environment,
            "config": self.config.to_dict(),
            "n_train": len(self.dataset.train),
            "repeats": self.repeats,
            "results": self.results,
            "peak_memory_mb": peak_memory_mb(),
        }


def plan(
    config: TrainConfig,
    dataset: Dataset,
    mini_batch_sizes: str | None,
    quick: bool,
    repeats: int | None,
    loop_examples: int | None,
    contended: bool = False,
) -> Plan:
    """Check what is asked for before anything is timed: mini-batch sizes that fit the data."""
    batch_sizes = parse_sizes(mini_batch_sizes or "1,10,100,1000")
    if mini_batch_sizes is None:
        batch_sizes = [m for m in batch_sizes if m <= len(dataset.train)]
    check_against_data(config, dataset, "config")
    too_big = [m for m in batch_sizes if m > len(dataset.train)]
    if too_big:
        raise NnbpError(f"--mini-batch-sizes: {too_big[0]} is larger than the {len(dataset.train)} training examples")
    return Plan(
        config,
        dataset,
        batch_sizes,
        repeats or (3 if quick else 5),
        loop_examples or (300 if quick else 2000),
        2000 if quick else (10_000 if contended else None),
        environment(),
        contended,
    )


def parse_sizes(text: str) -> list[int]:
    """'1,10,100' as mini-batch sizes."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise NnbpError(f"--mini-batch-sizes: {text!r} is not a comma-separated list of whole numbers") from None
    if not sizes or min(sizes) < 1:
        raise NnbpError(f"--mini-batch-sizes: {text!r} holds a size below 1")
    return sizes


def run(p: Plan) -> Iterator[dict]:
    """Time each mini-batch size in turn, yielding its figures (also kept in `p.results`)."""
    for m in p.batch_sizes:
        if p.contended:
            r = contention(p, m)
        else:
            network = build_network(p.config, np.random.default_rng(p.config.seed))
            n_threads = resolve(p.config.threads, p.config.sizes, m)
            with blas_threads(n_threads):
                r = bench(
                    network,
                    p.dataset,
                    m,
                    eta=p.config.eta,
                    seed=p.config.seed,
                    repeats=p.repeats,
                    matrix_examples=p.matrix_examples,
                    loop_examples=p.loop_examples,
                ).to_dict()
            r["blas_threads"] = n_threads
        p.results.append(r)
        yield r


THREAD_SETTINGS = ("auto", 1, "all")
# a Python loop that runs while the process whose pid is its argument is its parent (a child is reparented
# when its parent dies: so the loop ends with nnbp, even killed by SIGKILL)
BUSY_LOOP = "import os, sys\nwhile os.getppid() == int(sys.argv[1]):\n    for _ in range(100_000):\n        pass\n"
SPIN_OUT = 0.2  # seconds between timings: OpenBLAS's idle threads spin for about 0.1 s after a product


@contextmanager
def busy_process() -> Iterator[None]:
    """Another program keeping one CPU busy (a Python loop) for the length of the block; it also stops
    by itself if this process dies (a SIGKILL runs no `finally`)."""
    process = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(os.getpid())])
    try:
        time.sleep(SPIN_OUT)
        yield
    finally:
        process.kill()
        process.wait()


def contention(p: Plan, m: int) -> dict:
    """Seconds per epoch of the matrix engine with each thread setting, quiet and beside a busy process,
    in rounds that alternate the two and interleave the settings."""
    n = len(p.dataset.train)
    order = np.random.default_rng(p.config.seed).permutation(n)[: min(n, p.matrix_examples or n)]
    initial = build_network(p.config, np.random.default_rng(p.config.seed))
    times: dict[tuple[str, str], list[float]] = {(c, str(t)): [] for c in ("quiet", "busy") for t in THREAD_SETTINGS}
    for r in range(p.repeats):
        for condition in ("quiet", "busy") if r % 2 == 0 else ("busy", "quiet"):
            with busy_process() if condition == "busy" else nullcontext():
                for setting in THREAD_SETTINGS if r % 2 == 0 else THREAD_SETTINGS[::-1]:
                    with blas_threads(resolve(setting, p.config.sizes, m)):
                        seconds = _time_steps("matrix", initial.copy(), p.dataset, order, m, p.config.eta)
                    times[(condition, str(setting))].append(seconds * n / len(order))
                    time.sleep(SPIN_OUT)
    result: dict = {"mini_batch_size": m, "examples_timed": len(order)}
    for setting in THREAD_SETTINGS:
        result[str(setting)] = {
            "blas_threads": resolve(setting, p.config.sizes, m),
            **{c: statistics.median(times[(c, str(setting))]) for c in ("quiet", "busy")},
        }
    return result
