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
    """σ(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2: no overflow or warning for any z."""
    a = np.multiply(z, 0.5, out=out)
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def sigmoid_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    """σ'(z) = σ(z)(1 − σ(z)), from the activation already computed in the forward pass."""
    s = np.subtract(1.0, a, out=out)
    s *= a
    return s


SIGMOID = Activation("sigmoid", sigmoid, sigmoid_prime)

ACTIVATIONS: dict[str, Activation] = {SIGMOID.name: SIGMOID}
