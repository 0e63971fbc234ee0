"""The chapter's per-example algorithm on its own: one example's gradient, and a batch's as the sum."""

from __future__ import annotations

import numpy as np

from helpers import random_batch, small_network
from nnbp.per_example import backprop_example, backprop_per_example


def test_a_batchs_gradient_is_the_sum_of_its_examples(rng):
    sizes = [4, 3, 2]
    network = small_network(sizes)
    X, Y = random_batch(sizes, 5, rng)
    nabla_b, nabla_w = backprop_per_example(network, X, Y)
    singles = [backprop_example(network, X[:, [k]], Y[:, [k]]) for k in range(5)]
    for j in range(2):
        np.testing.assert_allclose(nabla_b[j], sum(s[0][j] for s in singles), rtol=1e-13)
        np.testing.assert_allclose(nabla_w[j], sum(s[1][j] for s in singles), rtol=1e-13)


def test_one_examples_gradient_has_the_networks_shapes_and_dtype(rng):
    for dtype in (np.float64, np.float32):
        sizes = [6, 5, 4, 3]
        network = small_network(sizes, dtype=dtype)
        X, Y = random_batch(sizes, 1, rng, dtype=dtype)
        nabla_b, nabla_w = backprop_example(network, X, Y)
        assert [g.shape for g in nabla_b] == [b.shape for b in network.biases]
        assert [g.shape for g in nabla_w] == [w.shape for w in network.weights]
        assert all(g.dtype == dtype for g in nabla_b + nabla_w)


def test_bp3_and_bp4_relate_the_gradients_of_one_example(rng):
    """∂C/∂b^l = δ^l and ∂C/∂w^l = δ^l (a^{l−1})ᵀ: the weights' gradient is the bias gradient times
    the layer's input, so into the first layer it is ∂C/∂b² xᵀ."""
    sizes = [4, 3, 2]
    network = small_network(sizes)
    x, y = random_batch(sizes, 1, rng)
    nabla_b, nabla_w = backprop_example(network, x, y)
    np.testing.assert_allclose(nabla_w[0], nabla_b[0] @ x.T, rtol=1e-14)
