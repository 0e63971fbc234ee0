"""nnbp/files.py: atomic writes that honour the umask, npz members read within bounds and only when
asked for, text files and JSON read strictly."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnbp.errors import NnbpError
from nnbp.system.safeio import parse_json, read_npz, read_text, remove_temporary_files, write_atomic


def test_write_atomic_leaves_old_file_intact_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "f.json"
    path.write_text("old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, b"new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_get_the_permissions_open_would_give(tmp_path, umask):
    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "f", b"x")
    finally:
        os.umask(previous)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o666 & ~umask


def test_importing_nnbp_leaves_the_process_umask_alone():
    code = "import os; os.umask(0o027); import nnbp.cli, nnbp.run; print(oct(os.umask(0)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0o27"


def test_temporary_files_are_recognised_and_removed(tmp_path):
    (tmp_path / ".nnbp-tmp-weights.npz.0000").write_bytes(b"x")
    (tmp_path / "weights.npz").write_bytes(b"keep")
    remove_temporary_files(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["weights.npz"]


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_only_the_members_asked_for_are_read(tmp_path, monkeypatch):
    """An unused member that would deflate to far more than the limit is never decompressed."""
    path = tmp_path / "d.npz"
    path.write_bytes(npz_bytes(a=np.arange(6), huge=np.zeros(50_000_000, np.uint8)))
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name)) or real_open(self, name, *a, **k),
    )
    arrays = read_npz(path, "a test file", ["a"], max_bytes=1000)
    assert list(arrays) == ["a"] and arrays["a"].tolist() == list(range(6))
    assert set(opened) == {"a.npy"}  # its header, then its data; never "huge.npy"


@pytest.mark.parametrize(
    "arrays, names, message",
    [
        ({"a": np.zeros((100, 100))}, ["a"], "its arrays a hold 78.1 KiB; the limit is 1,000 bytes"),
        ({"a": np.zeros(100), "b": np.zeros(100)}, ["a", "b"], "its arrays a, b hold 1.6 KiB; the limit is"),
        ({"a": np.array([object()], dtype=object)}, ["a"], "a holds pickled object arrays"),
        ({"a": np.zeros(3)}, ["a", "b"], "missing array 'b'"),
    ],
)
def test_defective_members_are_refused_before_their_data_is_read(tmp_path, arrays, names, message):
    path = tmp_path / "d.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(NnbpError) as e:
        read_npz(path, "a test file", names, max_bytes=1000)
    assert message in str(e.value) and str(path) in str(e.value)


def test_a_header_that_claims_more_than_the_member_holds(tmp_path):
    """A .npy header promising 2^40 elements in a small member: refused from the header alone."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(NnbpError, match="shape \\(1099511627776,\\)"):
        read_npz(path, "a test file", ["a"], max_bytes=2**60)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really", b"plain text"])
def test_what_is_not_an_npz_is_one_line(tmp_path, content):
    path = tmp_path / "d.npz"
    path.write_bytes(content)
    with pytest.raises(NnbpError, match="d.npz: not"):
        read_npz(path, "a test file", ["a"], max_bytes=1000)


def test_read_text_refuses_what_is_not_a_small_regular_text_file(tmp_path):
    with pytest.raises(NnbpError, match="/dev/zero: is a character device, not a config"):
        read_text(Path("/dev/zero"), "a config", 100)
    with pytest.raises(NnbpError, match="is a directory, not a config"):
        read_text(tmp_path, "a config", 100)
    (tmp_path / "big").write_text("x" * 101)
    with pytest.raises(NnbpError, match="larger than 100 bytes"):
        read_text(tmp_path / "big", "a config", 100)
    (tmp_path / "latin").write_bytes(b"caf\xe9")
    with pytest.raises(NnbpError, match="is not UTF-8 text"):
        read_text(tmp_path / "latin", "a config", 100)
    with pytest.raises(NnbpError, match="is a directory"):
        read_text(tmp_path, "a config", 100)
    with pytest.raises(NnbpError, match="cannot be read"):
        read_text(tmp_path / "a\0b", "a config", 100)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="deep"),
        pytest.param("1" * 5000, "not plain JSON", id="5000-digits"),
    ],
)
def test_parse_json_accepts_plain_json_only(text, message):
    with pytest.raises(NnbpError, match=message):
        parse_json(text, "f.json")
    assert parse_json('{"a": [1, 2.5, null]}', "f.json") == {"a": [1, 2.5, None]}


@pytest.mark.slow
def test_a_member_that_deflates_to_far_more_is_never_decompressed(tmp_path):
    """An unused member of 400 MB of zeros (400 KB compressed) beside the arrays asked for: read in
    a fraction of a second, without its memory."""
    import time
    import tracemalloc

    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        buffer = io.BytesIO()
        np.save(buffer, np.arange(5))
        z.writestr("a.npy", buffer.getvalue())
        with z.open("extra.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "|u1", "fortran_order": False, "shape": (400 * 2**20,)}
            )
            block = bytes(2**20)
            for _ in range(400):
                member.write(block)
    tracemalloc.start()
    start = time.perf_counter()
    arrays = read_npz(path, "a test file", ["a"], max_bytes=10**6)
    seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert arrays["a"].tolist() == [0, 1, 2, 3, 4]
    assert seconds < 1 and peak < 10 * 2**20


def test_special_files_are_refused_at_once_and_named(tmp_path):
    """A FIFO would block a plain open() until a writer came; it is opened without blocking and refused."""
    from nnbp.system.safeio import open_regular

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, kind in (
        (fifo, "a FIFO (named pipe)"),
        (Path("/dev/null"), "a character device"),
        (tmp_path, "a directory"),
    ):
        with pytest.raises(NnbpError, match=f"is {re.escape(kind)}, not an input"):
            with open_regular(path, "an input"):
                pass
    with pytest.raises(NnbpError, match="no such file"):
        with open_regular(tmp_path / "missing", "an input"):
            pass


def test_an_output_that_is_not_a_regular_file_is_never_replaced(tmp_path):
    import stat

    fifo = tmp_path / "null"
    os.mkfifo(fifo)
    with pytest.raises(NnbpError, match="null: is a FIFO .* it will not replace it"):
        write_atomic(fifo, b"png")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["null"]  # nor a temporary file
    with pytest.raises(NnbpError, match="is a directory"):
        write_atomic(tmp_path, b"x")
    write_atomic(tmp_path / "ok", b"x")  # a regular file, or nothing, is fine
    write_atomic(tmp_path / "ok", b"y")
    assert (tmp_path / "ok").read_bytes() == b"y"


def test_a_header_check_refuses_a_member_before_any_of_it_is_inflated(tmp_path, monkeypatch):
    """A member whose header disagrees with what the caller expects is refused from its header alone."""
    from nnbp.system import safeio

    path = tmp_path / "d.npz"
    write_npz_file(path, a=np.zeros((3000, 4000)))  # 96 MB that deflate from about 100 KB

    def never(*args):
        raise AssertionError("a member's data was read")

    monkeypatch.setattr(safeio, "_read_member", never)

    def check(name, shape, dtype):
        if shape != (3, 4):
            raise NnbpError(f"{name} has shape {shape}")

    with pytest.raises(NnbpError, match=r"a has shape \(3000, 4000\)"):
        read_npz(path, "a test file", ["a"], max_bytes=10**12, check=check)


def write_npz_file(path, **arrays):
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
