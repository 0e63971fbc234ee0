"""A run folder: what `nnbp train` writes, the checkpoint after every epoch, and reading it back.

`weights.npz` is the checkpoint: its metadata holds the effective config, the epoch, the history and
the random generator's state, so a resume needs nothing else. `history.json` and `config.yaml` are
copies for people and other tools. Every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml

from nnbp import __version__
from nnbp.config import TrainConfig, build_config
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.files import write_atomic, write_json_atomic
from nnbp.store import load_network, save_network

RUN_FILES = ("weights.npz", "history.json", "config.yaml")


def prepare_output(output: Path, force: bool) -> Path:
    """Refuse to replace an existing run without --force; create the folder only once all else is valid."""
    if output.exists() and not output.is_dir():
        raise NnbpError(f"output: {output} exists and is not a folder")
    existing = [f for f in RUN_FILES if (output / f).exists()]
    if existing and not force:
        raise NnbpError(
            f"output: {output} already holds a run ({', '.join(existing)}); pass --force to "
            "replace it, or choose another --output"
        )
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NnbpError(f"output: cannot create {output} ({e.strerror})") from None
    return output


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write (a full disk, a folder made read-only) into a one-line NnbpError."""
    try:
        yield
    except OSError as e:
        raise NnbpError(f"{path}: cannot write ({e.strerror or e}); the files already there are intact") from None


def start(output: Path, config: TrainConfig) -> None:
    """Record the effective config of a new run."""
    with _writing(output / "config.yaml"):
        write_atomic(output / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False).encode())


def save_checkpoint(output: Path, config: TrainConfig, network: Network, rng: np.random.Generator,
                    history: dict) -> None:
    """After an epoch: the weights with everything a resume needs, then the history beside them."""
    checkpoint = {"epoch": len(history["epochs"]), "rng_state": rng.bit_generator.state, "history": history}
    meta = {"nnbp": __version__, "config": config.to_dict(), "checkpoint": checkpoint}
    with _writing(output / "weights.npz"):
        save_network(output / "weights.npz", network, meta)
    save_history(output, history)


def save_history(output: Path, history: dict) -> None:
    with _writing(output / "history.json"):
        write_json_atomic(output / "history.json", history)


def load_checkpoint(run_dir: Path, epochs: int | None) -> tuple[TrainConfig, Network, np.random.Generator, dict]:
    """The config, network, random generator and history saved after a run's last completed epoch."""
    path = run_dir / "weights.npz"
    network, meta = load_network(path)
    checkpoint = meta.get("checkpoint")
    if not isinstance(meta.get("config"), dict) or not isinstance(checkpoint, dict):
        raise NnbpError(f"{path}: holds no checkpoint; it was not written by `nnbp train`")
    config = build_config(meta["config"], {"epochs": epochs}, str(path))
    history = checkpoint.get("history")
    if not isinstance(history, dict) or not isinstance(history.get("epochs"), list) \
            or len(history["epochs"]) != checkpoint.get("epoch"):
        raise NnbpError(f"{path}: the checkpoint's history does not match its epoch")
    if checkpoint["epoch"] >= config.epochs:
        raise NnbpError(
            f"{run_dir}: already trained for {checkpoint['epoch']} of {config.epochs} epochs; "
            "pass --epochs with a larger number to train further"
        )
    if network.sizes != list(config.sizes) or network.dtype != np.dtype(config.dtype):
        raise NnbpError(f"{path}: the network does not match the recorded config")
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = checkpoint["rng_state"]
    except (TypeError, ValueError, KeyError) as e:
        raise NnbpError(f"{path}: the checkpoint's random-generator state is unusable ({e})") from None
    history.pop("test", None)
    history.pop("diverged", None)
    return config, network, rng, history
