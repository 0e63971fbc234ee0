"""The steps of gradient descent that spend a mini-batch's gradient: plain SGD (chapter 1, with
chapter 3's L2 regularisation) and momentum-based gradient descent (chapter 3).

Each takes Σ_x ∇C_x over a mini-batch of m examples (its real size: a last partial batch divides
by fewer), as `backprop` returns it, and updates the network in place. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from nnbp.network import Gradient, Network

Array = np.ndarray


def sgd_step(network: Network, gradient: Gradient, eta: float, m: int, lmbda: float = 0.0, n: int = 1) -> None:
    """w → (1 − ηλ/n) w − (η/m) Σ_x ∂C_x/∂w,  b → b − (η/m) Σ_x ∂C_x/∂b  (chapter 1's (20), (21);
    chapter 3's L2 with λ over a training set of n examples; biases are not decayed).

    The gradient is spent: its arrays are scaled by η/m in place (no temporary as large as the weights).
    """
    step, decay = eta / m, 1.0 - eta * lmbda / n
    for b, w, nb, nw in zip(network.biases, network.weights, *gradient):
        nb *= step
        b -= nb
        if lmbda:
            w *= decay
        nw *= step
        w -= nw


def zero_velocity(network: Network) -> Gradient:
    """Momentum's velocities at rest: (v_b, v_w), zeros shaped like (biases, weights)."""
    return [np.zeros_like(b) for b in network.biases], [np.zeros_like(w) for w in network.weights]


def momentum_step(
    network: Network,
    gradient: Gradient,
    velocity: Gradient,
    eta: float,
    mu: float,
    m: int,
    lmbda: float = 0.0,
    n: int = 1,
) -> None:
    """v → μv − η∇C, then w → w + v and b → b + v (chapter 3), where ∇C is the mini-batch's mean
    gradient (1/m) Σ_x ∇C_x plus, for the weights, the L2 term (λ/n) w.

    `velocity` (v_b, v_w) is updated in place; like `sgd_step`, this spends the gradient.
    μ = 0 is `sgd_step` with the sum taken in another order.
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
