"""What a config needs of its data before a run starts, and the network it starts from.

`check_against_data` refuses a config whose layers do not fit the dataset, whose mini-batch is larger
than the training set, or whose run would not fit the memory limit; `build_network` draws the
initial weights from the run's generator.
"""

from __future__ import annotations

import numpy as np

from nnbp.activations import ACTIVATIONS
from nnbp.config import TrainConfig
from nnbp.costs import COSTS
from nnbp.data import Fetch, load_dataset
from nnbp.data.catalog import TABLES
from nnbp.data.dataset import Dataset
from nnbp.data.expansion import side_of
from nnbp.data.tables import is_table
from nnbp.errors import NnbpError
from nnbp.network import Gradient, Network
from nnbp.sgd import SGD, Adam, Momentum, zeros_like
from nnbp.system.memory import describe, memory_limit, training_bytes


def task_of(config: TrainConfig) -> str:
    """The task a config asks for: its `task`, or a regression when its output is linear with the
    quadratic cost (a network that predicts values), else whatever the data say (auto)."""
    if config.task != "auto":
        return config.task
    if config.layer_activations[-1] == "linear" and config.cost == "quadratic":
        return "regression"
    return "auto"


def dataset_of(config: TrainConfig, fetch: Fetch | None = None) -> Dataset:
    """The dataset a config trains on, split and scaled as it says (a table's rows drawn by its seed)."""
    table = is_tabular(config)
    return load_dataset(
        config.dataset,
        config.validation_size,
        fetch,
        target=list_or_text(config.target),
        features=None if config.features is None else list(config.features),
        test_size=config.test_size,
        test=config.test,
        scale=config.scale,
        task=task_of(config) if table else config.task,
        seed=config.seed,
    )


def is_tabular(config: TrainConfig) -> bool:
    """Whether a config trains on a table (a CSV/TSV file or a bundled table) rather than images."""
    return is_table(config.dataset) or config.dataset in TABLES


def list_or_text(value: str | tuple[str, ...] | None) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def data_key(config: TrainConfig) -> tuple:
    """What the dataset of a config depends on: configs with the same key share one loaded dataset."""
    key = (config.dataset, config.validation_size)
    if is_tabular(config):
        key += (
            config.target,
            config.features,
            config.test_size,
            config.test,
            config.scale,
            task_of(config),
            config.seed,
        )
    return key


def build_network(config: TrainConfig, rng: np.random.Generator) -> Network:
    """The freshly initialised network a config describes, drawn from `rng`."""
    return Network.initialise(
        list(config.sizes),
        rng,
        dtype=np.dtype(config.dtype),
        sigmas=tuple(ACTIVATIONS[name] for name in config.layer_activations),
        cost=COSTS[config.cost],
        init=config.init,
    )


def build_optimizer(
    config: TrainConfig, network: Network, n: int, state: dict[str, np.ndarray] | None = None
) -> SGD | Momentum | Adam:
    """The step rule `config` asks for, over n training examples, resumed from a checkpoint's `state`."""
    state = state or {}

    def arrays(prefix: str) -> Gradient:
        saved = [
            [state.get(f"{prefix}_{kind}_{i}") for i in range(len(group))]
            for kind, group in (("biases", network.biases), ("weights", network.weights))
        ]
        rest = zeros_like(network)
        return tuple([s if s is not None else z for s, z in zip(got, zero)] for got, zero in zip(saved, rest))

    if config.optimizer == "adam":
        steps = int(state["adam_steps"][0]) if "adam_steps" in state else 0
        return Adam(
            arrays("adam_moment"), arrays("adam_square"), tuple(config.betas), config.epsilon, config.lmbda, n, steps
        )
    if config.momentum:
        return Momentum(config.momentum, arrays("velocity"), config.lmbda, n)
    return SGD(config.lmbda, n)


def check_against_data(config: TrainConfig, dataset: Dataset, source: str) -> None:
    """The network's input and output layers must fit the data, a mini-batch the training set, and
    what training allocates the memory limit; errors name `source`."""
    if config.sizes[0] != dataset.n_inputs:
        raise NnbpError(
            f"{source}: sizes: the input layer has {config.sizes[0]} neurons but the dataset "
            f"{config.dataset!r} has {dataset.n_inputs} inputs per example"
        )
    if config.sizes[-1] != dataset.n_classes:
        what = "target columns" if dataset.regression else "classes"
        raise NnbpError(
            f"{source}: sizes: the output layer has {config.sizes[-1]} neurons but the dataset "
            f"{config.dataset!r} has {dataset.n_classes} {what}"
        )
    if dataset.regression and (config.layer_activations[-1] != "linear" or config.cost != "quadratic"):
        raise NnbpError(
            f"{source}: activation: a regression predicts values: its output layer needs the linear "
            "activation and the quadratic cost (e.g. activation: [sigmoid, linear], cost: quadratic)"
        )
    n_train = len(dataset.train)
    if config.train_size is not None and config.train_size > n_train:
        raise NnbpError(
            f"{source}: train_size: {config.train_size} is more than the {n_train} training examples "
            f"of {config.dataset!r}"
        )
    n_train = config.train_size or n_train
    if config.mini_batch_size > n_train:
        raise NnbpError(
            f"{source}: mini_batch_size: {config.mini_batch_size} is larger than the {n_train} training examples"
        )
    if config.expand is not None and (side_of(dataset.n_inputs) is None or dataset.kind != "images"):
        raise NnbpError(
            f"{source}: expand: {config.dataset!r} is not a dataset of square images; only images are "
            "shifted, rotated or distorted"
        )
    needed = training_needs(config, dataset)
    if needed > memory_limit():
        raise NnbpError(
            f"{source}: sizes {list(config.sizes)} with mini_batch_size {config.mini_batch_size} on "
            f"{dataset.name!r} would need about {describe(needed, memory_limit())}; the limit is "
            f"{describe(memory_limit(), needed)} "
            "(set NNBP_MAX_MEMORY, e.g. NNBP_MAX_MEMORY=16G, to raise it)"
        )


def training_needs(config: TrainConfig, dataset: Dataset) -> int:
    """The bytes a run of `config` on `dataset` is estimated to hold at its peak."""
    return training_bytes(
        config.sizes,
        np.dtype(config.dtype).itemsize,
        config.mini_batch_size,
        config.train_size or len(dataset.train),
        dataset.nbytes,
        loop=config.engine == "loop",
        diagnostics=config.diagnostics,
        optimizer_sets=2 if config.optimizer == "adam" else 1 if config.momentum else 0,
    )
