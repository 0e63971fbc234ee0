"""nnbp: train fully-connected networks by backpropagation, as chapter 2 of Nielsen's book lays it out.

The Python API:

    import nnbp
    network = nnbp.load_network("runs/mnist-sample/weights.npz")
    dataset = nnbp.load_dataset("mnist-sample")
    X = dataset.test.images[:5].T * dataset.scale   # columns are examples; pixels ÷ 255
    network.feedforward(X).argmax(axis=0)           # the predicted digits

    history = nnbp.train(nnbp.TrainConfig(epochs=3, output="runs/api"))
"""

from __future__ import annotations

__version__ = "0.2.0"

from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

from nnbp.backprop import backprop, backprop_per_example, sgd_step  # noqa: E402
from nnbp.config import TrainConfig  # noqa: E402
from nnbp.data import load_dataset  # noqa: E402
from nnbp.errors import NnbpError  # noqa: E402
from nnbp.network import Network  # noqa: E402

__all__ = ["Network", "NnbpError", "TrainConfig", "backprop", "backprop_per_example", "load_dataset",
           "load_network", "sgd_step", "train"]


def load_network(path: str | Path) -> Network:
    """The network saved in a `weights.npz`. Its `feedforward(X)` takes inputs as columns, scaled as
    training scaled them: the stored pixels times the dataset's `scale` (1/255 for MNIST's uint8)."""
    from nnbp.run import load_weights

    return load_weights(Path(path))[0]


def train(config: TrainConfig, *, force: bool = False, on_epoch: Callable[[Any], None] | None = None) -> Any:
    """Run `config` as `nnbp train` does (its dataset, its output folder) and return the run's History."""
    from nnbp.run import Run

    dataset = load_dataset(config.dataset, config.validation_size)
    with Run.start(config, dataset, force=force) as run:
        return run.train(dataset, on_epoch=on_epoch)
