"""nnbp/system/blas.py: the `auto` rule, the limit set and restored around the work, a run's thread count
kept across --resume, and what the thread count does and does not change in the results."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import cli_runner
from nnbp.cli import main
from nnbp.config import TrainConfig
from nnbp.config.keys import threads as parse_threads
from nnbp.errors import NnbpError
from nnbp.system import blas as threads
from nnbp.system.blas import blas_threads, busy_warning, largest_product, resolve


@pytest.mark.parametrize("value, parsed", [("auto", "auto"), ("ALL", "all"), ("3", 3), (2, 2), (" 1 ", 1)])
def test_settings_people_write(value, parsed):
    assert parse_threads(value, "--threads") == parsed


@pytest.mark.parametrize("value", ["0", 0, -1, "many", 1.5, True, None, 5000, "1e3"])
def test_bad_settings_are_one_line(value):
    with pytest.raises(NnbpError, match="--threads: .* is not auto, all, or a number of threads from 1 to 1024"):
        parse_threads(value, "--threads")


@pytest.mark.parametrize(
    "sizes, m, cpus, expected",
    [
        ((784, 30, 10), 10, 2, 1),  # 235,200 multiply-adds: one thread
        ((784, 30, 10), 100, 2, 1),  # 2.35 million: still one
        ((784, 30, 10), 300, 2, 2),  # 7.06 million: two
        ((784, 100, 10), 100, 2, 2),
        ((784, 100, 10), 1000, 2, 2),  # never more than the CPUs
        ((784, 100, 10), 1000, 64, 26),  # 78.4 million / 3 million per thread
        ((784, 30, 10), 1, 64, 1),
    ],
)
def test_auto_gives_a_thread_per_three_million_multiply_adds_of_the_largest_product(
    monkeypatch, sizes, m, cpus, expected
):
    monkeypatch.setattr(threads, "cpu_count", lambda: cpus)
    assert resolve("auto", sizes, m) == expected
    assert resolve("all", sizes, m) == cpus and resolve(5, sizes, m) == 5
    assert largest_product(sizes, m) == m * max(a * b for a, b in zip(sizes, sizes[1:]))


def test_auto_depends_on_the_work_alone_not_on_how_busy_the_machine_is(monkeypatch):
    quiet = resolve("auto", (784, 100, 10), 100)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert resolve("auto", (784, 100, 10), 100) == quiet
    finally:
        busy.kill()
        busy.wait()


LIMITS = """
import json
from threadpoolctl import threadpool_info
from nnbp.system.blas import blas_threads
def limits():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
before = limits()
with blas_threads(1):
    inside = limits()
print(json.dumps([before, inside, limits()]))
"""


def test_the_limit_holds_inside_the_block_and_is_restored_after():
    # in a fresh process, where numpy's is the only BLAS: libraries loaded after nnbp first set a limit
    # (scipy's, say) are not nnbp's, and are left alone
    result = subprocess.run([sys.executable, "-c", LIMITS], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    before, inside, after = json.loads(result.stdout)
    assert before and inside == [1] * len(before) and after == before


@pytest.mark.slow
def test_a_busy_machine_gets_a_note_when_several_threads_would_share_it(monkeypatch):
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    assert busy_warning(1) is None  # one thread: nothing to warn about
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        note = busy_warning(2)
    finally:
        busy.kill()
        busy.wait()
    if threads.others_busy() is not None:  # Linux: /proc/stat is there
        assert note is not None and "with 2 BLAS threads training may run several times slower" in note


def trained(threads_setting, m=100, epochs=1):
    from nnbp.data import load_dataset
    from nnbp.network import Network
    from nnbp.training import train

    dataset = load_dataset("mnist-sample")
    rng = np.random.default_rng(0)
    network = Network.initialise([784, 30, 10], rng)
    with blas_threads(threads_setting):
        history = train(network, dataset, epochs=epochs, mini_batch_size=m, eta=3.0, rng=rng)
    return network, history


def test_the_same_thread_count_gives_bit_identical_weights():
    (a, _), (b, _) = trained(2), trained(2)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))


def test_other_thread_counts_change_the_weights_in_their_last_bits_at_most():
    """OpenBLAS splits a product differently with more threads, so the rounding can differ (it does
    here from about a hundred columns); the weights agree to 1e-9 and so does the accuracy."""
    (one, h1), (two, h2) = trained(1), trained(2)
    for x, y in zip(one.weights + one.biases, two.weights + two.biases):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)
    assert h1[-1].correct == h2[-1].correct


def test_a_resumed_run_keeps_the_thread_count_it_started_with(tmp_path, monkeypatch):
    """Bit-identical to an uninterrupted run even when resumed where `auto` would choose otherwise."""
    from nnbp.data import load_dataset
    from nnbp.run import Run

    dataset = load_dataset("mnist-sample")
    config = TrainConfig(sizes=(784, 100, 10), mini_batch_size=100, epochs=2, output=str(tmp_path / "whole"))
    monkeypatch.setattr(threads, "cpu_count", lambda: 2)
    with Run.start(config, dataset) as run:
        assert run.history.blas_threads == 2
        run.train(dataset)
        whole = run.network
    with Run.start(TrainConfig(**{**config.__dict__, "epochs": 1, "output": str(tmp_path / "part")}), dataset) as run:
        run.train(dataset)
    monkeypatch.setattr(threads, "cpu_count", lambda: 1)  # resumed on a smaller machine
    with Run.resume(tmp_path / "part", epochs=2) as run:
        assert run.history.blas_threads == 2
        run.train(dataset)
    for x, y in zip(run.network.weights + run.network.biases, whole.weights + whole.biases):
        assert np.array_equal(x, y)
    import json

    assert json.loads((tmp_path / "part" / "history.json").read_text())["blas_threads"] == 2


@pytest.mark.parametrize("command", [["train", "C"], ["eval", "W"], ["gradcheck", "C"], ["bench"]])
def test_every_command_that_computes_takes_threads_and_refuses_bad_ones(tmp_path, command):
    args = [str(tmp_path / "c.yaml") if a == "C" else str(tmp_path / "w.npz") if a == "W" else a for a in command]
    result = cli_runner().invoke(main, [*args, "--threads", "0"])
    assert result.exit_code == 2 and "Invalid value for '--threads': 0 is not auto, all, or a number" in result.stderr


@pytest.mark.slow
def test_bench_contended_times_each_setting_quiet_and_beside_a_busy_process():
    result = cli_runner().invoke(
        main, ["bench", "--contended", "--quick", "--mini-batch-sizes", "10", "--repeats", "1", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    import json

    row = json.loads(result.stdout)["results"][0]
    assert row["mini_batch_size"] == 10 and row["1"]["blas_threads"] == 1
    for setting in ("auto", "1", "all"):
        assert row[setting]["quiet"] > 0 and row[setting]["busy"] > 0


SPIN = """
import signal, sys
from nnbp.system.blas import blas_threads, controller
assert controller().select(user_api="blas").lib_controllers, "numpy's BLAS unseen"
def stop(signum, frame):
    raise SystemExit(143)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    with blas_threads(1):
        pass
"""


def test_a_signal_that_comes_while_the_limit_is_set_is_not_lost():
    # threadpoolctl runs Python in a ctypes callback while it looks for libraries; a handler's
    # exception raised there is printed and dropped, and the process would go on.
    process = subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "ready\n", process.stderr.read()
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 143, process.stderr.read()
    finally:
        process.kill()
        process.wait()
