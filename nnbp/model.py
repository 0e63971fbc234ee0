"""A trained network with the preprocessing it was trained with: raw examples in, answers in the data's
own terms out — class names and scores, or a regression's values in the targets' units. The scaling
fitted on the training split travels with the network in its weights file, so no one rescales by hand.

    model = nnbp.load_model("runs/iris/best.npz")
    model.predict(rows)          # rows: (N, n_features) as in the table, unscaled
    model.predict_proba(rows)    # (N, classes)

Pure numpy: the network, its scaling, and the forward pass a chunk of rows at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.system.memory import forward_chunk

Array = np.ndarray


@dataclass(repr=False)
class Model:
    """A network and its data's terms: inputs = (x − input_shift) × input_scale per feature; a
    regression's value = output / target_scale + target_shift."""

    network: Network
    input_scale: float | Array = 1.0
    input_shift: Array | None = None
    task: str = "classification"
    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    target_names: tuple[str, ...] | None = None
    target_shift: Array | None = None
    target_scale: Array | None = None

    def __repr__(self) -> str:
        names = f", classes={list(self.class_names)}" if self.class_names else ""
        return f"Model({self.network!r}, task={self.task}{names})"

    @property
    def n_features(self) -> int:
        return self.network.sizes[0]

    def inputs(self, X: Array) -> Array:
        """Rows X (N, n_features), raw, as the network's input columns (n_features, N)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise NnbpError(f"the model takes rows of {self.n_features} features; got an array of shape {X.shape}")
        if X.dtype.kind not in "uif":
            raise NnbpError(f"the model takes numbers; got an array of {X.dtype}")
        columns = np.array(X, dtype=self.network.dtype).T  # a copy: the caller's array is left alone
        if self.input_shift is not None:
            columns -= np.asarray(self.input_shift, self.network.dtype)[:, None]
        columns *= np.reshape(np.asarray(self.input_scale, self.network.dtype), (-1, 1))  # one, or one per feature
        return columns

    def outputs(self, X: Array) -> Array:
        """The output layer's activations (n_L, N) for rows X, fed forward a chunk at a time."""
        X = np.asarray(X)
        chunk = forward_chunk(self.network.sizes, self.network.dtype)
        out = np.empty((self.network.sizes[-1], len(X)), self.network.dtype)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            for start in range(0, len(X), chunk):
                out[:, start : start + chunk] = self.network.feedforward(self.inputs(X[start : start + chunk]))
        return out

    def predict_proba(self, X: Array) -> Array:
        """Each row's score for each class (N, classes): softmax probabilities, or each output's share
        of the summed output activations (sigmoid outputs do not sum to 1)."""
        if self.task == "regression":
            raise NnbpError("a regression has no class probabilities; predict gives its values")
        return scores_of(self.network, self.outputs(X)).T

    def predict(self, X: Array) -> Array:
        """Each row's class (its name, when the model knows the names; else its index), or a regression's
        values in the targets' units: (N,) for one target, (N, t) for several."""
        if self.task == "regression":
            values = self.outputs(X).T / self.target_scale + self.target_shift
            return values[:, 0] if values.shape[1] == 1 else values
        indices = self.outputs(X).argmax(axis=0)
        return np.asarray(self.class_names)[indices] if self.class_names else indices


def scores_of(network: Network, A: Array) -> Array:
    """Each output's score for output activations A (n_L, N): softmax probabilities as they are, else
    each output's share of the summed activations (sigmoid outputs do not sum to 1)."""
    if network.sigmas[-1].name == "softmax":
        return A
    total = A.sum(axis=0, keepdims=True)
    return np.divide(A, total, out=np.zeros_like(A), where=total > 0)
