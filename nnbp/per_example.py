"""The chapter's backpropagation algorithm as first written: one training example at a time.

For a single input x (a column, (n_0, 1)) with target y: feed forward, keeping each z^l and a^l;
compute the output error δ^L (BP1); propagate the error backward (BP2); read off the gradient (BP3,
BP4). A mini-batch's gradient is the sum of its examples' gradients. This is the baseline the
matrix engine (`nnbp.backprop`) is checked and timed against, so it shares none of that engine's
code: only the network, its activations and its cost.

Indices as in `nnbp.backprop`: position j of `weights`, `zs`, `nabla_w`, … holds layer j + 2 in the
book's numbering; `activations[j]` is a^{j+1}, so `activations[0]` is x. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from nnbp.network import Gradient, Network

Array = np.ndarray


def backprop_example(network: Network, x: Array, y: Array, masks: list[Array | None] | None = None) -> Gradient:
    """∇C_x for one example x (n_0, 1) with target y (n_L, 1), as `(nabla_b, nabla_w)`; `masks` are the
    mini-batch's dropout masks, as in `nnbp.backprop.backprop`."""
    weights, sigmas = network.weights, network.sigmas
    L = len(weights)  # layers of weights: 2 … L + 1 in the book's numbering
    masks = masks or [None] * L

    activations = [x]  # 1. input: a¹ = x; then each layer's output as the next layer takes it
    zs, outputs = [], []
    for w, b, sigma, mask in zip(weights, network.biases, sigmas, masks):  # 2. feedforward
        z = w @ activations[-1] + b  # z^l = w^l a^{l−1} + b^l
        a = sigma.fn(z)  # a^l = σ(z^l)
        zs.append(z)
        outputs.append(a)
        activations.append(a if mask is None else a * mask)  # dropout: a deleted neuron outputs 0

    nabla_b: list[Array] = [np.empty(0)] * L
    nabla_w: list[Array] = [np.empty(0)] * L
    delta = network.cost.delta(zs[-1], activations[-1], y, sigmas[-1])  # 3. BP1: δ^L = ∇_a C ⊙ σ'(z^L)
    for j in reversed(range(L)):  # 4. backpropagate the error, then 5. the gradient
        if j < L - 1:
            delta = (weights[j + 1].T @ delta) * sigmas[j].prime(zs[j], outputs[j])  # BP2
            if masks[j] is not None:
                delta = delta * masks[j]  # dropout: a deleted neuron passes no error back
        nabla_b[j] = delta  # BP3: ∂C/∂b^l = δ^l
        nabla_w[j] = delta * activations[j].T  # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j, an outer product
    return nabla_b, nabla_w


def backprop_per_example(network: Network, X: Array, Y: Array, masks: list[Array | None] | None = None) -> Gradient:
    """Σ_x ∇C_x over the m columns of X (n_0, m) with targets Y (n_L, m), one example at a time (the same
    dropout `masks` for every example of the mini-batch, as the chapter deletes neurons per mini-batch)."""
    nabla_b = [np.zeros_like(b) for b in network.biases]
    nabla_w = [np.zeros_like(w) for w in network.weights]
    for k in range(X.shape[1]):
        delta_nabla_b, delta_nabla_w = backprop_example(network, X[:, k : k + 1], Y[:, k : k + 1], masks)
        for nb, dnb in zip(nabla_b, delta_nabla_b):
            nb += dnb
        for nw, dnw in zip(nabla_w, delta_nabla_w):
            nw += dnw
    return nabla_b, nabla_w
