import numpy as np
import pytest

from nnbp.network import Network


def test_initialise_shapes_follow_the_chapter_layout():
    network = Network.initialise([5, 4, 3], np.random.default_rng(0))
    assert [w.shape for w in network.weights] == [(4, 5), (3, 4)]
    assert [b.shape for b in network.biases] == [(4, 1), (3, 1)]


def test_initialise_draws_standard_normals_from_the_given_generator():
    a = Network.initialise([300, 200, 10], np.random.default_rng(7))
    b = Network.initialise([300, 200, 10], np.random.default_rng(7))
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(x, y)
    w = a.weights[0]
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_start_from_the_same_numbers(dtype):
    a = Network.initialise([6, 4, 2], np.random.default_rng(3), dtype=dtype)
    b = Network.initialise([6, 4, 2], np.random.default_rng(3))
    assert a.dtype == dtype
    np.testing.assert_array_equal(a.weights[1], b.weights[1].astype(dtype))


def test_feedforward_is_equation_25_column_by_column():
    network = Network.initialise([3, 4, 2], np.random.default_rng(1))
    X = np.random.default_rng(2).random((3, 5))
    A = network.feedforward(X)
    assert A.shape == (2, 5)
    for j in range(5):
        a = X[:, [j]]
        for w, b in zip(network.weights, network.biases):
            a = 1 / (1 + np.exp(-(w @ a + b)))
        np.testing.assert_allclose(A[:, [j]], a, rtol=1e-12)


def test_copy_is_independent():
    network = Network.initialise([3, 2], np.random.default_rng(0))
    clone = network.copy()
    clone.weights[0] += 1
    assert not np.array_equal(clone.weights[0], network.weights[0])


def test_repr_names_the_shape_not_the_numbers():
    network = Network.initialise([300, 20, 10], np.random.default_rng(0), dtype=np.float32)
    text = repr(network)
    assert text == "Network(sizes=[300, 20, 10], activations=[sigmoid, sigmoid], cost=quadratic, dtype=float32)"
