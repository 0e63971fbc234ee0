"""Training configuration: one dataclass whose every field carries its `Key` (help line, parser, how an
option's text becomes a value). A `TrainConfig` is valid or is not built: constructing one from
Python checks every value with the same parser, and the same one-line message, as a YAML file or a
command-line option. The CLI's options, `nnbp train --help`'s key list and README's config table are
all made from these fields.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from nnbp.activations import ACTIVATIONS
from nnbp.config import keys as k
from nnbp.config.keys import Key, key, nearest
from nnbp.costs import COSTS
from nnbp.data.expansion import Expansion
from nnbp.errors import NnbpError
from nnbp.network import DTYPES, INITS, check_layers
from nnbp.schedule import EtaSchedule
from nnbp.training import ENGINES, OPTIMIZERS

SCALINGS = ("auto", "standard", "minmax", "none")
TASKS = ("auto", "classification", "regression")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; the defaults are the book's chapter 1 run.

    Raises `NnbpError` naming the key when a value is not one a config file could hold.
    """

    # the book's network: 784 pixels, 30 hidden neurons, 10 digits
    sizes: tuple[int, ...] = key(
        (784, 30, 10), "layer sizes, input first", k.sizes, "N,N,...", k.list_text(k.int_text), "784,30,10"
    )
    # the book's η for this network and the quadratic cost
    eta: float = key(3.0, "learning rate η, > 0", k.eta, "ETA")
    # the book trains for 30 epochs
    epochs: int = key(30, "passes over the training set", k.positive_int, "N", k.int_text)
    # the book's mini-batch size
    mini_batch_size: int = key(10, "examples per gradient step", k.positive_int, "M", k.int_text)
    # one Generator behind initialisation and shuffling: same seed, bit-identical weights
    seed: int = key(0, "seeds initialisation and shuffling", k.seed, "N", k.int_text)
    # ships inside the package: a first run needs no network
    dataset: str = key(
        "mnist-sample",
        "mnist-sample, mnist, fashion-mnist, iris, wine, breast-cancer, diabetes (the last four "
        "with scikit-learn), or a path: a .csv or .tsv table, a Keras-layout .npz, Nielsen's "
        "mnist.pkl.gz or a folder of IDX files",
        k.text,
        "NAME|PATH",
    )
    # the last column is what a table's rows most often end with: the thing measured
    target: str | tuple[str, ...] | None = key(
        None,
        "a table's column to predict, or a list of them (a regression)",
        k.column_names,
        "NAME[,NAME...]",
        k.list_text(k.identity),
        "the last column",
    )
    # every other column
    features: tuple[str, ...] | None = key(
        None,
        "a table's columns to predict from",
        k.column_list,
        "NAME,NAME,...",
        k.list_text(k.identity),
        "every other column",
    )
    # a fifth, drawn from the seed, when the table comes with no test file
    test_size: float | None = key(
        None,
        "share of a table's rows held out as its test split, drawn from the seed",
        k.optional_fraction,
        "F",
        k.identity,
        "0.2, or none with test",
    )
    # none: test rows come from test_size
    test: str | None = key(
        None, "a second table with the same columns, as the test split", k.optional_text, "PATH", default_text="none"
    )
    # tables: zero mean and unit variance per feature; images: their pixels ÷ 255
    scale: str = key(
        "auto",
        "standard (mean 0, sd 1), minmax (0 to 1) or none, fitted on the training split; "
        "auto: standard for tables, ÷ 255 for images",
        k.choice(SCALINGS),
        "|".join(SCALINGS),
    )
    # from the data: classes for text or whole numbers, a regression for numbers with decimals
    task: str = key(
        "auto",
        "classification or regression; auto: a regression for a target of numbers with "
        "decimals, or several target columns, or a linear output with the quadratic cost",
        k.choice(TASKS),
        "|".join(TASKS),
    )
    # the book holds out MNIST's last 10,000 training images; a dataset without a default holds out none
    validation_size: int | None = key(
        None,
        "training examples held out to watch while training",
        k.validation_size,
        "N",
        k.int_text,
        "10000 for mnist and fashion-mnist, else 0",
    )
    # the fast engine; `loop` is the chapter's per-example algorithm, for comparison
    engine: str = key(
        "matrix",
        "matrix (whole mini-batch at once) or loop (one example at a time)",
        k.choice(ENGINES),
        "|".join(ENGINES),
    )
    # the chapter's arithmetic; float32 is faster and accurate enough to train
    dtype: str = key("float64", "float64 or float32", k.choice(DTYPES), "|".join(DTYPES))
    # a rule on the size of a step's products: one thread where a second would not pay (nnbp.system.blas)
    threads: str | int = key(
        "auto", "BLAS threads: auto (from the size of a step's products), all, or a number", k.threads, "auto|all|N"
    )
    # the book's neuron; a list gives one per non-input layer
    activation: str | tuple[str, ...] = key(
        "sigmoid",
        f"{', '.join(ACTIVATIONS)} (softmax: output only); one name, or one per non-input layer",
        k.activation,
        "NAME[,NAME...]",
        k.list_text(k.identity),
    )
    # the chapter's cost
    cost: str = key(
        "quadratic",
        "quadratic, cross-entropy (sigmoid outputs) or log-likelihood (softmax outputs)",
        k.choice(tuple(COSTS)),
        "|".join(COSTS),
    )
    # the book's N(0, 1) weights; `scaled` is chapter 3's N(0, 1/n_in)
    init: str = key("normal", "normal: weights N(0, 1); scaled: N(0, 1/n_in)", k.choice(INITS), "|".join(INITS))
    # 0 is the chapter's unregularised SGD
    lmbda: float = key(0.0, "L2 regularisation λ ≥ 0 (chapter 3)", k.lmbda, "LAMBDA", default_text="0")
    # 0 is plain gradient descent
    momentum: float = key(
        0.0, "momentum μ, 0 ≤ μ < 1: v → μv − η∇C, w → w + v (chapter 3)", k.momentum, "MU", default_text="0"
    )
    # off: the book's chapter 1 network keeps every neuron
    dropout: float | tuple[float, ...] = key(
        0.0,
        "probability p of deleting each hidden neuron for a mini-batch (chapter 3); one, or one per hidden layer",
        k.dropout,
        "P[,P...]",
        k.list_text(k.identity),
        "0",
    )
    # off: the book trains on the images as they are
    expand: Expansion | None = key(
        None,
        "{shift: pixels, rotate: degrees, elastic: α}: each epoch, each training image moved by up to this "
        "much (images only; chapter 3)",
        k.expand,
        "shift=N[,rotate=D,elastic=A]",
        k.fields_text(("shift",)),
        "none",
    )
    # the book's gradient descent; Adam is not in the book
    optimizer: str = key(
        "sgd", "sgd (with momentum if set) or adam (η is Adam's step size)", k.choice(OPTIMIZERS), "|".join(OPTIMIZERS)
    )
    # Kingma and Ba's defaults
    betas: tuple[float, float] = key(
        (0.9, 0.999),
        "Adam's averaging rates β₁, β₂ for the gradient and its square",
        k.pair_of_probabilities,
        "B1,B2",
        k.list_text(k.identity),
        "0.9,0.999",
    )
    # Kingma and Ba's default
    epsilon: float = key(
        1e-8, "Adam's ε, added to √v̂ so a step never divides by 0", k.positive_number, "EPS", default_text="1e-8"
    )
    # off: the book trains for a fixed number of epochs
    eta_schedule: EtaSchedule | None = key(
        None,
        "{patience: N, factor: 0.5, stop_fraction: 1/128}: multiply η by factor after N epochs without "
        "improvement, stop below stop_fraction of its start",
        k.eta_schedule,
        "patience=N[,factor=F,...]",
        k.schedule_text,
        "none: η constant",
    )
    # off: the book trains for a fixed number of epochs
    early_stopping: int | None = key(
        None, "stop after this many epochs without improvement", k.optional_count, "N", k.optional_int_text, "none"
    )
    # all: chapter 1 trains on every training example; chapter 3's overfitting runs use 1,000
    train_size: int | None = key(
        None, "train on the first N training examples", k.optional_count, "N", k.optional_int_text, "all"
    )
    # off: one more pass over the training data per epoch
    monitor_training: bool = key(
        False, "also record each epoch's cost and accuracy on the training data", k.flag, "", k.flag_text
    )
    # off: recording costs time at small mini-batches
    diagnostics: bool = key(
        False, "record per-layer mean |δ|, gradient norms, saturation and near-zero inputs", k.flag, "", k.flag_text
    )
    # None: runs/<config file's name> from the command line, runs/<dataset's name> from Python
    output: str | None = key(
        None, "folder the run writes to", k.optional_text, "DIR", default_text="runs/<config file's name>", short="-o"
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, KEYS[f.name].parse(getattr(self, f.name), f.name))
        check_combination({f.name: getattr(self, f.name) for f in fields(self)}, lambda name: name)

    def to_dict(self) -> dict[str, Any]:
        """Plain types, as written to `config.yaml` and into the weights file's metadata."""
        d = asdict(self)
        for name, value in d.items():
            if isinstance(value, tuple):
                d[name] = list(value)
        return d

    @property
    def layer_dropout(self) -> tuple[float, ...]:
        """The dropout probability of each hidden layer."""
        if isinstance(self.dropout, tuple):
            return self.dropout
        return (self.dropout,) * (len(self.sizes) - 2)

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """The activation of each non-input layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * (len(self.sizes) - 1)
        return self.activation


KEYS: dict[str, Key] = {f.name: f.metadata["key"] for f in fields(TrainConfig)}


def check_combination(values: dict[str, Any], where: Callable[[str], str]) -> None:
    """The keys that must agree with each other do (each value already parsed): activations that fit the
    layers and a cost that fits the output activation; dropout for the hidden layers there are; no
    momentum with Adam. `where(key)` names the key in an error."""
    sizes, activation, cost = values["sizes"], values["activation"], values["cost"]
    n_layers = len(sizes) - 1
    names = (activation,) * n_layers if isinstance(activation, str) else activation
    if len(names) != n_layers:
        raise NnbpError(
            f"{where('activation')}: {len(names)} activations for {n_layers} layers "
            f"(sizes {list(sizes)}); give one per non-input layer, or a single name"
        )
    sigmas = tuple(ACTIVATIONS[name] for name in names)
    problem = check_layers(sigmas, COSTS[cost])
    if problem:
        blamed = "activation" if not all(s.elementwise for s in sigmas[:-1]) else "cost"
        raise NnbpError(f"{where(blamed)}: {problem}")
    dropout = values["dropout"]
    if isinstance(dropout, tuple) and len(dropout) != n_layers - 1:
        raise NnbpError(
            f"{where('dropout')}: {len(dropout)} probabilities for {n_layers - 1} hidden layers "
            f"(sizes {list(sizes)}); give one per hidden layer, or a single one"
        )
    if n_layers == 1 and dropout:
        raise NnbpError(f"{where('dropout')}: sizes {list(sizes)} has no hidden layer to drop neurons from")
    if values["optimizer"] == "adam" and values["momentum"]:
        raise NnbpError(
            f"{where('momentum')}: momentum belongs to the sgd optimizer; Adam keeps its own averages (betas)"
        )


def default_text(name: str) -> str:
    """A key's default as a user would write it."""
    if KEYS[name].default_text is not None:
        return KEYS[name].default_text
    value = next(f.default for f in fields(TrainConfig) if f.name == name)
    return str(value).lower() if isinstance(value, bool) else str(value)


def keys_help(width: int = 100) -> str:
    """The key list of `nnbp train --help`: each key, what it means and its default, wrapped."""
    indent = max(map(len, KEYS)) + 4
    lines = []
    for name, entry in KEYS.items():
        line = f"  {name:<{indent - 4}}  {entry.help} [{default_text(name)}]"
        lines += textwrap.wrap(line, width, subsequent_indent=" " * indent, break_on_hyphens=False)
    return "\n".join(lines)


def keys_table() -> str:
    """README's config table, in Markdown."""
    escaped = {name: entry.help.replace("|", "\\|") for name, entry in KEYS.items()}  # a | inside a cell ends it
    rows = [f"| `{name}` | {escaped[name]} | `{default_text(name)}` |" for name in KEYS]
    return "\n".join(["| key | meaning | default |", "|---|---|---|", *rows])


def unknown_keys(names: list[Any], where: str) -> None:
    """Refuse keys that are not config keys: every one named, each with a close match if there is one."""
    unknown = [str(name)[:60] for name in names if not isinstance(name, str) or name not in KEYS]
    if unknown:
        described = ", ".join(
            f"{name!r}" + (f" (did you mean {nearest(name, KEYS)!r}?)" if nearest(name, KEYS) else "")
            for name in unknown
        )
        raise NnbpError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {described}; the keys are {', '.join(KEYS)}"
        )


def build_config(file_values: dict[str, Any], options: dict[str, Any], source: str) -> TrainConfig:
    """Defaults, then the file's values (named `source: key` in errors), then command-line options
    (`--key`; text as typed, or a value already of the key's type; None: not given).

    Without an `output`, a run goes to runs/<the config file's name without its suffix>.
    """
    if "sweep" in file_values:
        raise NnbpError(
            f"{source}: sweep: this file describes a sweep; run it with nnbp sweep {source}, "
            "or train one of its runs by that run's config.yaml"
        )
    unknown_keys(list(file_values), source)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, value in file_values.items():
        origin[name] = f"{source}: {name}"
        values[name] = KEYS[name].parse(value, origin[name])
    for name, value in options.items():
        if value is not None:
            origin[name] = "--" + name.replace("_", "-")
            text_value = KEYS[name].from_text(value) if isinstance(value, str) else value
            values[name] = KEYS[name].parse(text_value, origin[name])
    if values.get("output") is None:
        values["output"] = str(Path("runs") / Path(source).stem)
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    check_combination({**defaults, **values}, lambda name: origin.get(name, f"{source}: {name}"))
    return TrainConfig(**values)
