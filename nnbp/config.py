"""Training configuration: one dataclass, read strictly from YAML and overridden by CLI options.

Each field of `TrainConfig` carries its `Key`: the help line, the parser that checks a value, and
how a command-line option's text becomes that value. The CLI's options, `nnbp train --help`'s key
list and README's config table are all made from these fields. Every problem is an `NnbpError`
whose message names where the value came from (`file: key` or `--option`), the value, and what
was expected. YAML is read only with a safe loader.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from nnbp.activations import ACTIVATIONS
from nnbp.controls import EtaSchedule
from nnbp.costs import COSTS
from nnbp.errors import NnbpError
from nnbp.data.dataset import Dataset
from nnbp.files import read_text
from nnbp.limits import describe, memory_limit, parameter_bytes, training_bytes
from nnbp.network import INITS, Network, check_layers
from nnbp.threads import parse_threads

ENGINES = ("matrix", "loop")
DTYPES = ("float64", "float32")
MAX_LAYERS = 1_000
MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes; anything near this is not one
MAX_YAML_DEPTH = 8  # a config's deepest value is a list or mapping inside a key: 2 or 3 levels
MAX_INT = 2**63 - 1  # every whole number a config holds fits an int64

Parser = Callable[[Any, str], Any]  # parse(value, where): the checked value, or NnbpError naming `where`


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NnbpError(f"{where}: {_shown(value)} is not a whole number")
    if value < minimum:
        raise NnbpError(f"{where}: {_shown(value)} is less than {minimum}")
    if value > MAX_INT:
        raise NnbpError(f"{where}: {_shown(value)} is larger than {MAX_INT}")
    return value


def _shown(value: Any) -> str:
    """A value as an error message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
            raise NnbpError(f"{where}: {_shown(value)} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NnbpError(f"{where}: {_shown(value)} is not a number")
    try:
        return float(value)
    except OverflowError:
        raise NnbpError(f"{where}: {_shown(value)} is too large a number") from None


def _eta(value: Any, where: str) -> float:
    value = _number(value, where)
    if not math.isfinite(value) or value <= 0:
        raise NnbpError(f"{where}: {value} is not a positive finite learning rate")
    return value


def _sizes(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not 2 <= len(value) <= MAX_LAYERS:
        raise NnbpError(f"{where}: {_shown(value)} is not a list of 2 to {MAX_LAYERS} layer sizes, input first")
    sizes = tuple(_positive_int(n, f"{where}[{i}]") for i, n in enumerate(value))
    needed = 2 * parameter_bytes(sizes, 4)  # weights and gradient, in float32 at the least
    if needed > memory_limit():
        raise NnbpError(
            f"{where}: {_shown(list(sizes))} would need at least {describe(needed)} for its weights and "
            f"gradient; the limit is {describe(memory_limit())} (set NNBP_MAX_MEMORY to raise it)"
        )
    return sizes


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: Any, where: str) -> str:
        if value not in options:
            raise NnbpError(f"{where}: {_shown(value)} is not one of {', '.join(options)}")
        return value

    return parse


def _activation(value: Any, where: str) -> str | tuple[str, ...]:
    names = _choice(tuple(ACTIVATIONS))
    if isinstance(value, (list, tuple)):
        if not value:
            raise NnbpError(f"{where}: an empty list; give one activation, or one per non-input layer")
        return tuple(names(v, f"{where}[{i}]") for i, v in enumerate(value))
    return names(value, where)


def _lmbda(value: Any, where: str) -> float:
    value = _number(value, where)
    if not math.isfinite(value) or value < 0:
        raise NnbpError(f"{where}: {value} is not a finite regularisation λ ≥ 0")
    return value


def _momentum(value: Any, where: str) -> float:
    value = _number(value, where)
    if not 0 <= value < 1:
        raise NnbpError(f"{where}: {value} is not a momentum μ with 0 ≤ μ < 1")
    return value


def _optional_count(value: Any, where: str) -> int | None:
    """None (off), or a whole number of at least 1."""
    return None if value is None else _positive_int(value, where)


def _fraction(value: Any, where: str) -> float:
    value = _number(value, where)
    if not 0 < value < 1:
        raise NnbpError(f"{where}: {value} is not a number between 0 and 1")
    return value


def _eta_schedule(value: Any, where: str) -> EtaSchedule | None:
    """None (η constant), or {patience: N, factor: F, stop_fraction: S} (patience required)."""
    if value is None or isinstance(value, EtaSchedule):
        return value
    if not isinstance(value, dict):
        raise NnbpError(f"{where}: {_shown(value)} is not a mapping such as {{patience: 10, factor: 0.5}}")
    unknown = [str(k)[:40] for k in value if k not in ("patience", "factor", "stop_fraction")]
    if unknown:
        raise NnbpError(f"{where}: {unknown[0]}: unknown field; the fields are patience, factor, stop_fraction")
    if "patience" not in value:
        raise NnbpError(f"{where}: needs patience, the epochs without improvement before η is lowered")
    return EtaSchedule(
        patience=_positive_int(value["patience"], f"{where}: patience"),
        factor=_fraction(value.get("factor", 0.5), f"{where}: factor"),
        stop_fraction=_fraction(value.get("stop_fraction", 1 / 128), f"{where}: stop_fraction"),
    )


def _schedule_text(text: str) -> Any:
    """'patience=10,factor=0.5', '10' (the patience alone) or 'none' as the value YAML would give."""
    if text.strip().lower() in ("none", "off", "null"):
        return None
    if text.strip().isdigit():
        return {"patience": int(text)}
    fields: dict[str, Any] = {}
    for part in text.split(","):
        name, _, number = part.partition("=")
        fields[name.strip()] = _int_text(number.strip()) if name.strip() == "patience" else number.strip()
    return fields


def _optional_int_text(text: str) -> int | str | None:
    return None if text.strip().lower() in ("none", "off", "null", "all") else _int_text(text)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise NnbpError(f"{where}: {_shown(value)} is not true or false")
    return value


def _flag_text(text: str) -> bool | str:
    """A flag's value typed as text (in a sweep's --grid): true/false, yes/no, on/off."""
    return {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(text.lower(), text)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise NnbpError(f"{where}: {_shown(value)} is not a non-empty string")
    return value


def _output(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


# How an option's text becomes the value YAML would have given; a parser then checks it.
def _int_text(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # the parser says what is wrong with it


def _list_text(item: Callable[[str], Any]) -> Callable[[str], Any]:
    """'784,30,10', '784 30 10' or '[784, 30, 10]' as a list; a single item as itself."""

    def convert(text: str) -> Any:
        parts = [p for p in re.split(r"[\s,]+", text.strip().strip("[]")) if p]
        return item(parts[0]) if len(parts) == 1 and not text.strip().startswith("[") else [item(p) for p in parts]

    return convert


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Key:
    """What one config key means to a user, and how its values are read."""

    help: str  # one line for `--help` and README's table
    parse: Parser
    metavar: str  # how the option's value is shown in --help
    from_text: Callable[[str], Any] = _identity  # an option's text → the value YAML would give
    default_text: str | None = None  # the default as shown, when its repr would not do
    short: str | None = None  # a one-letter option, e.g. -o


def key(default: Any, help: str, parse: Parser, metavar: str, from_text: Callable[[str], Any] = _identity,
        default_text: str | None = None, short: str | None = None) -> Any:
    """A `TrainConfig` field with its `Key`."""
    return field(default=default, metadata={"key": Key(help, parse, metavar, from_text, default_text, short)})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; the defaults are the book's chapter 1 run."""

    # the book's network: 784 pixels, 30 hidden neurons, 10 digits
    sizes: tuple[int, ...] = key((784, 30, 10), "layer sizes, input first", _sizes, "N,N,...",
                                 _list_text(_int_text), "784,30,10")
    # the book's η for this network and the quadratic cost
    eta: float = key(3.0, "learning rate η, > 0", _eta, "ETA")
    # the book trains for 30 epochs
    epochs: int = key(30, "passes over the training set", _positive_int, "N", _int_text)
    # the book's mini-batch size
    mini_batch_size: int = key(10, "examples per gradient step", _positive_int, "M", _int_text)
    # one Generator behind initialisation and shuffling: same seed, bit-identical weights
    seed: int = key(0, "seeds initialisation and shuffling", _seed, "N", _int_text)
    # ships inside the package: a first run needs no network
    dataset: str = key("mnist-sample", "mnist-sample, mnist, fashion-mnist, or a path to a Keras-layout "
                       ".npz, Nielsen's mnist.pkl.gz or a folder of IDX files", _text, "NAME|PATH")
    # the book holds out MNIST's last 10,000 training images; a dataset without a default holds out none
    validation_size: int | None = key(None, "training examples held out to watch while training",
                                      _validation_size, "N", _int_text,
                                      "10000 for mnist and fashion-mnist, else 0")
    # the fast engine; `loop` is the chapter's per-example algorithm, for comparison
    engine: str = key("matrix", "matrix (whole mini-batch at once) or loop (one example at a time)",
                      _choice(ENGINES), "|".join(ENGINES))
    # the chapter's arithmetic; float32 is faster and accurate enough to train
    dtype: str = key("float64", "float64 or float32", _choice(DTYPES), "|".join(DTYPES))
    # a rule on the size of a step's products: one thread where a second would not pay (nnbp.threads)
    threads: str | int = key("auto", "BLAS threads: auto (from the size of a step's products), all, or a number",
                             parse_threads, "auto|all|N")
    # the book's neuron; a list gives one per non-input layer
    activation: str | tuple[str, ...] = key(
        "sigmoid", f"{', '.join(ACTIVATIONS)} (softmax: output only); one name, or one per non-input layer",
        _activation, "NAME[,NAME...]", _list_text(_identity))
    # the chapter's cost
    cost: str = key("quadratic", "quadratic, cross-entropy (sigmoid outputs) or log-likelihood (softmax outputs)",
                    _choice(tuple(COSTS)), "|".join(COSTS))
    # the book's N(0, 1) weights; `scaled` is chapter 3's N(0, 1/n_in)
    init: str = key("normal", "normal: weights N(0, 1); scaled: N(0, 1/n_in)", _choice(INITS), "|".join(INITS))
    # 0 is the chapter's unregularised SGD
    lmbda: float = key(0.0, "L2 regularisation λ ≥ 0 (chapter 3)", _lmbda, "LAMBDA", default_text="0")
    # 0 is plain gradient descent
    momentum: float = key(0.0, "momentum μ, 0 ≤ μ < 1: v → μv − η∇C, w → w + v (chapter 3)", _momentum, "MU",
                          default_text="0")
    # off: the book trains for a fixed number of epochs
    eta_schedule: EtaSchedule | None = key(
        None, "{patience: N, factor: 0.5, stop_fraction: 1/128}: multiply η by factor after N epochs without "
        "improvement, stop below stop_fraction of its start", _eta_schedule, "patience=N[,factor=F,...]",
        _schedule_text, "none: η constant")
    # off: the book trains for a fixed number of epochs
    early_stopping: int | None = key(None, "stop after this many epochs without improvement", _optional_count, "N",
                                     _optional_int_text, "none")
    # all: chapter 1 trains on every training example; chapter 3's overfitting runs use 1,000
    train_size: int | None = key(None, "train on the first N training examples", _optional_count, "N",
                                 _optional_int_text, "all")
    # off: one more pass over the training data per epoch
    monitor_training: bool = key(False, "also record each epoch's cost and accuracy on the training data",
                                 _flag, "", _flag_text)
    # off: recording costs time at small mini-batches
    diagnostics: bool = key(False, "record per-layer mean |δ|, gradient norms, saturation and near-zero inputs",
                            _flag, "", _flag_text)
    # relative to the working directory; None: runs/<config file's name>
    output: str | None = key(None, "folder the run writes to", _output, "DIR", default_text="runs/<config file's name>",
                             short="-o")

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


KEYS: dict[str, Key] = {f.name: f.metadata["key"] for f in fields(TrainConfig)}


def default_text(name: str) -> str:
    """A key's default as a user would write it."""
    k = KEYS[name]
    if k.default_text is not None:
        return k.default_text
    value = next(f.default for f in fields(TrainConfig) if f.name == name)
    return str(value).lower() if isinstance(value, bool) else str(value)


def keys_help(width: int = 100) -> str:
    """The key list of `nnbp train --help`: each key, what it means and its default, wrapped."""
    indent = max(map(len, KEYS)) + 4
    lines = []
    for name, k in KEYS.items():
        text = f"  {name:<{indent - 4}}  {k.help} [{default_text(name)}]"
        lines += textwrap.wrap(text, width, subsequent_indent=" " * indent, break_on_hyphens=False)
    return "\n".join(lines)


def keys_table() -> str:
    """README's config table, in Markdown."""
    escaped = {name: k.help.replace("|", "\\|") for name, k in KEYS.items()}  # a | inside a cell ends it
    rows = [f"| `{name}` | {escaped[name]} | `{default_text(name)}` |" for name in KEYS]
    return "\n".join(["| key | meaning | default |", "|---|---|---|", *rows])


def build_network(config: TrainConfig, rng: np.random.Generator) -> Network:
    """The freshly initialised network a config describes, drawn from `rng`."""
    return Network.initialise(
        list(config.sizes), rng, dtype=np.dtype(config.dtype),
        sigmas=tuple(ACTIVATIONS[name] for name in config.layer_activations),
        cost=COSTS[config.cost], init=config.init,
    )


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that also refuses what a config never needs: aliases (whose expansion can grow
    exponentially), nesting deeper than MAX_YAML_DEPTH, a key given twice, a list or mapping as a key."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            raise NnbpError(f"line {line}: YAML aliases (*name) are not accepted in a config")
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise NnbpError(f"line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            raise NnbpError(f"line {line}: a {type(key).__name__} cannot be a key")
        if key in seen:
            raise NnbpError(f"line {line}: key {_shown(key)} is given twice")
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a YAML file (`build_config` checks its keys and values)."""
    text = read_text(path, "a YAML config file", MAX_CONFIG_BYTES)
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except NnbpError as e:
        raise NnbpError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise NnbpError(f"{path}: not valid YAML{where}: {problem}") from None
    except ValueError as e:  # an integer of more digits than Python converts
        raise NnbpError(f"{path}: holds a number nnbp cannot read ({str(e).split(':')[0]})") from None
    if raw is None:
        raise NnbpError(f"{path}: is empty; expected a mapping of config keys such as 'sizes: [784, 30, 10]'")
    if not isinstance(raw, dict):
        raise NnbpError(f"{path}: holds a {type(raw).__name__}; expected a mapping of config keys")
    return raw


def build_config(file_values: dict[str, Any], options: dict[str, Any], source: str) -> TrainConfig:
    """Defaults, then the file's values (named `source: key` in errors), then command-line options
    (`--key`; text as typed, or a value already of the key's type; None: not given).

    Without an `output`, a run goes to runs/<the config file's name without its suffix>.
    """
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, value in file_values.items():
        if name == "sweep":
            raise NnbpError(f"{source}: sweep: this file describes a sweep; run it with nnbp sweep {source}, "
                            "or train one of its runs by that run's config.yaml")
        if not isinstance(name, str) or name not in KEYS:
            raise NnbpError(f"{source}: {str(name)[:60]}: unknown key; known keys are {', '.join(KEYS)}")
        origin[name] = f"{source}: {name}"
        values[name] = KEYS[name].parse(value, origin[name])
    for name, value in options.items():
        if value is not None:
            origin[name] = "--" + name.replace("_", "-")
            text_value = KEYS[name].from_text(value) if isinstance(value, str) else value
            values[name] = KEYS[name].parse(text_value, origin[name])
    if values.get("output") is None:
        values["output"] = str(Path("runs") / Path(source).stem)
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


def check_against_data(config: TrainConfig, dataset: Dataset, source: str) -> None:
    """The network's input and output layers must fit the data, a mini-batch the training set, and
    what training allocates the memory limit."""
    if config.sizes[0] != dataset.n_inputs:
        raise NnbpError(
            f"{source}: sizes: the input layer has {config.sizes[0]} neurons but the dataset "
            f"{config.dataset!r} has {dataset.n_inputs} inputs per example"
        )
    if config.sizes[-1] != dataset.n_classes:
        raise NnbpError(
            f"{source}: sizes: the output layer has {config.sizes[-1]} neurons but the dataset "
            f"{config.dataset!r} has {dataset.n_classes} classes"
        )
    n_train = len(dataset.train)
    if config.mini_batch_size > n_train:
        raise NnbpError(
            f"{source}: mini_batch_size: {config.mini_batch_size} is larger than the {n_train} training examples"
        )
    if config.train_size is not None and config.train_size > n_train:
        raise NnbpError(f"{source}: train_size: {config.train_size} is more than the {n_train} training examples "
                        f"of {config.dataset!r}")
    n_train = config.train_size or n_train
    if config.mini_batch_size > n_train:
        raise NnbpError(
            f"{source}: mini_batch_size: {config.mini_batch_size} is larger than the {n_train} training examples"
        )
    needed = training_needs(config, dataset)
    if needed > memory_limit():
        raise NnbpError(
            f"{source}: sizes {list(config.sizes)} with mini_batch_size {config.mini_batch_size} on "
            f"{dataset.name!r} would need about {describe(needed)}; the limit is {describe(memory_limit())} "
            "(set NNBP_MAX_MEMORY, e.g. NNBP_MAX_MEMORY=16G, to raise it)"
        )


def training_needs(config: TrainConfig, dataset: Dataset) -> int:
    """The bytes a run of `config` on `dataset` is estimated to hold at its peak."""
    return training_bytes(config.sizes, np.dtype(config.dtype).itemsize, config.mini_batch_size,
                          config.train_size or len(dataset.train), dataset.nbytes, loop=config.engine == "loop",
                          diagnostics=config.diagnostics, momentum=config.momentum > 0)
