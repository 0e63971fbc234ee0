"""Datasets: find and read images and labels, check them, keep them compact in memory.

This module knows nothing of training. Images stay as stored (uint8, shape (N, n_inputs)); `scale`
maps them to inputs in [0, 1] when a mini-batch is gathered, so a dataset lives in memory once.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from nnbp.errors import NnbpError

Array = np.ndarray

EMBEDDED = {"mnist-sample": "mnist-sample.npz"}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


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

    @property
    def n_inputs(self) -> int:
        return self.train.images.shape[1]


def load_dataset(name_or_path: str) -> Dataset:
    """A dataset by name (`mnist-sample`, shipped inside the package) or by path to an `.npz` file."""
    if name_or_path in EMBEDDED:
        resource = resources.files("nnbp") / "data" / EMBEDDED[name_or_path]
        with resources.as_file(resource) as path:
            return load_npz(path, name=name_or_path)
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(EMBEDDED)
        raise NnbpError(
            f"dataset: {name_or_path!r} is neither a known dataset ({known}) nor an existing file"
        )
    return load_npz(path, name=name_or_path)


def load_npz(path: Path, name: str | None = None) -> Dataset:
    """A dataset in Keras's `mnist.npz` layout: x_train, y_train, x_test, y_test; never unpickles."""
    arrays = _read_npz(path, NPZ_KEYS)
    train = _check_split(path, "train", arrays["x_train"], arrays["y_train"])
    test = _check_split(path, "test", arrays["x_test"], arrays["y_test"])
    if train.images.shape[1] != test.images.shape[1]:
        raise NnbpError(
            f"{path}: x_train has {train.images.shape[1]} pixels per image, x_test "
            f"{test.images.shape[1]}"
        )
    if train.images.dtype != test.images.dtype:
        raise NnbpError(f"{path}: x_train is {train.images.dtype}, x_test {test.images.dtype}")
    scale = 1 / 255 if train.images.dtype == np.uint8 else 1.0
    n_classes = int(max(train.labels.max(), test.labels.max())) + 1
    if n_classes < 2:
        raise NnbpError(f"{path}: the labels name only one class; need at least 2")
    return Dataset(name or str(path), train, test, n_classes, scale)


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, Array]:
    """The named arrays of an npz file, each read in full; one-line errors for every failure."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise NnbpError(f"{path}: missing array(s) {', '.join(missing)}; expected {', '.join(keys)}")
            return {k: npz[k] for k in keys}
    except NnbpError:
        raise
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnbpError(f"{path}: is a directory, not an .npz file") from None
    except PermissionError:
        raise NnbpError(f"{path}: permission denied") from None
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise NnbpError(f"{path}: holds pickled object arrays, which nnbp refuses to load") from None
        raise NnbpError(f"{path}: not a valid .npz file ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise NnbpError(f"{path}: not a readable .npz file ({e})") from None


def _check_split(path: Path, split: str, images: Array, labels: Array) -> Split:
    """Flatten images to (N, n_inputs) and check them against their labels."""
    x, y = f"x_{split}", f"y_{split}"
    if images.ndim < 2 or images.shape[0] == 0 or images[0].size == 0:
        raise NnbpError(f"{path}: {x} has shape {images.shape}; expected (N, 28, 28) or (N, 784)")
    if labels.ndim != 1:
        raise NnbpError(f"{path}: {y} has shape {labels.shape}; expected (N,)")
    if len(labels) != len(images):
        raise NnbpError(f"{path}: {x} holds {len(images)} images but {y} {len(labels)} labels")
    if not np.issubdtype(labels.dtype, np.integer):
        raise NnbpError(f"{path}: {y} has dtype {labels.dtype}; expected integers")
    if labels.min() < 0:
        raise NnbpError(f"{path}: {y} holds the negative label {labels.min()}")
    if images.dtype == np.uint8:
        pass
    elif np.issubdtype(images.dtype, np.floating):
        if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
            raise NnbpError(f"{path}: {x} is floating point but not all in [0, 1]")
    else:
        raise NnbpError(f"{path}: {x} has dtype {images.dtype}; expected uint8 pixels 0–255")
    flat = np.ascontiguousarray(images.reshape(len(images), -1))
    return Split(flat, labels.astype(np.intp))
