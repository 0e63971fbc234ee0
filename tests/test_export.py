"""nnbp/export and `nnbp export`: the ONNX model passes onnx's checker and onnxruntime gives nnbp's own
forward pass on a whole test split, for a classifier and a regression, in both dtypes; bad requests
are one line with nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest

import nnbp
from helpers import cli_runner
from nnbp.cli import main

pytestmark = pytest.mark.slow  # whole test splits through onnxruntime
TOLERANCE = {"float32": 1e-5, "float64": 1e-9}


def trained(tmp_path, **keys) -> str:
    """The best.npz of a short run of `keys` (nnbp.TrainConfig's)."""
    output = tmp_path / "run"
    nnbp.train(nnbp.TrainConfig(output=str(output), **keys))
    return str(output / "best.npz")


def session(path) -> onnxruntime.InferenceSession:
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_sample_classifier_round_trips_through_onnxruntime(tmp_path, dtype):
    weights = trained(tmp_path, epochs=2, dtype=dtype)
    result = cli_runner().invoke(main, ["export", weights, "--format", "onnx", "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 0, result.stderr
    model, data = nnbp.load_model(weights), nnbp.load_dataset("mnist-sample")
    X = data.test.images  # the whole test split, raw pixels 0–255
    scores, label = session(tmp_path / "m.onnx").run(None, {"input": X.astype(dtype)})
    expected = model.network.feedforward(X.T.astype(dtype) * np.asarray(model.input_scale, dtype)).T
    np.testing.assert_allclose(scores, expected, rtol=0, atol=TOLERANCE[dtype])
    np.testing.assert_array_equal(label, expected.argmax(axis=1))
    meta = onnxruntime.InferenceSession(str(tmp_path / "m.onnx")).get_modelmeta().custom_metadata_map
    assert json.loads(meta["class_names"]) == [str(k) for k in range(10)] and meta["task"] == "classification"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_table_regression_round_trips_with_its_scaling_and_target_units(tmp_path, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(50, 10, size=(400, 3))
    y = X @ [2.0, -1.0, 0.5] + 100 + rng.normal(size=400)
    table = tmp_path / "t.csv"
    table.write_text("a,b,c,y\n" + "".join(f"{r[0]:.5f},{r[1]:.5f},{r[2]:.5f},{t:.5f}\n" for r, t in zip(X, y)))
    weights = trained(
        tmp_path, dataset=str(table), sizes=(3, 8, 1), activation=("tanh", "linear"), eta=0.05, epochs=5, dtype=dtype
    )
    model, data = nnbp.load_model(weights), nnbp.load_dataset(str(table))
    path = nnbp_export(weights, tmp_path / "r.onnx")
    (values,) = session(path).run(None, {"input": data.test.images.astype(dtype)})
    expected = model.predict(data.test.images)[:, None]
    np.testing.assert_allclose(values, expected, rtol=TOLERANCE[dtype], atol=0)


def nnbp_export(weights: str, path):
    result = subprocess.run(
        [sys.executable, "-m", "nnbp", "export", weights, "-o", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return path


def test_the_estimators_export_what_they_predict(tmp_path):
    from sklearn.datasets import load_iris

    from nnbp.sklearn import NNBPClassifier

    X, y = load_iris(return_X_y=True)
    estimator = NNBPClassifier(epochs=5, random_state=0).fit(X, y)
    estimator.export(tmp_path / "iris.onnx")
    scores, label = session(tmp_path / "iris.onnx").run(None, {"input": X})
    np.testing.assert_array_equal(estimator.classes_[label], estimator.predict(X))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--format", "tflite"], 2, "Invalid value for '--format': 'tflite' is not 'onnx'"),
        (["-o", "{tmp}/no/such/folder/m.onnx"], 1, "cannot be written"),
        (["-o", "{tmp}"], 2, "is a directory"),
    ],
)
def test_bad_requests_are_one_line_and_leave_nothing(tmp_path, args, code, message):
    weights = trained(tmp_path, epochs=1)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli_runner().invoke(main, ["export", weights, *(args if "-o" in args else [*args, "-o", "m.onnx"])])
    assert result.exit_code == code and message in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ") and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_file_that_is_not_nnbps_weights_is_refused(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    result = cli_runner().invoke(main, ["export", str(tmp_path / "other.npz"), "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "other.npz" in result.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_without_onnx_the_export_says_which_extra_to_install(tmp_path, monkeypatch):
    weights = trained(tmp_path, epochs=1)
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    result = cli_runner().invoke(main, ["export", weights, "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 1 and "pip install 'nnbp[onnx]'" in result.stderr
    assert not (tmp_path / "m.onnx").exists()
