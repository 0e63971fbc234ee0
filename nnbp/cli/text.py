"""Text for people: the lines `nnbp` prints for a training run, an evaluation, the datasets, a
gradient check and a benchmark, and strict JSON for machines. Returns strings; the CLI prints them."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
from pathlib import Path
from typing import Any

from nnbp.benchmark import THREAD_SETTINGS, Plan
from nnbp.diagnostics import SlowestLayer
from nnbp.gradcheck import GradCheck
from nnbp.run.history import History
from nnbp.training import EpochResult


def strict_json(obj: Any) -> str:
    """JSON a strict parser reads: a NaN or infinity becomes null, never a bare NaN."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(obj), allow_nan=False)


def regression_text(f: dict | EpochResult) -> str:
    """A regression's figures on a split: `R² 0.482, MSE 2.9e+03, MAE 43.1` (in the targets' units)."""
    get = f.get if isinstance(f, dict) else lambda k: getattr(f, k)
    return f"R² {get('r2'):.3f}, MSE {get('mse'):.4g}, MAE {get('mae'):.4g}"


def epoch_line(result: EpochResult, epochs: int, watched: str, show_eta: bool = False) -> str:
    if result.r2 is not None:
        training = f"; training cost {result.training_cost:.4f}" if result.training_cost is not None else ""
        figures = f"{watched} {regression_text(result)}"
    else:
        training = (
            f"; training {100 * result.training_accuracy:.2f}%, cost {result.training_cost:.4f}"
            if result.training_accuracy is not None
            else ""
        )
        figures = f"{result.correct} / {result.total} {watched} ({100 * result.accuracy:.2f}%)"
    return (
        f"Epoch {result.epoch}/{epochs}: {figures}, cost {result.cost:.4f}{training}"
        + (f", eta {result.eta:g}" if show_eta else "")
        + f", {result.seconds:.2f} s"
    )


def final_lines(weights: Path, history: History) -> list[str]:
    """Where the run stopped and why (if it stopped itself), and what it saved, with its test figures."""
    test, best, done = history.test, history.best, len(history.epochs)
    lines = [f"Stopped after epoch {history.stopped['epoch']}: {history.stopped['reason']}"] if history.stopped else []
    epochs = f"after {done} epoch{'s' if done != 1 else ''}"
    if best.r2 is not None:
        line = (
            f"Saved {weights}: test {regression_text(test)} {epochs}; best {history.evaluated_on} R² "
            f"{best.r2:.3f} at epoch {best.epoch}"
        )
        best_test = None if history.best_test is None else regression_text(history.best_test)
    else:
        line = (
            f"Saved {weights}: test accuracy {100 * test['accuracy']:.2f}% ({test['correct']} / {test['total']}) "
            f"{epochs}; best {history.evaluated_on} accuracy {100 * best.accuracy:.2f}% at epoch {best.epoch}"
        )
        best_test = None if history.best_test is None else f"{100 * history.best_test['accuracy']:.2f}%"
    if best.epoch != done and best_test is not None:
        line += f", whose network (best.npz) scores {best_test} on the test split"
    elif best.epoch != done:
        line += ", whose network is gone: best.npz was deleted after that epoch"
    return lines + [line]


def slowest_layer_line(s: SlowestLayer) -> str:
    """One sentence naming the layer whose weights learned slowest, per weight, and what BP1–BP4 blame."""
    reasons = []
    if s.saturated_share is not None and s.saturated_share >= 0.3:
        reasons.append(f"{100 * s.saturated_share:.0f}% of its neurons were saturated (σ′(z) ≈ 0 shrinks δ: BP1, BP2)")
    if s.near_zero_input_share >= 0.3:
        reasons.append(
            f"{100 * s.near_zero_input_share:.0f}% of the activations feeding it were near zero "
            "(∂C/∂w = a_in·δ_out: BP4)"
        )
    if not reasons:
        reasons.append(
            "the error δ reaching it was small, though few of its neurons were saturated "
            "and few of its inputs near zero"
        )
    compare = (
        f", against {s.fastest_grad_w_rms:.1e} into layer {s.fastest_layer}" if s.fastest_layer is not None else ""
    )
    return (
        f"The weights w{_superscript(s.layer)} into layer {s.layer} ({s.n_in} → {s.n_out}) learned slowest: "
        f"‖∂C/∂w‖ per weight averaged {s.grad_w_rms:.1e}{compare}, because " + " and ".join(reasons) + "."
    )


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def task_note(config: Any, dataset: Any) -> str | None:
    """What nnbp inferred from a table, said once: a classification of these classes, or a regression."""
    if dataset.kind != "table" or config.task != "auto":
        return None
    target = ", ".join(shown(n, 30) for n in dataset.target_names)
    if dataset.regression:
        return (
            f"note: {shown(dataset.name)}: predicting {target} as values (a regression), as it holds numbers "
            "with decimals or the output is linear; task: classification treats a whole-number target as classes"
        )
    return (
        f"note: {shown(dataset.name)}: predicting {target} as {dataset.n_classes} classes; task: regression "
        "treats a numeric target as values"
    )


def watching_test_note(dataset: str) -> str:
    return (
        f"note: {dataset} has no validation split, so early stopping and the eta schedule watch the test "
        "split, and its final figures are no longer an unseen test; hold some training examples out with "
        "--validation-size"
    )


def stopped_line(signum: int, output: Path, done: int) -> str:
    name = signal.Signals(signum).name
    if done:
        return (
            f"Stopped by {name}: {output} holds the {done} completed epoch(s); continue with: "
            f"nnbp train --resume {output}"
        )
    return f"Stopped by {name} before the first epoch ended: nothing was saved to {output}; start again with --force"


MATRIX_CLASSES = 20  # a confusion matrix wider than this does not fit a terminal: the largest confusions instead
LISTED = 10  # classes and confusions listed for a dataset with more classes than that


def shown(value: Any, limit: int = 80) -> str:
    """Text from a file, safe to print: control characters (a terminal's escape sequences) written as
    escapes, and cut at `limit` characters."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evaluation_lines(weights: Path, dataset: Any, ev: Any) -> list[str]:
    """Accuracy, per-class accuracy (with the classes' names) and the confusion matrix (rows: true
    class, columns: predicted); for many classes, the least accurate classes and the largest confusions.
    For a regression: R², MSE and MAE in the targets' units."""
    if dataset.regression:
        return [
            f"{weights} on {shown(dataset.name)} (test split, {ev.total} rows)",
            f"{regression_text(ev.to_dict())}, cost {ev.cost:.4f}"
            + f" (targets: {', '.join(shown(n, 30) for n in dataset.target_names or [])})",
        ]
    lines = [
        f"{weights} on {shown(dataset.name)} (test split)",
        f"accuracy {100 * ev.accuracy:.2f}% ({ev.correct} / {ev.total}), cost {ev.cost:.4f}",
    ]
    accuracy = ev.per_class_accuracy
    names = [shown(dataset.class_name(c), 30) for c in range(ev.n_classes)]
    if ev.n_classes <= MATRIX_CLASSES:
        confusion = ev.confusion.tolist()
        width = max(5, len(str(max(map(max, confusion)))) + 1)
        return [
            *lines,
            "per-class accuracy: "
            + "  ".join(f"{names[c]}: {'-' if a is None else f'{100 * a:.1f}%'}" for c, a in enumerate(accuracy)),
            "confusion matrix (rows: true class, columns: predicted):",
            "    " + "".join(f"{c:>{width}}" for c in range(len(confusion))),
            *(f"{c:>3} " + "".join(f"{v:>{width}}" for v in row) for c, row in enumerate(confusion)),
        ]
    present = [c for c, a in enumerate(accuracy) if a is not None]
    worst = sorted(present, key=lambda c: (accuracy[c], c))[:LISTED]
    return [
        *lines,
        f"{ev.n_classes:,} classes, {len(present):,} of them in the test split; the {len(worst)} least accurate: "
        + "  ".join(f"{names[c]}: {100 * accuracy[c]:.1f}%" for c in worst),
        f"the {LISTED} largest confusions (true → predicted: count): "
        + "  ".join(f"{names[t]} → {names[p]}: {n}" for t, p, n in ev.confusions(LISTED)),
    ]


def prediction_lines(predictions: list[Any], kind: str) -> list[str]:
    """Each input's most likely class, then the next ones, with their scores."""
    lines = [f"(score: {kind})"]
    for p in predictions:
        (first, score), *rest = p.top
        others = ", ".join(f"{shown(name, 30)} {s:.3f}" for name, (_, s) in zip(p.names[1:], rest))
        lines.append(f"{p.input}: {shown(p.names[0], 30)} {score:.3f}" + (f"; then {others}" if others else ""))
    return lines


def rows_csv(rows: list[Any], model: Any) -> str:
    """Predictions for a table's rows as CSV: row, then class and score for each of the top classes, or
    the regression's value for each target column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if model.task == "regression":
        writer.writerow(["row", *(model.target_names or ["value"])])
        writer.writerows([r.row, *(f"{v:.10g}" for v in r.values)] for r in rows)
    else:
        k = len(rows[0].top) if rows else 1
        header = [f"{part}{'' if i == 0 else f'_{i + 1}'}" for i in range(k) for part in ("class", "score")]
        writer.writerow(["row", *header])
        writer.writerows([r.row, *(x for name, score in r.top for x in (name, f"{score:.6f}"))] for r in rows)
    return out.getvalue()


def info_lines(info: dict) -> list[str]:
    """`nnbp info`: the network, its training and its figures (text from the file made safe to print)."""
    lines = [
        f"{info['file']}: {info['sizes']} {'/'.join(info['activation'])}, {info['cost']} cost, "
        f"{info['parameters']:,} parameters ({info['dtype']}), nnbp {shown(info['nnbp'], 20)}"
    ]
    if info.get("dataset"):
        names = info.get("class_names") or []
        listed = ", ".join(shown(n, 30) for n in names[:LISTED]) + (
            f", … ({len(names):,} in all)" if len(names) > LISTED else ""
        )
        lines.append(f"trained on {shown(info['dataset'])}" + (f"; classes: {listed}" if names else ""))
    config = info.get("config") or {}
    keys = ("eta", "mini_batch_size", "epochs", "lmbda", "momentum", "eta_schedule", "early_stopping", "init", "seed")
    described = [
        f"{k} {shown(config[k], 40)}" for k in keys if k in config and (k == "seed" or config[k] not in (None, 0, 0.0))
    ]
    if described:
        lines.append("config: " + ", ".join(described))
    if "epochs" in info and info.get("final_r2") is not None:
        lines.append(
            f"{info['epochs']} epochs; {info['evaluated_on']} R² {info['final_r2']:.3f} at the last, "
            f"{info['best_r2']:.3f} at the best (epoch {info['best_epoch']})"
        )
        if info.get("test"):
            best_test = info.get("best_test")
            lines.append(
                f"test {regression_text(info['test'])} (last epoch)"
                + (f"; {regression_text(best_test)} (best epoch)" if best_test else "")
            )
    elif "epochs" in info:
        lines.append(
            f"{info['epochs']} epochs; {info['evaluated_on']} accuracy {100 * info['final_accuracy']:.2f}% "
            f"at the last, {100 * info['best_accuracy']:.2f}% at the best (epoch {info['best_epoch']})"
        )
        if info.get("test"):
            best_test = info.get("best_test")
            lines.append(
                f"test accuracy {100 * info['test']['accuracy']:.2f}% (last epoch)"
                + (f", {100 * best_test['accuracy']:.2f}% (best epoch)" if best_test else "")
            )
    if info.get("feature_names"):
        features = info["feature_names"]
        listed = ", ".join(shown(n, 30) for n in features[:LISTED]) + (" …" if len(features) > LISTED else "")
        lines.append(
            f"a {info['task']} of {', '.join(shown(n, 30) for n in info.get('target_names') or [])} "
            f"from {len(features)} columns: {listed}"
        )
        if info.get("stopped"):
            lines.append(f"stopped after epoch {info['stopped']['epoch']}: {shown(info['stopped']['reason'], 200)}")
    elif "epoch" in info:
        lines.append(f"the network of epoch {shown(info['epoch'], 20)} (best.npz)")
    return lines


def dataset_lines(rows: list[Any]) -> list[str]:
    """`nnbp data list`: each known dataset, its split sizes, and where it is."""
    lines = [f"{'name':<14} {'train':>7} {'valid.':>7} {'test':>7}  where"]
    for r in rows:
        if r.where is None or r.train is None:
            lines.append(f"{r.name:<14} {'-':>7} {'-':>7} {'-':>7}  {r.where or 'missing'} (nnbp data fetch {r.name})")
        else:
            lines.append(f"{r.name:<14} {r.train:>7} {r.validation:>7} {r.test:>7}  {r.where}")
    return lines


def gradcheck_lines(result: GradCheck, described: dict) -> list[str]:
    """The check as a table for people: per layer, the parameters checked and the largest errors."""
    lines = [
        f"{described['sizes']} {'/'.join(described['activation'])}, {described['cost']} cost; a mini-batch of "
        f"{described['mini_batch_size']} from {described['dataset']}; float64, eps {result.eps:g}"
        + (f"; through the first step's dropout masks (p {described['dropout']})" if described.get("dropout") else ""),
        f"{'layer':>5} {'weights checked':>16} {'max rel. error':>15} {'biases checked':>15} {'max rel. error':>15}",
    ]
    for c in result.layers:
        lines.append(
            f"{c.layer:>5} {f'{c.weights_checked}/{c.weights_total}':>16} {c.weights_max_rel_error:>15.2e} "
            f"{f'{c.biases_checked}/{c.biases_total}':>15} {c.biases_max_rel_error:>15.2e}"
        )
    verdict, compare = ("PASS", "<=") if result.passed else ("FAIL", ">")
    lines.append(
        f"{verdict}: largest relative error {result.max_rel_error:.2e} {compare} tolerance "
        f"{result.tolerance:g} (derivatives below {result.floor:.1e} judged against that floor)"
    )
    how = f"extrapolated from the {result.n_checked} checked" if result.extrapolated else "all checked"
    lines.append(
        f"Whole gradient: one backprop {1e3 * result.backprop_seconds:.3f} ms; finite differences "
        f"2 x {result.n_params} forward passes = {result.finite_difference_seconds:.3f} s ({how}): "
        f"backprop is {result.speedup:,.0f}x faster"
    )
    return lines


def bench_header_lines(p: Plan) -> list[str]:
    blas = "; ".join(
        f"{b.get('library')} {b.get('version')}"
        + (f" ({b['architecture']} kernel)" if b.get("architecture") else "")
        + (f", {b['threads']} threads at most" if b.get("threads") else "")
        for b in p.environment["blas"]
    )
    lines = [
        f"{list(p.config.sizes)} on {p.dataset.name} ({len(p.dataset.train)} training examples), "
        f"{p.config.dtype}, eta {p.config.eta}, seed {p.config.seed}, threads {p.config.threads}; "
        f"medians of {p.repeats} interleaved runs",
        f"numpy {p.environment['numpy']}, BLAS {blas}; {p.environment['processor']}, {p.environment['cpus']} CPUs",
    ]
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"note: {var}={os.environ[var]} is set and shapes these figures")
    if len(p.environment["blas"]) > 1:
        lines.append("note: more than one BLAS is loaded; together they may oversubscribe the CPUs")
    lines.append(
        f"{'batch':>6} {'threads':>7} {'matrix s/epoch':>22} {'loop s/epoch':>22} {'speedup':>8} "
        f"{'matrix ex/s':>12} {'loop ex/s':>10} {'floor s':>8} {'x floor':>8} {'max grad diff':>14}"
    )
    return lines


def bench_row(r: dict) -> str:
    def cell(median: float, spread: list[float]) -> str:
        return f"{median:.4f} ({spread[0]:.4f}-{spread[1]:.4f})"

    return (
        f"{r['mini_batch_size']:>6} {r['blas_threads']:>7} "
        f"{cell(r['matrix_seconds_per_epoch'], r['matrix_spread']):>22} "
        f"{cell(r['loop_seconds_per_epoch'], r['loop_spread']):>22} {r['speedup']:>7.1f}x "
        f"{r['matrix_examples_per_second']:>12.0f} {r['loop_examples_per_second']:>10.0f} "
        f"{r['floor_seconds_per_epoch']:>8.4f} {r['floor_ratio']:>8.2f} {r['max_grad_diff']:>14.1e}"
    )


def bench_footer_lines(p: Plan) -> list[str]:
    n, first, lines = len(p.dataset.train), p.results[0], []
    if p.contended:
        return [f"each epoch timed on {first['examples_timed']} examples; ratio: busy / quiet; (n): BLAS threads"]
    if first["loop_examples_timed"] < n:
        lines.append(
            f"loop s/epoch is extrapolated from {first['loop_examples_timed']} examples (whole batches) "
            f"to the {n} of an epoch."
        )
    if first["matrix_examples_timed"] < n:
        lines.append(
            f"matrix and floor s/epoch are extrapolated from {first['matrix_examples_timed']} examples (--quick)."
        )
    lines.append(f"peak memory {p.summary()['peak_memory_mb']:.0f} MB")
    return lines


def contention_header_lines(p: Plan) -> list[str]:
    """The header of `--contended`'s table."""
    return [
        f"{list(p.config.sizes)} on {p.dataset.name}, {p.config.dtype}: the matrix engine's s/epoch on a quiet "
        f"machine and beside a busy process (a Python loop), medians of {p.repeats}; numpy {p.environment['numpy']}, "
        f"{p.environment['cpus']} CPUs",
        f"{'batch':>6} " + " ".join(f"{f'{s} threads':>25}" for s in THREAD_SETTINGS),
        f"{'':>6} " + " ".join(f"{'(n) quiet   busy  ratio':>25}" for _ in THREAD_SETTINGS),
    ]


def contention_row(r: dict) -> str:
    cells = [
        f"({r[str(s)]['blas_threads']}) {r[str(s)]['quiet']:>6.3f} {r[str(s)]['busy']:>6.3f} "
        f"{r[str(s)]['busy'] / r[str(s)]['quiet']:>5.2f}x"
        for s in THREAD_SETTINGS
    ]
    return f"{r['mini_batch_size']:>6} " + " ".join(f"{c:>25}" for c in cells)


def sweep_run_line(done: int, total: int, name: str, outcome: Any) -> str:
    """One run of a sweep as it ends (or is found already ended)."""
    head = f"[{done}/{total}] {name}: "
    if outcome.status == "failed":
        return head + f"failed: {outcome.reason}"
    measure = outcome.measure
    final, best = getattr(outcome, f"final_{measure}"), getattr(outcome, f"best_{measure}")
    if final is None:
        return head + outcome.status
    when = f"; {outcome.seconds:.1f} s" if outcome.seconds is not None else "; found so"
    figure = (lambda v: f"R² {v:.3f}") if measure == "r2" else (lambda v: f"accuracy {100 * v:.2f}%")
    return (
        head + f"{outcome.status}; {outcome.evaluated_on} {figure(final)} after "
        f"{outcome.epochs} epoch{'s' if outcome.epochs != 1 else ''}, best {figure(best).split()[-1]} "
        f"(epoch {outcome.best_epoch}){when}"
    )


def _spread_text(spread: dict | None, measure: str = "accuracy") -> str:
    """mean ± sd [min–max]: accuracies in %, R² as it is."""
    if spread is None:
        return "-"
    shown = (lambda v: f"{v:.3f}") if measure == "r2" else (lambda v: f"{100 * v:.2f}")
    if spread["min"] == spread["max"]:
        return shown(spread["mean"])
    sd = f" ± {shown(spread['sd'])}" if spread["sd"] is not None else ""
    return f"{shown(spread['mean'])}{sd} [{shown(spread['min'])}–{shown(spread['max'])}]"


def sweep_lines(summary: dict, folder: Path) -> list[str]:
    """A sweep's summary as a table: a row per grid point, the best marked with *."""
    keys = list(summary["grid"]) or ["seeds"]
    cells = [
        [
            json.dumps(p["values"][k])
            if isinstance(p["values"].get(k), (list, dict))
            else str(p["values"].get(k, ",".join(map(str, summary["seeds"]))))
            for k in keys
        ]
        for p in summary["points"]
    ]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    runs = [
        f"{p['finished']}/{p['runs']}" + (f" ({p['failed']} failed)" if p["failed"] else "") for p in summary["points"]
    ]
    run_width = max(4, *map(len, runs))
    measure = summary.get("measure", "accuracy")
    final = [_spread_text(p[f"final_{measure}"], measure) for p in summary["points"]]
    final_width = max(5, *map(len, final))
    watched = summary["evaluated_on"] or "validation or test"
    what = "R²" if measure == "r2" else "accuracy (%)"
    lines = [
        f"{len(summary['runs'])} runs in {folder}; {watched} {what}, mean ± sd [min–max] over the seeds:",
        "  "
        + "  ".join(k.ljust(w) for k, w in zip(keys, widths))
        + f"  {'runs':<{run_width}}  {'final':<{final_width}}  best",
    ]
    for p, c, r, f in zip(summary["points"], cells, runs, final):
        lines.append(
            ("* " if p["best"] else "  ")
            + "  ".join(v.ljust(w) for v, w in zip(c, widths))
            + f"  {r:<{run_width}}  {f:<{final_width}}  {_spread_text(p[f'best_{measure}'], measure)}"
        )
    if summary["best_point"] is not None:
        lines.append(
            f"* the best point: the highest mean final {'R²' if measure == 'r2' else 'accuracy'} "
            "among points whose runs all finished"
        )
    return lines


def sweep_stopped_line(signum: int, finished: int, total: int, folder: Path) -> str:
    return (
        f"Stopped by {signal.Signals(signum).name}: {finished} of {total} runs have finished and are kept in "
        f"{folder} (the others keep their last epoch); run the same command again to continue"
    )
