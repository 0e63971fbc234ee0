"""scripts/: bench.py refuses bad options in one line before it loads any data, and runs on the bundled
sample; compare_installs.py times two interpreters side by side; sweep_bench.py times nnbp sweep."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # scripts run as a user runs them

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
BENCHMARKS = SCRIPTS / "benchmarks"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pairs", "0"], "argument --pairs: 0 is less than 1"),
        (["--repeats", "x"], "argument --repeats: 'x' is not a whole number"),
    ],
)
def test_bench_script_refuses_bad_counts(args, message):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "epochs.py"), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bench_script_times_epochs_and_the_diagnostics_overhead_on_the_sample():
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "epochs.py"),
            "--dataset",
            "mnist-sample",
            "--mini-batch-sizes",
            "100",
            "--repeats",
            "1",
            "--pairs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "[784, 30, 10] on mnist-sample (8000 training examples)" in lines[0]
    assert [line.split()[:3] for line in lines[2:4]] == [["100", "float64", "1"], ["100", "float32", "1"]]
    assert (
        lines[-1].startswith("diagnostics at mini-batch 10, float64, 1 BLAS thread(s):") and "over 1 pairs" in lines[-1]
    )


def test_compare_installs_times_two_interpreters_side_by_side(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "compare_installs.py"),
            sys.executable,
            sys.executable,
            "--dataset",
            "mnist-sample",
            "--mini-batch-sizes",
            "1000",
            "--dtypes",
            "float32",
            "--pairs",
            "1",
            "--epochs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[-1].split()
    assert row[:2] == ["1000", "float32"] and float(row[2]) > 0 and float(row[3]) > 0


def test_lowest_requirements_pins_every_declared_floor():
    import tomllib

    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "lowest_requirements.py"), "test"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pins = result.stdout.split()
    project = tomllib.loads((SCRIPTS.parent / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert len(pins) == len(set(declared))
    for requirement in declared:
        name, floor = requirement.split(">=")
        assert f"{name}=={floor}" in pins
    assert "click==8.1.0" in pins


def test_threads_script_times_each_setting_in_a_process_of_its_own():
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "threads.py"),
            "--dataset",
            "mnist-sample",
            "--examples",
            "500",
            "--sizes",
            "784,5,10",
            "--dtypes",
            "float32",
            "--mini-batch-sizes",
            "100",
            "--threads",
            "auto,1",
            "--rounds",
            "1",
            "--quiet-only",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[-1].split()
    assert row[:3] == ["784,5,10", "float32", "100"] and len(row) == 5


def test_sweep_bench_times_the_three_ways_and_the_overhead():
    pytest.importorskip("distributed")
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "sweeps.py"),
            "--rounds",
            "1",
            "--runs",
            "2",
            "--epochs",
            "1",
            "--tiny-runs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 runs of mnist-sample.yaml, 1 epochs each" in out and "-j 2 / -j 1: " in out and "dask / -j 2: " in out
    assert "2 runs of one epoch: nnbp sweep -j 1 " in out and "plain loop" in out


def test_peers_script_prints_each_trainer_beside_nnbp_or_says_it_is_skipped():
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "peers.py"),
            "--sizes",
            "784,5,10",
            "--mini-batch-sizes",
            "1000",
            "--dtypes",
            "float32",
            "--trainers",
            "nnbp,nnbp-loop,torch-manual,sklearn",
            "--epochs",
            "2",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in result.stdout.splitlines()]
    rows = {row[0]: row[1:] for row in cells if len(row) == 2}
    assert float(rows["nnbp"][0]) > 0 and rows["nnbp-loop"][0].endswith("×)") and rows["sklearn"][0].endswith("×)")
    assert "torch-manual" in rows or "skipping torch-manual: torch is not installed" in result.stdout
    assert "failed" not in result.stdout


def test_tables_script_prints_nnbp_beside_scikit_learn_and_the_readers():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "tables.py"), "--seeds", "1", "--rows", "2000", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    for name, measure in (
        ("iris", "accuracy"),
        ("wine", "accuracy"),
        ("breast-cancer", "accuracy"),
        ("diabetes", "R²"),
    ):
        assert rows[name][2] == measure
        ours, theirs = float(rows[name][3]), float(rows[name][4])
        assert (0.2 < ours <= 1 and 0.2 < theirs <= 1) if measure == "R²" else (70 < ours <= 100 and 70 < theirs <= 100)
    assert float(rows["nnbp"][1]) > 0 and float(rows["loadtxt"][1]) > 0  # seconds of each reader
    bad = subprocess.run(
        [sys.executable, str(BENCHMARKS / "tables.py"), "--seeds", "0"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "argument --seeds: 0 is less than 1" in bad.stderr


def test_expanded_figure_draws_an_image_and_its_variants(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    out = tmp_path / "e.png"
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "expanded_figure.py"), "--dataset", "mnist-sample", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
