"""Time nnbp's training steps with each BLAS thread setting, on a quiet machine and on a busy one.

For each network, dtype and mini-batch size, the steps of an epoch over --examples training
examples (Fashion-MNIST by default) are timed with each --threads setting (numbers, `all`,
`auto`), quiet and then with a busy process (a Python loop) running beside them, in rounds that
interleave every setting. Each timing runs in a process of its own, as a training run would:
after a multi-threaded product OpenBLAS's idle threads keep spinning for a while, which would
weigh on whatever ran next in the same process. Prints medians in seconds per 10,000 examples,
and each setting's time over the best quiet one; asserts nothing.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/threads.py [--dataset NAME] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from dataclasses import replace

import numpy as np

from nnbp.benchmark import environment
from nnbp.config.keys import threads as parse_threads
from nnbp.data import load_dataset
from nnbp.data.dataset import Split
from nnbp.network import Network
from nnbp.system.blas import blas_threads, resolve
from nnbp.training import train


def steps_seconds(name: str, examples: int, sizes: list[int], dtype: str, m: int, threads: str) -> float:
    """Seconds of one epoch's steps (evaluation excluded) with the BLAS threads `threads` allows."""
    full = load_dataset(name)
    n = min(examples, len(full.train))
    dataset = replace(
        full,
        train=Split(full.train.images[:n], full.train.labels[:n]),
        validation=Split(full.test.images[:1000], full.test.labels[:1000]),
    )
    rng = np.random.default_rng(0)
    network = Network.initialise(sizes, rng, dtype=np.dtype(dtype))
    with blas_threads(resolve(parse_threads(threads, "--threads"), sizes, m)):
        history = train(network, dataset, epochs=1, mini_batch_size=m, eta=0.1, rng=rng)
    return history[0].seconds * 1e4 / n


def timed_in_a_process(args: argparse.Namespace, sizes: str, dtype: str, m: int, threads: str) -> float:
    command = [sys.executable, __file__, "--one", args.dataset, str(args.examples), sizes, dtype, str(m), threads]
    return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--examples", type=int, default=10_000, help="training examples an epoch covers")
    parser.add_argument("--sizes", default="784,30,10;784,100,10", help="networks, ';' between them")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--mini-batch-sizes", default="1,10,30,100,300,1000")
    parser.add_argument("--threads", default="auto,1,all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quiet-only", action="store_true", help="skip the runs beside a busy process")
    parser.add_argument("--one", nargs=6, help=argparse.SUPPRESS)  # one timing, in this process
    args = parser.parse_args()
    if args.one:
        name, examples, sizes_text, dtype, m, threads = args.one
        sizes = [int(s) for s in sizes_text.split(",")]
        print(steps_seconds(name, int(examples), sizes, dtype, int(m), threads))
        return

    env = environment()
    print(
        f"{args.dataset}, {args.examples} training examples an epoch; numpy {env['numpy']}, "
        + "; ".join(f"{b['library']} {b['version']} ({b['threads']} threads)" for b in env["blas"])
        + f"; {env['processor']}, {env['cpus']} CPUs; medians of {args.rounds} rounds, s per 10,000 examples"
    )
    settings = args.threads.split(",")
    conditions = ["quiet"] + ([] if args.quiet_only else ["busy"])
    header = " ".join(f"{c[:5]} {t:>4}" for c in conditions for t in settings)
    print(f"{'sizes':>12} {'dtype':>8} {'m':>5}  {header}   (time over the best quiet setting)")
    for sizes_text in args.sizes.split(";"):
        for dtype in args.dtypes.split(","):
            for m in map(int, args.mini_batch_sizes.split(",")):
                times: dict[tuple[str, str], list[float]] = {(c, t): [] for c in conditions for t in settings}
                for r in range(args.rounds):
                    for condition in conditions:
                        busy = (
                            subprocess.Popen([sys.executable, "-c", "while True: pass"])
                            if condition == "busy"
                            else None
                        )
                        try:
                            for t in settings if r % 2 == 0 else settings[::-1]:
                                times[(condition, t)].append(timed_in_a_process(args, sizes_text, dtype, m, t))
                        finally:
                            if busy is not None:
                                busy.kill()
                                busy.wait()
                medians = {k: statistics.median(v) for k, v in times.items()}
                best = min(medians[("quiet", t)] for t in settings)
                cells = " ".join(
                    f"{medians[(c, t)]:>6.3f}x{medians[(c, t)] / best:<4.2f}" for c in conditions for t in settings
                )
                print(f"{sizes_text:>12} {dtype:>8} {m:>5}  {cells}", flush=True)


if __name__ == "__main__":
    main()
