"""nnbp/sklearn.py: the estimators pass scikit-learn's own conformance checks, work in its pipelines,
searches and cross-validation, train through nnbp's run service (partial_fit resumes it exactly),
and reproduce from random_state."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnbp.sklearn import NNBPClassifier, NNBPRegressor

pytestmark = pytest.mark.slow  # scikit-learn's suite trains some hundred small networks


@parametrize_with_checks([NNBPClassifier(), NNBPRegressor()])
def test_scikit_learns_own_estimator_checks(estimator, check):
    check(estimator)


def test_a_grid_search_over_two_hidden_sizes_and_two_etas_in_a_pipeline_on_iris():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(PCA(n_components=3), NNBPClassifier(epochs=20, random_state=0))
    search = GridSearchCV(
        pipeline,
        {"nnbpclassifier__hidden_layer_sizes": [(8,), (16,)], "nnbpclassifier__eta": [0.5, 3.0]},
        cv=3,
        n_jobs=2,
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.85
    assert search.predict(X[:3]).tolist() == [0, 0, 0]


def test_cross_validation_and_clones_reproduce_from_random_state():
    X, y = load_iris(return_X_y=True)
    model = NNBPClassifier(hidden_layer_sizes=(10,), epochs=10, random_state=3)
    first = cross_val_score(model, X, y, cv=3)
    again = cross_val_score(clone(model), X, y, cv=3)
    np.testing.assert_array_equal(first, again)
    assert first.mean() > 0.7
    assert clone(model).get_params() == model.get_params() and not hasattr(clone(model), "model_")


def test_the_same_random_state_gives_the_same_weights_and_another_other_weights():
    X, y = load_iris(return_X_y=True)
    a = NNBPClassifier(epochs=3, random_state=1).fit(X, y).model_.network.weights[0]
    b = NNBPClassifier(epochs=3, random_state=1).fit(X, y).model_.network.weights[0]
    c = NNBPClassifier(epochs=3, random_state=2).fit(X, y).model_.network.weights[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_partial_fit_resumes_the_run_exactly_as_one_fit_of_as_many_epochs():
    X, y = load_iris(return_X_y=True)
    whole = NNBPClassifier(epochs=3, random_state=0).fit(X, y)
    steps = NNBPClassifier(random_state=0)
    for _ in range(3):
        steps.partial_fit(X, y, classes=[0, 1, 2])
    assert steps.n_iter_ == 3 and len(steps.loss_curve_) == 3
    for w, v in zip(whole.model_.network.weights, steps.model_.network.weights):
        np.testing.assert_array_equal(w, v)
    with pytest.raises(ValueError, match="classes must be given to the first call of partial_fit"):
        NNBPClassifier().partial_fit(X, y)


def test_string_labels_any_width_and_a_held_out_validation_split():
    rng = np.random.default_rng(0)
    for width in (1, 50):
        X = rng.normal(size=(120, width))
        y = np.where(X[:, 0] > 0, "up", "down")
        model = NNBPClassifier(epochs=10, init="scaled", validation_size=20, random_state=0).fit(X, y)
        assert set(model.predict(X)) <= {"up", "down"} and model.score(X, y) > 0.9
        assert model.n_features_in_ == width and list(model.classes_) == ["down", "up"]
        assert len(model.validation_scores_) == 10 and 1 <= model.best_epoch_ <= 10


def test_a_regressor_on_diabetes_with_one_or_two_target_columns():
    X, y = load_diabetes(return_X_y=True)
    model = NNBPRegressor(
        hidden_layer_sizes=(32,), activation="relu", init="scaled", eta=0.01, epochs=60, random_state=0
    )
    assert model.fit(X, y).score(X, y) > 0.45 and model.predict(X).shape == (len(X),)
    two = np.column_stack([y, -2 * y + 5])
    model.fit(X, two)
    assert model.predict(X).shape == (len(X), 2) and model.score(X, two) > 0.45


def test_bad_parameters_are_value_errors_naming_the_key():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="eta"):
        NNBPClassifier(eta=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        NNBPClassifier(activation="softsign").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        NNBPClassifier().fit(X, np.zeros(len(X)))
