"""One run of a sweep as a worker does it, in a local process or on a Dask worker: start or resume
the run in its folder and say how it ended. Every error becomes a failed `Outcome`, never an
exception, so one bad point cannot stop the others.

A worker trains with one BLAS thread (the point's config says `threads: 1`; `start_worker` also
holds a local worker process to it), so N workers keep N cores busy and a run's weights are the
same whichever worker, machine or N trains it.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nnbp.config import TrainConfig, build_config
from nnbp.data.dataset import Dataset
from nnbp.errors import NnbpError
from nnbp.run.folder import RUN_FILES
from nnbp.run.history import History
from nnbp.run.run import Callbacks, Run, train
from nnbp.run.setup import data_key, dataset_of
from nnbp.system.blas import controller
from nnbp.training import Diverged

START, RESUME = "start", "resume"
PARENT_POLL = 0.25  # seconds between a worker's looks at whether the sweep that started it is alive


@dataclass
class Outcome:
    """How a run ended: `finished`, `failed` (with its one-line reason) or `interrupted`, and its figures."""

    status: str
    reason: str | None = None
    evaluated_on: str | None = None
    epochs: int = 0
    final_accuracy: float | None = None
    best_accuracy: float | None = None
    best_epoch: int | None = None
    test_accuracy: float | None = None  # the last epoch's network on the test split
    best_test_accuracy: float | None = None  # best.npz's network on the test split
    seconds: float | None = None  # the time this sweep spent on it; None for a run found finished
    final_r2: float | None = None  # a regression's R² in place of the four accuracies
    best_r2: float | None = None
    test_r2: float | None = None
    best_test_r2: float | None = None

    @property
    def measure(self) -> str:
        """What the run's figures are: `accuracy`, or `r2` for a regression."""
        return "r2" if self.final_r2 is not None else "accuracy"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, history: History, status: str, reason: str | None = None, seconds: float | None = None) -> Outcome:
        best, last = history.best, history.epochs[-1] if history.epochs else None
        measure = "r2" if last is not None and last.accuracy is None else "accuracy"
        return cls(
            status,
            reason,
            history.evaluated_on,
            len(history.epochs),
            best_epoch=best.epoch if best else None,
            seconds=seconds,
            **{
                f"final_{measure}": getattr(last, measure, None),
                f"best_{measure}": getattr(best, measure, None),
                f"test_{measure}": (history.test or {}).get(measure),
                f"best_test_{measure}": (history.best_test or {}).get(measure),
            },
        )


def diverged_reason(history: History, eta: float) -> str:
    """The one line a diverged run is recorded with."""
    d = history.diverged or {}
    return str(Diverged(d.get("epoch", 0), d.get("mini_batch"), eta))


def start_worker() -> None:
    """A local worker process: one BLAS thread throughout; Ctrl-C is the parent's to handle, and the
    parent's SIGTERM ends the worker through its `with` blocks (so the run folder's lock is let go).
    A worker whose parent dies (SIGKILL leaves no time to send SIGTERM) sends it to itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    controller().limit(limits=1)  # before SIGTERM may raise: see `controller`
    signal.signal(signal.SIGTERM, _exit)
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int) -> None:
    """SIGTERM this process once its parent is gone (it is then re-parented): no worker outlives the sweep."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os.kill(os.getpid(), signal.SIGTERM)


def _exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


_DATASETS: dict[tuple, Dataset] = {}


def _dataset(config: TrainConfig) -> Dataset:
    """A dataset read once per worker process, for all the runs it trains (the two last used kept)."""
    key = data_key(config)
    if key not in _DATASETS:
        if len(_DATASETS) >= 2:
            _DATASETS.pop(next(iter(_DATASETS)))
        _DATASETS[key] = dataset_of(config)
    return _DATASETS[key]


def train_point(config: dict[str, Any], action: str, dataset: Dataset | None = None, at: Path | None = None) -> Outcome:
    """Start (`START`) or resume (`RESUME`) the run of `config` (checked as the sweep wrote it) in its
    output folder, or in `at`, and train it to the end, through the one training service."""
    began = time.perf_counter()
    runs: list[Run] = []  # the run, once the service has set it up

    def seconds() -> float:
        return time.perf_counter() - began

    try:
        cfg = build_config(config, {}, "sweep")
        data = dataset or _dataset(cfg)
        callbacks = Callbacks(started=lambda run, _: runs.append(run))
        if action == RESUME:
            history = train(resume=at or Path(cfg.output), epochs=cfg.epochs, dataset=data, callbacks=callbacks)
        else:
            history = train(cfg, force=True, dataset=data, at=at, callbacks=callbacks)
        return Outcome.of(history, "finished", seconds=seconds())
    except Diverged:
        run = runs[0]
        return Outcome.of(run.history, "failed", diverged_reason(run.history, run.config.eta), seconds())
    except NnbpError as e:
        failed = Outcome.of(runs[0].history, "failed") if runs else Outcome("failed")
        failed.reason, failed.seconds = str(e), seconds()
        return failed
    except Exception as e:  # a bug, or the machine: recorded with the run, the sweep goes on
        return Outcome("failed", f"unexpected {type(e).__name__}: {str(e)[:200]}", seconds=seconds())


def train_point_remote(
    config: dict[str, Any], action: str, files: dict[str, bytes], dataset: Dataset
) -> tuple[Outcome, dict[str, bytes]]:
    """`train_point` on a machine that does not see the sweep's folder: the run's files (a checkpoint
    to resume from) come in as bytes, train in a temporary folder, and go back as bytes."""
    limits = controller().limit(limits=1)  # a Dask worker thread: no signals to set
    try:
        with tempfile.TemporaryDirectory(prefix="nnbp-sweep-") as tmp:
            folder = Path(tmp)
            for name, data in files.items():
                if name in RUN_FILES:
                    (folder / name).write_bytes(data)
            outcome = train_point(config, action, dataset, at=folder)
            back = {name: (folder / name).read_bytes() for name in RUN_FILES if (folder / name).is_file()}
    finally:
        limits.restore_original_limits()
    return outcome, back
