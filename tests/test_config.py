from __future__ import annotations

import pytest

from nnbp.config import TrainConfig, build_config, read_config_file
from nnbp.errors import NnbpError
from nnbp.run.setup import check_against_data
from nnbp.schedule import EtaSchedule


def load(tmp_path, text: str, **overrides) -> TrainConfig:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return build_config(read_config_file(path), overrides, str(path))


def test_every_config_field_carries_its_key_and_every_default_passes_its_own_parser():
    from dataclasses import fields

    from nnbp.config import KEYS

    assert list(KEYS) == [f.name for f in fields(TrainConfig)]
    for f in fields(TrainConfig):
        assert KEYS[f.name].help and f.metadata["key"] is KEYS[f.name]
        assert KEYS[f.name].parse(f.default, f.name) == f.default


def test_defaults_are_the_books_run(tmp_path):
    config = load(tmp_path, "seed: 3\n")
    assert config == TrainConfig(seed=3, output="runs/c")
    assert config.sizes == (784, 30, 10) and config.eta == 3.0 and config.mini_batch_size == 10


@pytest.mark.parametrize(
    "name, text, value",
    [
        ("sizes", "784,100,10", (784, 100, 10)),
        ("sizes", "[784, 100, 10]", (784, 100, 10)),
        ("sizes", "784 100 10", (784, 100, 10)),
        ("activation", "relu", "relu"),
        ("activation", "relu,softmax", ("relu", "softmax")),
        ("epochs", "12", 12),
        ("eta", "1e-3", 0.001),
        ("validation_size", "0", 0),
        ("output", "~/runs/x", "~/runs/x"),
        ("eta_schedule", "10", EtaSchedule(10)),
        ("eta_schedule", "patience=4,factor=0.25", EtaSchedule(4, 0.25)),
        ("eta_schedule", "none", None),
        ("early_stopping", "none", None),
        ("train_size", "1000", 1000),
        ("momentum", "0.9", 0.9),
    ],
)
def test_option_text_becomes_the_value_yaml_would_give(name, text, value):
    from nnbp.config import KEYS

    assert KEYS[name].parse(KEYS[name].from_text(text), f"--{name}") == value


def test_the_help_list_and_the_readme_table_name_every_key_with_its_default():
    from nnbp.config import KEYS, keys_help, keys_table
    from nnbp.config.train_config import default_text

    help_text, table = keys_help(), keys_table()
    for name in KEYS:
        assert f"  {name} " in help_text and f"| `{name}` |" in table
        assert f"`{default_text(name)}`" in table
    assert "| `sizes` | layer sizes, input first | `784,30,10` |" in table
    assert "\\|δ\\|" in table  # a | in a help line is escaped, not a new cell


def test_every_key_is_read(tmp_path):
    config = load(
        tmp_path,
        """
sizes: [4, 3, 2]
eta: 0.5
epochs: 2
mini_batch_size: 7
seed: 11
dataset: data.npz
engine: loop
dtype: float32
output: out
validation_size: 0
activation: [relu, softmax]
cost: log-likelihood
init: scaled
lmbda: 5.0
""",
    )
    assert config == TrainConfig(
        sizes=(4, 3, 2),
        eta=0.5,
        epochs=2,
        mini_batch_size=7,
        seed=11,
        dataset="data.npz",
        engine="loop",
        dtype="float32",
        output="out",
        validation_size=0,
        activation=("relu", "softmax"),
        cost="log-likelihood",
        init="scaled",
        lmbda=5.0,
    )
    assert config.to_dict()["activation"] == ["relu", "softmax"]


def test_options_override_the_file(tmp_path):
    config = load(tmp_path, "epochs: 30\neta: 3.0\n", epochs=2, eta=0.1, seed=None)
    assert (config.epochs, config.eta, config.seed) == (2, 0.1, 0)


@pytest.mark.parametrize("text", ["eta: 1e-3\n", "eta: '1e-3'\n", "eta: 1.0e-3\n"])
def test_exponent_notation_is_accepted_for_eta(tmp_path, text):
    assert load(tmp_path, text).eta == 0.001


@pytest.mark.parametrize(
    "text, message",
    [
        ("etta: 3.0\n", "unknown key 'etta' (did you mean 'eta'?)"),
        ("eta: -1\n", "eta: -1.0 is not a positive finite learning rate"),
        ("eta: 0\n", "eta: 0.0 is not a positive finite learning rate"),
        ("eta: .nan\n", "eta: nan is not a positive finite"),
        ("eta: .inf\n", "eta: inf is not a positive finite"),
        ("eta: fast\n", "eta: 'fast' is not a number"),
        ("eta: true\n", "eta: True is not a number"),
        ("epochs: 2.5\n", "epochs: 2.5 is not a whole number"),
        ("epochs: 0\n", "epochs: 0 is less than 1"),
        ("epochs: true\n", "epochs: True is not a whole number"),
        ("mini_batch_size: -4\n", "mini_batch_size: -4 is less than 1"),
        ("seed: -1\n", "seed: -1 is less than 0"),
        ("sizes: [784, 0, 10]\n", "sizes[1]: 0 is less than 1"),
        ("sizes: [784]\n", "is not a list of 2 to 1000 layer sizes"),
        ("sizes: 784\n", "is not a list of 2 to 1000 layer sizes"),
        (
            "sizes: [784, 1000000000, 10]\n",
            "would need at least 5,923.21 GiB for its weights and gradient; the limit is 4.00 GiB",
        ),
        ("engine: gpu\n", "engine: 'gpu' is not one of matrix, loop"),
        ("dtype: float16\n", "dtype: 'float16' is not one of float64, float32"),
        ("dataset: 3\n", "dataset: 3 is not a non-empty string"),
        ("eta: 1\neta: 2\n", "key 'eta' is given twice"),
        ("sizes: [1, 2\n", "not valid YAML at line"),
        ("", "is empty"),
        ("- 1\n- 2\n", "holds a list; expected a mapping"),
        ("!!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("activation: swish\n", "activation: 'swish' is not one of sigmoid, tanh, relu, linear, softmax"),
        ("activation: [relu]\n", "activation: 1 activations for 2 layers (sizes [784, 30, 10])"),
        ("activation: []\n", "activation: an empty list"),
        (
            "activation: [relu, tanh]\ncost: cross-entropy\n",
            "cost: the cross-entropy cost needs sigmoid output neurons, not tanh",
        ),
        (
            "activation: [softmax, softmax]\ncost: log-likelihood\n",
            "activation: softmax can only be the output layer's",
        ),
        ("activation: [relu, softmax]\n", "cost: softmax outputs need the log-likelihood cost, not quadratic"),
        ("cost: log-likelihood\n", "cost: the log-likelihood cost needs softmax output neurons, not sigmoid"),
        ("cost: hinge\n", "cost: 'hinge' is not one of quadratic, cross-entropy, log-likelihood"),
        ("init: xavier\n", "init: 'xavier' is not one of normal, scaled"),
        ("lmbda: -1\n", "lmbda: -1.0 is not a finite regularisation"),
        ("lmbda: .nan\n", "lmbda: nan is not a finite regularisation"),
        ("validation_size: -5\n", "validation_size: -5 is less than 0"),
        ("momentum: 1\n", "momentum: 1.0 is not a momentum μ with 0 ≤ μ < 1"),
        ("momentum: -0.1\n", "momentum: -0.1 is not a momentum μ"),
        ("momentum: fast\n", "momentum: 'fast' is not a number"),
        ("eta_schedule: 5\n", "eta_schedule: 5 is not a mapping such as {patience: 10, factor: 0.5}"),
        ("eta_schedule: {}\n", "eta_schedule: needs patience"),
        ("eta_schedule: {patience: 0}\n", "eta_schedule: patience: 0 is less than 1"),
        ("eta_schedule: {patience: 2, factor: 2}\n", "eta_schedule: factor: 2.0 is not a number between 0 and 1"),
        ("eta_schedule: {patience: 2, stop_fraction: 0}\n", "eta_schedule: stop_fraction: 0.0 is not a number between"),
        ("eta_schedule: {patience: 2, colour: red}\n", "eta_schedule: colour: unknown field"),
        ("expand: 5\n", "expand: 5 is not a mapping such as {shift: 2, rotate: 10}"),
        ("expand: {shift: 1, rotte: 5}\n", "expand: rotte: unknown field; did you mean 'rotate'?; the fields are"),
        ("early_stopping: 0\n", "early_stopping: 0 is less than 1"),
        ("early_stopping: 2.5\n", "early_stopping: 2.5 is not a whole number"),
        ("train_size: 0\n", "train_size: 0 is less than 1"),
        ("monitor_training: 'yes'\n", "monitor_training: 'yes' is not true or false"),
    ],
)
def test_bad_values_name_file_key_and_value(tmp_path, text, message):
    with pytest.raises(NnbpError) as e:
        load(tmp_path, text)
    assert message in str(e.value)
    assert str(tmp_path / "c.yaml") in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_override_names_the_option(tmp_path):
    with pytest.raises(NnbpError, match="--mini-batch-size: 0 is less than 1"):
        load(tmp_path, "seed: 0\n", mini_batch_size=0)


def test_one_activation_name_serves_every_layer(tmp_path):
    config = load(tmp_path, "sizes: [4, 3, 3, 2]\nactivation: tanh\n")
    assert config.layer_activations == ("tanh", "tanh", "tanh")


def test_missing_file(tmp_path):
    with pytest.raises(NnbpError, match="no such file"):
        read_config_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "sizes, n_train, message",
    [
        ((785, 30, 10), 100, "input layer has 785 neurons but the dataset 'mnist-sample' has 784"),
        ((784, 30, 9), 100, "output layer has 9 neurons but the dataset 'mnist-sample' has 10 classes"),
        ((784, 30, 10), 5, "mini_batch_size: 10 is larger than the 5 training examples"),
    ],
)
def test_network_must_fit_the_data(sizes, n_train, message):
    import numpy as np

    from nnbp.data.dataset import Dataset, Split

    split = Split(np.zeros((n_train, 784), np.uint8), np.arange(n_train) % 10)
    with pytest.raises(NnbpError, match=None) as e:
        check_against_data(TrainConfig(sizes=sizes), Dataset("mnist-sample", split, split, 10, 1 / 255), "c.yaml")
    assert message in str(e.value)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"eta": -1}, "eta: -1.0 is not a positive finite learning rate"),
        ({"momentum": 1.5}, "momentum: 1.5 is not a momentum μ with 0 ≤ μ < 1"),
        ({"lmbda": -3}, "lmbda: -3.0 is not a finite regularisation λ ≥ 0"),
        ({"mini_batch_size": 0}, "mini_batch_size: 0 is less than 1"),
        (
            {"cost": "crossentropy"},
            "cost: 'crossentropy' is not one of quadratic, cross-entropy, log-likelihood; "
            "did you mean 'cross-entropy'?",
        ),
        ({"activation": "sigmod"}, "did you mean 'sigmoid'?"),
        (
            {"activation": ("sigmoid", "softmax", "sigmoid"), "sizes": (4, 3, 3, 2)},
            "activation: softmax can only be the output layer's activation",
        ),
        ({"cost": "log-likelihood"}, "cost: the log-likelihood cost needs softmax output neurons, not sigmoid"),
    ],
)
def test_a_config_built_in_python_is_checked_as_a_file_is(values, message):
    """The same parser and the same one line as YAML and the CLI, naming the key; nothing half-built."""
    from nnbp.errors import NnbpError

    with pytest.raises(NnbpError) as refused:
        TrainConfig(**values)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_config_built_in_python_takes_what_yaml_would_give():
    config = TrainConfig(
        sizes=[4, 3, 2], eta="1e-3", eta_schedule={"patience": 2}, activation=["tanh", "softmax"], cost="log-likelihood"
    )
    assert config.sizes == (4, 3, 2) and config.eta == 0.001 and config.eta_schedule.patience == 2
    assert config.activation == ("tanh", "softmax")
    assert TrainConfig(**{k: v for k, v in config.to_dict().items()}) == config


def test_every_unknown_key_is_named_with_a_close_match(tmp_path):
    from nnbp.errors import NnbpError

    with pytest.raises(NnbpError) as refused:
        build_config({"etaa": 1, "epoch": 2, "colour": "red"}, {}, "c.yaml")
    assert (
        "c.yaml: unknown keys 'etaa' (did you mean 'eta'?), 'epoch' (did you mean 'epochs'?), 'colour'; "
        "the keys are sizes"
    ) in str(refused.value)
