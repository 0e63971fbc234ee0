"""`nnbp bench`: the matrix engine against the chapter's per-example loop on the same work."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from nnbp.cli import text
from nnbp.cli.app import errors, fetcher, key_option, main
from nnbp.cli.terminal import StopAtOnce, Stopped
from nnbp.config import build_config, read_config_file

HELP = """Time the matrix engine against the chapter's per-example loop on the same work.

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


@main.command(help=HELP)
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))
@click.option("--mini-batch-sizes", help="Comma-separated mini-batch sizes to time [1,10,100,1000, those that fit].")
@click.option("--repeats", type=click.IntRange(min=1), help="Timed runs per engine and size [5; --quick: 3].")
@click.option(
    "--loop-examples",
    type=click.IntRange(min=1),
    help="Examples the slow loop is timed on; its epoch is extrapolated [2000; --quick: 300].",
)
@key_option("dtype", "Override `dtype` (both engines use it).")
@click.option("--quick", is_flag=True, help="A rough run in a few seconds: fewer repeats and examples.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Also draw speedup and floor ratio against mini-batch size into this PNG (needs matplotlib).",
)
@key_option("threads", "BLAS threads: auto (from the size of the matrix products), all, or a number [auto].")
@click.option(
    "--contended",
    is_flag=True,
    help="Instead, time the matrix engine with auto, 1 and all BLAS threads, quiet and beside a busy process.",
)
def bench(
    config_path: Path | None,
    mini_batch_sizes: str | None,
    repeats: int | None,
    loop_examples: int | None,
    dtype: str | None,
    quick: bool,
    as_json: bool,
    plot_path: Path | None,
    threads: str | int | None,
    contended: bool,
) -> None:
    from nnbp import benchmark
    from nnbp.cli import figures
    from nnbp.run.setup import dataset_of

    if plot_path is not None and contended:
        raise click.UsageError("--plot draws the engines' speedup; it cannot be combined with --contended")
    with errors():
        if plot_path is not None:
            figures.require_pyplot()
        config = build_config(
            read_config_file(config_path) if config_path else {},
            {"dtype": dtype, "threads": threads},
            str(config_path or "defaults"),
        )
        dataset = dataset_of(config, fetcher(as_json))
        plan = benchmark.plan(config, dataset, mini_batch_sizes, quick, repeats, loop_examples, contended)
    header, row_line = (
        (text.contention_header_lines, text.contention_row) if contended else (text.bench_header_lines, text.bench_row)
    )
    with StopAtOnce():  # SIGTERM too unwinds, so the busy process of --contended is stopped with nnbp
        try:
            for row in benchmark.run(plan):
                if not as_json:
                    if len(plan.results) == 1:
                        click.echo("\n".join(header(plan)))
                    click.echo(row_line(row))
        except Stopped as stopped:
            click.echo(f"Stopped by {signal.Signals(stopped.signum).name}", err=True)
            sys.exit(128 + stopped.signum)
    click.echo(text.strict_json(plan.summary()) if as_json else "\n".join(text.bench_footer_lines(plan)))
    if plot_path is not None:
        with errors():
            figures.plot_speedup(
                plan.results,
                f"{list(plan.config.sizes)} on {plan.dataset.name}, "
                f"{plan.config.dtype}; {plan.environment['processor']}, "
                f"numpy {plan.environment['numpy']}",
                plot_path,
            )
        if not as_json:
            click.echo(f"wrote {plot_path}")
