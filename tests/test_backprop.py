"""The matrix engine against the per-example engine, central finite differences, and a hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import random_batch, small_network
from nnbp.backprop import ENGINES, Workspaces, backprop, backprop_per_example, sgd_step
from nnbp.network import Network


def copied(gradient):
    return [g.copy() for g in gradient[0]], [g.copy() for g in gradient[1]]


def backprop_matrix(network, X, Y):
    return copied(backprop(network, X, Y))


def backprop_loop(network, X, Y):
    return copied(backprop_per_example(network, X, Y))


def backprop_example(network, x, y):
    return copied(backprop(network, x, y))

SHAPES = [[3, 2], [4, 5, 3], [6, 5, 4, 3]]  # 2, 3 and 4 layers


def total_cost(network: Network, X, Y) -> float:
    return network.cost.fn(*network.forward(X), Y)


def finite_difference_gradient(network: Network, X, Y, eps: float = 1e-6):
    """Σ_x ∂C_x/∂p for every weight and bias p, by central differences (C(p+ε) − C(p−ε)) / 2ε."""
    grads = []
    for params in (network.biases, network.weights):
        layer_grads = []
        for p in params:
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                saved = p[i]
                p[i] = saved + eps
                plus = total_cost(network, X, Y)
                p[i] = saved - eps
                minus = total_cost(network, X, Y)
                p[i] = saved
                g[i] = (plus - minus) / (2 * eps)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads[0], grads[1]


def assert_gradients_close(actual, expected, rtol, atol=0.0):
    for got_list, want_list in zip(actual, expected):
        assert len(got_list) == len(want_list)
        for got, want in zip(got_list, want_list):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("m", [1, 7])
def test_matrix_engine_agrees_with_the_per_example_engine(sizes, m, rng):
    network = small_network(sizes, seed=len(sizes) + m)
    X, Y = random_batch(sizes, m, rng)
    matrix = backprop_matrix(network, X, Y)
    loop = backprop_loop(network, X, Y)
    assert_gradients_close(matrix, loop, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("m", [1, 7])
def test_matrix_engine_agrees_with_finite_differences(sizes, m, rng):
    network = small_network(sizes, seed=10 + m)
    X, Y = random_batch(sizes, m, rng)
    numeric = finite_difference_gradient(network, X, Y)
    assert_gradients_close(backprop_matrix(network, X, Y), numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("sizes", SHAPES)
def test_float32_engines_agree_with_each_other_and_with_float64(sizes, rng):
    network64 = small_network(sizes, seed=3)
    network32 = small_network(sizes, seed=3, dtype=np.float32)
    X, Y = random_batch(sizes, 7, rng)
    reference = backprop_matrix(network64, X, Y)
    matrix32 = backprop_matrix(network32, X.astype(np.float32), Y.astype(np.float32))
    loop32 = backprop_loop(network32, X.astype(np.float32), Y.astype(np.float32))
    for grads in (matrix32, loop32):
        for g in grads[0] + grads[1]:
            assert g.dtype == np.float32
    scale = max(np.abs(g).max() for g in reference[0] + reference[1])
    assert_gradients_close(matrix32, loop32, rtol=0, atol=1e-5 * scale)
    assert_gradients_close(matrix32, reference, rtol=0, atol=1e-4 * scale)


def test_gradient_of_a_batch_is_the_sum_of_its_examples(rng):
    sizes = [4, 3, 2]
    network = small_network(sizes)
    X, Y = random_batch(sizes, 5, rng)
    nabla_b, nabla_w = backprop_matrix(network, X, Y)
    singles = [backprop_example(network, X[:, [j]], Y[:, [j]]) for j in range(5)]
    for l in range(2):
        np.testing.assert_allclose(nabla_b[l], sum(s[0][l] for s in singles), rtol=1e-13)
        np.testing.assert_allclose(nabla_w[l], sum(s[1][l] for s in singles), rtol=1e-13)


def test_engines_reuse_their_workspaces_across_batches_and_sizes(rng):
    """Workspaces are kept per batch size: a full batch, a partial one, one example, then full again."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    workspaces = Workspaces(network)
    for m in (7, 3, 7, 1, 7):
        X, Y = random_batch(sizes, m, rng)
        expected = backprop_loop(network, X, Y)
        for engine in ENGINES.values():
            assert_gradients_close(engine(network, X, Y, workspaces), expected, rtol=1e-12, atol=1e-15)
    assert sorted(workspaces) == [1, 3, 7]


def test_the_matrix_engine_returns_its_workspace_arrays_and_keeps_every_delta(rng):
    """After backprop, the workspace holds the δ of every layer: δ^L from BP1, the rest from BP2."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    workspaces = Workspaces(network)
    X, Y = random_batch(sizes, 6, rng)
    nabla_b, nabla_w = backprop(network, X, Y, workspaces)
    ws = workspaces[6]
    assert all(a is b for a, b in zip(nabla_b + nabla_w, ws.nabla_b + ws.nabla_w))
    for l in range(2):  # BP3 and BP4 from the kept δ
        np.testing.assert_allclose(nabla_b[l][:, 0], ws.deltas[l].sum(axis=1), rtol=1e-13)
        inputs = X if l == 0 else ws.activations[l - 1]
        np.testing.assert_allclose(nabla_w[l], ws.deltas[l] @ inputs.T, rtol=1e-13)


def test_engines_do_not_modify_the_batch_or_the_network(rng):
    sizes = [4, 3, 2]
    network = small_network(sizes)
    before = network.copy()
    X, Y = random_batch(sizes, 3, rng)
    X0, Y0 = X.copy(), Y.copy()
    for engine in (backprop_matrix, backprop_loop):
        engine(network, X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    for a, b in zip(network.weights + network.biases, before.weights + before.biases):
        np.testing.assert_array_equal(a, b)


def hand_network() -> Network:
    return Network(
        [2, 2, 1],
        weights=[np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([[0.5, -0.6]])],
        biases=[np.array([[0.0], [0.1]]), np.array([[0.2]])],
    )


@pytest.mark.parametrize("engine", ["matrix", "loop"])
def test_one_sgd_step_worked_by_hand(engine):
    """x = (1, 0.5), y = 1, η = 0.5, worked through with scalar arithmetic.

    z¹ = (0.1 + 0.1 + 0, −0.3 + 0.2 + 0.1) = (0.2, 0);  a¹ = (σ(0.2), σ(0)) = (0.549834, 0.5)
    z² = 0.5·0.549834 − 0.6·0.5 + 0.2 = 0.174917;  a² = σ(z²) = 0.543618
    BP1: δ² = (a² − y) σ'(z²) = −0.456382 · 0.543618 · 0.456382 = −0.113227
    BP2: δ¹ = (w²)ᵀ δ² ⊙ σ'(z¹) = (0.5 · −0.113227 · 0.247517, −0.6 · −0.113227 · 0.25)
            = (−0.0140128, 0.0169841)
    BP3/BP4: ∂C/∂b = δ, ∂C/∂w = δ aᵀ; the step subtracts η times each.
    """
    network = hand_network()
    x, y = np.array([[1.0], [0.5]]), np.array([[1.0]])
    nabla_b, nabla_w = copied(ENGINES[engine](network, x, y))
    np.testing.assert_allclose(nabla_b[1], [[-0.1132271922687111]], rtol=1e-12)
    np.testing.assert_allclose(nabla_b[0], [[-0.014012803284069088], [0.016984078840306664]], rtol=1e-12)
    np.testing.assert_allclose(nabla_w[1], [[-0.06225615972957392, -0.05661359613435555]], rtol=1e-12)
    np.testing.assert_allclose(
        nabla_w[0],
        [[-0.014012803284069088, -0.007006401642034544], [0.016984078840306664, 0.008492039420153332]],
        rtol=1e-12,
    )
    sgd_step(network, ENGINES[engine](network, x, y), eta=0.5, m=1)
    np.testing.assert_allclose(network.weights[1], [[0.5311280798647869, -0.5716932019328222]], rtol=1e-12)
    np.testing.assert_allclose(network.biases[1], [[0.2566135961343556]], rtol=1e-12)
    np.testing.assert_allclose(
        network.weights[0],
        [[0.10700640164203455, 0.20350320082101728], [-0.3084920394201533, 0.39575398028992337]],
        rtol=1e-12,
    )
    np.testing.assert_allclose(network.biases[0], [[0.007006401642034544], [0.09150796057984667]], rtol=1e-12)


@pytest.mark.parametrize("engine", ["matrix", "loop"])
@pytest.mark.parametrize("m", [1, 3, 8])
def test_sgd_step_divides_by_the_batch_size(engine, m, rng):
    """w → w − (η/m) Σ_x ∇C_x, with the per-example gradients summed by hand."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    X, Y = random_batch(sizes, m, rng)
    singles = [backprop_example(network, X[:, [j]], Y[:, [j]]) for j in range(m)]
    expected_w = [w - 2.5 / m * sum(s[1][l] for s in singles) for l, w in enumerate(network.weights)]
    expected_b = [b - 2.5 / m * sum(s[0][l] for s in singles) for l, b in enumerate(network.biases)]
    sgd_step(network, ENGINES[engine](network, X, Y), eta=2.5, m=m)
    for got, want in zip(network.weights + network.biases, expected_w + expected_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def scalar_gradient(w1, b1, w2, b2, x, y):
    """∂C/∂b and ∂C/∂w of the [2, 2, 1] sigmoid network for one example, quadratic cost, in scalars."""
    import math

    def sigma(z):
        return 1 / (1 + math.exp(-z))

    a1 = [sigma(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j]) for j in range(2)]
    a2 = sigma(w2[0] * a1[0] + w2[1] * a1[1] + b2)
    d2 = (a2 - y) * a2 * (1 - a2)  # BP1
    d1 = [w2[j] * d2 * a1[j] * (1 - a1[j]) for j in range(2)]  # BP2
    return d1, d2, [[d1[j] * x[k] for k in range(2)] for j in range(2)], [d2 * a1[k] for k in range(2)]


@pytest.mark.parametrize("engine", ["matrix", "loop"])
@pytest.mark.parametrize("lmbda", [0.0, 0.3])
def test_two_momentum_steps_worked_with_scalars(engine, lmbda):
    """v → μv − η(∇C + (λ/n)w), w → w + v (biases without the λ term), twice, against plain Python."""
    from nnbp.backprop import momentum_step

    eta, mu, n = 0.5, 0.9, 4
    network = hand_network()
    x, y = [1.0, 0.5], 1.0
    w1 = [list(r) for r in network.weights[0]]
    b1 = [r[0] for r in network.biases[0]]
    w2, b2 = list(network.weights[1][0]), network.biases[1][0, 0]
    vw1, vb1, vw2, vb2 = [[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0], [0.0, 0.0], 0.0
    velocity = ([np.zeros((2, 1)), np.zeros((1, 1))], [np.zeros((2, 2)), np.zeros((1, 2))])
    for _ in range(2):
        d1, d2, g1, g2 = scalar_gradient(w1, b1, w2, b2, x, y)
        vb1 = [mu * vb1[j] - eta * d1[j] for j in range(2)]
        vb2 = mu * vb2 - eta * d2
        vw1 = [[mu * vw1[j][k] - eta * (g1[j][k] + lmbda / n * w1[j][k]) for k in range(2)] for j in range(2)]
        vw2 = [mu * vw2[k] - eta * (g2[k] + lmbda / n * w2[k]) for k in range(2)]
        b1 = [b1[j] + vb1[j] for j in range(2)]
        b2 = b2 + vb2
        w1 = [[w1[j][k] + vw1[j][k] for k in range(2)] for j in range(2)]
        w2 = [w2[k] + vw2[k] for k in range(2)]
        X, Y = np.array([[1.0], [0.5]]), np.array([[1.0]])
        momentum_step(network, ENGINES[engine](network, X, Y), velocity, eta, mu, 1, lmbda, n)
    np.testing.assert_allclose(network.weights[0], w1, rtol=1e-13)
    np.testing.assert_allclose(network.weights[1][0], w2, rtol=1e-13)
    np.testing.assert_allclose(network.biases[0][:, 0], b1, rtol=1e-13)
    np.testing.assert_allclose(network.biases[1][0, 0], b2, rtol=1e-13)
    np.testing.assert_allclose(velocity[1][1][0], vw2, rtol=1e-12)


def test_momentum_zero_is_a_plain_sgd_step(rng):
    from nnbp.backprop import momentum_step

    sizes = [5, 4, 3]
    plain, with_momentum = small_network(sizes), small_network(sizes)
    X, Y = random_batch(sizes, 6, rng)
    sgd_step(plain, backprop(plain, X, Y), 0.7, 6, lmbda=0.5, n=30)
    velocity = ([np.zeros_like(b) for b in with_momentum.biases], [np.zeros_like(w) for w in with_momentum.weights])
    momentum_step(with_momentum, backprop(with_momentum, X, Y), velocity, 0.7, 0.0, 6, lmbda=0.5, n=30)
    for a, b in zip(plain.weights + plain.biases, with_momentum.weights + with_momentum.biases):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)
