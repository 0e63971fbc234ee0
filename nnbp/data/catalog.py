"""Finding datasets by name or path and loading them; knows nothing of training.

Names: `mnist-sample` ships inside the package; `mnist` and `fashion-mnist` are looked for in the
data folders (`data_folders`) and, when missing there, fetched into the user's cache by the
`fetch` function the caller passes (the CLI's shows progress). A path may name a Keras-layout
`.npz`, Nielsen's `mnist.pkl.gz`, or a folder holding the four IDX files.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from nnbp.data.dataset import Dataset, check_hold_out, hold_out
from nnbp.data.formats import IDX_FILES, find_idx_file, idx_length, load_idx_folder, load_npz, load_pickle
from nnbp.data.tables import is_table, table_dataset
from nnbp.errors import NnbpError
from nnbp.system.safeio import write_atomic

EMBEDDED = {"mnist-sample": "mnist-sample.npz"}
LOCAL = ("mnist", "fashion-mnist")  # found in the data folders, or downloaded
N_CLASSES = {"mnist": 10, "fashion-mnist": 10}
# The book holds out the last 10,000 of MNIST's 60,000 training images for validation.
DEFAULT_VALIDATION = {"mnist": 10_000, "fashion-mnist": 10_000}
DIGITS = tuple(str(d) for d in range(10))
CLASS_NAMES = {  # Fashion-MNIST's labels as Zalando Research publishes them
    "mnist-sample": DIGITS,
    "mnist": DIGITS,
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}

Fetch = Callable[[str, Path], Path]  # fetch(name, folder) downloads `name` into `folder`

# Small public tables that ship inside scikit-learn (an optional extra), written out as CSV on first use
TABLES = {"iris": "load_iris", "wine": "load_wine", "breast-cancer": "load_breast_cancer", "diabetes": "load_diabetes"}
TABLE_TARGETS = {"iris": "species", "wine": "cultivar", "breast-cancer": "diagnosis", "diabetes": "progression"}


def bundled_table(name: str) -> Path:
    """The CSV of one of scikit-learn's bundled tables in nnbp's cache, written from scikit-learn's own
    copy the first time (no network): the feature columns by their names, the target last."""
    path = cache_dir() / "tables" / f"{name}.csv"
    if path.is_file():
        return path
    try:
        import sklearn.datasets
    except ImportError:
        raise NnbpError(f"dataset: {name!r} ships with scikit-learn: pip install 'nnbp[sklearn]'") from None
    bunch = getattr(sklearn.datasets, TABLES[name])()
    names = [str(n).replace(" ", "_") for n in bunch.feature_names]
    if hasattr(bunch, "target_names") and name != "diabetes":
        target = np.asarray(bunch.target_names)[bunch.target].astype(str)  # the classes' names
    else:
        target = np.array([repr(float(v)) for v in bunch.target])  # values, written with their decimals
    lines = [",".join([*names, TABLE_TARGETS[name]])]
    lines += [",".join([*(repr(float(v)) for v in row), t]) for row, t in zip(bunch.data, target)]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, ("\n".join(lines) + "\n").encode())
    except OSError as e:
        raise NnbpError(f"{path}: cannot write the table ({e.strerror or e})") from None
    return path


def _path(name: str) -> Path:
    path = Path(name).expanduser()
    if not path.exists():
        raise NnbpError(f"dataset: {name[:80]!r}: no such file")
    return path


def load_dataset(
    name_or_path: str,
    validation_size: int | None = None,
    fetch: Fetch | None = None,
    *,
    target: str | list[str] | None = None,
    features: list[str] | None = None,
    test_size: float | None = None,
    test: str | None = None,
    scale: str = "auto",
    task: str = "auto",
    seed: int = 0,
) -> Dataset:
    """A dataset by name or path, with the last `validation_size` training examples held out.

    `validation_size=None` means the dataset's default: 10,000 for MNIST and Fashion-MNIST, 0 for
    the others; `mnist.pkl.gz` carries its own split and takes no `validation_size`. A table (a .csv
    or .tsv file, or one of TABLES) takes the rest (`nnbp.data.tables.table_dataset`): its target and
    feature columns, its test split, its scaling and its task, the rows shuffled by `seed`.
    """
    if is_table(name_or_path) or name_or_path in TABLES:
        path = bundled_table(name_or_path) if name_or_path in TABLES else _path(name_or_path)
        test_path = None if test is None else _path(test)
        return table_dataset(
            path,
            name_or_path,
            target=target or TABLE_TARGETS.get(name_or_path),
            features=features,
            test_size=test_size,
            test=test_path,
            scale=scale,
            task=task,
            validation_size=validation_size,
            seed=seed,
        )
    for key, value in (("target", target), ("features", features), ("test_size", test_size), ("test", test)):
        if value is not None:
            raise NnbpError(f"{key}: applies to tables (a .csv or .tsv dataset); {name_or_path!r} is not one")
    if scale not in ("auto", "pixels"):
        raise NnbpError(f"scale: {scale} applies to tables; {name_or_path!r} holds images, scaled ÷ 255 as stored")
    if task == "regression":
        raise NnbpError(f"task: {name_or_path!r} holds labelled images: a classification")
    dataset = _load(name_or_path, fetch)
    if dataset.class_names is None and name_or_path in CLASS_NAMES:
        dataset = replace(dataset, class_names=CLASS_NAMES[name_or_path])
    if dataset.validation is not None:
        if validation_size:
            raise NnbpError(
                f"validation_size: {name_or_path!r} carries its own validation split; leave validation_size out"
            )
        return dataset
    if validation_size is None:
        validation_size = DEFAULT_VALIDATION.get(name_or_path, 0)
    return hold_out(dataset, validation_size)


def _load(name_or_path: str, fetch: Fetch | None) -> Dataset:
    if name_or_path in EMBEDDED:
        resource = resources.files("nnbp.data") / EMBEDDED[name_or_path]
        with resources.as_file(resource) as path:
            return load_npz(path, name=name_or_path)
    if name_or_path in LOCAL:
        folder = locate(name_or_path)
        if folder is None:
            if fetch is None:
                raise NnbpError(_missing_message(name_or_path))
            folder = fetch(name_or_path, cache_dir() / name_or_path)
        return load_idx_folder(folder, name=name_or_path, n_classes=N_CLASSES[name_or_path])
    path = Path(name_or_path).expanduser()
    shown = name_or_path if len(name_or_path) <= 80 else name_or_path[:77] + "..."
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except ValueError:  # a NUL byte
        raise NnbpError(f"dataset: {shown!r}: not a usable path") from None
    except OSError as e:
        problem = "a name too long for the file system" if e.errno == errno.ENAMETOOLONG else e.strerror
        raise NnbpError(f"dataset: {shown!r}: cannot be read ({problem})") from None
    if is_dir:
        return load_idx_folder(path, name=name_or_path)
    if not exists:
        known = ", ".join([*EMBEDDED, *LOCAL])
        raise NnbpError(f"dataset: {shown!r} is neither a known dataset ({known}) nor an existing file or folder")
    if path.name.endswith((".pkl", ".pkl.gz")):
        return load_pickle(path, name=name_or_path)
    return load_npz(path, name=name_or_path)


def _missing_message(name: str) -> str:
    files = ", ".join(stem for pair in IDX_FILES.values() for stem in pair)
    folders = ", ".join(str(f) for f in data_folders(name))
    return (
        f"dataset: {name!r} was not found; run 'nnbp data fetch {name}', or place its four "
        f"IDX files ({files}, gzipped or not) in one of: {folders}"
    )


def cache_dir() -> Path:
    """nnbp's folder in the user's cache: `$XDG_CACHE_HOME/nnbp`, by default `~/.cache/nnbp`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnbp"


def data_folders(name: str) -> list[Path]:
    """Where a named dataset is looked for, in order: $NNBP_DATA_DIR, the cache, the system folders."""
    folders = []
    if os.environ.get("NNBP_DATA_DIR"):
        folders.append(Path(os.environ["NNBP_DATA_DIR"]) / name)
    folders.append(cache_dir() / name)
    folders += [Path("/usr/local/share/datasets") / name, Path("/usr/share/datasets") / name]
    return folders


def locate(name: str) -> Path | None:
    """The first data folder that holds all four IDX files of `name`, or None."""
    for folder in data_folders(name):
        try:
            for stems in IDX_FILES.values():
                for stem in stems:
                    find_idx_file(folder, stem)
        except NnbpError:
            continue
        return folder
    return None


@dataclass(frozen=True)
class Availability:
    """Where a known dataset is, and how many examples each split holds (None where not found)."""

    name: str
    where: str | None
    train: int | None = None
    validation: int | None = None
    test: int | None = None


def known_datasets() -> list[Availability]:
    """Every dataset nnbp knows by name, found or not; counts are read from file headers only."""
    sample = load_dataset("mnist-sample")
    rows = [Availability("mnist-sample", "inside the nnbp package", len(sample.train), 0, len(sample.test))]
    for name in LOCAL:
        folder = locate(name)
        if folder is None:
            rows.append(Availability(name, None))
            continue
        try:
            n_train = idx_length(find_idx_file(folder, IDX_FILES["train"][1]))
            n_test = idx_length(find_idx_file(folder, IDX_FILES["test"][1]))
        except NnbpError:
            rows.append(Availability(name, f"{folder} (unreadable)"))
            continue
        held = DEFAULT_VALIDATION.get(name, 0)
        try:
            check_hold_out(name, n_train, held)  # the split load_dataset would make, or its refusal
        except NnbpError as e:
            rows.append(Availability(name, f"{folder} (unusable: {e})"))
            continue
        rows.append(Availability(name, str(folder), n_train - held, held, n_test))
    return rows
