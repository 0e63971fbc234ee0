"""README.md documents what the code does: every command, option and config key; CI runs its test command."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import click

from nnbp.cli import main
from nnbp.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def all_commands(group: click.Group = main, prefix: str = "nnbp"):
    """Every command and subcommand, as `nnbp data fetch` and its click object."""
    for name, command in group.commands.items():
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix} {name}")


def test_every_command_is_documented():
    for name, _ in all_commands():
        assert name in README, name


def test_every_option_is_documented():
    for name, command in all_commands():
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in README for opt in param.opts), f"{name} {param.opts}"


def test_every_config_key_is_in_the_reference_table():
    for field in fields(TrainConfig):
        assert f"| `{field.name}` |" in README, field.name


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_shipped_config_trains_the_books_network():
    import yaml

    config = yaml.safe_load((ROOT / "configs" / "mnist-sample.yaml").read_text())
    assert config["sizes"] == [784, 30, 10] and config["eta"] == 3.0
    assert config["epochs"] == 30 and config["mini_batch_size"] == 10
