"""`nnbp sweep`: a config over a grid of values × seeds, each run an ordinary run folder."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

from nnbp.cli import text
from nnbp.cli.app import config_options, errors, fetcher, main
from nnbp.cli.terminal import StopAtOnce, Stopped

HELP = """Train CONFIG over a grid of values and several seeds: chapter 3's way of choosing
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
the same as `nnbp train` of the run's config.yaml. A Dask cluster runs the code nnbp sends it and
nnbp unpickles what it sends back: use only a cluster you control, and across machines a tls://
scheduler with --tls-ca-file, --tls-cert and --tls-key. Running the same sweep again skips the finished
runs and resumes the interrupted ones. A run that fails (diverges, say) is recorded as failed and
the others go on. Ctrl-C stops every worker (exit 130), keeping each finished run and epoch.

\b
Examples:
  nnbp sweep configs/sweep-eta.yaml
  nnbp sweep configs/mnist-sample.yaml --epochs 3 --grid eta=0.5,1,3 --seeds 0,1 -j 2
  nnbp sweep configs/mnist-sample.yaml --grid sizes=[784,30,10],[784,100,10] --grid mini_batch_size=10,100
  nnbp sweep configs/sweep-eta.yaml --scheduler tcp://127.0.0.1:8786
  nnbp sweep configs/sweep-eta.yaml --scheduler tls://10.0.0.5:8786 --tls-ca-file ca.pem \\
      --tls-cert me.pem --tls-key me.key
  nnbp plot runs/sweep-eta-sweep
"""


@main.command("sweep", help=HELP)
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--grid",
    "grid",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Values of one config key to try; repeat for more keys (every combination is run).",
)
@click.option(
    "--seeds",
    metavar="S1,S2,...",
    help="The seeds each grid point is trained with [the sweep: section's, else the config's seed].",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Runs trained at once on this machine [one per core].")
@click.option(
    "--output", "-o", "output", type=click.Path(path_type=Path), help="The sweep's folder [runs/<CONFIG's name>-sweep]."
)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Train on this Dask cluster instead of here.")
@click.option(
    "--tls-ca-file", type=click.Path(path_type=Path), help="With a tls:// scheduler: the CA's certificate (PEM)."
)
@click.option(
    "--tls-cert", type=click.Path(path_type=Path), help="With a tls:// scheduler: this side's certificate (PEM)."
)
@click.option(
    "--tls-key", type=click.Path(path_type=Path), help="With a tls:// scheduler: this side's private key (PEM)."
)
@click.option("--force", is_flag=True, help="Train every run afresh, replacing what the sweep's folder holds.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (run lines go to stderr).")
@click.option("--quiet", "-q", is_flag=True, help="Print no line per run.")
@partial(config_options, leave_out=("output", "threads"))
def sweep(
    config_path: Path,
    grid: tuple[str, ...],
    seeds: str | None,
    jobs: int | None,
    output: Path | None,
    scheduler: str | None,
    tls_ca_file: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    force: bool,
    as_json: bool,
    quiet: bool,
    **options: Any,
) -> None:
    from nnbp.sweep import plan
    from nnbp.sweep.cluster import Cluster

    tls = (tls_ca_file, tls_cert, tls_key)
    if scheduler is None and any(tls):
        raise click.UsageError("--tls-ca-file, --tls-cert and --tls-key go with --scheduler tls://HOST:PORT")
    with errors():
        cluster = Cluster(scheduler, *tls) if scheduler is not None else None
        planned = plan(config_path, list(grid), seeds, options, output, fetch=fetcher(quiet))
    total, finished = len(planned.points), []

    def on_outcome(point: Any, outcome: Any) -> None:
        finished.append(outcome.status == "finished")
        if not quiet:
            click.echo(text.sweep_run_line(len(finished), total, point.name, outcome), err=as_json)

    with StopAtOnce(), errors():
        try:
            summary = planned.run(jobs, cluster, force, on_outcome)
        except Stopped as stopped:
            click.echo(text.sweep_stopped_line(stopped.signum, sum(finished), total, planned.folder), err=True)
            sys.exit(128 + stopped.signum)
    if as_json:
        click.echo(text.strict_json(summary))
    else:
        click.echo("\n".join(text.sweep_lines(summary, planned.folder)))
