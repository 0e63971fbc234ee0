"""Builders the tests share: small random networks, batches and datasets, dataset files in each format
nnbp reads, and a CliRunner that keeps stderr apart. Plain functions; fixtures are in conftest.py."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
from click.testing import CliRunner

from nnbp.data.dataset import Dataset, Split
from nnbp.network import Network


def random_batch(sizes: list[int], m: int, rng: np.random.Generator, dtype=np.float64):
    """X (n_0, m) in [0, 1] and one-hot Y (n_L, m)."""
    X = rng.random((sizes[0], m)).astype(dtype)
    Y = np.zeros((sizes[-1], m), dtype=dtype)
    Y[rng.integers(0, sizes[-1], m), np.arange(m)] = 1
    return X, Y


def small_network(sizes: list[int], seed: int = 0, dtype=np.float64) -> Network:
    return Network.initialise(sizes, np.random.default_rng(seed), dtype=dtype)


def tiny_dataset(n_train: int = 23, n_test: int = 11, n_inputs: int = 6, n_classes: int = 3, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        return Split(rng.integers(0, 256, (n, n_inputs), dtype=np.uint8), rng.integers(0, n_classes, n))

    return Dataset("tiny", split(n_train), split(n_test), n_classes, 1 / 255)


def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def keras_arrays(n_train=12, n_test=5, shape=(28, 28), n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        x_train=rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        y_train=np.arange(n_train) % n_classes,
        x_test=rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        y_test=np.arange(n_test) % n_classes,
    )


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file: magic (0x0803 for 3 dims, 0x0801 for 1), big-endian dims, then the uint8 data."""
    magic = magic if magic is not None else 0x0800 + array.ndim
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx_folder(folder, n_train=30, n_test=10, n_classes=10, gz=True, seed=0):
    """The four MNIST files of a small random dataset; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % n_classes).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % n_classes).astype(np.uint8),
    }
    for stem, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return arrays


def nielsen_pickle(path, n=(20, 8, 6), numpy1_names=True):
    """A pickle shaped like mnist.pkl.gz: float32 pixels k/256 and int64 labels, three splits."""
    rng = np.random.default_rng(0)
    splits = tuple(
        ((rng.integers(0, 256, (k, 784)) / 256).astype(np.float32), (np.arange(k) % 10).astype(np.int64)) for k in n
    )
    data = pickle.dumps(splits, protocol=2)
    if numpy1_names:  # as written by the numpy of 2010
        data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    path.write_bytes(gzip.compress(data))
    return splits


def cli_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout: click < 8.2 needs mix_stderr=False, which
    click 8.2 removed (it always keeps them apart)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
