"""Time `nnbp sweep` as a user runs it: how much -j 2 and a two-worker Dask cluster save over -j 1,
and what the sweep machinery costs over training the same runs one after another in a plain loop.

1. Parallelism: --runs runs of configs/mnist-sample.yaml (--epochs each, one per seed) with -j 1,
   with -j 2, and with --scheduler on a distributed.LocalCluster of two one-thread worker processes
   started once beforehand (a cluster that already exists, as --scheduler assumes). Each is a
   whole `nnbp sweep --force` command, timed from outside; rounds interleave the three.
2. Overhead: --tiny-runs runs of one epoch each, with `nnbp sweep -j 1` and with a plain Python
   loop over `Run.start(...).train(...)` in one fresh process that reads the dataset once (the same
   runs and files, no worker process, no summary).
   The overhead is the sweep's wall time over the loop's, less one.

Prints medians over the rounds and the ratios of each round's paired times; asserts nothing.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/sweeps.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nnbp.benchmark import environment

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "mnist-sample.yaml"

LOOP = """
import sys
from pathlib import Path
from nnbp.config import build_config, read_config_file
from nnbp.data import load_dataset
from nnbp.run import Run
from nnbp.system.blas import blas_threads
config_path, output, n, epochs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
raw = read_config_file(config_path)
dataset = load_dataset(raw["dataset"])
with blas_threads(1):
    for seed in range(n):
        config = build_config(raw, {"seed": seed, "epochs": epochs, "threads": 1,
                                    "output": str(output / f"seed={seed}")}, str(config_path))
        with Run.start(config, dataset, force=True) as run:
            run.train(dataset)
"""


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def sweep_command(folder: Path, runs: int, epochs: int, *args: str) -> list[str]:
    seeds = ",".join(str(s) for s in range(runs))
    return [
        sys.executable,
        "-m",
        "nnbp",
        "sweep",
        str(CONFIG),
        "--epochs",
        str(epochs),
        "--seeds",
        seeds,
        "-o",
        str(folder),
        "--force",
        "-q",
        *args,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--tiny-runs", type=int, default=100, help="0: skip the overhead measurement")
    args = parser.parse_args()
    from distributed import LocalCluster

    print(environment())
    times: dict[str, list[float]] = {"-j 1": [], "-j 2": [], "dask": [], "sweep": [], "loop": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as cluster,
    ):
        folder = Path(tmp)
        commands = {
            "-j 1": sweep_command(folder / "j1", args.runs, args.epochs, "-j", "1"),
            "-j 2": sweep_command(folder / "j2", args.runs, args.epochs, "-j", "2"),
            "dask": sweep_command(folder / "dask", args.runs, args.epochs, "--scheduler", cluster.scheduler_address),
        }
        if args.tiny_runs:
            commands["sweep"] = sweep_command(folder / "tiny", args.tiny_runs, 1, "-j", "1")
            commands["loop"] = [sys.executable, "-c", LOOP, str(CONFIG), str(folder / "loop"), str(args.tiny_runs), "1"]
        for r in range(args.rounds):
            order = list(commands)
            order = order[r % len(order) :] + order[: r % len(order)]  # interleaved, each first in turn
            for name in order:
                times[name].append(timed(commands[name]))
            print(f"round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in commands), flush=True)

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    median = {name: statistics.median(t) for name, t in times.items() if t}
    print(f"\n{args.runs} runs of {CONFIG.name}, {args.epochs} epochs each (median wall time of nnbp sweep):")
    for name in ("-j 1", "-j 2", "dask"):
        print(f"  {name:<5} {median[name]:6.2f} s")
    print(
        f"  -j 2 / -j 1: {ratio('-j 2', '-j 1'):.3f}   dask / -j 2: {ratio('dask', '-j 2'):.3f}"
        "  (medians of paired ratios)"
    )
    if args.tiny_runs:
        print(
            f"\n{args.tiny_runs} runs of one epoch: nnbp sweep -j 1 {median['sweep']:.2f} s, plain loop "
            f"{median['loop']:.2f} s; overhead {100 * (ratio('sweep', 'loop') - 1):+.1f}%"
        )


if __name__ == "__main__":
    main()
