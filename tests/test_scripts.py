"""scripts/bench.py refuses bad options in one line before it loads any data or times anything."""

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
    ],
)
def test_bench_script_refuses_bad_counts(args, message):
    result = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
