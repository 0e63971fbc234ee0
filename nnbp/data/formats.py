"""Readers for the file formats datasets come in; each checks what it reads.

- Keras's `mnist.npz`: arrays x_train, y_train, x_test, y_test (read with allow_pickle=False);
- LeCun's IDX files (MNIST, Fashion-MNIST), gzipped or not: a folder holding the four files;
- Nielsen's `mnist.pkl.gz`: a Python 2 pickle, read by `nnbp.data.pickled` (arrays only, bounded).

Every problem is an `NnbpError` naming the file and what is wrong.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from nnbp.data.dataset import Dataset, Split
from nnbp.data.pickled import read_nielsen_pickle
from nnbp.errors import NnbpError
from nnbp.system.memory import describe, memory_limit
from nnbp.system.safeio import kind_of, open_regular, read_into, read_npz

Array = np.ndarray

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_CLASSES = 100_000
IDX_MAGIC = {"images": 2051, "labels": 2049}  # 0x00000803 and 0x00000801: uint8 data, 3 or 1 dims
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_npz(path: Path, name: str | None = None) -> Dataset:
    """A dataset in Keras's `mnist.npz` layout: x_train, y_train, x_test, y_test, and optionally
    class_names (one string per class); never unpickles."""
    arrays = _read_npz(path, NPZ_KEYS)
    train = _check_split(path, "train", arrays["x_train"], arrays["y_train"])
    test = _check_split(path, "test", arrays["x_test"], arrays["y_test"])
    if train.images.shape[1] != test.images.shape[1]:
        raise NnbpError(f"{path}: x_train has {train.images.shape[1]} pixels per image, x_test {test.images.shape[1]}")
    if train.images.dtype != test.images.dtype:
        raise NnbpError(f"{path}: x_train is {train.images.dtype}, x_test {test.images.dtype}")
    scale = 1 / 255 if train.images.dtype == np.uint8 else 1.0
    n_classes = int(max(train.labels.max(), test.labels.max())) + 1
    if n_classes < 2:
        raise NnbpError(f"{path}: the labels name only one class; need at least 2")
    names = arrays.get("class_names")
    if names is not None:
        if (
            names.ndim != 1
            or names.dtype.kind != "U"
            or len(names) < n_classes
            or len(names) > MAX_CLASSES
            or any(not 0 < len(n) <= 100 for n in names.tolist())
        ):
            raise NnbpError(
                f"{path}: class_names is not one name (1 to 100 characters) for each of the {n_classes} classes"
            )
        n_classes = len(names)
    return Dataset(
        name or str(path), train, test, n_classes, scale, class_names=None if names is None else tuple(names.tolist())
    )


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, Array]:
    """The named arrays of a dataset `.npz` (and its class_names, if it has them)."""
    return read_npz(
        path,
        "an .npz dataset (x_train, y_train, x_test, y_test)",
        keys,
        optional=["class_names"],
        max_bytes=memory_limit(),
    )


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
    low, high = int(labels.min()), int(labels.max())  # exact, whatever the integer dtype
    if low < 0:
        raise NnbpError(f"{path}: {y} holds the negative label {low}")
    if high >= MAX_CLASSES:
        raise NnbpError(f"{path}: {y} holds the label {high}; nnbp takes at most {MAX_CLASSES:,} classes")
    if images.dtype == np.uint8:
        pass
    elif np.issubdtype(images.dtype, np.floating):
        if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
            raise NnbpError(f"{path}: {x} is floating point but not all in [0, 1]")
    else:
        raise NnbpError(f"{path}: {x} has dtype {images.dtype}; expected uint8 pixels 0–255")
    flat = np.ascontiguousarray(images.reshape(len(images), -1))
    return Split(flat, labels.astype(np.intp))


def read_idx(path: Path, kind: str) -> Array:
    """One IDX file (LeCun's format, gzipped if its name ends in .gz): a uint8 array, every header checked.

    The payload is read straight into its final array, so a file never sits in memory twice.
    """
    try:
        with open_regular(path, f"an IDX file of {kind}") as raw:
            f = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw
            header = f.read(4)
            if len(header) < 4:
                raise NnbpError(f"{path}: ends inside the IDX header")
            magic = struct.unpack(">I", header)[0]
            if magic != IDX_MAGIC[kind]:
                raise NnbpError(f"{path}: magic number {magic} is not {IDX_MAGIC[kind]} (IDX {kind}, uint8)")
            ndim = header[3]
            dims_bytes = f.read(4 * ndim)
            if len(dims_bytes) < 4 * ndim:
                raise NnbpError(f"{path}: ends inside the IDX header")
            dims = struct.unpack(f">{ndim}I", dims_bytes)
            if ndim != (3 if kind == "images" else 1) or (
                kind == "images" and (dims[0] == 0 or dims[1] * dims[2] == 0)
            ):
                expected = "(N, rows, columns)" if kind == "images" else "(N,)"
                raise NnbpError(f"{path}: holds {kind} of shape {dims}; expected {expected}")
            size = int(np.prod(dims, dtype=object))
            if size > memory_limit():
                raise NnbpError(
                    f"{path}: its header promises {size:,} bytes, more than the memory limit "
                    f"{describe(memory_limit())} (set NNBP_MAX_MEMORY to raise it)"
                )
            if path.suffix != ".gz" and size != path.stat().st_size - 4 - 4 * ndim:
                raise NnbpError(
                    f"{path}: its header promises {size:,} bytes but the file holds "
                    f"{path.stat().st_size - 4 - 4 * ndim:,}"
                )
            data = np.empty(dims, dtype=np.uint8)
            n_read = read_into(f, memoryview(data).cast("B"))
            if n_read < data.size:
                raise NnbpError(f"{path}: ends early: {n_read} of the {data.size} bytes its header promises")
            if f.read(1):
                raise NnbpError(f"{path}: has data past the {data.size} bytes its header promises")
    except NnbpError:
        raise
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as e:
        raise NnbpError(f"{path}: cannot be read as IDX ({e})") from None
    return data


def find_idx_file(folder: Path, stem: str) -> Path:
    """`stem` or `stem.gz` in `folder`."""
    for name in (stem, stem + ".gz"):
        try:
            mode = os.stat(folder / name).st_mode
        except (OSError, ValueError):  # missing, or a folder name too long for the file system: not there
            continue
        if kind_of(mode):
            raise NnbpError(f"{folder / name}: is {kind_of(mode)}, not an IDX file")
        return folder / name
    raise NnbpError(f"{str(folder)[:200]}: has neither {stem} nor {stem}.gz")


def idx_length(path: Path) -> int:
    """The number of items an IDX file's header announces (the header alone is read)."""
    try:
        with open_regular(path, "an IDX file") as raw:
            header = (gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw).read(8)
    except (OSError, EOFError, zlib.error) as e:
        raise NnbpError(f"{path}: cannot be read as IDX ({e})") from None
    if len(header) < 8:
        raise NnbpError(f"{path}: ends inside the IDX header")
    return struct.unpack(">I", header[4:8])[0]


def load_idx_folder(folder: Path, name: str | None = None, n_classes: int | None = None) -> Dataset:
    """A folder holding MNIST's four IDX files (gzipped or not), in their usual names.

    With `n_classes` (10 for MNIST and Fashion-MNIST), a label outside 0 … n_classes−1 is an error.
    """
    splits = {}
    for split, (image_stem, label_stem) in IDX_FILES.items():
        image_path = find_idx_file(folder, image_stem)
        label_path = find_idx_file(folder, label_stem)
        images = read_idx(image_path, "images")
        labels = read_idx(label_path, "labels")
        if labels.ndim != 1:
            raise NnbpError(f"{label_path}: labels have {labels.ndim} dimensions; expected 1")
        if len(images) != len(labels):
            raise NnbpError(
                f"{folder}: {image_path.name} holds {len(images)} images but {label_path.name} {len(labels)} labels"
            )
        if n_classes is not None and len(labels) and labels.max() >= n_classes:
            raise NnbpError(f"{label_path}: holds the label {labels.max()}; expected 0 … {n_classes - 1}")
        splits[split] = Split(images.reshape(len(images), -1), labels.astype(np.intp))
    train, test = splits["train"], splits["test"]
    if train.images.shape[1] != test.images.shape[1]:
        raise NnbpError(f"{folder}: training and test images differ in size")
    if len(train) == 0 or len(test) == 0:
        raise NnbpError(f"{folder}: the training or the test split holds no examples")
    if n_classes is None:
        n_classes = int(max(train.labels.max(), test.labels.max())) + 1
    return Dataset(name or str(folder), train, test, n_classes, 1 / 255)


def load_pickle(path: Path, name: str | None = None) -> Dataset:
    """Nielsen's `mnist.pkl.gz`: ((train images, labels), (validation …), (test …)), 50,000 / 10,000 / 10,000.

    The float32 pixels are multiples of 1/256 there; they are kept as exact uint8 with scale 1/256.
    """
    splits = [
        _check_split(path, part, x, y)
        for part, (x, y) in zip(("train", "validation", "test"), read_nielsen_pickle(path))
    ]
    if len({s.images.shape[1] for s in splits}) != 1:
        raise NnbpError(f"{path}: the three splits' images differ in size")
    scale = 1.0
    if all(s.images.dtype.kind == "f" for s in splits):
        as_bytes = [np.rint(s.images * 256) for s in splits]
        if all(np.array_equal(b / 256, s.images) and b.max() <= 255 for b, s in zip(as_bytes, splits)):
            splits = [Split(b.astype(np.uint8), s.labels) for b, s in zip(as_bytes, splits)]
            scale = 1 / 256
    train, validation, test = splits
    n_classes = int(max(s.labels.max() for s in splits)) + 1
    return Dataset(name or str(path), train, test, n_classes, scale, validation)
