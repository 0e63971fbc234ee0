"""`nnbp sweep`: every run an ordinary run folder whose weights do not depend on how many workers (or
which Dask cluster) trained it; finished runs skipped and interrupted ones resumed; a failing run
recorded without stopping the others; bad input refused before anything runs; Ctrl-C exits 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from helpers import cli_runner
from nnbp.cli import main
from nnbp.config import build_config
from nnbp.data import load_dataset
from nnbp.errors import NnbpError
from nnbp.run import Run
from nnbp.sweep import plan
from nnbp.sweep.summary import read_summary, spread, summarize, summary_csv

pytestmark = pytest.mark.slow  # worker processes and a Dask cluster

TINY = """\
sizes: [784, 12, 10]
eta: 3.0
epochs: 2
mini_batch_size: 20
train_size: 1000
seed: 0
dataset: mnist-sample
"""
GRID = ["--grid", "eta=1,3", "--seeds", "0,1"]
NAMES = ["eta=1_seed=0", "eta=1_seed=1", "eta=3_seed=0", "eta=3_seed=1"]


@pytest.fixture
def runner():
    return cli_runner()


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def sweep(runner, config, output, *args):
    result = runner.invoke(main, ["sweep", str(config), "-o", str(output), *GRID, *args])
    assert result.exit_code == 0, result.stderr
    return result


def weights(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "weights.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files if k != "meta"}


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert np.array_equal(wa[key], wb[key]), (a, b, key)


def interrupt_after_one_epoch(run_dir: Path) -> None:
    """Train the run in `run_dir` afresh and stop it after its first epoch, as a killed worker leaves it."""
    config = build_config(yaml.safe_load((run_dir / "config.yaml").read_text()), {}, str(run_dir))
    dataset = load_dataset(config.dataset, config.validation_size)

    def stop(result):
        raise KeyboardInterrupt

    with Run.start(config, dataset, force=True, at=run_dir) as run, pytest.raises(KeyboardInterrupt):
        run.train(dataset, on_epoch=stop)


def test_a_sweep_is_ordinary_runs_and_a_summary(runner, config, tmp_path):
    result = sweep(runner, config, tmp_path / "s", "-j", "2")
    folder = tmp_path / "s"
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES + ["summary.csv", "summary.json"])
    for name in NAMES:
        assert f"] {name}: finished; test accuracy " in result.stdout
    recorded = build_config(yaml.safe_load((folder / NAMES[3] / "config.yaml").read_text()), {}, "x")
    assert recorded.eta == 3.0 and recorded.seed == 1 and recorded.threads == 1 and recorded.epochs == 2
    assert Path(recorded.output) == folder / NAMES[3]

    summary = json.loads((folder / "summary.json").read_text())
    assert summary["grid"] == {"eta": [1.0, 3.0]} and summary["seeds"] == [0, 1]
    assert [r["folder"] for r in summary["runs"]] == NAMES
    for run in summary["runs"]:
        history = json.loads((folder / run["folder"] / "history.json").read_text())
        assert run["status"] == "finished" and run["epochs"] == 2
        assert run["final_accuracy"] == history["epochs"][-1]["accuracy"]
        assert run["best_accuracy"] == max(e["accuracy"] for e in history["epochs"])
    three = summary["points"][1]
    finals = [r["final_accuracy"] for r in summary["runs"][2:]]
    assert three["values"] == {"eta": 3.0} and three["finished"] == 2
    assert three["final_accuracy"]["mean"] == pytest.approx(np.mean(finals))
    assert three["final_accuracy"]["sd"] == pytest.approx(np.std(finals, ddof=1))
    assert sum(p["best"] for p in summary["points"]) == 1
    lines = (folder / "summary.csv").read_text().splitlines()
    assert lines[0].startswith("eta,runs,finished,failed,interrupted,final_mean,final_sd,")
    assert len(lines) == 3 and lines[1].startswith("1.0,2,2,0,0,")
    assert "2 runs" not in result.stdout and f"4 runs in {folder}; test accuracy (%)" in result.stdout

    # each run folder works with the other commands unchanged
    evaluated = runner.invoke(main, ["eval", str(folder / NAMES[0] / "weights.npz"), "--json"])
    assert evaluated.exit_code == 0 and json.loads(evaluated.stdout)["accuracy"] == summary["runs"][0]["test_accuracy"]
    resumed = runner.invoke(main, ["train", "--resume", str(folder / NAMES[0]), "--epochs", "3", "-q"])
    assert resumed.exit_code == 0, resumed.stderr


def test_weights_are_the_same_for_any_j_and_as_nnbp_train_of_the_runs_config(runner, config, tmp_path):
    sweep(runner, config, tmp_path / "j1", "-j", "1")
    sweep(runner, config, tmp_path / "j2", "-j", "2")
    for name in NAMES:
        assert_same_weights(tmp_path / "j1" / name, tmp_path / "j2" / name)
    alone = runner.invoke(
        main, ["train", str(tmp_path / "j2" / NAMES[2] / "config.yaml"), "-o", str(tmp_path / "t"), "-q"]
    )
    assert alone.exit_code == 0, alone.stderr
    assert_same_weights(tmp_path / "j1" / NAMES[2], tmp_path / "t")


def test_a_dask_cluster_trains_the_same_weights(runner, config, tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep(runner, config, tmp_path / "here", "-j", "2")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        result = sweep(runner, config, tmp_path / "dask", "--scheduler", cluster.scheduler_address)
        assert result.stdout.count(": finished; ") == 4
        for name in NAMES:
            assert_same_weights(tmp_path / "here" / name, tmp_path / "dask" / name)
            assert sorted(p.name for p in (tmp_path / "dask" / name).iterdir()) == [
                "best.npz",
                "config.yaml",
                "history.csv",
                "history.json",
                "weights.npz",
            ]
        here, dask = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("here", "dask"))
        assert [{**r, "seconds": 0} for r in dask["runs"]] == [{**r, "seconds": 0} for r in here["runs"]]

        # an interrupted run here is resumed on the cluster from its checkpoint, sent with it
        interrupt_after_one_epoch(tmp_path / "dask" / NAMES[1])
        again = sweep(runner, config, tmp_path / "dask", "--scheduler", cluster.scheduler_address)
    assert again.stdout.count("; found so") == 3 and f"] {NAMES[1]}: finished" in again.stdout
    assert_same_weights(tmp_path / "here" / NAMES[1], tmp_path / "dask" / NAMES[1])
    assert not list((tmp_path / "dask" / NAMES[1]).glob(".nnbp*"))


def test_a_second_sweep_skips_finished_runs_and_resumes_interrupted_ones(runner, config, tmp_path):
    sweep(runner, config, tmp_path / "whole", "-j", "2")
    sweep(runner, config, tmp_path / "s", "-j", "2")
    folder = tmp_path / "s"
    interrupt_after_one_epoch(folder / NAMES[1])
    finished_before = {n: (folder / n / "weights.npz").stat().st_mtime_ns for n in NAMES if n != NAMES[1]}

    result = sweep(runner, config, folder, "-j", "2")
    lines = {line.split("] ")[1].split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("[")}
    assert lines[NAMES[1]].endswith(" s") and "after 2 epochs" in lines[NAMES[1]]
    for name, mtime in finished_before.items():
        assert lines[name].endswith("; found so")
        assert (folder / name / "weights.npz").stat().st_mtime_ns == mtime
    for name in NAMES:
        assert_same_weights(tmp_path / "whole" / name, folder / name)
    summary = json.loads((folder / "summary.json").read_text())
    assert [r["status"] for r in summary["runs"]] == ["finished"] * 4
    assert [r["seconds"] is None for r in summary["runs"]] == [True, False, True, True]

    more = sweep(runner, config, folder, "--epochs", "3")  # more epochs: every run goes on
    assert more.stdout.count("after 3 epochs") == 4


def test_a_folder_holding_a_run_of_another_config_is_refused_before_anything_runs(runner, config, tmp_path):
    sweep(runner, config, tmp_path / "s")
    mtimes = {n: (tmp_path / "s" / n / "weights.npz").stat().st_mtime_ns for n in NAMES}
    result = runner.invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), *GRID, "--lmbda", "1"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 's' / NAMES[0]}: holds a run with lmbda 0.0, not 1.0; pass --force "
        "to train every run afresh, or choose another --output\n"
    )
    assert {n: (tmp_path / "s" / n / "weights.npz").stat().st_mtime_ns for n in NAMES} == mtimes
    forced = sweep(runner, config, tmp_path / "s", "--lmbda", "1", "--force")
    assert forced.stdout.count("; found so") == 0 and forced.stdout.count(": finished; ") == 4


def test_a_failing_run_is_recorded_and_the_others_go_on(runner, config, tmp_path):
    args = ["sweep", str(config), "-o", str(tmp_path / "s"), "--activation", "linear", "--grid", "eta=0.001,10,0.002"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert "] eta=10_seed=0: failed: training diverged in epoch 1, mini-batch " in result.stdout
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    failed = summary["runs"][1]
    assert failed["status"] == "failed" and failed["reason"].startswith("training diverged in epoch 1")
    assert [r["status"] for r in summary["runs"]] == ["finished", "failed", "finished"]
    assert summary["points"][1]["failed"] == 1 and summary["points"][1]["final_accuracy"] is None
    assert not summary["points"][1]["best"] and summary["best_point"] in ({"eta": 0.001}, {"eta": 0.002})
    assert "0/1 (1 failed)" in result.stdout

    again = runner.invoke(main, args)  # a diverged run would diverge again: recorded, not retrained
    assert again.exit_code == 0
    assert "] eta=10_seed=0: failed: training diverged" in again.stdout
    assert json.loads((tmp_path / "s" / "summary.json").read_text())["runs"][1]["seconds"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--grid", "etta=1,2"], "Error: --grid: etta: unknown key; known keys are "),
        (["--grid", "eta=fast"], "Error: --grid: eta: "),
        (["--grid", "sizes=[784,30,10],[100,30,10]"], "the input layer has 100 neurons but the dataset"),
        (["--grid", "mini_batch_size=10,5000"], "mini_batch_size: 5000 is larger than the 1000 training examples"),
        (["--grid", "seed=1,2"], "Error: --grid: seed cannot be swept: use --seeds"),
        (["--seeds", "0,0"], "Error: --seeds: a seed is given twice"),
        (["--eta", "x"], "Invalid value for '--eta'"),
    ],
)
def test_bad_input_is_refused_with_one_line_before_anything_runs(runner, config, tmp_path, args, message):
    result = runner.invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), *args])
    assert result.exit_code in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


def test_an_output_that_is_a_file_is_refused_with_one_line(runner, config, tmp_path):
    (tmp_path / "s").write_text("not a folder")
    result = runner.invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), *GRID])
    assert result.exit_code == 1
    assert result.stderr == f"Error: output: {tmp_path / 's'} exists and is not a folder\n"
    assert (tmp_path / "s").read_text() == "not a folder"


def test_the_runs_at_once_must_fit_the_memory_limit(runner, config, tmp_path, monkeypatch):
    monkeypatch.setenv("NNBP_MAX_MEMORY", "40M")  # one run fits, two at once do not
    result = runner.invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), *GRID, "-j", "2"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: -j: 2 runs at once would need about ")
    assert not (tmp_path / "s").exists()
    assert runner.invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), *GRID, "-j", "1"]).exit_code == 0


def test_a_sweep_section_in_the_config_with_grid_options_on_top(runner, config, tmp_path):
    config.write_text(TINY + "sweep:\n  grid:\n    eta: [1, 3]\n    lmbda: [0.0, 1.0]\n  seeds: [4]\n")
    result = runner.invoke(main, ["sweep", str(config), "--grid", "lmbda=2", "-o", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [r["folder"] for r in summary["runs"]] == ["eta=1_lmbda=2_seed=4", "eta=3_lmbda=2_seed=4"]
    assert "] eta=1_lmbda=2_seed=4: finished" in result.stderr
    trained = runner.invoke(main, ["train", str(config)])
    assert trained.exit_code == 1 and "sweep: this file describes a sweep; run it with nnbp sweep" in trained.stderr


def test_the_default_folder_is_named_after_the_config(runner, config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["sweep", str(config), "--grid", "eta=3", "-q"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "runs" / "tiny-sweep" / "eta=3_seed=0" / "weights.npz").is_file()


def test_plot_draws_the_points_side_by_side(runner, config, tmp_path):
    pytest.importorskip("matplotlib")
    sweep(runner, config, tmp_path / "s")
    result = runner.invoke(main, ["plot", str(tmp_path / "s")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {tmp_path / 's' / 'sweep.png'}\n"
    assert (tmp_path / "s" / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_summary_naming_folders_outside_the_sweep_is_refused(tmp_path):
    (tmp_path / "summary.json").write_text(
        json.dumps({"runs": [{"folder": "../x", "values": {}, "status": "finished"}]})
    )
    with pytest.raises(NnbpError, match="not an nnbp sweep summary"):
        read_summary(tmp_path)


def test_spread_and_the_best_point():
    assert spread([]) is None
    assert spread([0.5]) == {"mean": 0.5, "sd": None, "min": 0.5, "max": 0.5}
    assert spread([0.2, 0.4])["sd"] == pytest.approx(np.std([0.2, 0.4], ddof=1))

    def run(eta, status, best):
        return {
            "values": {"eta": eta},
            "status": status,
            "final_accuracy": best,
            "best_accuracy": best,
            "evaluated_on": "validation",
        }

    runs = [run(1, "finished", 0.9), run(1, "failed", None), run(2, "finished", 0.8), run(2, "finished", 0.85)]
    summary = summarize("c.yaml", {"eta": [1, 2]}, [0, 1], runs)
    assert summary["best_point"] == {"eta": 2}  # eta=1 scored higher, but one of its runs failed
    assert [p["best"] for p in summary["points"]] == [False, True]
    assert summary["evaluated_on"] == "validation"
    assert summary_csv(summary).splitlines()[1] == "1,2,1,1,0,0.900000,,0.900000,0.900000,0.900000,,0.900000,0.900000,0"


def test_the_python_api(config, tmp_path):
    seen = []
    planned = plan(config, ["eta=3"], "0", {"epochs": 1}, tmp_path / "s")
    summary = planned.run(jobs=1, on_outcome=lambda point, outcome: seen.append((point.name, outcome.status)))
    assert seen == [("eta=3_seed=0", "finished")]
    assert summary["runs"][0]["epochs"] == 1 and summary == json.loads((tmp_path / "s" / "summary.json").read_text())


SLOW = """\
sizes: [784, 16, 10]
epochs: 4
mini_batch_size: 2
eta: 1.0
dataset: mnist-sample
"""


def test_ctrl_c_stops_every_worker_keeps_what_finished_and_the_sweep_goes_on_after(tmp_path):
    config = tmp_path / "slow.yaml"
    config.write_text(SLOW)
    command = [
        sys.executable,
        "-m",
        "nnbp",
        "sweep",
        str(config),
        "--seeds",
        "0,1,2,3,4",
        "-j",
        "2",
        "-o",
        str(tmp_path / "s"),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("[1/5] seed="), process.stderr.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:  # a sweep that hangs is a failure, and neither it nor its workers may outlive the test
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Stopped by SIGINT: " in err and "run the same command again" in err
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    statuses = [r["status"] for r in summary["runs"]]
    assert statuses.count("finished") >= 1 and "interrupted" in statuses
    assert not list((tmp_path / "s").glob("*/.nnbp*")) and not list((tmp_path / "s").glob(".nnbp*"))

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("; found so") == statuses.count("finished")
    assert [r["status"] for r in json.loads((tmp_path / "s" / "summary.json").read_text())["runs"]] == ["finished"] * 5


def test_a_regression_sweep_is_summarised_by_r2(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    y = 2 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=80)
    table = tmp_path / "line.csv"
    table.write_text("a,b,y\n" + "".join(f"{a:.4f},{b:.4f},{t:.4f}\n" for (a, b), t in zip(x, y)))
    config = tmp_path / "line.yaml"
    config.write_text(f"dataset: {table}\nsizes: [2, 4, 1]\nactivation: [relu, linear]\ninit: scaled\nepochs: 3\n")
    result = cli_runner().invoke(
        main, ["sweep", str(config), "--grid", "eta=0.01,0.05", "--seeds", "0,1", "-j", "1", "-o", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.stderr
    assert "test R² " in result.output and "test R², mean ± sd" in result.output
    summary = read_summary(tmp_path / "s")
    assert summary["measure"] == "r2" and summary["best_point"] is not None
    run = summary["runs"][0]
    history = json.loads((tmp_path / "s" / run["folder"] / "history.json").read_text())
    assert run["final_r2"] == history["epochs"][-1]["r2"] and run["final_accuracy"] is None
    assert [p["final_r2"]["max"] <= 1 for p in summary["points"]] == [True, True]
    pytest.importorskip("matplotlib")
    plotted = cli_runner().invoke(main, ["plot", str(tmp_path / "s")])
    assert plotted.exit_code == 0, plotted.stderr


def test_a_run_that_ended_as_the_sweep_was_stopped_counts_as_finished(config, tmp_path, monkeypatch):
    from nnbp.sweep import sweep as sweep_module
    from nnbp.sweep.worker import train_point

    def stopped_after_one_run(todo, jobs, done):  # the run ends, then Ctrl-C comes before its outcome
        point, action = todo[0]
        train_point(point.config.to_dict(), action)
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "_here", stopped_after_one_run)
    seen = []
    planned = plan(config, [], "0,1", {"epochs": 1}, tmp_path / "s")
    with pytest.raises(KeyboardInterrupt):
        planned.run(jobs=1, on_outcome=lambda point, outcome: seen.append((point.name, outcome.status)))
    assert seen == [("seed=0", "finished")]
    statuses = [r["status"] for r in read_summary(tmp_path / "s")["runs"]]
    assert statuses == ["finished", "interrupted"]
