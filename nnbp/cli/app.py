"""The `nnbp` command group, and what every command shares: library errors as one line on stderr,
Ctrl-C and broken pipes handled as Unix tools do, an option for each config key, and the dataset
fetcher that says it is downloading."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from nnbp import __version__
from nnbp.config import KEYS, TrainConfig
from nnbp.errors import NnbpError
from nnbp.system.memory import memory_limit


class CliError(click.ClickException):
    """Exit 1 with `Error: message` on stderr: bad content in a file or value."""


@contextmanager
def errors() -> Iterator[None]:
    """Library errors as one-line CLI errors."""
    try:
        yield
    except NnbpError as e:
        raise CliError(str(e)) from None


class Group(click.Group):
    """Ctrl-C anywhere (loading data, say) exits 130, as a stopped training run does; an error nnbp
    did not foresee is one line too (NNBP_DEBUG=1 shows its traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with errors():
                memory_limit()  # a bad NNBP_MAX_MEMORY is named as itself, before an option that reads it
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
            raise CliError(
                "out of memory; lower NNBP_MAX_MEMORY (or the sizes asked for) so nnbp refuses such "
                "work before it starts"
            ) from None
        except Exception as e:
            if os.environ.get("NNBP_DEBUG"):
                raise
            raise CliError(
                f"unexpected {type(e).__name__}: {str(e)[:200]} — a bug in nnbp; please report it "
                "(NNBP_DEBUG=1 shows where)"
            ) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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


def fetcher(quiet: bool) -> Callable[[str, Path], Path]:
    """A `fetch` for `load_dataset` that says on stderr that it is downloading, with a bar per file."""
    from nnbp.cli.terminal import fetch_noting

    return fetch_noting(quiet, lambda line: click.echo(line, err=True))


def parse_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An option's text as its config key's value, or a usage error naming the option."""
    if value is None or isinstance(value, bool):
        return value
    entry = KEYS[param.name]
    try:
        return entry.parse(entry.from_text(value), param.opts[0])
    except NnbpError as e:
        raise click.BadParameter(str(e).removeprefix(param.opts[0] + ": ")) from None


def key_option(name: str, help: str | None = None) -> Callable[[Callable], Callable]:
    """The `--key` option of one config key: parsed by the key's own parser, None when not given."""
    entry = KEYS[name]
    option = "--" + name.replace("_", "-")
    is_flag = next(f for f in fields(TrainConfig) if f.name == name).type == "bool"
    names = [f"{option}/--no-{option[2:]}"] if is_flag else [option, *([entry.short] if entry.short else [])]
    return click.option(
        *names,
        name,
        metavar=entry.metavar or None,
        default=None,
        callback=parse_option,
        help=help or f"Override `{name}`: {entry.help}.",
    )


def config_options(command: Callable, leave_out: tuple[str, ...] = ()) -> Callable:
    """A `--key` option for every config key (None when not given); the key list in --help explains each."""
    for f in reversed([f for f in fields(TrainConfig) if f.name not in leave_out]):
        command = key_option(f.name, f"Override `{f.name}`.")(command)
    return command
