"""Every allowed activation × cost passes the gradient check, and the engines agree on each."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbp.gradcheck as gradcheck_module
from helpers import cli_runner
from nnbp.activations import ACTIVATIONS
from nnbp.backprop import backprop
from nnbp.cli import main
from nnbp.costs import COSTS
from nnbp.gradcheck import gradcheck, noise_floor
from nnbp.network import Network, check_layers
from nnbp.per_example import backprop_per_example

HIDDEN = ["sigmoid", "tanh", "relu", "linear"]
OUTPUTS = {
    "quadratic": ["sigmoid", "tanh", "relu", "linear"],
    "cross-entropy": ["sigmoid"],
    "log-likelihood": ["softmax"],
}
COMBINATIONS = [(cost, out) for cost, outs in OUTPUTS.items() for out in outs]


def network_and_batch(sizes, hidden, output, cost, m, seed, init="scaled"):
    rng = np.random.default_rng(seed)
    sigmas = tuple(ACTIVATIONS[h] for h in hidden) + (ACTIVATIONS[output],)
    network = Network.initialise(sizes, rng, sigmas=sigmas, cost=COSTS[cost], init=init)
    X = rng.random((sizes[0], m))
    Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
    return network, X, Y


@pytest.mark.parametrize("cost, output", COMBINATIONS)
@settings(max_examples=12, deadline=None)
@given(
    hidden_sizes=st.lists(st.integers(1, 6), min_size=0, max_size=2),
    n_in=st.integers(1, 6),
    n_out=st.integers(2, 5),
    m=st.integers(1, 9),
    hidden=st.lists(st.sampled_from(HIDDEN), min_size=2, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_gradient_check_passes_for_every_combination(cost, output, hidden_sizes, n_in, n_out, m, hidden, seed):
    sizes = [n_in, *hidden_sizes, n_out]
    network, X, Y = network_and_batch(sizes, hidden[: len(sizes) - 2], output, cost, m, seed)
    result = gradcheck(network, X, Y, repeats=1)
    assert result.passed, (sizes, hidden, output, cost, result.max_rel_error)
    assert result.n_checked == result.n_params


@pytest.mark.parametrize("cost, output", COMBINATIONS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_matrix_and_loop_engines_agree_for_every_combination(cost, output, hidden):
    network, X, Y = network_and_batch([7, 5, 4, 3], [hidden, hidden], output, cost, 6, seed=1)
    matrix = backprop(network, X, Y)
    loop = backprop_per_example(network, X, Y)
    for a, b in zip(matrix[0] + matrix[1], loop[0] + loop[1]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


def test_a_wrong_gradient_fails_the_check(monkeypatch):
    network, X, Y = network_and_batch([5, 4, 3], ["sigmoid"], "sigmoid", "quadratic", 7, seed=2, init="normal")
    assert gradcheck(network, X, Y, repeats=1).passed

    def off_by_one_percent(network, X, Y, workspaces=None, masks=None):
        nabla_b, nabla_w = backprop(network, X, Y, workspaces, masks)
        nabla_b[1] *= 1.01
        return nabla_b, nabla_w

    monkeypatch.setattr(gradcheck_module, "backprop", off_by_one_percent)
    result = gradcheck(network, X, Y, repeats=1)
    assert not result.passed
    assert result.layers[1].biases_max_rel_error == pytest.approx(0.01 / 1.01, rel=1e-3)
    assert result.layers[0].weights_max_rel_error < 1e-6


def test_sampling_checks_every_layer_and_extrapolates_the_timing():
    network, X, Y = network_and_batch([40, 30, 10], ["sigmoid"], "sigmoid", "quadratic", 5, seed=3)
    result = gradcheck(network, X, Y, n_params=200, repeats=1)
    assert result.extrapolated and result.n_params == 40 * 30 + 30 + 30 * 10 + 10
    assert all(c.weights_checked >= 10 and c.biases_checked >= 10 for c in result.layers)
    assert 150 <= result.n_checked <= 260
    assert result.finite_difference_seconds == pytest.approx(2 * result.n_params * result.forward_seconds)
    assert result.speedup > 1


def test_noise_floor_follows_rounding_error_of_the_difference_quotient():
    assert noise_floor(1.0, 1e-6, 1e-5) == pytest.approx(10 * 2.220446049250313e-16 / 1e-6 / 1e-5)
    assert noise_floor(100.0, 1e-6, 1e-5) == pytest.approx(100 * noise_floor(1.0, 1e-6, 1e-5))


def test_softmax_is_only_an_output_layer():
    assert check_layers((ACTIVATIONS["softmax"], ACTIVATIONS["softmax"]), COSTS["log-likelihood"]) == (
        "softmax can only be the output layer's activation"
    )


def write_config(tmp_path, extra=""):
    config = tmp_path / "c.yaml"
    config.write_text("sizes: [784, 6, 10]\nmini_batch_size: 4\n" + extra)
    return config


def test_cli_gradcheck_passes_with_exit_0(tmp_path):
    result = cli_runner().invoke(main, ["gradcheck", str(write_config(tmp_path)), "--params", "300"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "PASS: largest relative error" in result.stdout
    assert "Whole gradient: one backprop" in result.stdout and "(extrapolated from the" in result.stdout


def test_cli_gradcheck_json_for_softmax_network(tmp_path):
    config = write_config(tmp_path, "activation: [relu, softmax]\ncost: log-likelihood\ninit: scaled\n")
    result = cli_runner().invoke(main, ["gradcheck", str(config), "--params", "200", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["activation"] == ["relu", "softmax"]
    assert report["mini_batch_size"] == 4 and len(report["layers"]) == 2


def test_cli_gradcheck_fails_with_exit_1(tmp_path, monkeypatch):
    def wrong(network, X, Y, workspaces=None, masks=None):
        nabla_b, nabla_w = backprop(network, X, Y, workspaces, masks)
        nabla_w[0] *= -1
        return nabla_b, nabla_w

    monkeypatch.setattr(gradcheck_module, "backprop", wrong)
    result = cli_runner().invoke(main, ["gradcheck", str(write_config(tmp_path)), "--params", "100"])
    assert result.exit_code == 1 and "FAIL: largest relative error" in result.stdout


def test_cli_gradcheck_on_saved_weights(tmp_path):
    runner = cli_runner()
    config = write_config(tmp_path, f"epochs: 1\noutput: {tmp_path / 'run'}\n")
    assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
    result = runner.invoke(
        main, ["gradcheck", str(config), "--weights", str(tmp_path / "run" / "weights.npz"), "--params", "100"]
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "args, message",
    [(["--eps", "0"], "--eps: 0.0 is not a positive finite step"), (["--tolerance", "-1"], "--tolerance: -1.0 is not")],
)
def test_cli_gradcheck_bad_options(tmp_path, args, message):
    result = cli_runner().invoke(main, ["gradcheck", str(write_config(tmp_path)), *args])
    assert result.exit_code == 1 and message in result.stderr


def test_saved_weights_are_checked_on_the_same_mini_batch_as_a_fresh_network(tmp_path):
    """Weights equal to what the config initialises give exactly the fresh network's check: the batch
    (the first mini-batch training would take) does not depend on where the network came from."""
    from nnbp.config import TrainConfig
    from nnbp.run import check_gradient
    from nnbp.run.setup import build_network
    from nnbp.run.weights import save_weights

    config = TrainConfig(sizes=(784, 6, 10), mini_batch_size=5, seed=3)
    save_weights(tmp_path / "w.npz", build_network(config, np.random.default_rng(3)), {})
    fresh, described = check_gradient(config, n_params=300)
    saved, _ = check_gradient(config, weights=tmp_path / "w.npz", n_params=300)
    assert [c.weights_max_rel_error for c in saved.layers] == [c.weights_max_rel_error for c in fresh.layers]
    assert saved.max_rel_error == fresh.max_rel_error and described["mini_batch_size"] == 5
