"""The pictures nnbp draws, with matplotlib (an optional extra: `pip install 'nnbp[plot]'`): a run's
learning curves, its first layer's weights, its confusion matrix and most confident mistakes;
several runs' curves side by side; a sweep's grid points; the benchmark's speedup.

`draw`, `compare` and `draw_sweep` load what a picture needs through the library (history, weights,
the dataset) and call the `plot_*` functions, each of which writes one PNG atomically. matplotlib is
imported only when a figure is asked for. The network pictured is `best.npz` when the run has one.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from nnbp.cli.text import shown
from nnbp.data import Fetch, load_dataset
from nnbp.errors import NnbpError
from nnbp.run.history import History, read_history
from nnbp.run.weights import load_weights
from nnbp.system.safeio import check_output, write_atomic
from nnbp.training import evaluate

FIGURES = ("curves", "weights", "confusion", "mistakes")
MISTAKES = 18  # the most confident mistakes shown
CONFUSION_CLASSES = 30  # classes a confusion heatmap shows, at most: beyond, its cells are too small to read


def most_confused(ev: Any, limit: int) -> list[int]:
    """Up to `limit` classes, those of the most frequent confusions first (true, then predicted)."""
    classes: list[int] = []
    for true, predicted, _ in ev.confusions():
        for c in (true, predicted):
            if c not in classes and len(classes) < limit:
                classes.append(c)
        if len(classes) >= limit:
            break
    return classes or list(range(min(limit, ev.n_classes)))


def confusion_among(ev: Any, classes: list[int]) -> np.ndarray:
    """The confusion matrix restricted to `classes` (rows and columns in that order), in memory that
    grows with the examples, not with the square of all the classes."""
    position = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    kept = np.isin(ev.labels, classes) & np.isin(ev.predictions, classes)
    for true, predicted in zip(ev.labels[kept].tolist(), ev.predictions[kept].tolist()):
        matrix[position[true], position[predicted]] += 1
    return matrix


def require_pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise NnbpError("drawing needs matplotlib: pip install 'nnbp[plot]' (or pip install matplotlib)") from None
    return plt


def _save(fig: Any, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    try:
        write_atomic(path, buffer.getvalue())
    except OSError as e:
        raise NnbpError(f"{path}: cannot write ({e.strerror})") from None


def plot_speedup(results: list[dict], title: str, path: Path) -> None:
    """Speedup of the matrix engine over the loop, and its time over the matmul floor, per batch size."""
    plt = require_pyplot()
    sizes = [r["mini_batch_size"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["speedup"] for r in results], "o-")
    left.set(
        xscale="log",
        xlabel="mini-batch size",
        ylabel="speedup (loop / matrix)",
        title="matrix engine over the per-example loop",
    )
    left.axhline(1, color="grey", lw=0.8)
    right.plot(sizes, [r["floor_ratio"] for r in results], "o-", color="tab:orange")
    right.set(
        xscale="log",
        xlabel="mini-batch size",
        ylabel="matrix time / bare-matmul time",
        title="overhead over the arithmetic floor",
    )
    right.axhline(1, color="grey", lw=0.8)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_history(history: History, title: str, path: Path) -> None:
    """Accuracy and cost per epoch on the watched split, with the final test accuracy as a point;
    and, when the run recorded diagnostics, their per-layer curves beside them."""
    plt = require_pyplot()
    epochs = [e.epoch for e in history.epochs]
    split = history.evaluated_on
    records = [e.diagnostics for e in history.epochs]
    with_diagnostics = all(records)
    with_dropout = with_diagnostics and any(d.get("dropped_share") is not None for d in records[0])
    rows = (4 if with_dropout else 3) if with_diagnostics else 1
    fig, axes = plt.subplots(rows, 2, figsize=(10, 4 * rows), squeeze=False)
    left, right = axes[0]
    training = [e for e in history.epochs if e.training_accuracy is not None]
    marker = "o-" if len(epochs) <= 60 else "-"
    regression = history.epochs[0].r2 is not None

    def shown_score(e_or_figures: Any) -> float:  # accuracy in %, or a regression's R²
        get = e_or_figures.get if isinstance(e_or_figures, dict) else lambda k: getattr(e_or_figures, k)
        return get("r2") if regression else 100 * get("accuracy")

    left.plot(epochs, [shown_score(e) for e in history.epochs], marker, ms=3, label=split)
    if training:
        left.plot(
            [e.epoch for e in training],
            [100 * e.training_accuracy for e in training],
            marker,
            ms=3,
            color="tab:green",
            label="training data",
        )
    test = history.test
    if test is not None and split != "test":
        left.plot([epochs[-1]], [shown_score(test)], "s", color="tab:red", label="test (last epoch)")
        if history.best_test is not None and history.best.epoch != epochs[-1]:
            left.plot(
                [history.best.epoch],
                [shown_score(history.best_test)],
                "D",
                color="tab:red",
                label="test (best.npz)",
            )
    best = history.best
    left.axvline(best.epoch, color="grey", lw=0.8, ls=":", label=f"best epoch ({best.epoch})")
    left.set(xlabel="epoch", ylabel="R²" if regression else "accuracy (%)", title="R²" if regression else "accuracy")
    left.legend()
    right.plot(epochs, [e.cost for e in history.epochs], marker, ms=3, color="tab:orange", label=split)
    if training:
        right.plot(
            [e.epoch for e in training],
            [e.training_cost for e in training],
            marker,
            ms=3,
            color="tab:green",
            label="training data",
        )
    right.set(xlabel="epoch", ylabel="mean cost (without the L2 term)", title="cost")
    right.legend(loc="upper left")
    etas = [e.eta for e in history.epochs]
    if len(set(etas)) > 1:  # the η schedule changed it: a step line on its own axis
        from matplotlib.ticker import FormatStrFormatter, NullFormatter

        eta_axis = right.twinx()
        eta_axis.step(epochs, etas, where="post", color="tab:purple", lw=1, label="η (right axis)")
        eta_axis.set(yscale="log", ylabel="learning rate η", yticks=sorted(set(etas)))
        eta_axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        eta_axis.yaxis.set_minor_formatter(NullFormatter())
        eta_axis.legend(loc="upper right")
    if with_diagnostics:
        panels = [
            ("mean_abs_delta", "mean |δ| of the layer (BP1, BP2)", True),
            ("mean_grad_w_rms", "‖∂C/∂w‖ per weight into the layer (BP4)", True),
            ("saturated_share", "saturated neurons, σ′(z) < 1% of max", False),
            ("near_zero_input_share", "near-zero inputs to the layer, |a| < 0.01", False),
        ]
        for ax, (key, label, log) in zip(axes[1:].ravel(), panels):
            for j in range(len(records[0])):
                values = [r[j].get(key) for r in records]
                if any(v is None for v in values):
                    continue
                ax.plot(
                    epochs,
                    [100 * v for v in values] if not log else values,
                    "o-",
                    ms=3,
                    label=f"layer {records[0][j]['layer']}",
                )
            ax.set(xlabel="epoch", title=label, ylabel="" if log else "%")
            if log:
                ax.set_yscale("log")
            ax.legend()
    if with_dropout:  # which neurons dropout deleted how often: the mean, and the least and most often deleted
        ax, spare = axes[3]
        for j in range(len(records[0])):
            if records[0][j].get("dropped_share") is None:
                continue
            shares = [100 * r[j]["dropped_share"] for r in records]
            low, high = zip(*(r[j]["dropped_range"] for r in records))
            line = ax.plot(epochs, shares, "o-", ms=3, label=f"layer {records[0][j]['layer']}")[0]
            ax.fill_between(epochs, [100 * v for v in low], [100 * v for v in high], color=line.get_color(), alpha=0.2)
        ax.set(xlabel="epoch", ylabel="% of mini-batches", title="dropout: neurons deleted (band: least to most often)")
        ax.legend()
        spare.axis("off")
    from matplotlib.ticker import MaxNLocator

    for ax in axes.ravel():
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_weights(network: Any, title: str, path: Path, limit: int = 100) -> None:
    """The first layer's weights as images: one tile per hidden neuron (at most `limit`), the weights
    from each input pixel to that neuron in the pixel's place; red positive, blue negative."""
    plt = require_pyplot()
    side = math.isqrt(network.sizes[0])
    w = network.weights[0][:limit]
    cols = math.ceil(math.sqrt(len(w)))
    rows = math.ceil(len(w) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.1 * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, tile in zip(axes.ravel(), w):
        bound = float(abs(tile).max()) or 1.0
        ax.imshow(tile.reshape(side, side), cmap="RdBu_r", vmin=-bound, vmax=bound)
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_confusion(confusion: Any, class_names: list[str], title: str, path: Path) -> None:
    """The confusion matrix as a heatmap: rows the true class, columns the predicted, counts written in."""
    plt = require_pyplot()
    k = len(confusion)
    fig, ax = plt.subplots(figsize=(0.55 * k + 2.5, 0.5 * k + 1.8))
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if confusion[i, j]:
                ax.text(
                    j,
                    i,
                    str(confusion[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    ax.set_xticks(range(k), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), class_names, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true class", title=title)
    _save(fig, path)
    plt.close(fig)


def plot_mistakes(
    images: Any, true: Any, predicted: Any, confidence: Any, class_names: list[str], title: str, path: Path
) -> None:
    """A grid of misclassified images (h, w each), most confident mistakes first, with true and predicted classes."""
    plt = require_pyplot()
    cols = min(6, len(images)) or 1
    rows = max(1, math.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows + 0.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, t, p, c in zip(axes.ravel(), images, true, predicted, confidence):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(f"{class_names[t]} → {class_names[p]}\n({c:.2f})", fontsize=7)
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_runs(histories: list[tuple[str, History]], path: Path) -> None:
    """Several runs' accuracy and cost on their watched split, overlaid (the book compares runs so)."""
    plt = require_pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, history in histories:
        epochs = [e.epoch for e in history.epochs]
        left.plot(epochs, [e.r2 if e.r2 is not None else 100 * e.accuracy for e in history.epochs], label=label)
        right.plot(epochs, [e.cost for e in history.epochs], label=label)
    split = {h.evaluated_on for _, h in histories}
    watched = split.pop() if len(split) == 1 else "validation or test"
    measure = "R²" if histories[0][1].epochs[0].r2 is not None else "accuracy (%)"
    left.set(xlabel="epoch", ylabel=f"{watched} {measure}", title=measure.split(" ")[0])
    right.set(xlabel="epoch", ylabel=f"mean {watched} cost", title="cost")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_sweep(points: list[tuple[str, list[History]]], title: str, path: Path) -> None:
    """Each grid point's curves over its seeds' runs: accuracy (a regression's R²) on the watched split
    (mean, with the band from min to max) and the cost, on the training data when the runs monitored it
    (with the L2 term: the regularised cost chapter 3 plots) — the book's multiple-η figure."""
    plt = require_pyplot()
    histories = [h for _, runs in points for h in runs]
    training = all(e.training_cost is not None for h in histories for e in h.epochs)
    regression = histories[0].epochs[0].r2 is not None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, runs in points:
        n_epochs = max(len(h.epochs) for h in runs)
        epochs = np.arange(1, n_epochs + 1)
        accuracy = [
            [h.epochs[i].r2 if regression else 100 * h.epochs[i].accuracy for h in runs if i < len(h.epochs)]
            for i in range(n_epochs)
        ]
        cost = [
            [
                (e.training_cost + (e.l2_term or 0.0)) if training else e.cost
                for e in (h.epochs[i] for h in runs if i < len(h.epochs))
            ]
            for i in range(n_epochs)
        ]
        (line,) = left.plot(epochs, [np.mean(a) for a in accuracy], label=f"{label} ({len(runs)} runs)")
        if len(runs) > 1:
            left.fill_between(
                epochs, [min(a) for a in accuracy], [max(a) for a in accuracy], color=line.get_color(), alpha=0.2, lw=0
            )
        right.plot(epochs, [np.mean(c) for c in cost], color=line.get_color(), label=label)
    watched = {h.evaluated_on for h in histories}
    split = watched.pop() if len(watched) == 1 else "validation or test"
    measure = "R²" if regression else "accuracy"
    left.set(
        xlabel="epoch",
        ylabel=f"{split} {'R²' if regression else 'accuracy (%)'}",
        title=f"{measure}: mean over seeds, band min–max",
    )
    right.set(
        xlabel="epoch",
        ylabel=("training cost, with the L2 term" if training else f"{split} cost"),
        title="cost: mean over seeds",
    )
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def draw(
    run_dir: Path, what: tuple[str, ...] = FIGURES, curves_path: Path | None = None, fetch: Fetch | None = None
) -> list[Path]:
    """Draw the figures `what` asks for into the run folder (the curves into `curves_path` if given);
    the paths written. Figures of pictures are skipped for a network whose input is not a square image."""
    require_pyplot()
    history = read_history(run_dir / "history.json")
    if not history.epochs:
        raise NnbpError(f"{run_dir / 'history.json'}: holds no epochs yet")
    written = []
    if "curves" in what:
        written.append(curves_path or run_dir / "learning-curves.png")
        plot_history(history, str(run_dir), written[-1])
    if not set(what) & {"weights", "confusion", "mistakes"}:
        return written
    weights = run_dir / "best.npz" if (run_dir / "best.npz").exists() else run_dir / "weights.npz"
    network, meta = load_weights(weights)
    side = math.isqrt(network.sizes[0])
    square = side * side == network.sizes[0]
    if "weights" in what and square:
        written.append(run_dir / "weights.png")
        plot_weights(
            network,
            f"{weights}: the weights into each of the first {min(100, network.sizes[1])} "
            "hidden neurons (red +, blue −)",
            written[-1],
        )
    if not set(what) & {"confusion", "mistakes"}:
        return written
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    if not isinstance(config.get("dataset"), str):
        raise NnbpError(f"{weights}: records no dataset to draw its test split from")
    dataset = load_dataset(config["dataset"], fetch=fetch)
    ev = evaluate(network, dataset, dataset.test)
    names = [shown(dataset.class_name(k), 30) for k in range(dataset.n_classes)]
    if "confusion" in what:
        written.append(run_dir / "confusion.png")
        title = f"{weights} on {shown(dataset.name)}'s test split: {100 * ev.accuracy:.2f}%"
        if ev.n_classes <= CONFUSION_CLASSES:
            plot_confusion(ev.confusion, names, title, written[-1])
        else:
            classes = most_confused(ev, CONFUSION_CLASSES)
            title += f"; the {len(classes)} of its {ev.n_classes:,} classes most involved in mistakes"
            plot_confusion(confusion_among(ev, classes), [names[c] for c in classes], title, written[-1])
    if "mistakes" in what and square:
        wrong = np.flatnonzero(ev.predictions != ev.labels)
        worst = wrong[np.argsort(-ev.confidence[wrong], kind="stable")][:MISTAKES]
        written.append(run_dir / "mistakes.png")
        plot_mistakes(
            dataset.test.images[worst].reshape(-1, side, side),
            ev.labels[worst],
            ev.predictions[worst],
            ev.confidence[worst],
            names,
            f"{weights}: its most confident mistakes (true → predicted, output)",
            written[-1],
        )
    return written


def compare(run_dirs: list[Path], path: Path) -> Path:
    """Several runs' learning curves in one figure, each labelled by its folder."""
    require_pyplot()
    plot_runs([(str(d), read_history(d / "history.json")) for d in run_dirs], path)
    return path


def draw_sweep(sweep_dir: Path, path: Path | None = None) -> Path:
    """A sweep's grid points side by side, each from its runs that trained at least one epoch."""
    from nnbp.sweep import read_summary

    require_pyplot()
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
    plot_sweep(drawn, f"{sweep_dir}: {summary.get('config')}", path)
    return path


def check_picture_output(path: Path) -> None:
    """Refuse, before any work, a --show path that Pillow cannot write or that is not a .png."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise NnbpError("--show needs Pillow: pip install 'nnbp[images]'") from None
    if path.suffix.lower() != ".png":
        raise NnbpError(f"--show: {path} does not end in .png")
    check_output(path)


def show_inputs(shown: list[tuple[str, Any, Any]], path: Path, cell: int = 112) -> Path:
    """A PNG with a row per input: the picture (or array) as given, and beside it, enlarged, the input
    the network saw (its square form), each captioned."""
    from PIL import Image, ImageDraw

    rows = []
    for name, pixels, seen in shown:
        side = math.isqrt(seen.size)
        given = pixels.reshape(side, side) if pixels.ndim == 1 and side * side == pixels.size else pixels
        pictures = [_as_tile(given, cell) if given.ndim == 2 else None, _as_tile(seen.reshape(side, side), cell)]
        rows.append((shown_name(name), pictures))
    canvas = Image.new("L", (2 * cell + 30, max(1, len(rows)) * (cell + 24)), 255)
    draw = ImageDraw.Draw(canvas)
    for r, (name, pictures) in enumerate(rows):
        top = r * (cell + 24)
        draw.text((4, top + 2), name, fill=0)
        for c, tile in enumerate(pictures):
            if tile is not None:
                canvas.paste(tile, (10 + c * (cell + 10), top + 18))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    try:
        write_atomic(path, buffer.getvalue())
    except OSError as e:
        raise NnbpError(f"{path}: cannot write ({e.strerror})") from None
    return path


def _as_tile(pixels: Any, cell: int) -> Any:
    """An image array (uint8, or floats in [0, 1]) as a grayscale tile fitted into cell × cell."""
    from PIL import Image

    levels = pixels if pixels.dtype == np.uint8 else np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
    tile = Image.fromarray(np.ascontiguousarray(levels))  # uint8, 2-D: grayscale
    scale = cell / max(tile.size)
    resample = Image.NEAREST if scale >= 1 else Image.BOX  # a 28 × 28 form shown as its pixels
    return tile.resize((max(1, round(tile.width * scale)), max(1, round(tile.height * scale))), resample)


def shown_name(name: str) -> str:
    """A caption the default font can draw: Pillow before 10.1 draws Latin-1 only."""
    return shown(name, 40).replace("…", "...").encode("latin-1", "replace").decode("latin-1")
