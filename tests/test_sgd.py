"""The steps that spend a gradient: plain SGD (with L2) and chapter 3's momentum, against hand and
scalar arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import random_batch, small_network
from nnbp.backprop import backprop
from nnbp.network import Network
from nnbp.per_example import backprop_example
from nnbp.sgd import momentum_step, sgd_step, zeros_like


def hand_network() -> Network:
    return Network(
        [2, 2, 1],
        weights=[np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([[0.5, -0.6]])],
        biases=[np.array([[0.0], [0.1]]), np.array([[0.2]])],
    )


def test_one_sgd_step_worked_by_hand():
    """x = (1, 0.5), y = 1, η = 0.5: the gradient of test_backprop's hand example, subtracted η times."""
    network = hand_network()
    x, y = np.array([[1.0], [0.5]]), np.array([[1.0]])
    sgd_step(network, backprop(network, x, y), eta=0.5, m=1)
    np.testing.assert_allclose(network.weights[1], [[0.5311280798647869, -0.5716932019328222]], rtol=1e-12)
    np.testing.assert_allclose(network.biases[1], [[0.2566135961343556]], rtol=1e-12)
    np.testing.assert_allclose(
        network.weights[0],
        [[0.10700640164203455, 0.20350320082101728], [-0.3084920394201533, 0.39575398028992337]],
        rtol=1e-12,
    )
    np.testing.assert_allclose(network.biases[0], [[0.007006401642034544], [0.09150796057984667]], rtol=1e-12)


@pytest.mark.parametrize("m", [1, 3, 8])
def test_sgd_step_divides_by_the_batch_size(m, rng):
    """w → w − (η/m) Σ_x ∇C_x, with the per-example gradients summed by hand."""
    sizes = [5, 4, 3]
    network = small_network(sizes)
    X, Y = random_batch(sizes, m, rng)
    singles = [backprop_example(network, X[:, [k]], Y[:, [k]]) for k in range(m)]
    expected_w = [w - 2.5 / m * sum(s[1][j] for s in singles) for j, w in enumerate(network.weights)]
    expected_b = [b - 2.5 / m * sum(s[0][j] for s in singles) for j, b in enumerate(network.biases)]
    sgd_step(network, backprop(network, X, Y), eta=2.5, m=m)
    for got, want in zip(network.weights + network.biases, expected_w + expected_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_l2_decays_the_weights_and_not_the_biases(rng):
    """w → (1 − ηλ/n) w − (η/m) Σ ∇C_x; b as without λ."""
    sizes = [4, 3, 2]
    plain, decayed = small_network(sizes), small_network(sizes)
    X, Y = random_batch(sizes, 5, rng)
    sgd_step(plain, backprop(plain, X, Y), 0.5, 5)
    before = small_network(sizes)
    sgd_step(decayed, backprop(decayed, X, Y), 0.5, 5, lmbda=2.0, n=10)
    for w, w0, w_plain in zip(decayed.weights, before.weights, plain.weights):
        np.testing.assert_allclose(w, w_plain - 0.5 * 2.0 / 10 * w0, rtol=1e-12, atol=1e-15)
    for b, b_plain in zip(decayed.biases, plain.biases):
        np.testing.assert_array_equal(b, b_plain)


def scalar_gradient(w1, b1, w2, b2, x, y):
    """∂C/∂b and ∂C/∂w of the [2, 2, 1] sigmoid network for one example, quadratic cost, in scalars."""

    def sigma(z):
        return 1 / (1 + math.exp(-z))

    a2 = [sigma(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j]) for j in range(2)]
    a3 = sigma(w2[0] * a2[0] + w2[1] * a2[1] + b2)
    d3 = (a3 - y) * a3 * (1 - a3)  # BP1
    d2 = [w2[j] * d3 * a2[j] * (1 - a2[j]) for j in range(2)]  # BP2
    return d2, d3, [[d2[j] * x[k] for k in range(2)] for j in range(2)], [d3 * a2[k] for k in range(2)]


@pytest.mark.parametrize("lmbda", [0.0, 0.3])
def test_two_momentum_steps_worked_with_scalars(lmbda):
    """v → μv − η(∇C + (λ/n)w), w → w + v (biases without the λ term), twice, against plain Python."""
    eta, mu, n = 0.5, 0.9, 4
    network = hand_network()
    x, y = [1.0, 0.5], 1.0
    w1 = [list(r) for r in network.weights[0]]
    b1 = [r[0] for r in network.biases[0]]
    w2, b2 = list(network.weights[1][0]), network.biases[1][0, 0]
    vw1, vb1, vw2, vb2 = [[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0], [0.0, 0.0], 0.0
    velocity = zeros_like(network)
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
        momentum_step(network, backprop(network, X, Y), velocity, eta, mu, 1, lmbda, n)
    np.testing.assert_allclose(network.weights[0], w1, rtol=1e-13)
    np.testing.assert_allclose(network.weights[1][0], w2, rtol=1e-13)
    np.testing.assert_allclose(network.biases[0][:, 0], b1, rtol=1e-13)
    np.testing.assert_allclose(network.biases[1][0, 0], b2, rtol=1e-13)
    np.testing.assert_allclose(velocity[1][1][0], vw2, rtol=1e-12)


def test_momentum_zero_is_a_plain_sgd_step(rng):
    sizes = [5, 4, 3]
    plain, with_momentum = small_network(sizes), small_network(sizes)
    X, Y = random_batch(sizes, 6, rng)
    sgd_step(plain, backprop(plain, X, Y), 0.7, 6, lmbda=0.5, n=30)
    momentum_step(with_momentum, backprop(with_momentum, X, Y), zeros_like(with_momentum), 0.7, 0.0, 6, lmbda=0.5, n=30)
    for a, b in zip(plain.weights + plain.biases, with_momentum.weights + with_momentum.biases):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)
