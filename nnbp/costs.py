"""Cost functions: each supplies its value and the output error δ^L of BP1.

Batches are matrices whose columns are examples; values are sums over the columns (the caller
divides by the number of examples). Values are computed from z^L where that is exact: a^L rounds
to 0 or 1 long before z^L is extreme, and ln 0 is no cost. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnbp.activations import Activation

Array = np.ndarray


@dataclass(frozen=True)
class Cost:
    """`fn(Z, A, Y)`: Σ_x C_x over the columns; `delta(Z, A, Y, σ, out)`: δ^L, (n_L, m).

    `outputs` names the output activations the cost is defined for (None: any element-wise σ).
    """

    name: str
    fn: Callable[[Array, Array, Array], float]
    delta: Callable[..., Array]
    outputs: tuple[str, ...] | None = None


def quadratic_fn(Z: Array, A: Array, Y: Array) -> float:
    """Σ_x ½‖y(x) − a^L(x)‖², the chapter's equation (26) times n."""
    diff = A - Y
    return 0.5 * float(np.vdot(diff, diff))


def quadratic_delta(Z: Array, A: Array, Y: Array, sigma: Activation, out: Array | None = None) -> Array:
    """BP1 for the quadratic cost: δ^L = (a^L − y) ⊙ σ'(z^L), written into `out` if given."""
    delta = np.subtract(A, Y, out=out)
    delta *= sigma.prime(Z, A)
    return delta


def cross_entropy_fn(Z: Array, A: Array, Y: Array) -> float:
    """Σ_x Σ_j −[y ln a + (1 − y) ln(1 − a)] for sigmoid outputs, written through z:
    −ln σ(z) = softplus(−z) and −ln(1 − σ(z)) = softplus(z), both exact for any z."""
    return float(np.sum(Y * np.logaddexp(0.0, -Z) + (1.0 - Y) * np.logaddexp(0.0, Z)))


def output_error(Z: Array, A: Array, Y: Array, sigma: Activation, out: Array | None = None) -> Array:
    """BP1 when the cost cancels σ': δ^L = a^L − y (cross-entropy with sigmoid, log-likelihood with
    softmax outputs — chapter 3)."""
    return np.subtract(A, Y, out=out)


def log_likelihood_fn(Z: Array, A: Array, Y: Array) -> float:
    """Σ_x −ln a^L_y(x) for softmax outputs, as Σ_x (logsumexp(z) − z_y): exact for any z."""
    top = Z.max(axis=0)
    log_sum = top + np.log(np.exp(Z - top).sum(axis=0))
    return float(np.sum(log_sum) - np.vdot(Y, Z))


QUADRATIC = Cost("quadratic", quadratic_fn, quadratic_delta)
CROSS_ENTROPY = Cost("cross-entropy", cross_entropy_fn, output_error, outputs=("sigmoid",))
LOG_LIKELIHOOD = Cost("log-likelihood", log_likelihood_fn, output_error, outputs=("softmax",))

COSTS: dict[str, Cost] = {c.name: c for c in (QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD)}


def check_pairing(cost: Cost, output: Activation) -> str | None:
    """Why `cost` cannot train an output layer of `output` neurons, or None if it can."""
    if cost.outputs is not None and output.name not in cost.outputs:
        return f"the {cost.name} cost needs {' or '.join(cost.outputs)} output neurons, not {output.name}"
    if cost.outputs is None and not output.elementwise:
        return f"{output.name} outputs need the log-likelihood cost, not {cost.name}"
    return None
