"""A sweep's summary: for each grid point, the mean ± sd, min and max over its seeds of the final and
the best accuracy on the watched split (a regression's R²), the best point marked; and each run's outcome.

`summary.json` holds it all (`measure`, `points`, `runs`); `summary.csv` one row per point. Accuracies
are fractions, as in `history.json`; sd is the sample standard deviation (n − 1), absent for one seed.
The best point is the one with the highest mean final figure among the points all of whose runs
finished (the best epoch's is a maximum over epochs measured on the same data: optimistic for a curve
that oscillates, as a too-large η's does).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path
from typing import Any

from nnbp.errors import NnbpError
from nnbp.system.safeio import parse_json, read_text, write_atomic, write_json_atomic

SUMMARY_JSON, SUMMARY_CSV = "summary.json", "summary.csv"
MAX_SUMMARY_BYTES = 256 * 2**20
STATUSES = ("finished", "failed", "interrupted")


def spread(values: list[float]) -> dict[str, float | None] | None:
    """Mean, sd (n − 1; None for one value), min and max; None for no values."""
    if not values:
        return None
    return {
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
    }


def summarize(source: str, grid: dict[str, list[Any]], seeds: list[int], runs: list[dict[str, Any]]) -> dict:
    """The summary of a sweep's `runs` (in grid order, each with `values`, `status` and figures)."""
    points: list[dict[str, Any]] = []
    for run in runs:
        if not points or points[-1]["values"] != run["values"]:
            points.append({"values": run["values"], "runs": []})
        points[-1]["runs"].append(run)
    measure = measure_of(runs)
    rows = []
    for point in points:
        done = [r for r in point["runs"] if r["status"] == "finished" and r.get(f"final_{measure}") is not None]
        rows.append(
            {
                "values": point["values"],
                "runs": len(point["runs"]),
                **{status: sum(r["status"] == status for r in point["runs"]) for status in STATUSES},
                f"final_{measure}": spread([r[f"final_{measure}"] for r in done]),
                f"best_{measure}": spread([r[f"best_{measure}"] for r in done]),
                "best": False,
            }
        )
    complete = [row for row in rows if row["finished"] == row["runs"] and row[f"final_{measure}"]]
    best = max(complete, key=lambda row: row[f"final_{measure}"]["mean"], default=None)
    if best is not None:
        best["best"] = True
    watched = sorted({r["evaluated_on"] for r in runs if r.get("evaluated_on")})
    return {
        "config": source,
        "grid": grid,
        "seeds": seeds,
        "evaluated_on": watched[0] if len(watched) == 1 else None,
        "measure": measure,
        "best_point": best["values"] if best else None,
        "points": rows,
        "runs": runs,
    }


def measure_of(runs: list[dict[str, Any]]) -> str:
    """`r2` when the runs are a regression's (they carry R² for accuracy), else `accuracy`."""
    return "r2" if any(r.get("final_r2") is not None for r in runs) else "accuracy"


def write_summary(folder: Path, summary: dict) -> None:
    """`summary.json` and `summary.csv` in the sweep's folder, each written whole or not at all."""
    try:
        write_json_atomic(folder / SUMMARY_JSON, summary)
        write_atomic(folder / SUMMARY_CSV, summary_csv(summary).encode())
    except OSError as e:
        raise NnbpError(
            f"{folder}: cannot write the sweep's summary ({e.strerror or e}); its runs are intact"
        ) from None


def summary_csv(summary: dict) -> str:
    """One row per grid point: its values, run counts, and the spreads of the final and best figure
    (accuracy, or a regression's R²)."""
    keys = list(summary["grid"])
    figures = [f"{kind}_{stat}" for kind in ("final", "best") for stat in ("mean", "sd", "min", "max")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*keys, "runs", *STATUSES, *figures, "best_point"])
    for row in summary["points"]:
        values = [
            json.dumps(row["values"][k]) if isinstance(row["values"][k], (list, dict)) else row["values"][k]
            for k in keys
        ]
        stats = [
            (row[f"{kind}_{summary.get('measure', 'accuracy')}"] or {}).get(stat)
            for kind in ("final", "best")
            for stat in ("mean", "sd", "min", "max")
        ]
        writer.writerow(
            [
                *values,
                row["runs"],
                *(row[s] for s in STATUSES),
                *("" if v is None else f"{v:.6f}" for v in stats),
                int(row["best"]),
            ]
        )
    return out.getvalue()


def read_summary(folder: Path) -> dict:
    """A sweep folder's `summary.json`, with what `nnbp plot` relies on checked."""
    path = folder / SUMMARY_JSON
    summary = parse_json(read_text(path, "a sweep's summary.json", MAX_SUMMARY_BYTES), str(path))
    runs = summary.get("runs") if isinstance(summary, dict) else None
    if not isinstance(runs, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("folder"), str)
        and _plain_name(r["folder"])
        and isinstance(r.get("values"), dict)
        and r.get("status") in STATUSES
        for r in runs
    ):
        raise NnbpError(f"{path}: not an nnbp sweep summary (each run needs a folder, values and a status)")
    return summary


def _plain_name(name: str) -> bool:
    """A folder name inside the sweep's folder: no path, nothing hidden."""
    return bool(name) and Path(name).name == name and not name.startswith(".")
