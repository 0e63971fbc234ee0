"""Backpropagation as chapter 2 lays it out: equations BP1–BP4 on a whole mini-batch at once.

A mini-batch is one matrix X = [x1 … xm] of shape (n_0, m), its targets Y of shape (n_L, m).
`backprop` makes one forward and one backward pass over all m columns and returns the gradient of
the batch's summed cost, Σ_x ∇C_x, as `(nabla_b, nabla_w)`: lists shaped like `network.biases` and
`network.weights`. The step of gradient descent that spends it is `nnbp.sgd`'s.

Indices, as in the book with its layers numbered from 1 (the input layer) to L: list position j
holds layer j + 2 in `weights[j]` = w^{j+2}, `biases[j]`, `zs[j]`, `deltas[j]` and the gradient's
`nabla_w[j]`, `nabla_b[j]`; `activations` starts with the input, so `activations[j]` = a^{j+1}
(`activations[0]` is X) is the input of `weights[j]`, and `activations[j + 1]` its output.
Pure numpy: no files, config or printing.
"""

from __future__ import annotations

import numpy as np

from nnbp.network import Gradient, Network

Array = np.ndarray


def gradient_arrays(sizes: list[int], dtype: np.dtype) -> Gradient:
    """Uninitialised (nabla_b, nabla_w) shaped like a network's biases and weights."""
    return (
        [np.empty((n, 1), dtype) for n in sizes[1:]],
        [np.empty((n_out, n_in), dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])],
    )


class Workspace:
    """The arrays one pass over a batch of m examples writes, allocated once and reused.

    After `backprop`: `activations[0]` is the batch X and `activations[j + 1]`, `zs[j]`, `deltas[j]`
    hold a, z and δ of layer j + 2, each (n, m); `nabla_b`, `nabla_w` hold the gradient returned.
    """

    def __init__(self, sizes: list[int], m: int, dtype: np.dtype, gradient: Gradient | None = None) -> None:
        self.m = m
        self.activations: list[Array] = [np.empty((0, m), dtype)] + [np.empty((n, m), dtype) for n in sizes[1:]]
        self.zs = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.deltas = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.primes = [np.empty((n, m), dtype) for n in sizes[1:-1]]  # σ'(z) of each hidden layer
        self.nabla_b, self.nabla_w = gradient or gradient_arrays(sizes, dtype)
        self.ones = np.ones((m, 1), dtype)  # 𝟙: δ 𝟙 sums δ over the batch


class Workspaces(dict):
    """A network's workspaces by batch size (a full mini-batch, a last partial one), made on first
    use. They share one set of gradient arrays, as only one pass runs at a time."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.network = network
        self.gradient = gradient_arrays(network.sizes, network.dtype)

    def __missing__(self, m: int) -> Workspace:
        ws = self[m] = Workspace(self.network.sizes, m, self.network.dtype, self.gradient)
        return ws


def backprop(
    network: Network, X: Array, Y: Array, workspaces: Workspaces | None = None, masks: list[Array | None] | None = None
) -> Gradient:
    """Σ_x ∇C_x over the m columns of X (n_0, m) with targets Y (n_L, m), in one pass of each kind.

    `masks[j]` (n, 1), for a hidden layer, is chapter 3's dropout for this mini-batch: 0 for a neuron
    deleted, 1/(1 − p) for one kept (so evaluation, with every neuron, needs no rescaling).
    The arrays returned are those of `workspaces[m]` (fresh ones when no workspaces are given):
    valid until that workspace's next use.
    """
    m = X.shape[1]
    ws = workspaces[m] if workspaces is not None else Workspace(network.sizes, m, network.dtype)
    weights, sigmas, L = network.weights, network.sigmas, len(network.weights)
    activations, zs, deltas, primes = ws.activations, ws.zs, ws.deltas, ws.primes
    nabla_b, nabla_w = ws.nabla_b, ws.nabla_w

    activations[0] = X  # a¹ = x for every column
    for j, (w, b, sigma) in enumerate(zip(weights, network.biases, sigmas)):
        np.matmul(w, activations[j], out=zs[j])  # z^l = w^l a^{l−1} + b^l  (25)
        zs[j] += b
        sigma.fn(zs[j], out=activations[j + 1])  # a^l = σ(z^l)
        if j < L - 1:
            sigma.prime(zs[j], activations[j + 1], out=primes[j])  # σ'(z^l), for BP2
            if masks is not None and masks[j] is not None:
                activations[j + 1] *= masks[j]  # dropout: a deleted neuron outputs 0

    delta = network.cost.delta(zs[-1], activations[-1], Y, sigmas[-1], out=deltas[-1])  # BP1: δ^L = ∇_a C ⊙ σ'(z^L)
    for j in reversed(range(L)):
        np.matmul(delta, ws.ones, out=nabla_b[j])  # BP3: ∂C/∂b^l = δ^l, summed over x: δ^l 𝟙
        np.matmul(delta, activations[j].T, out=nabla_w[j])  # BP4: ∂C/∂w^l = δ^l (a^{l−1})ᵀ, summed over x
        if j > 0:
            delta = np.matmul(weights[j].T, delta, out=deltas[j - 1])  # BP2: δ^{l−1} = ((w^l)ᵀ δ^l)
            delta *= primes[j - 1]  # ⊙ σ'(z^{l−1})
            if masks is not None and masks[j - 1] is not None:
                delta *= masks[j - 1]  # dropout: a deleted neuron passes no error back
    return nabla_b, nabla_w
