from __future__ import annotations

import numpy as np
import pytest

from nnbp.data import load_dataset
from nnbp.formats import load_npz
from nnbp.errors import NnbpError


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


def test_embedded_sample_is_the_documented_split_of_real_mnist():
    d = load_dataset("mnist-sample")
    assert (len(d.train), len(d.test)) == (8000, 2000)
    assert d.n_inputs == 784 and d.n_classes == 10 and d.scale == 1 / 255
    assert d.train.images.dtype == np.uint8 and d.train.images.flags.c_contiguous
    counts = np.bincount(np.concatenate([d.train.labels, d.test.labels]))
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    # the split was shuffled: every digit appears in the test set
    assert np.bincount(d.test.labels, minlength=10).min() > 150


def test_keras_npz_loads_and_flattens(tmp_path):
    path = write_npz(tmp_path / "d.npz", **keras_arrays())
    d = load_dataset(str(path))
    assert d.train.images.shape == (12, 784) and d.test.images.shape == (5, 784)
    assert d.n_classes == 10


def test_flat_images_and_fewer_classes(tmp_path):
    path = write_npz(tmp_path / "d.npz", **keras_arrays(shape=(4,), n_classes=3))
    d = load_npz(path)
    assert d.n_inputs == 4 and d.n_classes == 3


def test_float_images_in_unit_range_are_kept_unscaled(tmp_path):
    arrays = keras_arrays(shape=(4,))
    arrays["x_train"] = arrays["x_train"] / 255.0
    arrays["x_test"] = arrays["x_test"] / 255.0
    d = load_npz(write_npz(tmp_path / "d.npz", **arrays))
    assert d.scale == 1.0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.pop("y_test"), "missing array(s) y_test"),
        (lambda a: a.update(y_train=a["y_train"][:-1]), "x_train holds 12 images but y_train 11 labels"),
        (lambda a: a.update(y_train=a["y_train"] - 5), "negative label"),
        (lambda a: a.update(y_train=a["y_train"].astype(float)), "expected integers"),
        (lambda a: a.update(x_train=a["x_train"].astype(np.int32)), "expected uint8 pixels"),
        (lambda a: a.update(x_test=a["x_test"][:, :10]), "x_train has 784 pixels per image, x_test 280"),
        (lambda a: a.update(x_train=a["x_train"][:, 0, 0]), "expected (N, 28, 28) or (N, 784)"),
        (lambda a: a.update(y_train=np.zeros(12, int), y_test=np.zeros(5, int)), "only one class"),
        (lambda a: a.update(x_train=a["x_train"] * 2.0), "not all in [0, 1]"),
    ],
)
def test_bad_npz_contents_are_named(tmp_path, change, message):
    arrays = keras_arrays()
    change(arrays)
    path = write_npz(tmp_path / "d.npz", **arrays)
    with pytest.raises(NnbpError, match=None) as e:
        load_npz(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    arrays = keras_arrays()
    arrays["y_train"] = np.array([object()] * 12, dtype=object)
    path = write_npz(tmp_path / "d.npz", **arrays)
    with pytest.raises(NnbpError, match="pickled object arrays"):
        load_npz(path)


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04truncated"])
def test_files_that_are_not_npz(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(NnbpError, match="bad.npz"):
        load_npz(path)


def test_truncated_npz(tmp_path):
    path = write_npz(tmp_path / "d.npz", **keras_arrays())
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(NnbpError, match="d.npz"):
        load_npz(path)


def test_unknown_name_and_missing_file():
    with pytest.raises(NnbpError, match="neither a known dataset"):
        load_dataset("no-such-dataset")
