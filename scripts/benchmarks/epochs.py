"""Time nnbp's training epoch, and what recording diagnostics adds to it; print the figures.

For [784, 30, 10] on a dataset's training split (Fashion-MNIST's 50,000 by default, as `nnbp train`
uses it): the seconds of an epoch's steps at each mini-batch size and dtype (median of --repeats
epochs after one warm-up epoch), and at mini-batch 10 the extra time of an epoch that records
per-layer diagnostics, from --pairs back-to-back epochs with and without (the order alternating).
BLAS threads as --threads says (auto by default, as `nnbp train`).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/epochs.py \\
        [--dataset NAME] [--repeats N] [--pairs N]

Asserts nothing; the figures are for a person to read.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from arguments import positive
from nnbp.benchmark import environment
from nnbp.config.keys import threads as parse_threads
from nnbp.data import load_dataset
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.system.blas import blas_threads, resolve
from nnbp.training import train

SIZES = [784, 30, 10]


def epoch_seconds(dataset, m: int, dtype: str, epochs: int, threads: str, diagnostics: bool = False) -> list[float]:
    """Seconds of the steps of each epoch after the first, training from the same start each call,
    with the BLAS threads `threads` gives (as `nnbp train` does)."""
    rng = np.random.default_rng(0)
    network = Network.initialise(SIZES, rng, dtype=np.dtype(dtype))
    with blas_threads(resolve(threads, SIZES, m)):
        history = train(
            network, dataset, epochs=epochs + 1, mini_batch_size=m, eta=3.0, rng=rng, diagnostics=diagnostics
        )
    return [e.seconds for e in history[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--mini-batch-sizes", default="10,100,1000")
    parser.add_argument("--repeats", type=positive, default=5, help="epochs timed per size and dtype")
    parser.add_argument("--pairs", type=positive, default=9, help="epoch pairs for the diagnostics overhead")
    parser.add_argument("--threads", default="auto", help="BLAS threads: auto, all, or a number [auto]")
    args = parser.parse_args()
    try:
        threads = parse_threads(args.threads, "--threads")
    except NnbpError as e:
        parser.error(str(e))
    try:
        dataset = load_dataset(args.dataset)
    except NnbpError as e:
        parser.exit(1, f"Error: {e}\n")

    env = environment()
    blas = "; ".join(f"{b.get('library')} {b.get('version')}, {b.get('threads')} threads" for b in env["blas"])
    print(
        f"{SIZES} on {dataset.name} ({len(dataset.train)} training examples); numpy {env['numpy']}, "
        f"BLAS {blas}; {env['processor']}, {env['cpus']} CPUs"
    )
    print(f"{'mini-batch':>10} {'dtype':>8} {'threads':>7} {'s/epoch':>8} {'range':>13} {'µs/example':>11}")
    for m in map(int, args.mini_batch_sizes.split(",")):
        for dtype in ("float64", "float32"):
            times = epoch_seconds(dataset, m, dtype, args.repeats, threads)
            median = statistics.median(times)
            print(
                f"{m:>10} {dtype:>8} {resolve(threads, SIZES, m):>7} {median:>8.3f} "
                f"{min(times):>6.3f}-{max(times):.3f} "
                f"{1e6 * median / len(dataset.train):>11.2f}",
                flush=True,
            )

    plain, recorded = [], []
    for pair in range(args.pairs):
        for diagnostics in (False, True) if pair % 2 == 0 else (True, False):
            (recorded if diagnostics else plain).append(
                epoch_seconds(dataset, 10, "float64", 1, threads, diagnostics)[0]
            )
    extra = [100 * (r / p - 1) for p, r in zip(plain, recorded)]
    print(
        f"diagnostics at mini-batch 10, float64, {resolve(threads, SIZES, 10)} BLAS thread(s): "
        f"{statistics.median(plain):.3f} s without, "
        f"{statistics.median(recorded):.3f} s with (medians); per pair {statistics.median(extra):+.1f}% median, "
        f"{min(extra):+.1f}% to {max(extra):+.1f}% over {len(extra)} pairs"
    )


if __name__ == "__main__":
    main()
