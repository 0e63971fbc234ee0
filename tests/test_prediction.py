"""`nnbp predict` and `nnbp info`: pictures and arrays read as training read its data (a test image
saved as PNG gets exactly eval's prediction), the score, warnings, class names, and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import cli_runner
from nnbp.cli import main
from nnbp.data import load_dataset
from nnbp.data.inputs import read_examples
from nnbp.errors import NnbpError

PIL = pytest.importorskip("PIL.Image", reason="the images extra (Pillow) is not installed")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run of the book's network for 3 epochs on the bundled sample, and its eval of the test split."""
    folder = tmp_path_factory.mktemp("trained")
    config = folder / "c.yaml"
    config.write_text(f"sizes: [784, 30, 10]\nepochs: 3\noutput: {folder / 'run'}\n")
    runner = cli_runner()
    assert runner.invoke(main, ["train", str(config), "-q"]).exit_code == 0
    from nnbp.run import load_weights
    from nnbp.training import evaluate

    network = load_weights(folder / "run" / "weights.npz")[0]
    dataset = load_dataset("mnist-sample")
    return folder / "run", evaluate(network, dataset, dataset.test)


def predict_json(*args) -> dict:
    result = cli_runner().invoke(main, ["predict", *map(str, args), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_datasets_own_test_images_saved_as_png_get_exactly_evals_predictions(tmp_path, trained):
    run, ev = trained
    dataset = load_dataset("mnist-sample")
    paths = []
    for i in range(200):
        paths.append(tmp_path / f"t{i:03d}.png")
        PIL.fromarray(dataset.test.images[i].reshape(28, 28)).save(paths[-1])
    report = predict_json(run / "weights.npz", *paths, "--top", "1")
    assert [p["class"] for p in report["predictions"]] == ev.predictions[:200].tolist()
    assert [p["input"] for p in report["predictions"]] == [str(p) for p in paths]  # input order
    np.save(tmp_path / "stack.npy", dataset.test.images[:200].reshape(200, 28, 28))
    stack = predict_json(run / "weights.npz", tmp_path / "stack.npy")
    assert [p["class"] for p in stack["predictions"]] == ev.predictions[:200].tolist()
    assert stack["predictions"][7]["input"] == f"{tmp_path / 'stack.npy'}[7]"


def test_scores_names_and_the_top_k(trained):
    run, _ = trained
    dataset = load_dataset("mnist-sample")
    buffer = io.BytesIO()
    np.save(buffer, dataset.test.images[0])
    result = subprocess.run(
        [sys.executable, "-m", "nnbp", "predict", str(run / "best.npz"), "-", "--top", "4", "--json"],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == "share of the output activations"
    (p,) = report["predictions"]
    scores = [s for _, s in p["top"]]
    assert len(p["top"]) == 4 and scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-12
    assert p["name"] == str(p["class"]) and p["input"] == "-"


def test_a_hand_drawn_digit_is_brought_to_mnists_form_and_read(tmp_path, trained):
    """A thick dark 1 on a large white page, off centre: read as MNIST would have it."""
    from PIL import ImageDraw

    run, _ = trained
    page = PIL.new("L", (300, 240), 255)
    ImageDraw.Draw(page).line([(200, 30), (200, 210)], fill=10, width=24)
    page.save(tmp_path / "one.png")
    report = predict_json(run / "weights.npz", tmp_path / "one.png")
    assert report["predictions"][0]["class"] == 1 and report["predictions"][0]["warning"] is None
    raw = cli_runner().invoke(main, ["predict", str(run / "weights.npz"), str(tmp_path / "one.png"), "--raw"])
    assert raw.exit_code == 1 and "a 300 × 240 picture; the network takes 28 × 28 = 784" in raw.stderr


def test_an_input_unlike_the_training_data_gets_a_warning(tmp_path, trained):
    run, _ = trained
    dataset = load_dataset("mnist-sample")
    PIL.fromarray(255 - dataset.test.images[0].reshape(28, 28)).save(tmp_path / "inverted.png")  # 28 × 28: as is
    result = cli_runner().invoke(main, ["predict", str(run / "weights.npz"), str(tmp_path / "inverted.png")])
    assert result.exit_code == 0
    assert "warning: " in result.stderr and "is far from the training examples'" in result.stderr


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"not a picture"), "x.png: not a readable picture"),
        (lambda p: np.save(p.with_suffix(".npy"), np.zeros((3, 5, 5))), "x.npy[0]: holds no strokes to read"),
        (lambda p: np.save(p.with_suffix(".npy"), np.zeros(100)), "100 values; the network takes 28 × 28 = 784"),
        (lambda p: np.save(p.with_suffix(".npy"), np.full(784, 2.0)), "float inputs must lie in [0, 1]"),
        (
            lambda p: np.save(p.with_suffix(".npy"), np.array([object()] * 784), allow_pickle=True),
            "holds pickled object arrays",
        ),
        (lambda p: np.savez(p.with_suffix(".npz"), y=np.zeros(3)), "holds neither an x_test nor an x array"),
        (lambda p: p.with_suffix(".txt").write_text("7"), "not a picture (.png, .jpg, .jpeg, .bmp), .npy or .npz"),
    ],
)
def test_bad_inputs_are_one_line(tmp_path, trained, make, message):
    run, _ = trained
    make(tmp_path / "x.png")
    source = next(p for p in tmp_path.iterdir())
    result = cli_runner().invoke(main, ["predict", str(run / "weights.npz"), str(source)])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_network_that_does_not_take_images_says_so(tmp_path):
    from nnbp.network import Network
    from nnbp.run.weights import save_weights

    save_weights(tmp_path / "w.npz", Network.initialise([10, 4, 3], np.random.default_rng(0)), {})
    PIL.new("L", (28, 28), 0).save(tmp_path / "x.png")
    result = cli_runner().invoke(main, ["predict", str(tmp_path / "w.npz"), str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "the network takes 10 inputs, not a square image" in result.stderr


def test_pictures_without_pillow_get_a_hint(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(
        builtins,
        "__import__",
        lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name)) if name == "PIL" else real_import(name, *a, **k),
    )
    (tmp_path / "x.png").write_bytes(b"whatever")
    with pytest.raises(NnbpError, match="reading pictures needs Pillow: pip install 'nnbp\\[images\\]'"):
        read_examples(str(tmp_path / "x.png"))


def test_info_describes_the_network_its_training_and_its_figures(trained):
    run, ev = trained
    result = cli_runner().invoke(main, ["info", str(run / "weights.npz"), "--json"])
    info = json.loads(result.stdout)
    assert info["sizes"] == [784, 30, 10] and info["parameters"] == 785 * 30 + 31 * 10
    assert info["activation"] == ["sigmoid", "sigmoid"] and info["cost"] == "quadratic" and info["dtype"] == "float64"
    assert info["dataset"] == "mnist-sample" and info["epochs"] == 3 and info["class_names"][9] == "9"
    assert info["test"]["correct"] == ev.correct and info["nnbp"] and info["config"]["eta"] == 3.0
    text = cli_runner().invoke(main, ["info", str(run / "best.npz")]).stdout
    assert "23,860 parameters (float64)" in text and "(best.npz)" in text


def test_class_names_travel_from_an_npz_dataset_to_eval_and_predict(tmp_path):
    from helpers import keras_arrays

    arrays = keras_arrays(n_train=40, n_test=12, n_classes=3)
    names = ["cat", "dog", "emu"]
    arrays["class_names"] = np.array(names)
    np.savez(tmp_path / "animals.npz", **{k: v for k, v in arrays.items()})
    dataset = load_dataset(str(tmp_path / "animals.npz"))
    assert dataset.class_names == tuple(names) and dataset.n_classes == 3
    (tmp_path / "c.yaml").write_text(
        f"sizes: [{dataset.n_inputs}, 5, 3]\nepochs: 1\ndataset: {tmp_path / 'animals.npz'}\n"
        f"output: {tmp_path / 'run'}\n"
    )
    assert cli_runner().invoke(main, ["train", str(tmp_path / "c.yaml"), "-q"]).exit_code == 0
    text = cli_runner().invoke(main, ["eval", str(tmp_path / "run" / "weights.npz")]).stdout
    assert "cat: " in text and "emu: " in text
    np.save(tmp_path / "x.npy", dataset.test.images[:2])
    report = predict_json(tmp_path / "run" / "weights.npz", tmp_path / "x.npy")
    assert all(p["name"] in names for p in report["predictions"])
    arrays["class_names"] = np.array(["cat"])
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(NnbpError, match="class_names is not one name .* for each of the 3 classes"):
        load_dataset(str(tmp_path / "bad.npz"))
