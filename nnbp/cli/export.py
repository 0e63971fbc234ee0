"""`nnbp export`: a weights file, with its scaling and class names, for another runtime."""

from __future__ import annotations

from pathlib import Path

import click

from nnbp.cli.app import errors, main
from nnbp.export import FORMATS


@main.command("export")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    default="onnx",
    show_default=True,
    help="What to write: onnx (needs the nnbp[onnx] extra).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The file to write (written whole, then renamed: never a partial file).",
)
def export_cmd(weights_path: Path, format_: str, output: Path) -> None:
    """Write the network in WEIGHTS for another runtime: raw examples in, nnbp's answers out.

    The ONNX model takes rows (N, inputs) as they are stored — pixels 0–255, a table's raw columns —
    in the network's dtype, applies the scaling training used, and gives `scores` (the output layer's
    activations: softmax or sigmoid) and `label` (the class index) for a classifier, or `values` in the
    targets' own units for a regression. Class names are in the model's metadata (`class_names`).

    \b
    Example:
      pip install 'nnbp[onnx]'
      nnbp export runs/mnist-sample/best.npz -o mnist.onnx
    """
    from nnbp.export import export
    from nnbp.run.weights import load_model

    with errors():
        model = load_model(weights_path)
        export(model, output, format_)
    click.echo(f"Wrote {output}: {format_}, {model.network.sizes}, {model.task}")
