from __future__ import annotations

import json
import struct

import pytest

from helpers import cli_runner
from nnbp.cli import main


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_plot_draws_the_learning_curves_of_a_real_run(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    config = tmp_path / "c.yaml"
    config.write_text(f"sizes: [784, 10, 10]\nepochs: 2\nmini_batch_size: 50\noutput: {tmp_path / 'run'}\n")
    runner = cli_runner()
    assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
    result = runner.invoke(main, ["plot", str(tmp_path / "run")])
    assert result.exit_code == 0, result.stderr
    width, height = png_size(tmp_path / "run" / "learning-curves.png")
    assert width > 300 and height > 200
    result = runner.invoke(main, ["plot", str(tmp_path / "run"), "-o", str(tmp_path / "curves.png")])
    assert result.exit_code == 0 and png_size(tmp_path / "curves.png")[0] > 300


@pytest.mark.slow
def test_the_curves_of_a_run_with_dropout_add_a_panel_of_how_often_neurons_were_deleted(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    runner = cli_runner()
    heights = {}
    for dropout in ("0", "0.5"):
        config = tmp_path / f"d{dropout}.yaml"
        config.write_text(
            f"sizes: [784, 12, 10]\nepochs: 2\ntrain_size: 500\ndiagnostics: true\ndropout: {dropout}\n"
            f"output: {tmp_path / dropout}\n"
        )
        assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
        assert runner.invoke(main, ["plot", str(tmp_path / dropout), "--what", "curves"]).exit_code == 0
        heights[dropout] = png_size(tmp_path / dropout / "learning-curves.png")[1]
    assert heights["0.5"] == pytest.approx(heights["0"] * 4 / 3, rel=0.05)  # a fourth row of panels


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "history.json: no such file; is this a run folder?"),
        ("{not json", "history.json: not valid JSON"),
        (json.dumps({"epochs": []}), "history.json: missing field 'evaluated_on'"),
        (json.dumps({"evaluated_on": "test", "epochs": []}), "history.json: holds no epochs yet"),
        (json.dumps([1, 2]), "history.json: is a list, expected an object"),
        (json.dumps({"evaluated_on": "test", "epochs": [None]}), "history.json: epochs[0]: is a NoneType"),
        (
            json.dumps(
                {
                    "evaluated_on": "test",
                    "epochs": [
                        {"epoch": 1, "cost": None, "correct": 1, "total": 2, "accuracy": 0.5, "seconds": 1, "eta": 1.0}
                    ],
                }
            ),
            "history.json: epochs[0]: cost: None is not a finite number",
        ),
        (json.dumps({"evaluated_on": "test", "epochs": [], "colour": "red"}), "history.json: unknown field 'colour'"),
        pytest.param("[" * 100_000, "history.json: nested too deeply", id="deep"),
    ],
)
def test_plot_refuses_what_is_not_a_run(tmp_path, content, message):
    if content is not None:
        (tmp_path / "history.json").write_text(content)
    result = cli_runner().invoke(main, ["plot", str(tmp_path)])
    assert result.exit_code == 1 and message in result.stderr
    assert not (tmp_path / "learning-curves.png").exists()


@pytest.mark.slow
def test_plot_draws_a_runs_weights_confusion_and_mistakes(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"sizes: [784, 12, 10]\nepochs: 2\nmini_batch_size: 50\nmonitor_training: true\n"
        f"eta_schedule: {{patience: 1}}\noutput: {tmp_path / 'run'}\n"
    )
    runner = cli_runner()
    assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
    result = runner.invoke(main, ["plot", str(tmp_path / "run")])
    assert result.exit_code == 0, result.stderr
    for name in ("learning-curves", "weights", "confusion", "mistakes"):
        assert f"wrote {tmp_path / 'run' / name}.png" in result.stdout
        width, height = png_size(tmp_path / "run" / f"{name}.png")
        assert width > 300 and height > 200
    only = runner.invoke(main, ["plot", str(tmp_path / "run"), "--what", "confusion", "-o", str(tmp_path / "x.png")])
    assert only.stdout.splitlines() == [f"wrote {tmp_path / 'run' / 'confusion.png'}"]
    bad = runner.invoke(main, ["plot", str(tmp_path / "run"), "--what", "histogram"])
    assert bad.exit_code == 2 and "'histogram' is not one of curves, weights, confusion, mistakes" in bad.stderr


def test_plot_overlays_several_runs(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    runner = cli_runner()
    for eta in ("0.5", "3.0"):
        config = tmp_path / f"eta{eta}.yaml"
        config.write_text(
            f"sizes: [784, 8, 10]\nepochs: 2\nmini_batch_size: 100\neta: {eta}\noutput: {tmp_path / ('run' + eta)}\n"
        )
        assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
    result = runner.invoke(
        main, ["plot", str(tmp_path / "run0.5"), str(tmp_path / "run3.0"), "-o", str(tmp_path / "both.png")]
    )
    assert result.exit_code == 0 and result.stdout.strip() == f"wrote {tmp_path / 'both.png'}"
    assert png_size(tmp_path / "both.png")[0] > 600
