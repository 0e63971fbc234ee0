from __future__ import annotations

import numpy as np
import pytest

from helpers import tiny_dataset
from nnbp.backprop import backprop
from nnbp.data import load_dataset
from nnbp.network import Network
from nnbp.sgd import Momentum, sgd_step, zeros_like
from nnbp.training import Batcher, evaluate, train


def trained(engine: str, seed: int = 0, dtype=np.float64, mini_batch_size: int = 10, epochs: int = 3):
    dataset = tiny_dataset()
    rng = np.random.default_rng(seed)
    network = Network.initialise([6, 5, 3], rng, dtype=dtype)
    history = train(network, dataset, epochs=epochs, mini_batch_size=mini_batch_size, eta=3.0, rng=rng, engine=engine)
    return network, history


def test_gather_stacks_examples_as_scaled_columns_with_one_hot_targets():
    dataset = tiny_dataset()
    idx = np.array([4, 0, 9])
    batcher = Batcher(dataset, dataset.train, np.dtype(np.float32))
    X, Y = batcher.gather(idx)
    assert X.shape == (6, 3) and Y.shape == (3, 3) and X.dtype == Y.dtype == np.float32
    np.testing.assert_allclose(X[:, 1], dataset.train.images[0] / 255, rtol=1e-6)
    assert Y.sum(axis=0).tolist() == [1, 1, 1]
    assert Y.argmax(axis=0).tolist() == dataset.train.labels[idx].tolist()
    # a second batch of the same size reuses the arrays and holds the new examples
    X2, _ = batcher.gather(np.array([1, 2, 3]))
    np.testing.assert_allclose(X2[:, 0], dataset.train.images[1] / 255, rtol=1e-6)
    X5, Y5 = batcher.gather(np.arange(5))
    assert X5.shape == (6, 5) and Y5.shape == (3, 5)


@pytest.mark.parametrize("m", [1, 4, 23])
def test_batches_are_the_mini_batches_of_the_order_in_turn(m):
    dataset = tiny_dataset()
    order = np.random.default_rng(1).permutation(len(dataset.train))
    batcher = Batcher(dataset, dataset.train, np.dtype(np.float64))
    seen = []
    for k, (X, Y) in enumerate(batcher.batches(order, m)):
        idx = order[k * m : (k + 1) * m]
        np.testing.assert_array_equal(X, dataset.train.images[idx].T * dataset.scale)
        np.testing.assert_array_equal(Y.argmax(axis=0), dataset.train.labels[idx])
        seen.append(X.shape[1])
    assert seen == [m] * (23 // m) + ([23 % m] if 23 % m else [])


def test_same_seed_gives_bit_identical_weights():
    a, history_a = trained("matrix", seed=5)
    b, history_b = trained("matrix", seed=5)
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert np.array_equal(x, y)
    assert [h.correct for h in history_a] == [h.correct for h in history_b]


def test_different_seed_gives_different_weights():
    a, _ = trained("matrix", seed=5)
    b, _ = trained("matrix", seed=6)
    assert not np.array_equal(a.weights[0], b.weights[0])


@pytest.mark.parametrize("mini_batch_size", [1, 10, 23])
def test_both_engines_train_to_the_same_weights(mini_batch_size):
    """23 examples in batches of 10 leaves a partial last batch of 3."""
    matrix, _ = trained("matrix", mini_batch_size=mini_batch_size)
    loop, _ = trained("loop", mini_batch_size=mini_batch_size)
    for x, y in zip(matrix.weights + matrix.biases, loop.weights + loop.biases):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13)


def test_float32_training_stays_float32_and_close_to_float64():
    net32, _ = trained("matrix", dtype=np.float32)
    net64, _ = trained("matrix", dtype=np.float64)
    for x, y in zip(net32.weights + net32.biases, net64.weights + net64.biases):
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-3)


def test_partial_last_batch_is_divided_by_its_real_size():
    """Replay one epoch by hand: batches of 10, 10 and 3, each step η/m with the batch's own m."""
    dataset = tiny_dataset()
    rng = np.random.default_rng(9)
    network = Network.initialise([6, 5, 3], rng)
    replay = network.copy()
    order = np.random.default_rng(9)
    Network.initialise([6, 5, 3], order)  # advance past initialisation, as train's rng has
    permutation = order.permutation(23)
    train(network, dataset, epochs=1, mini_batch_size=10, eta=2.0, rng=rng)
    for k in (0, 10, 20):
        idx = permutation[k : k + 10]
        X, Y = Batcher(dataset, dataset.train, np.dtype(np.float64)).gather(idx)
        sgd_step(replay, backprop(replay, X, Y), 2.0, len(idx))
    for x, y in zip(network.weights + network.biases, replay.weights + replay.biases):
        np.testing.assert_array_equal(x, y)


def test_training_leaves_the_data_untouched():
    dataset = tiny_dataset()
    images, labels = dataset.train.images.copy(), dataset.train.labels.copy()
    rng = np.random.default_rng(0)
    train(Network.initialise([6, 5, 3], rng), dataset, epochs=2, mini_batch_size=4, eta=1.0, rng=rng)
    np.testing.assert_array_equal(dataset.train.images, images)
    np.testing.assert_array_equal(dataset.train.labels, labels)


def test_callbacks_report_every_example_and_every_epoch():
    dataset = tiny_dataset()
    rng = np.random.default_rng(0)
    seen, epochs = [], []
    history = train(
        Network.initialise([6, 5, 3], rng),
        dataset,
        epochs=2,
        mini_batch_size=10,
        eta=1.0,
        rng=rng,
        on_batch=seen.append,
        on_epoch=epochs.append,
    )
    assert seen == [10, 10, 3] * 2
    assert epochs == history and [h.epoch for h in history] == [1, 2]
    assert all(h.total == 11 and 0 <= h.correct <= 11 for h in history)


def test_evaluate_counts_argmax_agreement_in_chunks(monkeypatch):
    dataset = tiny_dataset(n_test=25)
    network = Network.initialise([6, 5, 3], np.random.default_rng(0))
    whole = evaluate(network, dataset, dataset.test)
    monkeypatch.setattr("nnbp.training.forward_chunk", lambda sizes, dtype: 7)
    chunked = evaluate(network, dataset, dataset.test)
    X = dataset.test.images.T / 255
    expected = network.feedforward(X).argmax(axis=0)
    np.testing.assert_array_equal(whole.predictions, expected)
    np.testing.assert_array_equal(chunked.predictions, expected)
    assert whole.correct == int((expected == dataset.test.labels).sum())
    assert chunked.cost == pytest.approx(whole.cost, rel=1e-12)


def test_training_on_the_embedded_sample_learns():
    """Two epochs of the book's network on the 8,000 bundled digits already beat 80% (chance: 10%)."""
    dataset = load_dataset("mnist-sample")
    rng = np.random.default_rng(0)
    network = Network.initialise([784, 30, 10], rng)
    history = train(network, dataset, epochs=2, mini_batch_size=10, eta=3.0, rng=rng)
    assert history[-1].accuracy > 0.80
    assert history[-1].cost < history[0].cost


def test_l2_regularisation_decays_weights_but_not_biases():
    """One step with λ: w → (1 − ηλ/n) w − (η/m) Σ ∇C_x; b → b − (η/m) Σ ∇C_x."""
    dataset = tiny_dataset()
    network = Network.initialise([6, 5, 3], np.random.default_rng(0))
    plain, decayed = network.copy(), network.copy()
    X, Y = Batcher(dataset, dataset.train, np.dtype(np.float64)).gather(np.arange(4))
    sgd_step(plain, backprop(plain, X, Y), eta=0.5, m=4)
    sgd_step(decayed, backprop(decayed, X, Y), eta=0.5, m=4, lmbda=2.0, n=20)
    for w0, w_plain, w_decayed in zip(network.weights, plain.weights, decayed.weights):
        np.testing.assert_allclose(w_decayed, w_plain - 0.5 * 2.0 / 20 * w0, rtol=1e-12, atol=1e-15)
    for b_plain, b_decayed in zip(plain.biases, decayed.biases):
        np.testing.assert_array_equal(b_plain, b_decayed)


def test_scaled_initialisation_divides_weights_by_root_n_in():
    normal = Network.initialise([400, 50, 10], np.random.default_rng(4))
    scaled = Network.initialise([400, 50, 10], np.random.default_rng(4), init="scaled")
    np.testing.assert_allclose(scaled.weights[0], normal.weights[0] / 20, rtol=1e-15)
    np.testing.assert_array_equal(scaled.biases[0], normal.biases[0])
    assert abs(scaled.weights[0].std() - 1 / 20) < 0.002


def test_cross_entropy_on_the_embedded_sample_learns():
    """Chapter 3's cost with η = 0.5 learns fast: two epochs on the bundled digits pass 85%."""
    from nnbp.costs import CROSS_ENTROPY

    dataset = load_dataset("mnist-sample")
    rng = np.random.default_rng(0)
    network = Network.initialise([784, 30, 10], rng, cost=CROSS_ENTROPY, init="scaled")
    history = train(network, dataset, epochs=2, mini_batch_size=10, eta=0.5, rng=rng)
    assert history[-1].accuracy > 0.85


def test_divergence_stops_at_the_end_of_the_mini_batch_without_warnings():
    import warnings

    from nnbp.activations import LINEAR
    from nnbp.training import Diverged

    dataset = tiny_dataset(n_train=200)
    rng = np.random.default_rng(0)
    network = Network.initialise([6, 5, 3], rng, sigmas=(LINEAR, LINEAR))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        with pytest.raises(Diverged) as e:
            train(network, dataset, epochs=3, mini_batch_size=4, eta=1000.0, rng=rng)
    assert e.value.epoch == 1 and e.value.batch is not None
    assert "try a smaller eta than 1000" in str(e.value)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_divergence_of_any_one_output_bias_is_caught_at_the_next_mini_batch(bad):
    from nnbp.training import Diverged

    dataset = tiny_dataset(n_train=200)
    rng = np.random.default_rng(0)
    network = Network.initialise([6, 5, 3], rng)
    batches = []

    def spoil(m):
        batches.append(m)
        if len(batches) == 3:
            network.biases[-1][2, 0] = bad  # the last output neuron only

    with pytest.raises(Diverged) as e:
        train(network, dataset, epochs=1, mini_batch_size=4, eta=0.1, rng=rng, on_batch=spoil)
    assert (e.value.epoch, e.value.batch) == (1, 4)


@pytest.mark.parametrize("mini_batch_size", [1, 10])
def test_both_engines_train_to_the_same_weights_with_momentum(mini_batch_size):
    runs = []
    for engine in ("matrix", "loop"):
        dataset = tiny_dataset()
        rng = np.random.default_rng(0)
        network = Network.initialise([6, 5, 3], rng)
        train(
            network,
            dataset,
            epochs=3,
            mini_batch_size=mini_batch_size,
            eta=1.0,
            rng=rng,
            engine=engine,
            optimizer=Momentum(0.8, zeros_like(network), lmbda=0.1, n=len(dataset.train)),
            lmbda=0.1,
        )
        runs.append(network)
    for x, y in zip(runs[0].weights + runs[0].biases, runs[1].weights + runs[1].biases):
        np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-12)


def test_with_its_controls_off_training_is_chapter_ones_sgd_bit_for_bit():
    """A Controls with no schedule and no early stopping, momentum 0: the same weights as plain SGD."""
    from nnbp.schedule import Controls

    a, _ = trained("matrix", seed=3)
    dataset = tiny_dataset()
    rng = np.random.default_rng(3)
    b = Network.initialise([6, 5, 3], rng)
    history = train(b, dataset, epochs=3, mini_batch_size=10, eta=3.0, rng=rng, controls=Controls(3.0))
    assert all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))
    assert [h.eta for h in history] == [3.0] * 3


def test_monitoring_the_training_data_and_the_l2_term():
    from nnbp.training import l2_term

    dataset = tiny_dataset()
    rng = np.random.default_rng(0)
    network = Network.initialise([6, 5, 3], rng)
    history = train(network, dataset, epochs=2, mini_batch_size=10, eta=1.0, rng=rng, lmbda=0.4, monitor_training=True)
    on_train = evaluate(network, dataset, dataset.train)
    assert history[-1].training_cost == on_train.cost and history[-1].training_accuracy == on_train.accuracy
    assert history[-1].l2_term == pytest.approx(0.4 / (2 * 23) * sum(float((w * w).sum()) for w in network.weights))
    assert l2_term(network, 0.4, 23) == history[-1].l2_term
    plain = train(
        Network.initialise([6, 5, 3], np.random.default_rng(0)),
        dataset,
        epochs=1,
        mini_batch_size=10,
        eta=1.0,
        rng=np.random.default_rng(0),
    )
    assert plain[0].training_cost is None and plain[0].l2_term is None and "l2_term" not in plain[0].to_dict()


def test_early_stopping_ends_training_after_the_epoch_that_decides():
    from nnbp.schedule import Controls

    dataset = tiny_dataset()
    rng = np.random.default_rng(0)
    controls = Controls(1e-9, early_stopping=2)  # η so small the accuracy never changes: stop after epoch 3
    history = train(
        Network.initialise([6, 5, 3], rng), dataset, epochs=10, mini_batch_size=10, eta=1e-9, rng=rng, controls=controls
    )
    assert [h.epoch for h in history] == [1, 2, 3] and controls.stopped.startswith("no improvement in 2 epochs")
