from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import cli_runner
from nnbp import __version__
from nnbp.cli import main

TINY = """\
sizes: [784, 12, 10]
eta: 3.0
epochs: 2
mini_batch_size: 20
seed: 0
dataset: mnist-sample
output: {output}
"""


@pytest.fixture
def runner() -> CliRunner:
    return cli_runner()


def write_config(tmp_path, text=None, **fmt):
    path = tmp_path / "c.yaml"
    path.write_text((text or TINY).format(output=tmp_path / "run", **fmt))
    return path


def test_train_then_eval_agree(runner, tmp_path):
    config = write_config(tmp_path)
    result = runner.invoke(main, ["train", str(config)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Epoch 1/2: ") and " / 2000 test (" in lines[0]
    assert lines[2].startswith(f"Saved {tmp_path / 'run' / 'weights.npz'}: test accuracy")
    assert " after 2 epochs; " in lines[2]
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "best.npz",
        "config.yaml",
        "history.csv",
        "history.json",
        "weights.npz",
    ]
    history = json.loads((run / "history.json").read_text())["epochs"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert set(history[0]) == {"epoch", "cost", "correct", "total", "accuracy", "seconds", "eta"}

    result = runner.invoke(main, ["eval", str(run / "weights.npz"), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["correct"] == history[-1]["correct"] and report["total"] == 2000
    assert report["accuracy"] == pytest.approx(history[-1]["accuracy"])
    confusion = np.array(report["confusion"])
    assert confusion.shape == (10, 10) and confusion.trace() == report["correct"]
    assert confusion.sum() == 2000

    text = runner.invoke(main, ["eval", str(run / "weights.npz")])
    assert f"({report['correct']} / 2000)" in text.stdout and "confusion matrix" in text.stdout


def test_options_override_config_and_are_recorded(runner, tmp_path):
    config = write_config(tmp_path)
    out = tmp_path / "other"
    result = runner.invoke(
        main,
        [
            "train",
            str(config),
            "--epochs",
            "1",
            "--eta",
            "0.5",
            "--seed",
            "3",
            "--mini-batch-size",
            "50",
            "--engine",
            "loop",
            "--dtype",
            "float32",
            "--output",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("Saved ")
    assert " after 1 epoch; " in result.stdout
    with np.load(out / "weights.npz") as npz:
        meta = json.loads(str(npz["meta"]))
        assert npz["weights_0"].dtype == np.float32
    assert meta["config"] == {
        "sizes": [784, 12, 10],
        "eta": 0.5,
        "epochs": 1,
        "mini_batch_size": 50,
        "seed": 3,
        "dataset": "mnist-sample",
        "target": None,
        "features": None,
        "test_size": None,
        "test": None,
        "scale": "auto",
        "task": "auto",
        "engine": "loop",
        "dtype": "float32",
        "output": str(out),
        "validation_size": None,
        "activation": "sigmoid",
        "cost": "quadratic",
        "init": "normal",
        "lmbda": 0.0,
        "diagnostics": False,
        "threads": "auto",
        "momentum": 0.0,
        "dropout": 0.0,
        "expand": None,
        "optimizer": "sgd",
        "betas": [0.9, 0.999],
        "epsilon": 1e-08,
        "eta_schedule": None,
        "early_stopping": None,
        "train_size": None,
        "monitor_training": False,
    }
    assert meta["nnbp"] == __version__


def test_same_config_twice_gives_identical_weight_files(runner, tmp_path):
    config = write_config(tmp_path)
    for out in ("a", "b"):
        assert runner.invoke(main, ["train", str(config), "-o", str(tmp_path / out), "-q"]).exit_code == 0
    with np.load(tmp_path / "a/weights.npz") as a, np.load(tmp_path / "b/weights.npz") as b:
        for key in a.files:
            if key != "meta":
                assert np.array_equal(a[key], b[key])


@pytest.mark.parametrize(
    "text, args, message",
    [
        ("etta: 3\n", [], "c.yaml: unknown key 'etta' (did you mean 'eta'?)"),
        ("eta: -3\n", [], "c.yaml: eta: -3.0 is not a positive finite learning rate"),
        ("sizes: [784, 0, 10]\n", [], "c.yaml: sizes[1]: 0 is less than 1"),
        ("sizes: [100, 30, 10]\n", [], "c.yaml: sizes: the input layer has 100 neurons"),
        ("sizes: [784, 30, 3]\n", [], "c.yaml: sizes: the output layer has 3 neurons"),
        ("sizes: [784, 30\n", [], "c.yaml: not valid YAML at line"),
        ("dataset: nowhere.npz\n", [], "dataset: 'nowhere.npz' is neither a known dataset"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_leaves_nothing(runner, tmp_path, text, args, message):
    config = tmp_path / "c.yaml"
    config.write_text(text + f"output: {tmp_path / 'run'}\n")
    result = runner.invoke(main, ["train", str(config), *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_missing_config_file(runner, tmp_path):
    result = runner.invoke(main, ["train", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 1 and "absent.yaml: no such file" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "many"], "Invalid value for '--epochs': 'many' is not a whole number"),
        (["--epochs", "0"], "Invalid value for '--epochs': 0 is less than 1"),
        (["--eta", "nan"], "Invalid value for '--eta': nan is not a positive finite learning rate"),
        (["--engine", "gpu"], "Invalid value for '--engine': 'gpu' is not one of matrix, loop"),
        (["--sizes", "784,x,10"], "Invalid value for '--sizes': --sizes[1]: 'x' is not a whole number"),
        (["--activation", "relu,swish"], "Invalid value for '--activation': --activation[1]: 'swish' is not one of"),
    ],
)
def test_bad_option_values_are_usage_errors_exit_2_before_anything_is_written(runner, tmp_path, args, message):
    config = write_config(tmp_path)
    result = runner.invoke(main, ["train", str(config), *args])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_every_config_key_has_an_option_that_overrides_it(runner, tmp_path):
    """--sizes, --activation, --cost, --init, --lmbda and the rest reach the run's recorded config."""
    config = write_config(tmp_path)
    result = runner.invoke(
        main,
        [
            "train",
            str(config),
            "-q",
            "--sizes",
            "784,16,8,10",
            "--activation",
            "relu,tanh,softmax",
            "--cost",
            "log-likelihood",
            "--init",
            "scaled",
            "--lmbda",
            "0.5",
            "--epochs",
            "1",
            "--eta",
            "0.1",
            "--mini-batch-size",
            "40",
            "--seed",
            "4",
            "--validation-size",
            "1000",
            "--engine",
            "matrix",
            "--dtype",
            "float32",
            "--diagnostics",
            "--dataset",
            "mnist-sample",
            "-o",
            str(tmp_path / "out"),
            "--threads",
            "1",
            "--momentum",
            "0.5",
            "--eta-schedule",
            "patience=3,factor=0.25",
            "--early-stopping",
            "4",
            "--train-size",
            "3000",
            "--monitor-training",
            "--dropout",
            "0.2,0.1",
            "--expand",
            "shift=1,rotate=5",
            "--optimizer",
            "sgd",
            "--betas",
            "0.8,0.99",
            "--epsilon",
            "1e-6",
        ],
    )
    assert result.exit_code == 0, result.stderr
    import yaml

    recorded = yaml.safe_load((tmp_path / "out" / "config.yaml").read_text())
    assert recorded == {
        "sizes": [784, 16, 8, 10],
        "eta": 0.1,
        "epochs": 1,
        "mini_batch_size": 40,
        "seed": 4,
        "dataset": "mnist-sample",
        "target": None,
        "features": None,
        "test_size": None,
        "test": None,
        "scale": "auto",
        "task": "auto",
        "validation_size": 1000,
        "engine": "matrix",
        "dtype": "float32",
        "activation": ["relu", "tanh", "softmax"],
        "cost": "log-likelihood",
        "init": "scaled",
        "lmbda": 0.5,
        "diagnostics": True,
        "output": str(tmp_path / "out"),
        "threads": 1,
        "momentum": 0.5,
        "eta_schedule": {"patience": 3, "factor": 0.25, "stop_fraction": 0.0078125},
        "early_stopping": 4,
        "train_size": 3000,
        "monitor_training": True,
        "dropout": [0.2, 0.1],
        "expand": {"shift": 1, "rotate": 5.0, "elastic": 0.0},
        "optimizer": "sgd",
        "betas": [0.8, 0.99],
        "epsilon": 1e-06,
    }
    from nnbp.config import KEYS

    assert set(recorded) == set(KEYS)
    history = json.loads((tmp_path / "out" / "history.json").read_text())
    assert history["evaluated_on"] == "validation" and history["epochs"][0]["total"] == 1000


def test_a_config_without_output_trains_into_runs_named_after_the_file(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny-fashion.yaml").write_text("sizes: [784, 5, 10]\nepochs: 1\nmini_batch_size: 100\n")
    result = runner.invoke(main, ["train", "tiny-fashion.yaml", "-q"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "runs" / "tiny-fashion" / "weights.npz").is_file()


def test_existing_run_is_not_replaced_without_force(runner, tmp_path):
    config = write_config(tmp_path)
    assert runner.invoke(main, ["train", str(config), "-q", "--epochs", "1"]).exit_code == 0
    weights = (tmp_path / "run" / "weights.npz").read_bytes()
    result = runner.invoke(main, ["train", str(config), "-q", "--epochs", "1", "--seed", "9"])
    assert result.exit_code == 1 and "already holds a run" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "run" / "weights.npz").read_bytes() == weights
    result = runner.invoke(main, ["train", str(config), "-q", "--epochs", "1", "--seed", "9", "--force"])
    assert result.exit_code == 0
    assert (tmp_path / "run" / "weights.npz").read_bytes() != weights


def test_eval_errors(runner, tmp_path):
    bad = tmp_path / "w.npz"
    bad.write_bytes(b"garbage")
    result = runner.invoke(main, ["eval", str(bad)])
    assert result.exit_code == 1 and str(bad) in result.stderr and result.stderr.count("\n") == 1
    result = runner.invoke(main, ["eval", str(tmp_path / "absent.npz")])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_eval_refuses_weights_that_do_not_fit_the_data(runner, tmp_path):
    from nnbp.network import Network
    from nnbp.run.weights import save_weights as save_network

    path = tmp_path / "w.npz"
    save_network(path, Network.initialise([5, 3], np.random.default_rng(0)), {"config": {"dataset": "mnist-sample"}})
    result = runner.invoke(main, ["eval", str(path)])
    assert result.exit_code == 1 and "does not fit 'mnist-sample'" in result.stderr


def test_help_and_version(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "train" in result.stdout and "eval" in result.stdout
    train_help = runner.invoke(main, ["train", "--help"]).stdout
    from dataclasses import fields

    from nnbp.config import TrainConfig

    for field in fields(TrainConfig):
        assert field.name in train_help, field.name
    for option in ("--epochs", "--eta", "--mini-batch-size", "--seed", "--engine", "--output", "--force"):
        assert option in train_help
    assert runner.invoke(main, ["--version"]).stdout == f"nnbp, version {__version__}\n"


def test_python_dash_m_in_a_real_process(tmp_path):
    """A real process: exit codes, stderr, no progress bar when stderr is not a terminal, files written."""
    config = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    ok = subprocess.run(
        [sys.executable, "-m", "nnbp", "train", str(config), "--epochs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""  # tqdm stays quiet on a pipe
    assert ok.stdout.startswith("Epoch 1/1: ")
    assert (tmp_path / "run" / "weights.npz").exists()

    bad = subprocess.run(
        [sys.executable, "-m", "nnbp", "eval", str(tmp_path / "absent.npz")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"Error: {tmp_path / 'absent.npz'}: no such file"


def test_divergence_keeps_the_last_good_epoch(runner, tmp_path, monkeypatch):
    """A NaN that appears in epoch 2 stops the run with exit 1; epoch 1's weights stay saved."""
    import nnbp.sgd as sgd

    steps = []
    real_step = sgd.sgd_step

    def poisoned(network, gradient, eta, m, lmbda=0.0, n=1):
        real_step(network, gradient, eta, m, lmbda, n)
        steps.append(1)
        if len(steps) == 8000 // 20 + 3:  # three steps into epoch 2
            network.weights[0][0, 0] = np.nan

    monkeypatch.setattr(sgd, "sgd_step", poisoned)
    config = write_config(tmp_path)
    result = runner.invoke(main, ["train", str(config), "--epochs", "3"])
    assert result.exit_code == 1
    assert "training diverged in epoch 2, mini-batch" in result.stderr
    assert f"{tmp_path / 'run'} keeps epoch 1's weights" in result.stderr
    with np.load(tmp_path / "run" / "weights.npz") as npz:
        assert np.isfinite(npz["weights_0"]).all()
        assert len(json.loads(str(npz["meta"]))["checkpoint"]["history"]["epochs"]) == 1
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["epochs"]) == 1 and history["diverged"]["epoch"] == 2


def test_final_test_figures_are_the_test_figures_only(runner, tmp_path):
    """Without a validation split the last epoch's test figures are reused, without its diagnostics."""
    config = write_config(tmp_path)
    assert runner.invoke(main, ["train", str(config), "--diagnostics", "-q"]).exit_code == 0
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert set(history["test"]) == {"cost", "correct", "total", "accuracy"}
    assert history["test"]["correct"] == history["epochs"][-1]["correct"]


def test_commands_are_named_as_documented_under_every_click_version():
    """click 8.1 names a command after its function (train_cmd → train-cmd) unless given a name."""
    assert sorted(main.commands) == [
        *("bench", "data", "eval", "export", "gradcheck", "info", "plot", "predict", "sweep", "train")
    ]
    assert sorted(main.commands["data"].commands) == ["fetch", "list"]


def test_early_stopping_on_the_test_split_is_said_to_leak_it_and_eval_takes_best_npz(runner, tmp_path):
    config = write_config(tmp_path)
    result = runner.invoke(main, ["train", str(config), "--early-stopping", "2", "--epochs", "3"])
    assert result.exit_code == 0, result.stderr
    assert (
        "mnist-sample has no validation split, so early stopping and the eta schedule watch the test" in result.stderr
    )
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    best = history["epochs"][history["best_epoch"] - 1]
    report = json.loads(runner.invoke(main, ["eval", str(tmp_path / "run" / "best.npz"), "--json"]).stdout)
    assert report["correct"] == best["correct"] and report["correct"] == history["best_test"]["correct"]


def test_a_schedule_shows_eta_in_each_epoch_line_and_a_stop_says_why(runner, tmp_path):
    config = write_config(tmp_path)
    result = runner.invoke(
        main, ["train", str(config), "--eta", "1e-9", "--eta-schedule", "patience=1,factor=0.1", "--epochs", "9"]
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert ", eta 1e-09, " in lines[0] and ", eta 1e-10, " in lines[2]
    assert any(line.startswith("Stopped after epoch ") and "below 0.0078125 of its start" in line for line in lines)
