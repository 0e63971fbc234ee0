"""Ctrl-C and SIGTERM in a real process, then --resume: the final weights are bit-identical to an
uninterrupted run's, and the run folder is consistent at every moment."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # real processes, signalled

CONFIG = """\
sizes: [784, 16, 10]
epochs: 5
mini_batch_size: 2
eta: 1.0
seed: 7
output: {output}
"""


def start(tmp_path, output: str) -> subprocess.Popen:
    config = tmp_path / f"{output}.yaml"
    config.write_text(CONFIG.format(output=tmp_path / output))
    return subprocess.Popen(
        [sys.executable, "-m", "nnbp", "train", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def weights(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files if k != "meta"}


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_then_resume_equals_an_uninterrupted_run(tmp_path, signum, code):
    process = start(tmp_path, "run")
    first = process.stdout.readline()  # epoch 1 is saved; the signal lands in epoch 2
    assert first.startswith("Epoch 1/5: ")
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert f"continue with: nnbp train --resume {tmp_path / 'run'}" in err

    run = tmp_path / "run"
    saved = json.loads((run / "history.json").read_text())
    with np.load(run / "weights.npz", allow_pickle=False) as npz:
        checkpoint = json.loads(str(npz["meta"]))["checkpoint"]
    done = len(checkpoint["history"]["epochs"])
    assert done == len(saved["epochs"]) >= 1  # weights and history agree
    assert sorted(p.name for p in run.iterdir()) == [
        "best.npz",
        "config.yaml",
        "history.csv",
        "history.json",
        "weights.npz",
    ]

    resumed = subprocess.run(
        [sys.executable, "-m", "nnbp", "train", "--resume", str(run)], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith(f"Epoch {done + 1}/5: ")

    whole = start(tmp_path, "whole")
    whole.communicate(timeout=300)
    assert whole.returncode == 0
    a, b = weights(run / "weights.npz"), weights(tmp_path / "whole" / "weights.npz")
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    history = json.loads((run / "history.json").read_text())
    assert [e["epoch"] for e in history["epochs"]] == [1, 2, 3, 4, 5]
    assert history["test"] == json.loads((tmp_path / "whole" / "history.json").read_text())["test"]


def test_resume_of_a_finished_run_says_how_to_go_further(tmp_path):
    process = start(tmp_path, "run")
    process.communicate(timeout=300)
    result = subprocess.run(
        [sys.executable, "-m", "nnbp", "train", "--resume", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "already trained for 5 of 5 epochs; pass --epochs" in result.stderr
    more = subprocess.run(
        [sys.executable, "-m", "nnbp", "train", "--resume", str(tmp_path / "run"), "--epochs", "6", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert more.returncode == 0, more.stderr
    assert "after 6 epochs" in more.stdout


def test_two_runs_started_together_into_one_folder_never_both_save(tmp_path):
    """Whatever the timing, exactly one of them trains there; the other refuses in one line, either
    because the folder is in use or because it already holds the first one's run."""
    for attempt in range(3):
        output = tmp_path / f"run{attempt}"
        configs = []
        for seed in (1, 2):
            configs.append(tmp_path / f"c{attempt}-{seed}.yaml")
            configs[-1].write_text(
                f"sizes: [784, 8, 10]\nepochs: 2\nmini_batch_size: 50\nseed: {seed}\noutput: {output}\n"
            )
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "nnbp", "train", str(c), "-q"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in configs
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
        assert sorted(code for code, _, _ in results) == [0, 1], results
        err = next(err for code, _, err in results if code == 1)
        assert err.count("\n") == 1
        assert "is in use by another nnbp run (pid " in err or "already holds a run" in err
        winner = next(i for i, (code, _, _) in enumerate(results) if code == 0)
        assert sorted(p.name for p in output.iterdir()) == [
            "best.npz",
            "config.yaml",
            "history.csv",
            "history.json",
            "weights.npz",
        ]
        with np.load(output / "weights.npz", allow_pickle=False) as npz:  # the folder describes one run
            assert json.loads(str(npz["meta"]))["config"]["seed"] == winner + 1
        assert f"seed: {winner + 1}" in (output / "config.yaml").read_text()
