"""`nnbp train`: one run of a config, or the resumption of one, through the library's training service."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from nnbp.cli import text
from nnbp.cli.app import config_options, errors, fetcher, main
from nnbp.cli.terminal import EpochProgress, StopOnSignals, Stopped
from nnbp.config import build_config, keys_help, read_config_file

HELP = f"""Train a network as CONFIG (a YAML file) describes; options override its keys.

Progress shows on stderr (when it is a terminal); each epoch's accuracy on the validation split (or
the test split, for a dataset without one) is printed, and the run's folder gets weights.npz (also
the checkpoint for --resume), best.npz, history.json, history.csv and config.yaml. Ctrl-C stops
between two mini-batches, keeping every finished epoch (exit 130).

\b
Config keys [defaults]:
{keys_help(96)}

\b
Examples:
  nnbp train configs/mnist-sample.yaml
  nnbp train configs/mnist-sample.yaml --epochs 5 --eta 0.5 --cost cross-entropy -o runs/try
  nnbp train --resume runs/try --epochs 10
"""


@main.command("train", help=HELP)
@click.argument("config_path", metavar="CONFIG", required=False, type=click.Path(path_type=Path))
@config_options
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(path_type=Path),
    help="Continue the run in this folder from its last completed epoch (no CONFIG).",
)
@click.option("--force", is_flag=True, help="Replace a run already in the output folder.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors and the final line.")
def train(config_path: Path | None, resume_dir: Path | None, force: bool, quiet: bool, **options: Any) -> None:
    from nnbp.diagnostics import slowest_layer
    from nnbp.run import Callbacks
    from nnbp.run import train as train_run
    from nnbp.system.blas import busy_warning

    if (config_path is None) == (resume_dir is None):
        raise click.UsageError("give a CONFIG file, or --resume RUN_DIR (not both)")
    changed = [k for k, v in options.items() if v is not None and k != "epochs"]
    if resume_dir is not None and (changed or force):
        names = ", ".join("--" + k.replace("_", "-") for k in changed) or "--force"
        raise click.UsageError(f"{names} cannot be changed when resuming; only --epochs can")
    with errors():
        config = None if config_path is None else build_config(read_config_file(config_path), options, str(config_path))
    state: dict[str, Any] = {}

    def started(run: Any, dataset: Any) -> None:
        state["run"] = run
        state["stop"] = stack.enter_context(StopOnSignals())  # from here on, Ctrl-C waits for the step's end
        notes = [busy_warning(run.history.blas_threads), text.task_note(run.config, dataset)]
        if run.history.evaluated_on == "test" and (run.config.early_stopping or run.config.eta_schedule):
            notes.append(text.watching_test_note(dataset.name))
        for note in notes if not quiet else []:
            if note:
                click.echo(note, err=True)
        state["progress"] = EpochProgress(len(dataset.train), run.config.epochs, len(run.history.epochs) + 1, quiet)

    def on_epoch(result: Any) -> None:
        run = state["run"]
        state["progress"].end_epoch()
        if not quiet:
            click.echo(
                text.epoch_line(
                    result, run.config.epochs, run.history.evaluated_on, run.config.eta_schedule is not None
                )
            )
        state["stop"].check()

    def on_batch(m: int) -> None:
        state["progress"].advance(m)
        state["stop"].check()

    with ExitStack() as stack, errors():
        try:
            history = train_run(
                config,
                resume=resume_dir,
                epochs=options["epochs"] if resume_dir else None,
                force=force,
                fetch=fetcher(quiet),
                source=str(config_path),
                callbacks=Callbacks(started=started, batch=on_batch, epoch=on_epoch),
            )
        except Stopped as stopped:
            run = state["run"]
            click.echo(text.stopped_line(stopped.signum, run.folder.path, len(run.history.epochs)), err=True)
            sys.exit(128 + stopped.signum)
        finally:
            if "progress" in state:
                state["progress"].end_epoch()

    run = state["run"]
    slowest = slowest_layer([e.to_dict() for e in history.epochs], list(run.config.sizes))
    if slowest is not None and not quiet:
        click.echo(text.slowest_layer_line(slowest))
    click.echo("\n".join(text.final_lines(run.folder.weights, history)))
