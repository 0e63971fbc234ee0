"""`nnbp gradcheck`'s service: backprop's gradient against finite differences on the first mini-batch
a training run of a config would take, for the network it initialises or saved weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnbp.config import TrainConfig
from nnbp.data import Fetch
from nnbp.errors import NnbpError
from nnbp.gradcheck import TOLERANCE, GradCheck, gradcheck
from nnbp.run.evaluation import check_fits
from nnbp.run.setup import build_network, check_against_data, dataset_of
from nnbp.run.weights import load_weights
from nnbp.system.blas import blas_threads, resolve
from nnbp.training import Batcher, dropout_masks

SAMPLED = 2000  # parameters checked by default when a network has more than ...
ALL_UP_TO = 5000  # ... this many


def check_gradient(
    config: TrainConfig,
    weights: Path | None = None,
    n_params: int | None = None,
    eps: float = 1e-6,
    tolerance: float | None = None,
    fetch: Fetch | None = None,
) -> tuple[GradCheck, dict]:
    """`nnbp.gradcheck.gradcheck` on the first mini-batch a training run of `config` would take, for
    the network `config` initialises or the saved `weights`; also what was checked, described."""
    if not (eps > 0 and np.isfinite(eps)):
        raise NnbpError(f"--eps: {eps} is not a positive finite step")
    if tolerance is not None and not (tolerance > 0 and np.isfinite(tolerance)):
        raise NnbpError(f"--tolerance: {tolerance} is not a positive finite number")
    dataset = dataset_of(config, fetch)
    check_against_data(config, dataset, "config")
    rng = np.random.default_rng(config.seed)
    network = build_network(config, rng)  # drawn even for saved weights: the batch is the same either way
    if weights is not None:
        network = load_weights(weights)[0]
        check_fits(network, dataset, weights)
    idx = rng.permutation(len(dataset.train))[: config.mini_batch_size]
    X, Y = Batcher(dataset, dataset.train, np.dtype(np.float64)).gather(idx)
    dropping = any(config.layer_dropout)
    masks = dropout_masks(network, config.layer_dropout, rng) if dropping else None  # as the first step draws
    total = sum(w.size + b.size for w, b in zip(network.weights, network.biases))
    if n_params is None and total > ALL_UP_TO:
        n_params = SAMPLED
    with blas_threads(resolve(config.threads, network.sizes, len(idx))):
        result = gradcheck(
            network, X, Y, eps=eps, n_params=n_params, rng=rng, tolerance=tolerance or TOLERANCE, masks=masks
        )
    described = {
        "sizes": network.sizes,
        "activation": [s.name for s in network.sigmas],
        "cost": network.cost.name,
        "dataset": dataset.name,
        "mini_batch_size": len(idx),
        "dropout": list(config.layer_dropout) if masks else None,
    }
    return result, described
