from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from helpers import cli_runner, tiny_dataset
from nnbp.benchmark import bench, environment, max_grad_diff
from nnbp.cli import main
from nnbp.network import Network


def test_bench_times_both_engines_on_the_same_work():
    dataset = tiny_dataset(n_train=40)
    r = bench(Network.initialise([6, 5, 3], np.random.default_rng(0)), dataset, 7, repeats=2, loop_examples=10)
    assert r.mini_batch_size == 7 and r.n_train == 40 and r.dtype == "float64"
    assert r.loop_examples_timed == 14  # rounded up to whole batches
    assert r.matrix_examples_timed == 40
    for seconds in (r.matrix_seconds_per_epoch, r.loop_seconds_per_epoch, r.floor_seconds_per_epoch):
        assert seconds > 0
    assert r.matrix_spread[0] <= r.matrix_seconds_per_epoch <= r.matrix_spread[1]
    assert r.speedup == pytest.approx(r.loop_seconds_per_epoch / r.matrix_seconds_per_epoch)
    assert r.max_grad_diff < 1e-14
    d = r.to_dict()
    assert d["matrix_examples_per_second"] == pytest.approx(40 / r.matrix_seconds_per_epoch)


def test_max_grad_diff_sees_a_real_difference(monkeypatch):
    """The figure is a real comparison: a network whose engines disagreed would show it."""
    dataset = tiny_dataset()
    network = Network.initialise([6, 5, 3], np.random.default_rng(0))
    assert max_grad_diff(network, dataset, np.arange(5)) < 1e-15
    import nnbp.per_example

    original = nnbp.per_example.backprop_per_example

    def skewed(network, X, Y, masks=None):
        nabla_b, nabla_w = original(network, X, Y, masks)
        nabla_w[0] += 1e-3
        return nabla_b, nabla_w

    monkeypatch.setattr("nnbp.training.backprop_per_example", skewed)
    assert max_grad_diff(network, dataset, np.arange(5)) == pytest.approx(1e-3 / 5)


def test_environment_names_numpy_and_blas():
    env = environment()
    assert env["numpy"] == np.__version__
    assert env["blas"] and env["blas"][0]["library"]


def write_tiny(tmp_path):
    dataset = tiny_dataset(n_train=40)
    with open(tmp_path / "tiny.npz", "wb") as f:
        np.savez(
            f,
            x_train=dataset.train.images,
            y_train=dataset.train.labels,
            x_test=dataset.test.images,
            y_test=dataset.test.labels,
        )
    config = tmp_path / "c.yaml"
    config.write_text(f"sizes: [6, 5, 3]\ndataset: {tmp_path / 'tiny.npz'}\n")
    return config


def test_bench_cli_json(tmp_path):
    config = write_tiny(tmp_path)
    result = cli_runner().invoke(
        main, ["bench", str(config), "--mini-batch-sizes", "1,5", "--repeats", "1", "--loop-examples", "10", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["environment"]["numpy"] == np.__version__
    assert [r["mini_batch_size"] for r in report["results"]] == [1, 5]
    for r in report["results"]:
        for key in (
            "matrix_seconds_per_epoch",
            "loop_seconds_per_epoch",
            "speedup",
            "floor_seconds_per_epoch",
            "max_grad_diff",
        ):
            assert key in r
        assert r["max_grad_diff"] < 1e-14


def test_bench_cli_table(tmp_path):
    """Without --mini-batch-sizes, the default sizes that fit the 40 examples are timed: 1 and 10."""
    config = write_tiny(tmp_path)
    result = cli_runner().invoke(main, ["bench", str(config), "--quick"])
    assert result.exit_code == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert rows == ["1", "10"]
    assert "numpy " in result.stdout and "BLAS" in result.stdout
    assert "speedup" in result.stdout and "peak memory" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mini-batch-sizes", "10,x"], "--mini-batch-sizes: '10,x' is not a comma-separated list"),
        (["--mini-batch-sizes", "0"], "holds a size below 1"),
        (["--mini-batch-sizes", "41"], "41 is larger than the 40 training examples"),
    ],
)
def test_bench_cli_bad_options(tmp_path, args, message):
    config = write_tiny(tmp_path)
    result = cli_runner().invoke(main, ["bench", str(config), *args])
    assert result.exit_code == 1 and message in result.stderr


@pytest.mark.slow
def test_bench_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    config = write_tiny(tmp_path)
    png = tmp_path / "speedup.png"
    result = cli_runner().invoke(
        main,
        [
            "bench",
            str(config),
            "--mini-batch-sizes",
            "2,4",
            "--repeats",
            "1",
            "--loop-examples",
            "4",
            "--plot",
            str(png),
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 200 and height > 100


def test_bench_plot_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    config = write_tiny(tmp_path)
    result = cli_runner().invoke(main, ["bench", str(config), "--quick", "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 1 and "pip install 'nnbp[plot]'" in result.stderr
    assert not (tmp_path / "p.png").exists()
