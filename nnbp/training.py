"""Mini-batch stochastic gradient descent over a dataset, and evaluation; reported through callbacks.

The trainer never prints or writes files: it calls `on_batch` and `on_epoch` and returns the
history. One `numpy.random.Generator` drives shuffling; it shuffles an index array, never the data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from nnbp.backprop import Gradient, Workspaces, backprop
from nnbp.data.dataset import Dataset, Split
from nnbp.data.expansion import Expansion, expand, side_of
from nnbp.diagnostics import Recorder
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.per_example import backprop_per_example
from nnbp.schedule import Controls
from nnbp.sgd import SGD, Adam, Momentum
from nnbp.system.memory import forward_chunk

Array = np.ndarray
PROBE_SIZE = 1_000  # examples in the fixed batch on which diagnostics measure δ and saturation
GATHER = 100  # examples gathered at once at least: a few small mini-batches share one gather's calls
ENGINES = ("matrix", "loop")  # the whole mini-batch at once (nnbp.backprop), or the chapter's loop (nnbp.per_example)
OPTIMIZERS = ("sgd", "adam")  # nnbp.sgd's SGD (or Momentum) and Adam


def gradient_of(engine: str, network: Network) -> Callable[..., Gradient]:
    """The function that gives Σ_x ∇C_x for a batch (X, Y), with dropout `masks` if given, with `engine`
    ("matrix" or "loop")."""
    if engine == "loop":
        return lambda X, Y, masks=None: backprop_per_example(network, X, Y, masks)
    workspaces = Workspaces(network)
    return lambda X, Y, masks=None: backprop(network, X, Y, workspaces, masks)


def dropout_masks(network: Network, dropout: tuple[float, ...], rng: np.random.Generator) -> list[Array | None]:
    """One mini-batch's dropout: for each hidden layer with p > 0, a column (n, 1) of 0 (the neuron is
    deleted, with probability p) or 1/(1 − p) (kept, and scaled so the expected output is unchanged)."""
    masks: list[Array | None] = []
    for n, p in zip(network.sizes[1:-1], dropout):
        masks.append((rng.random((n, 1)) >= p).astype(network.dtype) / (1 - p) if p else None)
    return masks + [None]  # the output layer keeps every neuron


@dataclass(frozen=True)
class Evaluation:
    """How a network does on one split: mean cost, and each example's label and predicted class."""

    cost: float
    labels: Array
    predictions: Array
    n_classes: int
    confidence: Array | None = None  # each example's output activation for its predicted class

    @property
    def correct(self) -> int:
        return int(np.count_nonzero(self.predictions == self.labels))

    @property
    def total(self) -> int:
        return len(self.labels)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    @property
    def confusion(self) -> Array:
        """(n_classes, n_classes) counts: row = true class, column = predicted class. Its memory grows
        with the square of the classes: for many, `confusions` lists the pairs that occur."""
        k = self.n_classes
        return np.bincount(self.labels * k + self.predictions, minlength=k * k).reshape(k, k)

    def confusions(self, limit: int | None = None) -> list[tuple[int, int, int]]:
        """(true class, predicted class, count) of the mistakes that occur, most frequent first (ties by
        class), at most `limit` of them; memory grows with the examples, not the classes."""
        wrong = self.predictions != self.labels
        pairs, counts = np.unique(self.labels[wrong] * self.n_classes + self.predictions[wrong], return_counts=True)
        order = np.argsort(-counts, kind="stable")[:limit]
        return [(int(pairs[i] // self.n_classes), int(pairs[i] % self.n_classes), int(counts[i])) for i in order]

    @property
    def per_class_accuracy(self) -> list[float | None]:
        """The share of each class's examples predicted right (None for a class with no example)."""
        counts = np.bincount(self.labels, minlength=self.n_classes)
        right = np.bincount(self.labels[self.predictions == self.labels], minlength=self.n_classes)
        return [float(r / c) if c else None for r, c in zip(right.tolist(), counts.tolist())]

    def to_dict(self) -> dict:
        """The summary figures (what history.json records)."""
        return {"cost": self.cost, "correct": self.correct, "total": self.total, "accuracy": self.accuracy}


@dataclass(frozen=True)
class EpochResult:
    """One epoch of training: figures on the watched split afterwards, the epoch's η and duration.

    Costs are the configured cost's mean over the split, without the L2 term; `l2_term` is that term,
    (λ/2n) Σ w², when λ > 0 (their sum is the regularised cost chapter 3 plots).
    """

    epoch: int
    cost: float
    correct: int | None  # a classification's figures; None for a regression
    total: int
    accuracy: float | None
    seconds: float
    eta: float
    training_cost: float | None = None  # with monitor_training: the same figures on the training data
    training_accuracy: float | None = None
    l2_term: float | None = None
    diagnostics: list[dict] | None = None  # per layer, when training records them
    mse: float | None = None  # a regression's figures, in the targets' own units (R²: 1 is perfect)
    mae: float | None = None
    r2: float | None = None

    @property
    def score(self) -> float:
        """What "better" means, higher is better: the accuracy, or for a regression minus the cost."""
        return self.accuracy if self.accuracy is not None else -self.cost

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class RegressionEvaluation:
    """How a network does on one split of a regression: the mean cost (in the standardised units it
    trains in), and, in the targets' own units, the mean squared and absolute errors and R² (one minus
    the squared error over the targets' variance, averaged over the target columns)."""

    cost: float
    predictions: Array  # (N, t), in the targets' own units
    targets: Array  # (N, t)

    @property
    def total(self) -> int:
        return len(self.targets)

    @property
    def mse(self) -> float:
        return float(np.mean((self.predictions - self.targets) ** 2))

    @property
    def mae(self) -> float:
        return float(np.mean(np.abs(self.predictions - self.targets)))

    @property
    def r2(self) -> float:
        residual = ((self.predictions - self.targets) ** 2).sum(axis=0)
        spread = ((self.targets - self.targets.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / np.where(spread > 0, spread, 1.0)))

    correct = accuracy = None  # a classification's figures

    def to_dict(self) -> dict:
        return {"cost": self.cost, "total": self.total, "mse": self.mse, "mae": self.mae, "r2": self.r2}


class Batcher:
    """Gathers examples of one split of `dataset` as X (n_0, m), scaled to floats, and Y (n_L, m): one-hot
    columns of the classes, or a regression's standardised targets.

    Only a batch becomes floating point, so the dataset stays as stored (uint8 images) in memory. The
    arrays are reused for every batch of the same size: a result is valid until the next call.
    """

    def __init__(self, dataset: Dataset, split: Split, dtype: np.dtype) -> None:
        self.split, self.dtype, self.n_outputs = split, np.dtype(dtype), dataset.n_classes
        self.shift, self.scale = dataset.shift, dataset.scale  # inputs = (stored − shift) × scale
        self.target_shift, self.target_scale = dataset.target_shift, dataset.target_scale
        self.regression = dataset.regression
        self._arrays: dict[int, tuple[Array, Array, Array, Array]] = {}

    def gather(self, idx: Array) -> tuple[Array, Array]:
        """X and Y for the examples `idx` (valid indices), columns in that order."""
        m = len(idx)
        if m not in self._arrays:
            if len(self._arrays) >= 3:  # a full gather, a last partial one, evaluation chunks
                self._arrays.clear()
            n_0 = self.split.images.shape[1]
            self._arrays[m] = (
                np.empty((m, n_0), self.split.images.dtype),
                np.empty((m, n_0), self.dtype),
                np.empty((m, *self.split.labels.shape[1:]), self.split.labels.dtype),
                np.empty((self.n_outputs, m), self.dtype),
            )
        stored, rows, labels, Y = self._arrays[m]
        np.take(self.split.images, idx, axis=0, out=stored, mode="clip")  # "clip" writes straight into out
        np.copyto(rows, stored)  # examples as rows, cast to floats (a cast-and-scale multiply is slower)
        if self.shift is not None:
            rows -= self.shift
        rows *= self.scale
        np.take(self.split.labels, idx, axis=0, out=labels, mode="clip")
        if self.regression:
            np.copyto(Y, ((labels - self.target_shift) * self.target_scale).T)
        else:
            Y.fill(0)
            Y[labels, np.arange(m)] = 1  # one-hot columns
        return rows.T, Y

    def batches(self, order: Array, m: int) -> Iterator[tuple[Array, Array]]:
        """X and Y of each mini-batch of m examples of `order` in turn (the last may be smaller).

        Small mini-batches are gathered several at once, at least GATHER examples, as a gather's
        numpy calls cost as much as converting dozens of examples; each X, Y is a view, valid until
        the next one is taken.
        """
        per_gather = m * -(-GATHER // m)  # whole mini-batches
        for start in range(0, len(order), per_gather):
            X, Y = self.gather(order[start : start + per_gather])
            for k in range(0, X.shape[1], m):
                yield X[:, k : k + m], Y[:, k : k + m]


def evaluate(network: Network, dataset: Dataset, split: Split) -> Evaluation | RegressionEvaluation:
    """Feed a whole split forward in chunks; the predicted class is the most active output neuron, a
    regression's values the outputs brought back to the targets' units."""
    batcher = Batcher(dataset, split, network.dtype)
    outputs = np.empty((len(split), dataset.n_classes)) if dataset.regression else None
    predictions = np.empty(len(split), dtype=np.intp)
    confidence = np.empty(len(split), dtype=network.dtype)
    cost = 0.0
    chunk = forward_chunk(network.sizes, network.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, len(split), chunk):
            idx = np.arange(start, min(start + chunk, len(split)))
            X, Y = batcher.gather(idx)
            Z, A = network.forward(X)
            cost += network.cost.fn(Z, A, Y)
            if outputs is not None:
                outputs[idx] = A.T / dataset.target_scale + dataset.target_shift
            else:
                predictions[idx] = A.argmax(axis=0)
                confidence[idx] = A.max(axis=0)
    if outputs is not None:
        return RegressionEvaluation(cost / len(split), outputs, split.labels)
    return Evaluation(cost / len(split), split.labels, predictions, dataset.n_classes, confidence)


def probe_batch(dataset: Dataset, dtype: np.dtype) -> tuple[Array, Array]:
    """X, Y of the fixed batch diagnostics probe: the first PROBE_SIZE training examples (copies)."""
    batcher = Batcher(dataset, dataset.train, dtype)
    X, Y = batcher.gather(np.arange(min(PROBE_SIZE, len(dataset.train))))
    return X.copy(), Y.copy()


def evaluated_on(dataset: Dataset) -> Split:
    """The split watched during training: validation when there is one, so the test set stays unseen."""
    return dataset.validation if dataset.validation is not None else dataset.test


class Diverged(NnbpError):
    """Training produced a NaN or infinite weight, bias or cost."""

    def __init__(self, epoch: int, batch: int | None, eta: float, kept: str | None = None) -> None:
        where = f"epoch {epoch}" + (f", mini-batch {batch}" if batch is not None else "")
        super().__init__(
            f"training diverged in {where}: a weight, bias or the cost became NaN or infinite; "
            f"try a smaller eta than {eta:g}" + (f"; {kept}" if kept else "")
        )
        self.epoch, self.batch, self.eta = epoch, batch, eta


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
    optimizer: SGD | Momentum | Adam | None = None,
    lmbda: float = 0.0,
    dropout: tuple[float, ...] = (),
    expansion: Expansion | None = None,
    controls: Controls | None = None,
    monitor_training: bool = False,
    first_epoch: int = 1,
    diagnostics: bool = False,
    on_batch: Callable[[int], None] | None = None,
    on_epoch: Callable[[EpochResult], None] | None = None,
) -> list[EpochResult]:
    """Train `network` in place by SGD for epochs `first_epoch` … `epochs`; after each, evaluate on the
    validation split if the dataset has one, else on the test split (`evaluated_on` says which).

    `optimizer` takes each step (`nnbp.sgd`: SGD, Momentum or Adam, with any state they keep; default
    plain SGD with L2 `lmbda`); `lmbda` > 0 also reports the L2 term (λ/2n) Σ w² each epoch.
    `dropout` gives each hidden layer's probability of deleting a neuron for a mini-batch, and
    `expansion` shifts, rotates or distorts each training image of each mini-batch (chapter 3); both
    draw from `rng`, which also shuffles each epoch.
    `controls` (chapter 3's η schedule and early stopping) set each epoch's η and may stop training
    early (`controls.stopped` says why); without them η stays `eta`. `monitor_training` adds each
    epoch's cost and accuracy on the training data.
    The last mini-batch of an epoch may be smaller; its step divides by its real size.
    `on_batch(m)` is called after each mini-batch of m examples, `on_epoch(result)` after each epoch;
    an exception raised by either stops training between two steps, never inside one.
    `diagnostics` adds per-layer figures to each epoch's result (`nnbp.diagnostics`); recording
    them reads the gradients and never changes training.
    Raises `Diverged` after the mini-batch whose step made an output bias NaN or infinite, or their
    sum overflow (a NaN anywhere reaches δ^L, hence b^L, within a step or two), or after an epoch that
    left any parameter or the cost non-finite. Numpy's overflow warnings are silenced meanwhile: this
    check reports them, once.
    """
    n = len(dataset.train)
    gradient = gradient_of(engine, network)
    optimizer = optimizer or SGD(lmbda, n)
    dropping = any(dropout)
    side = side_of(network.sizes[0])
    batcher = Batcher(dataset, dataset.train, network.dtype)
    recorder = Recorder(network, *probe_batch(dataset, network.dtype)) if diagnostics else None
    history = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(first_epoch, epochs + 1):
            epoch_eta = controls.eta if controls is not None else eta
            start = time.perf_counter()
            order = rng.permutation(n)
            for batch, (X, Y) in enumerate(batcher.batches(order, mini_batch_size), 1):
                m = X.shape[1]
                masks = dropout_masks(network, dropout, rng) if dropping else None
                if expansion is not None:  # each column an image of side × side; changed where it lies
                    images = X.T.reshape(m, side, side)
                    images[...] = expand(images, expansion, rng)
                nabla = gradient(X, Y, masks)
                if recorder is not None:
                    recorder.record_step(nabla, m, masks)
                optimizer.step(network, nabla, epoch_eta, m)
                if not math.isfinite(network.biases[-1].sum()):  # a NaN or inf in b^L, or b^L past all bounds
                    raise Diverged(epoch, batch, epoch_eta)
                if on_batch is not None:
                    on_batch(m)
            seconds = time.perf_counter() - start
            ev = evaluate(network, dataset, evaluated_on(dataset))
            if not (finite(network) and np.isfinite(ev.cost)):
                raise Diverged(epoch, None, epoch_eta)
            on_train = evaluate(network, dataset, dataset.train) if monitor_training else None
            result = EpochResult(
                epoch,
                ev.cost,
                ev.correct,
                ev.total,
                ev.accuracy,
                seconds,
                epoch_eta,
                training_cost=on_train.cost if on_train else None,
                training_accuracy=on_train.accuracy if on_train else None,
                l2_term=l2_term(network, lmbda, n) if lmbda else None,
                diagnostics=None if recorder is None else [d.to_dict() for d in recorder.end_epoch()],
                **({"mse": ev.mse, "mae": ev.mae, "r2": ev.r2} if dataset.regression else {}),
            )
            history.append(result)
            stop = controls.update(epoch, result.score) if controls is not None else None
            if on_epoch is not None:
                on_epoch(result)
            if stop:
                break
    return history


def l2_term(network: Network, lmbda: float, n: int) -> float:
    """Chapter 3's regularisation term of the cost, (λ/2n) Σ w² over every weight (not the biases)."""
    return lmbda / (2 * n) * sum(float(np.vdot(w, w)) for w in network.weights)
