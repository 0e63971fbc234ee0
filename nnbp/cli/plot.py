"""`nnbp plot`: a run's figures, several runs' curves side by side, or a sweep's grid points."""

from __future__ import annotations

from pathlib import Path

import click

from nnbp.cli.app import errors, fetcher, main
from nnbp.cli.figures import FIGURES


@main.command("plot")
@click.argument("run_dirs", metavar="RUN_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    "png",
    type=click.Path(path_type=Path),
    help="Where to write the learning curves [RUN_DIR/learning-curves.png; several runs: comparison.png].",
)
@click.option(
    "--what",
    default=",".join(FIGURES),
    show_default=True,
    help="Which figures of one run: curves, weights, confusion, mistakes (comma-separated).",
)
def plot_cmd(run_dirs: tuple[Path, ...], png: Path | None, what: str) -> None:
    """Draw a run's figures into its folder, several runs' learning curves side by side, or a
    sweep's grid points side by side (into SWEEP_DIR/sweep.png).

    For one run: learning-curves.png (accuracy and cost per epoch; training beside validation with
    monitor_training; η where a schedule changed it; diagnostics if recorded, layers numbered as in
    the book), weights.png (the first layer's weights as images, one per hidden neuron),
    confusion.png (a heatmap with the classes' names) and mistakes.png (the test images the network
    got most confidently wrong). The network pictured is best.npz. Needs matplotlib:
    pip install 'nnbp[plot]'.

    \b
    Examples:
      nnbp plot runs/mnist-sample
      nnbp plot runs/overfitting runs/overfitting-l2 -o overfitting.png
      nnbp plot runs/sweep-eta-sweep
    """
    from nnbp.cli import figures

    chosen = tuple(w.strip() for w in what.split(","))
    unknown = [w for w in chosen if w not in FIGURES]
    if unknown:
        raise click.BadParameter(f"{unknown[0]!r} is not one of {', '.join(FIGURES)}", param_hint="--what")
    with errors():
        if png is not None:
            figures.check_output(png)  # before any drawing: a device node or FIFO there is refused, not replaced
        if len(run_dirs) > 1:
            written = [figures.compare(list(run_dirs), png or Path("comparison.png"))]
        elif (run_dirs[0] / "summary.json").exists():
            written = [figures.draw_sweep(run_dirs[0], png)]
        else:
            written = figures.draw(run_dirs[0], chosen, png, fetch=fetcher(False))
    for path in written:
        click.echo(f"wrote {path}")
