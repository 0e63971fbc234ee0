"""A run's history: what each epoch measured, where training stopped, the final test figures.

Written to `history.json` for people and tools, and kept in the checkpoint for `--resume`. Read
back as strictly as a config: every field is checked, and a defect is a one-line `NnbpError`
naming the file and the field.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nnbp.config.keys import finite_number, whole
from nnbp.diagnostics import LayerDiagnostics
from nnbp.errors import NnbpError
from nnbp.system.safeio import parse_json, read_text
from nnbp.training import EpochResult

SPLITS = ("validation", "test")
MAX_HISTORY_BYTES = 64 * 2**20


@dataclass
class History:
    """Epoch by epoch, the figures on the watched split (`evaluated_on`), and how the run ended."""

    evaluated_on: str  # "validation", or "test" when the dataset has no validation split
    epochs: list[EpochResult] = field(default_factory=list)
    initial_diagnostics: list[dict] | None = None  # the probe before training, per layer
    test: dict | None = None  # the last epoch's network on the test split: cost, correct, total, accuracy
    best_test: dict | None = None  # the best epoch's network (best.npz) on the test split
    stopped: dict | None = None  # {"epoch": e, "reason": why} when the η schedule or early stopping ended it
    diverged: dict | None = None  # {"epoch": e, "mini_batch": b or None} when training diverged
    blas_threads: int | None = None  # the BLAS threads training used (results depend on it)

    @property
    def best(self) -> EpochResult | None:
        """The epoch with the best score on the watched split (the highest accuracy, or a regression's
        lowest cost; the first, on a tie)."""
        return max(self.epochs, key=lambda e: e.score, default=None)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"evaluated_on": self.evaluated_on}
        if self.blas_threads is not None:
            d["blas_threads"] = self.blas_threads
        if self.initial_diagnostics is not None:
            d["initial_diagnostics"] = self.initial_diagnostics
        d["epochs"] = [e.to_dict() for e in self.epochs]
        if self.best is not None:
            d["best_epoch"] = self.best.epoch
        for name in ("test", "best_test", "stopped", "diverged"):
            if getattr(self, name) is not None:
                d[name] = getattr(self, name)
        return d

    def to_csv(self) -> str:
        """One row per epoch, one column per figure (diagnostics as layer<l>_<figure>): for a spreadsheet."""
        rows = []
        for e in self.epochs:
            row = {k: v for k, v in e.to_dict().items() if k != "diagnostics"}
            for layer in e.diagnostics or []:
                row.update(
                    {
                        f"layer{layer['layer']}_{k}": v
                        for k, v in layer.items()
                        if k != "layer" and not isinstance(v, list)
                    }
                )
            rows.append(row)
        columns = list(dict.fromkeys(k for row in rows for k in row))
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    @classmethod
    def from_dict(cls, data: Any, where: str) -> History:
        """A history from its JSON form; `where` names the file in errors."""
        d = _mapping(
            data,
            where,
            required={"evaluated_on", "epochs"},
            optional={"initial_diagnostics", "best_epoch", "test", "best_test", "stopped", "diverged", "blas_threads"},
        )
        if d["evaluated_on"] not in SPLITS:
            raise NnbpError(f"{where}: evaluated_on: {d['evaluated_on']!r} is not one of {', '.join(SPLITS)}")
        epochs = _list(d["epochs"], f"{where}: epochs")
        history = cls(d["evaluated_on"], [_epoch(e, f"{where}: epochs[{i}]") for i, e in enumerate(epochs)])
        for i, e in enumerate(history.epochs):
            if e.epoch != i + 1:
                raise NnbpError(f"{where}: epochs[{i}]: epoch is {e.epoch}, expected {i + 1}")
        if "best_epoch" in d and (history.best is None or d["best_epoch"] != history.best.epoch):
            raise NnbpError(f"{where}: best_epoch: {d['best_epoch']!r} is not the epoch of highest accuracy")
        if d.get("initial_diagnostics") is not None:
            history.initial_diagnostics = [
                _initial_layer(layer, f"{where}: initial_diagnostics[{i}]")
                for i, layer in enumerate(_list(d["initial_diagnostics"], f"{where}: initial_diagnostics"))
            ]
        if d.get("test") is not None:
            history.test = _figures(d["test"], f"{where}: test")
        if d.get("best_test") is not None:
            history.best_test = _figures(d["best_test"], f"{where}: best_test")
        if d.get("stopped") is not None:
            stopped = _mapping(d["stopped"], f"{where}: stopped", required={"epoch", "reason"})
            whole(stopped["epoch"], f"{where}: stopped: epoch", 1)
            if not isinstance(stopped["reason"], str):
                raise NnbpError(f"{where}: stopped: reason: is not text")
            history.stopped = stopped
        if d.get("blas_threads") is not None:
            history.blas_threads = whole(d["blas_threads"], f"{where}: blas_threads", 1)
        if d.get("diverged") is not None:
            diverged = _mapping(d["diverged"], f"{where}: diverged", required={"epoch", "mini_batch"})
            whole(diverged["epoch"], f"{where}: diverged: epoch", 1)
            if diverged["mini_batch"] is not None:
                whole(diverged["mini_batch"], f"{where}: diverged: mini_batch", 1)
            history.diverged = diverged
        return history


def read_history(path: Path) -> History:
    """The history in a `history.json`, checked field by field."""
    if not path.exists():
        raise NnbpError(f"{path}: no such file; is this a run folder?")
    text = read_text(path, "a history.json", MAX_HISTORY_BYTES)
    return History.from_dict(parse_json(text, str(path)), str(path))


FIGURES = ("cost", "correct", "total", "accuracy")  # a classification's
REGRESSION_FIGURES = ("cost", "total", "mse", "mae", "r2")  # a regression's


def _figures(value: Any, where: str) -> dict:
    """A split's figures: a classification's (cost, correct, total, accuracy) or a regression's."""
    regression = isinstance(value, dict) and "r2" in value
    d = _mapping(value, where, required=set(REGRESSION_FIGURES if regression else FIGURES))
    finite_number(d["cost"], f"{where}: cost")
    total = whole(d["total"], f"{where}: total", 1)
    if regression:
        for name in ("mse", "mae", "r2"):
            finite_number(d[name], f"{where}: {name}")
        return d
    correct = whole(d["correct"], f"{where}: correct", 0)
    if correct > total:
        raise NnbpError(f"{where}: correct: {correct} is more than the total {total}")
    accuracy = finite_number(d["accuracy"], f"{where}: accuracy")
    if not math.isclose(accuracy, correct / total, rel_tol=1e-9):
        raise NnbpError(f"{where}: accuracy: {accuracy} is not correct / total")
    return d


OPTIONAL_EPOCH_FIELDS = {
    "training_cost",
    "training_accuracy",
    "l2_term",
    "diagnostics",
    "correct",
    "accuracy",
    "mse",
    "mae",
    "r2",
}


def _epoch(value: Any, where: str) -> EpochResult:
    names = {f.name for f in fields(EpochResult)}
    d = _mapping(value, where, required=names - OPTIONAL_EPOCH_FIELDS, optional=OPTIONAL_EPOCH_FIELDS)
    _figures({k: d.get(k) for k in (REGRESSION_FIGURES if "r2" in d else FIGURES)}, where)
    d = {**{name: None for name in ("correct", "accuracy")}, **d}
    whole(d["epoch"], f"{where}: epoch", 1)
    if finite_number(d["seconds"], f"{where}: seconds") < 0:
        raise NnbpError(f"{where}: seconds: {d['seconds']} is negative")
    if finite_number(d["eta"], f"{where}: eta") <= 0:
        raise NnbpError(f"{where}: eta: {d['eta']} is not positive")
    for name in ("training_cost", "training_accuracy", "l2_term"):
        if d.get(name) is not None:
            finite_number(d[name], f"{where}: {name}")
    if d.get("diagnostics") is not None:
        d["diagnostics"] = [
            _layer(layer, f"{where}: diagnostics[{i}]")
            for i, layer in enumerate(_list(d["diagnostics"], f"{where}: diagnostics"))
        ]
    return EpochResult(**d)


def _layer(value: Any, where: str) -> dict:
    names = {f.name for f in fields(LayerDiagnostics)}
    optional = {"mean_grad_w_rms", "dropped_share", "dropped_range"}
    d = _mapping(value, where, required=names - optional, optional=optional)
    whole(d["layer"], f"{where}: layer", 1)
    for name in set(d) - {"layer", "dropped_range"}:
        if not (name == "saturated_share" and d[name] is None):
            finite_number(d[name], f"{where}: {name}")
    if "dropped_range" in d:
        spread = _list(d["dropped_range"], f"{where}: dropped_range")
        if len(spread) != 2:
            raise NnbpError(f"{where}: dropped_range: is not [least, most]")
        for i, v in enumerate(spread):
            finite_number(v, f"{where}: dropped_range[{i}]")
    return d


def _initial_layer(value: Any, where: str) -> dict:
    d = _mapping(value, where, required={"layer", "saturated_share", "near_zero_input_share"})
    whole(d["layer"], f"{where}: layer", 1)
    if d["saturated_share"] is not None:
        finite_number(d["saturated_share"], f"{where}: saturated_share")
    finite_number(d["near_zero_input_share"], f"{where}: near_zero_input_share")
    return d


def _mapping(value: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise NnbpError(f"{where}: is a {type(value).__name__}, expected an object")
    missing = sorted(required - set(value))
    if missing:
        raise NnbpError(f"{where}: missing field {missing[0]!r}")
    unknown = sorted(map(str, set(value) - required - optional))
    if unknown:
        raise NnbpError(f"{where}: unknown field {unknown[0]!r}")
    return dict(value)


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise NnbpError(f"{where}: is a {type(value).__name__}, expected a list")
    return value
