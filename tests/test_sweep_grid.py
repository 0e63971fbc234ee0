"""A sweep's grid: values as --grid and a `sweep:` section give them, each checked by its key's
parser; every combination times every seed; run names after what varies."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnbp.errors import NnbpError
from nnbp.sweep.grid import (
    MAX_RUNS,
    parse_grid_option,
    parse_seeds,
    parse_sweep_section,
    points,
    run_name,
    split_values,
)

BASE = {"sizes": [784, 12, 10], "epochs": 1, "dataset": "mnist-sample", "seed": 0}


def test_split_values_keeps_commas_inside_brackets():
    assert split_values("0.1, 1,[784,30,10], {a: 1, b: 2}") == ["0.1", "1", "[784,30,10]", "{a: 1, b: 2}"]
    assert split_values("a,,b,") == ["a", "b"]


@pytest.mark.parametrize(
    "text, key, values",
    [
        ("eta=0.025,0.25,2.5", "eta", [0.025, 0.25, 2.5]),
        ("sizes=[784,30,10],[784,100,10]", "sizes", [[784, 30, 10], [784, 100, 10]]),
        ("mini-batch-size=10,100", "mini_batch_size", [10, 100]),
        ("cost=quadratic,cross-entropy", "cost", ["quadratic", "cross-entropy"]),
        ("monitor_training=true,false", "monitor_training", [True, False]),
        ("early_stopping=none,5", "early_stopping", [None, 5]),
    ],
)
def test_grid_options_are_parsed_as_the_keys_own_options(text, key, values):
    assert parse_grid_option(text) == (key, values)


@pytest.mark.parametrize(
    "text, message",
    [
        ("etta=1,2", "--grid: etta: unknown key; known keys are sizes, "),
        ("eta=fast,1", "--grid: eta: "),
        ("eta=-1", "--grid: eta: "),
        ("sizes=[784,x,10]", "--grid: sizes[1]: "),
        ("epochs=1.5", "--grid: epochs: "),
        ("seed=0,1", "--grid: seed cannot be swept: use --seeds"),
        ("output=a,b", "--grid: output cannot be swept"),
        ("threads=1,2", "--grid: threads cannot be swept"),
        ("eta", "--grid: 'eta' is not KEY=V1,V2,..."),
        ("eta=", "--grid: 'eta=' is not KEY=V1,V2,..."),
    ],
)
def test_bad_grid_options_are_one_line_errors(text, message):
    with pytest.raises(NnbpError) as e:
        parse_grid_option(text)
    assert str(e.value).startswith(message) and "\n" not in str(e.value)


def test_a_sweep_section_is_checked_value_by_value():
    grid, seeds = parse_sweep_section({"grid": {"eta": [0.5, 3], "sizes": [[784, 30, 10]]}, "seeds": [2, 0]}, "c.yaml")
    assert grid == {"eta": [0.5, 3.0], "sizes": [[784, 30, 10]]} and seeds == [2, 0]
    for section, message in [
        ({"grid": {"eta": ["fast"]}}, "c.yaml: sweep: grid: eta[0]: "),
        ({"grid": {"eta": 0.5}}, "c.yaml: sweep: grid: eta: expected a list of values"),
        ({"grid": {"eta": [1]}, "seeds": [0, 0]}, "c.yaml: sweep: seeds: a seed is given twice"),
        ({"grid": {"seed": [1]}}, "c.yaml: sweep: grid: seed cannot be swept"),
        ({"grids": {}}, "c.yaml: sweep: expected a mapping with grid (and seeds)"),
        ([1, 2], "c.yaml: sweep: expected a mapping"),
    ]:
        with pytest.raises(NnbpError) as e:
            parse_sweep_section(section, "c.yaml")
        assert str(e.value).startswith(message), section


def test_seeds_are_distinct_whole_numbers():
    assert parse_seeds("3,1,2", "--seeds") == [3, 1, 2]
    for bad in ("", "1,x", "-1", "1,1", "1.5"):
        with pytest.raises(NnbpError):
            parse_seeds(bad, "--seeds")


def test_every_combination_for_every_seed_in_order_with_its_own_folder(tmp_path):
    grid = {"eta": [0.5, 3.0], "sizes": [[784, 12, 10], [784, 20, 10]]}
    runs = points(BASE, grid, [0, 1], "c.yaml", lambda name: tmp_path / name)
    assert [r.name for r in runs[:3]] == [
        "eta=0.5_sizes=784-12-10_seed=0",
        "eta=0.5_sizes=784-12-10_seed=1",
        "eta=0.5_sizes=784-20-10_seed=0",
    ]
    assert len(runs) == 8 and len({r.name for r in runs}) == 8
    last = runs[-1]
    assert last.values == {"eta": 3.0, "sizes": [784, 20, 10]} and last.seed == 1
    assert last.config.eta == 3.0 and last.config.sizes == (784, 20, 10) and last.config.seed == 1
    assert last.config.threads == 1 and Path(last.config.output) == tmp_path / last.name
    assert last.config.epochs == 1  # the rest of the config is the base's


def test_no_grid_is_one_point_per_seed(tmp_path):
    runs = points(BASE, {}, [4, 5], "c.yaml", lambda name: tmp_path / name)
    assert [r.name for r in runs] == ["seed=4", "seed=5"]


def test_values_that_would_share_a_folder_are_refused(tmp_path):
    with pytest.raises(NnbpError, match="two runs would both be named 'eta=0.1_seed=0'"):
        points(BASE, {"eta": [0.1, 0.10]}, [0], "c.yaml", lambda name: tmp_path / name)


def test_a_combination_that_is_not_a_network_is_refused_naming_the_file(tmp_path):
    with pytest.raises(NnbpError, match="c.yaml: activation: 2 activations for 3 layers"):
        points(
            {**BASE, "activation": ["sigmoid", "sigmoid"]},
            {"sizes": [[784, 12, 10], [784, 12, 12, 10]]},
            [0],
            "c.yaml",
            lambda name: tmp_path / name,
        )


def test_too_many_runs_are_refused_before_any_config_is_built(tmp_path):
    grid = {"eta": [0.1 * (i + 1) for i in range(101)], "epochs": list(range(1, 101))}
    with pytest.raises(NnbpError, match=f"more than a sweep takes \\({MAX_RUNS:,}\\)"):
        points(BASE, grid, [0], "c.yaml", lambda name: tmp_path / name)


@pytest.mark.parametrize(
    "values, seed, name",
    [
        ({"eta": 0.25}, 0, "eta=0.25_seed=0"),
        ({"eta": 1e-05}, 2, "eta=1e-05_seed=2"),
        ({"activation": ["relu", "sigmoid"]}, 0, "activation=relu-sigmoid_seed=0"),
        ({"monitor_training": True, "early_stopping": None}, 0, "monitor_training=true_early_stopping=none_seed=0"),
        ({"dataset": "../data/my set.npz"}, 0, "dataset=..-data-my-set.npz_seed=0"),
    ],
)
def test_run_names_are_plain_folder_names(values, seed, name):
    assert run_name(values, seed) == name
    assert "/" not in name and not name.startswith(".")
