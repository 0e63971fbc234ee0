"""`nnbp eval` and `nnbp info`: saved weights judged on a test split, and described."""

from __future__ import annotations

from pathlib import Path

import click

from nnbp.cli import text
from nnbp.cli.app import errors, fetcher, key_option, main

MATRIX_CLASSES_JSON = 100  # --json's confusion matrix up to this many classes (its size grows with their square)
CONFUSIONS_JSON = 100  # the largest confusions --json lists, whatever the classes


@main.command("eval")
@click.argument("weights_path", metavar="WEIGHTS", type=click.Path(path_type=Path))
@click.option("--dataset", help="Evaluate on this dataset's test split instead of the one the run used.")
@key_option("threads", "BLAS threads: auto (from the size of the matrix products), all, or a number [auto].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def eval_cmd(weights_path: Path, dataset: str | None, threads: str | int | None, as_json: bool) -> None:
    """Evaluate saved weights on a test split: accuracy, per-class accuracy, confusion matrix.

    \b
    Examples:
      nnbp eval runs/mnist-sample/weights.npz
      nnbp eval runs/mnist-sample/weights.npz --json | python -m json.tool
    """
    from nnbp.run import evaluate_weights

    with errors():
        ev, data = evaluate_weights(weights_path, dataset, fetch=fetcher(as_json), threads=threads or "auto")
    if as_json and data.regression:
        click.echo(
            text.strict_json(
                {
                    "weights": str(weights_path),
                    "dataset": data.name,
                    "split": "test",
                    **ev.to_dict(),
                    "target_names": data.target_names,
                }
            )
        )
    elif as_json:
        small = ev.n_classes <= MATRIX_CLASSES_JSON
        click.echo(
            text.strict_json(
                {
                    "weights": str(weights_path),
                    "dataset": data.name,
                    "split": "test",
                    **ev.to_dict(),
                    "class_names": data.class_names,
                    "per_class_accuracy": ev.per_class_accuracy,
                    "confusion": ev.confusion.tolist() if small else None,
                    "largest_confusions": [list(c) for c in ev.confusions(CONFUSIONS_JSON)],
                }
            )
        )
    else:
        click.echo("\n".join(text.evaluation_lines(weights_path, data, ev)))


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

    with errors():
        info = describe_weights(weights_path)
    click.echo(text.strict_json(info) if as_json else "\n".join(text.info_lines(info)))
