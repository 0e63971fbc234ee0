"""The two backpropagation engines of chapter 2, and the SGD step they share.

Both give the gradient summed over a mini-batch, Σ_x ∇C_x, as `(nabla_b, nabla_w)`: lists shaped
like `network.biases` and `network.weights`. The SGD step divides by the batch's real size.

- `MatrixEngine`: the fully matrix-based form. X = [x1 … xm] is one (n_0, m) matrix; one forward and
  one backward pass serve the whole batch. No Python loop over examples.
- `LoopEngine`: the chapter's algorithm as written. For each example x of the batch, one forward and one
  backward pass on a single (n_0, 1) column, accumulating nabla_b and nabla_w.

Both run the same `backprop` (with m columns, or with m = 1), on arrays allocated once per batch
size, so neither pays for allocation per batch and their arithmetic is the same.
Pure numpy: no files, config or printing.
"""

from __future__ import annotations

import math

import numpy as np

from nnbp.network import Network

Array = np.ndarray
Gradient = tuple[list[Array], list[Array]]
ROW = 1024  # elements in a row of `GradientArrays.rows`: a BLAS dot this long stays on one thread


class GradientArrays:
    """∇b^l and ∇w^l of every layer, laid out in the rows of one zero-padded (k, ROW) matrix.

    Each array starts a row and takes whole rows (the last padded with zeros that nothing writes),
    so one call, `np.vecdot(rows, rows)`, squares every row, and a layer's ‖∇w^l‖² is the sum over
    its rows: diagnostics take every step's norms that way (six dot calls took 2.4 µs a step more).
    """

    def __init__(self, sizes: list[int], dtype: np.dtype) -> None:
        layers = list(zip(sizes[:-1], sizes[1:]))
        shapes = [(n_out, n_in) for n_in, n_out in layers] + [(n_out, 1) for _, n_out in layers]
        row_counts = [math.ceil(n_out * n_in / ROW) for n_out, n_in in shapes]
        # the first row of ∇w^1 … ∇w^L, then of ∇b^1 … ∇b^L, then the number of rows
        self.starts = [int(s) for s in np.cumsum([0] + row_counts)]
        self.rows = np.zeros((self.starts[-1], ROW), dtype)
        flat = self.rows.reshape(-1)
        arrays = [flat[start * ROW : start * ROW + n * k].reshape(n, k) for start, (n, k) in zip(self.starts, shapes)]
        self.nabla_w, self.nabla_b = arrays[: len(layers)], arrays[len(layers) :]


class Workspace:
    """The arrays one forward and backward pass over m examples writes, allocated once."""

    def __init__(self, sizes: list[int], m: int, dtype: np.dtype) -> None:
        self.zs = [np.empty((n, m), dtype) for n in sizes[1:]]  # z^l, (n_l, m)
        self.activations = [np.empty((n, m), dtype) for n in sizes[1:]]  # a^l for l ≥ 1
        # δ^l and σ'(z^l), (n_l, m): every layer's in one buffer, so one call can read them all
        self.delta_buffer = np.empty(sum(sizes[1:]) * m, dtype)
        self.prime_buffer = np.empty_like(self.delta_buffer)
        self.deltas = stacked_views(self.delta_buffer, sizes[1:], m)
        self.primes = stacked_views(self.prime_buffer, sizes[1:], m)
        self.gradient = GradientArrays(sizes, dtype)
        self.nabla_b, self.nabla_w = self.gradient.nabla_b, self.gradient.nabla_w
        self.ones = np.ones((m, 1), dtype)  # δ @ ones sums over the batch, faster than .sum(axis=1)


def stacked_views(buffer: Array, rows: list[int], m: int) -> list[Array]:
    """Consecutive (n, m) views of a flat buffer, one for each n in `rows`."""
    ends = np.cumsum([0] + [n * m for n in rows])
    return [buffer[start:end].reshape(n, m) for start, end, n in zip(ends[:-1], ends[1:], rows)]


def backprop(network: Network, X: Array, Y: Array, ws: Workspace, scale: float = 1.0) -> Gradient:
    """scale · Σ_x ∇C_x over the m columns of X (n_0, m) with targets Y (n_L, m), written into `ws`.

    Every δ^l is linear in δ^L (BP2), and so are BP3 and BP4: scaling δ^L by η/m yields the SGD
    step itself, which spares the update a pass over the large weight gradients.
    """
    sigmas = network.sigmas
    activations = [X, *ws.activations]  # a^0 = X
    for l, (w, b) in enumerate(zip(network.weights, network.biases)):
        z = np.matmul(w, activations[l], out=ws.zs[l])  # z^l = w^l a^{l-1} + b^l, (n_l, m)
        z += b
        sigmas[l].fn(z, out=activations[l + 1])

    n_layers = len(network.weights)
    delta = network.cost.delta(ws.zs[-1], activations[-1], Y, sigmas[-1], out=ws.deltas[-1])  # BP1
    if scale != 1.0:
        delta *= scale
    for l in range(n_layers - 1, -1, -1):
        if l < n_layers - 1:
            delta = np.matmul(network.weights[l + 1].T, delta, out=ws.deltas[l])  # BP2 ...
            delta *= sigmas[l].prime(ws.zs[l], activations[l + 1], out=ws.primes[l])  # ... ⊙ σ'(z^l)
        np.matmul(delta, ws.ones, out=ws.nabla_b[l])  # BP3: Σ_x δ^{x,l}
        outer_sum(delta, activations[l], out=ws.nabla_w[l])  # BP4: Σ_x δ^{x,l} (a^{x,l-1})^T
    return ws.nabla_b, ws.nabla_w


def outer_sum(delta: Array, a: Array, out: Array) -> Array:
    """δ aᵀ = Σ_x δ_x a_xᵀ. For one column a broadcast product: numpy's k = 1 matmul is 2× slower."""
    if delta.shape[1] == 1:
        return np.multiply(delta, a.T, out=out)
    return np.matmul(delta, a.T, out=out)


class MatrixEngine:
    """Backprop over a whole mini-batch at once: the chapter's fully matrix-based approach."""

    name = "matrix"

    def __init__(self, network: Network, track_deltas: bool = False) -> None:
        self.network = network
        self._workspaces: dict[int, Workspace] = {}  # a full batch size and a last partial one
        self._track = track_deltas
        self._abs_deltas: dict[int, Array] = {}  # per batch size, Σ |scale · δ| element-wise, laid out as δ
        self._scales: dict[int, float] = {}  # the scale each batch size was given (η/m in SGD)

    def backprop(self, X: Array, Y: Array, scale: float = 1.0) -> Gradient:
        """scale · Σ_x ∇C_x over the columns of X; valid until the next call with this batch size."""
        m = X.shape[1]
        ws = self._workspaces.get(m)
        if ws is None:
            ws = self._workspaces[m] = Workspace(self.network.sizes, m, self.network.dtype)
            self._abs_deltas[m] = np.zeros_like(ws.delta_buffer)
        gradient = backprop(self.network, X, Y, ws, scale)
        if self._track:  # two element-wise calls for all layers; sums wait for `take_abs_delta_sums`
            if self._scales.setdefault(m, scale) != scale:
                raise ValueError("track_deltas needs one scale per batch size")
            self._abs_deltas[m] += np.abs(ws.delta_buffer, out=ws.prime_buffer)  # σ'(z) is spent by now
        return gradient

    def gradient_arrays(self, m: int) -> GradientArrays:
        """The arrays the last `backprop` of m examples wrote its gradient into."""
        return self._workspaces[m].gradient

    def take_abs_delta_sums(self) -> list[float]:
        """Σ_x Σ_j |δ_j^{x,l}| per layer over every example since the last call; then restart."""
        sums = [0.0] * len(self.network.weights)
        for m, buffer in self._abs_deltas.items():
            for l, total in enumerate(stacked_views(buffer, self.network.sizes[1:], m)):
                sums[l] += float(total.sum()) / self._scales.get(m, 1.0)
            buffer.fill(0)
        return sums


class LoopEngine:
    """Backprop one example at a time, summing the per-example gradients: the chapter's SGD loop."""

    name = "loop"

    def __init__(self, network: Network, track_deltas: bool = False) -> None:
        self.network = network
        self._ws = Workspace(network.sizes, 1, network.dtype)
        self._gradient = GradientArrays(network.sizes, network.dtype)  # the sums over the batch
        self._nabla_b, self._nabla_w = self._gradient.nabla_b, self._gradient.nabla_w
        self._track = track_deltas  # the per-example δ are overwritten: sum |δ| as they go by
        self._abs_deltas = [0.0] * len(network.weights)

    def take_abs_delta_sums(self) -> list[float]:
        """Σ_x Σ_j |δ_j^{x,l}| per layer over every example since the last call; then restart."""
        sums, self._abs_deltas = self._abs_deltas, [0.0] * len(self._abs_deltas)
        return sums

    def gradient_arrays(self, m: int) -> GradientArrays:
        """The arrays the last `backprop` summed its gradient into (for any m)."""
        return self._gradient

    def backprop(self, X: Array, Y: Array, scale: float = 1.0) -> Gradient:
        """scale · Σ_x ∇C_x over the columns of X; valid until the next call."""
        for nb, nw in zip(self._nabla_b, self._nabla_w):
            nb.fill(0)
            nw.fill(0)
        for j in range(X.shape[1]):
            x, y = X[:, j : j + 1], Y[:, j : j + 1]
            delta_nabla_b, delta_nabla_w = backprop(self.network, x, y, self._ws, scale)
            if self._track:
                for l, delta in enumerate(self._ws.deltas):
                    self._abs_deltas[l] += float(np.abs(delta).sum()) / scale
            for nb, dnb in zip(self._nabla_b, delta_nabla_b):
                nb += dnb
            for nw, dnw in zip(self._nabla_w, delta_nabla_w):
                nw += dnw
        return self._nabla_b, self._nabla_w


ENGINES = {engine.name: engine for engine in (MatrixEngine, LoopEngine)}


def sgd_step(
    engine: MatrixEngine | LoopEngine, X: Array, Y: Array, eta: float, lmbda: float = 0.0, n: int = 1
) -> Gradient:
    """One step of gradient descent on the mini-batch X of m examples (m its real size):
    w → (1 − ηλ/n) w − (η/m) Σ_x ∂C_x/∂w, b → b − (η/m) Σ_x ∂C_x/∂b.

    λ > 0 is chapter 3's L2 regularisation over a training set of n examples; biases are not decayed.
    Returns the step taken, (η/m) Σ_x ∇C_x (the engine's arrays: valid until its next step).
    """
    nabla_b, nabla_w = engine.backprop(X, Y, scale=eta / X.shape[1])
    network = engine.network
    for b, nb in zip(network.biases, nabla_b):
        b -= nb
    decay = 1.0 - eta * lmbda / n
    for w, nw in zip(network.weights, nabla_w):
        if lmbda:
            w *= decay
        w -= nw
    return nabla_b, nabla_w
