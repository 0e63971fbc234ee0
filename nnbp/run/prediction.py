"""What a trained network says about examples someone brings (`nnbp predict`): the most likely classes
and their scores.

Inputs are made as training made them: stored pixels (uint8) times the weights file's `input_scale`.
A picture of another size is first brought to MNIST's form (`nnbp.data.pictures`) unless `raw`. The score
is the output layer's probability for softmax outputs, otherwise each output's share of the summed
output activations (for sigmoid outputs, which do not sum to 1). An example whose mean input lies far
from the training examples' (the weights file's `input_stats`) gets a warning: a photograph not
inverted, say, or something unlike anything in the training set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnbp.data.inputs import Example, read_examples
from nnbp.data.pictures import prepare
from nnbp.data.tables import read_columns
from nnbp.errors import NnbpError
from nnbp.model import Model, scores_of
from nnbp.network import Network
from nnbp.run.weights import load_model, load_weights
from nnbp.system.memory import forward_chunk

Array = np.ndarray
FAR = 4.0  # a mean input this many standard deviations from the training examples' is worth a warning


@dataclass(frozen=True)
class Prediction:
    """One example's classes, most likely first, with their scores."""

    input: str
    top: list[tuple[int, float]]
    names: list[str]
    warning: str | None = None

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "class": self.top[0][0],
            "name": self.names[0],
            "top": [[k, score] for k, score in self.top],
            "warning": self.warning,
        }


def score_kind(network: Network) -> str:
    return "probability" if network.sigmas[-1].name == "softmax" else "share of the output activations"


def inputs(
    network: Network,
    examples: list[Example],
    input_scale: float,
    raw: bool = False,
    notes: dict[int, str] | None = None,
) -> Array:
    """The examples as the network's input columns, (n_0, N), made as training made its inputs; what
    preparing a picture noticed goes into `notes[j]`."""
    n_0 = network.sizes[0]
    side = math.isqrt(n_0)
    X = np.empty((n_0, len(examples)), network.dtype)
    for j, example in enumerate(examples):
        pixels = example.pixels
        if pixels.ndim == 2 and side * side != n_0:
            raise NnbpError(
                f"{example.name}: the network takes {n_0} inputs, not a square image; give a vector "
                f"of {n_0} numbers (.npy)"
            )
        if pixels.size != n_0:
            if pixels.ndim == 1 or raw:
                what = (
                    f"a {pixels.shape[1]} × {pixels.shape[0]} picture"
                    if example.picture
                    else " × ".join(map(str, pixels.shape)) + " values"
                )
                hint = "" if pixels.ndim == 1 else " (without --raw it is brought to MNIST's form)"
                raise NnbpError(f"{example.name}: {what}; the network takes {side} × {side} = {n_0}{hint}")
            as_float = pixels / 255.0 if pixels.dtype == np.uint8 else pixels
            try:
                form = prepare(as_float, side)
            except NnbpError as e:
                raise NnbpError(f"{example.name}: {e}") from None
            pixels = np.rint(form.pixels * 255).astype(np.uint8)  # stored as MNIST stores it
            if notes is not None and form.warning:
                notes[j] = form.warning
        column = X[:, j]
        if pixels.dtype == np.uint8:
            np.copyto(column, pixels.reshape(-1))  # as training gathers a batch: cast, then scale
            column *= input_scale
        else:
            np.copyto(column, pixels.reshape(-1))
    return X


def predict(
    network: Network,
    examples: list[Example],
    input_scale: float,
    class_names: list[str] | None,
    top: int = 3,
    raw: bool = False,
    input_stats: dict | None = None,
    seen: list[Array] | None = None,
    keep: int = 0,
) -> list[Prediction]:
    """The `top` most likely classes of each example, in input order, fed forward a chunk of examples at
    a time (so the inputs in floating point never take more memory than evaluation allows); the first
    `keep` inputs as the network saw them are appended to `seen`, if given."""
    names = class_names or [str(k) for k in range(network.sizes[-1])]
    chunk = forward_chunk(network.sizes, network.dtype)
    predictions = []
    for start in range(0, len(examples), chunk):
        part = examples[start : start + chunk]
        notes: dict[int, str] = {}
        X = inputs(network, part, input_scale, raw, notes)
        if seen is not None:
            seen += [X[:, j].copy() for j in range(min(len(part), keep - len(seen)))]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            scores = scores_of(network, network.feedforward(X))
        order = np.argsort(-scores, axis=0, kind="stable")[: max(1, top)]
        for j, example in enumerate(part):
            classes = [int(k) for k in order[:, j]]
            warnings = [w for w in (notes.get(j), unlike_training(X[:, j], input_stats)) if w]
            predictions.append(
                Prediction(
                    example.name,
                    [(k, float(scores[k, j])) for k in classes],
                    [names[k] for k in classes],
                    "; ".join(warnings) or None,
                )
            )
    return predictions


def unlike_training(x: Array, stats: dict | None) -> str | None:
    """A warning when the input's mean lies FAR standard deviations or more from the training inputs'."""
    if not stats or stats["std"] <= 0:
        return None
    mean = float(x.mean())
    if abs(mean - stats["mean"]) < FAR * stats["std"]:
        return None
    return (
        f"its mean input {mean:.3f} is far from the training examples' ({stats['mean']:.3f} ± "
        f"{stats['std']:.3f}): an inverted picture, or one unlike the training data?"
    )


def predict_files(
    weights: Path, sources: list[str], top: int = 3, raw: bool = False, show: int = 0
) -> tuple[list[Prediction], str, list[tuple[str, Array, Array]]]:
    """What the saved network says about each example in `sources` (pictures, .npy, .npz, `-`), what its
    scores are, and for the first `show` examples their name, pixels and the input the network saw."""
    network, meta = load_weights(weights)
    examples = [example for source in sources for example in read_examples(source)]
    seen: list[Array] = []
    predictions = predict(
        network,
        examples,
        meta["input_scale"],
        meta.get("class_names"),
        top,
        raw,
        meta.get("input_stats"),
        seen,
        keep=show,
    )
    shown = [(e.name, e.pixels, x) for e, x in zip(examples[:show], seen[:show])]
    return predictions, score_kind(network), shown


@dataclass(frozen=True)
class RowPrediction:
    """One table row's prediction: its classes, most likely first, with their scores; or its values."""

    row: int  # from 1, the first row after the header
    top: list[tuple[str, float]] | None = None
    values: list[float] | None = None

    def to_dict(self) -> dict:
        if self.values is not None:
            return {"row": self.row, "values": self.values}
        return {"row": self.row, "class": self.top[0][0], "top": [[name, score] for name, score in self.top]}


def predict_rows(weights: Path, source: str, top: int = 3) -> tuple[list[RowPrediction], Model]:
    """What saved weights trained on a table say about each row of the table `source`, its feature columns
    found by name (other columns are ignored)."""
    model = load_model(weights)
    if model.feature_names is None:
        raise NnbpError(f"{weights}: was trained on images, not a table: give it pictures or arrays")
    X = read_columns(Path(source).expanduser(), model.feature_names)
    if model.task == "regression":
        values = model.predict(X).reshape(len(X), -1)
        return [RowPrediction(i + 1, values=[float(v) for v in row]) for i, row in enumerate(values)], model
    scores = model.predict_proba(X)
    order = np.argsort(-scores, axis=1, kind="stable")[:, : max(1, top)]
    names = model.class_names or tuple(str(k) for k in range(scores.shape[1]))
    return [RowPrediction(i + 1, top=[(names[k], float(scores[i, k])) for k in order[i]]) for i in range(len(X))], model
