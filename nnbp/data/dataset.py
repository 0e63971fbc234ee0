"""The in-memory form of a dataset: examples as stored and their labels (or target values), split three
ways, and the scaling that turns stored examples into a network's inputs.

Images stay as stored (uint8 in general, shape (N, n_inputs)) and a table's features as read
(float64); inputs are (stored − shift) × scale, applied when a mini-batch is gathered, so a dataset
lives in memory once. A regression's targets are standardised the same way. Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nnbp.errors import NnbpError

Array = np.ndarray


@dataclass(frozen=True)
class Split:
    """Examples (N, n_inputs) as stored, and integer labels (N,), or a regression's targets (N, t)."""

    images: Array
    labels: Array

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Dataset:
    """A training and a test split (and a validation split, when held out). Inputs are
    (examples − shift) × scale; labels run over 0 … n_classes − 1, `class_names[k]` naming class k when
    the dataset knows the names. For a regression, n_classes is the number of target columns and a
    target's network units are (value − target_shift) × target_scale."""

    name: str
    train: Split
    test: Split
    n_classes: int  # the output layer's size: classes, or a regression's target columns
    scale: float | Array
    validation: Split | None = None
    class_names: tuple[str, ...] | None = None
    kind: str = "images"  # or "table": what expansion, pictures and the default scaling may assume
    shift: Array | None = None  # per input, subtracted before `scale` multiplies (None: nothing)
    scaling: str = "pixels"  # how shift and scale were found: pixels (÷ 255), standard, minmax, none
    task: str = "classification"  # or "regression"
    feature_names: tuple[str, ...] | None = None  # a table's input columns, in order
    target_names: tuple[str, ...] | None = None  # a table's target column(s)
    target_shift: Array | None = None  # a regression's targets, standardised on the training split
    target_scale: Array | None = None

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def n_inputs(self) -> int:
        return self.train.images.shape[1]

    def class_name(self, k: int) -> str:
        """Class k's name, or its number when the dataset has no names."""
        return self.class_names[k] if self.class_names else str(k)

    @property
    def nbytes(self) -> int:
        """The memory the dataset's arrays take."""
        splits = [self.train, self.test] + ([self.validation] if self.validation is not None else [])
        return sum(s.images.nbytes + s.labels.nbytes for s in splits)


def check_hold_out(name: str, n_train: int, validation_size: int) -> None:
    """Refuse a validation split that would leave nothing to train on."""
    if validation_size and validation_size >= n_train:
        raise NnbpError(
            f"validation_size: {validation_size} leaves none of the {n_train} training examples of "
            f"{name!r} for training"
        )


def hold_out(dataset: Dataset, validation_size: int) -> Dataset:
    """Move the last `validation_size` training examples into a validation split (views, no copy)."""
    check_hold_out(dataset.name, len(dataset.train), validation_size)
    if validation_size == 0:
        return dataset
    train, cut = dataset.train, len(dataset.train) - validation_size
    return replace(
        dataset,
        train=Split(train.images[:cut], train.labels[:cut]),
        validation=Split(train.images[cut:], train.labels[cut:]),
    )


def first_examples(dataset: Dataset, n: int | None) -> Dataset:
    """The dataset with only its first n training examples (views, no copy); None keeps them all."""
    if n is None or n >= len(dataset.train):
        return dataset
    return replace(dataset, train=Split(dataset.train.images[:n], dataset.train.labels[:n]))


ABOUT_DATA = (
    "input_scale",
    "input_shift",
    "scaling",
    "task",
    "class_names",
    "feature_names",
    "target_names",
    "target_shift",
    "target_scale",
    "input_stats",
)  # what `about` gives, as a weights file keeps it


def about(dataset: Dataset) -> dict:
    """What a network trained on `dataset` should carry about its inputs and outputs (JSON-ready): the
    scaling from stored examples to inputs, the class names or a regression's target columns and
    their standardisation, a table's feature names, and (for images) the mean and spread of the
    training examples' mean input, so an input unlike them can be noticed."""

    def plain(value: float | Array | None) -> float | list[float] | None:
        return None if value is None else float(value) if np.ndim(value) == 0 else [float(v) for v in value]

    d = {
        "input_scale": plain(dataset.scale),
        "input_shift": plain(dataset.shift),
        "scaling": dataset.scaling,
        "task": dataset.task,
        "class_names": list(dataset.class_names) if dataset.class_names else None,
        "feature_names": list(dataset.feature_names) if dataset.feature_names else None,
        "target_names": list(dataset.target_names) if dataset.target_names else None,
        "target_shift": plain(dataset.target_shift),
        "target_scale": plain(dataset.target_scale),
        "input_stats": None,
    }
    if dataset.kind == "images":
        means = dataset.train.images.mean(axis=1) * dataset.scale
        d["input_stats"] = {"mean": float(means.mean()), "std": float(means.std())}
    return {k: v for k, v in d.items() if v is not None}


def fitted_scaling(examples: Array, how: str) -> tuple[Array | None, Array | float]:
    """(shift, scale) that `how` fits on a training split's examples (N, n): standard (zero mean, unit
    variance), minmax (from 0 to 1) or none; a constant column is only shifted."""
    if how == "none":
        return None, 1.0
    if how == "standard":
        shift, spread = examples.mean(axis=0), examples.std(axis=0)
    else:
        shift, spread = examples.min(axis=0), np.ptp(examples, axis=0)
    return shift, 1.0 / np.where(spread > 0, spread, 1.0)
