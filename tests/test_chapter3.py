"""Chapter 3's remaining tools and Adam: dropout's scaling and masks, backprop and gradcheck through a mask,
expanded images drawn from the seed, Adam against two steps worked by hand, and each resumed mid-run
bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import cli_runner, random_batch, small_network, tiny_dataset
from nnbp.backprop import backprop
from nnbp.cli import main
from nnbp.config import TrainConfig
from nnbp.data.expansion import Expansion, bilinear, expand
from nnbp.errors import NnbpError
from nnbp.gradcheck import gradcheck
from nnbp.network import Network
from nnbp.per_example import backprop_per_example
from nnbp.sgd import adam_step, zeros_like
from nnbp.training import dropout_masks

# --- dropout ---------------------------------------------------------------------------------------


def test_a_mask_deletes_with_probability_p_and_keeps_the_expected_activation():
    """Kept neurons are scaled by 1/(1 − p), so E[mask] = 1: the network evaluates whole, unscaled."""
    network = small_network([5, 400, 300, 3])
    rng = np.random.default_rng(0)
    draws = [dropout_masks(network, (0.5, 0.2), rng) for _ in range(400)]
    assert all(masks[-1] is None for masks in draws)  # the output layer keeps every neuron
    for j, p in ((0, 0.5), (1, 0.2)):
        values = np.stack([masks[j] for masks in draws])
        assert set(np.unique(values)) == {0.0, 1 / (1 - p)}
        assert values.mean() == pytest.approx(1.0, abs=0.01)
        assert (values == 0).mean() == pytest.approx(p, abs=0.01)


def test_no_dropout_for_a_layer_with_p_zero():
    masks = dropout_masks(small_network([5, 4, 4, 3]), (0.0, 0.5), np.random.default_rng(0))
    assert masks[0] is None and masks[1] is not None


@pytest.mark.parametrize("m", [1, 7])
def test_both_engines_agree_through_the_same_masks_and_a_deleted_neuron_learns_nothing(m, rng):
    sizes = [6, 5, 4, 3]
    network = small_network(sizes, seed=2)
    X, Y = random_batch(sizes, m, rng)
    masks = [np.array([[2.0], [0.0], [2.0], [0.0], [2.0]]), np.array([[0.0], [1.25], [1.25], [1.25]]), None]
    matrix = [[g.copy() for g in group] for group in backprop(network, X, Y, masks=masks)]
    loop = backprop_per_example(network, X, Y, masks)
    for a, b in zip(matrix[0] + matrix[1], loop[0] + loop[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    nabla_b, nabla_w = matrix
    assert not nabla_b[0][[1, 3]].any() and not nabla_w[0][[1, 3]].any()  # deleted: no gradient in ...
    assert not nabla_w[1][:, [1, 3]].any()  # ... nor out of them
    assert not nabla_b[1][0].any() and not nabla_w[1][0].any()


def test_gradcheck_passes_through_a_fixed_mask_and_would_catch_a_missing_one(rng, monkeypatch):
    sizes = [6, 5, 4, 3]
    network = small_network(sizes, seed=2)
    X, Y = random_batch(sizes, 5, rng)
    masks = dropout_masks(network, (0.5, 0.5), np.random.default_rng(3))
    assert gradcheck(network, X, Y, masks=masks).passed
    from nnbp import gradcheck as module

    whole = module.mean_cost
    monkeypatch.setattr(module, "mean_cost", lambda network, X, Y, masks=None: whole(network, X, Y))
    assert not gradcheck(network, X, Y, masks=masks).passed  # the whole network's cost is another function


def test_nnbp_gradcheck_checks_a_config_with_dropout_through_its_first_mask(tmp_path):
    (tmp_path / "c.yaml").write_text("sizes: [784, 12, 10]\nmini_batch_size: 5\ndropout: 0.5\n")
    result = cli_runner().invoke(main, ["gradcheck", str(tmp_path / "c.yaml"), "--params", "300"])
    assert result.exit_code == 0 and "through the first step's dropout masks (p [0.5])" in result.stdout


# --- expanding the training data --------------------------------------------------------------------


def test_a_shift_moves_the_image_by_whole_pixels_with_black_coming_in():
    image = np.zeros((1, 8, 8))
    image[0, 3, 4] = 1.0
    rng = np.random.default_rng(5)
    ((dy, dx),) = np.random.default_rng(5).integers(-2, 3, (1, 2))
    out = expand(image, Expansion(shift=2), rng)
    expected = np.zeros((8, 8))
    expected[3 + dy, 4 + dx] = 1.0
    np.testing.assert_allclose(out[0], expected, atol=1e-12)


def test_a_rotation_turns_the_image_about_its_centre():
    image = np.zeros((1, 9, 9))
    image[0, 4, 6] = 1.0  # two pixels right of the centre
    angle = math.radians(30)
    rows, cols = np.indices((9, 9), dtype=float)
    # the rotation expand applies, by 30°: a point (r, c) reads the input at centre + R·(point − centre)
    source_r = 4 + math.cos(angle) * (rows - 4) - math.sin(angle) * (cols - 4)
    source_c = 4 + math.sin(angle) * (rows - 4) + math.cos(angle) * (cols - 4)
    turned = bilinear(image, source_r[None], source_c[None])[0]
    assert turned.sum() == pytest.approx(1.0, abs=0.05)
    r, c = np.unravel_index(turned.argmax(), turned.shape)
    assert math.hypot(r - 4, c - 4) == pytest.approx(2, abs=0.8)  # the same distance from the centre, turned


def test_expansion_is_drawn_from_the_seed_and_keeps_the_images_range():
    images = np.random.default_rng(0).random((6, 28, 28))
    spec = Expansion(shift=2, rotate=10, elastic=8)
    a = expand(images, spec, np.random.default_rng(1))
    b = expand(images, spec, np.random.default_rng(1))
    c = expand(images, spec, np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == images.shape and a.min() >= 0 and a.max() <= 1


def test_expansion_is_refused_for_data_that_are_not_square_images(tmp_path):
    from nnbp.run.setup import check_against_data

    with pytest.raises(NnbpError, match="expand: .* is not a dataset of square images"):
        check_against_data(TrainConfig(sizes=(6, 4, 3), expand={"shift": 1}), tiny_dataset(), "c.yaml")


def test_expansion_makes_a_batch_at_a_time_and_leaves_the_data_alone():
    """Expansion writes into the gathered mini-batch only: the dataset, in memory once, is unchanged."""
    from nnbp.data.dataset import Dataset, Split
    from nnbp.training import train

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (60, 16), dtype=np.uint8)
    data = Dataset("squares", Split(images, np.arange(60) % 3), Split(images[:10], np.arange(10) % 3), 3, 1 / 255)
    before = images.copy()
    network = Network.initialise([16, 5, 3], np.random.default_rng(1))
    train(network, data, epochs=2, mini_batch_size=10, eta=1.0, rng=rng, expansion=Expansion(shift=1, rotate=20))
    assert np.array_equal(images, before)


# --- Adam -------------------------------------------------------------------------------------------


def test_two_adam_steps_worked_by_hand():
    """One weight and one bias, gradients given: m, v and the unbiased step computed in plain Python."""
    network = Network([1, 1], [np.array([[0.5]])], [np.array([[-0.2]])])
    moments, squares = zeros_like(network), zeros_like(network)
    eta, (b1, b2), eps = 0.1, (0.9, 0.999), 1e-8
    w, b, mw, vw, mb, vb = 0.5, -0.2, 0.0, 0.0, 0.0, 0.0
    for t, (gw, gb) in enumerate([(0.4, -0.3), (-0.1, 0.2)], 1):  # Σ_x over m = 2 examples: the mean is half
        mw, vw = b1 * mw + (1 - b1) * gw / 2, b2 * vw + (1 - b2) * (gw / 2) ** 2
        mb, vb = b1 * mb + (1 - b1) * gb / 2, b2 * vb + (1 - b2) * (gb / 2) ** 2
        w -= eta * (mw / (1 - b1**t)) / (math.sqrt(vw / (1 - b2**t)) + eps)
        b -= eta * (mb / (1 - b1**t)) / (math.sqrt(vb / (1 - b2**t)) + eps)
        gradient = ([np.array([[gb]])], [np.array([[gw]])])
        adam_step(network, gradient, moments, squares, t, eta, 2, (b1, b2), eps)
    assert network.weights[0][0, 0] == pytest.approx(w, rel=1e-12)
    assert network.biases[0][0, 0] == pytest.approx(b, rel=1e-12)
    assert moments[1][0][0, 0] == pytest.approx(mw, rel=1e-12) and squares[0][0][0, 0] == pytest.approx(vb, rel=1e-12)


def test_adam_with_momentum_is_refused_and_betas_are_checked():
    with pytest.raises(NnbpError, match="momentum: momentum belongs to the sgd optimizer"):
        TrainConfig(optimizer="adam", momentum=0.9)
    with pytest.raises(NnbpError, match=r"betas\[1\]: 1.0 is not a probability"):
        TrainConfig(betas=[0.9, 1.0])
    with pytest.raises(NnbpError, match="dropout: 3 probabilities for 2 hidden layers"):
        TrainConfig(sizes=(784, 30, 20, 10), dropout=[0.1, 0.2, 0.3])


# --- resumed mid-run, bit for bit; recorded; sweepable ------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        "dropout: 0.3\n",
        "expand: {shift: 2, rotate: 8, elastic: 6}\n",
        "optimizer: adam\neta: 0.01\n",
        "optimizer: adam\neta: 0.01\ndropout: [0.2]\nexpand: {shift: 1}\nlmbda: 0.5\n",
    ],
)
def test_a_run_resumed_mid_way_ends_bit_identical(tmp_path, keys):
    base = "sizes: [784, 12, 10]\nepochs: 4\nmini_batch_size: 50\ntrain_size: 1500\n" + keys
    (tmp_path / "c.yaml").write_text(base)
    runner = cli_runner()
    assert runner.invoke(main, ["train", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "whole"), "-q"]).exit_code == 0
    first = runner.invoke(
        main, ["train", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "half"), "-q", "--epochs", "2"]
    )
    assert first.exit_code == 0, first.stderr
    second = runner.invoke(main, ["train", "--resume", str(tmp_path / "half"), "--epochs", "4", "-q"])
    assert second.exit_code == 0, second.stderr
    with np.load(tmp_path / "whole" / "weights.npz") as a, np.load(tmp_path / "half" / "weights.npz") as b:
        for name in a.files:
            if name != "meta":
                assert np.array_equal(a[name], b[name]), name


def test_diagnostics_say_how_often_the_neurons_were_dropped(tmp_path):
    import json

    (tmp_path / "c.yaml").write_text(
        "sizes: [784, 40, 10]\nepochs: 1\nmini_batch_size: 20\ndropout: 0.25\ndiagnostics: true\n"
    )
    result = cli_runner().invoke(main, ["train", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.stderr
    hidden, output = json.loads((tmp_path / "r" / "history.json").read_text())["epochs"][0]["diagnostics"]
    assert hidden["dropped_share"] == pytest.approx(0.25, abs=0.02)
    least, most = hidden["dropped_range"]
    assert least <= hidden["dropped_share"] <= most and "dropped_share" not in output


def test_the_new_keys_can_be_swept(tmp_path):
    from nnbp.sweep.grid import parse_grid_option

    assert parse_grid_option("dropout=0,0.5") == ("dropout", [0.0, 0.5])
    assert parse_grid_option("optimizer=sgd,adam") == ("optimizer", ["sgd", "adam"])
    name, values = parse_grid_option("expand=[shift=1],[shift=2,rotate=10]")
    assert name == "expand" and values[1] == {"shift": 2, "rotate": 10.0, "elastic": 0.0}
