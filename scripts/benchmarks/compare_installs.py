"""Time `nnbp train`'s epochs under two Python environments side by side, e.g. two versions of nnbp.

For each mini-batch size and dtype, the two installations train the same config in turn, the order
alternating pair by pair, so a slow spell of a shared machine hits both alike. Each run trains
--epochs epochs; an epoch's time is the steps' seconds history.json records (the first epoch, which
pays for one-off setup, is left out). Prints the medians and the median of the per-pair ratios.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/compare_installs.py \\
        /path/to/old/venv/bin/python /path/to/new/venv/bin/python --dataset fashion-mnist

Asserts nothing; the figures are for a person to read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIG = """sizes: [{sizes}]
eta: 3.0
epochs: {epochs}
mini_batch_size: {m}
seed: 0
dataset: {dataset}
dtype: {dtype}
output: {output}
"""


def epoch_seconds(python: str, folder: Path, dataset: str, m: int, dtype: str, epochs: int, sizes: str) -> float:
    """The median steps-time of epochs 2 … `epochs` of one `nnbp train` run under `python`."""
    config = folder / "config.yaml"
    output = folder / "run"
    config.write_text(CONFIG.format(epochs=epochs, m=m, dataset=dataset, dtype=dtype, output=output, sizes=sizes))
    subprocess.run(
        [python, "-m", "nnbp", "train", str(config), "--quiet", "--force"], check=True, stdout=subprocess.DEVNULL
    )
    history = json.loads((output / "history.json").read_text())
    return statistics.median(e["seconds"] for e in history["epochs"][1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the first Python interpreter (its nnbp is the baseline)")
    parser.add_argument("other", help="the second Python interpreter")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--sizes", default="784,30,10", help="the network's layer sizes [784,30,10]")
    parser.add_argument("--mini-batch-sizes", default="10,100,1000")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.pairs < 1 or args.epochs < 2:
        sys.exit("--pairs must be at least 1 and --epochs at least 2")

    print(
        f"base:  {args.base}\nother: {args.other}\n{args.dataset}, [{args.sizes}], medians of "
        f"{args.pairs} pairs, epochs 2-{args.epochs} of each run"
    )
    print(
        f"{'mini-batch':>10} {'dtype':>8} {'base s/epoch':>13} {'other s/epoch':>14} {'other/base':>11} {'range':>13}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / "base", Path(tmp) / "other"]
        for folder in folders:
            folder.mkdir()
        for m in map(int, args.mini_batch_sizes.split(",")):
            for dtype in args.dtypes.split(","):
                times: tuple[list[float], list[float]] = ([], [])
                for pair in range(args.pairs):
                    for i in (0, 1) if pair % 2 == 0 else (1, 0):
                        python = (args.base, args.other)[i]
                        times[i].append(
                            epoch_seconds(python, folders[i], args.dataset, m, dtype, args.epochs, args.sizes)
                        )
                ratios = [o / b for b, o in zip(*times)]
                print(
                    f"{m:>10} {dtype:>8} {statistics.median(times[0]):>13.3f} {statistics.median(times[1]):>14.3f} "
                    f"{statistics.median(ratios):>11.3f} {min(ratios):>6.3f}-{max(ratios):.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
