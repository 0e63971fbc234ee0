"""Finding datasets: the embedded sample, names in data folders, paths, the validation hold-out."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import keras_arrays, nielsen_pickle, write_idx_folder, write_npz
from nnbp.data import cache_dir, data_folders, known_datasets, load_dataset, locate
from nnbp.data import catalog as data_module
from nnbp.errors import NnbpError


def test_embedded_sample_is_the_documented_split_of_real_mnist():
    d = load_dataset("mnist-sample")
    assert (len(d.train), len(d.test)) == (8000, 2000)
    assert d.n_inputs == 784 and d.n_classes == 10 and d.scale == 1 / 255
    assert d.train.images.dtype == np.uint8 and d.train.images.flags.c_contiguous
    counts = np.bincount(np.concatenate([d.train.labels, d.test.labels]))
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    # the split was shuffled: every digit appears in the test set
    assert np.bincount(d.test.labels, minlength=10).min() > 150


def test_unknown_name_and_missing_file():
    with pytest.raises(NnbpError, match="neither a known dataset"):
        load_dataset("no-such-dataset")


def test_search_order_env_then_cache_then_system(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBP_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folders = data_folders("mnist")
    assert folders[:2] == [tmp_path / "env" / "mnist", tmp_path / "cache" / "nnbp" / "mnist"]
    assert folders[2:] == [
        data_module.Path("/usr/local/share/datasets/mnist"),
        data_module.Path("/usr/share/datasets/mnist"),
    ]
    write_idx_folder(tmp_path / "cache" / "nnbp" / "mnist")
    assert locate("mnist") == tmp_path / "cache" / "nnbp" / "mnist"
    write_idx_folder(tmp_path / "env" / "mnist", gz=False)
    assert locate("mnist") == tmp_path / "env" / "mnist"


def test_cache_defaults_to_dot_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "nnbp"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Named datasets are looked for only under tmp_path (never in the machine's own folders)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data_module, "data_folders", lambda name: [tmp_path / "data" / name, cache_dir() / name])
    return tmp_path


def test_named_dataset_holds_out_the_books_validation_split(isolated, monkeypatch):
    monkeypatch.setitem(data_module.DEFAULT_VALIDATION, "mnist", 10)
    arrays = write_idx_folder(isolated / "data" / "mnist", n_train=30)
    d = load_dataset("mnist")
    assert (len(d.train), len(d.validation), len(d.test)) == (20, 10, 10)
    np.testing.assert_array_equal(d.validation.images, arrays["train-images-idx3-ubyte"][20:].reshape(10, 784))
    assert len(load_dataset("mnist", validation_size=0).train) == 30
    assert len(load_dataset("mnist", validation_size=5).validation) == 5


def test_validation_size_must_leave_training_examples(isolated):
    write_idx_folder(isolated / "data" / "fashion-mnist", n_train=30)
    with pytest.raises(NnbpError, match="validation_size: 30 leaves none of the 30 training examples"):
        load_dataset("fashion-mnist", validation_size=30)


def test_missing_named_dataset_says_how_to_get_it(isolated):
    with pytest.raises(NnbpError) as e:
        load_dataset("mnist")
    message = str(e.value)
    assert "nnbp data fetch mnist" in message and str(isolated / "data" / "mnist") in message
    assert "train-images-idx3-ubyte" in message


def test_missing_named_dataset_is_fetched_into_the_cache(isolated):
    calls = []

    def fetch(name, folder):
        calls.append((name, folder))
        write_idx_folder(folder)
        return folder

    d = load_dataset("mnist", validation_size=0, fetch=fetch)
    assert calls == [("mnist", isolated / "cache" / "nnbp" / "mnist")]
    assert len(d.train) == 30


def test_paths_to_folder_npz_and_pickle(tmp_path):
    write_idx_folder(tmp_path / "idx")
    assert len(load_dataset(str(tmp_path / "idx")).train) == 30
    write_npz(tmp_path / "k.npz", **keras_arrays())
    assert len(load_dataset(str(tmp_path / "k.npz")).train) == 12
    nielsen_pickle(tmp_path / "mnist.pkl.gz")
    d = load_dataset(str(tmp_path / "mnist.pkl.gz"))
    assert len(d.validation) == 8
    with pytest.raises(NnbpError, match="carries its own validation split"):
        load_dataset(str(tmp_path / "mnist.pkl.gz"), validation_size=100)


def test_known_datasets_reports_found_and_missing(isolated, monkeypatch):
    monkeypatch.setitem(data_module.DEFAULT_VALIDATION, "fashion-mnist", 10)
    write_idx_folder(isolated / "data" / "fashion-mnist", n_train=30)
    rows = {r.name: r for r in known_datasets()}
    assert rows["mnist-sample"].train == 8000
    assert rows["mnist"].where is None
    assert rows["fashion-mnist"].where == str(isolated / "data" / "fashion-mnist")
    assert (rows["fashion-mnist"].train, rows["fashion-mnist"].validation, rows["fashion-mnist"].test) == (20, 10, 10)


def test_known_datasets_never_shows_a_split_load_dataset_would_refuse(isolated):
    """A fashion-mnist folder of 30 training images cannot hold out the default 10,000 for validation."""
    write_idx_folder(isolated / "data" / "fashion-mnist", n_train=30)
    with pytest.raises(NnbpError, match="validation_size: 10000 leaves none of the 30"):
        load_dataset("fashion-mnist")
    row = {r.name: r for r in known_datasets()}["fashion-mnist"]
    assert row.train is None and "unusable: validation_size: 10000 leaves none of the 30" in row.where


def test_reading_a_dataset_imports_nothing_of_training_runs_or_the_cli():
    import subprocess
    import sys

    code = (
        "import sys, nnbp.data; nnbp.data.load_dataset('mnist-sample'); "
        "print(sorted(m for m in sys.modules if m.startswith(('nnbp.run', 'nnbp.cli', 'nnbp.training', 'click'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
