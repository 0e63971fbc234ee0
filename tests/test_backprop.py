"""The matrix engine (BP1–BP4 on a whole mini-batch) against the chapter's per-example engine, which
shares none of its code, and against central finite differences: several shapes, activations and
costs, batch sizes (1, 7, a partial last batch) and both dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import random_batch, small_network
from nnbp.activations import ACTIVATIONS
from nnbp.backprop import Workspaces, backprop
from nnbp.costs import COSTS
from nnbp.network import Network
from nnbp.per_example import backprop_per_example


def copied(gradient):
    return [g.copy() for g in gradient[0]], [g.copy() for g in gradient[1]]


def backprop_matrix(network, X, Y):
    return copied(backprop(network, X, Y))


SHAPES = [[3, 2], [4, 5, 3], [6, 5, 4, 3]]  # 2, 3 and 4 layers
KINDS = {  # hidden σ, output σ, cost
    "sigmoid/quadratic": ("sigmoid", "sigmoid", "quadratic"),
    "tanh/cross-entropy": ("tanh", "sigmoid", "cross-entropy"),
    "tanh/softmax": ("tanh", "softmax", "log-likelihood"),
    "linear/quadratic": ("sigmoid", "linear", "quadratic"),
}


def network_of(sizes, kind, seed=0, dtype=np.float64) -> Network:
    hidden, output, cost = KINDS[kind]
    network = small_network(sizes, seed=seed, dtype=dtype)
    network.sigmas = (ACTIVATIONS[hidden],) * (len(sizes) - 2) + (ACTIVATIONS[output],)
    network.cost = COSTS[cost]
    return network


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


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("m", [1, 7])
def test_matrix_engine_agrees_with_the_per_example_engine(sizes, m, kind, rng):
    network = network_of(sizes, kind, seed=len(sizes) + m)
    X, Y = random_batch(sizes, m, rng)
    matrix = backprop_matrix(network, X, Y)
    loop = backprop_per_example(network, X, Y)
    assert_gradients_close(matrix, loop, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("m", [1, 7])
def test_both_engines_agree_with_finite_differences(sizes, m, kind, rng):
    network = network_of(sizes, kind, seed=10 + m)
    X, Y = random_batch(sizes, m, rng)
    numeric = finite_difference_gradient(network, X, Y)
    assert_gradients_close(backprop_matrix(network, X, Y), numeric, rtol=1e-5, atol=1e-9)
    assert_gradients_close(backprop_per_example(network, X, Y), numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("sizes", SHAPES)
def test_float32_engines_agree_with_each_other_and_with_float64(sizes, rng):
    network64 = small_network(sizes, seed=3)
    network32 = small_network(sizes, seed=3, dtype=np.float32)
    X, Y = random_batch(sizes, 7, rng)
    reference = backprop_matrix(network64, X, Y)
    matrix32 = backprop_matrix(network32, X.astype(np.float32), Y.astype(np.float32))
    loop32 = backprop_per_example(network32, X.astype(np.float32), Y.astype(np.float32))
    for grads in (matrix32, loop32):
        for g in grads[0] + grads[1]:
            assert g.dtype == np.float32
    scale = max(np.abs(g).max() for g in reference[0] + reference[1])
    assert_gradients_close(matrix32, loop32, rtol=0, atol=1e-5 * scale)
    assert_gradients_close(matrix32, reference, rtol=0, atol=1e-4 * scale)


def test_workspaces_are_kept_per_batch_size_and_give_the_same_gradient(rng):
    """A full batch, a partial last one, one example, then full again: each size its own arrays."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    workspaces = Workspaces(network)
    for m in (7, 3, 7, 1, 7):
        X, Y = random_batch(sizes, m, rng)
        expected = backprop_per_example(network, X, Y)
        assert_gradients_close(backprop(network, X, Y, workspaces), expected, rtol=1e-12, atol=1e-15)
    assert sorted(workspaces) == [1, 3, 7]


def test_the_matrix_engine_keeps_every_layers_z_a_and_delta(rng):
    """After backprop the workspace holds, for each layer, z, a = σ(z) and δ (BP1 for the last, BP2 for
    the others); `activations[0]` is the batch, so `activations[j]` feeds `weights[j]` (BP3, BP4)."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    workspaces = Workspaces(network)
    X, Y = random_batch(sizes, 6, rng)
    nabla_b, nabla_w = backprop(network, X, Y, workspaces)
    ws = workspaces[6]
    assert all(a is b for a, b in zip(nabla_b + nabla_w, ws.nabla_b + ws.nabla_w))
    assert ws.activations[0] is X
    for j, (w, b) in enumerate(zip(network.weights, network.biases)):
        np.testing.assert_allclose(ws.zs[j], w @ ws.activations[j] + b, rtol=1e-13)
        np.testing.assert_allclose(ws.activations[j + 1], 1 / (1 + np.exp(-ws.zs[j])), rtol=1e-13)
        np.testing.assert_allclose(nabla_b[j][:, 0], ws.deltas[j].sum(axis=1), rtol=1e-13)
        np.testing.assert_allclose(nabla_w[j], ws.deltas[j] @ ws.activations[j].T, rtol=1e-13)


def test_engines_do_not_modify_the_batch_or_the_network(rng):
    sizes = [4, 3, 2]
    network = small_network(sizes)
    before = network.copy()
    X, Y = random_batch(sizes, 3, rng)
    X0, Y0 = X.copy(), Y.copy()
    backprop_matrix(network, X, Y)
    backprop_per_example(network, X, Y)
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


def test_the_gradient_of_one_example_worked_by_hand():
    """x = (1, 0.5), y = 1, worked through with scalar arithmetic, in the book's layer numbers.

    z² = (0.1 + 0.1 + 0, −0.3 + 0.2 + 0.1) = (0.2, 0);  a² = (σ(0.2), σ(0)) = (0.549834, 0.5)
    z³ = 0.5·0.549834 − 0.6·0.5 + 0.2 = 0.174917;  a³ = σ(z³) = 0.543618
    BP1: δ³ = (a³ − y) σ'(z³) = −0.456382 · 0.543618 · 0.456382 = −0.113227
    BP2: δ² = (w³)ᵀ δ³ ⊙ σ'(z²) = (0.5 · −0.113227 · 0.247517, −0.6 · −0.113227 · 0.25)
            = (−0.0140128, 0.0169841)
    BP3/BP4: ∂C/∂b = δ, ∂C/∂w = δ aᵀ.
    """
    x, y = np.array([[1.0], [0.5]]), np.array([[1.0]])
    for engine in (backprop_matrix, backprop_per_example):
        nabla_b, nabla_w = engine(hand_network(), x, y)
        np.testing.assert_allclose(nabla_b[1], [[-0.1132271922687111]], rtol=1e-12)
        np.testing.assert_allclose(nabla_b[0], [[-0.014012803284069088], [0.016984078840306664]], rtol=1e-12)
        np.testing.assert_allclose(nabla_w[1], [[-0.06225615972957392, -0.05661359613435555]], rtol=1e-12)
        np.testing.assert_allclose(
            nabla_w[0],
            [[-0.014012803284069088, -0.007006401642034544], [0.016984078840306664, 0.008492039420153332]],
            rtol=1e-12,
        )
