"""Per-layer learning diagnostics: what BP1–BP4 say about how fast each layer learns, measured.

- BP4, ∂C/∂w = a_in · δ_out: a weight fed by a near-zero activation learns slowly;
- BP1 and BP2 carry σ'(z): a saturated neuron (σ'(z) ≈ 0) learns slowly and passes little error back.

While training runs, `Recorder.record_step` takes what each step already computed (the δ^l and the
gradients) — no extra pass over the data; `Recorder.end_epoch` adds figures measured on a fixed
probe batch. Pure numpy: nothing here prints or writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nnbp.network import Network

Array = np.ndarray
SATURATION = 0.01  # σ'(z) below 1% of its largest value: a saturated neuron (for relu: a dead one)
NEAR_ZERO = 0.01  # |a| below this: a near-zero input to the next layer
PRIME_MAX = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0}
STEPS_HELD = 256  # steps whose row norms the recorder holds before it sums them into layer norms


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
        self._squares: Array | None = None  # (STEPS_HELD, rows): each held step's squared gradient rows
        self._held = 0
        self._reset()

    def _reset(self) -> None:
        self._totals = np.zeros(2 * self.n_layers)  # Σ over steps of ‖step‖, for w^1 … w^L, then b^1 … b^L
        self.examples = 0
        self.batches = 0
        self.eta = 1.0

    def record_step(self, eta: float, m: int) -> None:
        """Take the step the engine just made, (η/m) Σ_x ∇C_x, of a batch of m examples.

        Norms are kept scaled by η (the batch's ∂C/∂w is Σ_x ∇C_x / m = step / η); `end_epoch`
        divides once. This runs after every mini-batch, so it is one call: the squares of the rows
        the engine's gradient arrays fill (`GradientArrays`), held until `_sum_held` makes them norms.
        """
        gradient = self.engine.gradient_arrays(m)
        if self._squares is None:
            self._starts = gradient.starts
            self._squares = np.empty((STEPS_HELD, len(gradient.rows)), gradient.rows.dtype)
        np.vecdot(gradient.rows, gradient.rows, out=self._squares[self._held])
        self._held += 1
        if self._held == STEPS_HELD:
            self._sum_held()
        self.examples += m
        self.batches += 1
        self.eta = eta

    def _sum_held(self) -> None:
        """Add each held step's ‖∇w^l‖ and ‖∇b^l‖ (the square root of the sum of its rows) to the totals."""
        if self._held:
            squares = np.add.reduceat(self._squares[: self._held], self._starts[:-1], axis=1, dtype=np.float64)
            self._totals += np.sqrt(squares).sum(axis=0)
            self._held = 0

    def end_epoch(self) -> list[LayerDiagnostics]:
        """The epoch's figures, layer by layer; then start the next epoch's from zero."""
        saturated, near_zero = probe(self.network, self.probe_X)
        sizes = self.network.sizes
        abs_delta = self.engine.take_abs_delta_sums()
        self._sum_held()
        grad_w, grad_b = self._totals[: self.n_layers].tolist(), self._totals[self.n_layers :].tolist()
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
