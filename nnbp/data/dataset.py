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
    """A training and a test split; inputs are `images * scale`, labels run over 0 … n_classes−1."""

    name: str
    train: Split
    test: Split
    n_classes: int
    scale: float
    validation: Split | None = None

    @property
    def n_inputs(self) -> int:
        return self.train.images.shape[1]


def hold_out(dataset: Dataset, validation_size: int) -> Dataset:
    """Move the last `validation_size` training examples into a validation split (views, no copy)."""
    if validation_size == 0:
        return dataset
    n = len(dataset.train)
    if validation_size >= n:
        raise NnbpError(
            f"validation_size: {validation_size} leaves none of the {n} training examples of "
            f"{dataset.name!r} for training"
        )
    train, cut = dataset.train, n - validation_size
    return replace(
        dataset,
        train=Split(train.images[:cut], train.labels[:cut]),
        validation=Split(train.images[cut:], train.labels[cut:]),
    )
