"""Files a run writes and reads: atomic writes, and the `weights.npz` format.

`weights.npz` is a plain npz (no pickled objects): `sizes` (int64), `weights_0` … `weights_{L-2}`
of shape (sizes[i+1], sizes[i]), `biases_0` … of shape (sizes[i+1], 1), and `meta`, a JSON string.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from nnbp.activations import ACTIVATIONS
from nnbp.costs import COSTS
from nnbp.errors import NnbpError
from nnbp.files import read_npz, write_atomic
from nnbp.limits import memory_limit
from nnbp.network import Network, check_layers

FORMAT_VERSION = 1
MAX_META_BYTES = 64 * 2**20  # the JSON metadata, history included
WHAT = "an nnbp weights file"


def network_bytes(network: Network, meta: dict[str, Any]) -> bytes:
    """The network as the bytes of a `weights.npz` file."""
    arrays: dict[str, np.ndarray] = {"sizes": np.asarray(network.sizes, dtype=np.int64)}
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"weights_{i}"] = w
        arrays[f"biases_{i}"] = b
    meta = {
        "format": FORMAT_VERSION,
        "activation": [sigma.name for sigma in network.sigmas],
        "cost": network.cost.name,
        **meta,
    }
    arrays["meta"] = np.asarray(json.dumps(meta))
    buffer = io.BytesIO()  # np.savez would append '.npz' to a path; a file object keeps ours
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save_network(path: Path, network: Network, meta: dict[str, Any]) -> None:
    write_atomic(path, network_bytes(network, meta))


def load_network(path: Path) -> tuple[Network, dict[str, Any]]:
    """A network and its metadata from a `weights.npz`; every defect is a one-line `NnbpError`."""
    arrays = read_npz(path, WHAT, ["sizes", "meta"], max_bytes=MAX_META_BYTES)
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError:
        raise NnbpError(f"{path}: 'meta' is not JSON") from None
    if not isinstance(meta, dict):
        raise NnbpError(f"{path}: 'meta' is not a JSON object")
    if meta.get("format") != FORMAT_VERSION:
        raise NnbpError(
            f"{path}: weights format {meta.get('format')!r} is not the format {FORMAT_VERSION} "
            "this nnbp reads; upgrade nnbp or re-train"
        )
    names = meta.get("activation")
    cost = COSTS.get(meta.get("cost"))
    if cost is None:
        raise NnbpError(f"{path}: unknown cost {meta.get('cost')!r}")

    sizes_arr = arrays["sizes"]
    if sizes_arr.ndim != 1 or len(sizes_arr) < 2 or not np.issubdtype(sizes_arr.dtype, np.integer):
        raise NnbpError(f"{path}: 'sizes' is not a list of at least 2 layer sizes")
    sizes = [int(n) for n in sizes_arr]
    members = [f"{kind}_{i}" for i in range(len(sizes) - 1) for kind in ("weights", "biases")]
    arrays = read_npz(path, WHAT, members, max_bytes=memory_limit())
    weights, biases = [], []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for name, shape, into in (
            (f"weights_{i}", (n_out, n_in), weights),
            (f"biases_{i}", (n_out, 1), biases),
        ):
            a = arrays.get(name)
            if a is None:
                raise NnbpError(f"{path}: missing array {name!r} for sizes {sizes}")
            if a.shape != shape or a.dtype not in (np.float32, np.float64):
                raise NnbpError(
                    f"{path}: {name} has shape {a.shape} and dtype {a.dtype}; expected {shape} floats"
                )
            into.append(a)
    recorded = names
    if isinstance(names, str):
        names = [names] * (len(sizes) - 1)
    if not isinstance(names, list) or len(names) != len(sizes) - 1 or not all(
        isinstance(n, str) and n in ACTIVATIONS for n in names
    ):
        raise NnbpError(
            f"{path}: 'activation' is {recorded!r}; expected one of {', '.join(ACTIVATIONS)} "
            f"for each of the {len(sizes) - 1} layers"
        )
    sigmas = tuple(ACTIVATIONS[n] for n in names)
    problem = check_layers(sigmas, cost)
    if problem:
        raise NnbpError(f"{path}: {problem}")
    return Network(sizes, weights, biases, sigmas, cost), meta
