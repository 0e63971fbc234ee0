"""`nnbp predict`: what saved weights say about someone's own examples."""

from __future__ import annotations

from pathlib import Path

import click

from nnbp.cli import text
from nnbp.cli.app import errors, main

SHOWN = 48  # inputs --show draws, at most


@main.command("predict")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.argument("sources", metavar="INPUT...", nargs=-1, required=True)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Classes shown per input.")
@click.option("--raw", is_flag=True, help="Use pictures as they are: no bringing them to MNIST's form.")
@click.option(
    "--show",
    "show_path",
    type=click.Path(path_type=Path),
    help=f"Also save a PNG of each input beside the form the network saw (the first {SHOWN}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def predict_cmd(
    weights_path: Path, sources: tuple[str, ...], top: int, raw: bool, show_path: Path | None, as_json: bool
) -> None:
    """Classify your own examples with saved weights (weights.npz or best.npz).

    INPUT is a picture (PNG, JPEG, BMP; needs pip install 'nnbp[images]'), an .npy of one example or
    a stack ((784,), (28, 28), (N, 784), (N, 28, 28)), an .npz with x_test or x, or - for an .npy on
    stdin. For weights trained on a table, INPUT is a CSV or TSV file of rows: the columns the model
    was trained on are found by name, scaled as in training, and one prediction per row is printed
    as CSV (class and score for --top classes, or a regression's values) or as JSON.
    Pixels are scaled as training scaled its data. A picture is turned as its EXIF orientation
    says; one of another size is brought to MNIST's form first — grayscale; the page's level and noise
    estimated from its border; the strokes (what stands clear of that noise) made light on black;
    cropped to them; fitted into 20 × 20 keeping its aspect ratio; centred by its centre of mass in
    28 × 28 — unless --raw. A picture that is mostly "ink" gets a warning; --show saves what the
    network saw. The score is the softmax probability, or for other outputs each output's share of
    their sum.

    \b
    Examples:
      nnbp predict runs/mnist-sample/best.npz my-digit.png
      nnbp predict runs/fashion-mnist-100/best.npz shoes.jpg --top 5 --json
      nnbp predict runs/mnist-sample/best.npz photo.jpg --show seen.png
      nnbp predict runs/iris/best.npz new-flowers.csv --top 1
    """
    from nnbp.cli import figures
    from nnbp.data.tables import is_table
    from nnbp.run import predict_files

    if any(is_table(source) for source in sources):
        if len(sources) > 1 or show_path is not None or raw:
            raise click.UsageError("a table of rows is predicted alone, without --show or --raw")
        from nnbp.run.prediction import predict_rows

        with errors():
            rows, model = predict_rows(weights_path, sources[0], top)
        if as_json:
            click.echo(text.strict_json({"predictions": [r.to_dict() for r in rows]}))
        else:
            click.echo(text.rows_csv(rows, model), nl=False)
        return
    with errors():
        if show_path is not None:
            figures.check_picture_output(show_path)
        predictions, kind, shown = predict_files(weights_path, list(sources), top, raw, SHOWN if show_path else 0)
        if show_path is not None:
            figures.show_inputs(shown, show_path)
    if as_json:
        click.echo(text.strict_json({"score": kind, "predictions": [p.to_dict() for p in predictions]}))
        return
    click.echo("\n".join(text.prediction_lines(predictions, kind)))
    for p in predictions:
        if p.warning:
            click.echo(f"warning: {p.input}: {p.warning}", err=True)
