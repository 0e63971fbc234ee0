"""The `nnbp` command line: parse, validate, call the library, print. Nothing else lives here."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from nnbp import __version__, run
from nnbp.config import (
    DTYPES,
    ENGINES,
    TrainConfig,
    build_config,
    build_network,
    check_against_data,
    read_config_file,
)
from nnbp.data import load_dataset
from nnbp.data.dataset import Dataset
from nnbp.diagnostics import explain_slowest, probe
from nnbp.errors import NnbpError
from nnbp.network import Network
from nnbp.store import load_network
from nnbp.terminal import EpochProgress, StopOnSignals, Stopped, byte_bar, fetch_noting
from nnbp.training import Diverged, EpochResult, evaluate, probe_batch, train


class _Error(click.ClickException):
    """Exit 1 with `Error: message` on stderr: bad content in a file or value."""


def _fail(error: NnbpError) -> None:
    raise _Error(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnbp")
def main() -> None:
    """Train fully-connected networks by backpropagation, as chapter 2 of Michael Nielsen's
    "Neural Networks and Deep Learning" lays it out (equations BP1–BP4), with each mini-batch
    stacked into one matrix X = [x1 … xm].

    \b
    Start here:
      nnbp train configs/mnist-sample.yaml      train [784, 30, 10] on 10,000 bundled MNIST digits
      nnbp eval runs/mnist-sample/weights.npz   accuracy, per-class accuracy, confusion matrix
    """


TRAIN_HELP = """Train a network as CONFIG (a YAML file) describes; options override its keys.

\b
Config keys (defaults in brackets):
  sizes            layer sizes, input first              [784, 30, 10]
  eta              learning rate η, > 0                  [3.0]
  epochs           passes over the training set          [30]
  mini_batch_size  examples per gradient step            [10]
  seed             seeds initialisation and shuffling    [0]
  dataset          mnist-sample, mnist, fashion-mnist, or a path: a Keras-layout .npz,
                   Nielsen's mnist.pkl.gz, or a folder of IDX files  [mnist-sample]
  validation_size  training examples held out to watch while training
                   [10000 for mnist and fashion-mnist, else 0]
  engine           matrix (whole batch at once) or loop (the chapter's per-example loop) [matrix]
  dtype            float64 or float32                    [float64]
  activation       sigmoid, tanh, relu, linear, softmax (output only); one name, or a list
                   with one per non-input layer           [sigmoid]
  cost             quadratic, cross-entropy (sigmoid outputs), log-likelihood (softmax outputs)
                                                          [quadratic]
  init             normal: N(0, 1); scaled: weights N(0, 1/n_in)  [normal]
  lmbda            L2 regularisation λ ≥ 0               [0]
  diagnostics      true: record per-layer mean |δ|, gradient norms, saturated neurons and
                   near-zero inputs in history.json (nnbp plot draws them)  [false]
  output           folder for weights.npz, history.json, config.yaml  [runs/mnist-sample]

\b
Example config:
  sizes: [784, 30, 10]
  eta: 3.0
  epochs: 30
  mini_batch_size: 10
  seed: 0
  dataset: mnist-sample
  output: runs/mnist-sample

\b
Example:
  nnbp train configs/mnist-sample.yaml --epochs 5 --seed 1 --output runs/try
"""


@main.command(help=TRAIN_HELP)
@click.argument("config_path", metavar="CONFIG", required=False, type=click.Path(path_type=Path))
@click.option("--epochs", type=int, help="Override `epochs` (with --resume: train on up to this many).")
@click.option("--eta", type=float, help="Override `eta`, the learning rate η.")
@click.option("--mini-batch-size", type=int, help="Override `mini_batch_size`.")
@click.option("--seed", type=int, help="Override `seed`.")
@click.option("--engine", type=click.Choice(ENGINES), help="Override `engine`.")
@click.option("--dtype", type=click.Choice(DTYPES), help="Override `dtype`.")
@click.option("--dataset", help="Override `dataset` (a name, or a path to a file or folder).")
@click.option("--validation-size", type=int, help="Override `validation_size`.")
@click.option("--output", "-o", help="Override `output`, the run's folder.")
@click.option("--diagnostics", is_flag=True, default=None,
              help="Record per-layer δ, gradient and saturation figures (the `diagnostics` key).")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path),
              help="Continue the run in this folder from its last completed epoch (no CONFIG).")
@click.option("--force", is_flag=True, help="Replace a run already in the output folder.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors and the final line.")
def train_cmd(config_path: Path | None, resume_dir: Path | None, force: bool, quiet: bool,
              **overrides: Any) -> None:
    if (config_path is None) == (resume_dir is None):
        raise click.UsageError("give a CONFIG file, or --resume RUN_DIR (not both)")
    if resume_dir is not None:
        changed = [k for k, v in overrides.items() if v is not None and k != "epochs"]
        if changed or force:
            names = ", ".join("--" + k.replace("_", "-") for k in changed) or "--force"
            raise click.UsageError(f"{names} cannot be changed when resuming; only --epochs can")
    try:
        if resume_dir is not None:
            config, network, rng, history = run.load_checkpoint(resume_dir, overrides["epochs"])
            output = resume_dir
            source = str(resume_dir / "weights.npz")
        else:
            config = build_config(read_config_file(config_path), overrides, str(config_path))
            source = str(config_path)
        dataset = load_dataset(config.dataset, config.validation_size, fetch=_fetch_noting(quiet))
        check_against_data(config, dataset.n_inputs, dataset.n_classes, len(dataset.train), source)
        if resume_dir is None:
            output = run.prepare_output(Path(config.output), force)
            rng = np.random.default_rng(config.seed)
            network = build_network(config, rng)
            history = {"evaluated_on": "validation" if dataset.validation is not None else "test",
                       "epochs": []}
            if config.diagnostics:
                saturated, near_zero = probe(network, probe_batch(dataset, network.dtype)[0])
                history["initial_diagnostics"] = [
                    {"layer": l + 1, "saturated_share": s, "near_zero_input_share": z}
                    for l, (s, z) in enumerate(zip(saturated, near_zero))
                ]
            run.start(output, config)
    except NnbpError as e:
        _fail(e)

    watched = history["evaluated_on"]
    first_epoch = len(history["epochs"]) + 1
    progress = EpochProgress(len(dataset.train), config.epochs, first_epoch, quiet)

    def on_epoch(result: EpochResult) -> None:
        progress.end_epoch()
        history["epochs"].append(result.to_dict())
        history["best_epoch"] = max(history["epochs"], key=lambda e: e["accuracy"])["epoch"]
        run.save_checkpoint(output, config, network, rng, history)
        if not quiet:
            click.echo(
                f"Epoch {result.epoch}/{config.epochs}: {result.correct} / {result.total} {watched} "
                f"({100 * result.accuracy:.2f}%), cost {result.cost:.4f}, {result.seconds:.2f} s"
            )
        stop.check()

    def on_batch(m: int) -> None:
        progress.advance(m)
        stop.check()

    with StopOnSignals() as stop:
        try:
            train(
                network, dataset, epochs=config.epochs, mini_batch_size=config.mini_batch_size,
                eta=config.eta, rng=rng, engine=config.engine, lmbda=config.lmbda,
                first_epoch=first_epoch, diagnostics=config.diagnostics, on_batch=on_batch,
                on_epoch=on_epoch,
            )
        except Stopped as stopped:
            progress.end_epoch()
            _exit_stopped(stopped.signum, output, history)
        except Diverged as e:
            progress.end_epoch()
            history["diverged"] = {"epoch": e.epoch, "mini_batch": e.batch}
            done = len(history["epochs"])
            kept = f"{output} keeps epoch {done}'s weights" if done else "no epoch was saved"
            try:
                run.save_history(output, history)
            except NnbpError:
                pass  # the divergence is the news; the history on disk is the last good one
            _fail(NnbpError(f"{e}; {kept}"))
        except NnbpError as e:  # a file that could not be written
            progress.end_epoch()
            _fail(e)

    if dataset.validation is not None:
        test = evaluate(network, dataset, dataset.test).to_dict()
    else:  # the last epoch was already evaluated on the test split
        test = {k: history["epochs"][-1][k] for k in ("cost", "correct", "total", "accuracy")}
    history["test"] = test_figures = test
    try:
        run.save_history(output, history)
    except NnbpError as e:
        _fail(e)
    summary = explain_slowest(history["epochs"], network.sizes)
    if summary and not quiet:
        click.echo(summary)
    best = history["epochs"][history["best_epoch"] - 1]
    epochs = f"{config.epochs} epoch" + ("s" if config.epochs != 1 else "")
    click.echo(
        f"Saved {output / 'weights.npz'}: test accuracy {100 * test_figures['accuracy']:.2f}% "
        f"({test_figures['correct']} / {test_figures['total']}) after {epochs}; "
        f"best {watched} accuracy {100 * best['accuracy']:.2f}% at epoch {best['epoch']}"
    )


def _exit_stopped(signum: int, output: Path, history: dict) -> None:
    name = signal.Signals(signum).name
    done = len(history["epochs"])
    if done:
        click.echo(f"Stopped by {name}: {output} holds the {done} completed epoch(s); continue with: "
                   f"nnbp train --resume {output}", err=True)
    else:
        click.echo(f"Stopped by {name} before the first epoch ended: nothing was saved to {output}; "
                   "start again with --force", err=True)
    sys.exit(128 + signum)


def _fetch_noting(quiet: bool) -> Any:
    """A `fetch` for `load_dataset` that says on stderr that it is downloading, with a bar per file."""
    return fetch_noting(quiet, lambda line: click.echo(line, err=True))


BENCH_HELP = """Time the matrix engine against the chapter's per-example loop on the same work.

Both engines start from the same weights, visit the examples in the same shuffled order and take
the same SGD steps; their repeats are interleaved and the figures are medians (with min–max).
For each mini-batch size it reports seconds per epoch for each engine, examples per second, the
speedup (loop / matrix), the bare matrix products' time (the floor) and the engine's time as a
multiple of it, and the largest difference between the two engines' gradients on one batch.

CONFIG (optional) gives the network, data, dtype, η and seed; the default is [784, 30, 10] on the
bundled MNIST sample. For figures that mean something, unset OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE in the command if your machine sets them.

\b
Examples:
  nnbp bench --quick
  nnbp bench configs/mnist-sample.yaml --mini-batch-sizes 10,100 --repeats 7 --json
  nnbp bench --plot speedup.png
"""


@main.command(help=BENCH_HELP)
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))
@click.option("--mini-batch-sizes",
              help="Comma-separated mini-batch sizes to time [1,10,100,1000, those that fit the data].")
@click.option("--repeats", type=click.IntRange(min=1), help="Timed runs per engine and size [5; --quick: 3].")
@click.option("--loop-examples", type=click.IntRange(min=1),
              help="Examples the slow loop is timed on; its epoch is extrapolated [2000; --quick: 300].")
@click.option("--dtype", type=click.Choice(DTYPES), help="Override `dtype` (both engines use it).")
@click.option("--quick", is_flag=True, help="A rough run in a few seconds: fewer repeats and examples.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path),
              help="Also draw speedup and floor ratio against mini-batch size into this PNG (needs matplotlib).")
def bench(config_path: Path | None, mini_batch_sizes: str | None, repeats: int | None, loop_examples: int | None,
          dtype: str | None, quick: bool, as_json: bool, plot_path: Path | None) -> None:
    from nnbp import bench as benchmark

    try:
        file_values = read_config_file(config_path) if config_path else {}
        config = build_config(file_values, {"dtype": dtype}, str(config_path or "defaults"))
        batch_sizes = _parse_sizes(mini_batch_sizes or "1,10,100,1000")
        dataset = load_dataset(config.dataset)
        if mini_batch_sizes is None:
            batch_sizes = [m for m in batch_sizes if m <= len(dataset.train)]
        check_against_data(config, dataset.n_inputs, dataset.n_classes, len(dataset.train),
                           str(config_path or "defaults"))
        too_big = [m for m in batch_sizes if m > len(dataset.train)]
        if too_big:
            raise NnbpError(f"--mini-batch-sizes: {too_big[0]} is larger than the "
                            f"{len(dataset.train)} training examples")
        if plot_path is not None:
            from nnbp.plot import require_pyplot

            require_pyplot()  # fail before timing anything if matplotlib is missing
    except NnbpError as e:
        _fail(e)

    repeats = repeats or (3 if quick else 5)
    loop_examples = loop_examples or (300 if quick else 2000)
    matrix_examples = 2000 if quick else None
    env = benchmark.environment()
    results = []
    for m in batch_sizes:
        r = benchmark.bench(
            build_network(config, np.random.default_rng(config.seed)), dataset, m, eta=config.eta,
            seed=config.seed, repeats=repeats, matrix_examples=matrix_examples,
            loop_examples=loop_examples,
        )
        results.append(r.to_dict())
        if not as_json and len(results) == 1:
            _print_bench_header(config, dataset, env, repeats)
        if not as_json:
            _print_bench_row(results[-1])
    summary = {
        "environment": env, "config": config.to_dict(), "n_train": len(dataset.train),
        "repeats": repeats, "results": results, "peak_memory_mb": benchmark.peak_memory_mb(),
    }
    if as_json:
        click.echo(json.dumps(summary))
    else:
        timed = results[0]["loop_examples_timed"]
        if timed < len(dataset.train):
            click.echo(f"loop s/epoch is extrapolated from {timed} examples (whole batches) to the "
                       f"{len(dataset.train)} of an epoch.")
        if results[0]["matrix_examples_timed"] < len(dataset.train):
            click.echo(f"matrix and floor s/epoch are extrapolated from "
                       f"{results[0]['matrix_examples_timed']} examples (--quick).")
        click.echo(f"peak memory {summary['peak_memory_mb']:.0f} MB")
    if plot_path is not None:
        from nnbp.plot import plot_speedup

        try:
            plot_speedup(results, f"{list(config.sizes)} on {dataset.name}, {config.dtype}; "
                                  f"{env['processor']}, numpy {env['numpy']}", plot_path)
        except NnbpError as e:
            _fail(e)
        if not as_json:
            click.echo(f"wrote {plot_path}")


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise NnbpError(f"--mini-batch-sizes: {text!r} is not a comma-separated list of whole numbers") from None
    if not sizes or min(sizes) < 1:
        raise NnbpError(f"--mini-batch-sizes: {text!r} holds a size below 1")
    return sizes


def _print_bench_header(config: TrainConfig, dataset: Dataset, env: dict, repeats: int) -> None:
    blas = "; ".join(
        f"{b.get('library')} {b.get('version')}"
        + (f" ({b['architecture']} kernel)" if b.get("architecture") else "")
        + (f", {b['threads']} threads" if b.get("threads") else "")
        for b in env["blas"]
    )
    click.echo(f"{list(config.sizes)} on {dataset.name} ({len(dataset.train)} training examples), "
               f"{config.dtype}, eta {config.eta}, seed {config.seed}; medians of {repeats} interleaved runs")
    click.echo(f"numpy {env['numpy']}, BLAS {blas}; {env['processor']}, {env['cpus']} CPUs")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if var in os.environ:
            click.echo(f"note: {var}={os.environ[var]} is set and shapes these figures")
    if len(env["blas"]) > 1:
        click.echo("note: more than one BLAS is loaded; together they may oversubscribe the CPUs")
    click.echo(f"{'batch':>6} {'matrix s/epoch':>22} {'loop s/epoch':>22} {'speedup':>8} "
               f"{'matrix ex/s':>12} {'loop ex/s':>10} {'floor s':>8} {'x floor':>8} {'max grad diff':>14}")


def _print_bench_row(r: dict) -> None:
    def cell(median: float, spread: list[float]) -> str:
        return f"{median:.4f} ({spread[0]:.4f}-{spread[1]:.4f})"

    click.echo(
        f"{r['mini_batch_size']:>6} {cell(r['matrix_seconds_per_epoch'], r['matrix_spread']):>22} "
        f"{cell(r['loop_seconds_per_epoch'], r['loop_spread']):>22} {r['speedup']:>7.1f}x "
        f"{r['matrix_examples_per_second']:>12.0f} {r['loop_examples_per_second']:>10.0f} "
        f"{r['floor_seconds_per_epoch']:>8.4f} {r['floor_ratio']:>8.2f} {r['max_grad_diff']:>14.1e}"
    )


@main.group()
def data() -> None:
    """List the datasets nnbp knows, or download one.

    \b
    mnist-sample   10,000 MNIST digits inside the package (8,000 train / 2,000 test)
    mnist          MNIST, 60,000 + 10,000 digits (LeCun, Cortes, Burges; CC BY-SA 3.0)
    fashion-mnist  Fashion-MNIST, 60,000 + 10,000 clothing images (Zalando Research; MIT)

    A name is looked for in $NNBP_DATA_DIR/NAME, $XDG_CACHE_HOME/nnbp/NAME (~/.cache/nnbp/NAME),
    /usr/local/share/datasets/NAME and /usr/share/datasets/NAME, in that order, then downloaded
    into the cache.
    """


@data.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def data_list(as_json: bool) -> None:
    """Show each known dataset, where it was found, and its train / validation / test sizes."""
    from dataclasses import asdict

    from nnbp.data import known_datasets

    rows = known_datasets()
    if as_json:
        click.echo(json.dumps({"datasets": [asdict(r) for r in rows]}))
        return
    click.echo(f"{'name':<14} {'train':>7} {'valid.':>7} {'test':>7}  where")
    for r in rows:
        if r.where is None or r.train is None:
            click.echo(f"{r.name:<14} {'-':>7} {'-':>7} {'-':>7}  {r.where or 'missing'} "
                       f"(nnbp data fetch {r.name})")
        else:
            click.echo(f"{r.name:<14} {r.train:>7} {r.validation:>7} {r.test:>7}  {r.where}")


@data.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--dir", "folder", type=click.Path(path_type=Path),
              help="Download into this folder instead of the cache.")
def data_fetch(name: str, folder: Path | None) -> None:
    """Download NAME's four files from its mirrors, checking each file's SHA-256.

    \b
    Example:
      nnbp data fetch fashion-mnist
    """
    from nnbp.data import cache_dir
    from nnbp.data.download import REMOTE, fetch

    folder = folder or cache_dir() / name
    try:
        fetch(REMOTE[name], folder, progress=byte_bar(False))
    except NnbpError as e:
        _fail(e)
    click.echo(f"{name}: {len(REMOTE[name].files)} files verified in {folder}")


GRADCHECK_HELP = """Check backprop's gradient against central finite differences, and time both.

Builds the network CONFIG describes (or loads --weights), takes one mini-batch of its training data
(the first mini_batch_size examples of an order shuffled with the config's seed), and compares
∂C/∂w, ∂C/∂b from one backprop with (C(p + ε) − C(p − ε)) / 2ε for every weight and bias, or for a
random sample of --params of them spread over every layer. C is the batch's mean cost; the check
runs in float64. It reports the largest relative error |g − n| / max(|g|, |n|) per layer, for
weights and biases; derivatives too small for a central difference to resolve are judged against
that noise floor (printed). It passes when every error is at most the tolerance (default 1e-5):
exit 0 on pass, 1 on fail.

It also times the two ways of getting the whole gradient: one backprop, against the 2·P forward
passes finite differences need for P parameters (timed on those it checked, extrapolated when it
sampled) — the chapter's "million and one forward passes", measured on your network.

\b
Examples:
  nnbp gradcheck configs/mnist-sample.yaml --params 1000
  nnbp gradcheck configs/mnist-sample.yaml --weights runs/mnist-sample/weights.npz --json
"""


@main.command(help=GRADCHECK_HELP)
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option("--weights", "weights_path", type=click.Path(path_type=Path),
              help="Check these saved weights instead of a fresh network.")
@click.option("--params", "n_params", type=click.IntRange(min=1),
              help="Check a random sample of about this many parameters [all when ≤ 5000, else 2000].")
@click.option("--eps", type=float, default=1e-6, show_default=True, help="The step ε of the central differences.")
@click.option("--tolerance", type=float, default=None, help="Largest relative error that passes [1e-5].")
@click.option("--mini-batch-size", type=click.IntRange(min=1), help="Override `mini_batch_size`: the batch checked.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def gradcheck(config_path: Path, weights_path: Path | None, n_params: int | None, eps: float,
              tolerance: float | None, mini_batch_size: int | None, as_json: bool) -> None:
    from nnbp.gradcheck import TOLERANCE
    from nnbp.gradcheck import gradcheck as check
    from nnbp.training import Batcher

    try:
        config = build_config(read_config_file(config_path), {"mini_batch_size": mini_batch_size},
                              str(config_path))
        if not (eps > 0 and np.isfinite(eps)):
            raise NnbpError(f"--eps: {eps} is not a positive finite step")
        if tolerance is not None and not (tolerance > 0 and np.isfinite(tolerance)):
            raise NnbpError(f"--tolerance: {tolerance} is not a positive finite number")
        dataset = load_dataset(config.dataset, config.validation_size, fetch=_fetch_noting(as_json))
        check_against_data(config, dataset.n_inputs, dataset.n_classes, len(dataset.train), str(config_path))
        rng = np.random.default_rng(config.seed)
        if weights_path is not None:
            network, _ = load_network(weights_path)
            _check_fits(network, dataset, weights_path)
        else:
            network = build_network(config, rng)
    except NnbpError as e:
        _fail(e)

    idx = rng.permutation(len(dataset.train))[: config.mini_batch_size]
    X, Y = Batcher(dataset.train, dataset.scale, dataset.n_classes, np.dtype(np.float64)).gather(idx)
    total = sum(w.size + b.size for w, b in zip(network.weights, network.biases))
    if n_params is None and total > 5000:
        n_params = 2000
    result = check(network, X, Y, eps=eps, n_params=n_params, rng=rng,
                   tolerance=tolerance or TOLERANCE)
    if as_json:
        click.echo(json.dumps({"sizes": network.sizes, "activation": [s.name for s in network.sigmas],
                               "cost": network.cost.name, "mini_batch_size": len(idx), **result.to_dict()}))
    else:
        click.echo(
            f"{network.sizes} {'/'.join(s.name for s in network.sigmas)}, {network.cost.name} cost; "
            f"a mini-batch of {len(idx)} from {dataset.name}; float64, eps {eps:g}"
        )
        click.echo(f"{'layer':>5} {'weights checked':>16} {'max rel. error':>15} "
                   f"{'biases checked':>15} {'max rel. error':>15}")
        for c in result.layers:
            click.echo(f"{c.layer:>5} {f'{c.weights_checked}/{c.weights_total}':>16} "
                       f"{c.weights_max_rel_error:>15.2e} {f'{c.biases_checked}/{c.biases_total}':>15} "
                       f"{c.biases_max_rel_error:>15.2e}")
        verdict = "PASS" if result.passed else "FAIL"
        click.echo(f"{verdict}: largest relative error {result.max_rel_error:.2e} "
                   f"{'<=' if result.passed else '>'} tolerance {result.tolerance:g} "
                   f"(derivatives below {result.floor:.1e} judged against that floor)")
        how = (f"extrapolated from the {result.n_checked} checked" if result.extrapolated
               else "all checked")
        click.echo(
            f"Whole gradient: one backprop {1e3 * result.backprop_seconds:.3f} ms; finite differences "
            f"2 x {result.n_params} forward passes = {result.finite_difference_seconds:.3f} s ({how}): "
            f"backprop is {result.speedup:,.0f}x faster"
        )
    if not result.passed:
        sys.exit(1)


@main.command("plot")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@click.option("--output", "-o", "png", type=click.Path(path_type=Path),
              help="Where to write the PNG [RUN_DIR/learning-curves.png].")
def plot_cmd(run_dir: Path, png: Path | None) -> None:
    """Draw a run's learning curves (accuracy and cost per epoch) from its history.json into a PNG.

    Needs matplotlib: pip install 'nnbp[plot]'.

    \b
    Example:
      nnbp plot runs/mnist-sample
    """
    from nnbp.plot import plot_history

    path = run_dir / "history.json"
    png = png or run_dir / "learning-curves.png"
    try:
        history = _read_history(path)
        plot_history(history, f"{run_dir}", png)
    except NnbpError as e:
        _fail(e)
    click.echo(f"wrote {png}")


def _read_history(path: Path) -> dict:
    try:
        history = json.loads(path.read_text())
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file; is this a run folder?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NnbpError(f"{path}: not a readable history ({e})") from None
    epochs = history.get("epochs") if isinstance(history, dict) else None
    if not isinstance(epochs, list) or not epochs or not all(
        isinstance(e, dict) and {"epoch", "accuracy", "cost"} <= set(e) for e in epochs
    ):
        raise NnbpError(f"{path}: holds no epochs with epoch, accuracy and cost")
    return history


@main.command("eval")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.option(
    "--dataset", help="Evaluate on this dataset's test split instead of the one the run used."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def eval_cmd(weights_path: Path, dataset: str | None, as_json: bool) -> None:
    """Evaluate saved weights on a test split: accuracy, per-class accuracy, confusion matrix.

    \b
    Example:
      nnbp eval runs/mnist-sample/weights.npz
      nnbp eval runs/mnist-sample/weights.npz --json | python -m json.tool
    """
    try:
        network, meta = load_network(weights_path)
        recorded = meta.get("config")
        name = dataset or (recorded.get("dataset") if isinstance(recorded, dict) else None)
        if not isinstance(name, str):
            raise NnbpError(f"{weights_path}: records no dataset; pass --dataset")
        data = load_dataset(name, fetch=_fetch_noting(as_json))
        _check_fits(network, data, weights_path)
    except NnbpError as e:
        _fail(e)
    ev = evaluate(network, data, data.test)
    k = data.n_classes
    confusion = np.zeros((k, k), dtype=np.int64)  # rows: true class, columns: predicted class
    np.add.at(confusion, (data.test.labels, ev.predictions), 1)
    per_class = [
        float(confusion[c, c] / confusion[c].sum()) if confusion[c].sum() else None for c in range(k)
    ]
    if as_json:
        click.echo(json.dumps({
            "weights": str(weights_path), "dataset": data.name, "split": "test",
            "accuracy": ev.accuracy, "correct": ev.correct, "total": ev.total, "cost": ev.cost,
            "per_class_accuracy": per_class, "confusion": confusion.tolist(),
        }))
        return
    click.echo(f"{weights_path} on {data.name} (test split)")
    click.echo(f"accuracy {100 * ev.accuracy:.2f}% ({ev.correct} / {ev.total}), cost {ev.cost:.4f}")
    click.echo("per-class accuracy: " + "  ".join(
        f"{c}: {'-' if a is None else f'{100 * a:.1f}%'}" for c, a in enumerate(per_class)
    ))
    click.echo("confusion matrix (rows: true class, columns: predicted):")
    width = max(5, len(str(confusion.max())) + 1)
    click.echo("    " + "".join(f"{c:>{width}}" for c in range(k)))
    for c in range(k):
        click.echo(f"{c:>3} " + "".join(f"{v:>{width}}" for v in confusion[c]))


def _check_fits(network: Network, data: Dataset, weights_path: Path) -> None:
    if network.sizes[0] != data.n_inputs or network.sizes[-1] != data.n_classes:
        raise NnbpError(
            f"{weights_path}: the network {network.sizes} does not fit {data.name!r} "
            f"({data.n_inputs} inputs, {data.n_classes} classes)"
        )


train_cmd.name = "train"
