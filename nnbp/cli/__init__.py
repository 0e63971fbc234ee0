"""The `nnbp` command line, the only part of nnbp that prints: a module per command (`train`, `sweep`,
`evaluate` (eval, info), `predict`, `export`, `bench`, `gradcheck`, `plot`, `data`), each parsing its options,
calling one library function and printing its result; `text` turns results into lines, `terminal`
draws progress and hears signals, `figures` draws PNGs; `app` holds the group and what they share.
"""

from nnbp.cli import bench, data, evaluate, export, gradcheck, plot, predict, sweep, train  # noqa: F401 - registers them
from nnbp.cli.app import main

__all__ = ["main"]
