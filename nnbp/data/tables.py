"""Reading a table — a CSV or TSV file with a header row (gzipped if its name ends in .gz) — into
numeric features and a target: the columns to predict.

Features must be numbers; a target may be numbers (classes if they are all whole numbers, values to
regress otherwise) or text (classes). Every defect is an `NnbpError` naming the file, the line and
the column: a value that is not a number, a missing value, a row with fewer fields than the header
(or more, when every column is used). The file is parsed by numpy's loadtxt as it streams in, so its
text is never held whole and the memory taken is about that of the arrays it becomes.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnbp.data.dataset import Dataset, Split, check_hold_out, fitted_scaling
from nnbp.errors import NnbpError
from nnbp.system.memory import describe, memory_limit
from nnbp.system.safeio import open_regular

Array = np.ndarray
SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
MAX_COLUMNS = 100_000
MAX_CLASSES = 100_000
MAX_NAME = 100  # characters in a column's name or a class's (as a weights file keeps them)
CHECKED_ROWS = 1 << 16  # rows checked for missing values at a time


@dataclass(frozen=True)
class Table:
    """A table's features (N, k) as float64, its target, and their names.

    `targets` is (N, t) float64 for values, or `labels` (N,) class indices into `classes` (sorted).
    `features` and `targets` are views of the one array read, so reading holds no second copy."""

    path: str
    features: Array
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    targets: Array | None = None
    labels: Array | None = None
    classes: tuple[str, ...] | None = None


def is_table(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def delimiter_of(path: Path) -> str:
    return "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","


@contextmanager
def open_text(path: Path) -> Iterator[io.TextIOBase]:
    """A table file as text, decompressed if its name ends in .gz; only a regular file is opened."""
    with open_regular(path, "a CSV or TSV table") as raw:
        binary = gzip.GzipFile(fileobj=raw, mode="rb") if path.name.lower().endswith(".gz") else raw
        with io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
            yield text


def read_header(path: Path) -> list[str]:
    """The column names of a table's first line, each checked."""
    try:
        with open_text(path) as f:
            line = f.readline(1 << 20)
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise NnbpError(f"{path}: cannot be read as a table ({type(e).__name__}: {str(e)[:120]})") from None
    if not line.strip():
        raise NnbpError(f"{path}: has no header row naming its columns")
    names = [name.strip() for name in next(csv.reader([line], delimiter=delimiter_of(path)))]
    if len(names) > MAX_COLUMNS:
        raise NnbpError(f"{path}: has {len(names):,} columns; nnbp reads at most {MAX_COLUMNS:,}")
    for i, name in enumerate(names):
        if not name or len(name) > MAX_NAME:
            raise NnbpError(f"{path}: line 1, column {i + 1}: a column needs a name of 1 to {MAX_NAME} characters")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise NnbpError(f"{path}: line 1: the column {repeated[0]!r} is named twice")
    return names


def read_table(
    path: Path,
    target: str | list[str] | None = None,
    features: list[str] | None = None,
    task: str = "auto",
    min_classes: int = 2,
) -> Table:
    """The table at `path`: the columns `features` (default: all but the target) as numbers, and the
    column(s) `target` (default: the last) as classes or values, as `task` says (`auto`: classes for
    text or whole numbers written without a decimal point, values otherwise; several target columns are
    always values)."""
    names = read_header(path)
    targets = [target] if isinstance(target, str) else list(target) if target else [names[-1]]
    for name in targets + list(features or []):
        if name not in names:
            raise NnbpError(
                f"{path}: has no column {name!r}; its columns are {', '.join(names[:30])}"
                + (" …" if len(names) > 30 else "")
            )
    chosen = list(features) if features is not None else [n for n in names if n not in targets]
    overlap = set(chosen) & set(targets)
    if overlap:
        raise NnbpError(f"{path}: {sorted(overlap)[0]!r} is both a feature and the target")
    if not chosen:
        raise NnbpError(f"{path}: no feature columns are left beside the target {targets[0]!r}")
    if task == "classification" and len(targets) > 1:
        raise NnbpError(f"target: a classification has one target column, not {len(targets)}")
    written = _written(path, names.index(targets[0]))
    as_text = len(targets) == 1 and written == "text"
    if as_text and task == "regression":
        raise NnbpError(f"{path}: target {targets[0]!r} holds text; a regression needs numbers")
    columns = [names.index(n) for n in chosen]
    codes: dict[str, int] = {}
    if as_text:
        target_column = names.index(targets[0])

        def code(text: str) -> float:  # each class's text as a number, in order of first appearance
            return float(codes.setdefault(text.strip(), len(codes)))

        data = _load(path, names, columns + [target_column], {target_column: code})
    else:
        data = _load(path, names, columns + [names.index(n) for n in targets], {})
    X, Y = data[:, : len(columns)], data[:, len(columns) :]
    _refuse_missing(path, X, names, columns)
    if as_text:
        return _classes(path, X, chosen, targets, Y[:, 0].astype(np.intp), sorted(codes, key=codes.get), min_classes)
    _refuse_missing(path, Y, names, [names.index(n) for n in targets])
    whole = bool(np.all(Y == np.rint(Y)))
    if task == "classification" or (task == "auto" and len(targets) == 1 and whole and written == "whole"):
        if not whole:
            raise NnbpError(
                f"{path}: target {targets[0]!r} holds numbers that are not whole; they are not classes "
                "(task: regression predicts them)"
            )
        values = np.unique(Y[:, 0])
        labels = np.searchsorted(values, Y[:, 0]).astype(np.intp)
        return _classes(path, X, chosen, targets, labels, [_number_name(v) for v in values], min_classes, sort=False)
    return Table(str(path), X, tuple(chosen), tuple(targets), targets=Y)


def _classes(
    path: Path,
    X: Array,
    features: list[str],
    targets: list[str],
    labels: Array,
    names: list[str],
    min_classes: int,
    sort: bool = True,
) -> Table:
    """A classification table: labels renumbered so the classes' names are in sorted order."""
    if len(names) < min_classes:
        raise NnbpError(
            f"{path}: target {targets[0]!r} holds one class ({names[0][:40]!r}); a classifier needs at least 2"
        )
    if len(names) > MAX_CLASSES:
        raise NnbpError(
            f"{path}: target {targets[0]!r} holds {len(names):,} classes; nnbp takes at most {MAX_CLASSES:,}"
        )
    if sort:
        order = sorted(range(len(names)), key=lambda k: names[k])
        renumber = np.empty(len(names), np.intp)
        renumber[order] = np.arange(len(names))
        labels, names = renumber[labels], [names[k] for k in order]
    too_long = [n for n in names if len(n) > MAX_NAME]
    if too_long:
        raise NnbpError(
            f"{path}: target {targets[0]!r}: the class {too_long[0][:40]!r}… is longer than {MAX_NAME} characters"
        )
    return Table(str(path), X, tuple(features), tuple(targets), labels=labels, classes=tuple(names))


def _number_name(value: float) -> str:
    return str(int(value)) if abs(value) < 2**53 else repr(value)


def _written(path: Path, column: int, rows: int = 1000) -> str:
    """How the first `rows` values of a column are written: "text" if any is not a number, "decimals" if
    any number has a decimal point or an exponent, else "whole"."""
    written = "whole"
    with open_text(path) as f:
        f.readline()
        reader = csv.reader(f, delimiter=delimiter_of(path))
        for _, row in zip(range(rows), reader):
            if column < len(row):
                try:
                    float(row[column])
                except ValueError:
                    return "text"
                if any(c in row[column] for c in ".eE"):
                    written = "decimals"
    return written


def _load(path: Path, names: list[str], columns: list[int], converters: dict) -> Array:
    """The columns (in that order) of every data row, as float64, by numpy's loadtxt."""
    bound = _largest(path, len(columns), len(names))
    if bound > memory_limit():
        raise NnbpError(
            f"{path}: its {len(columns)} columns could take up to {describe(bound, memory_limit())}; "
            f"the limit is {describe(memory_limit(), bound)} (set NNBP_MAX_MEMORY to raise it)"
        )
    every = sorted(columns) == list(range(len(names)))  # then each row's field count is checked, not just the used
    try:
        with open_text(path) as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy warns of a file without rows: said below
            f.readline()
            data = np.loadtxt(
                f,
                delimiter=delimiter_of(path),
                usecols=None if every else columns,
                converters=converters or None,
                ndmin=2,
                quotechar='"',
                dtype=np.float64,
                encoding=None,
            )
    except ValueError as e:
        raise _located(path, names, list(range(len(names))) if every else columns, str(e)) from None
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise NnbpError(f"{path}: cannot be read as a table ({type(e).__name__}: {str(e)[:120]})") from None
    if every and columns != list(range(len(names))):
        data = data[:, columns]
    if len(data) == 0:
        raise NnbpError(f"{path}: has a header but no rows")
    return data


def _largest(path: Path, n_columns: int, n_all: int) -> int:
    """An upper bound on the bytes of the float64 array `n_columns` of a plain file's `n_all` columns
    become (two characters a value at least: a digit and a delimiter); 0 for a compressed file."""
    if path.name.lower().endswith(".gz"):
        return 0
    return path.stat().st_size // (2 * n_all) * n_columns * 8


def _located(path: Path, names: list[str], columns: list[int], message: str) -> NnbpError:
    """numpy's message about a bad value, as a line and a column name of the file."""
    converting = re.search(r"could not convert string '(.*)' to \w+ at row (\d+), column (\d+)", message)
    if converting:
        text, row, column = converting[1], int(converting[2]), int(converting[3])
        name = names[columns[column - 1]] if 0 < column <= len(columns) else f"#{column}"
        problem = "a missing value" if text.strip() == "" else f"{text[:40]!r} is not a number"
        return NnbpError(f"{path}: line {row + 2}, column {name!r}: {problem}")
    changed = re.search(r"number of columns changed from (\d+) to (\d+) at row (\d+)", message)
    if changed:  # numpy counts the fields of the first row, and names the first row that differs from it
        first, later, row = int(changed[1]), int(changed[2]), int(changed[3])
        line, fields = (2, first) if first != len(names) else (row + 1, later)
        return NnbpError(f"{path}: line {line} has {fields} fields where the header has {len(names)}")
    missing = re.search(r"invalid column index (-?\d+) at row (\d+) with (\d+) columns", message)
    if missing:
        return NnbpError(
            f"{path}: line {int(missing[2]) + 1} has {missing[3]} fields where the header has {len(names)}"
        )
    return NnbpError(f"{path}: not a readable table ({message[:160]})")


def _refuse_missing(path: Path, values: Array, names: list[str], columns: list[int]) -> None:
    """Refuse NaN (written 'nan', as numpy reads it) and infinities: missing or unusable values."""
    for start in range(0, len(values), CHECKED_ROWS):  # a block at a time: the flags stay small
        bad = np.argwhere(~np.isfinite(values[start : start + CHECKED_ROWS]))
        if not len(bad):
            continue
        row, column = bad[0]
        row += start
        raise NnbpError(
            f"{path}: line {row + 2}, column {names[columns[column]]!r}: a missing or infinite value "
            f"({values[row, column]})"
        )


DEFAULT_TEST_SIZE = 0.2  # a table without a test file or test_size keeps a fifth of its rows for the test


def table_dataset(
    path: Path,
    name: str,
    *,
    target: str | list[str] | None = None,
    features: list[str] | None = None,
    test_size: float | None = None,
    test: Path | None = None,
    scale: str = "auto",
    task: str = "auto",
    validation_size: int | None = None,
    seed: int = 0,
) -> Dataset:
    """A table as a dataset: the rows shuffled by `seed` and split into training and test rows (`test_size`
    of them, default DEFAULT_TEST_SIZE), or the rows of the `test` file as the test split; the last
    `validation_size` training rows held out; scaling (`scale`: auto is standard) fitted on the training
    rows only, as is a regression's standardisation of its targets."""
    if test is not None and test_size is not None:
        raise NnbpError("test_size: give test_size or a test file, not both")
    table = read_table(path, target, features, task)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(table.features))
    if test is None:
        n_test = round((test_size or DEFAULT_TEST_SIZE) * len(order))
        if not 1 <= n_test < len(order):
            raise NnbpError(
                f"test_size: {test_size or DEFAULT_TEST_SIZE} of {len(order)} rows leaves no "
                + ("test rows" if n_test < 1 else "training rows")
            )
        train, test_split = _split(table, order[n_test:]), _split(table, order[:n_test])
    else:
        other = read_table(
            test,
            list(table.target_names),
            list(table.feature_names),
            "regression" if table.targets is not None else "classification",
            min_classes=1,  # a test file may hold fewer classes than the training file
        )
        train, test_split = _split(table, order), _matched(test, table, other)
    return rows_dataset(name, table, train, test_split, validation_size=validation_size, scale=scale)


@dataclass(frozen=True)
class Scaling:
    """What turns a table's rows into inputs and its targets into outputs, as fitted on training rows."""

    how: str
    shift: Array | None
    scale: Array | float
    target_shift: Array | None = None
    target_scale: Array | None = None


def rows_dataset(
    name: str,
    table: Table,
    train: Split,
    test: Split,
    *,
    validation_size: int | None = None,
    scale: str = "auto",
    scaling: Scaling | None = None,
) -> Dataset:
    """A dataset of a table's training and test rows, the last `validation_size` training rows held
    out; `scaling` as given (an earlier fit's), or fitted on the training rows as `scale` says (auto is
    standard), as is a regression's standardisation of its targets."""
    if validation_size:
        check_hold_out(name, len(train), validation_size)
        cut = len(train) - validation_size
        train, validation = Split(train.images[:cut], train.labels[:cut]), Split(train.images[cut:], train.labels[cut:])
    else:
        validation = None
    regression = table.targets is not None
    if scaling is None:
        how = "standard" if scale == "auto" else scale
        shift, factor = fitted_scaling(train.images, how)
        target_shift, target_scale = fitted_scaling(train.labels, "standard") if regression else (None, None)
        scaling = Scaling(how, shift, factor, target_shift, target_scale)
    return Dataset(
        name,
        train,
        test,
        table.targets.shape[1] if regression else len(table.classes),
        scaling.scale,
        validation,
        None if regression else table.classes,
        "table",
        scaling.shift,
        scaling.how,
        "regression" if regression else "classification",
        table.feature_names,
        table.target_names,
        scaling.target_shift,
        scaling.target_scale,
    )


def _split(table: Table, rows: Array) -> Split:
    return Split(table.features[rows], table.targets[rows] if table.targets is not None else table.labels[rows])


def _matched(path: Path, train: Table, test: Table) -> Split:
    """A test file's rows, its classes numbered as the training file's."""
    if train.targets is not None:
        return Split(test.features, test.targets)
    unknown = sorted(set(test.classes) - set(train.classes))
    if unknown:
        raise NnbpError(
            f"{path}: target {test.target_names[0]!r} holds the class {unknown[0][:40]!r}, which the "
            "training file does not"
        )
    position = {name: k for k, name in enumerate(train.classes)}
    return Split(test.features, np.array([position[n] for n in test.classes], np.intp)[test.labels])


def read_columns(path: Path, wanted: tuple[str, ...]) -> Array:
    """The columns `wanted` of a table, by name and in that order, as numbers (N, len(wanted)); other
    columns are left unread. For rows to predict: the columns a model was trained on."""
    names = read_header(path)
    missing = [n for n in wanted if n not in names]
    if missing:
        raise NnbpError(
            f"{path}: has no column {missing[0]!r}, which the model takes "
            f"({len(missing)} of its {len(wanted)} columns are missing)"
        )
    columns = [names.index(n) for n in wanted]
    data = _load(path, names, columns, {})
    _refuse_missing(path, data, names, columns)
    return data
