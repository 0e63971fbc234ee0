"""A run folder: its files, the lock that keeps one run in it, and the checkpoint written after each epoch.

`weights.npz` is the checkpoint: its metadata holds the effective config, the history and the
random generator's state, so a resume needs nothing else. `history.json` and `config.yaml` are
copies for people and other tools. Every file is written atomically. While a run holds the folder's
lock (an flock on the folder itself; `.nnbp.pid` names the holder), no other nnbp run can start or
resume there.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nnbp import __version__
from nnbp.config import TrainConfig, build_config
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.history import History
from nnbp.run.weights import load_weights, save_weights
from nnbp.system.memory import memory_limit
from nnbp.system.safeio import read_npz, remove_temporary_files, write_atomic, write_json_atomic

RUN_FILES = ("weights.npz", "best.npz", "history.json", "history.csv", "config.yaml")
PID_FILE = ".nnbp.pid"


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write (a full disk, a folder made read-only) into a one-line NnbpError."""
    try:
        yield
    except OSError as e:
        raise NnbpError(f"{path}: cannot write ({e.strerror or e}); the files already there are intact") from None


def _path_problem(e: BaseException) -> str:
    if isinstance(e, ValueError):  # a NUL byte in the path
        return "not a usable path"
    if isinstance(e, OSError) and e.errno == errno.ENAMETOOLONG:
        return "a name too long for the file system"
    return getattr(e, "strerror", None) or str(e)


class RunFolder:
    """A folder holding one run, locked for as long as this object is open."""

    def __init__(self, path: Path, created: list[Path] | None = None) -> None:  # created: outermost first
        self.path = path
        self._created = created or []  # folders made for this run: removed again if it is refused
        self._lock_fd: int | None = None

    @property
    def weights(self) -> Path:
        return self.path / "weights.npz"

    @property
    def history(self) -> Path:
        return self.path / "history.json"

    @property
    def config(self) -> Path:
        return self.path / "config.yaml"

    @property
    def best(self) -> Path:
        return self.path / "best.npz"

    @property
    def history_csv(self) -> Path:
        return self.path / "history.csv"

    @classmethod
    def make(cls, output: Path) -> RunFolder:
        """The folder `output`, created if missing (with its parents) and locked."""
        output = output.expanduser()
        try:
            if output.exists() and not output.is_dir():
                raise NnbpError(f"output: {output} exists and is not a folder")
            created = [p for p in [output, *output.parents] if not p.exists()]
            output.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as e:
            raise NnbpError(f"output: cannot create {str(output)[:200]} ({_path_problem(e)})") from None
        folder = cls(output, created[::-1])
        folder.lock()
        return folder

    @classmethod
    def create(cls, output: Path, force: bool) -> RunFolder:
        """The folder for a new run, created if missing and locked. An existing run there is refused
        unless `force`, and then its files are removed, so the folder only ever describes one run."""
        folder = cls.make(output)
        output = folder.path
        try:
            existing = [f for f in RUN_FILES if (output / f).exists()]
            if existing and not force:
                raise NnbpError(
                    f"output: {output} already holds a run ({', '.join(existing)}); pass --force to "
                    "replace it, or choose another --output"
                )
            for name in existing:
                (output / name).unlink()
        except BaseException:
            folder.close(refused=True)
            raise
        return folder

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        """An existing run's folder, locked."""
        path = path.expanduser()
        try:
            if not (path / "weights.npz").is_file():
                raise NnbpError(f"{path}: holds no weights.npz; is this a run folder?")
        except (OSError, ValueError) as e:
            raise NnbpError(f"{str(path)[:200]}: cannot be read ({_path_problem(e)})") from None
        folder = cls(path)
        folder.lock()
        return folder

    def lock(self) -> None:
        """Hold the folder's lock, or refuse at once, naming the process that holds it; then clear
        what a killed run left of its atomic writes."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise NnbpError(f"{self.path}: cannot be opened ({e.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # the folder is the holder's, even if this process thinks it made it: touch nothing
            try:
                holder = (self.path / PID_FILE).read_text()[:20].strip() or "unknown"
            except OSError:
                holder = "unknown"
            raise NnbpError(
                f"output: {self.path} is in use by another nnbp run (pid {holder}); wait for it to "
                "end, or choose another --output"
            ) from None
        self._lock_fd = fd
        try:
            write_atomic(self.path / PID_FILE, f"{os.getpid()}\n".encode())
            remove_temporary_files(self.path)
        except OSError as e:
            self.close(refused=True)
            raise NnbpError(f"{self.path}: cannot write ({e.strerror})") from None
        except BaseException:  # a signal's exception, say: the lock is let go whatever ends this
            self.close(refused=True)
            raise

    def close(self, refused: bool = False) -> None:
        """Release the lock, leaving no temporary file behind (a signal may have cut a write short); for
        a refused new run, also remove the folders made for it (if empty)."""
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            try:
                remove_temporary_files(self.path)
                (self.path / PID_FILE).unlink(missing_ok=True)
            except OSError:
                pass  # the folder went away or turned read-only: the lock is let go all the same
            finally:
                os.close(fd)
        if refused:
            for folder in reversed(self._created):
                try:
                    folder.rmdir()
                except OSError:
                    break

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def write_config(self, config: TrainConfig) -> None:
        """Record the effective config of the run."""
        with _writing(self.config):
            write_atomic(self.config, yaml.safe_dump(config.to_dict(), sort_keys=False).encode())

    def save_checkpoint(
        self,
        config: TrainConfig,
        network: Network,
        rng: np.random.Generator,
        history: History,
        data: dict,
        state: dict[str, np.ndarray] | None = None,
    ) -> None:
        """After an epoch: the weights with everything a resume needs (the optimizer's `state`, as named
        arrays beside them), then the history. `data` is what the weights carry about their inputs."""
        checkpoint = {"rng_state": rng.bit_generator.state, "history": history.to_dict()}
        meta = {"nnbp": __version__, **data, "config": config.to_dict(), "checkpoint": checkpoint}
        with _writing(self.weights):
            save_weights(self.weights, network, meta, state or {})
        self.save_history(history)

    def save_best(self, config: TrainConfig, network: Network, epoch: int, data: dict) -> None:
        """The network of the best epoch so far, in the weights file's layout (not a checkpoint)."""
        meta = {"nnbp": __version__, **data, "config": config.to_dict(), "epoch": epoch}
        with _writing(self.best):
            save_weights(self.best, network, meta)

    def write_files(self, files: dict[str, bytes]) -> None:
        """A run's files as another machine wrote them, replacing the folder's; the checkpoint last,
        as it says how far the run got."""
        for name in sorted(set(files) & set(RUN_FILES), key=lambda n: n == "weights.npz"):
            with _writing(self.path / name):
                write_atomic(self.path / name, files[name])
        for name in set(RUN_FILES) - set(files):
            (self.path / name).unlink(missing_ok=True)

    def save_history(self, history: History) -> None:
        with _writing(self.history):
            write_json_atomic(self.history, history.to_dict())
        with _writing(self.history_csv):
            write_atomic(self.history_csv, history.to_csv().encode())

    def load_checkpoint(
        self, epochs: int | None
    ) -> tuple[TrainConfig, Network, np.random.Generator, History, dict[str, np.ndarray]]:
        """The config (with `epochs` raised if given), network, random generator, history and optimizer
        state (momentum's velocities, Adam's averages) saved after the run's last completed epoch. A
        finished run is refused unless `epochs` asks for more; a run that stopped itself (early
        stopping, η schedule) is refused."""
        network, meta = load_weights(self.weights)
        where = f"{self.weights}: meta"
        checkpoint = meta.get("checkpoint")
        if not isinstance(meta.get("config"), dict) or not isinstance(checkpoint, dict):
            raise NnbpError(f"{self.weights}: holds no checkpoint; it was not written by `nnbp train`")
        config = build_config(meta["config"], {"epochs": epochs}, f"{where}: config")
        history = History.from_dict(checkpoint.get("history"), f"{where}: checkpoint: history")
        done = len(history.epochs)
        if history.stopped is not None:
            raise NnbpError(
                f"{self.path}: stopped itself after epoch {history.stopped['epoch']} "
                f"({history.stopped['reason']}); it is finished"
            )
        if done > config.epochs:
            raise NnbpError(f"--epochs: {config.epochs} is fewer than the {done} epochs {self.path} has trained")
        if done == config.epochs and history.test is not None:
            raise NnbpError(
                f"{self.path}: already trained for {done} of {config.epochs} epochs; "
                "pass --epochs with a larger number to train further"
            )
        if (
            network.sizes != list(config.sizes)
            or network.dtype != np.dtype(config.dtype)
            or [s.name for s in network.sigmas] != list(config.layer_activations)
            or network.cost.name != config.cost
        ):
            raise NnbpError(f"{self.weights}: the network does not match the recorded config")
        rng = np.random.default_rng()
        rng.bit_generator.state = _rng_state(checkpoint.get("rng_state"), f"{where}: checkpoint: rng_state")
        adam = config.optimizer == "adam"
        prefixes = ["velocity"] if config.momentum else ["adam_moment", "adam_square"] if adam else []
        state = self._state(network, prefixes, with_steps=adam)
        history.test = history.best_test = history.diverged = None
        return config, network, rng, history, state

    def _state(self, network: Network, prefixes: list[str], with_steps: bool) -> dict[str, np.ndarray]:
        """The optimizer's arrays from the checkpoint, `prefix_biases_i` and `prefix_weights_i` each shaped
        and typed like its parameter (checked from its header before it is read), and Adam's step count."""
        likes = {
            f"{prefix}_{kind}_{i}": like
            for prefix in prefixes
            for kind, group in (("biases", network.biases), ("weights", network.weights))
            for i, like in enumerate(group)
        }
        names = list(likes) + (["adam_steps"] if with_steps else [])
        if not names:
            return {}

        def check(name: str, shape: tuple, dtype: np.dtype) -> None:  # before a byte of the array is inflated
            expected = ((1,), np.dtype(np.int64)) if name == "adam_steps" else (likes[name].shape, network.dtype)
            if (tuple(shape), dtype) != expected:
                raise NnbpError(f"{self.weights}: {name} is not {expected[1]} of shape {expected[0]}")

        arrays = read_npz(self.weights, "an nnbp checkpoint", names, max_bytes=memory_limit(), check=check)
        for name, like in likes.items():
            if not np.isfinite(arrays[name]).all():
                raise NnbpError(f"{self.weights}: {name} is not finite {like.dtype} of shape {like.shape}")
        if with_steps and arrays["adam_steps"][0] < 0:
            raise NnbpError(f"{self.weights}: adam_steps is negative")
        return arrays


def _rng_state(state: Any, where: str) -> dict:
    """A PCG64 state as numpy writes it, every field checked (numpy itself accepts some bad ones)."""
    fields = {"bit_generator": str, "state": dict, "has_uint32": int, "uinteger": int}
    if (
        not isinstance(state, dict)
        or set(state) != set(fields)
        or state["bit_generator"] != "PCG64"
        or not all(isinstance(state[k], t) and not isinstance(state[k], bool) for k, t in fields.items())
        or set(state["state"]) != {"state", "inc"}
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**128 for v in state["state"].values())
        or state["has_uint32"] not in (0, 1)
        or not 0 <= state["uinteger"] < 2**32
    ):
        raise NnbpError(f"{where}: not the state of numpy's PCG64 generator")
    return state
