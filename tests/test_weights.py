from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.weights import load_weights as load_network
from nnbp.run.weights import network_bytes
from nnbp.run.weights import save_weights as save_network


@pytest.fixture
def network() -> Network:
    return Network.initialise([5, 4, 3], np.random.default_rng(0))


def test_round_trip_is_exact(tmp_path, network):
    path = tmp_path / "weights.npz"
    save_network(path, network, {"config": {"dataset": "x"}})
    loaded, meta = load_network(path)
    assert loaded.sizes == [5, 4, 3]
    for a, b in zip(loaded.weights + loaded.biases, network.weights + network.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert meta["activation"] == ["sigmoid", "sigmoid"] and meta["cost"] == "quadratic"
    assert meta["format"] == 1
    assert meta["config"] == {"dataset": "x"}


def test_round_trip_keeps_each_layers_activation_and_the_cost(tmp_path):
    from nnbp.activations import ACTIVATIONS
    from nnbp.costs import LOG_LIKELIHOOD

    sigmas = (ACTIVATIONS["relu"], ACTIVATIONS["tanh"], ACTIVATIONS["softmax"])
    network = Network.initialise([5, 4, 4, 3], np.random.default_rng(1), sigmas=sigmas, cost=LOG_LIKELIHOOD)
    save_network(tmp_path / "w.npz", network, {})
    loaded, meta = load_network(tmp_path / "w.npz")
    assert loaded.sigmas == sigmas and loaded.cost is LOG_LIKELIHOOD
    assert meta["activation"] == ["relu", "tanh", "softmax"]
    X = np.random.default_rng(2).random((5, 8))
    np.testing.assert_array_equal(loaded.feedforward(X), network.feedforward(X))


def test_layout_is_plain_npz_readable_without_nnbp(tmp_path, network):
    path = tmp_path / "weights.npz"
    save_network(path, network, {})
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["biases_0", "biases_1", "meta", "sizes", "weights_0", "weights_1"]
        assert npz["sizes"].tolist() == [5, 4, 3]
        assert npz["weights_1"].shape == (3, 4) and npz["biases_1"].shape == (3, 1)
        assert json.loads(str(npz["meta"]))["activation"] == ["sigmoid", "sigmoid"]


def test_save_writes_exactly_the_path_given(tmp_path, network):
    save_network(tmp_path / "w", network, {})
    assert [p.name for p in tmp_path.iterdir()] == ["w"]


def rewrite(network: Network, **changes) -> bytes:
    """A weights file with some arrays replaced (None deletes one)."""
    with np.load(io.BytesIO(network_bytes(network, {})), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for k, v in changes.items():
        if v is None:
            del arrays[k]
        else:
            arrays[k] = v
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


META = json.dumps({"format": 1, "activation": "sigmoid", "cost": "quadratic"})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"weights_1": None}, "missing array 'weights_1'"),
        ({"weights_0": np.zeros((4, 6))}, "weights_0 has shape (4, 6)"),
        ({"biases_1": np.zeros((3,))}, "biases_1 has shape (3,)"),
        ({"meta": np.asarray("{not json")}, "meta: not valid JSON"),
        ({"meta": np.asarray('{"a": NaN}')}, "meta: not plain JSON (NaN is not a JSON number)"),
        pytest.param({"meta": np.asarray("[" * 100_000 + "]" * 100_000)}, "meta: nested too deeply", id="deep"),
        ({"meta": np.asarray(7)}, "'meta' is not a JSON string"),
        ({"meta": np.asarray("[1, 2]")}, "'meta' is not a JSON object"),
        ({"meta": np.asarray(META.replace('"format": 1', '"format": 2'))}, "weights format 2 is not"),
        ({"meta": np.asarray(META.replace("sigmoid", "swish"))}, "meta: activation 'swish' is not one of"),
        ({"meta": np.asarray(META.replace('"sigmoid"', '["sigmoid"]'))}, "for each of the 2 layers"),
        ({"meta": np.asarray(META.replace("quadratic", "hinge"))}, "meta: cost 'hinge' is not one of"),
        ({"meta": np.asarray(META.replace('"quadratic"', '["quadratic"]'))}, "meta: cost ['quadratic'] is not one of"),
        (
            {"meta": np.asarray(META[:-1] + ', "input_scale": -1}')},
            "meta: input_scale is not positive finite numbers, 1 or 5 of them",
        ),
        ({"weights_1": np.full((3, 4), np.nan)}, "weights_1 holds NaN or infinite values"),
        ({"biases_0": np.zeros((4, 1), np.float32)}, "biases_0 has shape (4, 1) and dtype float32"),
        ({"sizes": np.array([5, 0, 3])}, "'sizes' is not a list of 2 to 1000 positive layer sizes"),
        ({"sizes": None}, "not an nnbp weights file"),
        ({"sizes": np.array([5.0, 4.0, 3.0])}, "'sizes' is not a list"),
        ({"weights_0": np.array([object()] * 20, dtype=object).reshape(4, 5)}, "pickled object arrays"),
    ],
)
def test_defective_weights_files_are_named(tmp_path, network, changes, message):
    path = tmp_path / "w.npz"
    path.write_bytes(rewrite(network, **changes))
    with pytest.raises(NnbpError) as e:
        load_network(path)
    assert message in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize("cut", [0, 10, 500, -100])
def test_truncated_or_foreign_files(tmp_path, network, cut):
    path = tmp_path / "w.npz"
    path.write_bytes(network_bytes(network, {})[:cut])
    with pytest.raises(NnbpError, match="w.npz"):
        load_network(path)


def test_a_zip_that_is_not_an_npz(tmp_path):
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(NnbpError, match="not an nnbp weights file"):
        load_network(path)


def test_missing_file(tmp_path):
    with pytest.raises(NnbpError, match="no such file"):
        load_network(tmp_path / "absent.npz")
