"""Saved networks judged and described: a weights file on a test split (`nnbp eval`), what a weights
file holds (`nnbp info`), and a run's networks on the test split once training ends."""

from __future__ import annotations

from pathlib import Path

from nnbp.data import Fetch, load_dataset
from nnbp.data.dataset import Dataset
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.history import History
from nnbp.run.weights import load_weights
from nnbp.system.blas import blas_threads, resolve
from nnbp.system.memory import forward_chunk
from nnbp.training import Evaluation, evaluate


def check_fits(network: Network, dataset: Dataset, source: Path | str) -> None:
    """The network's input and output layers must match the dataset's inputs and classes."""
    if network.sizes[0] != dataset.n_inputs or network.sizes[-1] != dataset.n_classes:
        raise NnbpError(
            f"{source}: the network {network.sizes} does not fit {dataset.name!r} "
            f"({dataset.n_inputs} inputs, {dataset.n_classes} classes)"
        )


def test_figures(network: Network, dataset: Dataset, history: History, epoch: int) -> dict:
    """`network` (that of `epoch`) on the test split; without a validation split, the epoch's own
    figures, which were measured on the test split already."""
    if dataset.validation is not None:
        return evaluate(network, dataset, dataset.test).to_dict()
    e = history.epochs[epoch - 1]
    return {"cost": e.cost, "correct": e.correct, "total": e.total, "accuracy": e.accuracy}


def evaluate_weights(
    path: Path, dataset: str | None = None, fetch: Fetch | None = None, threads: str | int = "auto"
) -> tuple[Evaluation, Dataset]:
    """Saved weights on the test split of `dataset`, or of the dataset they were trained on."""
    network, meta = load_weights(path)
    recorded = meta.get("config")
    name = dataset or (recorded.get("dataset") if isinstance(recorded, dict) else None)
    if not isinstance(name, str):
        raise NnbpError(f"{path}: records no dataset; pass --dataset")
    data = load_dataset(name, fetch=fetch)
    check_fits(network, data, path)
    with blas_threads(resolve(threads, network.sizes, forward_chunk(network.sizes, network.dtype))):
        return evaluate(network, data, data.test), data


def describe_weights(path: Path) -> dict:
    """What a weights file holds, for `nnbp info`: the network, how and on what it was trained, how well."""
    network, meta = load_weights(path)
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    checkpoint = meta.get("checkpoint") if isinstance(meta.get("checkpoint"), dict) else {}
    history = (
        History.from_dict(checkpoint["history"], f"{path}: meta: checkpoint: history")
        if "history" in checkpoint
        else None
    )
    info = {
        "file": str(path),
        "nnbp": meta.get("nnbp"),
        "sizes": network.sizes,
        "activation": [s.name for s in network.sigmas],
        "cost": network.cost.name,
        "parameters": sum(w.size + b.size for w, b in zip(network.weights, network.biases)),
        "dtype": network.dtype.name,
        "dataset": config.get("dataset"),
        "class_names": meta.get("class_names"),
        "input_scale": meta["input_scale"],
        "config": config or None,
    }
    if history is not None and history.epochs:
        last, best = history.epochs[-1], history.best
        info.update(
            epochs=len(history.epochs),
            evaluated_on=history.evaluated_on,
            final_accuracy=last.accuracy,
            best_epoch=best.epoch,
            best_accuracy=best.accuracy,
            test=history.test,
            best_test=history.best_test,
            stopped=history.stopped,
        )
    elif "epoch" in meta:  # best.npz: the network of one epoch
        info.update(epoch=meta["epoch"])
    return info
