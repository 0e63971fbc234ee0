"""What the command line shows and hears while it works: progress bars, and the signals that stop
training between two steps. No math, no files: `cli.py` wires these to the library's callbacks."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm


class Stopped(Exception):
    """Raised by `StopOnSignals.check` once a stopping signal has arrived."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopOnSignals:
    """SIGINT and SIGTERM ask training to stop at the end of the current mini-batch or save.

    The handler only records the signal; `check()`, called between steps and after each epoch's
    save, raises. So nothing is left half-done: an epoch is either saved whole or not at all.
    A second signal while stopping falls back to Python's default behaviour.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> StopOnSignals:
        self.signum: int | None = None
        self.previous = {s: signal.getsignal(s) for s in self.SIGNALS}
        for s in self.SIGNALS:
            signal.signal(s, self._record)
        return self

    def _record(self, signum: int, frame: Any) -> None:
        self.signum = signum
        for s in self.SIGNALS:
            signal.signal(s, self.previous[s])

    def check(self) -> None:
        if self.signum is not None:
            raise Stopped(self.signum)

    def __exit__(self, *exc: Any) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)


class StopAtOnce(StopOnSignals):
    """SIGINT and SIGTERM raise `Stopped` at once: for a process that only waits on others, which
    have nothing half-done of its own to finish."""

    def _record(self, signum: int, frame: Any) -> None:
        super()._record(signum, frame)
        raise Stopped(signum)


class EpochProgress:
    """One tqdm bar per epoch on stderr; silent when quiet or when stderr is not a terminal."""

    def __init__(self, n_train: int, epochs: int, first_epoch: int, quiet: bool) -> None:
        self.n_train, self.epochs, self.quiet = n_train, epochs, quiet
        self.epoch = first_epoch - 1
        self.bar: tqdm | None = None

    def advance(self, m: int) -> None:
        """Count m more examples of the current epoch, opening its bar at the first."""
        if self.bar is None:
            self.epoch += 1
            self.bar = tqdm(
                total=self.n_train,
                desc=f"Epoch {self.epoch}/{self.epochs}",
                unit="ex",
                leave=False,
                disable=True if self.quiet else None,
                file=sys.stderr,
            )
        self.bar.update(m)

    def end_epoch(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def byte_bar(quiet: bool) -> Callable[[str, int | None], tqdm]:
    """A maker of download bars (bytes of one file), for `nnbp.download.fetch`'s `progress`."""

    def bar(name: str, total: int | None) -> tqdm:
        return tqdm(
            total=total,
            desc=name,
            unit="B",
            unit_scale=True,
            leave=False,
            disable=True if quiet else None,
            file=sys.stderr,
        )

    return bar


def fetch_noting(quiet: bool, say: Callable[[str], None]) -> Callable[[str, Path], Path]:
    """A `fetch` for `nnbp.data.load_dataset` that says (through `say`) that it is downloading, and
    shows a bar per file."""
    from nnbp.data.download import REMOTE, fetch

    def fetch_named(name: str, folder: Path) -> Path:
        if not quiet:
            say(f"Dataset {name!r} is not on this machine: downloading it into {folder}")
        return fetch(REMOTE[name], folder, progress=byte_bar(quiet))

    return fetch_named
