"""nnbp: train fully-connected networks by backpropagation, as chapter 2 of Nielsen's book lays it out.

The Python API:

    import nnbp
    history = nnbp.train(nnbp.TrainConfig(epochs=3, output="runs/api"))   # as `nnbp train` does
    network = nnbp.load_network("runs/api/weights.npz")
    dataset = nnbp.load_dataset("mnist-sample")
    X = dataset.test.images[:5].T * dataset.scale   # columns are examples; pixels ÷ 255
    network.feedforward(X).argmax(axis=0)           # the predicted digits

    model = nnbp.load_model("runs/api/best.npz")     # the network with its scaling and class names
    model.predict(dataset.test.images[:5])           # raw examples as rows in, answers out

Importing `nnbp` loads numpy and the core (the network, both engines, the SGD steps) and nothing
else; the rest (configs, data, runs) loads when one of its names is first used.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"

# The core, bound here so that the function `backprop` is not shadowed by its module's name.
from nnbp.backprop import backprop  # noqa: E402
from nnbp.errors import NnbpError  # noqa: E402
from nnbp.network import Network  # noqa: E402
from nnbp.per_example import backprop_per_example  # noqa: E402
from nnbp.sgd import momentum_step, sgd_step  # noqa: E402

if TYPE_CHECKING:  # for type checkers and readers; at run time `__getattr__` loads them on first use
    from nnbp.config import TrainConfig
    from nnbp.data import Dataset, load_dataset
    from nnbp.model import Model
    from nnbp.run import History
    from nnbp.training import EpochResult

_LAZY = {
    "Model": "nnbp.model",
    "Dataset": "nnbp.data",
    "EpochResult": "nnbp.training",
    "History": "nnbp.run",
    "TrainConfig": "nnbp.config",
    "load_dataset": "nnbp.data",
}

__all__ = [
    "Dataset",
    "EpochResult",
    "History",
    "Model",
    "Network",
    "NnbpError",
    "TrainConfig",
    "backprop",
    "backprop_per_example",
    "load_dataset",
    "load_model",
    "load_network",
    "momentum_step",
    "sgd_step",
    "train",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnbp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def load_network(path: str | Path) -> Network:
    """The network saved in a `weights.npz`. Its `feedforward(X)` takes inputs as columns, scaled as
    training scaled them: the stored pixels times the dataset's `scale` (1/255 for MNIST's uint8)."""
    from nnbp.run import load_weights

    return load_weights(Path(path))[0]


def load_model(path: str | Path) -> Model:
    """The network saved in a `weights.npz` with the preprocessing it was trained with: its
    `predict(rows)` and `predict_proba(rows)` take raw examples (N, n_inputs), unscaled, and give class
    names and scores, or a regression's values in the targets' own units."""
    from nnbp.run.weights import load_model as load

    return load(Path(path))


def train(
    config: TrainConfig | None = None,
    *,
    resume: str | Path | None = None,
    epochs: int | None = None,
    force: bool = False,
    download: bool = True,
    on_epoch: Callable[[EpochResult], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> History:
    """Train `config` as `nnbp train` does, or resume the run in the folder `resume`; return its History.

    The run writes to `config.output` (default: runs/<the dataset's name>); `force` replaces a run
    already there; `epochs` replaces the number of epochs (to train a resumed run further). A named
    dataset missing from this machine is downloaded into the cache unless `download` is False.
    `on_epoch(result)` and `on_batch(m)` are called as training goes; an exception raised by one
    stops the run, keeping its finished epochs. Bad input raises `NnbpError`, naming what is wrong.
    """
    from nnbp.data.download import quiet_fetch
    from nnbp.run import Callbacks
    from nnbp.run import train as train_run

    return train_run(
        config,
        resume=resume,
        epochs=epochs,
        force=force,
        fetch=quiet_fetch if download else None,
        callbacks=Callbacks(batch=on_batch, epoch=on_epoch),
    )
