"""The pictures `nnbp plot` draws from run folders: a run's learning curves, its first layer's weights,
its confusion matrix and its most confident mistakes on the test split; several runs' curves side by side.

This module loads what each picture needs (history, weights, the dataset) and hands it to
`nnbp.plot`, which draws. The network pictured is `best.npz` when the run has one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nnbp.data import Fetch, load_dataset
from nnbp.errors import NnbpError
from nnbp.run.history import read_history
from nnbp.run.weights import load_weights
from nnbp.training import evaluate

FIGURES = ("curves", "weights", "confusion", "mistakes")
MISTAKES = 18  # the most confident mistakes shown


def draw(run_dir: Path, what: tuple[str, ...] = FIGURES, curves_path: Path | None = None,
         fetch: Fetch | None = None) -> list[Path]:
    """Draw the figures `what` asks for into the run folder (the curves into `curves_path` if given);
    the paths written. Figures of pictures are skipped for a network whose input is not a square image."""
    from nnbp import plot

    plot.require_pyplot()
    history = read_history(run_dir / "history.json")
    if not history.epochs:
        raise NnbpError(f"{run_dir / 'history.json'}: holds no epochs yet")
    written = []
    if "curves" in what:
        written.append(curves_path or run_dir / "learning-curves.png")
        plot.plot_history(history, str(run_dir), written[-1])
    if not set(what) & {"weights", "confusion", "mistakes"}:
        return written
    weights = run_dir / "best.npz" if (run_dir / "best.npz").exists() else run_dir / "weights.npz"
    network, meta = load_weights(weights)
    side = math.isqrt(network.sizes[0])
    square = side * side == network.sizes[0]
    if "weights" in what and square:
        written.append(run_dir / "weights.png")
        plot.plot_weights(network, f"{weights}: the weights into each of the first {min(100, network.sizes[1])} "
                                   "hidden neurons (red +, blue −)", written[-1])
    if not set(what) & {"confusion", "mistakes"}:
        return written
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    if not isinstance(config.get("dataset"), str):
        raise NnbpError(f"{weights}: records no dataset to draw its test split from")
    dataset = load_dataset(config["dataset"], fetch=fetch)
    ev = evaluate(network, dataset, dataset.test)
    names = [dataset.class_name(k) for k in range(dataset.n_classes)]
    if "confusion" in what:
        written.append(run_dir / "confusion.png")
        plot.plot_confusion(ev.confusion, names, f"{weights} on {dataset.name}'s test split: "
                                                 f"{100 * ev.accuracy:.2f}%", written[-1])
    if "mistakes" in what and square:
        wrong = np.flatnonzero(ev.predictions != ev.labels)
        worst = wrong[np.argsort(-ev.confidence[wrong], kind="stable")][:MISTAKES]
        written.append(run_dir / "mistakes.png")
        plot.plot_mistakes(dataset.test.images[worst].reshape(-1, side, side), ev.labels[worst],
                           ev.predictions[worst], ev.confidence[worst], names,
                           f"{weights}: its most confident mistakes (true → predicted, output)", written[-1])
    return written


def compare(run_dirs: list[Path], path: Path) -> Path:
    """Several runs' learning curves in one figure, each labelled by its folder."""
    from nnbp import plot

    plot.require_pyplot()
    plot.plot_runs([(str(d), read_history(d / "history.json")) for d in run_dirs], path)
    return path


def draw_sweep(sweep_dir: Path, path: Path | None = None) -> Path:
    """A sweep's grid points side by side, each from its runs that trained at least one epoch."""
    from nnbp import plot
    from nnbp.sweep.summary import read_summary

    plot.require_pyplot()
    summary = read_summary(sweep_dir)
    points: dict[str, list] = {}
    for run in summary["runs"]:
        label = ", ".join(f"{k}={v}" for k, v in run["values"].items()) or "seeds"
        history_file = sweep_dir / run["folder"] / "history.json"
        points.setdefault(label, [])
        if history_file.exists():
            history = read_history(history_file)
            if history.epochs:
                points[label].append(history)
    drawn = [(label, runs) for label, runs in points.items() if runs]
    if not drawn:
        raise NnbpError(f"{sweep_dir}: none of the sweep's runs has trained an epoch yet")
    path = path or sweep_dir / "sweep.png"
    plot.plot_sweep(drawn, f"{sweep_dir}: {summary.get('config')}", path)
    return path
