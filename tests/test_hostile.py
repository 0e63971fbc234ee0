"""Every input path fed bad data: a one-line error naming what is wrong, exit 1 (bad content) or 2
(bad usage), no traceback, and no new or changed file in the working folder."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import cli_runner
from nnbp.cli import main
from nnbp.network import Network
from nnbp.run.weights import network_bytes
from test_formats import idx_bytes, keras_arrays, nielsen_pickle, write_idx_folder


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def run(tmp_path: Path, args: list[str], expected_exit: int, message: str) -> None:
    before = snapshot(tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = cli_runner().invoke(main, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == expected_exit, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)
    if expected_exit == 1:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert snapshot(tmp_path) == before, "a file was created or changed"


# --- YAML configs -----------------------------------------------------------------------------

CONFIGS = [
    ("not yaml: [", "not valid YAML at line"),
    ("", "is empty"),
    ("   \n# only a comment\n", "is empty"),
    ("- sizes\n- eta\n", "holds a list; expected a mapping"),
    ("42\n", "holds a int; expected a mapping"),
    ("eta: 1\neta: 2\n", "key 'eta' is given twice"),
    ("!!python/object/apply:os.system ['touch pwned']\n", "not valid YAML"),
    ("eta: !!python/object/apply:os.system ['touch pwned']\n", "not valid YAML"),
    ("sizes: [784, '30', 10]\n", "sizes[1]: '30' is not a whole number"),
    ("epochs: true\n", "epochs: True is not a whole number"),
    ("eta: yes\n", "eta: True is not a number"),
    ("eta: .nan\n", "eta: nan is not a positive finite"),
    ("eta: -.inf\n", "eta: -inf is not a positive finite"),
    ("lmbda: .inf\n", "lmbda: inf is not a finite"),
    ("sizes: [784, 1000000000, 10]\n", "nnbp refuses networks over"),
    ("sizes: [784, 100000, 10]\nmini_batch_size: 8000\n", "mini_batch_size: 8000 examples"),
    ("epochs: 0\n", "epochs: 0 is less than 1"),
    ("epochs: -3\n", "epochs: -3 is less than 1"),
    ("mini_batch_size: 8001\n", "mini_batch_size: 8001 is larger than the 8000 training examples"),
    ("seed: 1.5\n", "seed: 1.5 is not a whole number"),
    ("dataset: [a, b]\n", "dataset: ['a', 'b'] is not a non-empty string"),
    ("output: ''\n", "output: '' is not a non-empty string"),
    ("sizes: {a: 1}\n", "is not a list of at least 2 layer sizes"),
    ("unknown_key: 1\n", "unknown_key: unknown key"),
]


@pytest.mark.parametrize("text, message", CONFIGS)
def test_bad_configs(tmp_path, text, message):
    (tmp_path / "c.yaml").write_text(text)
    run(tmp_path, ["train", "c.yaml"], 1, message)
    assert not (tmp_path / "pwned").exists()


def test_config_that_is_not_text(tmp_path):
    (tmp_path / "c.yaml").write_bytes(b"\xff\xfe\x00binary")
    run(tmp_path, ["train", "c.yaml"], 1, "c.yaml:")


def test_config_that_is_a_folder(tmp_path):
    (tmp_path / "c.yaml").mkdir()
    run(tmp_path, ["train", "c.yaml"], 1, "c.yaml: is a directory")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "x"], "Invalid value for '--epochs': 'x' is not a whole number"),
        (["--dtype", "float16"], "'float16' is not one of"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, args, message):
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    run(tmp_path, ["train", "c.yaml", *args], 2, message)


def test_train_needs_config_or_resume(tmp_path):
    run(tmp_path, ["train"], 2, "give a CONFIG file, or --resume RUN_DIR")


# --- data files -------------------------------------------------------------------------------


def write_data(tmp_path: Path, kind: str) -> str:
    """A defective dataset of the given kind; returns the `dataset:` value that points at it."""
    folder = tmp_path / "idx"
    if kind.startswith("idx"):
        arrays = write_idx_folder(folder)
        stem = "train-images-idx3-ubyte"
        bad = {
            "idx-empty": b"",
            "idx-wrong-magic": idx_bytes(arrays[stem], magic=1234),
            "idx-wrong-dims": idx_bytes(arrays[stem][:, :, 0]),
            "idx-count": idx_bytes(arrays[stem][:-1]),
            "idx-labels": None,
        }[kind]
        if kind == "idx-labels":
            (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(
                gzip.compress(idx_bytes(arrays["t10k-labels-idx1-ubyte"] + 250)))
            return "idx"
        else:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(bad))
        return "idx"
    path = tmp_path / "d.npz"
    if kind == "npz-empty":
        path.write_bytes(b"")
    elif kind == "npz-object":
        arrays = keras_arrays()
        arrays["y_train"] = np.array([object()] * 12, dtype=object)
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    elif kind == "npz-labels":
        arrays = keras_arrays()
        arrays["y_test"] = arrays["y_test"] - 100
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    elif kind == "pickle-foreign":
        path = tmp_path / "mnist.pkl.gz"
        import pickle

        class Evil:
            def __reduce__(self):
                return (os.system, ("touch pwned",))

        path.write_bytes(gzip.compress(pickle.dumps(Evil(), protocol=2)))
    elif kind == "pickle-truncated":
        path = tmp_path / "mnist.pkl.gz"
        nielsen_pickle(path)
        path.write_bytes(path.read_bytes()[:-40])
    return path.name


DATA = [
    ("idx-empty", "ends inside the IDX header"),
    ("idx-wrong-magic", "magic number 1234 is not 2051"),
    ("idx-wrong-dims", "magic number 2050 is not 2051"),
    ("idx-count", "holds 29 images but train-labels-idx1-ubyte.gz 30 labels"),
    ("idx-labels", "the output layer has 10 neurons but the dataset 'idx' has 256 classes"),
    ("npz-empty", "d.npz: not a"),
    ("npz-object", "pickled object arrays, which nnbp refuses"),
    ("npz-labels", "negative label"),
    ("pickle-foreign", "which is not part of a numpy array; refusing to load it"),
    ("pickle-truncated", "not a readable mnist.pkl.gz"),
]


@pytest.mark.parametrize("kind, message", DATA)
def test_bad_data_files(tmp_path, kind, message, monkeypatch):
    dataset = write_data(tmp_path, kind)
    sizes = "[784, 5, 10]"
    (tmp_path / "c.yaml").write_text(f"dataset: {dataset}\nsizes: {sizes}\nepochs: 1\n")
    run(tmp_path, ["train", "c.yaml"], 1, message)
    assert not (tmp_path / "pwned").exists()


def test_idx_labels_out_of_range_for_a_named_dataset(tmp_path, monkeypatch):
    from nnbp import data as data_module

    arrays = write_idx_folder(tmp_path / "data" / "mnist")
    (tmp_path / "data" / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(arrays["train-labels-idx1-ubyte"] + 5)))
    monkeypatch.setattr(data_module, "data_folders", lambda name: [tmp_path / "data" / name])
    (tmp_path / "c.yaml").write_text("dataset: mnist\nvalidation_size: 0\nepochs: 1\n")
    run(tmp_path, ["train", "c.yaml"], 1, "holds the label 14; expected 0 … 9")


def test_truncated_gzip_dataset(tmp_path):
    write_idx_folder(tmp_path / "idx")
    path = tmp_path / "idx" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-500])
    (tmp_path / "c.yaml").write_text("dataset: idx\nsizes: [784, 5, 10]\n")
    run(tmp_path, ["train", "c.yaml"], 1, "train-images-idx3-ubyte.gz")


# --- weights files ----------------------------------------------------------------------------


def weights_variant(kind: str) -> bytes:
    network = Network.initialise([784, 5, 10], np.random.default_rng(0))
    good = network_bytes(network, {"config": {"dataset": "mnist-sample"}})
    if kind == "not-zip":
        return b"plain text"
    if kind == "truncated":
        return good[: len(good) // 2]
    with np.load(io.BytesIO(good), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    if kind == "missing":
        del arrays["weights_1"]
    elif kind == "shapes":
        arrays["weights_0"] = np.zeros((5, 700))
    elif kind == "meta-not-json":
        arrays["meta"] = np.asarray("{{{")
    elif kind == "newer":
        meta["format"] = 99
        arrays["meta"] = np.asarray(json.dumps(meta))
    elif kind == "object":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for k, v in arrays.items():
                if k == "biases_0":
                    v = np.array([object()] * 5, dtype=object).reshape(5, 1)
                member = io.BytesIO()
                np.lib.format.write_array(member, v, allow_pickle=True)
                z.writestr(f"{k}.npy", member.getvalue())
        return buffer.getvalue()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


WEIGHTS = [
    ("not-zip", "w.npz: not an nnbp weights file (not an .npz archive)"),
    ("truncated", "w.npz:"),
    ("missing", "missing array 'weights_1'"),
    ("shapes", "weights_0 has shape (5, 700)"),
    ("meta-not-json", "meta: not valid JSON"),
    ("newer", "weights format 99 is not the format 1"),
    ("object", "pickled object arrays"),
]


@pytest.mark.parametrize("kind, message", WEIGHTS)
def test_bad_weights_files(tmp_path, kind, message):
    (tmp_path / "w.npz").write_bytes(weights_variant(kind))
    run(tmp_path, ["eval", "w.npz"], 1, message)


@pytest.mark.parametrize("kind, message", WEIGHTS[:3])
def test_bad_weights_for_gradcheck(tmp_path, kind, message):
    (tmp_path / "w.npz").write_bytes(weights_variant(kind))
    (tmp_path / "c.yaml").write_text("sizes: [784, 5, 10]\n")
    run(tmp_path, ["gradcheck", "c.yaml", "--weights", "w.npz"], 1, message)


def test_resume_of_something_that_is_not_a_run(tmp_path):
    (tmp_path / "run").mkdir()
    run(tmp_path, ["train", "--resume", "run"], 1, "run: holds no weights.npz; is this a run folder?")
    network = Network.initialise([784, 5, 10], np.random.default_rng(0))
    (tmp_path / "run" / "weights.npz").write_bytes(network_bytes(network, {"config": {}}))
    run(tmp_path, ["train", "--resume", "run"], 1, "holds no checkpoint")


def test_resume_refuses_other_changes(tmp_path):
    run(tmp_path, ["train", "--resume", "run", "--eta", "1"], 2, "--eta cannot be changed when resuming")


def test_weights_whose_meta_config_is_not_a_mapping(tmp_path):
    network = Network.initialise([784, 5, 10], np.random.default_rng(0))
    (tmp_path / "w.npz").write_bytes(network_bytes(network, {"config": [1, 2]}))
    run(tmp_path, ["eval", "w.npz"], 1, "records no dataset; pass --dataset")
