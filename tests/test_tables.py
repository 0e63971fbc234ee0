"""Your own data: tables from CSV and TSV (gzipped too), classes from labels, regression, and the scaling
fitted on the training rows that travels with the model into eval, predict and the Python API."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

import nnbp
from helpers import cli_runner
from nnbp.cli import main
from nnbp.data import load_dataset
from nnbp.data.tables import read_table
from nnbp.errors import NnbpError
from nnbp.training import Batcher


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def measurements(path: Path, n: int = 300, seed: int = 0, kind: str = "classes") -> Path:
    """A table of n rows: x1, x2 on different scales and an id column; the target `kind` says."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(50, 10, n), rng.normal(0, 0.01, n)
    lines = ["id,x1,x2,y"]
    for i in range(n):
        if kind == "classes":
            y = "big" if x1[i] / 10 + x2[i] * 100 > 5 else "small"
        else:
            y = f"{3 * x1[i] - 200 * x2[i] + 7:.4f}"
        lines.append(f"{i},{x1[i]:.5f},{x2[i]:.7f},{y}")
    return write(path, "\n".join(lines) + "\n")


# --- reading -----------------------------------------------------------------------------------------


def test_text_labels_become_sorted_classes_and_numbers_features(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n"))
    assert table.classes == ("cat", "dog") and table.labels.tolist() == [1, 0, 1]
    assert table.features.tolist() == [[1, 2], [3, 4], [5, 6]] and table.feature_names == ("a", "b")


def test_whole_numbers_are_classes_and_decimals_are_values(tmp_path):
    whole = read_table(write(tmp_path / "w.csv", "a,y\n1,10\n2,2\n3,10\n"))
    assert whole.classes == ("2", "10") and whole.labels.tolist() == [1, 0, 1]  # sorted as numbers
    values = read_table(write(tmp_path / "v.csv", "a,y\n1,1.5\n2,2.0\n"))
    assert values.classes is None and values.targets.tolist() == [[1.5], [2.0]]
    both = read_table(write(tmp_path / "m.csv", "a,y,z\n1,2,3\n4,5,6\n"), target=["y", "z"])
    assert both.targets.tolist() == [[2, 3], [5, 6]] and both.feature_names == ("a",)
    forced = read_table(tmp_path / "w.csv", task="regression")
    assert forced.targets.tolist() == [[10], [2], [10]]


def test_tsv_gzip_quotes_and_column_choice(tmp_path):
    with gzip.open(tmp_path / "t.tsv.gz", "wt") as f:
        f.write('name\t"size, cm"\tweight\tlabel\nA\t1.5\t3\tx\nB\t2.5\t4\ty\n')
    table = read_table(tmp_path / "t.tsv.gz", target="label", features=["weight", "size, cm"])
    assert table.features.tolist() == [[3, 1.5], [4, 2.5]] and table.classes == ("x", "y")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b,y\n1,2,c\n3,x,d\n", "t.csv: line 3, column 'b': 'x' is not a number"),
        ("a,b,y\n1,,c\n3,4,d\n", "t.csv: line 2, column 'b': a missing value"),
        ("a,b,y\n1,2,c\n3,4\n", "t.csv: line 3 has 2 fields where the header has 3"),
        ("a,b,y\n1,2,c,9\n3,4,d\n", "t.csv: line 2 has 4 fields where the header has 3"),
        ("a,b,y\n1,nan,c\n3,4,d\n", "t.csv: line 2, column 'b': a missing or infinite value"),
        ("a,b,y\n1,2,c\n3,4,c\n", "t.csv: target 'y' holds one class ('c'); a classifier needs at least 2"),
        ("a,a,y\n1,2,c\n", "t.csv: line 1: the column 'a' is named twice"),
        ("a,b,y\n", "t.csv: has a header but no rows"),
        ("", "t.csv: has no header row naming its columns"),
    ],
)
def test_defects_are_named_by_file_line_and_column(tmp_path, text, message):
    with pytest.raises(NnbpError) as refused:
        read_table(write(tmp_path / "t.csv", text))
    assert message in str(refused.value)


def test_unknown_columns_and_a_regression_target_with_a_gap(tmp_path):
    path = write(tmp_path / "t.csv", "a,b,y\n1,2,0.5\n3,4,nan\n")
    with pytest.raises(NnbpError, match="has no column 'weight'; its columns are a, b, y"):
        read_table(path, target="weight")
    with pytest.raises(NnbpError, match="line 3, column 'y': a missing or infinite value"):
        read_table(path)
    with pytest.raises(NnbpError, match="'a' is both a feature and the target"):
        read_table(path, target="a", features=["a", "b"])


# --- as a dataset: splits and scaling ------------------------------------------------------------------


def test_the_test_rows_are_drawn_by_the_seed_and_scaling_is_fitted_on_the_training_rows(tmp_path):
    path = measurements(tmp_path / "m.csv")
    a = load_dataset(str(path), target="y", features=["x1", "x2"], test_size=0.25, seed=1)
    b = load_dataset(str(path), target="y", features=["x1", "x2"], test_size=0.25, seed=1)
    c = load_dataset(str(path), target="y", features=["x1", "x2"], test_size=0.25, seed=2)
    assert len(a.test) == 75 and len(a.train) == 225 and np.array_equal(a.test.images, b.test.images)
    assert not np.array_equal(a.test.images, c.test.images)
    X, _ = Batcher(a, a.train, np.float64).gather(np.arange(len(a.train)))
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)  # standard: each feature mean 0, sd 1 ...
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-12)  # ... on the training rows
    T, _ = Batcher(a, a.test, np.float64).gather(np.arange(len(a.test)))
    assert abs(T.mean(axis=1)).max() > 1e-3  # the test rows are scaled with the training rows' figures
    m = load_dataset(str(path), target="y", features=["x1", "x2"], scale="minmax")
    X, _ = Batcher(m, m.train, np.float64).gather(np.arange(len(m.train)))
    assert X.min() == pytest.approx(0) and X.max() == pytest.approx(1)


def test_a_test_file_a_validation_hold_out_and_classes_numbered_alike(tmp_path):
    train = write(tmp_path / "train.csv", "a,y\n1,x\n2,y\n3,x\n4,y\n5,x\n")
    test = write(tmp_path / "test.csv", "a,y\n9,y\n8,y\n")
    data = load_dataset(str(train), validation_size=1, test=str(test))
    assert len(data.train) == 4 and len(data.validation) == 1 and data.test.labels.tolist() == [1, 1]
    write(tmp_path / "bad.csv", "a,y\n9,z\n")
    with pytest.raises(NnbpError, match="holds the class 'z', which the training file does not"):
        load_dataset(str(train), test=str(tmp_path / "bad.csv"))


def test_table_keys_on_images_and_image_settings_on_tables_are_refused(tmp_path):
    with pytest.raises(NnbpError, match="target: applies to tables"):
        load_dataset("mnist-sample", target="y")
    with pytest.raises(NnbpError, match="scale: standard applies to tables"):
        load_dataset("mnist-sample", scale="standard")
    config = nnbp.TrainConfig(dataset=str(measurements(tmp_path / "m.csv")), sizes=(3, 4, 2), expand={"shift": 1})
    with pytest.raises(NnbpError, match="not a dataset of square images"):
        nnbp.train(config)


# --- training, eval, predict, the Python API ----------------------------------------------------------


def test_a_classifier_of_a_table_trains_and_predicts_rows_found_by_name(tmp_path):
    path = measurements(tmp_path / "m.csv")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"dataset: {path}\nfeatures: [x1, x2]\nsizes: [2, 8, 2]\nactivation: [tanh, softmax]\n"
        "cost: log-likelihood\ninit: scaled\neta: 0.2\nepochs: 30\nmini_batch_size: 10\n"
        f"output: {tmp_path / 'run'}\n"
    )
    runner = cli_runner()
    trained = runner.invoke(main, ["train", str(config)])
    assert trained.exit_code == 0, trained.stderr
    assert "predicting y as 2 classes" in trained.stderr
    assert json.loads((tmp_path / "run" / "history.json").read_text())["test"]["accuracy"] > 0.9
    rows = write(tmp_path / "rows.csv", "x2,note,x1\n0.001,a,80\n-0.002,b,20\n")  # other order, extra column
    predicted = runner.invoke(main, ["predict", str(tmp_path / "run" / "best.npz"), str(rows), "--top", "1"])
    assert predicted.exit_code == 0, predicted.stderr
    assert predicted.stdout.splitlines()[0] == "row,class,score"
    assert [line.split(",")[1] for line in predicted.stdout.splitlines()[1:]] == ["big", "small"]
    model = nnbp.load_model(tmp_path / "run" / "best.npz")
    assert model.predict(np.array([[80, 0.001], [20, -0.002]])).tolist() == ["big", "small"]  # raw, unscaled
    assert model.predict_proba(np.array([[80, 0.001]])).sum() == pytest.approx(1)
    assert repr(model).endswith("task=classification, classes=['big', 'small'])")
    missing = runner.invoke(
        main, ["predict", str(tmp_path / "run" / "best.npz"), str(write(tmp_path / "x.csv", "x1\n3\n"))]
    )
    assert missing.exit_code == 1 and "has no column 'x2', which the model takes" in missing.stderr


def test_a_regression_trains_reports_in_the_targets_units_and_predicts_values(tmp_path):
    path = measurements(tmp_path / "m.csv", kind="values")
    history = nnbp.train(
        nnbp.TrainConfig(
            dataset=str(path),
            features=("x1", "x2"),
            sizes=(2, 8, 1),
            activation=("tanh", "linear"),
            init="scaled",
            eta=0.05,
            epochs=40,
            mini_batch_size=10,
            output=str(tmp_path / "run"),
        )
    )
    assert history.test["r2"] > 0.95 and "accuracy" not in history.test
    assert all(e.accuracy is None and e.mse is not None for e in history.epochs)
    model = nnbp.load_model(tmp_path / "run" / "best.npz")
    rows = np.array([[50.0, 0.0], [60.0, 0.01]])
    np.testing.assert_allclose(model.predict(rows), 3 * rows[:, 0] - 200 * rows[:, 1] + 7, rtol=0.05)
    runner = cli_runner()
    evaluated = runner.invoke(main, ["eval", str(tmp_path / "run" / "best.npz"), "--json"])
    assert evaluated.exit_code == 0 and json.loads(evaluated.stdout)["r2"] > 0.95
    values = runner.invoke(main, ["predict", str(tmp_path / "run" / "best.npz"), str(path), "--json"])
    first = json.loads(values.stdout)["predictions"][0]
    assert first["row"] == 1 and len(first["values"]) == 1


def test_a_regression_needs_a_linear_output_and_a_float_target_is_inferred(tmp_path):
    path = measurements(tmp_path / "m.csv", kind="values")
    with pytest.raises(NnbpError, match="a regression predicts values: its output layer needs the linear activation"):
        nnbp.train(nnbp.TrainConfig(dataset=str(path), sizes=(3, 4, 1), output=str(tmp_path / "r")))
    data = nnbp.load_dataset(str(path), target="y")
    assert data.regression and data.target_names == ("y",) and data.target_scale is not None


def test_the_python_api_loads_a_table_by_name_of_its_target(tmp_path):
    data = nnbp.load_dataset(str(measurements(tmp_path / "m.csv")), target="y", features=["x1", "x2"])
    assert data.class_names == ("big", "small") and data.feature_names == ("x1", "x2") and data.kind == "table"


@pytest.mark.slow  # the shipped configs, whole
@pytest.mark.parametrize(("name", "measure", "floor"), [("iris", "accuracy", 0.85), ("diabetes", "r2", 0.3)])
def test_the_shipped_table_configs_train_on_scikit_learns_tables(tmp_path, name, measure, floor):
    from nnbp.config import build_config, read_config_file

    path = Path(__file__).resolve().parent.parent / "configs" / f"{name}.yaml"
    config = build_config(read_config_file(path), {"output": str(tmp_path / name)}, str(path))
    history = nnbp.train(config)
    assert history.test[measure] > floor
