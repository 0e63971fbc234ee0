"""Chapter 3's controls over the epochs: an η schedule and early stopping, both read off the score on
the watched split (validation, or test for a dataset without one): the accuracy, or for a
regression minus the cost (higher is better either way).

- η schedule: multiply η by `factor` each time the score has not improved for `patience` epochs,
  and stop once η has fallen below `stop_fraction` of its starting value (the book: halve it after
  ten epochs without improvement, stop at 1/128).
- Early stopping: stop once the score has not improved for `early_stopping` epochs.

`Controls` holds the state between epochs; it is a function of the scores so far, so a resumed
run rebuilds it by replaying its history (`Controls.replay`). Knows nothing of networks or files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EtaSchedule:
    """Multiply η by `factor` after `patience` epochs without improvement; stop below `stop_fraction` of η₀."""

    patience: int
    factor: float = 0.5
    stop_fraction: float = 1 / 128


class Controls:
    """The learning rate for the next epoch, the best epoch so far, and whether to stop."""

    def __init__(self, eta: float, schedule: EtaSchedule | None = None, early_stopping: int | None = None) -> None:
        self.eta0 = self.eta = eta
        self.schedule, self.early_stopping = schedule, early_stopping
        self.best_epoch: int | None = None
        self.best_score = float("-inf")
        self.stopped: str | None = None  # why training stopped, once it has
        self.since_best = 0  # epochs since the score last improved
        self.since_change = 0  # of those, epochs since η last changed

    def update(self, epoch: int, score: float) -> str | None:
        """Take the score after `epoch`; return why training stops now (also kept in `stopped`), or
        None to go on at `self.eta`."""
        self.stopped = self._update(epoch, score)
        return self.stopped

    def _update(self, epoch: int, score: float) -> str | None:
        if score > self.best_score:
            self.best_score, self.best_epoch = score, epoch
            self.since_best = self.since_change = 0
            return None
        self.since_best += 1
        self.since_change += 1
        if self.early_stopping is not None and self.since_best >= self.early_stopping:
            return f"no improvement in {self.since_best} epochs (best: epoch {self.best_epoch})"
        schedule = self.schedule
        if schedule is not None and self.since_change >= schedule.patience:
            self.eta *= schedule.factor
            self.since_change = 0
            if self.eta < schedule.stop_fraction * self.eta0:
                return (
                    f"eta fell to {self.eta:g}, below {schedule.stop_fraction:g} of its start "
                    f"{self.eta0:g} (best: epoch {self.best_epoch})"
                )
        return None

    @classmethod
    def replay(
        cls, eta: float, schedule: EtaSchedule | None, early_stopping: int | None, scores: list[float]
    ) -> Controls:
        """The controls as they stood after epochs with these scores (for a resumed run)."""
        controls = cls(eta, schedule, early_stopping)
        for epoch, score in enumerate(scores, 1):
            controls.update(epoch, score)
        return controls
