"""Reading the examples someone wants classified: pictures (PNG, JPEG, BMP; with Pillow), `.npy` arrays
of one example or a stack, `.npz` files with an `x_test` or `x` array, and `-` for an `.npy` on stdin.

Each becomes a list of `Example`s: its name for people, and its pixels. Integer pixels are kept as
stored (uint8 0–255), to be scaled exactly as training scaled its data; float arrays are taken as
inputs already in [0, 1]. Knows nothing of networks: `nnbp.run.prediction` decides what fits.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nnbp.errors import NnbpError
from nnbp.system.memory import memory_limit
from nnbp.system.safeio import open_regular, read_into, read_npz

Array = np.ndarray
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
MAX_PICTURE_PIXELS = 50_000_000  # a photograph of a digit needs far fewer; Pillow's bomb check is 89 million
WORKING_SIDE = 1024  # a larger photograph is shrunk to this: the digit ends 20 pixels tall


@dataclass(frozen=True)
class Example:
    """One input: `name` for people, `pixels` a 2-D image (h, w) or a flat vector (n,); uint8 as
    stored, or floats in [0, 1]. `picture`: it came from an image file."""

    name: str
    pixels: Array
    picture: bool = False


def read_examples(source: str) -> list[Example]:
    """The examples in one input: a picture, an .npy, an .npz, or `-` (an .npy on stdin)."""
    if source == "-":  # read as it streams in, the header first: no more memory than the array takes
        return _stack("-", _read_npy(sys.stdin.buffer, "-"))
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return [Example(source, read_picture(path), picture=True)]
    if suffix == ".npy":
        with open_regular(path, "an .npy array") as f:
            return _stack(source, _read_npy(f, source))
    if suffix == ".npz":
        arrays = read_npz(
            path, "an .npz of examples (x_test or x)", [], optional=["x_test", "x"], max_bytes=memory_limit()
        )
        if not arrays:
            raise NnbpError(f"{path}: holds neither an x_test nor an x array")
        return _stack(source, arrays.get("x_test", arrays.get("x")))
    with open_regular(path, "an input"):  # says what the path is, if it is not a file
        pass
    raise NnbpError(f"{source[:200]}: not a picture ({', '.join(IMAGE_SUFFIXES)}), .npy or .npz")


def read_picture(path: Path) -> Array:
    """A picture as 2-D grayscale (uint8, or floats in [0, 1]), as it is meant to be seen: turned as its EXIF
    orientation says (phones store a photo as the sensor took it), 16-bit levels kept, transparency
    laid over a background that contrasts with the opaque strokes (light strokes on a transparent
    page stay visible), and a photograph larger than WORKING_SIDE shrunk to it (box average)."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise NnbpError(f"{path}: reading pictures needs Pillow: pip install 'nnbp[images]'") from None
    try:
        with open_regular(path, "a picture") as f, Image.open(f) as picture:
            if picture.width * picture.height > MAX_PICTURE_PIXELS:
                raise NnbpError(
                    f"{path}: {picture.width} × {picture.height} pixels is more than a digit needs "
                    f"(at most {MAX_PICTURE_PIXELS:,})"
                )
            picture = ImageOps.exif_transpose(picture)
            sixteen_bit = picture.mode.startswith("I;16")
            if sixteen_bit:
                picture = picture.convert("I")  # 32-bit integer levels, which reduce() and numpy both take
            factor = -(-max(picture.size) // WORKING_SIDE)
            if factor > 1:
                picture = picture.reduce(factor)
            return gray_levels(picture, 65535.0 if sixteen_bit else None)
    except NnbpError:
        raise
    except Exception as e:  # Pillow raises many kinds on a bad file; all mean "not a readable picture"
        raise NnbpError(f"{path}: not a readable picture ({type(e).__name__}: {str(e)[:120]})") from None


def gray_levels(picture: Any, full_scale: float | None = None) -> Array:
    """A Pillow image's luminance: uint8 levels for an ordinary 8-bit picture (scaled later exactly as a
    dataset's pixels are), else floats in [0, 1] (see `read_picture` for 16-bit levels and
    transparency); `full_scale` is the level of white for integer and float modes, else inferred."""
    if picture.mode in ("I", "F"):
        levels = np.asarray(picture, dtype=np.float64)
        top = float(levels.max())
        if full_scale is None:
            full_scale = 1.0 if picture.mode == "F" and top <= 1 else 255.0 if top <= 255 else 65535.0
        return np.clip(levels / max(full_scale, top), 0.0, 1.0)
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        alpha = np.asarray(rgba, dtype=np.float64)[..., 3] / 255
        luminance = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float64) / 255
        if alpha.min() < 1:
            opaque = alpha > 0.5
            strokes = luminance[opaque].mean() if opaque.any() else 0.0
            back = 0.0 if strokes > 0.5 else 1.0  # light strokes over black, dark ones over white
            return luminance * alpha + back * (1 - alpha)
        return luminance
    return np.asarray(picture.convert("L"), dtype=np.uint8)  # 8-bit levels kept as stored, as datasets keep them


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
        array = np.empty(shape, dtype, order="F" if fortran else "C")
        if read_into(f, memoryview(array.reshape(-1, order="A")).cast("B")) < n_bytes:
            raise NnbpError(f"{name}: ends before the {n_bytes} bytes its header promises")
        return array
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
