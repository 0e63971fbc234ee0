"""Progress bars and stopping signals, in-process (test_interrupt.py sends real signals to a real run)."""

from __future__ import annotations

import io
import os
import signal

import pytest

from nnbp.cli import terminal
from nnbp.cli.terminal import EpochProgress, StopAtOnce, StopOnSignals, Stopped, byte_bar, fetch_noting


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_is_only_recorded_until_check_raises(signum):
    before = signal.getsignal(signum)
    with StopOnSignals() as stop:
        stop.check()  # nothing yet
        os.kill(os.getpid(), signum)  # delivered to the handler before kill returns (main thread)
        assert stop.signum == signum
        with pytest.raises(Stopped) as raised:
            stop.check()
        assert raised.value.signum == signum
        assert signal.getsignal(signum) is before  # a second signal gets the default behaviour
    assert signal.getsignal(signum) is before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stop_at_once_raises_from_the_signal_itself(signum):
    before = signal.getsignal(signum)
    with pytest.raises(Stopped) as raised, StopAtOnce():
        os.kill(os.getpid(), signum)
        raise AssertionError("the signal did not stop the block")
    assert raised.value.signum == signum and signal.getsignal(signum) is before


def test_handlers_are_restored_on_exit_without_a_signal():
    before = {s: signal.getsignal(s) for s in StopOnSignals.SIGNALS}
    with StopOnSignals():
        assert all(signal.getsignal(s) is not before[s] for s in StopOnSignals.SIGNALS)
    assert {s: signal.getsignal(s) for s in StopOnSignals.SIGNALS} == before


def test_epoch_progress_opens_one_bar_per_epoch_and_counts_examples(monkeypatch):
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]  # a terminal: the bar draws
    monkeypatch.setattr(terminal.sys, "stderr", stream)
    progress = EpochProgress(n_train=30, epochs=4, first_epoch=3, quiet=False)
    progress.advance(10)
    progress.advance(20)
    assert progress.bar is not None and progress.bar.n == 30 and not progress.bar.disable
    progress.end_epoch()
    assert progress.bar is None
    progress.advance(5)
    assert progress.epoch == 4
    progress.end_epoch()
    drawn = stream.getvalue()
    assert "Epoch 3/4" in drawn and "Epoch 4/4" in drawn


@pytest.mark.parametrize("quiet, tty", [(True, True), (False, False)])
def test_epoch_progress_is_silent_when_quiet_or_not_a_terminal(monkeypatch, quiet, tty):
    stream = io.StringIO()
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr(terminal.sys, "stderr", stream)
    progress = EpochProgress(n_train=10, epochs=1, first_epoch=1, quiet=quiet)
    progress.advance(10)
    progress.end_epoch()
    assert stream.getvalue() == ""


def test_byte_bar_is_silent_when_quiet(monkeypatch):
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(terminal.sys, "stderr", stream)
    bar = byte_bar(quiet=True)("file.gz", 100)
    bar.update(100)
    bar.close()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("quiet", [False, True])
def test_fetch_noting_says_it_downloads_unless_quiet(monkeypatch, tmp_path, quiet):
    import nnbp.data.download

    fetched = []
    monkeypatch.setattr(
        nnbp.data.download, "fetch", lambda remote, folder, progress: fetched.append((remote, folder)) or folder
    )
    said: list[str] = []
    fetch = fetch_noting(quiet, said.append)
    assert fetch("mnist", tmp_path) == tmp_path
    assert fetched == [(nnbp.data.download.REMOTE["mnist"], tmp_path)]
    assert said == ([] if quiet else [f"Dataset 'mnist' is not on this machine: downloading it into {tmp_path}"])
