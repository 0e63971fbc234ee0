"""nnbp/controls.py on scripted accuracy sequences: the η schedule, early stopping, the best epoch, and
rebuilding the state from a history."""

from __future__ import annotations

import pytest

from nnbp.schedule import Controls, EtaSchedule


def run(controls: Controls, accuracies: list[float]) -> tuple[list[float], int | None, str | None]:
    """Feed the accuracies epoch by epoch until it stops: the η used in each epoch, the stop epoch and why."""
    etas = []
    for epoch, accuracy in enumerate(accuracies, 1):
        etas.append(controls.eta)
        if controls.update(epoch, accuracy):
            return etas, epoch, controls.stopped
    return etas, None, None


def test_without_controls_eta_stays_and_the_best_epoch_is_tracked():
    controls = Controls(0.5)
    etas, stopped, _ = run(controls, [0.5, 0.7, 0.6, 0.7, 0.65])
    assert etas == [0.5] * 5 and stopped is None
    assert controls.best_epoch == 2 and controls.best_score == 0.7  # a tie is no improvement


def test_early_stopping_after_n_epochs_without_improvement():
    controls = Controls(0.5, early_stopping=3)
    etas, stopped, reason = run(controls, [0.5, 0.6, 0.59, 0.6, 0.58, 0.9])
    assert stopped == 5 and reason == "no improvement in 3 epochs (best: epoch 2)"
    assert controls.best_epoch == 2


def test_an_improvement_restarts_the_count():
    _, stopped, _ = run(Controls(0.5, early_stopping=2), [0.5, 0.4, 0.6, 0.5, 0.7, 0.6, 0.5])
    assert stopped == 7


def test_the_schedule_halves_eta_after_patience_epochs_and_counts_afresh():
    controls = Controls(1.0, EtaSchedule(patience=2, factor=0.5, stop_fraction=0.1))
    accuracies = [0.5, 0.4, 0.4, 0.45, 0.45, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    etas, stopped, reason = run(controls, accuracies)
    # halved after epochs 3 and 5 (two without improvement each), the count restarting at 0.6 (epoch 6),
    # then after 8 and 10; 1/16 < 0.1 of the start: stop at epoch 10
    assert etas == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]
    assert stopped == 10 and reason == "eta fell to 0.0625, below 0.1 of its start 1 (best: epoch 6)"


def test_the_books_schedule_stops_at_a_128th_of_eta():
    controls = Controls(0.5, EtaSchedule(patience=10))
    etas, stopped, reason = run(controls, [0.9] + [0.8] * 200)
    assert stopped == 1 + 10 * 8  # seven halvings leave 1/128, the eighth goes below
    assert min(etas) == 0.5 / 128 and "below 0.0078125 of its start 0.5" in reason


def test_early_stopping_and_the_schedule_together_stop_at_whichever_comes_first():
    controls = Controls(0.5, EtaSchedule(patience=2), early_stopping=5)
    etas, stopped, reason = run(controls, [0.9] + [0.5] * 10)
    assert stopped == 6 and reason.startswith("no improvement in 5 epochs") and etas == [0.5] * 3 + [0.25] * 2 + [0.125]


@pytest.mark.parametrize("k", [0, 1, 4, 7])
def test_replaying_a_history_rebuilds_the_state_exactly(k):
    accuracies = [0.5, 0.4, 0.4, 0.45, 0.45, 0.6, 0.5, 0.5, 0.5]
    whole = Controls(1.0, EtaSchedule(patience=2, factor=0.5, stop_fraction=0.01), early_stopping=6)
    etas_whole, _, _ = run(whole, accuracies)
    resumed = Controls.replay(1.0, EtaSchedule(patience=2, factor=0.5, stop_fraction=0.01), 6, accuracies[:k])
    etas_rest, _, _ = run_from(resumed, accuracies, k)
    assert etas_whole[k:] == etas_rest
    assert (resumed.eta, resumed.best_epoch, resumed.since_best) == (whole.eta, whole.best_epoch, whole.since_best)


def run_from(controls: Controls, accuracies: list[float], k: int) -> tuple[list[float], int | None, str | None]:
    etas = []
    for epoch, accuracy in enumerate(accuracies[k:], k + 1):
        etas.append(controls.eta)
        if controls.update(epoch, accuracy):
            return etas, epoch, controls.stopped
    return etas, None, None
