"""The run layer: the folder (refusing to overwrite, one run at a time, no leftovers), the checkpoint
round trip, what a resume refuses, and a whole run through the library with its callbacks."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from helpers import cli_runner
from nnbp.config import TrainConfig
from nnbp.data import load_dataset
from nnbp.data.dataset import Dataset, Split
from nnbp.errors import NnbpError
from nnbp.run import Run, RunFolder, evaluate_weights
from nnbp.run.history import History, read_history
from nnbp.run.setup import build_network
from nnbp.training import EpochResult, evaluate


def tiny_dataset(seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        return Split(rng.integers(0, 256, (n, 6), dtype=np.uint8), rng.integers(0, 3, n))

    return Dataset("tiny", split(30), split(12), 3, 1 / 255)


def config_for(tmp_path, **keys) -> TrainConfig:
    return TrainConfig(
        **{"sizes": (6, 4, 3), "epochs": 3, "mini_batch_size": 7, "eta": 1.0, "output": str(tmp_path / "run"), **keys}
    )


def test_a_new_folder_refuses_an_existing_run_and_force_clears_it(tmp_path):
    out = tmp_path / "a" / "b"
    with RunFolder.create(out, force=False) as folder:
        assert folder.path.is_dir()
        (out / "history.json").write_text("{}")
        (out / "weights.npz").write_text("old")
    with pytest.raises(NnbpError, match="already holds a run \\(weights.npz, history.json\\); pass --force"):
        RunFolder.create(out, force=False)
    with RunFolder.create(out, force=True):
        assert sorted(p.name for p in out.iterdir()) == [".nnbp.pid"]  # the old run's files are gone
    assert list(out.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(NnbpError, match="exists and is not a folder"):
        RunFolder.create(tmp_path / "file", force=True)


def test_a_locked_folder_refuses_a_second_run_naming_the_holder(tmp_path):
    with RunFolder.create(tmp_path / "run", force=False):
        with pytest.raises(NnbpError) as e:
            RunFolder.create(tmp_path / "run", force=True)
        assert f"is in use by another nnbp run (pid {os.getpid()})" in str(e.value)
    with RunFolder.create(tmp_path / "run", force=False):  # free again once closed
        pass


def test_a_refused_run_leaves_no_folder_it_made(tmp_path):
    with RunFolder.create(tmp_path / "run", force=False):
        with pytest.raises(NnbpError):
            RunFolder.create(tmp_path / "run", force=False)
    (tmp_path / "run" / "config.yaml").write_text("sizes: [6, 4, 3]\n")
    with pytest.raises(NnbpError, match="already holds a run"):
        RunFolder.create(tmp_path / "run", force=False)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.yaml"]


def test_files_come_back_from_another_machine_whole_checkpoint_last_and_only_a_runs(tmp_path, monkeypatch):
    import errno

    from nnbp.system import safeio as files

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best.npz").write_bytes(b"an older run's")
    written = []
    real_replace = files.os.replace
    monkeypatch.setattr(
        files.os, "replace", lambda src, dst: (written.append(os.path.basename(dst)), real_replace(src, dst))
    )
    sent = {"weights.npz": b"w", "history.json": b"{}", "config.yaml": b"c", "../escape": b"x", ".bashrc": b"x"}
    with RunFolder.make(tmp_path / "run") as folder:
        written.clear()  # the lock's pid file
        folder.write_files(sent)
    assert sorted(written) == ["config.yaml", "history.json", "weights.npz"] and written[-1] == "weights.npz"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.yaml", "history.json", "weights.npz"]
    assert not (tmp_path / "escape").exists() and (tmp_path / "run" / "weights.npz").read_bytes() == b"w"

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    with RunFolder.make(tmp_path / "run") as folder, pytest.raises(NnbpError) as e:
        monkeypatch.setattr(files.os, "replace", full_disk)
        folder.write_files({"weights.npz": b"new"})
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert str(e.value).endswith(
        "weights.npz: cannot write (No space left on device); the files already there are intact"
    )
    assert (tmp_path / "run" / "weights.npz").read_bytes() == b"w"


def test_temporary_files_a_killed_run_left_are_removed_by_the_next(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".nnbp-tmp-weights.npz.1a2b3c4d").write_bytes(b"half a file")
    with RunFolder.create(tmp_path / "run", force=False):
        pass
    assert list((tmp_path / "run").iterdir()) == []


def test_a_run_cut_short_in_a_write_lets_go_of_its_folder_without_a_temporary_file(tmp_path):
    with pytest.raises(SystemExit), RunFolder.make(tmp_path / "run") as folder:
        (folder.path / ".nnbp-tmp-weights.npz.1a2b3c4d").write_bytes(b"half")  # as SIGTERM mid-write leaves it
        raise SystemExit(143)
    assert list((tmp_path / "run").iterdir()) == []


@pytest.mark.parametrize("settings", [{}, {"momentum": 0.9}, {"optimizer": "adam"}])
def test_checkpoint_round_trip_restores_weights_history_generator_and_optimizer_state(tmp_path, settings):
    from nnbp.run.setup import build_optimizer

    config = config_for(tmp_path, epochs=5, **settings)
    rng = np.random.default_rng(11)
    network = build_network(config, rng)
    rng.permutation(10)  # as an epoch's shuffle would
    history = History(
        "test", [EpochResult(1, 0.3, 6, 12, 0.5, 0.01, eta=1.0, training_cost=0.2, training_accuracy=0.7, l2_term=0.01)]
    )
    optimizer = build_optimizer(config, network, 100)
    for arrays in optimizer.arrays().values():  # a state that is not all zeros
        arrays[...] = rng.integers(1, 9, arrays.shape)
    with RunFolder.create(tmp_path / "run", force=False) as folder:
        folder.save_checkpoint(config, network, rng, history, {"input_scale": 1 / 255}, optimizer.arrays())
        loaded_config, loaded, loaded_rng, loaded_history, state = folder.load_checkpoint(None)
    assert loaded_config == config and loaded_history == history
    for a, b in zip(loaded.weights + loaded.biases, network.weights + network.biases):
        assert np.array_equal(a, b)
    assert np.array_equal(loaded_rng.permutation(50), rng.permutation(50))
    assert read_history(tmp_path / "run" / "history.json") == history
    assert state.keys() == optimizer.arrays().keys()
    for name, saved in optimizer.arrays().items():
        assert np.array_equal(state[name], saved), name
    resumed = build_optimizer(loaded_config, loaded, 100, state)
    assert getattr(resumed, "t", None) == getattr(optimizer, "t", None)


def test_a_finished_run_needs_more_epochs_to_resume(tmp_path):
    dataset = tiny_dataset()
    with Run.start(config_for(tmp_path, epochs=1), dataset) as run:
        run.train(dataset)
    with pytest.raises(NnbpError, match="already trained for 1 of 1 epochs"):
        Run.resume(tmp_path / "run")
    with Run.resume(tmp_path / "run", epochs=3) as run:
        assert run.config.epochs == 3 and len(run.history.epochs) == 1 and run.history.test is None


def test_a_run_stopped_after_its_last_checkpoint_is_finished_by_resume(tmp_path):
    """The stop lands after the last epoch's save, before the final test: resume only adds the test."""
    dataset = tiny_dataset()

    def stop_after_last(result):
        if result.epoch == 2:
            raise KeyboardInterrupt

    with Run.start(config_for(tmp_path, epochs=2), dataset) as run, pytest.raises(KeyboardInterrupt):
        run.train(dataset, on_epoch=stop_after_last)
    assert "test" not in json.loads((tmp_path / "run" / "history.json").read_text())
    with Run.resume(tmp_path / "run") as run:
        history = run.train(dataset, on_epoch=lambda r: pytest.fail("no epoch is left to train"))
    assert history.test == evaluate(run.network, dataset, dataset.test).to_dict()
    assert json.loads((tmp_path / "run" / "history.json").read_text())["test"] == history.test


def test_a_run_through_the_library_reports_each_step_and_epoch_and_writes_its_folder(tmp_path):
    dataset = tiny_dataset()
    batches, epochs = [], []
    with Run.start(config_for(tmp_path), dataset) as run:
        history = run.train(dataset, on_batch=batches.append, on_epoch=epochs.append)
    assert batches == [7, 7, 7, 7, 2] * 3 and [e.epoch for e in epochs] == [1, 2, 3]
    assert history.epochs == epochs and history.test["total"] == 12
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "best.npz",
        "config.yaml",
        "history.csv",
        "history.json",
        "weights.npz",
    ]
    assert read_history(tmp_path / "run" / "history.json") == history
    assert evaluate(run.network, dataset, dataset.test).correct == history.test["correct"]


def test_resumed_runs_end_bit_identical_to_an_uninterrupted_one(tmp_path):
    dataset = tiny_dataset()
    with Run.start(config_for(tmp_path, output=str(tmp_path / "whole")), dataset) as run:
        run.train(dataset)
        whole = run.network
    with Run.start(config_for(tmp_path, epochs=1), dataset) as run:
        run.train(dataset)
    for _ in range(2):
        with Run.resume(tmp_path / "run", epochs=len(run.history.epochs) + 1) as run:
            run.train(dataset)
    for a, b in zip(run.network.weights + run.network.biases, whole.weights + whole.biases):
        assert np.array_equal(a, b)


def test_eval_reads_the_dataset_the_weights_were_trained_on(tmp_path):
    dataset = load_dataset("mnist-sample")
    config = TrainConfig(sizes=(784, 8, 10), epochs=1, mini_batch_size=100, output=str(tmp_path / "run"))
    with Run.start(config, dataset) as run:
        history = run.train(dataset)
    ev, data = evaluate_weights(tmp_path / "run" / "weights.npz")
    assert data.name == "mnist-sample" and ev.correct == history.test["correct"]
    assert ev.confusion.sum() == 2000 and ev.confusion.trace() == ev.correct


def test_a_full_disk_is_a_one_line_error_and_keeps_the_last_epoch(tmp_path, monkeypatch):
    """Epoch 2's save fails with ENOSPC: exit 1, one line, epoch 1's files intact, no temp files."""
    import errno

    from nnbp.cli import main
    from nnbp.system import safeio as files

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
    result = cli_runner().invoke(main, ["train", str(config)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "weights.npz: cannot write (No space left on device)" in result.stderr
    left = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert left == ["best.npz", "config.yaml", "history.csv", "history.json", "weights.npz"]
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]) == 1


def test_a_forced_run_stopped_in_its_first_epoch_leaves_only_its_own_config(tmp_path):
    dataset = tiny_dataset()
    with Run.start(config_for(tmp_path, seed=1), dataset) as run:
        run.train(dataset)

    def stop(m):
        raise KeyboardInterrupt

    with Run.start(config_for(tmp_path, seed=2), dataset, force=True) as run, pytest.raises(KeyboardInterrupt):
        run.train(dataset, on_batch=stop)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.yaml"]
    assert "seed: 2" in (tmp_path / "run" / "config.yaml").read_text()


def test_a_run_refused_by_the_lock_never_removes_the_holders_folder(tmp_path):
    """Two runs create the same new folder at once: the one refused must not remove it, even though
    it also found it missing, and even before the holder has written its pid file."""
    from nnbp.run.folder import PID_FILE

    with RunFolder.create(tmp_path / "new" / "run", force=False):
        (tmp_path / "new" / "run" / PID_FILE).unlink()  # the moment between the holder's lock and its pid file
        second = RunFolder(tmp_path / "new" / "run", created=[tmp_path / "new", tmp_path / "new" / "run"])
        with pytest.raises(NnbpError, match="is in use by another nnbp run \\(pid unknown\\)"):
            second.lock()
        assert (tmp_path / "new" / "run").is_dir()


def chapter3_config(tmp_path, name: str, **keys) -> TrainConfig:
    from nnbp.schedule import EtaSchedule

    return config_for(
        tmp_path,
        **{
            "output": str(tmp_path / name),
            "epochs": 8,
            "momentum": 0.7,
            "lmbda": 0.3,
            "eta_schedule": EtaSchedule(patience=1, factor=0.5, stop_fraction=0.001),
            **keys,
        },
    )


def test_a_run_resumed_in_the_middle_of_momentum_and_a_schedule_is_bit_identical(tmp_path):
    dataset = tiny_dataset()
    with Run.start(chapter3_config(tmp_path, "whole"), dataset) as run:
        whole = run.train(dataset)
        whole_network = run.network
    assert len({e.eta for e in whole.epochs}) > 1  # the schedule lowered η along the way
    with Run.start(chapter3_config(tmp_path, "part", epochs=3), dataset) as run:
        run.train(dataset)
    for epochs in (5, 8):
        with Run.resume(tmp_path / "part", epochs=epochs) as run:
            resumed = run.train(dataset)
    assert [e.eta for e in resumed.epochs] == [e.eta for e in whole.epochs]
    assert [e.correct for e in resumed.epochs] == [e.correct for e in whole.epochs]
    for a, b in zip(run.network.weights + run.network.biases, whole_network.weights + whole_network.biases):
        assert np.array_equal(a, b)


def test_best_npz_holds_the_best_epochs_network_and_reproduces_its_accuracy(tmp_path):
    from nnbp.run.weights import load_weights

    dataset = tiny_dataset(seed=2)
    config = config_for(tmp_path, epochs=12, eta=3.0, mini_batch_size=3)
    with Run.start(config, dataset) as run:
        history = run.train(dataset)
    best = history.best
    network, meta = load_weights(tmp_path / "run" / "best.npz")
    assert meta["epoch"] == best.epoch and "checkpoint" not in meta
    assert evaluate(network, dataset, dataset.test).correct == best.correct  # no validation split: test watched
    assert history.best_test == {
        "cost": best.cost,
        "correct": best.correct,
        "total": best.total,
        "accuracy": best.accuracy,
    }


def test_with_a_validation_split_best_test_is_the_best_network_on_the_test_split(tmp_path):
    from dataclasses import replace as change

    from nnbp.run.weights import load_weights

    base = tiny_dataset(seed=4)
    dataset = change(base, validation=base.test, test=Split(base.train.images[:9], base.train.labels[:9]))
    with Run.start(config_for(tmp_path, epochs=6, eta=3.0, mini_batch_size=3), dataset) as run:
        history = run.train(dataset)
    best_network = load_weights(tmp_path / "run" / "best.npz")[0]
    assert history.best_test == evaluate(best_network, dataset, dataset.test).to_dict()
    assert history.test == evaluate(run.network, dataset, dataset.test).to_dict()


def test_a_run_that_stops_itself_says_where_and_why_and_cannot_be_resumed(tmp_path):
    dataset = tiny_dataset()
    config = config_for(tmp_path, epochs=50, eta=1e-9, early_stopping=2)
    with Run.start(config, dataset) as run:
        history = run.train(dataset)
    assert history.stopped == {"epoch": 3, "reason": "no improvement in 2 epochs (best: epoch 1)"}
    assert json.loads((tmp_path / "run" / "history.json").read_text())["stopped"]["epoch"] == 3
    with pytest.raises(NnbpError, match="stopped itself after epoch 3 \\(no improvement in 2 epochs"):
        Run.resume(tmp_path / "run", epochs=60)


def test_train_size_trains_on_the_first_examples_only(tmp_path):
    dataset = tiny_dataset()
    seen = []
    with Run.start(config_for(tmp_path, train_size=12, epochs=2, monitor_training=True), dataset) as run:
        history = run.train(dataset, on_batch=seen.append)
    assert seen == [7, 5, 7, 5]
    first = Dataset(
        "first 12", Split(dataset.train.images[:12], dataset.train.labels[:12]), dataset.test, 3, dataset.scale
    )
    assert history.epochs[-1].training_accuracy == evaluate(run.network, first, first.train).accuracy
    with pytest.raises(NnbpError, match="train_size: 31 is more than the 30 training examples"):
        Run.start(config_for(tmp_path, train_size=31, output=str(tmp_path / "other")), dataset)


def test_history_csv_has_a_row_per_epoch_and_a_column_per_figure(tmp_path):
    import csv

    dataset = tiny_dataset()
    with Run.start(config_for(tmp_path, epochs=3, monitor_training=True, lmbda=0.2, diagnostics=True), dataset) as run:
        history = run.train(dataset)
    rows = list(csv.DictReader((tmp_path / "run" / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    for row, epoch in zip(rows, history.epochs):
        assert float(row["accuracy"]) == epoch.accuracy and float(row["eta"]) == epoch.eta
        assert float(row["training_cost"]) == epoch.training_cost and float(row["l2_term"]) == epoch.l2_term
        assert float(row["layer2_mean_abs_delta"]) == epoch.diagnostics[0]["mean_abs_delta"]
