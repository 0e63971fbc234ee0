"""README.md documents what the code does: every command and option, the config table as the code
makes it, a Python example that runs, and the test command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import click

from nnbp.cli import main
from nnbp.config import KEYS, keys_table

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
    """Config-key options are documented by the config table (each key is an option); the rest by name."""
    for name, command in all_commands():
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in KEYS:
                assert any(opt in README for opt in param.opts), f"{name} {param.opts}"


def test_the_config_table_is_the_one_the_code_makes():
    assert keys_table() in README


def test_the_readme_stays_a_users_page():
    assert len(README.encode()) <= 15_000
    assert not re.search(r"\b[Ii]ssue \d+", README)


def test_the_python_example_runs(tmp_path, monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)\n```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and (tmp_path / "runs" / "api" / "weights.npz").is_file()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_shipped_config_trains_the_books_network():
    import yaml

    config = yaml.safe_load((ROOT / "configs" / "mnist-sample.yaml").read_text())
    assert config["sizes"] == [784, 30, 10] and config["eta"] == 3.0
    assert config["epochs"] == 30 and config["mini_batch_size"] == 10


def test_every_shipped_config_is_valid():
    from nnbp.config import build_config, read_config_file
    from nnbp.sweep import plan

    for path in sorted((ROOT / "configs").glob("*.yaml")):
        if "sweep" in read_config_file(path):
            assert plan(path, []).folder == Path("runs") / f"{path.stem}-sweep"
            continue
        config = build_config(read_config_file(path), {}, str(path))
        assert config.output == f"runs/{path.stem}", path  # each writes to a folder of its own name
