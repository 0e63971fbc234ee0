"""How much memory nnbp lets one command's data and network take, so a typo cannot exhaust a machine.

The limit is 4 GiB unless the environment variable NNBP_MAX_MEMORY sets another (bytes, or a
number with K, M, G or T: `NNBP_MAX_MEMORY=12G`). `training_bytes` estimates what a training run
allocates, before it allocates any of it; readers check each array they would load.
"""

from __future__ import annotations

import os
import re

import numpy as np

from nnbp.errors import NnbpError

DEFAULT_MAX_MEMORY = 4 * 2**30
FORWARD_CHUNK = 2_000  # at most this many columns per forward pass outside training ...
FORWARD_CHUNK_BYTES = 32 * 2**20  # ... and at most this many bytes of inputs and activations
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def memory_limit() -> int:
    """The most bytes a command's arrays may take: NNBP_MAX_MEMORY, else 4 GiB."""
    text = os.environ.get("NNBP_MAX_MEMORY")
    if text is None:
        return DEFAULT_MAX_MEMORY
    match = re.fullmatch(r"\s*(\d{1,15}(?:\.\d{1,6})?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match or float(match[1]) == 0:
        raise NnbpError(f"NNBP_MAX_MEMORY: {text[:40]!r} is not a positive size such as 8G, 512M or 1000000000")
    return int(float(match[1]) * _UNITS[match[2].upper()])


def describe(n_bytes: float, beside: float | None = None) -> str:
    """A size for people: 1.50 GiB, 300.0 MiB, 12.0 KiB, 500 bytes; in bytes too when it would read the
    same as `beside` (the size it is compared with), so a message never says "4.00 GiB, the limit is 4.00 GiB"."""
    for unit, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if n_bytes >= unit:
            text = f"{n_bytes / unit:,.{2 if unit == 2**30 else 1}f} {name}"
            break
    else:
        return f"{int(n_bytes):,} bytes"
    if beside is not None and beside != n_bytes and describe(beside) == text:
        text += f" ({int(n_bytes):,} bytes)"
    return text


def forward_chunk(sizes: list[int], dtype: np.dtype) -> int:
    """Columns per forward pass when evaluating or probing: FORWARD_CHUNK, fewer for a wide network."""
    per_column = np.dtype(dtype).itemsize * (sizes[0] + 2 * sum(sizes[1:]))  # X, then each layer's z and a
    return max(1, min(FORWARD_CHUNK, FORWARD_CHUNK_BYTES // per_column))


def parameter_bytes(sizes: list[int] | tuple[int, ...], itemsize: int) -> int:
    """The bytes of a network's weights and biases."""
    return itemsize * sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def training_bytes(
    sizes: list[int] | tuple[int, ...],
    itemsize: int,
    m: int,
    n_train: int,
    dataset_bytes: int,
    loop: bool = False,
    diagnostics: bool = False,
    optimizer_sets: int = 0,
) -> int:
    """What a training run allocates, at most: the dataset; the network, its gradient (one set,
    shared by every batch size), half as much again while a checkpoint is written, the per-example
    loop's sums, the diagnostics' probe pass, the optimizer's sets (momentum's one, Adam's two); each
    batch size's arrays (z, a,
    δ, σ' of every layer; the gathered inputs and targets); and the forward passes of evaluation."""
    parameters = parameter_bytes(sizes, itemsize) * (2.5 + loop + diagnostics + optimizer_sets)

    def batch(k: int) -> int:  # a workspace and the gathered batch, for k examples
        return k * (itemsize * (4 * sum(sizes[1:]) + sizes[0] + sizes[-1] + 1) + sizes[0])

    partial = n_train % m
    return int(dataset_bytes + parameters + batch(m) + (batch(partial) if partial else 0) + FORWARD_CHUNK_BYTES)
