"""`nnbp gradcheck`: backprop's gradient against central finite differences, and the two timed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nnbp.cli import text
from nnbp.cli.app import errors, fetcher, key_option, main
from nnbp.config import build_config, read_config_file

HELP = """Check backprop's gradient against central finite differences, and time both.

Builds the network CONFIG describes (or loads --weights), takes the first mini-batch training would
take (the first mini_batch_size examples of the order the config's seed shuffles first), and
compares ∂C/∂w, ∂C/∂b from one backprop with (C(p + ε) − C(p − ε)) / 2ε for every weight and bias,
or for a random sample of --params of them spread over every layer. C is the batch's mean cost;
the check runs in float64. It reports the largest relative error |g − n| / max(|g|, |n|) per layer
(numbered as in the book: layer 2 is fed by the first weight matrix w²), for weights and biases;
derivatives too small for a central difference to resolve are judged against that noise floor
(printed). It passes when every error is at most the tolerance (default 1e-5): exit 0 on pass, 1 on
fail.

It also times the two ways of getting the whole gradient: one backprop, against the 2·P forward
passes finite differences need for P parameters (timed on those it checked, extrapolated when it
sampled) — the chapter's "million and one forward passes", measured on your network.

\b
Examples:
  nnbp gradcheck configs/mnist-sample.yaml --params 1000
  nnbp gradcheck configs/mnist-sample.yaml --weights runs/mnist-sample/weights.npz --json
"""


@main.command(help=HELP)
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(path_type=Path),
    help="Check these saved weights instead of a fresh network.",
)
@click.option(
    "--params",
    "n_params",
    type=click.IntRange(min=1),
    help="Check a random sample of about this many parameters [all when ≤ 5000, else 2000].",
)
@click.option("--eps", type=float, default=1e-6, show_default=True, help="The step ε of the central differences.")
@click.option("--tolerance", type=float, default=None, help="Largest relative error that passes [1e-5].")
@key_option("mini_batch_size", "Override `mini_batch_size`: the batch checked.")
@key_option("threads", "BLAS threads: auto (from the size of the matrix products), all, or a number [auto].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def gradcheck(
    config_path: Path,
    weights_path: Path | None,
    n_params: int | None,
    eps: float,
    tolerance: float | None,
    mini_batch_size: int | None,
    threads: str | int | None,
    as_json: bool,
) -> None:
    from nnbp.run import check_gradient

    with errors():
        config = build_config(
            read_config_file(config_path), {"mini_batch_size": mini_batch_size, "threads": threads}, str(config_path)
        )
        result, described = check_gradient(config, weights_path, n_params, eps, tolerance, fetch=fetcher(as_json))
    click.echo(
        text.strict_json({**described, **result.to_dict()})
        if as_json
        else "\n".join(text.gradcheck_lines(result, described))
    )
    if not result.passed:
        sys.exit(1)
