"""Reading the examples someone wants classified: pictures (PNG, JPEG, BMP; with Pillow), `.npy` arrays
of one example or a stack, `.npz` files with an `x_test` or `x` array, and `-` for an `.npy` on stdin.

Each becomes a list of `Example`s: its name for people, and its pixels. Integer pixels are kept as
stored (uint8 0–255), to be scaled exactly as training scaled its data; float arrays are taken as
inputs already in [0, 1]. Knows nothing of networks: `nnbp.run.prediction` decides what fits.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnbp.errors import NnbpError
from nnbp.system.memory import describe, memory_limit
from nnbp.system.safeio import read_npz

Array = np.ndarray
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
MAX_PICTURE_PIXELS = 50_000_000  # a photograph of a digit needs far fewer; Pillow's bomb check is 89 million


@dataclass(frozen=True)
class Example:
    """One input: `name` for people, `pixels` a 2-D image (h, w) or a flat vector (n,); uint8 as
    stored, or floats in [0, 1]. `picture`: it came from an image file."""

    name: str
    pixels: Array
    picture: bool = False


def read_examples(source: str) -> list[Example]:
    """The examples in one input: a picture, an .npy, an .npz, or `-` (an .npy on stdin)."""
    if source == "-":
        data = sys.stdin.buffer.read(memory_limit() + 1)
        if len(data) > memory_limit():
            raise NnbpError(f"-: stdin holds more than the memory limit {describe(memory_limit())}")
        return _stack("-", _read_npy(io.BytesIO(data), "-"))
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    try:
        exists = path.is_file()
    except (OSError, ValueError):
        exists = False
    if not exists:
        raise NnbpError(f"{source[:200]}: no such file")
    if suffix in IMAGE_SUFFIXES:
        return [Example(source, read_picture(path), picture=True)]
    if suffix == ".npy":
        with open(path, "rb") as f:
            return _stack(source, _read_npy(f, source))
    if suffix == ".npz":
        arrays = read_npz(
            path, "an .npz of examples (x_test or x)", [], optional=["x_test", "x"], max_bytes=memory_limit()
        )
        if not arrays:
            raise NnbpError(f"{path}: holds neither an x_test nor an x array")
        return _stack(source, arrays.get("x_test", arrays.get("x")))
    raise NnbpError(f"{source[:200]}: not a picture ({', '.join(IMAGE_SUFFIXES)}), .npy or .npz")


def read_picture(path: Path) -> Array:
    """A picture as 2-D uint8 grayscale (Pillow's luminance of its colours, over white where transparent)."""
    try:
        from PIL import Image
    except ImportError:
        raise NnbpError(f"{path}: reading pictures needs Pillow: pip install 'nnbp[images]'") from None
    try:
        with Image.open(path) as picture:
            if picture.width * picture.height > MAX_PICTURE_PIXELS:
                raise NnbpError(
                    f"{path}: {picture.width} × {picture.height} pixels is more than a digit needs "
                    f"(at most {MAX_PICTURE_PIXELS:,})"
                )
            if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
                white = Image.new("RGBA", picture.size, "white")
                picture = Image.alpha_composite(white, picture.convert("RGBA"))
            return np.asarray(picture.convert("L"), dtype=np.uint8)
    except NnbpError:
        raise
    except Exception as e:  # Pillow raises many kinds on a bad file; all mean "not a readable picture"
        raise NnbpError(f"{path}: not a readable picture ({type(e).__name__}: {str(e)[:120]})") from None


def _read_npy(f: BinaryIO, name: str) -> Array:
    try:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f, max_header_size=10_000)
        if dtype.hasobject:
            raise NnbpError(f"{name}: holds pickled object arrays, which nnbp refuses to load")
        n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if n_bytes > memory_limit():
            raise NnbpError(f"{name}: an array of shape {shape} is larger than the memory limit")
        data = f.read(n_bytes)
        if len(data) < n_bytes:
            raise NnbpError(f"{name}: ends before the {n_bytes} bytes its header promises")
        return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")
    except NnbpError:
        raise
    except Exception as e:
        raise NnbpError(f"{name}: not a readable .npy array ({type(e).__name__}: {str(e)[:120]})") from None


def _stack(name: str, array: Array) -> list[Example]:
    """An array of one example ((n,) or (h, w)) or a stack of them ((N, n) or (N, h, w))."""
    if array.dtype.kind not in "uif" or array.ndim not in (1, 2, 3) or array.size == 0:
        raise NnbpError(
            f"{name}: an array of shape {array.shape} and dtype {array.dtype}; expected numbers shaped "
            "(n,), (28, 28), (N, n) or (N, 28, 28)"
        )
    if array.dtype.kind == "f" and not (np.isfinite(array).all() and 0 <= array.min() and array.max() <= 1):
        raise NnbpError(f"{name}: float inputs must lie in [0, 1] (integers are taken as pixels 0–255)")
    if array.dtype.kind in "ui" and (array.min() < 0 or array.max() > 255):
        raise NnbpError(f"{name}: integer pixels must lie in 0–255")
    if array.dtype.kind in "ui":
        array = array.astype(np.uint8)
    if array.ndim == 1 or (array.ndim == 2 and array.shape[0] == array.shape[1]):  # one example
        return [Example(name, array)]
    return [Example(f"{name}[{i}]", a) for i, a in enumerate(array)]
