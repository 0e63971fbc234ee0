"""Fetching MNIST and Fashion-MNIST into a folder: mirrors in order, SHA-256 checked, atomic.

Each file streams into a temporary file beside its destination and is renamed into place only
once its checksum matches, so a failed, partial or corrupt transfer never leaves a file that a
later run would take as valid. A file is accepted if either the bytes as published or their
decompressed payload match the pinned SHA-256: Debian, for one, recompresses Fashion-MNIST, so
its `.gz` files differ from upstream's while the images are the same.

Written on the standard library (urllib) rather than pooch: mirrors tried in order and the
decompressed-payload check would need code around pooch anyway, and it would bring requests,
platformdirs and packaging along.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbp.errors import NnbpError
from nnbp.system.safeio import open_regular

CHUNK = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """One published file: its name, the SHA-256 of its bytes and of its decompressed payload."""

    name: str
    sha256: str
    payload_sha256: str


@dataclass(frozen=True)
class RemoteDataset:
    """Where a dataset's files are published: base URLs tried in order."""

    name: str
    mirrors: tuple[str, ...]
    files: tuple[RemoteFile, ...]


REMOTE = {
    "mnist": RemoteDataset(
        "mnist",
        (
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        (
            RemoteFile(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            RemoteFile(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            RemoteFile(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            RemoteFile(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        ),
    ),
    "fashion-mnist": RemoteDataset(
        "fashion-mnist",
        (
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        (
            RemoteFile(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            RemoteFile(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            RemoteFile(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            RemoteFile(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        ),
    ),
}

# progress(file name, total bytes or None) gives a context manager with .update(n_bytes), e.g. tqdm
Progress = Callable[[str, "int | None"], AbstractContextManager[Any]]


class _Silent:
    def update(self, n: int) -> None:
        pass


def _sha256(path: Path, decompress: bool = False) -> str:
    digest = hashlib.sha256()
    with open_regular(path, "a dataset file") as raw:
        f = gzip.GzipFile(fileobj=raw, mode="rb") if decompress else raw
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def matches(path: Path, remote: RemoteFile) -> bool:
    """Whether the file at `path` is `remote`: by its own hash, or by its decompressed payload's."""
    try:
        if _sha256(path) == remote.sha256:
            return True
        return _sha256(path, decompress=True) == remote.payload_sha256
    except (OSError, EOFError, zlib.error):
        return False


def _download(url: str, destination: Path, remote: RemoteFile, progress: Progress | None, timeout: float) -> None:
    """Stream `url` into a temporary file beside `destination`; rename it there only if it checks out."""
    fd, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            with progress(remote.name, total) if progress else nullcontext(_Silent()) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received < total:
                raise OSError(f"the transfer stopped after {received} of {total} bytes")
        if not matches(tmp, remote):
            raise OSError("the file's SHA-256 does not match the pinned checksum")
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)


def fetch(
    dataset: RemoteDataset,
    folder: Path,
    *,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Make `folder` hold every file of `dataset`, verified; files already there and valid are kept.

    Each missing file is tried from each mirror in turn. If a file cannot be had from any, the
    `NnbpError` names the dataset, what each mirror answered, and what to place where by hand;
    folders made for the download are removed again if they stayed empty.
    """
    try:
        created = [p for p in [folder, *folder.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:
        raise NnbpError(
            f"{str(folder)[:200]}: cannot create the data folder ({getattr(e, 'strerror', None) or e})"
        ) from None
    try:
        _fetch_files(dataset, folder, progress, timeout)
    except BaseException:
        for made in created:  # innermost first; stops at the first that is not empty
            try:
                made.rmdir()
            except OSError:
                break
        raise
    return folder


def _fetch_files(dataset: RemoteDataset, folder: Path, progress: Progress | None, timeout: float) -> None:
    for remote in dataset.files:
        destination = folder / remote.name
        if destination.exists() and matches(destination, remote):
            continue
        failures = []
        for mirror in dataset.mirrors:
            url = mirror + remote.name
            try:
                _download(url, destination, remote, progress, timeout)
                break
            except (OSError, urllib.error.URLError, ValueError) as e:
                failures.append(f"{url}: {_reason(e)}")
        else:
            files = ", ".join(f.name for f in dataset.files)
            raise NnbpError(
                f"could not download {dataset.name}: "
                + "; ".join(failures)
                + f". Without a network, place {files} (gzipped or not) in {folder}"
            )


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def quiet_fetch(name: str, folder: Path) -> Path:
    """A `fetch` for `load_dataset` that downloads a named dataset into `folder` without a word."""
    return fetch(REMOTE[name], folder)
