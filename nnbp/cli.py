"""The `nnbp` command line: each command parses its options, calls one library function and prints
what it returns. Library errors (`NnbpError`) become one line on stderr and exit 1."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from nnbp import __version__, report
from nnbp.config import DTYPES, KEYS, TrainConfig, build_config, keys_help, read_config_file
from nnbp.data import load_dataset
from nnbp.run.figures import FIGURES
from nnbp.errors import NnbpError
from nnbp.terminal import EpochProgress, StopAtOnce, StopOnSignals, Stopped, byte_bar, fetch_noting
from nnbp.threads import busy_warning


class _Error(click.ClickException):
    """Exit 1 with `Error: message` on stderr: bad content in a file or value."""


@contextmanager
def _errors() -> Iterator[None]:
    """Library errors as one-line CLI errors."""
    try:
        yield
    except NnbpError as e:
        raise _Error(str(e)) from None


class _Group(click.Group):
    """Ctrl-C anywhere (loading data, say) exits 130, as a stopped training run does; an error nnbp
    did not foresee is one line too (NNBP_DEBUG=1 shows its traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Stopped by SIGINT", err=True)
            ctx.exit(128 + signal.SIGINT)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:  # the reader went away (`nnbp … | head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(128 + signal.SIGPIPE)
        except MemoryError:
            raise _Error("out of memory; lower NNBP_MAX_MEMORY (or the sizes asked for) so nnbp refuses such work "
                         "before it starts") from None
        except Exception as e:
            if os.environ.get("NNBP_DEBUG"):
                raise
            raise _Error(f"unexpected {type(e).__name__}: {str(e)[:200]} — a bug in nnbp; please report it "
                         "(NNBP_DEBUG=1 shows where)") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


def _fetch(quiet: bool) -> Callable[[str, Path], Path]:
    """A `fetch` for `load_dataset` that says on stderr that it is downloading, with a bar per file."""
    return fetch_noting(quiet, lambda line: click.echo(line, err=True))


def _parse_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An option's text as its config key's value, or a usage error naming the option."""
    if value is None or isinstance(value, bool):
        return value
    k = KEYS[param.name]
    try:
        return k.parse(k.from_text(value), param.opts[0])
    except NnbpError as e:
        raise click.BadParameter(str(e).removeprefix(param.opts[0] + ": ")) from None


def _threads_option(command: Callable) -> Callable:
    """--threads for commands that are not `train` (where it is a config key like any other)."""
    return click.option("--threads", metavar="auto|all|N", callback=_parse_option, default=None,
                        help="BLAS threads: auto (from the size of the matrix products), all, or a number [auto].")(command)


def config_options(command: Callable, leave_out: tuple[str, ...] = ()) -> Callable:
    """A `--key` option for every config key (None when not given); the key list in --help explains each."""
    for f in reversed([f for f in fields(TrainConfig) if f.name not in leave_out]):
        k, option = KEYS[f.name], "--" + f.name.replace("_", "-")
        names = [option, *([k.short] if k.short else [])]
        if f.type == "bool":
            names = [f"{option}/--no-{option[2:]}"]
        command = click.option(*names, f.name, metavar=k.metavar or None, default=None, callback=_parse_option,
                               help=f"Override `{f.name}`.")(command)
    return command


TRAIN_HELP = f"""Train a network as CONFIG (a YAML file) describes; options override its keys.

Progress shows on stderr (when it is a terminal); each epoch's accuracy on the validation split (or
the test split, for a dataset without one) is printed, and the run's folder gets weights.npz (also
the checkpoint for --resume), history.json and config.yaml. Ctrl-C stops between two mini-batches,
keeping every finished epoch (exit 130).

\b
Config keys [defaults]:
{keys_help(96)}

\b
Examples:
  nnbp train configs/mnist-sample.yaml
  nnbp train configs/mnist-sample.yaml --epochs 5 --eta 0.5 --cost cross-entropy -o runs/try
  nnbp train --resume runs/try --epochs 10
"""


@main.command("train", help=TRAIN_HELP)
@click.argument("config_path", metavar="CONFIG", required=False, type=click.Path(path_type=Path))
@config_options
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path),
              help="Continue the run in this folder from its last completed epoch (no CONFIG).")
@click.option("--force", is_flag=True, help="Replace a run already in the output folder.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors and the final line.")
def train(config_path: Path | None, resume_dir: Path | None, force: bool, quiet: bool, **options: Any) -> None:
    from nnbp.diagnostics import explain_slowest
    from nnbp.run import Run

    if (config_path is None) == (resume_dir is None):
        raise click.UsageError("give a CONFIG file, or --resume RUN_DIR (not both)")
    changed = [k for k, v in options.items() if v is not None and k != "epochs"]
    if resume_dir is not None and (changed or force):
        names = ", ".join("--" + k.replace("_", "-") for k in changed) or "--force"
        raise click.UsageError(f"{names} cannot be changed when resuming; only --epochs can")
    with _errors():
        if resume_dir is not None:
            run = Run.resume(resume_dir, options["epochs"])
            config = run.config
        else:
            config = build_config(read_config_file(config_path), options, str(config_path))
        try:
            dataset = load_dataset(config.dataset, config.validation_size, fetch=_fetch(quiet))
            if resume_dir is None:
                run = Run.start(config, dataset, force=force, source=str(config_path))
        except BaseException:
            if resume_dir is not None:
                run.close()
            raise

    notes = [busy_warning(run.history.blas_threads)]
    if run.history.evaluated_on == "test" and (config.early_stopping or config.eta_schedule):
        notes.append(report.watching_test_note(dataset.name))
    for note in notes if not quiet else []:
        if note:
            click.echo(note, err=True)
    progress = EpochProgress(len(dataset.train), config.epochs, len(run.history.epochs) + 1, quiet)

    def on_epoch(result: Any) -> None:
        progress.end_epoch()
        if not quiet:
            click.echo(report.epoch_line(result, config.epochs, run.history.evaluated_on, config.eta_schedule is not None))
        stop.check()

    def on_batch(m: int) -> None:
        progress.advance(m)
        stop.check()

    with run, StopOnSignals() as stop, _errors():
        try:
            history = run.train(dataset, on_batch=on_batch, on_epoch=on_epoch)
        except Stopped as stopped:
            click.echo(report.stopped_line(stopped.signum, run.folder.path, len(run.history.epochs)), err=True)
            sys.exit(128 + stopped.signum)
        finally:
            progress.end_epoch()

    summary = explain_slowest([e.to_dict() for e in history.epochs], list(config.sizes))
    if summary and not quiet:
        click.echo(summary)
    click.echo("\n".join(report.final_lines(run.folder.weights, history)))


SWEEP_HELP = """Train CONFIG over a grid of values and several seeds: chapter 3's way of choosing
eta, lmbda, the epochs or the sizes. Each value × seed is an ordinary run in its own folder (named
after what varies, e.g. eta=0.25_seed=1) inside the sweep's folder, so nnbp eval, plot and train
--resume work on it; summary.json and summary.csv give, per grid point, the mean ± sd, min and max
over the seeds of the final and the best accuracy, the best point marked.

\b
The grid comes from --grid (any config key but output, seed and threads; list values in brackets)
and/or a `sweep:` section in CONFIG:
  sweep:
    grid: {eta: [0.025, 0.25, 2.5], lmbda: [0.0, 5.0]}
    seeds: [0, 1, 2]

\b
The runs go to -j worker processes (one per core by default), each with one BLAS thread, or with
--scheduler to a Dask cluster (pip install 'nnbp[cluster]'); the weights are the same either way and
the same as `nnbp train` of the run's config.yaml. Running the same sweep again skips the finished
runs and resumes the interrupted ones. A run that fails (diverges, say) is recorded as failed and
the others go on. Ctrl-C stops every worker (exit 130), keeping each finished run and epoch.

\b
Examples:
  nnbp sweep configs/sweep-eta.yaml
  nnbp sweep configs/mnist-sample.yaml --epochs 3 --grid eta=0.5,1,3 --seeds 0,1 -j 2
  nnbp sweep configs/mnist-sample.yaml --grid sizes=[784,30,10],[784,100,10] --grid mini_batch_size=10,100
  nnbp sweep configs/sweep-eta.yaml --scheduler tcp://10.0.0.5:8786
  nnbp plot runs/sweep-eta-sweep
"""


@main.command("sweep", help=SWEEP_HELP)
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option("--grid", "grid", multiple=True, metavar="KEY=V1,V2,...",
              help="Values of one config key to try; repeat for more keys (every combination is run).")
@click.option("--seeds", metavar="S1,S2,...", help="The seeds each grid point is trained with [the sweep: section's, "
                                                     "else the config's seed].")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Runs trained at once on this machine [one per core].")
@click.option("--output", "-o", "output", type=click.Path(path_type=Path),
              help="The sweep's folder [runs/<CONFIG's name>-sweep].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Train on this Dask cluster instead of here.")
@click.option("--force", is_flag=True, help="Train every run afresh, replacing what the sweep's folder holds.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (run lines go to stderr).")
@click.option("--quiet", "-q", is_flag=True, help="Print no line per run.")
@partial(config_options, leave_out=("output", "threads"))
def sweep(config_path: Path, grid: tuple[str, ...], seeds: str | None, jobs: int | None, output: Path | None,
          scheduler: str | None, force: bool, as_json: bool, quiet: bool, **options: Any) -> None:
    from nnbp.sweep import plan

    with _errors():
        planned = plan(config_path, list(grid), seeds, options, output, fetch=_fetch(quiet))
    total, finished = len(planned.points), []

    def on_outcome(point: Any, outcome: Any) -> None:
        finished.append(outcome.status == "finished")
        if not quiet:
            click.echo(report.sweep_run_line(len(finished), total, point.name, outcome), err=as_json)

    with StopAtOnce(), _errors():
        try:
            summary = planned.run(jobs, scheduler, force, on_outcome)
        except Stopped as stopped:
            click.echo(report.sweep_stopped_line(stopped.signum, sum(finished), total, planned.folder), err=True)
            sys.exit(128 + stopped.signum)
    if as_json:
        click.echo(report.strict_json(summary))
    else:
        click.echo("\n".join(report.sweep_lines(summary, planned.folder)))


@main.command("eval")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.option("--dataset", help="Evaluate on this dataset's test split instead of the one the run used.")
@_threads_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def eval_cmd(weights_path: Path, dataset: str | None, threads: str | int | None, as_json: bool) -> None:
    """Evaluate saved weights on a test split: accuracy, per-class accuracy, confusion matrix.

    \b
    Examples:
      nnbp eval runs/mnist-sample/weights.npz
      nnbp eval runs/mnist-sample/weights.npz --json | python -m json.tool
    """
    from nnbp.run import evaluate_weights

    with _errors():
        ev, data = evaluate_weights(weights_path, dataset, fetch=_fetch(as_json), threads=threads or "auto")
    if as_json:
        click.echo(report.strict_json({"weights": str(weights_path), "dataset": data.name, "split": "test",
                                       **ev.to_dict(), "class_names": data.class_names,
                                       "per_class_accuracy": ev.per_class_accuracy,
                                       "confusion": ev.confusion.tolist()}))
    else:
        click.echo("\n".join(report.evaluation_lines(weights_path, data, ev)))


@main.command("predict")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.argument("sources", metavar="INPUT...", nargs=-1, required=True)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Classes shown per input.")
@click.option("--raw", is_flag=True, help="Use pictures as they are: no bringing them to MNIST's form.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def predict_cmd(weights_path: Path, sources: tuple[str, ...], top: int, raw: bool, as_json: bool) -> None:
    """Classify your own examples with saved weights (weights.npz or best.npz).

    INPUT is a picture (PNG, JPEG, BMP; needs pip install 'nnbp[images]'), an .npy of one example or
    a stack ((784,), (28, 28), (N, 784), (N, 28, 28)), an .npz with x_test or x, or - for an .npy on
    stdin. Pixels are scaled as training scaled its data. A picture of another size is brought to
    MNIST's form first — grayscale; dark strokes on a light page inverted; cropped to the ink; fitted
    into 20 × 20 keeping its aspect ratio; centred by its centre of mass in 28 × 28 — unless --raw.
    The score is the softmax probability, or for other outputs each output's share of their sum.

    \b
    Examples:
      nnbp predict runs/mnist-sample/best.npz my-digit.png
      nnbp predict runs/fashion-mnist-100/best.npz shoes.jpg --top 5 --json
    """
    from nnbp.run import predict_files

    with _errors():
        predictions, kind = predict_files(weights_path, list(sources), top, raw)
    if as_json:
        click.echo(report.strict_json({"score": kind, "predictions": [p.to_dict() for p in predictions]}))
        return
    click.echo("\n".join(report.prediction_lines(predictions, kind)))
    for p in predictions:
        if p.warning:
            click.echo(f"warning: {p.input}: {p.warning}", err=True)


@main.command("info")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def info_cmd(weights_path: Path, as_json: bool) -> None:
    """What a weights file holds: the network, its parameters, how and on what it was trained, how well.

    \b
    Example:
      nnbp info runs/mnist-sample/weights.npz
    """
    from nnbp.run import describe_weights

    with _errors():
        info = describe_weights(weights_path)
    click.echo(report.strict_json(info) if as_json else "\n".join(report.info_lines(info)))


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
With --contended it answers another question — how the BLAS thread setting fares when another
program keeps a CPU busy: for each mini-batch size, the matrix engine's epoch with auto, 1 and all
threads, on a quiet machine and beside a busy Python loop it starts and stops itself.

\b
Examples:
  nnbp bench --quick
  nnbp bench configs/mnist-sample.yaml --mini-batch-sizes 10,100 --repeats 7 --json
  nnbp bench --plot speedup.png
  nnbp bench --contended --mini-batch-sizes 10,100,1000 --repeats 3
"""


@main.command(help=BENCH_HELP)
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))
@click.option("--mini-batch-sizes", help="Comma-separated mini-batch sizes to time [1,10,100,1000, those that fit].")
@click.option("--repeats", type=click.IntRange(min=1), help="Timed runs per engine and size [5; --quick: 3].")
@click.option("--loop-examples", type=click.IntRange(min=1),
              help="Examples the slow loop is timed on; its epoch is extrapolated [2000; --quick: 300].")
@click.option("--dtype", type=click.Choice(DTYPES), help="Override `dtype` (both engines use it).")
@click.option("--quick", is_flag=True, help="A rough run in a few seconds: fewer repeats and examples.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path),
              help="Also draw speedup and floor ratio against mini-batch size into this PNG (needs matplotlib).")
@_threads_option
@click.option("--contended", is_flag=True,
              help="Instead, time the matrix engine with auto, 1 and all BLAS threads, quiet and beside a busy process.")
def bench(config_path: Path | None, mini_batch_sizes: str | None, repeats: int | None, loop_examples: int | None,
          dtype: str | None, quick: bool, as_json: bool, plot_path: Path | None, threads: str | int | None,
          contended: bool) -> None:
    from nnbp import bench as benchmark

    with _errors():
        config = build_config(read_config_file(config_path) if config_path else {}, {"dtype": dtype, "threads": threads},
                              str(config_path or "defaults"))
        dataset = load_dataset(config.dataset, fetch=_fetch(as_json))
        plan = benchmark.plan(config, dataset, mini_batch_sizes, quick, repeats, loop_examples, plot_path, contended)
    header, row_line = ((report.contention_header_lines, report.contention_row) if contended
                        else (report.bench_header_lines, report.bench_row))
    for row in benchmark.run(plan):
        if not as_json:
            if len(plan.results) == 1:
                click.echo("\n".join(header(plan)))
            click.echo(row_line(row))
    click.echo(report.strict_json(plan.summary()) if as_json else "\n".join(report.bench_footer_lines(plan)))
    if plot_path is not None:
        with _errors():
            benchmark.plot(plan, plot_path)
        if not as_json:
            click.echo(f"wrote {plot_path}")


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

    with _errors():
        rows = known_datasets()
    click.echo(report.strict_json({"datasets": [asdict(r) for r in rows]}) if as_json
               else "\n".join(report.dataset_lines(rows)))


@data.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option("--dir", "folder", type=click.Path(path_type=Path), help="Download into this folder instead of the cache.")
def data_fetch(name: str, folder: Path | None) -> None:
    """Download NAME's four files from its mirrors, checking each file's SHA-256.

    \b
    Example:
      nnbp data fetch fashion-mnist
    """
    from nnbp.data import cache_dir
    from nnbp.data.download import REMOTE, fetch

    folder = folder or cache_dir() / name
    with _errors():
        fetch(REMOTE[name], folder, progress=byte_bar(False))
    click.echo(f"{name}: {len(REMOTE[name].files)} files verified in {folder}")


GRADCHECK_HELP = """Check backprop's gradient against central finite differences, and time both.

Builds the network CONFIG describes (or loads --weights), takes the first mini-batch training would
take (the first mini_batch_size examples of the order the config's seed shuffles first), and
compares ∂C/∂w, ∂C/∂b from one backprop with (C(p + ε) − C(p − ε)) / 2ε for every weight and bias,
or for a random sample of --params of them spread over every layer. C is the batch's mean cost;
the check runs in float64. It reports the largest relative error |g − n| / max(|g|, |n|) per layer,
for weights and biases; derivatives too small for a central difference to resolve are judged
against that noise floor (printed). It passes when every error is at most the tolerance (default
1e-5): exit 0 on pass, 1 on fail.

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
@_threads_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def gradcheck(config_path: Path, weights_path: Path | None, n_params: int | None, eps: float,
              tolerance: float | None, mini_batch_size: int | None, threads: str | int | None, as_json: bool) -> None:
    from nnbp.run import check_gradient

    with _errors():
        config = build_config(read_config_file(config_path), {"mini_batch_size": mini_batch_size, "threads": threads},
                              str(config_path))
        result, described = check_gradient(config, weights_path, n_params, eps, tolerance, fetch=_fetch(as_json))
    click.echo(report.strict_json({**described, **result.to_dict()}) if as_json
               else "\n".join(report.gradcheck_lines(result, described)))
    if not result.passed:
        sys.exit(1)


@main.command("plot")
@click.argument("run_dirs", metavar="RUN_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", "png", type=click.Path(path_type=Path),
              help="Where to write the learning curves [RUN_DIR/learning-curves.png; several runs: comparison.png].")
@click.option("--what", default=",".join(FIGURES), show_default=True,
              help="Which figures of one run: curves, weights, confusion, mistakes (comma-separated).")
def plot_cmd(run_dirs: tuple[Path, ...], png: Path | None, what: str) -> None:
    """Draw a run's figures into its folder, several runs' learning curves side by side, or a
    sweep's grid points side by side (into SWEEP_DIR/sweep.png).

    For one run: learning-curves.png (accuracy and cost per epoch; training beside validation with
    monitor_training; η where a schedule changed it; diagnostics if recorded), weights.png (the first
    layer's weights as images, one per hidden neuron), confusion.png (a heatmap with the classes'
    names) and mistakes.png (the test images the network got most confidently wrong). The network
    pictured is best.npz. Needs matplotlib: pip install 'nnbp[plot]'.

    \b
    Examples:
      nnbp plot runs/mnist-sample
      nnbp plot runs/overfitting runs/overfitting-l2 -o overfitting.png
      nnbp plot runs/sweep-eta-sweep
    """
    from nnbp.run import figures

    chosen = tuple(w.strip() for w in what.split(","))
    unknown = [w for w in chosen if w not in FIGURES]
    if unknown:
        raise click.BadParameter(f"{unknown[0]!r} is not one of {', '.join(FIGURES)}", param_hint="--what")
    with _errors():
        if len(run_dirs) > 1:
            written = [figures.compare(list(run_dirs), png or Path("comparison.png"))]
        elif (run_dirs[0] / "summary.json").exists():
            written = [figures.draw_sweep(run_dirs[0], png)]
        else:
            written = figures.draw(run_dirs[0], chosen, png, fetch=_fetch(False))
    for path in written:
        click.echo(f"wrote {path}")
