"""scikit-learn estimators that train with nnbp: `NNBPClassifier` and `NNBPRegressor`.

    from nnbp.sklearn import NNBPClassifier
    from sklearn.pipeline import make_pipeline
    model = NNBPClassifier(hidden_layer_sizes=(30,), eta=0.5, cost="cross-entropy", random_state=0)
    model.fit(X_train, y_train).score(X_test, y_test)

Their parameters are nnbp's config keys (`hidden_layer_sizes` stands for `sizes`, whose first and last
entries the data decide; `random_state` for `seed`). `fit` trains through nnbp's one training service
(`nnbp.run.train`, as `nnbp train` does) in a temporary run folder, and keeps the run's checkpoint, so
`partial_fit` resumes it for one more epoch exactly as `nnbp train --resume` would. Features are scaled
as `scale` says, fitted on the training rows, and the scaling travels with the network (`model_`, an
`nnbp.Model`; `export` writes it as ONNX). Needs the `nnbp[sklearn]` extra.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from nnbp.config import TrainConfig, build_config
from nnbp.data.dataset import Split
from nnbp.data.tables import Scaling, Table, rows_dataset
from nnbp.errors import NnbpError
from nnbp.model import Model
from nnbp.run import History
from nnbp.run import train as train_run
from nnbp.run.weights import load_model

SEEDS = 2**31 - 1  # a seed drawn from a RandomState (or None) is below this


class _NNBPEstimator(BaseEstimator):
    """What both estimators share: the parameters, the run, the checks on X."""

    _regression = False
    _output_activation: str | None = None  # the output layer's activation when `activation` is one name

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (30,),
        *,
        eta: float = 3.0,
        epochs: int = 30,
        mini_batch_size: int = 10,
        activation: str | Sequence[str] = "sigmoid",
        cost: str = "quadratic",
        init: str = "normal",
        lmbda: float = 0.0,
        momentum: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        optimizer: str = "sgd",
        betas: Sequence[float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        eta_schedule: dict | None = None,
        early_stopping: int | None = None,
        validation_size: int = 0,
        scale: str = "standard",
        dtype: str = "float64",
        engine: str = "matrix",
        threads: str | int = "auto",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.eta = eta
        self.epochs = epochs
        self.mini_batch_size = mini_batch_size
        self.activation = activation
        self.cost = cost
        self.init = init
        self.lmbda = lmbda
        self.momentum = momentum
        self.dropout = dropout
        self.optimizer = optimizer
        self.betas = betas
        self.epsilon = epsilon
        self.eta_schedule = eta_schedule
        self.early_stopping = early_stopping
        self.validation_size = validation_size
        self.scale = scale
        self.dtype = dtype
        self.engine = engine
        self.threads = threads
        self.random_state = random_state

    # --- the config and the data --------------------------------------------------------------

    def _config(self, n_features: int, n_outputs: int, n_rows: int, epochs: int, incremental: bool) -> TrainConfig:
        """The nnbp config these parameters make for data of this shape (errors as ValueError)."""
        hidden = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, int) else self.hidden_layer_sizes
        activation: Any = self.activation
        if isinstance(activation, str) and self._output_activation is not None:
            activation = [activation] * len(hidden) + [self._output_activation]
        seed = self.random_state
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            seed = int(check_random_state(seed).randint(SEEDS))
        values = {
            "sizes": [n_features, *hidden, n_outputs],
            "eta": self.eta,
            "epochs": epochs,
            "mini_batch_size": min(self.mini_batch_size, n_rows),  # as scikit-learn's MLP clips batch_size
            "activation": activation,
            "cost": self.cost,
            "init": self.init,
            "lmbda": self.lmbda,
            "momentum": self.momentum,
            "dropout": self.dropout,
            "optimizer": self.optimizer,
            "betas": self.betas,
            "epsilon": self.epsilon,
            "eta_schedule": None if incremental else self.eta_schedule,
            "early_stopping": None if incremental else self.early_stopping,
            "validation_size": 0 if incremental else self.validation_size,
            "monitor_training": bool(self.validation_size) and not incremental,
            "scale": self.scale,
            "task": "regression" if self._regression else "classification",
            "dtype": self.dtype,
            "engine": self.engine,
            "threads": self.threads,
            "seed": int(seed),
            "dataset": "arrays.csv",
            "output": "unused",
        }
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if v is not None}
        try:
            return build_config(plain, {}, type(self).__name__)
        except NnbpError as e:
            raise ValueError(str(e)) from None

    def _table(self, X: np.ndarray, y: np.ndarray) -> Table:
        """X and y (class indices, or values (N, t)) as the table nnbp's training service takes."""
        names = tuple(str(n) for n in getattr(self, "feature_names_in_", [f"x{k}" for k in range(X.shape[1])]))
        if self._regression:
            return Table("arrays", X, names, tuple(f"y{k}" for k in range(y.shape[1])), targets=y)
        return Table("arrays", X, names, ("y",), labels=y, classes=tuple(str(c) for c in self.classes_))

    def _train(self, X: np.ndarray, y: np.ndarray, epochs: int, incremental: bool) -> None:
        """Train on X, y through the run service: a new run, or (incremental, fitted) the kept one resumed."""
        table = self._table(X, y)
        resume = incremental and hasattr(self, "checkpoint_")
        config = self._config(X.shape[1], self._n_outputs, len(X), epochs, incremental)
        train, test = Split(X, y), Split(X, y)  # the training rows are the "test": the loss curve
        if config.validation_size:  # the held-out rows are drawn by the seed, not the last ones given
            order = np.random.default_rng(config.seed).permutation(len(X))
            train = Split(X[order], y[order])
        data = rows_dataset(
            "arrays",
            table,
            train,
            test,
            validation_size=config.validation_size,
            scale=self.scale,
            scaling=self._scaling if resume else None,
        )
        with tempfile.TemporaryDirectory(prefix="nnbp-") as folder:
            run = Path(folder) / "run"
            try:
                if resume:
                    run.mkdir()
                    (run / "weights.npz").write_bytes(self.checkpoint_)
                    history = train_run(resume=run, epochs=self.n_iter_ + epochs, dataset=data)
                else:
                    history = train_run(config, dataset=data, at=run, force=True, source=type(self).__name__)
            except NnbpError as e:
                raise ValueError(str(e).replace(str(run), "the run")) from None
            keep = run / ("best.npz" if config.validation_size and (run / "best.npz").is_file() else "weights.npz")
            self.model_: Model = load_model(keep)
            self.checkpoint_: bytes = (run / "weights.npz").read_bytes()
        self._scaling = Scaling(data.scaling, data.shift, data.scale, data.target_shift, data.target_scale)
        self.history_: History = history
        self.n_iter_: int = len(history.epochs)
        self.loss_curve_: list[float] = [
            e.training_cost if e.training_cost is not None else e.cost for e in history.epochs
        ]
        if config.validation_size:
            self.validation_scores_: list[float] = [e.accuracy if e.r2 is None else e.r2 for e in history.epochs]
            self.best_epoch_: int = history.best.epoch

    def _inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, dtype=np.float64)

    # --- what both expose -----------------------------------------------------------------------

    def export(self, path: str | Path, format: str = "onnx") -> Path:
        """Write the fitted network with its scaling (and class names) as `format` (onnx) to `path`."""
        check_is_fitted(self, "model_")
        from nnbp.export import export

        try:
            return export(self.model_, Path(path), format)
        except NnbpError as e:
            raise ValueError(str(e)) from None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False  # the same random_state, the same weights
        return tags


class NNBPClassifier(ClassifierMixin, _NNBPEstimator):
    """A fully-connected network trained by nnbp's backpropagation, as a scikit-learn classifier.

    Defaults are nnbp's (the book's chapter 1 run): sigmoid neurons, the quadratic cost, η = 3.0,
    mini-batches of 10, 30 epochs; `cost="log-likelihood"` with `activation=["relu", "softmax"]` (one
    per layer) gives a softmax classifier. Classes may be any labels; `predict` returns them.

    Fitted attributes: `classes_`, `n_features_in_`, `feature_names_in_` (from a DataFrame),
    `model_` (the `nnbp.Model`), `history_` (the run's `nnbp.History`), `loss_curve_` (the training
    rows' cost after each epoch), `validation_scores_` and `best_epoch_` (with `validation_size`; the
    kept network is the best epoch's), `n_iter_` (epochs trained), `checkpoint_` (the run's weights.npz).
    """

    def fit(self, X: Any, y: Any) -> NNBPClassifier:
        """Train a new network on X (n_samples, n_features) and y (n_samples,) for `epochs` epochs."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; y holds one class")
        self._n_outputs = len(self.classes_)
        self._train(X, labels.astype(np.intp), self.epochs, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NNBPClassifier:
        """Train one more epoch on X, y (the first call starts the run, and needs every class in
        `classes`); no early stopping or η schedule applies."""
        first = not hasattr(self, "checkpoint_")
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be given to the first call of partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            self._n_outputs = len(self.classes_)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"y holds {unknown[0]!r}, which is not one of the classes {list(self.classes_)}")
        self._train(X, np.searchsorted(self.classes_, y).astype(np.intp), 1, incremental=True)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Each row's score for each class (n_samples, n_classes), in the order of `classes_`."""
        X = self._inputs(X)
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """Each row's class: the label with the highest output activation."""
        X = self._inputs(X)
        return self.classes_[self.model_.outputs(X).argmax(axis=0)]


class NNBPRegressor(RegressorMixin, _NNBPEstimator):
    """A fully-connected network trained by nnbp's backpropagation, as a scikit-learn regressor.

    A linear output layer (one neuron per target column) with the quadratic cost; `activation` names
    the hidden layers' (or gives one per layer, the last `linear`). The targets are standardised on the
    training rows for training, and `predict` returns values in their own units. Defaults as
    `NNBPClassifier`'s, except η = 0.1: a linear output takes smaller steps than the book's sigmoids.
    Fitted attributes as `NNBPClassifier`'s, without `classes_`.
    """

    _regression = True
    _output_activation = "linear"

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (30,),
        *,
        eta: float = 0.1,
        epochs: int = 30,
        mini_batch_size: int = 10,
        activation: str | Sequence[str] = "sigmoid",
        cost: str = "quadratic",
        init: str = "normal",
        lmbda: float = 0.0,
        momentum: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        optimizer: str = "sgd",
        betas: Sequence[float] = (0.9, 0.999),
        epsilon: float = 1e-8,
        eta_schedule: dict | None = None,
        early_stopping: int | None = None,
        validation_size: int = 0,
        scale: str = "standard",
        dtype: str = "float64",
        engine: str = "matrix",
        threads: str | int = "auto",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            eta=eta,
            epochs=epochs,
            mini_batch_size=mini_batch_size,
            activation=activation,
            cost=cost,
            init=init,
            lmbda=lmbda,
            momentum=momentum,
            dropout=dropout,
            optimizer=optimizer,
            betas=betas,
            epsilon=epsilon,
            eta_schedule=eta_schedule,
            early_stopping=early_stopping,
            validation_size=validation_size,
            scale=scale,
            dtype=dtype,
            engine=engine,
            threads=threads,
            random_state=random_state,
        )

    def fit(self, X: Any, y: Any) -> NNBPRegressor:
        """Train a new network on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        self._train(X, self._targets(y), self.epochs, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> NNBPRegressor:
        """Train one more epoch on X, y (the first call starts the run, its standardisation fitted on
        these rows); no early stopping or η schedule applies."""
        first = not hasattr(self, "checkpoint_")
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=first)
        targets = self._targets(y, first)
        self._train(X, targets, 1, incremental=True)
        return self

    def _targets(self, y: np.ndarray, reset: bool = True) -> np.ndarray:
        """y as (n_samples, n_targets), remembering whether it came as one column."""
        targets = y.reshape(len(y), -1).astype(np.float64)
        if reset:
            self._y_columns = y.ndim == 2
            self._n_outputs = targets.shape[1]
        elif targets.shape[1] != self._n_outputs:
            raise ValueError(f"y has {targets.shape[1]} target columns; the regressor was fitted on {self._n_outputs}")
        return targets

    def predict(self, X: Any) -> np.ndarray:
        """Values in the targets' units: (n_samples,) for a 1-D y, else (n_samples, n_targets)."""
        X = self._inputs(X)
        values = self.model_.predict(X)
        return values.reshape(len(values), -1) if self._y_columns else values.reshape(len(values))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
