"""The two backpropagation engines of chapter 2, and the SGD step they share.

Both return the gradient summed over the mini-batch, Σ_x ∇C_x, as `(nabla_b, nabla_w)`, lists
shaped like `network.biases` and `network.weights`; the update divides by the batch's real size.

- `backprop_matrix`: the fully matrix-based form. X = [x1 … xm] is one (n_0, m) matrix; one forward
  and one backward pass serve the whole batch. No Python loop over examples.
- `backprop_loop`: the chapter's algorithm as written. For each column x of the batch, one forward and
  one backward pass on a single (n_0, 1) column, accumulating nabla_b and nabla_w.

Pure numpy: no files, config or printing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnbp.network import Network

Array = np.ndarray
Gradient = tuple[list[Array], list[Array]]


def backprop_matrix(network: Network, X: Array, Y: Array) -> Gradient:
    """Σ_x ∇C_x over the columns of X (n_0, m) with targets Y (n_L, m), all examples at once."""
    sigma = network.activation
    activations = [X]  # a^l, each (n_l, m)
    zs = []  # z^l = w^l a^{l-1} + b^l, each (n_l, m)
    for w, b in zip(network.weights, network.biases):
        z = w @ activations[-1]
        z += b
        zs.append(z)
        activations.append(sigma.fn(z))

    n_layers = len(network.weights)
    nabla_b: list[Array] = [None] * n_layers  # type: ignore[list-item]
    nabla_w: list[Array] = [None] * n_layers  # type: ignore[list-item]
    delta = network.cost.delta(zs[-1], activations[-1], Y, sigma)  # BP1, (n_L, m)
    for l in range(n_layers - 1, -1, -1):
        if l < n_layers - 1:
            delta = network.weights[l + 1].T @ delta  # BP2: (w^{l+1})^T δ^{l+1} ...
            delta *= sigma.prime(zs[l], activations[l + 1])  # ... ⊙ σ'(z^l)
        nabla_b[l] = delta.sum(axis=1, keepdims=True)  # BP3, summed over the batch
        nabla_w[l] = delta @ activations[l].T  # BP4: Σ_x δ^{x,l} (a^{x,l-1})^T
    return nabla_b, nabla_w


def backprop_example(network: Network, x: Array, y: Array) -> Gradient:
    """∇C_x for one example: x is an (n_0, 1) column, y an (n_L, 1) column."""
    sigma = network.activation
    activations = [x]
    zs = []
    for w, b in zip(network.weights, network.biases):
        z = w @ activations[-1]
        z += b
        zs.append(z)
        activations.append(sigma.fn(z))

    n_layers = len(network.weights)
    nabla_b: list[Array] = [None] * n_layers  # type: ignore[list-item]
    nabla_w: list[Array] = [None] * n_layers  # type: ignore[list-item]
    delta = network.cost.delta(zs[-1], activations[-1], y, sigma)  # BP1
    for l in range(n_layers - 1, -1, -1):
        if l < n_layers - 1:
            delta = network.weights[l + 1].T @ delta  # BP2
            delta *= sigma.prime(zs[l], activations[l + 1])
        nabla_b[l] = delta  # BP3
        nabla_w[l] = delta @ activations[l].T  # BP4: outer product δ^l (a^{l-1})^T
    return nabla_b, nabla_w


def backprop_loop(network: Network, X: Array, Y: Array) -> Gradient:
    """Σ_x ∇C_x over the columns of X, one example at a time, as the chapter's SGD does."""
    nabla_b = [np.zeros_like(b) for b in network.biases]
    nabla_w = [np.zeros_like(w) for w in network.weights]
    for j in range(X.shape[1]):
        delta_nabla_b, delta_nabla_w = backprop_example(network, X[:, j : j + 1], Y[:, j : j + 1])
        for nb, dnb in zip(nabla_b, delta_nabla_b):
            nb += dnb
        for nw, dnw in zip(nabla_w, delta_nabla_w):
            nw += dnw
    return nabla_b, nabla_w


ENGINES: dict[str, Callable[[Network, Array, Array], Gradient]] = {
    "matrix": backprop_matrix,
    "loop": backprop_loop,
}


def update(network: Network, gradient: Gradient, eta: float, m: int) -> None:
    """Gradient descent on one mini-batch of m examples: w → w − (η/m) Σ_x ∂C_x/∂w, likewise b."""
    nabla_b, nabla_w = gradient
    step = eta / m
    for b, nb in zip(network.biases, nabla_b):
        nb *= step
        b -= nb
    for w, nw in zip(network.weights, nabla_w):
        nw *= step
        w -= nw
