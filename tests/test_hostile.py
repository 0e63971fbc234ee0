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

from helpers import cli_runner, idx_bytes, keras_arrays, nielsen_pickle, write_idx_folder
from nnbp.cli import main
from nnbp.network import Network
from nnbp.run.weights import network_bytes


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


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
    ("sizes: [784, 1000000000, 10]\n", "would need at least 5,923.21 GiB for its weights and gradient"),
    (
        "sizes: [784, 100000, 10]\nmini_batch_size: 8000\n",
        "sizes [784, 100000, 10] with mini_batch_size 8000 on 'mnist-sample' would need about 25.42 GiB; the limit",
    ),
    ("sizes: [784, 333333, 333333, 10]\n", "would need at least 829.82 GiB"),
    ("sizes: [784" + ", 1" * 1000 + "]\n", "is not a list of 2 to 1000 layer sizes"),
    ("epochs: 0\n", "epochs: 0 is less than 1"),
    ("epochs: -3\n", "epochs: -3 is less than 1"),
    ("mini_batch_size: 8001\n", "mini_batch_size: 8001 is larger than the 8000 training examples"),
    ("seed: 1.5\n", "seed: 1.5 is not a whole number"),
    ("dataset: [a, b]\n", "dataset: ['a', 'b'] is not a non-empty string"),
    ("output: ''\n", "output: '' is not a non-empty string"),
    ("sizes: {a: 1}\n", "is not a list of 2 to 1000 layer sizes"),
    ("unknown_key: 1\n", "unknown key 'unknown_key'"),
    ("x" * 500 + ": 1\n", "unknown key '" + "x" * 60 + "'"),
    # what could take memory, time or a traceback before: aliases, nesting, numbers, keys
    (
        "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\neta: *b\n",
        "line 2: YAML aliases (*name) are not accepted",
    ),
    ("eta: " + "[" * 5000 + "]" * 5000 + "\n", "line 1: nested more than 8 levels deep"),
    ("eta: {a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}}\n", "nested more than 8 levels deep"),
    ("eta: 1" + "0" * 400 + "\n", "... is too large a number"),
    ("epochs: " + "1" * 5000 + "\n", "holds a number nnbp cannot read (Exceeds the limit (4300 digits)"),
    ("epochs: 99999999999999999999\n", "epochs: 99999999999999999999 is larger than 9223372036854775807"),
    ("seed: 18446744073709551616\n", "seed: 18446744073709551616 is larger than"),
    ("? [1, 2]\n: 3\n", "line 1: a list cannot be a key"),
    ("? {a: 1}\n: 3\n", "line 1: a dict cannot be a key"),
    ('output: "a\\0b"\n', "output: cannot create"),
    ("output: " + "d" * 300 + "\n", "(a name too long for the file system)"),
    ("dataset: " + "d" * 5000 + ".npz\n", "a name too long for the file system"),
    ('dataset: "x\\0y.npz"\n', "dataset: 'x\\x00y.npz' is neither a known dataset"),
]


@pytest.mark.parametrize("text, message", CONFIGS, ids=[text[:40] for text, _ in CONFIGS])
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
            "idx-huge-header": idx_bytes(arrays[stem][:1, :1, :1])[:4] + b"\xff" * 12 + b"\0" * 10,
            "idx-header-vs-size": idx_bytes(arrays[stem][:1])[:4]
            + (30).to_bytes(4, "big")
            + idx_bytes(arrays[stem][:1])[8:],
        }[kind]
        if kind in ("idx-huge-header", "idx-header-vs-size"):  # uncompressed: the header is checked against the file
            (folder / f"{stem}.gz").unlink()
            (folder / stem).write_bytes(bad)
            return "idx"
        if kind == "idx-labels":
            (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(
                gzip.compress(idx_bytes(arrays["t10k-labels-idx1-ubyte"] + 250))
            )
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
    elif kind.startswith("npz-label-"):
        arrays = keras_arrays()
        key, value = {"npz-label-2**64-1": ("y_test", 2**64 - 1), "npz-label-2**63": ("y_train", 2**63)}[kind]
        arrays[key] = arrays[key].astype(np.uint64)
        arrays[key][0] = value
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    elif kind.startswith("pickle-"):
        path = tmp_path / "mnist.pkl.gz"
        path.write_bytes(gzip.compress(hostile_pickle(kind)))
    return path.name


def hostile_pickle(kind: str) -> bytes:
    """Small pickles that once asked for gigabytes or minutes, or held what is not an array."""
    import pickle
    import struct

    labels = np.arange(4)
    if kind == "pickle-ndarray-call":  # numpy.ndarray((300000, 784)): an allocation the pickle names
        return b"\x80\x02cnumpy\nndarray\nJ\xe0\x93\x04\x00M\x10\x03\x86\x85R."
    if kind == "pickle-shared-rows":  # one row referenced 400,000 times: tiny pickle, 2.5 GB as an array
        row = [0.5] * 784
        return pickle.dumps((([row] * 400_000, labels),) * 3, protocol=2)
    if kind == "pickle-nested-shared":  # 10^30 elements, 300 references
        nested: list = [0.5] * 10
        for _ in range(30):
            nested = [nested] * 10
        return pickle.dumps(((nested, labels),) * 3, protocol=2)
    if kind == "pickle-ragged":
        return pickle.dumps((([[0.5, 0.5], [0.5]], labels),) * 3, protocol=2)
    if kind == "pickle-bytes-claim":  # a byte string of 2^40 bytes, announced and never delivered
        return b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"xx."
    if kind == "pickle-bytes-claim-3G":  # 3 GiB announced (the test sets NNBP_MAX_MEMORY=2G)
        return b"\x80\x04\x8e" + struct.pack("<Q", 3 * 2**30) + b"xx."
    if kind == "pickle-object-array":
        return pickle.dumps(((np.array([1, "a"], dtype=object), labels),) * 3, protocol=2)
    raise AssertionError(kind)


DATA = [
    ("idx-empty", "ends inside the IDX header"),
    ("idx-wrong-magic", "magic number 1234 is not 2051"),
    ("idx-wrong-dims", "magic number 2050 is not 2051"),
    ("idx-count", "holds 29 images but train-labels-idx1-ubyte.gz 30 labels"),
    ("idx-labels", "the output layer has 10 neurons but the dataset 'idx' has 256 classes"),
    ("npz-empty", "d.npz: not a"),
    ("npz-object", "pickled object arrays, which nnbp refuses"),
    ("npz-labels", "negative label"),
    ("pickle-foreign", "refused: it names posix.system, which is not part of a numpy array"),
    ("pickle-truncated", "not a readable mnist.pkl.gz"),
    ("idx-huge-header", "its header promises 79,228,162,458,924,105,385,300,197,375 bytes, more than the memory limit"),
    ("idx-header-vs-size", "its header promises 23,520 bytes but the file holds 784"),
    ("npz-label-2**64-1", "y_test holds the label 18446744073709551615; nnbp takes at most 100,000 classes"),
    ("npz-label-2**63", "y_train holds the label 9223372036854775808; nnbp takes at most 100,000 classes"),
    ("pickle-ndarray-call", "refused: the pickle calls numpy.ndarray directly"),
    ("pickle-shared-rows", "expected (training, validation, test) pairs of numpy arrays"),
    ("pickle-nested-shared", "expected (training, validation, test) pairs of numpy arrays"),
    ("pickle-ragged", "expected (training, validation, test) pairs of numpy arrays"),
    ("pickle-bytes-claim", "refused: it claims more memory than this machine has"),
    ("pickle-bytes-claim-3G", "refused: it holds more than 2.00 GiB, the memory limit"),
    ("pickle-object-array", "refused: the dtype 'O8' is not a plain number type"),
]


@pytest.mark.parametrize("kind, message", DATA)
def test_bad_data_files(tmp_path, kind, message, monkeypatch):
    """Each is refused in one line, quickly, without reaching for the memory it names."""
    import resource
    import time

    if kind == "pickle-bytes-claim-3G":
        monkeypatch.setenv("NNBP_MAX_MEMORY", "2G")
    dataset = write_data(tmp_path, kind)
    (tmp_path / "c.yaml").write_text(f"dataset: {dataset}\nsizes: [784, 5, 10]\nepochs: 1\n")
    start, peak = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run(tmp_path, ["train", "c.yaml"], 1, message)
    assert not (tmp_path / "pwned").exists()
    assert time.perf_counter() - start < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200 * 1024  # KiB: no new peak of 200 MB


def test_idx_labels_out_of_range_for_a_named_dataset(tmp_path, monkeypatch):
    from nnbp.data import catalog as data_module

    arrays = write_idx_folder(tmp_path / "data" / "mnist")
    (tmp_path / "data" / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(arrays["train-labels-idx1-ubyte"] + 5))
    )
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


# --- checkpoints edited by hand ----------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> bytes:
    """The weights.npz of a real, finished one-epoch run (resumed below with --epochs 2)."""
    folder = tmp_path_factory.mktemp("checkpoint")
    (folder / "c.yaml").write_text(f"sizes: [784, 5, 10]\nepochs: 1\nmini_batch_size: 100\noutput: {folder / 'run'}\n")
    assert cli_runner().invoke(main, ["train", str(folder / "c.yaml"), "-q"]).exit_code == 0
    return (folder / "run" / "weights.npz").read_bytes()


def edit_meta(weights: bytes, edit) -> bytes:
    with np.load(io.BytesIO(weights), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    edit(meta)
    arrays["meta"] = np.asarray(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _set(path: str, value):
    """An edit that sets meta[path] (keys separated by '/', list indices as numbers) to value."""

    def edit(meta):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        node = meta
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


CHECKPOINT_EDITS = [
    ("config/colour", 1, "meta: config: unknown key 'colour'"),
    ("config/eta", "fast", "meta: config: eta: 'fast' is not a number"),
    ("config/sizes", [784, 6, 10], "the network does not match the recorded config"),
    ("checkpoint", [1, 2], "holds no checkpoint"),
    ("checkpoint/rng_state/state/state", 2**200, "rng_state: not the state of numpy's PCG64 generator"),
    ("checkpoint/rng_state/state/inc", -1, "rng_state: not the state of numpy's PCG64 generator"),
    ("checkpoint/rng_state/bit_generator", "MT19937", "rng_state: not the state of numpy's PCG64 generator"),
    ("checkpoint/rng_state", None, "rng_state: not the state of numpy's PCG64 generator"),
    ("checkpoint/history/epochs/0/cost", "x", "history: epochs[0]: cost: 'x' is not a finite number"),
    ("checkpoint/history/epochs/0/epoch", 5, "history: epochs[0]: epoch is 5, expected 1"),
    ("checkpoint/history/epochs/0/correct", 10**6, "history: epochs[0]: correct: 1000000 is more than the total"),
    ("checkpoint/history/epochs/0/shoe_size", 44, "history: epochs[0]: unknown field 'shoe_size'"),
    ("checkpoint/history/evaluated_on", "training", "history: evaluated_on: 'training' is not one of"),
    ("checkpoint/history/epochs", {"a": 1}, "history: epochs: is a dict, expected a list"),
    ("checkpoint/history/test", {"cost": None}, "history: test: missing field 'accuracy'"),
]


@pytest.mark.parametrize("path, value, message", CHECKPOINT_EDITS, ids=[p for p, _, _ in CHECKPOINT_EDITS])
def test_an_edited_checkpoint_is_refused_in_one_line(tmp_path, finished_run, path, value, message):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "weights.npz").write_bytes(edit_meta(finished_run, _set(path, value)))
    run(tmp_path, ["train", "--resume", "run", "--epochs", "2"], 1, message)


# --- the rest of what a user may hand over ------------------------------------------------------


def test_a_config_that_is_not_a_regular_file_is_refused_at_once(tmp_path):
    run(tmp_path, ["train", "/dev/zero"], 1, "/dev/zero: is a character device, not a YAML config file")


def test_a_config_too_large_to_be_one_is_refused_unread(tmp_path):
    (tmp_path / "c.yaml").write_text("# " + "x" * (2 << 20) + "\n")
    run(tmp_path, ["train", "c.yaml"], 1, "c.yaml: is larger than 1,048,576 bytes")


def test_ctrl_c_while_the_dataset_loads_exits_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("nnbp.run.setup.load_dataset", interrupted)
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    run(tmp_path, ["train", "c.yaml"], 130, "Stopped by SIGINT")


def test_an_error_nnbp_did_not_foresee_is_one_line_and_a_bug_report(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("something nnbp got wrong")

    monkeypatch.setattr("nnbp.run.setup.load_dataset", broken)
    monkeypatch.delenv("NNBP_DEBUG", raising=False)
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    run(tmp_path, ["train", "c.yaml"], 1, "unexpected TypeError: something nnbp got wrong — a bug in nnbp")


def test_a_tilde_in_paths_means_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "c.yaml").write_text("sizes: [784, 5, 10]\nepochs: 1\nmini_batch_size: 200\noutput: ~/runs/t\n")
    result = cli_runner().invoke(main, ["train", str(tmp_path / "c.yaml"), "-q"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "home" / "runs" / "t" / "weights.npz").is_file() and not Path("~").exists()


def test_bad_environment_values_are_one_line(tmp_path, monkeypatch):
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    monkeypatch.setenv("NNBP_MAX_MEMORY", "a lot")
    run(tmp_path, ["train", "c.yaml"], 1, "NNBP_MAX_MEMORY: 'a lot' is not a positive size")
    monkeypatch.setenv("NNBP_MAX_MEMORY", "4G")
    monkeypatch.setenv("NNBP_DATA_DIR", "/" + "x" * 5000)
    monkeypatch.setenv("XDG_CACHE_HOME", "/" + "y" * 5000)
    (tmp_path / "c.yaml").write_text("dataset: mnist\nepochs: 1\n")
    from nnbp.data import catalog as data_module

    monkeypatch.setattr(data_module, "data_folders", lambda name: [Path("/" + "x" * 5000) / name])
    result = cli_runner().invoke(main, ["data", "list"])
    assert result.exit_code == 0 and "mnist" in result.stdout, result.stderr


def test_json_output_is_strict_json():
    """A cost that overflowed would print as null, never as a bare NaN or Infinity."""
    from nnbp.cli.text import strict_json

    assert (
        strict_json({"cost": float("nan"), "x": [float("inf"), 1.5], "n": 3})
        == '{"cost": null, "x": [null, 1.5], "n": 3}'
    )


@pytest.fixture(scope="module")
def momentum_run(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("momentum")
    (folder / "c.yaml").write_text(
        f"sizes: [784, 5, 10]\nepochs: 1\nmini_batch_size: 100\nmomentum: 0.9\noutput: {folder / 'run'}\n"
    )
    assert cli_runner().invoke(main, ["train", str(folder / "c.yaml"), "-q"]).exit_code == 0
    return (folder / "run" / "weights.npz").read_bytes()


@pytest.mark.parametrize(
    "change, message",
    [
        ("nan", "velocity_weights_0 is not finite float64 of shape (5, 784)"),
        ("shape", "velocity_weights_0 is not float64 of shape (5, 784)"),
        ("missing", "missing array 'velocity_weights_0'"),
    ],
)
def test_a_checkpoints_velocities_are_checked(tmp_path, momentum_run, change, message):
    with np.load(io.BytesIO(momentum_run), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if change == "missing":
        del arrays["velocity_weights_0"]
    else:
        arrays["velocity_weights_0"] = np.full((5, 784), np.nan) if change == "nan" else np.zeros((784, 5))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "weights.npz").write_bytes(buffer.getvalue())
    run(tmp_path, ["train", "--resume", "run", "--epochs", "2"], 1, message)
