"""The Python API as a notebook user meets it: `nnbp.train` checks like the CLI, lets go of its folder
whatever happens, resumes, and returns a History."""

from __future__ import annotations

import pytest

import nnbp
from nnbp.errors import NnbpError

SMALL = dict(sizes=(784, 8, 10), epochs=2, mini_batch_size=100, train_size=1000)


def test_train_returns_the_history_and_writes_the_run(tmp_path):
    history = nnbp.train(nnbp.TrainConfig(**SMALL, output=str(tmp_path / "run")))
    assert isinstance(history, nnbp.History) and len(history.epochs) == 2 and history.test is not None
    assert (tmp_path / "run" / "weights.npz").is_file() and not (tmp_path / "run" / ".nnbp.pid").exists()


def test_a_run_that_fails_lets_go_of_its_folder_and_the_next_works(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the machine")

    config = nnbp.TrainConfig(**SMALL, output=str(tmp_path / "lk"))
    monkeypatch.setattr("nnbp.run.run.build_network", broken)
    with pytest.raises(RuntimeError):
        nnbp.train(config)
    assert not (tmp_path / "lk" / ".nnbp.pid").exists()
    monkeypatch.undo()
    assert len(nnbp.train(config, force=True).epochs) == 2


def test_a_callback_that_raises_stops_the_run_which_resumes_in_the_same_process(tmp_path):
    class Enough(Exception):
        pass

    def stop_after_one(result):
        raise Enough

    config = nnbp.TrainConfig(**SMALL, output=str(tmp_path / "r"))
    with pytest.raises(Enough):
        nnbp.train(config, on_epoch=stop_after_one)
    assert not (tmp_path / "r" / ".nnbp.pid").exists()
    history = nnbp.train(resume=tmp_path / "r")
    assert [e.epoch for e in history.epochs] == [1, 2]
    assert nnbp.train(resume=tmp_path / "r", epochs=3).epochs[-1].epoch == 3


def test_bad_requests_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.setattr("nnbp.data.catalog.locate", lambda name: None)  # as on a machine without MNIST
    with pytest.raises(NnbpError, match="give a config to start a run, or the folder of one to resume"):
        nnbp.train()
    with pytest.raises(NnbpError, match="holds no weights.npz"):
        nnbp.train(resume=tmp_path)
    with pytest.raises(NnbpError, match="was not found"):
        nnbp.train(nnbp.TrainConfig(dataset="mnist", output=str(tmp_path / "m")), download=False)


def test_without_an_output_a_run_goes_to_runs_and_the_datasets_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nnbp.train(nnbp.TrainConfig(**SMALL))
    assert (tmp_path / "runs" / "mnist-sample" / "weights.npz").is_file()
