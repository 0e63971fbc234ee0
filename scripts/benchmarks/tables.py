"""nnbp on tables beside scikit-learn's MLP, and its CSV reader beside numpy's and pandas'; print both.

Accuracy: on scikit-learn's bundled iris, wine and breast-cancer tables, nnbp's test accuracy beside
`MLPClassifier`'s, and on diabetes the R² beside `MLPRegressor`'s, each the mean over --seeds seeds.
For each seed both train on the same rows, scaled the same way (nnbp's split and its standard scaling,
fitted on the training rows; a regression's target standardised too), with the settings matched:
one hidden layer of the same size and activation, plain mini-batch SGD (no momentum, no L2, constant
η on the mean gradient of the same mini-batch size, shuffled each epoch), the same number of epochs
and no early stopping, softmax with the log-likelihood (classes) or a linear output with the quadratic
cost (values). Left unmatched: the initial weights (nnbp: N(0, 1/n_in) and biases N(0, 1);
scikit-learn: Glorot's uniform) and the random draws. Both report the network after the last epoch.

Reading: a generated CSV of --rows × 20 numbers read by nnbp's table reader, `numpy.loadtxt` and
(when installed) `pandas.read_csv`, each in a fresh process --repeats times, in turn; the median
seconds and the peak memory above what the process held before it read (resident set, Linux).

    pip install 'nnbp[sklearn]' pandas
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/tables.py [--seeds 5] [--rows N]

Asserts nothing; the figures are for a person to read.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nnbp
from arguments import positive
from nnbp.benchmark import environment


@dataclass(frozen=True)
class Setting:
    """One table's matched settings: a hidden layer of `hidden` neurons with `activation`."""

    dataset: str
    hidden: int
    activation: str
    eta: float
    epochs: int
    mini_batch_size: int


SETTINGS = [
    Setting("iris", 16, "tanh", 0.1, 100, 10),
    Setting("wine", 16, "tanh", 0.1, 100, 10),
    Setting("breast-cancer", 16, "tanh", 0.1, 100, 10),
    Setting("diabetes", 32, "relu", 0.01, 100, 10),
]

# Reads the CSV named by argv[2] with the reader argv[1]; prints seconds, the peak memory (bytes) above
# what the process held just before it read (Linux's resident set), and the array's bytes.
READER = """
import resource, sys, time
from pathlib import Path
import numpy as np
how, path = sys.argv[1], Path(sys.argv[2])
if how == "nnbp":
    from nnbp.data.tables import read_table
elif how == "pandas":
    import pandas
before = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() // 1024  # resident now, KiB
start = time.perf_counter()
if how == "nnbp":
    values = read_table(path, task="regression").features
elif how == "loadtxt":
    values = np.loadtxt(path, delimiter=",", skiprows=1)
else:
    values = pandas.read_csv(path).to_numpy()
seconds = time.perf_counter() - start
print(seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024, values.nbytes)
"""


def scaled(dataset: nnbp.Dataset, examples: np.ndarray) -> np.ndarray:
    """Rows as the network sees them: (x − shift) × scale, per feature."""
    return (examples - dataset.shift) * dataset.scale


def nnbp_score(setting: Setting, seed: int, folder: Path) -> float:
    """nnbp's test accuracy (classes) or R² (values) after the last epoch."""
    regression = setting.dataset == "diabetes"
    data = nnbp.load_dataset(setting.dataset, seed=seed)
    config = nnbp.TrainConfig(
        dataset=setting.dataset,
        sizes=(data.n_inputs, setting.hidden, data.n_classes),
        activation=(setting.activation, "linear" if regression else "softmax"),
        cost="quadratic" if regression else "log-likelihood",
        init="scaled",
        eta=setting.eta,
        epochs=setting.epochs,
        mini_batch_size=setting.mini_batch_size,
        seed=seed,
        output=str(folder / f"{setting.dataset}-{seed}"),
    )
    history = nnbp.train(config, force=True)
    return history.epochs[-1].r2 if regression else history.epochs[-1].accuracy


def sklearn_score(setting: Setting, seed: int) -> float:
    """scikit-learn's MLP on the same rows as nnbp, scaled alike, with the matched settings."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    data = nnbp.load_dataset(setting.dataset, seed=seed)
    X_train, X_test = scaled(data, data.train.images), scaled(data, data.test.images)
    common = dict(
        hidden_layer_sizes=(setting.hidden,),
        activation=setting.activation,
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=setting.eta,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=setting.mini_batch_size,
        max_iter=setting.epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=setting.epochs + 1,
        early_stopping=False,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it ran its epochs, as asked
        if data.regression:
            y_train = (data.train.labels - data.target_shift) * data.target_scale
            model = MLPRegressor(**common).fit(X_train, y_train.ravel())
            predicted = model.predict(X_test) / data.target_scale.ravel() + data.target_shift.ravel()
            return float(r2_score(data.test.labels.ravel(), predicted))
        model = MLPClassifier(**common).fit(X_train, data.train.labels)
        return float(np.mean(model.predict(X_test) == data.test.labels))


def compare_accuracy(seeds: int) -> None:
    print(f"{'table':<14} {'rows':>5} {'measure':<9} {'nnbp':>8} {'sklearn':>8} {'nnbp − sklearn':>15}")
    with tempfile.TemporaryDirectory() as folder:
        for setting in SETTINGS:
            data = nnbp.load_dataset(setting.dataset)
            ours = [nnbp_score(setting, seed, Path(folder)) for seed in range(seeds)]
            theirs = [sklearn_score(setting, seed) for seed in range(seeds)]
            measure = "R²" if data.regression else "accuracy"
            scale = 1 if data.regression else 100  # accuracy in percent
            a, b = scale * statistics.mean(ours), scale * statistics.mean(theirs)
            rows = len(data.train) + len(data.test)
            print(f"{setting.dataset:<14} {rows:>5} {measure:<9} {a:>8.3f} {b:>8.3f} {a - b:>+15.3f}")
    print(f"(mean of seeds 0–{seeds - 1}) settings:")
    for s in SETTINGS:
        hidden = f"hidden [{s.hidden} {s.activation}]"
        print(f"  {s.dataset}: {hidden}, η {s.eta}, mini-batch {s.mini_batch_size}, {s.epochs} epochs")


def write_csv(path: Path, rows: int, columns: int = 20) -> None:
    """`rows` rows of `columns` random numbers (6 significant digits) under a header."""
    rng = np.random.default_rng(0)
    with path.open("w") as f:
        f.write(",".join(f"x{k}" for k in range(columns)) + "\n")
        for start in range(0, rows, 100_000):
            block = rng.standard_normal((min(100_000, rows - start), columns))
            np.savetxt(f, block, fmt="%.6g", delimiter=",")


def compare_reading(rows: int, repeats: int) -> None:
    try:
        import pandas  # noqa: F401

        readers = ["nnbp", "loadtxt", "pandas"]
    except ImportError:
        readers = ["nnbp", "loadtxt"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.csv"
        write_csv(path, rows)
        seconds: dict[str, list[float]] = {how: [] for how in readers}
        peaks: dict[str, list[int]] = {how: [] for how in readers}
        final = 0
        for _ in range(repeats):
            for how in readers:  # in turn, so a busy moment on the machine falls on each alike
                out = subprocess.run(
                    [sys.executable, "-c", READER, how, str(path)], capture_output=True, text=True, check=True
                )
                s, peak, final = out.stdout.split()
                seconds[how].append(float(s))
                peaks[how].append(int(peak))
        size = path.stat().st_size
    final_mb = int(final) / 1e6
    print(f"\nreading {rows:,} × 20 numbers ({size / 1e6:.0f} MB of CSV; the array is {final_mb:.0f} MB):")
    print(f"{'reader':<10} {'seconds':>8} {'peak MB':>8} {'peak ÷ array':>13}")
    for how in readers:
        peak = statistics.median(peaks[how]) / 1e6
        print(f"{how:<10} {statistics.median(seconds[how]):>8.2f} {peak:>8.0f} {peak / final_mb:>13.2f}")
    print(f"(median of {repeats}, each in a fresh process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=positive, default=5, help="seeds averaged per table")
    parser.add_argument("--rows", type=positive, default=1_000_000, help="rows of the CSV read")
    parser.add_argument("--repeats", type=positive, default=3, help="reads timed per reader")
    parser.add_argument("--skip-reading", action="store_true", help="only compare accuracy")
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SystemExit("tables.py needs scikit-learn: pip install 'nnbp[sklearn]'") from None
    env = environment()
    blas = "; ".join(f"{b.get('library')} {b.get('version')}" for b in env["blas"])
    print(f"numpy {env['numpy']}, BLAS {blas}; {env['processor']}, {env['cpus']} CPUs")
    compare_accuracy(args.seeds)
    if not args.skip_reading:
        compare_reading(args.rows, args.repeats)


if __name__ == "__main__":
    main()
