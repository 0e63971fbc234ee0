"""Activation functions σ and their derivatives σ', one table entry each, keyed by the config name.

Pure numpy: nothing here reads files, parses config or prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """σ and σ'. `fn(z, out)` writes σ(z) into `out`; `prime(z, a, out)` writes σ'(z) given a = σ(z)."""

    name: str
    fn: Callable[[Array, Array], Array]
    prime: Callable[[Array, Array, Array], Array]


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """σ(z) = 1 / (1 + e^-z), to full relative precision for every z, with no temporaries.

    For z below about −709 (float64; −88 in float32) e^-z overflows to inf and 1 / (1 + inf) = 0,
    the correctly rounded result; the overflow is expected, so numpy is told not to warn of it.
    """
    with np.errstate(over="ignore"):
        a = np.negative(z, out=out)
        np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def sigmoid_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    """σ'(z) = σ(z)(1 − σ(z)), from the activation already computed in the forward pass."""
    s = np.subtract(1.0, a, out=out)
    s *= a
    return s


SIGMOID = Activation("sigmoid", sigmoid, sigmoid_prime)

ACTIVATIONS: dict[str, Activation] = {SIGMOID.name: SIGMOID}
