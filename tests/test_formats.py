"""Readers of the three dataset formats: Keras npz, IDX, Nielsen's mnist.pkl.gz."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from helpers import idx_bytes, keras_arrays, nielsen_pickle, write_idx_folder, write_npz
from nnbp.data.formats import idx_length, load_idx_folder, load_npz, load_pickle, read_idx
from nnbp.errors import NnbpError


def test_keras_npz_loads_and_flattens(tmp_path):
    path = write_npz(tmp_path / "d.npz", **keras_arrays())
    d = load_npz(path)
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
        (lambda a: a.pop("y_test"), "missing array 'y_test'"),
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


# --- IDX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_loads_exactly(tmp_path, gz):
    arrays = write_idx_folder(tmp_path / "d", gz=gz)
    d = load_idx_folder(tmp_path / "d", name="d", n_classes=10)
    np.testing.assert_array_equal(d.train.images, arrays["train-images-idx3-ubyte"].reshape(30, 784))
    np.testing.assert_array_equal(d.test.labels, arrays["t10k-labels-idx1-ubyte"])
    assert d.n_classes == 10 and d.scale == 1 / 255 and d.validation is None
    suffix = ".gz" if gz else ""
    assert idx_length(tmp_path / "d" / f"train-labels-idx1-ubyte{suffix}") == 30


def replace_file(folder, stem, data: bytes):
    (folder / f"{stem}.gz").write_bytes(gzip.compress(data))


@pytest.mark.parametrize(
    "stem, make, message",
    [
        ("train-images-idx3-ubyte", lambda a: idx_bytes(a, magic=2049), "magic number 2049 is not 2051"),
        ("train-labels-idx1-ubyte", lambda a: idx_bytes(a, magic=2051), "magic number 2051 is not 2049"),
        ("train-images-idx3-ubyte", lambda a: idx_bytes(a)[:-100], "ends early"),
        ("train-images-idx3-ubyte", lambda a: idx_bytes(a) + b"extra", "has data past"),
        ("train-images-idx3-ubyte", lambda a: idx_bytes(a)[:10], "ends inside the IDX header"),
        ("train-images-idx3-ubyte", lambda a: b"", "ends inside the IDX header"),
        ("train-labels-idx1-ubyte", lambda a: idx_bytes(a[:-1]), "holds 30 images but"),
        ("train-labels-idx1-ubyte", lambda a: idx_bytes(a + 10), "holds the label"),
        ("train-images-idx3-ubyte", lambda a: idx_bytes(a[:0]), "holds images of shape (0, 28, 28)"),
    ],
)
def test_defective_idx_files_are_named(tmp_path, stem, make, message):
    arrays = write_idx_folder(tmp_path)
    replace_file(tmp_path, stem, make(arrays[stem]))
    with pytest.raises(NnbpError) as e:
        load_idx_folder(tmp_path, n_classes=10)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_truncated_gzip_is_named(tmp_path):
    write_idx_folder(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(NnbpError, match="t10k-images-idx3-ubyte.gz"):
        load_idx_folder(tmp_path)


def test_not_gzip_at_all(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"plain text, not gzip")
    with pytest.raises(NnbpError, match="cannot be read as IDX"):
        load_idx_folder(tmp_path)


def test_missing_idx_file_is_named(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(NnbpError, match="neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz"):
        load_idx_folder(tmp_path)


def test_read_idx_reads_into_one_array(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(idx_bytes(array))
    out = read_idx(path, "images")
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, array)


# --- Nielsen's mnist.pkl.gz -------------------------------------------------------------------


@pytest.mark.parametrize("numpy1_names", [True, False])
def test_nielsen_pickle_loads_its_own_split_exactly(tmp_path, numpy1_names):
    path = tmp_path / "mnist.pkl.gz"
    splits = nielsen_pickle(path, numpy1_names=numpy1_names)
    d = load_pickle(path)
    assert (len(d.train), len(d.validation), len(d.test)) == (20, 8, 6)
    assert d.train.images.dtype == np.uint8 and d.scale == 1 / 256
    np.testing.assert_array_equal(d.train.images * d.scale, splits[0][0])
    np.testing.assert_array_equal(d.test.labels, splits[2][1])


class Boom:
    """Unpickling this would run os.system; the loader must refuse before that."""

    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


def test_pickle_with_a_foreign_global_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(Boom(), protocol=2)))
    with pytest.raises(NnbpError, match=r"names (posix|os|nt)\.system, which is not part of a numpy array"):
        load_pickle(path)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"not a pickle", "not a readable mnist.pkl.gz"),
        (pickle.dumps((1, 2, 3), protocol=2), "expected (training, validation, test) pairs"),
        (pickle.dumps(((np.zeros((3, 4), np.float32), np.zeros(2, np.int64)),) * 3, protocol=2), "holds 3 images but"),
    ],
)
def test_malformed_pickles_are_named(tmp_path, payload, message):
    path = tmp_path / "m.pkl.gz"
    path.write_bytes(gzip.compress(payload))
    with pytest.raises(NnbpError) as e:
        load_pickle(path)
    assert message in str(e.value) and str(path) in str(e.value)
