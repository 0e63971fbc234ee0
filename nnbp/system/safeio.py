"""Reading and writing files safely: atomic writes, regular files only, and `.npz` archives read
within bounds.

Knows no nnbp types. A write goes to a temporary file beside its target and is renamed over it,
so a reader never sees half a file; it never replaces anything but a regular file (a device node or
a FIFO named as an output is refused, not replaced). A read opens only regular files, and opens
them without blocking first, so a FIFO or a device named as an input is refused at once instead
of hanging. An `.npz` is read member by member, only the members asked for, each checked from its
header (dtype, shape, size) before any of its data is decompressed.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nnbp.errors import NnbpError
from nnbp.system.memory import describe

Array = np.ndarray
TEMP_PREFIX = ".nnbp-tmp-"  # every temporary file nnbp writes starts with this


KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
}


def kind_of(mode: int) -> str | None:
    """What a file of this st_mode is, when it is not a regular file ("a directory", "a FIFO ..."); else None."""
    return None if stat.S_ISREG(mode) else KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_output(path: Path) -> None:
    """Refuse to write `path` if something other than a regular file (or nothing) is there."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise NnbpError(f"{str(path)[:200]}: cannot be written ({getattr(e, 'strerror', None) or e})") from None
    kind = kind_of(mode)
    if kind:
        raise NnbpError(f"{path}: is {kind}; nnbp writes only regular files, so it will not replace it")


def write_atomic(path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write `data` (bytes, or a function that writes to a binary file) to a temporary file beside
    `path`, then rename it over `path`: never a partial file, and never over anything but a regular file."""
    check_output(path)
    while True:
        tmp = path.parent / f"{TEMP_PREFIX}{path.name}.{secrets.token_hex(4)}"
        try:  # mode 0o666 less the umask, as open() would give
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=2, allow_nan=False) + "\n").encode())


@contextmanager
def opening(path: Path, what: str) -> Iterator[None]:
    """The common ways a file cannot be opened, as one-line `NnbpError`s naming it."""
    try:
        yield
    except FileNotFoundError:
        raise NnbpError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnbpError(f"{path}: is a directory, not {what}") from None
    except PermissionError:
        raise NnbpError(f"{path}: permission denied") from None


@contextmanager
def open_regular(path: Path, what: str) -> Iterator[BinaryIO]:
    """`path` open for reading in binary, if it is a regular file; anything else (missing, a directory,
    a FIFO, a device) is a one-line `NnbpError` naming what it is and what was expected (`what`)."""
    try:
        with opening(path, what):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opened so cannot block
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
        raise NnbpError(f"{str(path)[:200]}: cannot be read ({getattr(e, 'strerror', None) or e})") from None
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind:
            raise NnbpError(f"{path}: is {kind}, not {what}")
        os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def read_text(path: Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes`; anything else is a one-line `NnbpError`."""
    try:
        with open_regular(path, what) as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise NnbpError(f"{str(path)[:200]}: cannot be read ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise NnbpError(f"{path}: is larger than {max_bytes:,} bytes; too large for {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NnbpError(f"{path}: is not UTF-8 text ({e.reason} at byte {e.start})") from None


def parse_json(text: str, where: str) -> Any:
    """JSON text as Python values; anything that is not plain JSON (NaN, nesting too deep for the
    parser, a number too long to convert) is a one-line `NnbpError` naming `where`."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as e:
        raise NnbpError(f"{where}: not valid JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise NnbpError(f"{where}: nested too deeply to be nnbp's JSON") from None
    except ValueError as e:  # NaN, or an integer of more digits than Python converts
        raise NnbpError(f"{where}: not plain JSON ({e})") from None


def remove_temporary_files(folder: Path) -> None:
    """Delete what a killed process left of its atomic writes in `folder`."""
    for tmp in folder.glob(TEMP_PREFIX + "*"):
        tmp.unlink(missing_ok=True)


def read_npz(
    path: Path,
    what: str,
    names: Iterable[str],
    *,
    optional: Iterable[str] = (),
    max_bytes: int,
    check: Callable[[str, tuple, np.dtype], None] | None = None,
) -> dict[str, Array]:
    """The arrays `names` (and those of `optional` that are present) of an `.npz` file.

    `what` names the kind of file in errors ("an nnbp weights file"). Other members are never read.
    Every member's header is checked before any data is: no object dtype (nothing is unpickled), what
    `check(name, shape, dtype)` demands (it raises `NnbpError` to refuse), and no more than `max_bytes`
    in all. Any defect is a one-line `NnbpError` naming the file.
    """
    names, optional = list(names), list(optional)
    try:
        with open_regular(path, what) as f:
            if f.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
                raise NnbpError(f"{path}: not {what} (not an .npz archive)")
            f.seek(0)
            return _read_members(f, path, what, names, optional, max_bytes, check)
    except NnbpError:
        raise
    except MemoryError:
        raise NnbpError(f"{path}: too large to read into memory") from None
    except Exception as e:  # zipfile, zlib and numpy raise many kinds on corrupt bytes; all mean "bad file"
        kind = what.removeprefix("an ").removeprefix("a ")
        raise NnbpError(f"{path}: not a readable {kind} ({type(e).__name__}: {e})") from None


def _read_members(
    f: BinaryIO,
    path: Path,
    what: str,
    names: list[str],
    optional: list[str],
    max_bytes: int,
    check: Callable[[str, tuple, np.dtype], None] | None,
) -> dict[str, Array]:
    with zipfile.ZipFile(f) as archive:
        members = set(archive.namelist())
        missing = [n for n in names if f"{n}.npy" not in members]
        if missing:
            raise NnbpError(f"{path}: not {what}: missing array {', '.join(map(repr, missing))}")
        wanted = names + [n for n in optional if f"{n}.npy" in members]
        headers = {name: _read_header(archive, name, path) for name in wanted}
        if check is not None:
            for name, (shape, _, dtype, _) in headers.items():
                check(name, shape, dtype)
        n_bytes = sum(header[3] for header in headers.values())
        if n_bytes > max_bytes:
            raise NnbpError(
                f"{path}: its arrays {', '.join(wanted)} hold {describe(n_bytes, max_bytes)}; the limit is "
                f"{describe(max_bytes, n_bytes)} (set NNBP_MAX_MEMORY to raise it)"
            )
        return {name: _read_member(archive, name, path) for name in wanted}


def _read_header(archive: zipfile.ZipFile, name: str, path: Path, f: Any = None) -> tuple[Any, bool, np.dtype, int]:
    """A member's shape, Fortran order, dtype and byte count, from its .npy header alone."""
    with archive.open(f"{name}.npy") if f is None else nullcontext(f) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise NnbpError(f"{path}: {name}: unknown .npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(f, max_header_size=10_000)
    if dtype.hasobject:
        raise NnbpError(f"{path}: {name} holds pickled object arrays, which nnbp refuses to load")
    n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if n_bytes > archive.getinfo(f"{name}.npy").file_size:  # the zip's own record of the member's size
        raise NnbpError(f"{path}: {name} is shorter than its header's shape {shape} says")
    return shape, fortran_order, dtype, n_bytes


def _read_member(archive: zipfile.ZipFile, name: str, path: Path) -> Array:
    with archive.open(f"{name}.npy") as f:
        shape, fortran_order, dtype, n_bytes = _read_header(archive, name, path, f)
        array = np.empty(shape, dtype, order="F" if fortran_order else "C")
        if read_into(f, memoryview(array.reshape(-1, order="A")).cast("B")) < n_bytes:
            raise NnbpError(f"{path}: {name} is shorter than its header's shape {shape} says")
    return array


def read_into(f: Any, buffer: memoryview, chunk: int = 1 << 20) -> int:
    """Fill `buffer` from the binary file `f` a chunk at a time (so nothing is held twice); bytes read."""
    n = 0
    while n < len(buffer):
        k = f.readinto(buffer[n : n + chunk])
        if not k:
            break
        n += k
    return n
