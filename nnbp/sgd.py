"""The steps of gradient descent that spend a mini-batch's gradient: plain SGD (chapter 1, with
chapter 3's L2 regularisation), momentum-based gradient descent (chapter 3), and Adam (not in the
book: Kingma and Ba, 2015, which scales each parameter's step by running averages of its gradient).

Each takes Σ_x ∇C_x over a mini-batch of m examples (its real size: a last partial batch divides
by fewer), as `backprop` returns it, and updates the network in place. `SGD`, `Momentum` and `Adam`
bundle a step with its settings and the state it keeps between steps (what a checkpoint saves).
Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def adam_step(
    network: Network,
    gradient: Gradient,
    moments: Gradient,
    squares: Gradient,
    t: int,
    eta: float,
    m: int,
    betas: tuple[float, float] = (0.9, 0.999),
    epsilon: float = 1e-8,
    lmbda: float = 0.0,
    n: int = 1,
) -> None:
    """Adam's t-th step (t from 1): with g the mini-batch's mean gradient (1/m) Σ_x ∇C_x plus, for the
    weights, the L2 term (λ/n) w,  m → β₁m + (1 − β₁)g,  v → β₂v + (1 − β₂)g²,  and each parameter
    p → p − η m̂ / (√v̂ + ε), where m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ) undo the averages' start at 0.

    `moments` (m) and `squares` (v), shaped like (biases, weights), are updated in place; the
    gradient is spent.
    """
    beta1, beta2 = betas
    unbias1, unbias2 = 1.0 - beta1**t, 1.0 - beta2**t
    for params, grads, firsts, seconds, decayed in (
        (network.biases, gradient[0], moments[0], squares[0], False),
        (network.weights, gradient[1], moments[1], squares[1], True),
    ):
        for p, g, m1, v in zip(params, grads, firsts, seconds):
            g /= m
            if decayed and lmbda:
                g += (lmbda / n) * p
            m1 *= beta1
            m1 += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            p -= eta * (m1 / unbias1) / (np.sqrt(v / unbias2) + epsilon)


def zeros_like(network: Network) -> Gradient:
    """Zeros shaped like (biases, weights): state at rest."""
    return [np.zeros_like(b) for b in network.biases], [np.zeros_like(w) for w in network.weights]


@dataclass
class SGD:
    """Plain SGD with L2 over n training examples; it keeps no state."""

    lmbda: float = 0.0
    n: int = 1

    def step(self, network: Network, gradient: Gradient, eta: float, m: int) -> None:
        sgd_step(network, gradient, eta, m, self.lmbda, self.n)

    def arrays(self) -> dict[str, Array]:
        """The state a checkpoint saves, as named arrays."""
        return {}


@dataclass
class Momentum:
    """Momentum-based gradient descent; it keeps the velocities."""

    mu: float
    velocity: Gradient
    lmbda: float = 0.0
    n: int = 1

    def step(self, network: Network, gradient: Gradient, eta: float, m: int) -> None:
        momentum_step(network, gradient, self.velocity, eta, self.mu, m, self.lmbda, self.n)

    def arrays(self) -> dict[str, Array]:
        return named("velocity", self.velocity)


@dataclass
class Adam:
    """Adam; it keeps the running averages and the number of steps taken."""

    moments: Gradient
    squares: Gradient
    betas: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8
    lmbda: float = 0.0
    n: int = 1
    t: int = 0

    def step(self, network: Network, gradient: Gradient, eta: float, m: int) -> None:
        self.t += 1
        adam_step(
            network, gradient, self.moments, self.squares, self.t, eta, m, self.betas, self.epsilon, self.lmbda, self.n
        )

    def arrays(self) -> dict[str, Array]:
        steps = np.array([self.t], np.int64)
        return {**named("adam_moment", self.moments), **named("adam_square", self.squares), "adam_steps": steps}


def named(prefix: str, arrays: Gradient) -> dict[str, Array]:
    """(biases, weights) arrays as `prefix_biases_i`, `prefix_weights_i`."""
    return {
        f"{prefix}_{kind}_{i}": a for kind, group in zip(("biases", "weights"), arrays) for i, a in enumerate(group)
    }
