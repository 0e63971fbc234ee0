"""Cost functions: each supplies its value and the output error δ^L of BP1.

Pure numpy. Batches are matrices whose columns are examples; values are sums over the batch's
columns (the caller divides by the number of examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnbp.activations import Activation

Array = np.ndarray


@dataclass(frozen=True)
class Cost:
    """`fn(A, Y)`: Σ_x C_x over the columns; `delta(Z, A, Y, activation, out)`: δ^L, (n_L, m)."""

    name: str
    fn: Callable[[Array, Array], float]
    delta: Callable[..., Array]


def quadratic_fn(A: Array, Y: Array) -> float:
    """Σ_x ½‖y(x) − a^L(x)‖², the chapter's equation (26) times n."""
    diff = A - Y
    return 0.5 * float(np.vdot(diff, diff))


def quadratic_delta(
    Z: Array, A: Array, Y: Array, activation: Activation, out: Array | None = None
) -> Array:
    """BP1 for the quadratic cost: δ^L = (a^L − y) ⊙ σ'(z^L), written into `out` if given."""
    delta = np.subtract(A, Y, out=out)
    delta *= activation.prime(Z, A)
    return delta


QUADRATIC = Cost("quadratic", quadratic_fn, quadratic_delta)

COSTS: dict[str, Cost] = {QUADRATIC.name: QUADRATIC}
