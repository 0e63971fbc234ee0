"""Per-layer learning diagnostics: what BP1–BP4 say about how fast each layer learns, measured.

- BP4, ∂C/∂w = a_in · δ_out: a weight fed by a near-zero activation learns slowly;
- BP1 and BP2 carry σ'(z): a saturated neuron (σ'(z) ≈ 0) learns slowly and passes little error back.

While training runs, `Recorder.record_step` reads the gradient each step returns (its norms);
`Recorder.end_epoch` adds figures measured on a fixed probe batch: mean |δ|, saturated neurons,
near-zero inputs. Nothing here changes training. Pure numpy: nothing here prints or writes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from nnbp.backprop import Gradient, Workspaces, backprop
from nnbp.network import Network
from nnbp.system.memory import forward_chunk

Array = np.ndarray
SATURATION = 0.01  # σ'(z) below 1% of its largest value: a saturated neuron (for relu: a dead one)
NEAR_ZERO = 0.01  # |a| below this: a near-zero input to the next layer
PRIME_MAX = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0}


@dataclass(frozen=True)
class LayerDiagnostics:
    """One layer l of neurons over one epoch, numbered as in the book (2 = the first layer after the
    input), with the weights w^l = `weights[j]` for j = l − 2 that feed it."""

    layer: int
    mean_abs_delta: float  # probe: mean |δ_j^{x,l}| over the probe's examples and the layer's neurons
    mean_grad_w_norm: float  # mean over the epoch's mini-batches of ‖∂C/∂w^l‖ (Frobenius)
    mean_grad_w_rms: float  # the same per weight, ‖∂C/∂w^l‖ / √(weights in w^l): comparable across layers
    mean_grad_b_norm: float  # the same for ‖∂C/∂b^l‖
    saturated_share: float | None  # probe: share of (neuron, example) with σ'(z) < 1% of its max
    near_zero_input_share: float  # probe: share of the inputs a^{l−1} to this layer with |a| < 0.01
    dropped_share: float | None = None  # with dropout: the share of the epoch's mini-batches a neuron was deleted in
    dropped_range: list[float] | None = None  # ... the least and the most often deleted neuron's share

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None or k == "saturated_share"}


def probe(network: Network, X: Array, chunk: int | None = None) -> tuple[list[float | None], list[float]]:
    """Saturated share of each layer's neurons and near-zero share of each layer's inputs, on X (n_0, k),
    `chunk` columns at a time (default: as evaluation chunks them, so a wide network stays in memory)."""
    n_layers = len(network.weights)
    saturated_count, near_zero_count = [0] * n_layers, [0] * n_layers
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for columns in _chunks(X.shape[1], chunk or forward_chunk(network.sizes, network.dtype)):
            a = X[:, columns]
            for j, (w, b, sigma) in enumerate(zip(network.weights, network.biases, network.sigmas)):
                near_zero_count[j] += int(np.count_nonzero(np.abs(a) < NEAR_ZERO))
                z = w @ a + b
                a = sigma.fn(z)
                if sigma.name in PRIME_MAX:
                    saturated_count[j] += int(np.count_nonzero(sigma.prime(z, a) < SATURATION * PRIME_MAX[sigma.name]))
    k = X.shape[1]
    near_zero = [count / (k * n_in) for count, n_in in zip(near_zero_count, network.sizes[:-1])]
    saturated = [
        count / (k * n) if sigma.name in PRIME_MAX else None  # softmax: no element-wise σ'
        for count, n, sigma in zip(saturated_count, network.sizes[1:], network.sigmas)
    ]
    return saturated, near_zero


def mean_abs_deltas(
    network: Network, X: Array, Y: Array, chunk: int | None = None, workspaces: Workspaces | None = None
) -> list[float]:
    """Mean |δ^l| of each layer over the columns of X (n_0, k) with targets Y, by backprop, in chunks
    (in `workspaces`, whose gradient arrays it overwrites, if given)."""
    totals = [0.0] * len(network.weights)
    workspaces = workspaces if workspaces is not None else Workspaces(network)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for columns in _chunks(X.shape[1], chunk or forward_chunk(network.sizes, network.dtype)):
            backprop(network, X[:, columns], Y[:, columns], workspaces)
            deltas = workspaces[columns.stop - columns.start].deltas
            totals = [t + float(np.abs(delta).sum()) for t, delta in zip(totals, deltas)]
    return [t / (X.shape[1] * n) for t, n in zip(totals, network.sizes[1:])]


def _chunks(k: int, chunk: int) -> list[slice]:
    return [slice(start, min(start + chunk, k)) for start in range(0, k, chunk)]


class Recorder:
    """Accumulates one epoch's per-layer figures: gradient norms from every step, the rest on a probe
    batch (X (n_0, k), Y (n_L, k), fixed for the run) at the epoch's end."""

    def __init__(self, network: Network, probe_X: Array, probe_Y: Array) -> None:
        self.network, self.probe_X, self.probe_Y = network, probe_X, probe_Y
        self.workspaces = Workspaces(network)
        self._reset()

    def _reset(self) -> None:
        n_layers = len(self.network.weights)
        self.grad_w = [0.0] * n_layers  # Σ over steps of ‖∂C/∂w^l‖
        self.grad_b = [0.0] * n_layers
        self.dropped: list[Array | None] = [None] * n_layers  # per neuron: the mini-batches it was deleted in
        self.batches = 0

    def record_step(self, gradient: Gradient, m: int, masks: list[Array | None] | None = None) -> None:
        """Take the norms of one step's gradient Σ_x ∇C_x over a batch of m examples, before the step, and
        which neurons its dropout `masks` deleted."""
        nabla_b, nabla_w = gradient
        for j, (nb, nw) in enumerate(zip(nabla_b, nabla_w)):
            self.grad_w[j] += math.sqrt(np.vdot(nw, nw)) / m  # ∂C/∂w = Σ_x ∇C_x / m
            self.grad_b[j] += math.sqrt(np.vdot(nb, nb)) / m
        for j, mask in enumerate(masks or []):
            if mask is not None:
                deleted = (mask[:, 0] == 0).astype(np.int64)
                self.dropped[j] = deleted if self.dropped[j] is None else self.dropped[j] + deleted
        self.batches += 1

    def end_epoch(self) -> list[LayerDiagnostics]:
        """The epoch's figures, layer by layer; then start the next epoch's from zero."""
        saturated, near_zero = probe(self.network, self.probe_X)
        abs_delta = mean_abs_deltas(self.network, self.probe_X, self.probe_Y, workspaces=self.workspaces)
        batches = max(self.batches, 1)
        layers = [
            LayerDiagnostics(
                layer=j + 2,
                mean_abs_delta=abs_delta[j],
                mean_grad_w_norm=self.grad_w[j] / batches,
                mean_grad_w_rms=self.grad_w[j] / batches / math.sqrt(self.network.weights[j].size),
                mean_grad_b_norm=self.grad_b[j] / batches,
                saturated_share=saturated[j],
                near_zero_input_share=near_zero[j],
                dropped_share=None if self.dropped[j] is None else float(self.dropped[j].mean() / batches),
                dropped_range=None
                if self.dropped[j] is None
                else [float(self.dropped[j].min() / batches), float(self.dropped[j].max() / batches)],
            )
            for j in range(len(self.network.weights))
        ]
        self._reset()
        return layers


@dataclass(frozen=True)
class SlowestLayer:
    """The layer whose weights learned slowest over a run, judged per weight, and what BP1–BP4 blame."""

    layer: int  # in the book's numbering (2 = the first layer after the input)
    n_in: int
    n_out: int
    grad_w_rms: float  # its mean ‖∂C/∂w‖ / √(weights), over the recorded epochs
    fastest_layer: int | None  # the layer that learned fastest, when another
    fastest_grad_w_rms: float | None
    saturated_share: float | None  # its neurons with σ'(z) ≈ 0 (BP1, BP2)
    near_zero_input_share: float  # the activations feeding it that were near zero (BP4)


def slowest_layer(epochs: list[dict], sizes: list[int]) -> SlowestLayer | None:
    """From a run's epochs (as history records them), the layer whose weights learned slowest, per weight;
    None when the run recorded no diagnostics."""
    records = [e["diagnostics"] for e in epochs if e.get("diagnostics")]
    if not records:
        return None

    def mean(key: str, j: int) -> float:
        values = [r[j][key] for r in records if r[j].get(key) is not None]
        return sum(values) / len(values) if values else float("nan")

    rates = [mean("mean_grad_w_norm", j) / math.sqrt(sizes[j] * sizes[j + 1]) for j in range(len(records[0]))]
    slow, fast = int(np.argmin(rates)), int(np.argmax(rates))
    saturated = mean("saturated_share", slow)
    return SlowestLayer(
        slow + 2,
        sizes[slow],
        sizes[slow + 1],
        rates[slow],
        fast + 2 if fast != slow else None,
        rates[fast] if fast != slow else None,
        saturated if saturated == saturated else None,
        mean("near_zero_input_share", slow),
    )
