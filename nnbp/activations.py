"""Activation functions σ and their derivatives σ', one table entry each, keyed by the config name.

BP1–BP4 hold for any σ (the chapter's point); each entry pairs σ with σ'. Softmax is the exception:
its σ' is not element-wise, so it serves only as the output layer under the log-likelihood cost,
whose δ^L = a^L − y needs no σ'. Pure numpy: nothing here reads files, parses config or prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """σ and σ'. `fn(z, out)` writes σ(z) into `out`; `prime(z, a, out)` writes σ'(z) given a = σ(z)."""

    name: str
    fn: Callable[..., Array]
    prime: Callable[..., Array]
    elementwise: bool = True  # False for softmax: each output depends on the whole column


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


def tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=out)


def tanh_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    """tanh'(z) = 1 − tanh²(z)."""
    s = np.multiply(a, a, out=out)
    np.subtract(1.0, s, out=s)
    return s


def relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0.0, out=out)


def relu_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    """1 where z > 0, else 0 (the derivative at the kink z = 0 is taken as 0)."""
    if out is None:
        out = np.empty_like(z)
    return np.greater(z, 0.0, out=out)


def linear(z: Array, out: Array | None = None) -> Array:
    """The identity: the chapter's exercise of linear neurons."""
    if out is None:
        return z.copy()
    np.copyto(out, z)
    return out


def linear_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    if out is None:
        return np.ones_like(z)
    out.fill(1.0)
    return out


def softmax(z: Array, out: Array | None = None) -> Array:
    """e^{z_j} / Σ_k e^{z_k} down each column, after subtracting the column's max so exp cannot overflow."""
    a = np.subtract(z, z.max(axis=0, keepdims=True), out=out)
    np.exp(a, out=a)
    a /= a.sum(axis=0, keepdims=True)
    return a


def softmax_prime(z: Array, a: Array, out: Array | None = None) -> Array:
    raise ValueError("softmax has no element-wise derivative: use it as the output layer with log-likelihood")


SIGMOID = Activation("sigmoid", sigmoid, sigmoid_prime)
TANH = Activation("tanh", tanh, tanh_prime)
RELU = Activation("relu", relu, relu_prime)
LINEAR = Activation("linear", linear, linear_prime)
SOFTMAX = Activation("softmax", softmax, softmax_prime, elementwise=False)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (SIGMOID, TANH, RELU, LINEAR, SOFTMAX)}
