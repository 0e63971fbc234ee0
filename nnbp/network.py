"""The network: layer sizes, weights w^l, biases b^l, each layer's σ, the cost; the forward pass.

Pure numpy. Layout as in the chapter: examples are columns, `weights[j]` has shape
(sizes[j+1], sizes[j]) and `biases[j]` shape (sizes[j+1], 1); `sigmas[j]` is the σ of that layer.
In the book's numbering, whose input layer is layer 1, these are w^{j+2}, b^{j+2} and layer j + 2's σ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnbp.activations import SIGMOID, Activation
from nnbp.costs import QUADRATIC, Cost, check_pairing

Array = np.ndarray
Gradient = tuple[list[Array], list[Array]]  # (nabla_b, nabla_w): arrays shaped like (biases, weights)
INITS = ("normal", "scaled")
DTYPES = ("float64", "float32")  # the number types a network computes in


@dataclass(repr=False)
class Network:
    """A fully-connected network. `sigmas` defaults to the sigmoid in every layer, as in the book."""

    sizes: list[int]
    weights: list[Array]
    biases: list[Array]
    sigmas: tuple[Activation, ...] = field(default=())
    cost: Cost = QUADRATIC

    def __post_init__(self) -> None:
        if not self.sigmas:
            self.sigmas = (SIGMOID,) * len(self.weights)
        self.sigmas = tuple(self.sigmas)

    def __repr__(self) -> str:  # the arrays would bury the shape a reader wants
        sigmas = ", ".join(sigma.name for sigma in self.sigmas)
        return f"Network(sizes={self.sizes}, activations=[{sigmas}], cost={self.cost.name}, dtype={self.dtype})"

    @classmethod
    def initialise(
        cls,
        sizes: list[int],
        rng: np.random.Generator,
        dtype: type | np.dtype = np.float64,
        sigmas: tuple[Activation, ...] = (),
        cost: Cost = QUADRATIC,
        init: str = "normal",
    ) -> Network:
        """Weights and biases drawn from N(0, 1) (`normal`, the book's chapter 1 and 2), or weights
        from N(0, 1/n_in) with biases N(0, 1) (`scaled`, chapter 3: hidden neurons start unsaturated).

        Drawn in float64 and then cast, so float32 and float64 runs start from the same numbers.
        """
        biases = [rng.standard_normal((n, 1)).astype(dtype) for n in sizes[1:]]
        weights = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w = rng.standard_normal((n_out, n_in))
            if init == "scaled":
                w /= np.sqrt(n_in)
            weights.append(w.astype(dtype))
        return cls(list(sizes), weights, biases, sigmas, cost)

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    def forward(self, X: Array) -> tuple[Array, Array]:
        """z^L and a^L for every column of X (n_0, m): a^l = σ(w^l a^{l-1} + b^l), equation (25)."""
        a = X
        for w, b, sigma in zip(self.weights, self.biases, self.sigmas):
            z = w @ a
            z += b
            a = sigma.fn(z)
        return z, a

    def feedforward(self, X: Array) -> Array:
        """a^L for every column of X."""
        return self.forward(X)[1]

    def copy(self) -> Network:
        """An independent copy (the arrays are copied; σs and the cost are shared)."""
        return Network(
            list(self.sizes),
            [w.copy() for w in self.weights],
            [b.copy() for b in self.biases],
            self.sigmas,
            self.cost,
        )


def check_layers(sigmas: tuple[Activation, ...], cost: Cost) -> str | None:
    """Why these layer activations and this cost make no network backprop can train, or None."""
    for sigma in sigmas[:-1]:
        if not sigma.elementwise:
            return f"{sigma.name} can only be the output layer's activation"
    return check_pairing(cost, sigmas[-1])
