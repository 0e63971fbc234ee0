"""Per-layer diagnostics: hand-computed on a tiny network, free of side effects, cheap to record."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers import cli_runner
from nnbp.cli import main
from nnbp.cli.text import slowest_layer_line
from nnbp.data.dataset import Dataset, Split
from nnbp.diagnostics import probe, slowest_layer
from nnbp.network import Network
from nnbp.training import train


def hand_network() -> Network:
    """[2, 2, 1], sigmoid. Hidden neuron 0 has huge weights: any input of 1 saturates it.
    Hidden neuron 1 has zero weights and bias: z = 0 always, σ'(0) = 0.25, never saturated."""
    return Network(
        [2, 2, 1],
        weights=[np.array([[50.0, 50.0], [0.0, 0.0]]), np.array([[1.0, 1.0]])],
        biases=[np.array([[0.0], [0.0]]), np.array([[-1.0]])],
    )


def hand_dataset() -> Dataset:
    """Four examples, x ∈ {(1,1), (0,0), (1,0), (0,0)} (pixels 255 or 0), all with target 1."""
    images = np.array([[255, 255], [0, 0], [255, 0], [0, 0]], dtype=np.uint8)
    split = Split(images, np.zeros(4, dtype=np.intp))
    return Dataset("hand", split, split, 1, 1 / 255)


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_probe_shares_match_a_hand_count():
    X = hand_dataset().train.images.T / 255
    saturated, near_zero = probe(hand_network(), X)
    # layer 1: neuron 0 saturated on the 2 examples with an input of 1 (z = 50 or 100, σ' < 2e-22);
    # neuron 1 never: 2 of 8 (neuron, example) pairs. Inputs: 5 of the 8 pixels are 0.
    assert saturated[0] == 2 / 8 and near_zero[0] == 5 / 8
    # layer 2: z = a0 + 0.5 − 1 ∈ {0.5, 0}: σ' ≥ 0.235, not saturated; its inputs are ≥ 0.5
    assert saturated[1] == 0.0 and near_zero[1] == 0.0


def test_recorded_means_match_a_hand_computation():
    """One epoch = one batch of all four examples, so every figure is one step's, on the initial weights
    (η is tiny so the update cannot move the probe's thresholds)."""
    dataset, network = hand_dataset(), hand_network()
    history = train(
        network, dataset, epochs=1, mini_batch_size=4, eta=1e-9, rng=np.random.default_rng(0), diagnostics=True
    )
    layers = history[0].diagnostics

    # By hand, example by example: forward, then BP1 and BP2 for the quadratic cost, y = 1.
    abs_delta = [0.0, 0.0]
    nabla_w = [np.zeros((2, 2)), np.zeros((1, 2))]
    nabla_b = [np.zeros(2), np.zeros(1)]
    for x in ([1, 1], [0, 0], [1, 0], [0, 0]):
        a0 = sigma(50 * x[0] + 50 * x[1])
        a1 = sigma(0.0)
        a2 = sigma(a0 + a1 - 1)
        d2 = (a2 - 1) * a2 * (1 - a2)  # BP1
        d1 = [1.0 * d2 * a0 * (1 - a0), 1.0 * d2 * a1 * (1 - a1)]  # BP2
        abs_delta[1] += abs(d2)
        abs_delta[0] += abs(d1[0]) + abs(d1[1])
        nabla_b[1] += d2
        nabla_b[0] += d1
        nabla_w[1] += np.array([[d2 * a0, d2 * a1]])
        nabla_w[0] += np.outer(d1, x)
    expected_delta = [abs_delta[0] / (4 * 2), abs_delta[1] / (4 * 1)]
    for j in range(2):
        assert layers[j]["mean_abs_delta"] == pytest.approx(expected_delta[j], rel=1e-9)
        assert layers[j]["mean_grad_w_norm"] == pytest.approx(np.linalg.norm(nabla_w[j] / 4), rel=1e-9)
        assert layers[j]["mean_grad_b_norm"] == pytest.approx(np.linalg.norm(nabla_b[j] / 4), rel=1e-9)
    assert layers[0]["saturated_share"] == 2 / 8 and layers[0]["near_zero_input_share"] == 5 / 8
    assert layers[1]["saturated_share"] == 0.0


def small_data(seed=0) -> Dataset:
    rng = np.random.default_rng(seed)

    def split(n):
        return Split(rng.integers(0, 256, (n, 12), dtype=np.uint8), rng.integers(0, 4, n))

    return Dataset("small", split(57), split(9), 4, 1 / 255)


@pytest.mark.parametrize("engine", ["matrix", "loop"])
def test_recording_does_not_change_training(engine):
    runs = {}
    for diagnostics in (False, True):
        rng = np.random.default_rng(5)
        network = Network.initialise([12, 7, 4], rng)
        history = train(
            network,
            small_data(),
            epochs=3,
            mini_batch_size=10,
            eta=2.0,
            rng=rng,
            engine=engine,
            diagnostics=diagnostics,
        )
        runs[diagnostics] = (network, history)
    for a, b in zip(runs[False][0].weights + runs[False][0].biases, runs[True][0].weights + runs[True][0].biases):
        assert np.array_equal(a, b)
    assert runs[False][1][-1].diagnostics is None and len(runs[True][1][-1].diagnostics) == 2


def test_both_engines_record_the_same_figures():
    records = {}
    for engine in ("matrix", "loop"):
        rng = np.random.default_rng(5)
        network = Network.initialise([12, 7, 4], rng)
        records[engine] = train(
            network, small_data(), epochs=2, mini_batch_size=10, eta=2.0, rng=rng, engine=engine, diagnostics=True
        )[-1].diagnostics
    for by_matrix, by_loop in zip(records["matrix"], records["loop"]):
        for key in by_matrix:
            assert by_matrix[key] == pytest.approx(by_loop[key], rel=1e-10), key


def test_the_slowest_layer_is_judged_per_weight_and_named_as_in_the_book():
    """Layer 2's gradient norm is larger but spread over 10 times more weights: per weight it is slower."""
    epochs = [
        {
            "diagnostics": [
                {"layer": 2, "mean_grad_w_norm": 0.2, "saturated_share": 0.7, "near_zero_input_share": 0.1},
                {"layer": 3, "mean_grad_w_norm": 0.1, "saturated_share": 0.1, "near_zero_input_share": 0.9},
            ]
        }
    ]
    slowest = slowest_layer(epochs, [100, 100, 10])
    assert (slowest.layer, slowest.n_in, slowest.n_out, slowest.fastest_layer) == (2, 100, 100, 3)
    assert slowest.grad_w_rms == pytest.approx(0.2 / 100) and slowest.fastest_grad_w_rms == pytest.approx(0.1 / 10**1.5)
    text = slowest_layer_line(slowest)
    assert text.startswith("The weights w² into layer 2 (100 → 100) learned slowest")
    assert "70% of its neurons were saturated" in text and "near zero" not in text
    assert slowest_layer([{"epoch": 1}], [2, 2]) is None


@pytest.mark.slow
def test_cli_diagnostics_flag_records_summarises_and_plots(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"sizes: [784, 12, 10]\nepochs: 2\nmini_batch_size: 50\noutput: {tmp_path / 'run'}\n")
    runner = cli_runner()
    result = runner.invoke(main, ["train", str(config), "--diagnostics"])
    assert result.exit_code == 0, result.stderr
    assert "learned slowest" in result.stdout
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["initial_diagnostics"]) == 2
    layer = history["epochs"][0]["diagnostics"][0]
    assert set(layer) == {
        "layer",
        "mean_abs_delta",
        "mean_grad_w_norm",
        "mean_grad_w_rms",
        "mean_grad_b_norm",
        "saturated_share",
        "near_zero_input_share",
    }
    assert [d["layer"] for d in history["epochs"][0]["diagnostics"]] == [2, 3]  # the book's numbers
    assert [d["layer"] for d in history["initial_diagnostics"]] == [2, 3]
    assert layer["mean_grad_w_rms"] == pytest.approx(layer["mean_grad_w_norm"] / (784 * 12) ** 0.5)
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    assert runner.invoke(main, ["plot", str(tmp_path / "run")]).exit_code == 0
    png = (tmp_path / "run" / "learning-curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("engine", ["matrix", "loop"])
def test_recorder_means_the_norms_of_every_step_across_batch_sizes(engine):
    """Full, partial and one-example batches; the norms are of ∂C/∂w = Σ_x ∇C_x / m."""
    from nnbp.diagnostics import Recorder
    from nnbp.sgd import sgd_step
    from nnbp.training import gradient_of

    rng = np.random.default_rng(3)
    network = Network.initialise([300, 40, 4, 3], rng)
    gradient_for = gradient_of(engine, network)
    recorder = Recorder(network, rng.random((300, 2)), np.eye(3)[:, :2])
    norms = []  # (‖∂C/∂w^1‖, …, ‖∂C/∂b^3‖) of each step, by numpy's own norm
    for m in (10, 10, 7, 10, 1, 10, 7, 10):
        X, Y = rng.random((300, m)), np.eye(3)[:, rng.integers(0, 3, m)]
        gradient = gradient_for(X, Y)
        norms.append([np.linalg.norm(a) / m for a in gradient[1] + gradient[0]])
        recorder.record_step(gradient, m)
        sgd_step(network, gradient, 0.5, m)
    layers = recorder.end_epoch()
    expected = np.mean(norms, axis=0)
    assert [layer.layer for layer in layers] == [2, 3, 4]
    for j in range(3):
        assert layers[j].mean_grad_w_norm == pytest.approx(expected[j], rel=1e-12)
        assert layers[j].mean_grad_b_norm == pytest.approx(expected[3 + j], rel=1e-12)
    assert recorder.end_epoch()[0].mean_grad_w_norm == 0.0  # the next epoch starts from nothing


def test_probe_figures_do_not_depend_on_how_the_probe_is_chunked():
    rng = np.random.default_rng(8)
    network = Network.initialise([12, 9, 5, 4], rng)
    X, Y = rng.random((12, 23)), np.eye(4)[:, rng.integers(0, 4, 23)]
    from nnbp.diagnostics import mean_abs_deltas

    whole = probe(network, X, chunk=23), mean_abs_deltas(network, X, Y, chunk=23)
    for chunk in (1, 5, 22):
        parts = probe(network, X, chunk=chunk), mean_abs_deltas(network, X, Y, chunk=chunk)
        assert parts[0] == whole[0]  # counts: exactly equal
        np.testing.assert_allclose(parts[1], whole[1], rtol=1e-12)
