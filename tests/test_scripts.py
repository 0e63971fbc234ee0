"""scripts/bench.py: it refuses bad options in one line before it loads any data or times anything,
and its overhead timings run (on the bundled sample)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pairs", "0"], "argument --pairs: 0 is less than 1"),
        (["--repeats", "x"], "argument --repeats: 'x' is not a whole number"),
        (["--loop-examples", "-3"], "argument --loop-examples: -3 is less than 1"),
        (["--rounds", "0"], "argument --rounds: 0 is less than 1"),
    ],
)
def test_bench_script_refuses_bad_counts(args, message):
    result = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def load_bench_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_script", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_script_times_the_overheads_in_pairs_on_the_sample():
    from nnbp.data import load_dataset

    script = load_bench_script()
    dataset = load_dataset("mnist-sample")
    bare, full = script.train_overhead(dataset, 2)
    assert len(bare) == len(full) == 2 and all(t > 0 for t in bare + full)
    times = script.diagnostics_overhead(dataset, 2)
    for key in ("steps", "whole"):
        without, with_ = times[key]
        assert len(without) == len(with_) == 2 and all(t > 0 for t in without + with_)
    # the whole second epoch holds its steps, and the evaluation after them
    for variant in (0, 1):
        assert all(whole > steps for steps, whole in zip(times["steps"][variant], times["whole"][variant]))
    line = script.overhead_line("x", "a", "b", times["steps"], 15)
    assert "over 2 pairs (target <= 15%)" in line


def test_bench_script_times_diagnostics_inside_training_in_adjacent_segments():
    from nnbp.data import load_dataset

    script = load_bench_script()
    dataset = load_dataset("mnist-sample")  # 8,000 training examples: 8 pairs of 500 per round
    without, with_ = script.diagnostics_in_steps(dataset, 2, segment=500)
    assert len(without) == len(with_) == 16 and all(t > 0 for t in without + with_)
    line = script.in_steps_line((without, with_), 15)
    assert "over 16 pairs (target <= 15%)" in line
