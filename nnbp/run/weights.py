"""The `weights.npz` format: a network and its metadata in one plain npz (no pickled objects).

Arrays: `sizes` (int64), `weights_0` … `weights_{L-2}` of shape (sizes[i+1], sizes[i]),
`biases_0` … of shape (sizes[i+1], 1), and `meta`, a JSON string: the format version, each layer's
activation, the cost, the scale that turns the dataset's stored pixels into the network's inputs
(`input_scale`), the classes' names and the training inputs' mean intensity (`class_names`,
`input_stats`, when known), and whatever the writer adds (a run adds its config and checkpoint).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nnbp.activations import ACTIVATIONS
from nnbp.config.keys import MAX_LAYERS
from nnbp.costs import COSTS
from nnbp.errors import NnbpError
from nnbp.model import Model
from nnbp.network import Network, check_layers
from nnbp.system.memory import memory_limit
from nnbp.system.safeio import parse_json, read_npz, write_atomic

FORMAT_VERSION = 1
MAX_META_BYTES = 64 * 2**20  # the JSON metadata, history included
WHAT = "an nnbp weights file"
DEFAULT_INPUT_SCALE = 1 / 255  # uint8 pixels, as MNIST and Fashion-MNIST store them


def network_bytes(network: Network, meta: dict[str, Any]) -> bytes:
    """The network as the bytes of a `weights.npz` file."""
    buffer = io.BytesIO()
    write_network(buffer, network, meta)
    return buffer.getvalue()


def write_network(
    f: BinaryIO, network: Network, meta: dict[str, Any], extra: dict[str, np.ndarray] | None = None
) -> None:
    """Write the network as a `weights.npz` into the binary file `f`, with `extra` arrays beside it."""
    arrays: dict[str, np.ndarray] = {"sizes": np.asarray(network.sizes, dtype=np.int64), **(extra or {})}
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"weights_{i}"] = w
        arrays[f"biases_{i}"] = b
    meta = {
        "format": FORMAT_VERSION,
        "activation": [sigma.name for sigma in network.sigmas],
        "cost": network.cost.name,
        **meta,
    }
    arrays["meta"] = np.asarray(json.dumps(meta, allow_nan=False))
    np.savez(f, **arrays)  # a file object: np.savez would append '.npz' to a path


def save_weights(
    path: Path, network: Network, meta: dict[str, Any], extra: dict[str, np.ndarray] | None = None
) -> None:
    """Write `network` and `meta` (and `extra` arrays) to `path` atomically, streamed (no copy in memory)."""
    write_atomic(path, lambda f: write_network(f, network, meta, extra))


def read_meta(path: Path) -> dict[str, Any]:
    """The metadata of a `weights.npz` alone (no weights are read), its format checked."""
    return _read_head(path)[1]


def _read_head(path: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """A `weights.npz`'s layer sizes and metadata."""
    arrays = read_npz(path, WHAT, ["sizes", "meta"], max_bytes=MAX_META_BYTES)
    if arrays["meta"].ndim != 0 or arrays["meta"].dtype.kind != "U":
        raise NnbpError(f"{path}: 'meta' is not a JSON string")
    meta = parse_json(str(arrays["meta"]), f"{path}: meta")
    if not isinstance(meta, dict):
        raise NnbpError(f"{path}: 'meta' is not a JSON object")
    if meta.get("format") != FORMAT_VERSION:
        raise NnbpError(
            f"{path}: weights format {meta.get('format')!r} is not the format {FORMAT_VERSION} "
            "this nnbp reads; upgrade nnbp or re-train"
        )
    return arrays["sizes"], meta


def load_weights(path: Path) -> tuple[Network, dict[str, Any]]:
    """A network and its metadata from a `weights.npz`; every defect is a one-line `NnbpError`."""
    sizes_arr, meta = _read_head(path)
    cost_name = meta.get("cost")
    if not isinstance(cost_name, str) or cost_name not in COSTS:
        raise NnbpError(f"{path}: meta: cost {cost_name!r} is not one of {', '.join(COSTS)}")

    if (
        sizes_arr.ndim != 1
        or not 2 <= len(sizes_arr) <= MAX_LAYERS
        or sizes_arr.dtype.kind not in "iu"
        or sizes_arr.min() < 1
    ):
        raise NnbpError(f"{path}: 'sizes' is not a list of 2 to {MAX_LAYERS} positive layer sizes")
    sizes = [int(n) for n in sizes_arr]
    names = meta.get("activation")
    if isinstance(names, str):
        names = [names] * (len(sizes) - 1)
    if (
        not isinstance(names, list)
        or len(names) != len(sizes) - 1
        or not all(isinstance(n, str) and n in ACTIVATIONS for n in names)
    ):
        raise NnbpError(
            f"{path}: meta: activation {meta.get('activation')!r} is not one of {', '.join(ACTIVATIONS)} "
            f"for each of the {len(sizes) - 1} layers"
        )
    sigmas = tuple(ACTIVATIONS[n] for n in names)
    problem = check_layers(sigmas, COSTS[cost_name])
    if problem:
        raise NnbpError(f"{path}: {problem}")

    expected = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        expected[f"weights_{i}"], expected[f"biases_{i}"] = (n_out, n_in), (n_out, 1)

    def check(name: str, shape: tuple, dtype: np.dtype) -> None:  # before a byte of the array is inflated
        if tuple(shape) != expected[name] or dtype not in (np.float32, np.float64):
            raise NnbpError(
                f"{path}: {name} has shape {tuple(shape)} and dtype {dtype}; expected "
                f"{expected[name]} of float32 or float64, as 'sizes' {sizes} says"
            )

    arrays = read_npz(path, WHAT, list(expected), max_bytes=memory_limit(), check=check)
    weights, biases = [], []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for name, shape, into in ((f"weights_{i}", (n_out, n_in), weights), (f"biases_{i}", (n_out, 1), biases)):
            a = arrays[name]
            if a.shape != shape or a.dtype != arrays["weights_0"].dtype or a.dtype not in (np.float32, np.float64):
                raise NnbpError(
                    f"{path}: {name} has shape {a.shape} and dtype {a.dtype}; expected {shape} "
                    f"of the {arrays['weights_0'].dtype} of weights_0 (float32 or float64)"
                )
            if not np.isfinite(a).all():
                raise NnbpError(f"{path}: {name} holds NaN or infinite values; these weights cannot be used")
            into.append(np.ascontiguousarray(a))
    names = meta.get("class_names")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == sizes[-1]
        and all(isinstance(n, str) and 0 < len(n) <= 100 for n in names)
    ):
        raise NnbpError(f"{path}: meta: class_names is not one name for each of the {sizes[-1]} outputs")
    stats = meta.get("input_stats")
    if stats is not None and not (
        isinstance(stats, dict)
        and set(stats) == {"mean", "std"}
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < float("inf") for v in stats.values()
        )
    ):
        raise NnbpError(f"{path}: meta: input_stats is not {{mean, std}} of the training inputs")
    _check_data(path, meta, sizes)
    return Network(sizes, weights, biases, sigmas, COSTS[cost_name]), meta


def _check_data(path: Path, meta: dict[str, Any], sizes: list[int]) -> None:
    """Check what the weights carry about their data, and turn its lists into arrays: the scaling of
    the inputs (one number, or one per input), a table's names and a regression's target scaling."""
    n_in, n_out = sizes[0], sizes[-1]
    meta["input_scale"] = _numbers(path, meta, "input_scale", (1, n_in), positive=True, default=DEFAULT_INPUT_SCALE)
    meta["input_shift"] = _numbers(path, meta, "input_shift", (n_in,))
    meta["target_shift"] = _numbers(path, meta, "target_shift", (n_out,))
    meta["target_scale"] = _numbers(path, meta, "target_scale", (n_out,), positive=True)
    for key, n in (("feature_names", n_in), ("target_names", None)):
        names = meta.get(key)
        if names is not None and not (
            isinstance(names, list)
            and (n is None or len(names) == n)
            and names
            and all(isinstance(v, str) and 0 < len(v) <= 100 for v in names)
        ):
            raise NnbpError(
                f"{path}: meta: {key} is not a list of names" + (f", one for each of the {n} inputs" if n else "")
            )
    task = meta.setdefault("task", "classification")
    if task not in ("classification", "regression") or (task == "regression") != (meta["target_scale"] is not None):
        raise NnbpError(f"{path}: meta: task {task!r} is not classification, or regression with its target_scale")


def _numbers(
    path: Path,
    meta: dict[str, Any],
    key: str,
    lengths: tuple[int, ...],
    positive: bool = False,
    default: float | None = None,
) -> float | np.ndarray | None:
    """A number (if 1 is among `lengths`) or a list of finite numbers of one of those lengths, as an array."""
    value = meta.get(key, default)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 in lengths:
        array = np.array(float(value))
    elif (
        isinstance(value, list)
        and len(value) in lengths
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        array = np.array(value, dtype=np.float64)
    else:
        array = None
    if array is None or not np.isfinite(array).all() or (positive and not (array > 0).all()):
        expected = "positive " if positive else ""
        raise NnbpError(
            f"{path}: meta: {key} is not {expected}finite numbers, {' or '.join(map(str, lengths))} of them"
        )
    return float(array) if array.ndim == 0 else array


def load_model(path: Path) -> Model:
    """The network in a weights file with its preprocessing: raw rows in, the data's terms out."""
    network, meta = load_weights(path)
    tuple_or_none = lambda v: None if v is None else tuple(v)  # noqa: E731
    return Model(
        network,
        meta["input_scale"],
        meta.get("input_shift"),
        meta["task"],
        tuple_or_none(meta.get("class_names")),
        tuple_or_none(meta.get("feature_names")),
        tuple_or_none(meta.get("target_names")),
        meta.get("target_shift"),
        meta.get("target_scale"),
    )
