"""Per-layer learning diagnostics: what BP1–BP4 say about how fast each layer learns, measured.

- BP4, ∂C/∂w = a_in · δ_out: a weight fed by a near-zero activation learns slowly;
- BP1 and BP2 carry σ'(z): a saturated neuron (σ'(z) ≈ 0) learns slowly and passes little error back.

While training runs, `Recorder.record_step` takes what each step already computed (the δ^l and the
gradients) — no extra pass over the data; `Recorder.end_epoch` adds figures measured on a fixed
probe batch. Pure numpy: nothing here prints or writes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nnbp.network import Network

Array = np.ndarray
SATURATION = 0.01  # σ'(z) below 1% of its largest value: a saturated neuron (for relu: a dead one)
NEAR_ZERO = 0.01  # |a| below this: a near-zero input to the next layer
PRIME_MAX = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0}
DOT_CHUNK = 8192  # OpenBLAS spreads longer dot products over its threads


def pieces(a: Array) -> list[Array]:
    """Flat views of `a` of at most DOT_CHUNK elements each: Σ p·p over them is ‖a‖².

    A BLAS dot product longer than that wakes OpenBLAS's other threads, which cost more than the sum
    itself: recording [784, 30, 10] at mini-batch 10 with one 23,520-element dot cost +20% of the
    steps' time, in pieces +6.5% (medians of 15 back-to-back pairs, 2 BLAS threads).
    """
    flat = a.reshape(-1)
    return [flat[i : i + DOT_CHUNK] for i in range(0, flat.size, DOT_CHUNK)] or [flat]


@dataclass(frozen=True)
class LayerDiagnostics:
    """One layer of neurons l (1 = the first hidden layer), fed by w^l = weights_{l−1}, over one epoch."""

    layer: int
    mean_abs_delta: float  # mean |δ_j^{x,l}| over the epoch's examples and the layer's neurons
    mean_grad_w_norm: float  # mean over the epoch's mini-batches of ‖∂C/∂w^l‖ (Frobenius)
    mean_grad_b_norm: float  # the same for ‖∂C/∂b^l‖
    saturated_share: float | None  # probe: share of (neuron, example) with σ'(z) < 1% of its max
    near_zero_input_share: float  # probe: share of the inputs a^{l−1} to this layer with |a| < 0.01

    def to_dict(self) -> dict:
        return asdict(self)


def probe(network: Network, X: Array) -> tuple[list[float | None], list[float]]:
    """Saturated share of each layer's neurons and near-zero share of each layer's inputs, on X."""
    saturated: list[float | None] = []
    near_zero: list[float] = []
    a = X
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for w, b, sigma in zip(network.weights, network.biases, network.sigmas):
            near_zero.append(float(np.mean(np.abs(a) < NEAR_ZERO)))
            z = w @ a + b
            a = sigma.fn(z)
            if sigma.name in PRIME_MAX:
                prime = sigma.prime(z, a)
                saturated.append(float(np.mean(prime < SATURATION * PRIME_MAX[sigma.name])))
            else:  # softmax: no element-wise σ'
                saturated.append(None)
    return saturated, near_zero


class Recorder:
    """Accumulates one epoch's per-layer figures from the steps training takes anyway.

    The engine (made with `track_deltas=True`) sums |δ| itself as it goes; the recorder takes the
    gradient norms of each step and, at the end of the epoch, the engine's sums and the probe.
    """

    def __init__(self, engine: Any, probe_X: Array) -> None:
        self.engine, self.network, self.probe_X = engine, engine.network, probe_X
        self.n_layers = len(self.network.weights)
        self._plans: dict[int, tuple[list[Array], list[Array], list[tuple[int, Array]]]] = {}
        self._reset()

    def _reset(self) -> None:
        self._totals = [0.0] * (2 * self.n_layers)  # Σ over steps of ‖step‖, for w^l then for b^l
        self.examples = 0
        self.batches = 0
        self.eta = 1.0

    def record_step(self, step: tuple[list[Array], list[Array]], eta: float, m: int) -> None:
        """Take one step, (η/m) Σ_x ∇C_x as the engine made it, of a batch of m examples.

        Norms are kept scaled by η (the batch's ∂C/∂w is Σ_x ∇C_x / m = step / η); `end_epoch`
        divides once. This runs after every mini-batch, so it does as little as it can: the engine
        hands back the same arrays for every batch of a size, so their flat pieces are made once.
        """
        nabla_b, nabla_w = step
        plan = self._plans.get(m)
        if plan is None or plan[0] is not nabla_w or plan[1] is not nabla_b:
            parts = [(i, p) for i, a in enumerate(nabla_w + nabla_b) for p in pieces(a)]
            plan = self._plans[m] = (nabla_w, nabla_b, parts)
        squares = [0.0] * len(self._totals)  # ‖·‖² of w^1 … w^L, then of b^1 … b^L
        for i, part in plan[2]:
            squares[i] += part.dot(part)
        totals = self._totals
        for i, square in enumerate(squares):
            totals[i] += math.sqrt(square)
        self.examples += m
        self.batches += 1
        self.eta = eta

    def end_epoch(self) -> list[LayerDiagnostics]:
        """The epoch's figures, layer by layer; then start the next epoch's from zero."""
        saturated, near_zero = probe(self.network, self.probe_X)
        sizes = self.network.sizes
        abs_delta = self.engine.take_abs_delta_sums()
        grad_w, grad_b = self._totals[: self.n_layers], self._totals[self.n_layers :]
        layers = [
            LayerDiagnostics(
                layer=l + 1,
                mean_abs_delta=abs_delta[l] / max(self.examples * sizes[l + 1], 1),
                mean_grad_w_norm=grad_w[l] / self.eta / max(self.batches, 1),
                mean_grad_b_norm=grad_b[l] / self.eta / max(self.batches, 1),
                saturated_share=saturated[l],
                near_zero_input_share=near_zero[l],
            )
            for l in range(self.n_layers)
        ]
        self._reset()
        return layers


def explain_slowest(epochs: list[dict], sizes: list[int]) -> str | None:
    """One sentence naming the layer whose weights learned slowest over the run, and why."""
    records = [e["diagnostics"] for e in epochs if e.get("diagnostics")]
    if not records:
        return None
    n_layers = len(records[0])

    def mean(key: str, l: int) -> float:
        values = [r[l][key] for r in records if r[l][key] is not None]
        return sum(values) / len(values) if values else float("nan")

    # per-weight size of the gradient: ‖∂C/∂w‖ / √(number of weights), comparable across layers
    rates = [mean("mean_grad_w_norm", l) / np.sqrt(sizes[l] * sizes[l + 1]) for l in range(n_layers)]
    slow = int(np.argmin(rates))
    fast = int(np.argmax(rates))
    saturated = mean("saturated_share", slow)
    near_zero = mean("near_zero_input_share", slow)
    reasons = []
    if saturated == saturated and saturated >= 0.3:
        reasons.append(f"{100 * saturated:.0f}% of its neurons were saturated (σ′(z) ≈ 0 shrinks δ: BP1, BP2)")
    if near_zero >= 0.3:
        reasons.append(f"{100 * near_zero:.0f}% of the activations feeding it were near zero "
                       "(∂C/∂w = a_in·δ_out: BP4)")
    if not reasons:
        reasons.append("the error δ reaching it was small, though few of its neurons were saturated "
                       "and few of its inputs near zero")
    name = f"layer {slow + 1} ({sizes[slow]} → {sizes[slow + 1]})"
    compare = (f", against {rates[fast]:.1e} in layer {fast + 1}" if fast != slow else "")
    return (f"The weights into {name} learned slowest: their gradient averaged {rates[slow]:.1e} per "
            f"weight{compare}, because " + " and ".join(reasons) + ".")
