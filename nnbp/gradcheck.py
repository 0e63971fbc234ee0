"""Backprop's gradient against central finite differences, and the cost of each way (chapter 2,
"In what sense is backpropagation a fast algorithm?").

The cost checked is the batch's mean data cost C = (1/m) Σ_x C_x (an L2 term's gradient, λw/n, is
added analytically in the SGD step and is not part of backprop). The check runs in float64.
This module measures and returns numbers; it prints nothing.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

from nnbp.backprop import Workspaces, backprop
from nnbp.network import Network

Array = np.ndarray
TOLERANCE = 1e-5  # float64, ε = 1e-6: smooth networks show 1e-8 or less; a wrong δ shows 1e-2 or more


@dataclass(frozen=True)
class LayerCheck:
    """The largest relative errors in one layer's weights w^l and biases b^l, the layer numbered as in
    the book (2: the first weight matrix, `weights[0]`)."""

    layer: int
    weights_checked: int
    weights_total: int
    weights_max_rel_error: float
    biases_checked: int
    biases_total: int
    biases_max_rel_error: float


@dataclass(frozen=True)
class GradCheck:
    layers: list[LayerCheck]
    max_rel_error: float
    tolerance: float
    eps: float
    floor: float  # derivatives smaller than this are judged against it (see `noise_floor`)
    n_params: int
    n_checked: int
    backprop_seconds: float  # one backprop of the whole batch (median of repeats)
    forward_seconds: float  # one forward pass of the batch, as the finite differences timed it
    extrapolated: bool  # finite differences were run on a sample of the parameters

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tolerance

    @property
    def finite_difference_seconds(self) -> float:
        """2 forward passes per parameter for the whole gradient."""
        return 2 * self.n_params * self.forward_seconds

    @property
    def speedup(self) -> float:
        return self.finite_difference_seconds / self.backprop_seconds

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(passed=self.passed, finite_difference_seconds=self.finite_difference_seconds, speedup=self.speedup)
        return d


def mean_cost(network: Network, X: Array, Y: Array, masks: list[Array | None] | None = None) -> float:
    """C = (1/m) Σ_x C_x over the columns of X, through the dropout `masks` if given."""
    if masks is None:
        return network.cost.fn(*network.forward(X), Y) / X.shape[1]
    a = X
    for w, b, sigma, mask in zip(network.weights, network.biases, network.sigmas, masks):
        z = w @ a + b
        a = sigma.fn(z) if mask is None else sigma.fn(z) * mask
    return network.cost.fn(z, a, Y) / X.shape[1]


def noise_floor(cost: float, eps: float, tolerance: float) -> float:
    """The smallest derivative a central difference can judge to `tolerance`, with a margin of 10.

    Rounding C(p ± ε) costs about ε_mach |C| each, so the difference quotient carries an error
    near ε_mach |C| / ε: derivatives below ten times that over the tolerance are judged against
    this floor instead of their own size (a saturated neuron's or a dead relu's near-zero gradient).
    """
    return 10 * np.finfo(np.float64).eps * max(abs(cost), 1e-300) / eps / tolerance


def relative_errors(backprop: Array, numeric: Array, floor: float) -> Array:
    """|g − n| / max(|g|, |n|, floor) for each component."""
    return np.abs(backprop - numeric) / np.maximum(np.maximum(np.abs(backprop), np.abs(numeric)), floor)


def sample(size: int, share: float, rng: np.random.Generator) -> Array:
    """Flat indices of the parameters checked in one array: all, or a random share (at least 10)."""
    if share >= 1:
        return np.arange(size)
    k = min(size, max(10, round(share * size)))
    return np.sort(rng.choice(size, k, replace=False))


def gradcheck(
    network: Network,
    X: Array,
    Y: Array,
    *,
    eps: float = 1e-6,
    n_params: int | None = None,
    rng: np.random.Generator | None = None,
    tolerance: float = TOLERANCE,
    repeats: int = 5,
    masks: list[Array | None] | None = None,
) -> GradCheck:
    """Compare ∂C/∂w and ∂C/∂b from one backprop with (C(p + ε) − C(p − ε)) / 2ε for every parameter,
    or for a random sample of about `n_params` of them spread over every layer; through the fixed
    dropout `masks`, if given (the cost is then that of the thinned network both ways)."""
    network = Network(
        network.sizes,
        [w.astype(np.float64) for w in network.weights],
        [b.astype(np.float64) for b in network.biases],
        network.sigmas,
        network.cost,
    )
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    m = X.shape[1]
    rng = rng or np.random.default_rng(0)
    workspaces = Workspaces(network)
    nabla_b, nabla_w = ([g / m for g in arrays] for arrays in backprop(network, X, Y, workspaces, masks))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backprop(network, X, Y, workspaces, masks)
        times.append(time.perf_counter() - start)

    total = sum(w.size + b.size for w, b in zip(network.weights, network.biases))
    share = 1.0 if n_params is None or n_params >= total else n_params / total
    floor = noise_floor(mean_cost(network, X, Y, masks), eps, tolerance)
    layers, checked, fd_seconds = [], 0, 0.0
    for j, (w, b) in enumerate(zip(network.weights, network.biases)):
        errors = {}
        for name, param, grad in (("weights", w, nabla_w[j]), ("biases", b, nabla_b[j])):
            idx = sample(param.size, share, rng)
            flat = param.reshape(-1)  # a view: changing flat[i] changes the network
            numeric = np.empty(len(idx))
            start = time.perf_counter()
            for k, i in enumerate(idx):
                saved = flat[i]
                flat[i] = saved + eps
                plus = mean_cost(network, X, Y, masks)
                flat[i] = saved - eps
                minus = mean_cost(network, X, Y, masks)
                flat[i] = saved
                numeric[k] = (plus - minus) / (2 * eps)
            fd_seconds += time.perf_counter() - start
            errors[name] = (len(idx), param.size, float(relative_errors(grad.reshape(-1)[idx], numeric, floor).max()))
            checked += len(idx)
        layers.append(LayerCheck(j + 2, *errors["weights"], *errors["biases"]))
    return GradCheck(
        layers=layers,
        max_rel_error=max(max(c.weights_max_rel_error, c.biases_max_rel_error) for c in layers),
        tolerance=tolerance,
        eps=eps,
        floor=floor,
        n_params=total,
        n_checked=checked,
        backprop_seconds=statistics.median(times),
        forward_seconds=fd_seconds / (2 * checked),
        extrapolated=checked < total,
    )
