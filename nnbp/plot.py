"""Figures drawn with matplotlib, an optional extra (`pip install 'nnbp[plot]'`).

Each function writes one PNG atomically; matplotlib is imported only when a figure is asked for.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from nnbp.errors import NnbpError
from nnbp.store import write_atomic


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise NnbpError(
            "drawing needs matplotlib: pip install 'nnbp[plot]' (or pip install matplotlib)"
        ) from None
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
    plt = _pyplot()
    sizes = [r["mini_batch_size"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["speedup"] for r in results], "o-")
    left.set(xscale="log", xlabel="mini-batch size", ylabel="speedup (loop / matrix)",
             title="matrix engine over the per-example loop")
    left.axhline(1, color="grey", lw=0.8)
    right.plot(sizes, [r["floor_ratio"] for r in results], "o-", color="tab:orange")
    right.set(xscale="log", xlabel="mini-batch size", ylabel="matrix time / bare-matmul time",
              title="overhead over the arithmetic floor")
    right.axhline(1, color="grey", lw=0.8)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_history(history: dict, title: str, path: Path) -> None:
    """Accuracy and cost per epoch on the watched split, with the final test accuracy as a point."""
    plt = _pyplot()
    epochs = [e["epoch"] for e in history["epochs"]]
    split = history.get("evaluated_on", "test")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [100 * e["accuracy"] for e in history["epochs"]], "o-", ms=3, label=split)
    test = history.get("test")
    if test is not None and split != "test":
        left.plot([epochs[-1]], [100 * test["accuracy"]], "s", color="tab:red", label="test (final)")
    left.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    left.legend()
    right.plot(epochs, [e["cost"] for e in history["epochs"]], "o-", ms=3, color="tab:orange", label=split)
    right.set(xlabel="epoch", ylabel="mean cost", title="cost")
    right.legend()
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)
