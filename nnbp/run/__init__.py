"""A training run and what it writes: config + dataset → a run folder (checkpoints, history, the
final test), reported through callbacks; and reading saved weights back to evaluate them.

    with Run.start(config, dataset) as run:      # or Run.resume(folder)
        history = run.train(dataset, on_epoch=print)

Everything `nnbp train`, `eval`, `plot` and `gradcheck --weights` read or write in a run folder
goes through this package. It prints nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from nnbp.backprop import Gradient
from nnbp.config import TrainConfig, build_network, check_against_data
from nnbp.controls import Controls
from nnbp.data import Fetch, load_dataset
from nnbp.data.dataset import Dataset, about, first_examples
from nnbp.diagnostics import probe
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.run.folder import RunFolder
from nnbp.run.history import History
from nnbp.run.weights import load_weights
from nnbp.gradcheck import TOLERANCE, GradCheck, gradcheck
from nnbp.limits import forward_chunk
from nnbp.threads import blas_threads, resolve
from nnbp.training import Batcher, Diverged, EpochResult, Evaluation, evaluate, probe_batch, train

__all__ = ["Run", "History", "RunFolder", "check_fits", "check_gradient", "evaluate_weights", "load_weights"]


class Run:
    """One training run: its config, network, random generator, history and momentum velocities, in
    its locked folder."""

    def __init__(self, folder: RunFolder, config: TrainConfig, network: Network, rng: np.random.Generator,
                 history: History, velocity: Gradient | None = None) -> None:
        self.folder, self.config, self.network, self.rng, self.history = folder, config, network, rng, history
        self.velocity = velocity

    @classmethod
    def start(cls, config: TrainConfig, dataset: Dataset, *, force: bool = False, source: str = "config",
              at: Path | None = None) -> Run:
        """A new run of `config` on `dataset` in the folder `config.output` (or `at`, a stand-in folder
        whose files will be moved there), its config recorded.

        The config is checked against the data before anything is written (errors name `source`).
        """
        check_against_data(config, dataset, source)
        folder = RunFolder.create(at or Path(config.output), force)
        try:
            folder.write_config(config)
        except BaseException:
            folder.close(refused=True)
            raise
        rng = np.random.default_rng(config.seed)
        network = build_network(config, rng)
        history = History("validation" if dataset.validation is not None else "test",
                          blas_threads=resolve(config.threads, config.sizes, config.mini_batch_size))
        if config.diagnostics:
            saturated, near_zero = probe(network, probe_batch(dataset, network.dtype)[0])
            history.initial_diagnostics = [
                {"layer": l + 1, "saturated_share": s, "near_zero_input_share": z}
                for l, (s, z) in enumerate(zip(saturated, near_zero))
            ]
        return cls(folder, config, network, rng, history)

    @classmethod
    def resume(cls, path: Path, epochs: int | None = None) -> Run:
        """The run in `path`, from its last checkpoint; `epochs` raises the number of epochs to train."""
        folder = RunFolder.open(path)
        try:
            run = cls(folder, *folder.load_checkpoint(epochs))
        except BaseException:
            folder.close()
            raise
        if run.history.blas_threads is None or run.config.threads != "auto":  # auto keeps what it chose
            run.history.blas_threads = resolve(run.config.threads, run.config.sizes, run.config.mini_batch_size)
        return run

    def train(self, dataset: Dataset, *, on_batch: Callable[[int], None] | None = None,
              on_epoch: Callable[[EpochResult], None] | None = None) -> History:
        """Train the epochs not yet done, saving a checkpoint after each; then evaluate on the test split.

        `on_batch(m)` and `on_epoch(result)` are called as in `nnbp.training.train` (the checkpoint is
        saved before `on_epoch`); an exception from either stops the run with every saved epoch kept.
        Raises `Diverged` (with where the last good weights are) if training diverges.
        """
        config = self.config
        check_against_data(config, dataset, "config")
        self.data = about(dataset)
        controls = Controls.replay(config.eta, config.eta_schedule, config.early_stopping,
                                   [e.accuracy for e in self.history.epochs])
        if config.momentum and self.velocity is None:
            self.velocity = tuple([np.zeros_like(a) for a in arrays] for arrays in (self.network.biases,
                                                                                   self.network.weights))

        def epoch_done(result: EpochResult) -> None:
            self.history.epochs.append(result)
            if controls.best_epoch == result.epoch:
                self.folder.save_best(config, self.network, result.epoch, self.data)
            if controls.stopped:
                self.history.stopped = {"epoch": result.epoch, "reason": controls.stopped}
            self._save(dataset)
            if on_epoch is not None:
                on_epoch(result)

        try:
            with blas_threads(self.history.blas_threads):
                train(
                    self.network, first_examples(dataset, config.train_size), epochs=config.epochs,
                    mini_batch_size=config.mini_batch_size, eta=config.eta, rng=self.rng, engine=config.engine,
                    lmbda=config.lmbda, momentum=config.momentum, velocity=self.velocity, controls=controls,
                    monitor_training=config.monitor_training, first_epoch=len(self.history.epochs) + 1,
                    diagnostics=config.diagnostics, on_batch=on_batch, on_epoch=epoch_done,
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
            self.history.test = self._test_figures(self.network, dataset, len(self.history.epochs))
            best = self.history.best
            self.history.best_test = (self.history.test if best.epoch == len(self.history.epochs) else
                                      self._test_figures(load_weights(self.folder.best)[0], dataset, best.epoch))
        self._save(dataset)
        return self.history

    def _test_figures(self, network: Network, dataset: Dataset, epoch: int) -> dict:
        """`network` (that of `epoch`) on the test split; without a validation split the epoch's own figures."""
        if dataset.validation is not None:
            return evaluate(network, dataset, dataset.test).to_dict()
        e = self.history.epochs[epoch - 1]  # evaluated on the test split already
        return {"cost": e.cost, "correct": e.correct, "total": e.total, "accuracy": e.accuracy}

    def _save(self, dataset: Dataset) -> None:
        self.folder.save_checkpoint(self.config, self.network, self.rng, self.history, self.data, self.velocity)

    def close(self) -> None:
        """Release the run folder."""
        self.folder.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def check_fits(network: Network, dataset: Dataset, source: Path | str) -> None:
    """The network's input and output layers must match the dataset's inputs and classes."""
    if network.sizes[0] != dataset.n_inputs or network.sizes[-1] != dataset.n_classes:
        raise NnbpError(
            f"{source}: the network {network.sizes} does not fit {dataset.name!r} "
            f"({dataset.n_inputs} inputs, {dataset.n_classes} classes)"
        )


def evaluate_weights(path: Path, dataset: str | None = None, fetch: Fetch | None = None,
                     threads: str | int = "auto") -> tuple[Evaluation, Dataset]:
    """Saved weights on the test split of `dataset`, or of the dataset they were trained on."""
    network, meta = load_weights(path)
    recorded = meta.get("config")
    name = dataset or (recorded.get("dataset") if isinstance(recorded, dict) else None)
    if not isinstance(name, str):
        raise NnbpError(f"{path}: records no dataset; pass --dataset")
    data = load_dataset(name, fetch=fetch)
    check_fits(network, data, path)
    with blas_threads(resolve(threads, network.sizes, forward_chunk(network.sizes, network.dtype))):
        return evaluate(network, data, data.test), data


def check_gradient(config: TrainConfig, weights: Path | None = None, n_params: int | None = None, eps: float = 1e-6,
                   tolerance: float | None = None, fetch: Fetch | None = None) -> tuple[GradCheck, dict]:
    """`nnbp.gradcheck.gradcheck` on the first mini-batch a training run of `config` would take, for
    the network `config` initialises or the saved `weights`; also what was checked, described."""
    if not (eps > 0 and np.isfinite(eps)):
        raise NnbpError(f"--eps: {eps} is not a positive finite step")
    if tolerance is not None and not (tolerance > 0 and np.isfinite(tolerance)):
        raise NnbpError(f"--tolerance: {tolerance} is not a positive finite number")
    dataset = load_dataset(config.dataset, config.validation_size, fetch=fetch)
    check_against_data(config, dataset, "config")
    rng = np.random.default_rng(config.seed)
    network = build_network(config, rng)  # drawn even for saved weights: the batch is the same either way
    if weights is not None:
        network = load_weights(weights)[0]
        check_fits(network, dataset, weights)
    idx = rng.permutation(len(dataset.train))[: config.mini_batch_size]
    X, Y = Batcher(dataset.train, dataset.scale, dataset.n_classes, np.dtype(np.float64)).gather(idx)
    total = sum(w.size + b.size for w, b in zip(network.weights, network.biases))
    if n_params is None and total > 5000:
        n_params = 2000
    with blas_threads(resolve(config.threads, network.sizes, len(idx))):
        result = gradcheck(network, X, Y, eps=eps, n_params=n_params, rng=rng, tolerance=tolerance or TOLERANCE)
    described = {"sizes": network.sizes, "activation": [s.name for s in network.sigmas], "cost": network.cost.name,
                 "dataset": dataset.name, "mini_batch_size": len(idx)}
    return result, described


def predict_files(weights: Path, sources: list[str], top: int = 3, raw: bool = False) -> tuple[list, str]:
    """What the saved network says about each example in `sources` (pictures, .npy, .npz, `-`), and
    what its scores are."""
    from nnbp.data.inputs import read_examples
    from nnbp.predict import predict, score_kind

    network, meta = load_weights(weights)
    examples = [example for source in sources for example in read_examples(source)]
    predictions = predict(network, examples, meta["input_scale"], meta.get("class_names"), top, raw,
                          meta.get("input_stats"))
    return predictions, score_kind(network)


def describe_weights(path: Path) -> dict:
    """What a weights file holds, for `nnbp info`: the network, how and on what it was trained, how well."""
    network, meta = load_weights(path)
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    checkpoint = meta.get("checkpoint") if isinstance(meta.get("checkpoint"), dict) else {}
    history = History.from_dict(checkpoint["history"], f"{path}: meta: checkpoint: history") \
        if "history" in checkpoint else None
    info = {
        "file": str(path), "nnbp": meta.get("nnbp"), "sizes": network.sizes,
        "activation": [s.name for s in network.sigmas], "cost": network.cost.name,
        "parameters": sum(w.size + b.size for w, b in zip(network.weights, network.biases)),
        "dtype": network.dtype.name, "dataset": config.get("dataset"), "class_names": meta.get("class_names"),
        "input_scale": meta["input_scale"], "config": config or None,
    }
    if history is not None and history.epochs:
        last, best = history.epochs[-1], history.best
        info.update(epochs=len(history.epochs), evaluated_on=history.evaluated_on, final_accuracy=last.accuracy,
                    best_epoch=best.epoch, best_accuracy=best.accuracy, test=history.test,
                    best_test=history.best_test, stopped=history.stopped)
    elif "epoch" in meta:  # best.npz: the network of one epoch
        info.update(epoch=meta["epoch"])
    return info
