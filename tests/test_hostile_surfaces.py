"""The surfaces added after the first hostile rounds — predict, eval at scale, plot, sweep — fed what real
users and hostile files bring: special files, many classes, huge arrays in small files, escape
sequences, processes killed mid-way. Real subprocesses where signals, special files or processes
matter, each with a time limit: hanging is a failure too."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import cli_runner, small_network
from nnbp.cli import main
from nnbp.run.weights import save_weights

pytestmark = pytest.mark.slow  # real processes

NNBP = [sys.executable, "-m", "nnbp"]
TINY = "sizes: [784, 8, 10]\neta: 3.0\nepochs: {epochs}\nmini_batch_size: 50\ntrain_size: {n}\nseed: 0\n"


def nnbp(*args: str, cwd: Path, timeout: float = 30, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*NNBP, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)


def one_line(result: subprocess.CompletedProcess, exit_code: int = 1) -> str:
    assert result.returncode == exit_code, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A small run on the bundled sample: its folder."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "c.yaml").write_text(TINY.format(epochs=2, n=2000))
    result = cli_runner().invoke(main, ["train", str(folder / "c.yaml"), "-o", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.stderr
    return folder / "run"


# --- special files: read and write only regular files, and say what a path is when it is not ---------


def test_special_files_as_inputs_are_named_and_never_waited_on(tmp_path, trained):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "c.yaml").write_text(f"dataset: {fifo.with_suffix('.npz')}\n")
    os.mkfifo(fifo.with_suffix(".npz"))
    weights = str(trained / "weights.npz")
    assert "pipe.npz: is a FIFO (named pipe), not an .npz dataset" in one_line(nnbp("train", "c.yaml", cwd=tmp_path))
    assert "pipe.png: is a FIFO (named pipe), not a picture" in one_line(
        nnbp("predict", weights, str(fifo), cwd=tmp_path)
    )
    assert "folder.npy: is a directory, not an .npy array" in one_line(
        nnbp("predict", weights, "folder.npy", cwd=tmp_path)
    )
    assert "/dev/zero: is a character device" in one_line(nnbp("eval", "/dev/zero", cwd=tmp_path))
    assert "/dev/stdin: is" in one_line(nnbp("info", "/dev/stdin", cwd=tmp_path, stdin=subprocess.PIPE))


def test_a_special_file_named_as_an_output_is_refused_and_left_alone(tmp_path, trained):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    fifo = tmp_path / "null"
    os.mkfifo(fifo)
    stderr = one_line(nnbp("plot", str(trained), "--what", "curves", "-o", str(fifo), cwd=tmp_path))
    assert "null: is a FIFO (named pipe); nnbp writes only regular files" in stderr
    assert os.path.exists(fifo) and not os.path.isfile(fifo) and sorted(os.listdir(tmp_path)) == ["null"]


# --- processes: none outlives nnbp ----------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def wait_until(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_sweep_killed_with_sigkill_leaves_no_worker_behind_and_runs_again(tmp_path):
    (tmp_path / "c.yaml").write_text(TINY.format(epochs=40, n=8000))
    sweep = subprocess.Popen(
        [*NNBP, "sweep", "c.yaml", "--seeds", "0,1", "-j", "2", "-o", "s"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    pid_files = [tmp_path / "s" / f"seed={s}" / ".nnbp.pid" for s in (0, 1)]
    assert wait_until(lambda: all(p.exists() and p.read_text().strip() for p in pid_files), 60)
    workers = [int(p.read_text()) for p in pid_files]
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    assert wait_until(lambda: not any(alive(w) for w in workers), 10), "a worker outlived the sweep"
    assert "Traceback" not in sweep.stderr.read().decode()
    (tmp_path / "c.yaml").write_text(TINY.format(epochs=2, n=8000))
    again = nnbp("sweep", "c.yaml", "--seeds", "0,1", "-j", "2", "-o", "s", "--force", cwd=tmp_path, timeout=120)
    assert again.returncode == 0 and again.stdout.count(": finished; ") == 2, (again.stdout, again.stderr)


def test_bench_contended_stopped_by_sigterm_stops_its_busy_process_too(tmp_path):
    bench = subprocess.Popen(
        [*NNBP, "bench", "--contended", "--mini-batch-sizes", "10", "--repeats", "50"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def busy_children() -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(bench.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    assert wait_until(lambda: busy_children(), 60), "the busy process never started"
    busy = busy_children()
    bench.send_signal(signal.SIGTERM)
    assert bench.wait(timeout=30) == 128 + signal.SIGTERM
    assert "Stopped by SIGTERM" in bench.stderr.read().decode()
    assert wait_until(lambda: not any(alive(p) for p in busy), 10), "the busy process outlived nnbp bench"


def test_a_busy_process_stops_by_itself_when_bench_is_killed(tmp_path):
    from nnbp.benchmark import BUSY_LOOP

    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            f"p = subprocess.Popen([sys.executable, '-c', {BUSY_LOOP!r}, str(__import__('os').getpid())])\n"
            "print(p.pid, flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    busy = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    assert wait_until(lambda: not alive(busy), 10)


# --- work that grows with the class count, and memory checked before it is taken ------------------


def many_classes(tmp_path: Path, k: int, n_test: int = 2000) -> tuple[Path, Path]:
    """A dataset .npz of k classes and a weights file of a [784, 2, k] network for it."""
    rng = np.random.default_rng(0)
    data = tmp_path / f"classes{k}.npz"
    with open(data, "wb") as f:
        np.savez(
            f,
            x_train=rng.integers(0, 256, (10, 784), dtype=np.uint8),
            y_train=np.arange(10) % k,
            x_test=rng.integers(0, 256, (n_test, 784), dtype=np.uint8),
            y_test=rng.integers(0, k, n_test),
            class_names=np.array([f"c{i}\x1b]0;owned\x07" for i in range(k)]),
        )
    weights = tmp_path / f"w{k}.npz"
    save_weights(weights, small_network([784, 2, k], seed=1), {"config": {"dataset": str(data)}})
    return data, weights


def test_eval_of_many_classes_is_a_bounded_summary(tmp_path):
    data, weights = many_classes(tmp_path, 20_000)
    started = time.monotonic()
    text = nnbp("eval", str(weights), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert time.monotonic() - started < 10
    lines = text.stdout.splitlines()
    assert len(lines) <= 6 and len(text.stdout) < 5_000
    assert "20,000 classes" in text.stdout and "largest confusions (true → predicted: count)" in text.stdout
    assert "\x1b" not in text.stdout and "\\x1b]0;owned\\x07" in text.stdout  # escapes shown, not obeyed
    as_json = json.loads(nnbp("eval", str(weights), "--json", cwd=tmp_path).stdout)
    assert as_json["confusion"] is None and len(as_json["largest_confusions"]) <= 100
    assert len(as_json["per_class_accuracy"]) == 20_000


def test_plot_of_many_classes_draws_the_most_confused_ones(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    data, weights = many_classes(tmp_path, 500)
    run = tmp_path / "run"
    run.mkdir()
    (run / "weights.npz").write_bytes(weights.read_bytes())
    (run / "history.json").write_text(
        json.dumps(
            {
                "evaluated_on": "test",
                "epochs": [
                    {
                        "epoch": 1,
                        "cost": 0.5,
                        "correct": 1,
                        "total": 2000,
                        "accuracy": 0.0005,
                        "seconds": 0.1,
                        "eta": 3.0,
                    }
                ],
            }
        )
    )
    started = time.monotonic()
    result = nnbp("plot", str(run), "--what", "confusion", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30 and (run / "confusion.png").stat().st_size < 2_000_000


def peak_of(args: list[str], cwd: Path, stdin: bytes | None = None) -> tuple[int, int, subprocess.CompletedProcess]:
    """The peak resident memory (VmHWM, KiB) of an nnbp command, and of its process before it ran."""
    child = (
        "import json, re, sys\nimport nnbp.cli, nnbp.run, numpy\n"
        "def peak(): return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
        "base = peak()\n"
        "try:\n    nnbp.cli.main.main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([base, peak()]), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", child, *args], cwd=cwd, capture_output=True, timeout=60, input=stdin)
    base, peak = json.loads(out.stderr.decode().strip().splitlines()[-1])
    return base, peak, out


def test_predict_on_a_large_array_in_a_small_file_stays_near_the_arrays_own_size(tmp_path, trained):
    rows = np.zeros((100_000, 784), np.uint8)  # 78 MB that deflate to under 100 KB
    with open(tmp_path / "x.npz", "wb") as f:
        np.savez_compressed(f, x=rows)
    started = time.monotonic()
    base, peak, out = peak_of(["predict", str(trained / "weights.npz"), "x.npz", "--top", "1"], tmp_path)
    assert time.monotonic() - started < 30 and out.stdout.count(b"\n") == 100_001
    assert (peak - base) * 1024 < 2.5 * rows.nbytes  # a float64 copy of every input would be 8 times it


def test_stdin_is_read_as_it_comes_without_reserving_the_memory_limit(tmp_path, trained):
    import io
    import resource

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((28, 28), np.uint8))

    def tight() -> None:  # less address space than NNBP_MAX_MEMORY allows: reserving it up front would fail
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    result = subprocess.run(
        [*NNBP, "predict", str(trained / "weights.npz"), "-"],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=60,
        preexec_fn=tight,
        env={**os.environ, "NNBP_MAX_MEMORY": "8G"},
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("(score:")


# --- what reaches the terminal, and the smaller ones ---------------------------------------------


def test_text_from_a_weights_file_reaches_the_terminal_as_escapes_and_cut_short(tmp_path):
    weights = tmp_path / "w.npz"
    hostile = "\x1b]0;owned\x07" + "x" * 90  # class names may be up to 100 characters; config text any length
    save_weights(
        weights,
        small_network([784, 2, 3], seed=1),
        {"class_names": [hostile, "b", "c"], "config": {"dataset": hostile * 50, "eta": hostile * 50}},
    )
    out = nnbp("info", str(weights), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout and max(map(len, out.stdout.splitlines())) < 400
    picture = tmp_path / "p.npy"
    np.save(picture, np.zeros(784, np.uint8))
    shown = nnbp("predict", str(weights), str(picture), cwd=tmp_path)
    assert shown.returncode == 0 and "\x1b" not in shown.stdout, shown.stderr


def test_info_of_weights_whose_config_lacks_keys_still_describes_them(tmp_path):
    weights = tmp_path / "w.npz"
    save_weights(weights, small_network([784, 2, 10], seed=1), {"config": {"dataset": "mnist-sample"}})
    out = nnbp("info", str(weights), cwd=tmp_path)
    assert out.returncode == 0 and "trained on mnist-sample" in out.stdout, out.stderr


def test_a_bad_nnbp_max_memory_is_named_as_itself(tmp_path):
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    for args in (["train", "c.yaml", "--sizes", "784,30,10"], ["info", "missing.npz"]):
        result = nnbp(*args, cwd=tmp_path, env={**os.environ, "NNBP_MAX_MEMORY": "lots"})
        assert one_line(result).startswith("Error: NNBP_MAX_MEMORY: 'lots' is not a positive size")


def test_grid_and_schedule_values_given_twice_are_refused(tmp_path):
    (tmp_path / "c.yaml").write_text("epochs: 1\n")
    twice = nnbp("sweep", "c.yaml", "--grid", "eta=1,2", "--grid", "eta=3", cwd=tmp_path)
    assert "--grid: eta is given twice" in one_line(twice)
    schedule = nnbp("train", "c.yaml", "--eta-schedule", "patience=1,patience=5", cwd=tmp_path)
    assert "each field given once" in schedule.stderr and schedule.returncode == 2
    started = time.monotonic()
    values = ",".join(str(v) for v in range(1, 1001))
    huge = nnbp(
        "sweep",
        "c.yaml",
        "--grid",
        f"epochs={values}",
        "--grid",
        f"mini_batch_size={values}",
        "--grid",
        f"seed={values}",
        cwd=tmp_path,
    )
    assert huge.returncode != 0 and time.monotonic() - started < 10


def test_grid_values_that_differ_make_runs_that_differ(tmp_path):
    from nnbp.sweep.grid import run_name

    assert run_name({"eta": 0.1}, 0) != run_name({"eta": 0.1000001}, 0)
    assert run_name({"eta": 3.0}, 1) == "eta=3_seed=1" and run_name({"eta": 0.25}, 0) == "eta=0.25_seed=0"


def test_a_thread_count_beyond_the_cpus_says_so_and_blames_no_one(tmp_path):
    from nnbp.system.blas import busy_warning, cpu_count

    note = busy_warning(1024)
    assert note is not None and f"1024 BLAS threads on {cpu_count()} CPUs" in note and "other programs" not in note


def test_a_run_whose_best_npz_was_deleted_still_resumes_and_says_so(tmp_path):
    (tmp_path / "c.yaml").write_text(TINY.format(epochs=2, n=1000) + "eta: 0.01\n".replace("eta: 0.01\n", ""))
    assert nnbp("train", "c.yaml", "-o", "run", "-q", "--epochs", "2", cwd=tmp_path).returncode == 0
    os.remove(tmp_path / "run" / "best.npz")
    result = nnbp("train", "--resume", "run", "--epochs", "4", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    best_epoch = json.loads((tmp_path / "run" / "history.json").read_text())["best_epoch"]
    if best_epoch <= 2:
        assert "best.npz was deleted" in result.stdout
    assert re.search(r"test accuracy \d+\.\d\d%", result.stdout)
