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


def command_rows(name: str) -> list[str]:
    """The rows of README's command table that document the command `name` (its first cell names it)."""
    rows = re.findall(r"^\| (`nnbp [^|]*)\|", README, re.M)
    return [row for row in rows if re.search(rf"`{re.escape(name)}( |`)", row)]


def test_every_command_has_a_row_in_the_command_table():
    for name, command in all_commands():
        if not isinstance(command, click.Group):
            assert command_rows(name), name


def test_every_option_is_in_its_commands_row():
    """Each option on the row of its own command (config keys, options of train and sweep, are documented by
    the config table instead): a --quiet named on another row, or in a shell example, does not count."""
    for name, command in all_commands():
        if isinstance(command, click.Group):
            continue
        rows = " ".join(command_rows(name))
        for param in command.params:
            is_key = param.name in KEYS and name in ("nnbp train", "nnbp sweep")
            if isinstance(param, click.Option) and not is_key:
                assert any(re.search(rf"{re.escape(opt)}\b", rows) for opt in param.opts), f"{name} {param.opts}"


def test_the_config_table_is_the_one_the_code_makes():
    assert keys_table() in README


def test_the_readme_stays_a_users_page():
    assert len(README.encode()) <= 20_000
    assert not re.search(r"\b[Ii]ssue \d+", README)


def test_the_python_example_runs(tmp_path, monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)\n```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and (tmp_path / "runs" / "api" / "weights.npz").is_file()
    assert len(re.findall(r"'[0-9]'", printed[2])) == 5  # load_model's predictions: five digits' names


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


def test_reading_the_code_points_at_the_lines_it_names():
    """Each row of docs/reading-the-code.md that links to a line says what that line holds: when the code
    moves, this fails until the page is brought up to date."""
    page = (ROOT / "docs" / "reading-the-code.md").read_text()
    rows = [row for row in page.splitlines() if row.startswith("|") and "../nnbp/" in row]
    assert len(rows) >= 20
    for row in rows:
        said = re.findall(r"`([^`]+)`", row.rstrip(" |").rsplit("|", 1)[-1])
        assert said, row
        path, line = re.search(r"\(\.\./(nnbp/[\w/]+\.py)#L(\d+)\)", row).groups()
        text = (ROOT / path).read_text().splitlines()[int(line) - 1]
        assert said[0] in text, f"{path}:{line} does not say {said[0]!r}: {text.strip()}"
