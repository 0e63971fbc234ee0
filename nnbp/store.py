"""Files a run writes and reads: atomic writes, and the `weights.npz` format.

`weights.npz` is a plain npz (no pickled objects): `sizes` (int64), `weights_0` … `weights_{L-2}`
of shape (sizes[i+1], sizes[i]), `biases_0` … of shape (sizes[i+1], 1), and `meta`, a JSON string.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from nnbp.activations import ACTIVATIONS
from nnbp.costs import COSTS
from nnbp.errors import NnbpError
from nnbp.network import Network, check_layers

FORMAT_VERSION = 1
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: never a truncated file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the permissions open() would
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=2) + "\n").encode())


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


def read_npz(path: Path, what: str) -> dict[str, np.ndarray]:
    """Every array of an `.npz` file, read in full with `allow_pickle=False`; `what` names the
    kind of file in errors. Any defect is a one-line `NnbpError` naming the file."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise NnbpError(f"{path}: not {what} (not an .npz archive)")
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except NnbpError:
        raise
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnbpError(f"{path}: is a directory, not {what}") from None
    except PermissionError:
        raise NnbpError(f"{path}: permission denied") from None
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise NnbpError(f"{path}: holds pickled object arrays, which nnbp refuses to load") from None
        raise NnbpError(f"{path}: not {what} ({e})") from None
    except Exception as e:  # zipfile and numpy raise many kinds on corrupt bytes; all mean "bad file"
        raise NnbpError(
            f"{path}: not a readable {what.removeprefix('an ').removeprefix('a ')} ({type(e).__name__}: {e})"
        ) from None


def load_network(path: Path) -> tuple[Network, dict[str, Any]]:
    """A network and its metadata from a `weights.npz`; every defect is a one-line `NnbpError`."""
    arrays = read_npz(path, "an nnbp weights file")
    if "sizes" not in arrays or "meta" not in arrays:
        raise NnbpError(f"{path}: not an nnbp weights file (no 'sizes' or 'meta' array)")
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
