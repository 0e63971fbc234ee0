"""Shared helpers: small random networks and batches, built from explicit seeds."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from nnbp.network import Network


def random_batch(sizes: list[int], m: int, rng: np.random.Generator, dtype=np.float64):
    """X (n_0, m) in [0, 1] and one-hot Y (n_L, m)."""
    X = rng.random((sizes[0], m)).astype(dtype)
    Y = np.zeros((sizes[-1], m), dtype=dtype)
    Y[rng.integers(0, sizes[-1], m), np.arange(m)] = 1
    return X, Y


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def small_network(sizes: list[int], seed: int = 0, dtype=np.float64) -> Network:
    return Network.initialise(sizes, np.random.default_rng(seed), dtype=dtype)


def cli_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout: click < 8.2 needs mix_stderr=False, which
    click 8.2 removed (it always keeps them apart)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
