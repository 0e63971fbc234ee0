"""Saved networks judged and described: a weights file on a test split (`nnbp eval`), what a weights
file holds (`nnbp info`), and a run's networks on the test split once training ends."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from nnbp.config import TrainConfig, build_config
from nnbp.data import Fetch
from nnbp.data.dataset import Dataset
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.history import History
from nnbp.run.setup import dataset_of
from nnbp.run.weights import load_weights
from nnbp.system.blas import blas_threads, resolve
from nnbp.system.memory import forward_chunk
from nnbp.training import Evaluation, RegressionEvaluation, evaluate


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
    e = history.epochs[epoch - 1].to_dict()
    return {k: e[k] for k in ("cost", "correct", "total", "accuracy", "mse", "mae", "r2") if k in e}


def evaluate_weights(
    path: Path, dataset: str | None = None, fetch: Fetch | None = None, threads: str | int = "auto"
) -> tuple[Evaluation | RegressionEvaluation, Dataset]:
    """Saved weights on the test split of `dataset`, or of the dataset they were trained on."""
    network, meta = load_weights(path)
    data = recorded_dataset(path, meta, dataset, fetch)
    check_fits(network, data, path)
    with blas_threads(resolve(threads, network.sizes, forward_chunk(network.sizes, network.dtype))):
        return evaluate(network, data, data.test), data


def recorded_dataset(path: Path, meta: dict, dataset: str | None = None, fetch: Fetch | None = None) -> Dataset:
    """The dataset saved weights were trained on, split and scaled as their recorded config says (a
    table's test rows are drawn by its seed again), or the dataset named `dataset` instead."""
    recorded = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    name = dataset or recorded.get("dataset")
    if not isinstance(name, str):
        raise NnbpError(f"{path}: records no dataset; pass --dataset")
    try:
        config = build_config(recorded, {"dataset": name, "output": "unused"}, f"{path}: meta: config")
    except NnbpError:  # a config of another nnbp, or none: the dataset alone, as its defaults have it
        config = TrainConfig(dataset=name)
    data = dataset_of(config, fetch)
    if data.kind == "table":  # scaled exactly as the network was trained, whatever the file holds now
        data = replace(
            data,
            shift=meta.get("input_shift"),
            scale=meta["input_scale"],
            target_shift=meta.get("target_shift"),
            target_scale=meta.get("target_scale"),
        )
    return data


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
        "input_scale": meta["input_scale"] if np.ndim(meta["input_scale"]) == 0 else "per feature",
        "task": meta["task"],
        "feature_names": meta.get("feature_names"),
        "target_names": meta.get("target_names"),
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
            final_r2=last.r2,
            best_r2=best.r2,
            test=history.test,
            best_test=history.best_test,
            stopped=history.stopped,
        )
    elif "epoch" in meta:  # best.npz: the network of one epoch
        info.update(epoch=meta["epoch"])
    return info
