"""A sweep's grid: the values each swept config key takes, the seeds, and the runs they make.

`--grid KEY=V1,V2,...` gives one key's values as it would be typed as an option (`eta=0.025,0.25,2.5`;
list values in brackets: `sizes=[784,30,10],[784,100,10]`); a config's `sweep:` section gives them as
YAML (`grid: {eta: [0.025, 0.25, 2.5]}`, `seeds: [0, 1, 2]`). Every value is checked by its key's own
parser. The runs are every combination of values (in the order the keys were given) times every
seed; each is named after what varies, as a folder name.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from nnbp.config import KEYS, TrainConfig, build_config
from nnbp.errors import NnbpError

NOT_SWEPT = {"output": "each run has its own folder", "seed": "use --seeds", "threads": "every run has one BLAS thread"}
MAX_RUNS = 10_000


@dataclass(frozen=True)
class Point:
    """One run of a sweep: the swept keys' values, the seed, the effective config and its folder name."""

    values: dict[str, Any]  # as YAML would hold them
    seed: int
    config: TrainConfig
    name: str


def split_values(text: str) -> list[str]:
    """'a,b,[c,d],{e: 1, f: 2}' as ['a', 'b', '[c,d]', '{e: 1, f: 2}']: commas inside brackets stay."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in parts + [current] if p.strip()]


def parse_grid_option(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` as the key and its values (as an option's text would make them), each checked."""
    name, sep, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not values.strip():
        raise NnbpError(f"--grid: {text[:60]!r} is not KEY=V1,V2,... (e.g. eta=0.025,0.25,2.5)")
    key = _sweepable(name, "--grid")
    parsed = []
    for value in split_values(values):
        text_value = key.from_text(value)
        parsed.append(_plain(key.parse(text_value, f"--grid: {name}")))
    return name, parsed


def parse_sweep_section(section: Any, source: str) -> tuple[dict[str, list[Any]], list[int] | None]:
    """A config's `sweep: {grid: {KEY: [values]}, seeds: [..]}` section, each value checked."""
    where = f"{source}: sweep"
    if not isinstance(section, dict) or set(section) - {"grid", "seeds"}:
        raise NnbpError(f"{where}: expected a mapping with grid (and seeds)")
    grid: dict[str, list[Any]] = {}
    raw_grid = section.get("grid") or {}
    if not isinstance(raw_grid, dict):
        raise NnbpError(f"{where}: grid: expected a mapping of config keys to lists of values")
    for name, values in raw_grid.items():
        key = _sweepable(str(name), f"{where}: grid")
        if not isinstance(values, list) or not values:
            raise NnbpError(f"{where}: grid: {name}: expected a list of values")
        grid[name] = [_plain(key.parse(v, f"{where}: grid: {name}[{i}]")) for i, v in enumerate(values)]
    seeds = section.get("seeds")
    return grid, None if seeds is None else parse_seeds(seeds, f"{where}: seeds")


def parse_seeds(value: Any, where: str) -> list[int]:
    """Seeds as a list (YAML) or '0,1,2' (an option): distinct whole numbers ≥ 0."""
    items = split_values(value) if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise NnbpError(f"{where}: {str(value)[:40]!r} is not a list of seeds such as 0,1,2")
    seeds = [KEYS["seed"].parse(KEYS["seed"].from_text(s) if isinstance(s, str) else s, where) for s in items]
    if len(set(seeds)) != len(seeds):
        raise NnbpError(f"{where}: a seed is given twice")
    return seeds


def points(
    base: dict[str, Any], grid: dict[str, list[Any]], seeds: list[int], source: str, folder_of: Any
) -> list[Point]:
    """Every run: each combination of the grid's values, for each seed, with its checked config.

    `base` is the config file's keys; `folder_of(name)` gives a run's output folder.
    """
    n_runs = math.prod(len(values) for values in grid.values()) * len(seeds)  # counted before any is made
    if n_runs > MAX_RUNS:
        raise NnbpError(f"--grid: {n_runs:,} runs is more than a sweep takes ({MAX_RUNS:,})")
    combinations = list(itertools.product(*grid.values()))
    runs, names = [], set()
    for combination in combinations:
        values = dict(zip(grid, combination))
        for seed in seeds:
            name = run_name(values, seed)
            if name in names:
                raise NnbpError(f"--grid: two runs would both be named {name!r}; give distinct values")
            names.add(name)
            keys = {**base, **values, "seed": seed, "threads": 1, "output": str(folder_of(name))}
            config = build_config(keys, {}, source)
            runs.append(Point(values, seed, config, name))
    return runs


def run_name(values: dict[str, Any], seed: int) -> str:
    """A folder name for a run: `eta=0.25_seed=0`, `sizes=784-100-10_seed=1`."""
    return "_".join(f"{key}={_name_part(v)}" for key, v in [*values.items(), ("seed", seed)])


def _name_part(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_name_part(v) for v in value)
    if isinstance(value, dict):
        return "-".join(_name_part(v) for v in value.values())
    if isinstance(value, float):  # short, unless that would merge values: 0.1 and 0.1000001 stay apart
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    text = str(value).lower() if isinstance(value, bool) or value is None else str(value)
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text)[:40]


def _sweepable(name: str, where: str) -> Any:
    if name not in KEYS:
        raise NnbpError(f"{where}: {name[:40]}: unknown key; known keys are {', '.join(KEYS)}")
    if name in NOT_SWEPT:
        raise NnbpError(f"{where}: {name} cannot be swept: {NOT_SWEPT[name]}")
    return KEYS[name]


def _plain(value: Any) -> Any:
    """A parsed value as YAML would hold it (tuples as lists, a schedule or an expansion as a mapping)."""
    if isinstance(value, tuple):
        return list(value)
    if is_dataclass(value):
        return asdict(value)
    return value
