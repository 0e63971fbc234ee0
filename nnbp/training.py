"""Mini-batch stochastic gradient descent over a dataset, reported through callbacks.

The trainer never prints or writes files: it calls `on_batch` and `on_epoch` and returns the
history. One `numpy.random.Generator` drives shuffling; it shuffles an index array, never the data.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import numpy as np

from nnbp.backprop import ENGINES, sgd_step
from nnbp.dataset import Dataset, Split
from nnbp.diagnostics import Recorder
from nnbp.errors import NnbpError
from nnbp.network import Network

Array = np.ndarray
PROBE_SIZE = 1_000  # examples in the fixed batch on which diagnostics measure saturation
GATHER_BYTES = 1 << 19  # training gathers mini-batches in groups of about this many bytes of floats
GATHER_MAX_BYTES = 1 << 22  # ... and of at least three mini-batches, up to this many bytes
EVAL_CHUNK = 2_000  # columns per forward pass when evaluating, so evaluation never sets the memory peak


@dataclass(frozen=True)
class Evaluation:
    """How the network does on one split: mean cost, correct count, and each example's prediction."""

    cost: float
    correct: int
    total: int
    predictions: Array

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    def to_dict(self) -> dict:
        """The figures, without the predictions."""
        return {"cost": self.cost, "correct": self.correct, "total": self.total, "accuracy": self.accuracy}


@dataclass(frozen=True)
class EpochResult:
    """One line of `history.json`: figures on the watched split after an epoch of training."""

    epoch: int
    cost: float
    correct: int
    total: int
    accuracy: float
    seconds: float
    diagnostics: list[dict] | None = None  # per layer, when training records them

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["diagnostics"] is None:
            del d["diagnostics"]
        return d


class Batcher:
    """Gathers examples of one split as X (n_inputs, m), scaled to floats, and one-hot Y (n_classes, m).

    Only the batch is converted to floating point, so the dataset stays compact in memory. The
    arrays are reused from one batch to the next of the same size (a fresh multi-megabyte array per
    batch costs page faults that show at large batch sizes): a result is valid until the next call.
    """

    def __init__(self, split: Split, scale: float, n_classes: int, dtype: np.dtype) -> None:
        self.split, self.scale, self.dtype = split, scale, np.dtype(dtype)
        self.targets = np.eye(n_classes, dtype=dtype)  # column k: the one-hot target of class k
        self._buffers: dict[int, tuple[Array, Array, Array, Array]] = {}

    def gather(self, idx: Array) -> tuple[Array, Array]:
        """X and Y for the examples `idx` (valid indices), columns in that order."""
        m = len(idx)
        buffers = self._buffers.get(m)
        if buffers is None:
            if len(self._buffers) >= 4:  # a full batch, a last partial one, evaluation chunks
                self._buffers.clear()
            n_inputs = self.split.images.shape[1]
            buffers = self._buffers[m] = (
                np.empty((m, n_inputs), self.split.images.dtype),
                np.empty((m, n_inputs), self.dtype),
                np.empty(m, self.split.labels.dtype),
                np.empty((len(self.targets), m), self.dtype),
            )
        rows, X, labels, Y = buffers
        # mode="clip" lets take write straight into `out` ("raise" copies through a buffer)
        np.take(self.split.images, idx, axis=0, out=rows, mode="clip")  # whole rows: cheap to gather
        np.copyto(X, rows)  # (m, n_inputs), cast to floats: faster than a multiply that casts
        X *= self.scale
        np.take(self.split.labels, idx, out=labels, mode="clip")
        np.take(self.targets, labels, axis=1, out=Y, mode="clip")
        return X.T, Y

    def batches(self, order: Array, m: int) -> Iterator[tuple[Array, Array]]:
        """X and Y of each mini-batch of m examples of `order` in turn (the last may be smaller).

        Several mini-batches are gathered at once: at small m the calls of a gather cost as much as
        the arithmetic of a step, so a gather fills about GATHER_BYTES. It also takes at least three
        mini-batches (up to GATHER_MAX_BYTES): the array a gather writes was read by the other core's
        BLAS thread in the last step, and writing it again straight away waits on that core's cache
        (converting a batch of 100 into it took 62–230 µs, into untouched memory 15–28 µs).
        Each X, Y is a view of the shared arrays, valid until the next one is taken.
        """
        batch_bytes = m * self.split.images.shape[1] * self.dtype.itemsize
        group_bytes = min(max(3 * batch_bytes, GATHER_BYTES), GATHER_MAX_BYTES)
        per_gather = m * max(1, group_bytes // batch_bytes)
        for start in range(0, len(order), per_gather):
            X, Y = self.gather(order[start : start + per_gather])
            for k in range(0, X.shape[1], m):
                yield X[:, k : k + m], Y[:, k : k + m]


def evaluate(network: Network, dataset: Dataset, split: Split) -> Evaluation:
    """Feed a whole split forward in chunks; the predicted class is the most active output neuron."""
    batcher = Batcher(split, dataset.scale, dataset.n_classes, network.dtype)
    predictions = np.empty(len(split), dtype=np.intp)
    cost = 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, len(split), EVAL_CHUNK):
            idx = np.arange(start, min(start + EVAL_CHUNK, len(split)))
            X, Y = batcher.gather(idx)
            Z, A = network.forward(X)
            cost += network.cost.fn(Z, A, Y)
            predictions[idx] = A.argmax(axis=0)
    correct = int(np.count_nonzero(predictions == split.labels))
    return Evaluation(cost / len(split), correct, len(split), predictions)


def evaluated_on(dataset: Dataset) -> Split:
    """The split watched during training: validation when there is one, so the test set stays unseen."""
    return dataset.validation if dataset.validation is not None else dataset.test


def probe_batch(dataset: Dataset, dtype: np.dtype) -> Array:
    """The fixed batch diagnostics measure saturation on: the first PROBE_SIZE training examples."""
    batcher = Batcher(dataset.train, dataset.scale, dataset.n_classes, dtype)
    X, _ = batcher.gather(np.arange(min(PROBE_SIZE, len(dataset.train))))
    return X.copy()


class Diverged(NnbpError):
    """Training produced a NaN or infinite weight, bias or cost."""

    def __init__(self, epoch: int, batch: int | None, eta: float) -> None:
        where = f"epoch {epoch}" + (f", mini-batch {batch}" if batch is not None else "")
        super().__init__(
            f"training diverged in {where}: a weight, bias or the cost became NaN or infinite; "
            f"try a smaller eta than {eta:g}"
        )
        self.epoch, self.batch = epoch, batch


def finite(network: Network) -> bool:
    """Whether every weight and bias is a finite number."""
    return all(np.isfinite(p).all() for p in network.weights + network.biases)


def train(
    network: Network,
    dataset: Dataset,
    *,
    epochs: int,
    mini_batch_size: int,
    eta: float,
    rng: np.random.Generator,
    engine: str = "matrix",
    lmbda: float = 0.0,
    first_epoch: int = 1,
    diagnostics: bool = False,
    on_batch: Callable[[int], None] | None = None,
    on_epoch: Callable[[EpochResult], None] | None = None,
) -> list[EpochResult]:
    """Train `network` in place by SGD for epochs `first_epoch` … `epochs`; after each, evaluate on the
    validation split if the dataset has one, else on the test split (`evaluated_on` says which).

    `lmbda` > 0 adds L2 regularisation (λ/2n) Σ w² over the n training examples (chapter 3).
    `on_batch(m)` is called after each mini-batch of m examples, `on_epoch(result)` after each epoch;
    an exception raised by either stops training between two steps, never inside one.
    `diagnostics` adds per-layer figures to each epoch's result (see `nnbp.diagnostics`), taken from
    the steps themselves and from a fixed probe batch (the first PROBE_SIZE training examples);
    they read the training arrays and never change them.
    The last mini-batch of an epoch may be smaller; its step divides by its real size.
    Raises `Diverged` at the end of the mini-batch whose step made the output biases NaN or infinite
    (a NaN anywhere reaches δ^L, hence b^L, within a step or two), or at the end of an epoch that left
    any parameter or the cost non-finite. Numpy's overflow warnings are silenced meanwhile: this
    check is what reports them, once.
    """
    engine_ = ENGINES[engine](network, track_deltas=diagnostics)
    batcher = Batcher(dataset.train, dataset.scale, dataset.n_classes, network.dtype)
    n = len(dataset.train)
    recorder = Recorder(engine_, probe_batch(dataset, network.dtype)) if diagnostics else None
    history = []
    output_biases = network.biases[-1].reshape(-1)  # a view: the steps update it in place
    ones = np.ones_like(output_biases)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(first_epoch, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(n)
            for batch, (X, Y) in enumerate(batcher.batches(order, mini_batch_size), 1):
                sgd_step(engine_, X, Y, eta, lmbda, n)
                # NaN or inf in any b^L: Σ_j b^L_j as one dot product, a third of .sum()'s cost
                if not math.isfinite(output_biases.dot(ones)):
                    raise Diverged(epoch, batch, eta)
                if recorder is not None:
                    recorder.record_step(eta, X.shape[1])
                if on_batch is not None:
                    on_batch(X.shape[1])
            seconds = time.perf_counter() - start
            ev = evaluate(network, dataset, evaluated_on(dataset))
            if not (finite(network) and np.isfinite(ev.cost)):
                raise Diverged(epoch, None, eta)
            layers = None if recorder is None else [d.to_dict() for d in recorder.end_epoch()]
            result = EpochResult(epoch, ev.cost, ev.correct, ev.total, ev.accuracy, seconds, layers)
            history.append(result)
            if on_epoch is not None:
                on_epoch(result)
    return history
