"""`export(model, path, format)`: a model written whole in one of FORMATS (a temporary file, then renamed)."""

from __future__ import annotations

from pathlib import Path

from nnbp.errors import NnbpError
from nnbp.model import Model
from nnbp.system.safeio import write_atomic

FORMATS = ("onnx",)


def export(model: Model, path: Path, format: str = "onnx") -> Path:
    """Write `model` to `path` as `format`, all at once (a temporary file, then renamed)."""
    if format not in FORMATS:
        raise NnbpError(f"format: {format!r} is not one nnbp exports; it writes {', '.join(FORMATS)}")
    from nnbp.export.onnx import to_onnx

    data = to_onnx(model).SerializeToString()
    try:
        write_atomic(path, data)
    except OSError as e:
        raise NnbpError(f"{path}: cannot be written ({e.strerror or e})") from None
    return path
