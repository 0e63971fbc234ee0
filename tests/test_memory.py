"""nnbp/limits.py: the memory limit from NNBP_MAX_MEMORY, and forward passes chunked to stay within it."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnbp.errors import NnbpError
from nnbp.system.memory import DEFAULT_MAX_MEMORY, FORWARD_CHUNK, FORWARD_CHUNK_BYTES, forward_chunk, memory_limit


@pytest.mark.parametrize(
    "text, n_bytes",
    [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1000000", 10**6), ("1.5GiB", int(1.5 * 2**30)), (" 2t ", 2 * 2**40)],
)
def test_the_memory_limit_reads_sizes_people_write(monkeypatch, text, n_bytes):
    monkeypatch.setenv("NNBP_MAX_MEMORY", text)
    assert memory_limit() == n_bytes


@pytest.mark.parametrize("text", ["", "lots", "-1G", "0", "8X", "1e9", "9" * 40])
def test_a_bad_memory_limit_is_one_line_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("NNBP_MAX_MEMORY", text)
    with pytest.raises(NnbpError, match="NNBP_MAX_MEMORY: .* is not a positive size such as 8G"):
        memory_limit()


def test_the_default_limit(monkeypatch):
    monkeypatch.delenv("NNBP_MAX_MEMORY", raising=False)
    assert memory_limit() == DEFAULT_MAX_MEMORY == 4 * 2**30


def test_forward_passes_are_chunked_by_bytes_for_wide_networks():
    assert forward_chunk([784, 30, 10], np.dtype(np.float64)) == FORWARD_CHUNK
    wide = forward_chunk([784, 20000, 10], np.dtype(np.float64))
    assert wide * 8 * (784 + 2 * 20010) <= FORWARD_CHUNK_BYTES < (wide + 1) * 8 * (784 + 2 * 20010)
    assert forward_chunk([10**8, 10], np.dtype(np.float64)) == 1


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak from Linux's /proc")
def test_the_estimate_bounds_what_a_training_run_takes(tmp_path):
    """A wide network trained in a real process: its peak memory above the interpreter's own lies
    between half and twice the estimate, and a limit just below the estimate refuses the run
    before its folder exists."""
    import json
    import subprocess
    import sys

    from nnbp.data import load_dataset
    from nnbp.system.memory import training_bytes

    config = tmp_path / "c.yaml"
    config.write_text(f"sizes: [784, 3000, 10]\nepochs: 1\nmini_batch_size: 500\noutput: {tmp_path / 'run'}\n")
    # VmHWM, the peak of this address space: ru_maxrss would keep the forking pytest's peak across exec
    child = (
        "import json, re, sys\n"
        "import nnbp.cli, nnbp.run, nnbp.training, nnbp.diagnostics, numpy\n"
        "def peak(): return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
        "base = peak()\n"
        "try:\n    nnbp.cli.main.main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([base, peak()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", child, "train", str(config), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    base, peak = json.loads(out.splitlines()[-1])
    estimate = training_bytes((784, 3000, 10), 8, 500, 8000, load_dataset("mnist-sample").nbytes)
    assert 0.5 * estimate <= (peak - base) * 1024 <= 2 * estimate

    refused = subprocess.run(
        [sys.executable, "-m", "nnbp", "train", str(config), "-q", "-o", str(tmp_path / "r2")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NNBP_MAX_MEMORY": str(estimate - 1)},
    )
    assert refused.returncode == 1 and "would need about" in refused.stderr and refused.stderr.count("\n") == 1
    assert not (tmp_path / "r2").exists()
