"""Backpropagation as chapter 2 lays it out: equations BP1–BP4 on a whole mini-batch at once.

A mini-batch is one matrix X = [x1 … xm] of shape (n_0, m), its one-hot targets Y of shape
(n_L, m). `backprop` makes one forward and one backward pass over all m columns and returns the
gradient of the batch's summed cost, Σ_x ∇C_x, as `(nabla_b, nabla_w)`: lists shaped like
`network.biases` and `network.weights`. `backprop_per_example` is the chapter's algorithm as first
written, the same function on one column at a time with the gradients summed. `sgd_step` turns a
gradient into the step of gradient descent.

Indices: `weights[l]`, `biases[l]`, `zs[l]`, `deltas[l]` are w^l, b^l, z^l, δ^l of the l-th layer
after the input (from 0); `activations` starts with the input X, so `activations[l]` is a^{l−1},
the input of layer l, and `activations[l + 1]` its output a^l. Pure numpy: no files, config or printing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnbp.network import Network

Array = np.ndarray
Gradient = tuple[list[Array], list[Array]]  # (nabla_b, nabla_w)


def gradient_arrays(sizes: list[int], dtype: np.dtype) -> Gradient:
    """Uninitialised (nabla_b, nabla_w) shaped like a network's biases and weights."""
    return ([np.empty((n, 1), dtype) for n in sizes[1:]],
            [np.empty((n_out, n_in), dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])])


class Workspace:
    """The arrays one pass over a batch of m examples writes, allocated once and reused.

    After `backprop`, `zs[l]`, `activations[l]` and `deltas[l]` hold z, a and δ of layer l, each
    (n_l, m); `nabla_b` and `nabla_w` (given, or made here) hold the gradient `backprop` returned.
    """

    def __init__(self, sizes: list[int], m: int, dtype: np.dtype, gradient: Gradient | None = None) -> None:
        self.m = m
        self.zs = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.activations = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.deltas = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.primes = [np.empty((n, m), dtype) for n in sizes[1:]]  # σ'(z) of each layer
        self.nabla_b, self.nabla_w = gradient or gradient_arrays(sizes, dtype)
        self.ones = np.ones((m, 1), dtype)  # 𝟙: δ 𝟙 sums δ over the batch


class Workspaces(dict):
    """A network's workspaces by batch size (a full mini-batch, a last partial one, m = 1), made on
    first use. They share one set of gradient arrays, as only one pass runs at a time."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.network = network
        self.gradient = gradient_arrays(network.sizes, network.dtype)

    def __missing__(self, m: int) -> Workspace:
        ws = self[m] = Workspace(self.network.sizes, m, self.network.dtype, self.gradient)
        return ws


def backprop(network: Network, X: Array, Y: Array, workspaces: Workspaces | None = None) -> Gradient:
    """Σ_x ∇C_x over the m columns of X (n_0, m) with targets Y (n_L, m), in one pass of each kind.

    The arrays returned are those of `workspaces[m]` (fresh ones when no workspaces are given):
    valid until that workspace's next use.
    """
    m = X.shape[1]
    ws = workspaces[m] if workspaces is not None else Workspace(network.sizes, m, network.dtype)
    weights, sigmas = network.weights, network.sigmas
    zs, deltas, nabla_b, nabla_w = ws.zs, ws.deltas, ws.nabla_b, ws.nabla_w

    activations = [X, *ws.activations]  # the input, then each layer's a^l, (n, m)
    for l, (w, b, sigma) in enumerate(zip(weights, network.biases, sigmas)):
        np.matmul(w, activations[l], out=zs[l])  # z^l = w^l a^{l−1} + b^l  (25)
        zs[l] += b
        sigma.fn(zs[l], out=activations[l + 1])  # a^l = σ(z^l)

    delta = network.cost.delta(zs[-1], activations[-1], Y, sigmas[-1], out=deltas[-1])  # BP1: δ^L = ∇_a C ⊙ σ'(z^L)
    for l in reversed(range(len(weights))):
        np.matmul(delta, ws.ones, out=nabla_b[l])  # BP3: ∂C/∂b^l = δ^l, summed over x: δ^l 𝟙
        outer_sum(delta, activations[l], out=nabla_w[l])  # BP4: ∂C/∂w^l = δ^l (a^{l−1})ᵀ, summed over x
        if l > 0:
            delta = np.matmul(weights[l].T, delta, out=deltas[l - 1])  # BP2: δ^{l−1} = ((w^l)ᵀ δ^l)
            delta *= sigmas[l - 1].prime(zs[l - 1], activations[l], out=ws.primes[l - 1])  # ⊙ σ'(z^{l−1})
    return nabla_b, nabla_w


def outer_sum(delta: Array, a: Array, out: Array) -> Array:
    """δ aᵀ = Σ_x δ_x a_xᵀ; for one column a broadcast product, as numpy's matmul is slow at inner size 1."""
    if delta.shape[1] == 1:
        return np.multiply(delta, a.T, out=out)
    return np.matmul(delta, a.T, out=out)


def backprop_per_example(network: Network, X: Array, Y: Array, workspaces: Workspaces | None = None) -> Gradient:
    """Σ_x ∇C_x as the chapter first computes it: `backprop` on each column x of X alone, summed."""
    workspaces = workspaces if workspaces is not None else Workspaces(network)
    nabla_b = [np.zeros_like(b) for b in network.biases]
    nabla_w = [np.zeros_like(w) for w in network.weights]
    for j in range(X.shape[1]):
        delta_nabla_b, delta_nabla_w = backprop(network, X[:, j : j + 1], Y[:, j : j + 1], workspaces)
        for nb, dnb in zip(nabla_b, delta_nabla_b):
            nb += dnb
        for nw, dnw in zip(nabla_w, delta_nabla_w):
            nw += dnw
    return nabla_b, nabla_w


Engine = Callable[[Network, Array, Array, "Workspaces | None"], Gradient]
ENGINES: dict[str, Engine] = {"matrix": backprop, "loop": backprop_per_example}


def sgd_step(network: Network, gradient: Gradient, eta: float, m: int, lmbda: float = 0.0, n: int = 1) -> None:
    """One step of gradient descent from Σ_x ∇C_x over a mini-batch of m examples (its real size):
    w → (1 − ηλ/n) w − (η/m) Σ_x ∂C_x/∂w, b → b − (η/m) Σ_x ∂C_x/∂b  (chapter 1's (20), (21); chapter 3's L2).

    λ > 0 is L2 regularisation over a training set of n examples; biases are not decayed.
    The gradient is spent: its arrays are scaled by η/m in place (no temporary as large as the weights).
    """
    nabla_b, nabla_w = gradient
    for b, nb in zip(network.biases, nabla_b):
        nb *= eta / m
        b -= nb
    for w, nw in zip(network.weights, nabla_w):
        if lmbda:
            w *= 1.0 - eta * lmbda / n
        nw *= eta / m
        w -= nw


def momentum_step(network: Network, gradient: Gradient, velocity: Gradient, eta: float, mu: float, m: int,
                  lmbda: float = 0.0, n: int = 1) -> None:
    """One step of chapter 3's momentum-based gradient descent, v → μv − η∇C, then w → w + v and
    b → b + v, where ∇C is the mini-batch's mean gradient (1/m) Σ_x ∇C_x plus, for the weights,
    the L2 term (λ/n) w. `velocity` holds (v_b, v_w), shaped like (biases, weights), and is updated
    in place; like `sgd_step`, this spends the gradient. μ = 0 is `sgd_step` with the sum in another order.
    """
    nabla_b, nabla_w = gradient
    v_b, v_w = velocity
    for b, nb, v in zip(network.biases, nabla_b, v_b):
        nb *= eta / m
        v *= mu
        v -= nb
        b += v
    for w, nw, v in zip(network.weights, nabla_w, v_w):
        nw *= eta / m
        if lmbda:
            nw += (eta * lmbda / n) * w
        v *= mu
        v -= nw
        w += v
