"""One training run, and the one service that trains a config: from a config (a new run) or a run
folder (to resume), with the dataset found or downloaded, the folder locked, a checkpoint after each
epoch, and the caller told through callbacks.

    history = train(config, callbacks=Callbacks(epoch=print))      # or train(resume="runs/x", epochs=40)

`nnbp train`, `nnbp.train()` and a sweep's workers all train through `train`. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nnbp.config import TrainConfig
from nnbp.data import Fetch
from nnbp.data.dataset import ABOUT_DATA, Dataset, about, first_examples
from nnbp.diagnostics import probe
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.evaluation import test_figures
from nnbp.run.folder import RunFolder
from nnbp.run.history import History
from nnbp.run.setup import build_network, build_optimizer, check_against_data, dataset_of
from nnbp.run.weights import load_weights
from nnbp.schedule import Controls
from nnbp.system.blas import blas_threads, resolve
from nnbp.training import Diverged, EpochResult, probe_batch
from nnbp.training import train as train_epochs


@dataclass
class Callbacks:
    """What a caller hears while a run trains (each optional). An exception raised by one stops the run
    between two steps, with every saved epoch kept."""

    started: Callable[[Run, Dataset], None] | None = None  # set up, about to train its first epoch
    batch: Callable[[int], None] | None = None  # after each mini-batch of m examples
    epoch: Callable[[EpochResult], None] | None = None  # after each epoch, once its checkpoint is saved


def train(
    config: TrainConfig | None = None,
    *,
    resume: Path | str | None = None,
    epochs: int | None = None,
    force: bool = False,
    fetch: Fetch | None = None,
    dataset: Dataset | None = None,
    source: str = "config",
    at: Path | None = None,
    callbacks: Callbacks | None = None,
) -> History:
    """Train `config` in its output folder, or resume the run in the folder `resume`, to its last epoch
    (`epochs`, if given, replaces the config's); return the history.

    `dataset` is the config's, already loaded (else it is loaded, fetched with `fetch` if missing);
    `force` replaces a run already in the folder; `at` trains in another folder than the config's
    output (a sweep's worker on another machine); `source` names the config in errors. Whatever is
    raised, the run's folder is let go.
    """
    if (config is None) == (resume is None):
        raise NnbpError("give a config to start a run, or the folder of one to resume (not both)")
    callbacks = callbacks or Callbacks()
    run = Run.resume(Path(resume), epochs) if resume is not None else None
    try:
        if run is not None:
            config = run.config
        elif epochs is not None:
            config = replace(config, epochs=epochs)
        assert config is not None
        data = dataset or dataset_of(config, fetch)
        run = run or Run.start(config, data, force=force, source=source, at=at)
        with run:
            if callbacks.started is not None:
                callbacks.started(run, data)
            return run.train(data, on_batch=callbacks.batch, on_epoch=callbacks.epoch)
    finally:
        if run is not None:
            run.close()


def default_output(config: TrainConfig) -> Path:
    """Where a run goes when its config names no output: runs/<the dataset's name>."""
    return Path("runs") / Path(config.dataset).name.split(".")[0]


class Run:
    """One training run: its config, network, random generator, history and optimizer state (momentum's
    velocities, Adam's averages), in its locked folder."""

    def __init__(
        self,
        folder: RunFolder,
        config: TrainConfig,
        network: Network,
        rng: np.random.Generator,
        history: History,
        state: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.folder, self.config, self.network, self.rng, self.history = folder, config, network, rng, history
        self.state = state or {}  # as the checkpoint keeps it, until training builds the optimizer

    @classmethod
    def start(
        cls,
        config: TrainConfig,
        dataset: Dataset,
        *,
        force: bool = False,
        source: str = "config",
        at: Path | None = None,
    ) -> Run:
        """A new run of `config` on `dataset` in the folder `config.output` (or `at`), its config recorded.

        The config is checked against the data before anything is written (errors name `source`).
        """
        check_against_data(config, dataset, source)
        folder = RunFolder.create(at or Path(config.output or default_output(config)), force)
        try:
            folder.write_config(config)
            rng = np.random.default_rng(config.seed)
            network = build_network(config, rng)
            history = History(
                "validation" if dataset.validation is not None else "test",
                blas_threads=resolve(config.threads, config.sizes, config.mini_batch_size),
            )
            if config.diagnostics:
                saturated, near_zero = probe(network, probe_batch(dataset, network.dtype)[0])
                history.initial_diagnostics = [
                    {"layer": j + 2, "saturated_share": s, "near_zero_input_share": z}
                    for j, (s, z) in enumerate(zip(saturated, near_zero))
                ]
        except BaseException:
            folder.close(refused=True)
            raise
        return cls(folder, config, network, rng, history)

    @classmethod
    def resume(cls, path: Path, epochs: int | None = None) -> Run:
        """The run in `path`, from its last checkpoint; `epochs` raises the number of epochs to train."""
        folder = RunFolder.open(path)
        try:
            run = cls(folder, *folder.load_checkpoint(epochs))
            if run.history.blas_threads is None or run.config.threads != "auto":  # auto keeps what it chose
                run.history.blas_threads = resolve(run.config.threads, run.config.sizes, run.config.mini_batch_size)
            best = run.history.best
            if best is not None and best.epoch == len(run.history.epochs) and not folder.best.is_file():
                meta = load_weights(folder.weights)[1]  # the checkpoint holds the best epoch's network: restore it
                data = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in meta.items() if k in ABOUT_DATA}
                folder.save_best(run.config, run.network, best.epoch, {k: v for k, v in data.items() if v is not None})
        except BaseException:
            folder.close()
            raise
        return run

    def train(
        self,
        dataset: Dataset,
        *,
        on_batch: Callable[[int], None] | None = None,
        on_epoch: Callable[[EpochResult], None] | None = None,
    ) -> History:
        """Train the epochs not yet done, saving a checkpoint after each; then evaluate on the test split.

        `on_batch(m)` and `on_epoch(result)` are called as in `nnbp.training.train` (the checkpoint is
        saved before `on_epoch`); an exception from either stops the run with every saved epoch kept.
        Raises `Diverged` (with where the last good weights are) if training diverges.
        """
        config = self.config
        check_against_data(config, dataset, "config")
        data = about(dataset)
        controls = Controls.replay(
            config.eta, config.eta_schedule, config.early_stopping, [e.score for e in self.history.epochs]
        )
        n = len(first_examples(dataset, config.train_size).train)
        self.optimizer = build_optimizer(config, self.network, n, self.state)

        def epoch_done(result: EpochResult) -> None:
            self.history.epochs.append(result)
            if controls.best_epoch == result.epoch:
                self.folder.save_best(config, self.network, result.epoch, data)
            if controls.stopped:
                self.history.stopped = {"epoch": result.epoch, "reason": controls.stopped}
            self._save(data)
            if on_epoch is not None:
                on_epoch(result)

        try:
            with blas_threads(self.history.blas_threads):
                train_epochs(
                    self.network,
                    first_examples(dataset, config.train_size),
                    epochs=config.epochs,
                    mini_batch_size=config.mini_batch_size,
                    eta=config.eta,
                    rng=self.rng,
                    engine=config.engine,
                    lmbda=config.lmbda,
                    optimizer=self.optimizer,
                    dropout=config.layer_dropout,
                    expansion=config.expand,
                    controls=controls,
                    monitor_training=config.monitor_training,
                    first_epoch=len(self.history.epochs) + 1,
                    diagnostics=config.diagnostics,
                    on_batch=on_batch,
                    on_epoch=epoch_done,
                )
        except Diverged as e:
            self.history.diverged = {"epoch": e.epoch, "mini_batch": e.batch}
            done = len(self.history.epochs)
            try:
                self.folder.save_history(self.history)
            except NnbpError:
                pass  # the divergence is the news; the history on disk is the last good one
            kept = f"{self.folder.path} keeps epoch {done}'s weights" if done else "no epoch was saved"
            raise Diverged(e.epoch, e.batch, e.eta, kept) from None

        with blas_threads(self.history.blas_threads):
            self.history.test = test_figures(self.network, dataset, self.history, len(self.history.epochs))
            best = self.history.best
            if best.epoch == len(self.history.epochs):
                self.history.best_test = self.history.test
            elif self.folder.best.is_file():
                self.history.best_test = test_figures(
                    load_weights(self.folder.best)[0], dataset, self.history, best.epoch
                )
            else:  # best.npz was deleted after its epoch: that network is gone, the rest of the run is not
                self.history.best_test = None
        self._save(data)
        return self.history

    def _save(self, data: dict) -> None:
        self.folder.save_checkpoint(self.config, self.network, self.rng, self.history, data, self.optimizer.arrays())

    def close(self) -> None:
        """Release the run folder (again: harmless)."""
        self.folder.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
