"""`nnbp data list` and `nnbp data fetch`: the datasets nnbp knows, and downloading one."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from nnbp.cli import text
from nnbp.cli.app import errors, main


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
    from nnbp.data import known_datasets

    with errors():
        rows = known_datasets()
    click.echo(
        text.strict_json({"datasets": [asdict(r) for r in rows]}) if as_json else "\n".join(text.dataset_lines(rows))
    )


@data.command("fetch")
@click.argument("name", type=click.Choice(["mnist", "fashion-mnist"]))
@click.option(
    "--dir", "folder", type=click.Path(path_type=Path), help="Download into this folder instead of the cache."
)
def data_fetch(name: str, folder: Path | None) -> None:
    """Download NAME's four files from its mirrors, checking each file's SHA-256.

    \b
    Example:
      nnbp data fetch fashion-mnist
    """
    from nnbp.cli.terminal import byte_bar
    from nnbp.data import cache_dir
    from nnbp.data.download import REMOTE, fetch

    folder = folder or cache_dir() / name
    with errors():
        fetch(REMOTE[name], folder, progress=byte_bar(False))
    click.echo(f"{name}: {len(REMOTE[name].files)} files verified in {folder}")
