"""Training configuration: one dataclass, read strictly from YAML and overridden by CLI options.

Every problem is an `NnbpError` whose message names where the value came from (`file: key` or
`--option`), the value, and what was expected. YAML is read only with a safe loader.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

import numpy as np

from nnbp.activations import ACTIVATIONS
from nnbp.costs import COSTS
from nnbp.errors import NnbpError
from nnbp.network import INITS, Network, check_layers

ENGINES = ("matrix", "loop")
DTYPES = ("float64", "float32")
# An up-front bound on what a network (weights, gradients, one update's temporaries) or one
# mini-batch step may need, so that a typo such as a layer of 10^9 neurons is refused at once
# instead of exhausting memory.
MAX_PARAMETER_BYTES = 4 * 2**30


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; the defaults are the book's chapter 1 run."""

    sizes: tuple[int, ...] = (784, 30, 10)  # the book's network: 784 pixels, 30 hidden, 10 digits
    eta: float = 3.0  # the book's η for this network and the quadratic cost
    epochs: int = 30  # the book trains for 30 epochs
    mini_batch_size: int = 10  # the book's mini-batch size
    seed: int = 0  # seeds the one Generator behind initialisation and shuffling
    dataset: str = "mnist-sample"  # ships inside the package: runs with no network
    engine: str = "matrix"  # the fast engine; `loop` is the chapter's per-example algorithm
    dtype: str = "float64"  # the chapter's arithmetic; float32 is faster and accurate enough
    output: str = "runs/mnist-sample"  # relative to the working directory
    validation_size: int | None = None  # None: the dataset's own (10,000 for MNIST, as the book)
    activation: str | tuple[str, ...] = "sigmoid"  # the book's neuron; a list gives one per layer
    cost: str = "quadratic"  # the chapter's cost
    init: str = "normal"  # the book's N(0, 1) weights; `scaled` is chapter 3's N(0, 1/n_in)
    lmbda: float = 0.0  # L2 regularisation λ (chapter 3); 0 is the chapter's unregularised SGD
    diagnostics: bool = False  # per-layer δ, gradient and saturation figures in history.json

    def to_dict(self) -> dict[str, Any]:
        """Plain types, as written to `config.yaml` and into the weights file's metadata."""
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        if isinstance(self.activation, tuple):
            d["activation"] = list(self.activation)
        return d

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """The activation of each non-input layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * (len(self.sizes) - 1)
        return self.activation


def build_network(config: TrainConfig, rng: np.random.Generator) -> Network:
    """The freshly initialised network a config describes, drawn from `rng`."""
    return Network.initialise(
        list(config.sizes), rng, dtype=np.dtype(config.dtype),
        sigmas=tuple(ACTIVATIONS[name] for name in config.layer_activations),
        cost=COSTS[config.cost], init=config.init,
    )


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NnbpError(f"{where}: {value!r} is not a whole number")
    if value < minimum:
        raise NnbpError(f"{where}: {value} is less than {minimum}")
    return value


def _positive_int(value: Any, where: str) -> int:
    return _int(value, where, 1)


def _seed(value: Any, where: str) -> int:
    return _int(value, where, 0)


def _validation_size(value: Any, where: str) -> int | None:
    return None if value is None else _int(value, where, 0)


def _number(value: Any, where: str) -> float:
    # PyYAML follows YAML 1.1, which reads 1e-3 (no dot) as a string: accept numbers written so.
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise NnbpError(f"{where}: {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NnbpError(f"{where}: {value!r} is not a number")
    return float(value)


def _eta(value: Any, where: str) -> float:
    value = _number(value, where)
    if not math.isfinite(value) or value <= 0:
        raise NnbpError(f"{where}: {value} is not a positive finite learning rate")
    return value


def _sizes(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise NnbpError(f"{where}: {value!r} is not a list of at least 2 layer sizes, input first")
    sizes = tuple(_positive_int(n, f"{where}[{i}]") for i, n in enumerate(value))
    n_bytes = 8 * 3 * sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if n_bytes > MAX_PARAMETER_BYTES:
        raise NnbpError(
            f"{where}: {list(sizes)} would need about {n_bytes / 2**30:.0f} GiB for weights and "
            f"gradients; nnbp refuses networks over {MAX_PARAMETER_BYTES // 2**30} GiB"
        )
    return sizes


def _choice(options: tuple[str, ...]) -> Callable[[Any, str], str]:
    def parse(value: Any, where: str) -> str:
        if value not in options:
            raise NnbpError(f"{where}: {value!r} is not one of {', '.join(options)}")
        return value

    return parse


def _activation(value: Any, where: str) -> str | tuple[str, ...]:
    names = _choice(tuple(ACTIVATIONS))
    if isinstance(value, list):
        if not value:
            raise NnbpError(f"{where}: an empty list; give one activation, or one per non-input layer")
        return tuple(names(v, f"{where}[{i}]") for i, v in enumerate(value))
    return names(value, where)


def _lmbda(value: Any, where: str) -> float:
    value = _number(value, where)
    if not math.isfinite(value) or value < 0:
        raise NnbpError(f"{where}: {value} is not a finite regularisation λ ≥ 0")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise NnbpError(f"{where}: {value!r} is not true or false")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise NnbpError(f"{where}: {value!r} is not a non-empty string")
    return value


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "sizes": _sizes,
    "eta": _eta,
    "epochs": _positive_int,
    "mini_batch_size": _positive_int,
    "seed": _seed,
    "dataset": _text,
    "engine": _choice(ENGINES),
    "dtype": _choice(DTYPES),
    "output": _text,
    "validation_size": _validation_size,
    "activation": _activation,
    "cost": _choice(tuple(COSTS)),
    "init": _choice(INITS),
    "lmbda": _lmbda,
    "diagnostics": _flag,
}


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that also refuses a key given twice in one mapping."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise NnbpError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice")
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a YAML file, each key checked against `TrainConfig`'s fields."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnbpError(f"{path}: is a directory, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise NnbpError(f"{path}: cannot be read ({e})") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except NnbpError as e:
        raise NnbpError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise NnbpError(f"{path}: not valid YAML{where}: {problem}") from None
    if raw is None:
        raise NnbpError(f"{path}: is empty; expected a mapping of config keys such as 'sizes: [784, 30, 10]'")
    if not isinstance(raw, dict):
        raise NnbpError(f"{path}: holds a {type(raw).__name__}; expected a mapping of config keys")
    for key in raw:
        if key not in PARSERS:
            raise NnbpError(f"{path}: {key}: unknown key; known keys are {', '.join(PARSERS)}")
    return raw


def build_config(
    file_values: dict[str, Any], overrides: dict[str, Any], source: str
) -> TrainConfig:
    """Defaults, then the file's values (named `source: key` in errors), then CLI options (`--key`)."""
    values: dict[str, Any] = {}
    for key, value in file_values.items():
        values[key] = PARSERS[key](value, f"{source}: {key}")
    origin = {key: f"{source}: {key}" for key in values}
    for key, value in overrides.items():
        if value is not None:
            origin[key] = "--" + key.replace("_", "-")
            values[key] = PARSERS[key](value, origin[key])
    config = TrainConfig(**values)
    _check_layers(config, origin, source)
    return config


def _check_layers(config: TrainConfig, origin: dict[str, str], source: str) -> None:
    """Activations that fit the layers, and a cost that fits the output activation."""
    where = origin.get("activation", f"{source}: activation")
    n_layers = len(config.sizes) - 1
    if isinstance(config.activation, tuple) and len(config.activation) != n_layers:
        raise NnbpError(
            f"{where}: {len(config.activation)} activations for {n_layers} layers "
            f"(sizes {list(config.sizes)}); give one per non-input layer, or a single name"
        )
    sigmas = tuple(ACTIVATIONS[name] for name in config.layer_activations)
    problem = check_layers(sigmas, COSTS[config.cost])
    if problem:
        key = "activation" if not all(s.elementwise for s in sigmas[:-1]) else "cost"
        raise NnbpError(f"{origin.get(key, f'{source}: {key}')}: {problem}")


def check_against_data(
    config: TrainConfig, n_inputs: int, n_classes: int, n_train: int, source: str
) -> None:
    """The network's input and output layers must fit the data; a mini-batch must fit the training set."""
    if config.sizes[0] != n_inputs:
        raise NnbpError(
            f"{source}: sizes: the input layer has {config.sizes[0]} neurons but the dataset "
            f"{config.dataset!r} has {n_inputs} inputs per example"
        )
    if config.sizes[-1] != n_classes:
        raise NnbpError(
            f"{source}: sizes: the output layer has {config.sizes[-1]} neurons but the dataset "
            f"{config.dataset!r} has {n_classes} classes"
        )
    if config.mini_batch_size > n_train:
        raise NnbpError(
            f"{source}: mini_batch_size: {config.mini_batch_size} is larger than the "
            f"{n_train} training examples"
        )
    # z, a, δ and σ' of every layer, the gathered batch and its targets, for one mini-batch
    per_example = 8 * (4 * sum(config.sizes[1:]) + 2 * config.sizes[0] + config.sizes[-1])
    if config.mini_batch_size * per_example > MAX_PARAMETER_BYTES:
        raise NnbpError(
            f"{source}: mini_batch_size: {config.mini_batch_size} examples of {list(config.sizes)} "
            f"would need about {config.mini_batch_size * per_example / 2**30:.0f} GiB per step; "
            f"nnbp refuses steps over {MAX_PARAMETER_BYTES // 2**30} GiB"
        )
