"""The in-memory form of a dataset: compact images and integer labels, split three ways.

Images stay as stored (uint8 in general, shape (N, n_inputs)); `scale` maps them to inputs in [0, 1]
when a mini-batch is gathered, so a dataset lives in memory once. Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from nnbp.errors import NnbpError

Array = np.ndarray


@dataclass(frozen=True)
class Split:
    """Images (N, n_inputs) as stored, and integer labels (N,)."""

    images: Array
    labels: Array

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Dataset:
    """A training and a test split; inputs are `images * scale`, labels run over 0 … n_classes−1;
    `class_names[k]` names class k when the dataset knows its classes' names."""

    name: str
    train: Split
    test: Split
    n_classes: int
    scale: float
    validation: Split | None = None
    class_names: tuple[str, ...] | None = None
    kind: str = "images"  # or "table": what expansion, pictures and the default scaling may assume

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


ABOUT_DATA = ("input_scale", "class_names", "input_stats")  # what `about` gives, as a weights file keeps it


def about(dataset: Dataset) -> dict:
    """What a network trained on `dataset` should carry about its inputs (JSON-ready): the scale from
    stored pixels to inputs, the class names, and the mean and spread of the training examples'
    mean input (so an input unlike them can be noticed)."""
    means = dataset.train.images.mean(axis=1) * dataset.scale
    return {
        "input_scale": dataset.scale,
        "class_names": list(dataset.class_names) if dataset.class_names else None,
        "input_stats": {"mean": float(means.mean()), "std": float(means.std())},
    }
