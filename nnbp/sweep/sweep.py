"""A sweep: one config trained over a grid of values and several seeds, each run an ordinary run
folder inside the sweep's folder, trained by local worker processes or on a Dask cluster, and
summarised per grid point.

    sweep = plan(Path("configs/sweep-eta.yaml"), ["eta=0.025,0.25,2.5"], seeds="0,1,2")
    summary = sweep.run(jobs=2, on_outcome=lambda point, outcome: print(point.name, outcome.status))

Running the same sweep again skips its finished runs (and its diverged ones, which would diverge
again) and resumes the interrupted ones from their last checkpoint. The sweep's folder is locked
while a sweep works in it. This package prints nothing.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbp.config import TrainConfig, build_config, read_config_file
from nnbp.data import Fetch
from nnbp.data.dataset import Dataset
from nnbp.errors import NnbpError
from nnbp.run.folder import RUN_FILES, RunFolder
from nnbp.run.history import History, read_history
from nnbp.run.setup import check_against_data, data_key, dataset_of, training_needs
from nnbp.run.weights import read_meta
from nnbp.sweep.cluster import Cluster, connect
from nnbp.sweep.grid import Point, parse_grid_option, parse_seeds, parse_sweep_section, points
from nnbp.sweep.summary import summarize, write_summary
from nnbp.sweep.worker import RESUME, START, Outcome, diverged_reason, start_worker, train_point, train_point_remote
from nnbp.system.blas import cpu_count
from nnbp.system.memory import describe, memory_limit

OnOutcome = Callable[[Point, Outcome], None]


@dataclass
class Sweep:
    """The runs of a sweep, checked against their data, and the folder they go in."""

    source: str
    folder: Path
    grid: dict[str, list[Any]]
    seeds: list[int]
    points: list[Point]
    datasets: dict[tuple, Dataset]

    def run(
        self,
        jobs: int | None = None,
        scheduler: Cluster | str | None = None,
        force: bool = False,
        on_outcome: OnOutcome | None = None,
    ) -> dict:
        """Train every run not yet finished, `jobs` at a time here (default: one per core) or on the
        Dask cluster `scheduler` (a `Cluster`, or a tcp:// address); write and return the summary.
        `force` trains every run afresh.

        An exception (Ctrl-C) stops the workers; the summary written then records the runs not
        finished as interrupted (a run whose folder shows it ended as it was stopped counts as ended,
        and is reported to `on_outcome`), and the exception goes on."""
        jobs = jobs or cpu_count()
        cluster = Cluster(scheduler) if isinstance(scheduler, str) else scheduler
        with ExitStack() as stack:
            client = stack.enter_context(connect(cluster)) if cluster else None
            lock = RunFolder.make(self.folder)
            try:
                todo, outcomes = self._todo(force, 1 if client else jobs)
            except BaseException:
                lock.close(refused=True)  # nothing ran: leave no folder behind
                raise
            stack.enter_context(lock)
            for point in self.points:
                if point.name in outcomes and on_outcome is not None:
                    on_outcome(point, outcomes[point.name])

            def done(point: Point, outcome: Outcome) -> None:
                outcomes[point.name] = outcome
                if on_outcome is not None:
                    on_outcome(point, outcome)

            try:
                if todo and client:
                    _on_cluster(todo, client, self.datasets, done)
                elif todo:
                    _here(todo, jobs, done)
            finally:
                for point in self.points:  # a run may have ended as the workers were stopped, unreported
                    ended = None if point.name in outcomes else _ended(point)
                    if ended is not None:
                        done(point, ended)
                summary = self._summary(outcomes)
                write_summary(self.folder, summary)
            return summary

    def _todo(self, force: bool, at_once: int) -> tuple[list[tuple[Point, str]], dict[str, Outcome]]:
        """The runs to start or resume, and the outcomes of those found ended; refused (before any run
        starts) if a folder holds a run of another config or the runs at once would not fit in memory."""
        outcomes: dict[str, Outcome] = {}
        todo: list[tuple[Point, str]] = []
        for point in self.points:
            state = START if force else _state(point)
            if isinstance(state, Outcome):
                outcomes[point.name] = state
            else:
                todo.append((point, state))
        self._check_memory([p for p, _ in todo], min(at_once, len(todo)))
        return todo, outcomes

    def _check_memory(self, todo: list[Point], at_once: int) -> None:
        """Refuse a sweep whose `at_once` largest runs together would not fit the memory limit."""
        needs = sorted((training_needs(p.config, self.datasets[_data_key(p.config)]) for p in todo), reverse=True)
        needed = sum(needs[:at_once])
        if at_once > 1 and needed > memory_limit():
            raise NnbpError(
                f"-j: {at_once} runs at once would need about {describe(needed, memory_limit())}; the limit is "
                f"{describe(memory_limit(), needed)}; pass a smaller -j (or set NNBP_MAX_MEMORY)"
            )

    def _summary(self, outcomes: dict[str, Outcome]) -> dict:
        runs = []
        for point in self.points:
            outcome = outcomes.get(point.name) or _interrupted(Path(point.config.output))
            runs.append({"folder": point.name, "values": point.values, "seed": point.seed, **outcome.to_dict()})
        return summarize(self.source, self.grid, self.seeds, runs)


def plan(
    config_path: Path,
    grid_options: list[str],
    seeds: str | None = None,
    options: dict[str, Any] | None = None,
    output: Path | None = None,
    fetch: Fetch | None = None,
) -> Sweep:
    """The sweep that `config_path` (with its `sweep:` section), `--grid` options, `--seeds` and other
    config key `options` describe, every run's config checked against its data before any runs.

    A `--grid` for a key the `sweep:` section also sweeps replaces the section's values; seeds come
    from `seeds`, else the section, else the config's `seed`. Without `output` the sweep's folder is
    runs/<the config file's name>-sweep.
    """
    source = str(config_path)
    raw = read_config_file(config_path)
    section = raw.pop("sweep", None)
    grid, section_seeds = parse_sweep_section(section, source) if section is not None else ({}, None)
    given: set[str] = set()
    for text in grid_options:
        name, values = parse_grid_option(text)
        if name in given:
            raise NnbpError(f"--grid: {name} is given twice; list all its values in one --grid {name}=V1,V2,...")
        given.add(name)
        grid[name] = values
    base = build_config(raw, {k: v for k, v in (options or {}).items() if k != "output"}, source)
    seed_list = parse_seeds(seeds, "--seeds") if seeds is not None else section_seeds or [base.seed]
    folder = (output or Path("runs") / f"{config_path.stem}-sweep").expanduser()
    runs = points(base.to_dict(), grid, seed_list, source, lambda name: folder / name)
    datasets: dict[tuple, Dataset] = {}
    for point in runs:
        key = _data_key(point.config)
        if key not in datasets:
            datasets[key] = dataset_of(point.config, fetch)
        check_against_data(point.config, datasets[key], f"{source} ({point.name})")
    return Sweep(source, folder, grid, seed_list, runs, datasets)


def _state(point: Point) -> str | Outcome:
    """What to do with a point's folder: START, RESUME, or nothing (the outcome it holds)."""
    folder = Path(point.config.output)
    weights = folder / "weights.npz"
    if not weights.is_file():
        return _diverged_at_once(point) or START
    meta = read_meta(weights)
    checkpoint = meta.get("checkpoint") if isinstance(meta.get("checkpoint"), dict) else {}
    if not isinstance(meta.get("config"), dict) or "history" not in checkpoint:
        raise NnbpError(
            f"{folder}: holds weights that are not a run's checkpoint; pass --force to train "
            "it afresh, or choose another --output"
        )
    recorded = build_config(meta["config"], {}, f"{weights}: meta: config")
    history = History.from_dict(checkpoint["history"], f"{weights}: meta: checkpoint: history")
    changed = _changed(recorded, point.config) or ("epochs" if len(history.epochs) > point.config.epochs else None)
    if changed:
        raise NnbpError(
            f"{folder}: holds a run with {changed} {recorded.to_dict()[changed]!r}, not "
            f"{point.config.to_dict()[changed]!r}; pass --force to train every run afresh, or "
            "choose another --output"
        )
    if history.diverged is not None:
        return Outcome.of(history, "failed", diverged_reason(history, point.config.eta))
    if history.test is not None and (history.stopped or len(history.epochs) == point.config.epochs):
        return Outcome.of(history, "finished")
    return RESUME


def _ended(point: Point) -> Outcome | None:
    """The outcome a point's folder holds if its run has ended (finished or failed), else None."""
    try:
        state = _state(point)
    except NnbpError:
        return None
    return state if isinstance(state, Outcome) else None


def _diverged_at_once(point: Point) -> Outcome | None:
    """The outcome of a run of this config that diverged before its first checkpoint, if its folder
    records one (a config.yaml and a history.json)."""
    folder = Path(point.config.output)
    if not (folder / "history.json").is_file() or not (folder / "config.yaml").is_file():
        return None
    history = read_history(folder / "history.json")
    recorded = build_config(read_config_file(folder / "config.yaml"), {}, str(folder / "config.yaml"))
    if history.diverged is None or _changed(recorded, point.config) or recorded.epochs != point.config.epochs:
        return None
    return Outcome.of(history, "failed", diverged_reason(history, point.config.eta))


def _changed(recorded: TrainConfig, wanted: TrainConfig) -> str | None:
    """The first key, but `epochs` (which may grow) and `output` (the same folder however named),
    in which a folder's run differs from the one the sweep wants there."""
    a, b = recorded.to_dict(), wanted.to_dict()
    return next((k for k in b if a.get(k) != b[k] and k not in ("epochs", "output")), None)


def _data_key(config: TrainConfig) -> tuple:
    return data_key(config)


def _interrupted(folder: Path) -> Outcome:
    """A run that did not finish in this sweep, with the epochs its checkpoint holds."""
    try:
        history = History.from_dict(read_meta(folder / "weights.npz")["checkpoint"]["history"], str(folder))
    except (NnbpError, KeyError, TypeError):
        return Outcome("interrupted")
    return Outcome.of(history, "interrupted")


def _here(todo: list[tuple[Point, str]], jobs: int, done: OnOutcome) -> None:
    """The runs in `jobs` worker processes on this machine (fresh interpreters: safe whatever threads
    this process has), each pinned to one BLAS thread."""
    context = multiprocessing.get_context("spawn")
    tasks = [(i, p.config.to_dict(), action) for i, (p, action) in enumerate(todo)]
    pool = context.Pool(min(jobs, len(todo)), initializer=start_worker)
    try:
        for i, outcome in pool.imap_unordered(_train_task, tasks):
            done(todo[i][0], outcome)
        pool.close()  # the workers finish and leave
    except BaseException:
        pool.terminate()  # SIGTERM: each worker leaves its run at the last checkpoint
        raise
    finally:
        pool.join()


def _train_task(task: tuple[int, dict, str]) -> tuple[int, Outcome]:
    i, config, action = task
    return i, train_point(config, action)


def _on_cluster(todo: list[tuple[Point, str]], client: Any, datasets: dict, done: OnOutcome) -> None:
    """The runs on a Dask cluster: each run's data and checkpoint go out, its files come back into its
    folder here, so the workers need no shared file system."""
    from distributed import as_completed

    shared = {key: client.scatter(data, broadcast=True) for key, data in datasets.items()}
    futures = {}
    for point, action in todo:
        folder = Path(point.config.output)
        files = {n: (folder / n).read_bytes() for n in RUN_FILES if action == RESUME and (folder / n).is_file()}
        future = client.submit(
            train_point_remote, point.config.to_dict(), action, files, shared[_data_key(point.config)], pure=False
        )
        futures[future] = point
    try:
        for future in as_completed(futures):
            point = futures[future]
            try:
                outcome, files = future.result()
            except Exception as e:  # a worker lost, say: the run failed, the sweep goes on
                outcome, files = Outcome("failed", f"on the cluster: {type(e).__name__}: {str(e)[:200]}"), {}
            if files:
                try:
                    with RunFolder.make(Path(point.config.output)) as folder:
                        folder.write_files(files)
                except NnbpError as e:  # this run's folder: the others may still be written
                    outcome = Outcome("failed", str(e))
            done(point, outcome)
    except BaseException:
        client.cancel(list(futures))
        raise
