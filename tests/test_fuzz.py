"""Fuzzing the readers of untrusted input: whatever the bytes, the only exception is NnbpError."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnbp.config import build_config, read_config_file
from nnbp.errors import NnbpError
from nnbp.data.formats import load_idx_folder, load_npz, load_pickle, read_idx
from nnbp.run.weights import load_weights as load_network, network_bytes
from nnbp.network import Network
from test_formats import idx_bytes, keras_arrays, write_idx_folder

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
yaml_values = st.recursive(yaml_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)
KEYS = ["sizes", "eta", "epochs", "mini_batch_size", "seed", "dataset", "engine", "dtype", "output",
        "validation_size", "activation", "cost", "init", "lmbda", "other"]


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
    n=st.integers(0, 3), rows=st.integers(0, 3), cols=st.integers(0, 3),
    magic=st.sampled_from([2049, 2051, 2050, 0]), cut=st.integers(0, 40), extra=st.binary(max_size=3),
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
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.integers(0, len(VALID_NPZ)))
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
