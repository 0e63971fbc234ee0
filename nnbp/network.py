"""The network: layer sizes, weights w^l and biases b^l, and the forward pass (equation 25).

Pure numpy. Layout as in the chapter: examples are columns, `weights[l]` has shape
(sizes[l+1], sizes[l]) and `biases[l]` shape (sizes[l+1], 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnbp.activations import SIGMOID, Activation
from nnbp.costs import QUADRATIC, Cost

Array = np.ndarray


@dataclass
class Network:
    """A fully-connected network whose layers all use one activation σ, trained against one cost."""

    sizes: list[int]
    weights: list[Array]
    biases: list[Array]
    activation: Activation = SIGMOID
    cost: Cost = QUADRATIC

    @classmethod
    def initialise(
        cls,
        sizes: list[int],
        rng: np.random.Generator,
        dtype: type = np.float64,
        activation: Activation = SIGMOID,
        cost: Cost = QUADRATIC,
    ) -> Network:
        """The book's initialisation: every weight and bias drawn from N(0, 1).

        Drawn in float64 and then cast, so float32 and float64 runs start from the same numbers.
        """
        biases = [rng.standard_normal((n, 1)).astype(dtype) for n in sizes[1:]]
        weights = [
            rng.standard_normal((n_out, n_in)).astype(dtype)
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ]
        return cls(list(sizes), weights, biases, activation, cost)

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    def feedforward(self, X: Array) -> Array:
        """a^L for every column of X (n_0, m): a^l = σ(w^l a^{l-1} + b^l), equation (25)."""
        a = X
        for w, b in zip(self.weights, self.biases):
            z = w @ a
            z += b
            a = self.activation.fn(z, out=z)
        return a

    def copy(self) -> Network:
        """An independent copy (the arrays are copied, σ and the cost are shared)."""
        return Network(
            list(self.sizes),
            [w.copy() for w in self.weights],
            [b.copy() for b in self.biases],
            self.activation,
            self.cost,
        )
