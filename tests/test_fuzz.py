"""Fuzzing the readers of untrusted input: whatever the bytes, the only exception is NnbpError."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import idx_bytes, keras_arrays, write_idx_folder
from nnbp.config import build_config, read_config_file
from nnbp.data.formats import load_idx_folder, load_npz, load_pickle, read_idx
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.weights import load_weights as load_network
from nnbp.run.weights import network_bytes

pytestmark = pytest.mark.slow  # property-based: hundreds of cases each

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = [
    "sizes",
    "eta",
    "epochs",
    "mini_batch_size",
    "seed",
    "dataset",
    "engine",
    "dtype",
    "output",
    "validation_size",
    "activation",
    "cost",
    "init",
    "lmbda",
    "other",
]


def only_nnbp_errors(call) -> None:
    try:
        call()
    except NnbpError as e:
        assert str(e) and "\n" not in str(e)


@FUZZ
@given(text=st.text(max_size=200))
def test_config_loader_on_any_text(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    only_nnbp_errors(lambda: build_config(read_config_file(path), {}, str(path)))


@FUZZ
@given(mapping=st.dictionaries(st.sampled_from(KEYS), yaml_values, max_size=6))
def test_config_loader_on_any_mapping_of_keys(tmp_path, mapping):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(mapping))
    only_nnbp_errors(lambda: build_config(read_config_file(path), {}, str(path)))


@FUZZ
@given(data=st.binary(max_size=64), gz=st.booleans(), kind=st.sampled_from(["images", "labels"]))
def test_idx_reader_on_any_bytes(tmp_path, data, gz, kind):
    path = tmp_path / ("f.gz" if gz else "f")
    path.write_bytes(gzip.compress(data) if gz else data)
    only_nnbp_errors(lambda: read_idx(path, kind))


@FUZZ
@given(
    n=st.integers(0, 3),
    rows=st.integers(0, 3),
    cols=st.integers(0, 3),
    magic=st.sampled_from([2049, 2051, 2050, 0]),
    cut=st.integers(0, 40),
    extra=st.binary(max_size=3),
)
def test_idx_reader_on_near_valid_headers(tmp_path, n, rows, cols, magic, cut, extra):
    data = idx_bytes(np.zeros((n, rows, cols), np.uint8), magic=magic)
    data = data[: max(0, len(data) - cut)] + extra
    path = tmp_path / "f"
    path.write_bytes(data)
    only_nnbp_errors(lambda: read_idx(path, "images"))


@FUZZ
@given(data=st.binary(max_size=300))
def test_npz_dataset_reader_on_any_bytes(tmp_path, data):
    path = tmp_path / "d.npz"
    path.write_bytes(data)
    only_nnbp_errors(lambda: load_npz(path))


def valid_npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **keras_arrays(n_train=3, n_test=2, shape=(2, 2)))
    return buffer.getvalue()


VALID_NPZ = valid_npz_bytes()
VALID_WEIGHTS = network_bytes(Network.initialise([3, 2], np.random.default_rng(0)), {})


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, len(VALID_NPZ)),
)
def test_npz_dataset_reader_on_corrupted_files(tmp_path, flips, cut):
    data = bytearray(VALID_NPZ[:cut] if cut else VALID_NPZ)
    for i, b in flips:
        if i < len(data):
            data[i] = b
    path = tmp_path / "d.npz"
    path.write_bytes(bytes(data))
    only_nnbp_errors(lambda: load_npz(path))


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID_WEIGHTS) - 1), st.integers(0, 255)), min_size=1, max_size=6))
def test_weights_reader_on_corrupted_files(tmp_path, flips):
    data = bytearray(VALID_WEIGHTS)
    for i, b in flips:
        data[i] = b
    path = tmp_path / "w.npz"
    path.write_bytes(bytes(data))
    only_nnbp_errors(lambda: load_network(path))


@FUZZ
@given(data=st.binary(max_size=200))
def test_pickle_reader_on_any_bytes(tmp_path, data):
    path = tmp_path / "m.pkl.gz"
    path.write_bytes(gzip.compress(data))
    only_nnbp_errors(lambda: load_pickle(path))


@pytest.mark.parametrize("stem", ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
@FUZZ
@given(data=st.binary(max_size=40))
def test_idx_folder_with_one_file_replaced(tmp_path_factory, stem, data):
    folder = tmp_path_factory.mktemp("idx")
    write_idx_folder(folder, n_train=3, n_test=2)
    (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
    only_nnbp_errors(lambda: load_idx_folder(folder))


# --- structured generators: YAML, a checkpoint's JSON meta, pickles of any structure ------------------

BOUNDED = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_scalar_text = st.one_of(
    st.from_regex(r"-?[0-9]{1,600}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(
        [
            "true",
            "no",
            "null",
            "~",
            ".nan",
            "-.inf",
            "'x'",
            '"a\\0b"',
            "*a",
            "*b",
            "!!binary aGk=",
            "!!python/object/apply:os.system ['touch pwned']",
            "!!float 1e400",
            "0x_ff",
            "0o777",
        ]
    ),
    st.text(alphabet="abc_-~/. ", max_size=12),
)
yaml_text = st.recursive(
    yaml_scalar_text,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(inner, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"? {k} : {v}" for k, v in kv) + "}"
        ),
        st.tuples(st.sampled_from(["a", "b"]), inner).map(lambda t: f"&{t[0]} {t[1]}"),
    ),
    max_leaves=30,
)


@BOUNDED
@given(
    lines=st.lists(st.tuples(st.sampled_from(KEYS) | yaml_text, yaml_text), min_size=1, max_size=5),
    depth=st.integers(0, 3000),
)
def test_config_loader_on_hostile_yaml(tmp_path, lines, depth):
    """Anchors and aliases, flows nested thousands deep, numbers of hundreds of digits, lists as keys."""
    text = "".join(f"{k}: {v}\n" for k, v in lines) + ("deep: " + "[" * depth + "]" * depth + "\n" if depth else "")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    only_nnbp_errors(lambda: build_config(read_config_file(path), {}, str(path)))
    assert not (tmp_path / "pwned").exists()


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**130),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def checkpoint_meta() -> tuple[dict, dict]:
    """The arrays and JSON meta of a real checkpoint: a two-epoch run of a tiny network."""
    import tempfile
    from pathlib import Path

    from nnbp.config import TrainConfig
    from nnbp.data.dataset import Dataset, Split
    from nnbp.run import Run

    rng = np.random.default_rng(0)
    split = Split(rng.integers(0, 256, (20, 3), dtype=np.uint8), rng.integers(0, 2, 20))
    dataset = Dataset("fuzz", split, split, 2, 1 / 255)
    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(
            sizes=(3, 2, 2), epochs=2, mini_batch_size=7, output=str(Path(tmp) / "run"), diagnostics=True
        )
        with Run.start(config, dataset) as run:
            run.train(dataset)
        with np.load(Path(tmp) / "run" / "weights.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    import json

    return arrays, json.loads(str(arrays.pop("meta")))


CHECKPOINT_ARRAYS, CHECKPOINT_META = checkpoint_meta()


def meta_paths(node, prefix=()):
    """Every path into a JSON value: the places a mutation can land."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from meta_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from meta_paths(v, prefix + (i,))


META_PATHS = [p for p in meta_paths(CHECKPOINT_META) if p]


@BOUNDED
@given(edits=st.lists(st.tuples(st.sampled_from(META_PATHS), json_values, st.booleans()), min_size=1, max_size=4))
def test_resume_on_a_checkpoint_with_any_meta_edits(tmp_path, edits):
    """A field replaced by any JSON value, or deleted: resuming gives a one-line NnbpError or works."""
    import copy
    import json

    from nnbp.run import RunFolder

    meta = copy.deepcopy(CHECKPOINT_META)
    for path, value, delete in edits:
        node = meta
        try:
            for key in path[:-1]:
                node = node[key]
            if delete:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the way there
    (tmp_path / "run").mkdir(exist_ok=True)  # hypothesis reuses tmp_path across examples
    buffer = io.BytesIO()
    np.savez(buffer, **CHECKPOINT_ARRAYS, meta=np.asarray(json.dumps(meta)))
    (tmp_path / "run" / "weights.npz").write_bytes(buffer.getvalue())

    def resume():
        with RunFolder.open(tmp_path / "run") as folder:
            folder.load_checkpoint(epochs=5)

    only_nnbp_errors(resume)


python_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(max_size=6),
        st.binary(max_size=8),
        st.builds(
            lambda n, d: np.zeros(n, dtype=d),
            st.integers(0, 5),
            st.sampled_from(["f4", "f8", "i8", "u1", "b1", "c8", "U3", "O"]),
        ),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@BOUNDED
@given(value=python_values, shared=st.integers(1, 50), protocol=st.sampled_from([2, 4]))
def test_pickle_reader_on_pickles_of_any_structure(tmp_path, value, shared, protocol):
    """Any nesting of tuples, lists, dicts and numpy arrays (object arrays among them), shared many times."""
    import pickle

    path = tmp_path / "m.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(((value,) * shared, (value, value), value), protocol=protocol)))
    only_nnbp_errors(lambda: load_pickle(path))
