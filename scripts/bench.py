"""Check the matrix engine's speed targets of issue 4 and print the figures; asserts nothing.

For [784, 30, 10] over the 50,000 Fashion-MNIST training images (the 10,000 after them are held
out for validation, as `nnbp train` does), at mini-batch sizes 10, 100 and 1000:
- float64: matrix engine vs the per-example loop, both float64, interleaved on the same work;
- float32: matrix engine vs the float64 loop timed just before it in the same run;
- each engine's time over the bare matrix products of its steps (the floor);
- `nnbp train`'s epoch against the bare engine's (evaluation, progress bar and history included);
- the cost of recording per-layer diagnostics, at mini-batch 10, over whole epochs and inside them;
- the peak resident memory of a whole `nnbp train` process on the full dataset.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/bench.py [--dataset NAME] [--repeats N] [--pairs N] [--rounds N]

Needs Fashion-MNIST where nnbp finds it (Debian: apt-get install dataset-fashion-mnist).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from nnbp.backprop import MatrixEngine, sgd_step
from nnbp.bench import _time_steps, bench, environment
from nnbp.data import load_dataset
from nnbp.diagnostics import Recorder
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.training import Batcher, probe_batch, train

SIZES = [784, 30, 10]
TARGETS = {  # mini-batch size: (float64 speedup, float32 speedup over the float64 loop, floor ratio)
    10: (9, 14, 2.0),
    100: (13, 24, 1.5),
    1000: (16, 30, 1.5),
}


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def paired(base: Callable[[], float], other: Callable[[], float], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of `base` and `other`, run back to back `repeats` times (the order alternates), so
    each pair sees the same machine: their ratios are steadier than a ratio of separate medians."""
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeats):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            times[i].append((base, other)[i]())
    return times


def overhead_line(what: str, base_label: str, other_label: str, times: tuple[list[float], list[float]],
                  target: float) -> str:
    ratios = [100 * (o / b - 1) for b, o in zip(*times)]
    return (f"{what}: {base_label} {statistics.median(times[0]):.3f} s, {other_label} "
            f"{statistics.median(times[1]):.3f} s (medians); per back-to-back pair {statistics.median(ratios):+.1f}% "
            f"median, {min(ratios):+.1f}% to {max(ratios):+.1f}% over {len(ratios)} pairs (target <= {target:g}%)")


def train_overhead(dataset, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of one epoch at mini-batch 10: the bare engine's steps vs `train` with a progress bar
    and the epoch's evaluation."""

    def bare() -> float:
        rng = np.random.default_rng(0)
        network = Network.initialise(SIZES, rng)
        return _time_steps(MatrixEngine(network), dataset, rng.permutation(len(dataset.train)), 10, 3.0)

    def full() -> float:
        rng = np.random.default_rng(0)
        network = Network.initialise(SIZES, rng)
        with open(os.devnull, "w") as devnull:  # a bar that draws, as on a terminal
            bar = tqdm(total=len(dataset.train), file=devnull, disable=False, mininterval=0.1)
            start = time.perf_counter()
            train(network, dataset, epochs=1, mini_batch_size=10, eta=3.0, rng=rng,
                  on_batch=bar.update, on_epoch=lambda r: None)
            seconds = time.perf_counter() - start
            bar.close()
        return seconds

    return paired(bare, full, repeats)


def diagnostics_overhead(dataset, repeats: int) -> dict[str, tuple[list[float], list[float]]]:
    """Seconds of a training epoch at mini-batch 10 without and with diagnostics, as `nnbp train` runs
    it (progress bar drawing, evaluation after the epoch): its steps alone, and the whole epoch from
    one epoch's end to the next (steps, evaluation and, with diagnostics, the probe).

    The second epoch of a two-epoch run is timed: the first also pays for setting up (the probe
    batch, first allocations), once per run, which is not a cost of an epoch.
    """
    times: dict[str, tuple[list[float], list[float]]] = {"steps": ([], []), "whole": ([], [])}
    for r in range(repeats):
        for diagnostics in ((False, True) if r % 2 == 0 else (True, False)):
            rng = np.random.default_rng(0)
            network = Network.initialise(SIZES, rng)
            ends: list[float] = []
            with open(os.devnull, "w") as devnull:  # a bar that draws, as on a terminal
                bar = tqdm(total=2 * len(dataset.train), file=devnull, disable=False, mininterval=0.1)
                history = train(network, dataset, epochs=2, mini_batch_size=10, eta=3.0, rng=rng,
                                diagnostics=diagnostics, on_batch=bar.update,
                                on_epoch=lambda result: ends.append(time.perf_counter()))
                bar.close()
            times["whole"][diagnostics].append(ends[1] - ends[0])
            times["steps"][diagnostics].append(history[1].seconds)
    return times


def diagnostics_in_steps(dataset, rounds: int, segment: int = 3000) -> tuple[list[float], list[float]]:
    """Microseconds per step at mini-batch 10 without and with recording, in alternating segments of
    `segment` examples inside one run of steps (the order alternates): a step with recording is timed
    a moment after one without, so the machine's slow spells, which last seconds, hit both alike.

    Both engines train one network; one tracks |δ| and its steps are recorded, as `train` does.
    """
    network = Network.initialise(SIZES, np.random.default_rng(0))
    plain, tracked = MatrixEngine(network), MatrixEngine(network, track_deltas=True)
    recorder = Recorder(tracked, probe_batch(dataset, network.dtype))
    batcher = Batcher(dataset.train, dataset.scale, dataset.n_classes, network.dtype)
    rng = np.random.default_rng(1)
    times: tuple[list[float], list[float]] = ([], [])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):  # as `train`
        for r in range(rounds):
            order = rng.permutation(len(dataset.train))
            for j, start in enumerate(range(0, len(order) - 2 * segment + 1, 2 * segment)):
                for k, record in enumerate((False, True) if (j + r) % 2 == 0 else (True, False)):
                    idx = order[start + k * segment : start + (k + 1) * segment]
                    engine = tracked if record else plain
                    begin = time.perf_counter()
                    for X, Y in batcher.batches(idx, 10):
                        sgd_step(engine, X, Y, 3.0)
                        if record:
                            recorder.record_step(3.0, X.shape[1])
                    times[record].append((time.perf_counter() - begin) / -(-len(idx) // 10) * 1e6)
    return times


def in_steps_line(times: tuple[list[float], list[float]], target: float) -> str:
    extra = [w - o for o, w in zip(*times)]
    ratios = [100 * (w / o - 1) for o, w in zip(*times)]
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return (f"diagnostics at mini-batch 10, inside training (alternating segments): a step "
            f"{statistics.median(times[0]):.1f} µs without, {statistics.median(extra):+.1f} µs with "
            f"(medians); per adjacent pair {statistics.median(ratios):+.1f}% median, quartiles {q1:+.1f}% to "
            f"{q3:+.1f}% over {len(ratios)} pairs (target <= {target:g}%)")


def train_peak_memory(dataset_name: str) -> float:
    """Maximum resident set size, in MB, of `python -m nnbp train` for one epoch on the whole dataset."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "c.yaml"
        config.write_text(f"dataset: {dataset_name}\nepochs: 1\noutput: {tmp}/run\n")
        subprocess.run([sys.executable, "-m", "nnbp", "train", str(config), "-q"], check=True,
                       stdout=subprocess.DEVNULL)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--repeats", type=positive, default=5)
    parser.add_argument("--loop-examples", type=positive, default=5000)
    parser.add_argument("--pairs", type=positive, default=21,
                        help="back-to-back pairs of epochs for each overhead (single pairs vary by ±30%% here)")
    parser.add_argument("--rounds", type=positive, default=10,
                        help="epochs of alternating segments for the diagnostics timed inside training")
    args = parser.parse_args()
    try:
        dataset = load_dataset(args.dataset)
    except NnbpError as e:
        sys.exit(f"error: {e}")

    env = environment()
    print(f"{SIZES} on {dataset.name}: {len(dataset.train)} training examples; "
          f"medians of {args.repeats} interleaved runs; loop timed on {args.loop_examples} examples per run")
    print(f"python {env['python']}, numpy {env['numpy']}, {env['processor']}, {env['cpus']} CPUs")
    for b in env["blas"]:
        print(f"BLAS: {b}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"warning: {var}={os.environ[var]} is set: these are not the machine's best figures")
    print()
    print(f"{'batch':>5} {'dtype':>7} {'matrix s/ep':>11} {'loop64 s/ep':>11} {'speedup':>8} {'target':>7} {'ok':>3}"
          f" {'floor s/ep':>10} {'x floor':>7} {'target':>6} {'ok':>3} {'max grad diff':>13}")
    for m, (t64, t32, tfloor) in TARGETS.items():
        r64 = bench(Network.initialise(SIZES, np.random.default_rng(0)), dataset, m,
                    repeats=args.repeats, loop_examples=args.loop_examples)
        r32 = bench(Network.initialise(SIZES, np.random.default_rng(0), dtype=np.float32), dataset, m,
                    repeats=args.repeats, loop_examples=args.loop_examples)
        loop64 = r64.loop_seconds_per_epoch
        for r, target in ((r64, t64), (r32, t32)):
            speedup = loop64 / r.matrix_seconds_per_epoch
            print(f"{m:>5} {r.dtype:>7} {r.matrix_seconds_per_epoch:>11.4f} {loop64:>11.4f} {speedup:>7.1f}x"
                  f" {target:>6}x {mark(speedup >= target):>3} {r.floor_seconds_per_epoch:>10.4f}"
                  f" {r.floor_ratio:>7.2f} {tfloor:>6.1f} {mark(r.floor_ratio <= tfloor):>3} {r.max_grad_diff:>13.1e}")
        print(f"{'':>5} {'':>7} (float32 loop: {r32.loop_seconds_per_epoch:.4f} s/epoch)")
    print()
    print(overhead_line("train epoch at mini-batch 10", "bare engine", "train() with evaluation and progress bar",
                        train_overhead(dataset, args.pairs), 10))
    diagnostics = diagnostics_overhead(dataset, args.pairs)
    print(overhead_line("diagnostics at mini-batch 10, the second epoch's steps", "without", "with",
                        diagnostics["steps"], 15))
    print(overhead_line("diagnostics at mini-batch 10, the whole second epoch (steps, progress bar, evaluation, probe)",
                        "without", "with", diagnostics["whole"], 15))
    print(in_steps_line(diagnostics_in_steps(dataset, args.rounds), 15))
    print(f"peak memory of `nnbp train` on {dataset.name} (whole process): {train_peak_memory(args.dataset):.0f} MB "
          "(target <= 160 MB)")


if __name__ == "__main__":
    main()
