"""Finding datasets by name or path and loading them; knows nothing of training.

Names: `mnist-sample` ships inside the package; `mnist` and `fashion-mnist` are looked for in the
data folders (`data_folders`), and downloaded into the user's cache when missing.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from nnbp.dataset import Dataset, hold_out
from nnbp.errors import NnbpError
from nnbp.formats import IDX_FILES, find_idx_file, load_idx_folder, load_npz

EMBEDDED = {"mnist-sample": "mnist-sample.npz"}
LOCAL = ("mnist", "fashion-mnist")  # found in the data folders
DEFAULT_VALIDATION = {"mnist": 10_000, "fashion-mnist": 10_000}


def load_dataset(name_or_path: str, validation_size: int | None = None) -> Dataset:
    """A dataset by name or path, with the last `validation_size` training examples held out.

    Names: `mnist-sample` (shipped inside the package), `mnist` and `fashion-mnist` (found in the
    data folders, see `data_folders`). A path may be an `.npz` file in Keras's layout or a folder of
    IDX files. `validation_size=None` means the dataset's default: 10,000 for MNIST and
    Fashion-MNIST, as the book splits 60,000 into 50,000 + 10,000; 0 otherwise.
    """
    dataset = _load(name_or_path)
    if validation_size is None:
        validation_size = DEFAULT_VALIDATION.get(name_or_path, 0)
    return hold_out(dataset, validation_size)


def _load(name_or_path: str) -> Dataset:
    if name_or_path in EMBEDDED:
        resource = resources.files("nnbp") / "data" / EMBEDDED[name_or_path]
        with resources.as_file(resource) as path:
            return load_npz(path, name=name_or_path)
    if name_or_path in LOCAL:
        folder = locate(name_or_path)
        if folder is None:
            searched = ", ".join(str(f) for f in data_folders(name_or_path))
            raise NnbpError(
                f"dataset: {name_or_path!r} was not found; place its four IDX files "
                f"({', '.join(s for pair in IDX_FILES.values() for s in pair)}, gzipped or not) in one of: {searched}"
            )
        return load_idx_folder(folder, name=name_or_path)
    path = Path(name_or_path)
    if path.is_dir():
        return load_idx_folder(path, name=name_or_path)
    if not path.exists():
        known = ", ".join([*EMBEDDED, *LOCAL])
        raise NnbpError(
            f"dataset: {name_or_path!r} is neither a known dataset ({known}) nor an existing file or folder"
        )
    return load_npz(path, name=name_or_path)


def cache_dir() -> Path:
    """nnbp's folder in the user's cache: `$XDG_CACHE_HOME/nnbp`, by default `~/.cache/nnbp`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnbp"


def data_folders(name: str) -> list[Path]:
    """Where a named dataset is looked for, in order."""
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
