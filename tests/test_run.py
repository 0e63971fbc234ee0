"""The run folder: refusing to overwrite, the checkpoint round trip, and what a resume refuses."""

from __future__ import annotations

import numpy as np
import pytest

from nnbp import run
from nnbp.config import TrainConfig, build_network
from nnbp.errors import NnbpError


def test_prepare_output_refuses_an_existing_run_and_creates_nothing_else(tmp_path):
    out = run.prepare_output(tmp_path / "a" / "b", force=False)
    assert out.is_dir()
    (out / "history.json").write_text("{}")
    with pytest.raises(NnbpError, match="already holds a run \\(history.json\\); pass --force"):
        run.prepare_output(out, force=False)
    assert run.prepare_output(out, force=True) == out
    (tmp_path / "file").write_text("x")
    with pytest.raises(NnbpError, match="exists and is not a folder"):
        run.prepare_output(tmp_path / "file", force=True)


def test_checkpoint_round_trip_restores_weights_history_and_generator(tmp_path):
    config = TrainConfig(sizes=(6, 4, 3), epochs=5, output=str(tmp_path))
    rng = np.random.default_rng(11)
    network = build_network(config, rng)
    rng.permutation(10)  # as an epoch's shuffle would
    history = {"evaluated_on": "test", "epochs": [{"epoch": 1, "accuracy": 0.5}], "best_epoch": 1}
    run.start(tmp_path, config)
    run.save_checkpoint(tmp_path, config, network, rng, history)
    loaded_config, loaded, loaded_rng, loaded_history = run.load_checkpoint(tmp_path, None)
    assert loaded_config == config and loaded_history == history
    for a, b in zip(loaded.weights + loaded.biases, network.weights + network.biases):
        assert np.array_equal(a, b)
    assert np.array_equal(loaded_rng.permutation(50), rng.permutation(50))


def test_a_finished_run_needs_more_epochs_to_resume(tmp_path):
    config = TrainConfig(sizes=(6, 4, 3), epochs=1)
    rng = np.random.default_rng(0)
    run.save_checkpoint(tmp_path, config, build_network(config, rng), rng,
                        {"evaluated_on": "test", "epochs": [{"epoch": 1, "accuracy": 0.5}]})
    with pytest.raises(NnbpError, match="already trained for 1 of 1 epochs"):
        run.load_checkpoint(tmp_path, None)
    assert run.load_checkpoint(tmp_path, 3)[0].epochs == 3


def test_a_full_disk_is_a_one_line_error_and_keeps_the_last_epoch(tmp_path, monkeypatch):
    """Epoch 2's save fails with ENOSPC: exit 1, one line, epoch 1's files intact, no temp files."""
    import errno
    import json

    from click.testing import CliRunner

    from nnbp import files
    from nnbp.cli import main

    real_replace = files.os.replace
    calls = []

    def full_disk(src, dst):
        calls.append(dst)
        if str(dst).endswith("weights.npz") and sum(str(c).endswith("weights.npz") for c in calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", full_disk)
    config = tmp_path / "c.yaml"
    config.write_text(f"sizes: [784, 8, 10]\nepochs: 3\nmini_batch_size: 50\noutput: {tmp_path / 'run'}\n")
    result = CliRunner().invoke(main, ["train", str(config)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "weights.npz: cannot write (No space left on device)" in result.stderr
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["config.yaml", "history.json", "weights.npz"]
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]) == 1
