"""Reading Nielsen's `mnist.pkl.gz`, a Python 2 pickle of numpy arrays, without trusting it.

A pickle is a program: it names functions and the unpickler calls them. This reader names none of
numpy's. Where the pickle asks for numpy's array constructor it gets `_ArrayStub`, which allocates
nothing; the array is made only from the raw bytes the pickle itself carries (its BUILD state),
after its dtype (plain numbers only), shape and byte count are checked. So a pickle can only
describe arrays it contains, a stream is read up to the memory limit and no further, and the
result must be exactly ((images, labels), (images, labels), (images, labels)).
"""

from __future__ import annotations

import codecs
import gzip
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nnbp.errors import NnbpError
from nnbp.system.memory import describe, memory_limit
from nnbp.system.safeio import open_regular

Array = np.ndarray
DTYPES = {"f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"}  # plain numbers only
RECONSTRUCT = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}


class _Refused(ValueError):
    """The pickle asks for something a pickle of numpy arrays never needs."""


class _ArrayStub:
    """Stands in for numpy.ndarray: `array` is set by BUILD from the pickle's own bytes, checked."""

    def __init__(self, *args: Any) -> None:
        if args:  # numpy.ndarray(shape) would allocate whatever shape the pickle names
            raise _Refused("the pickle calls numpy.ndarray directly instead of holding an array's data")
        self.array: Array | None = None

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Refused("an array's pickled state is not (version, shape, dtype, order, data)")
        shape, dtype, fortran, data = state[-4:]
        if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape) and len(shape) <= 8):
            raise _Refused(f"an array's shape is {str(shape)[:40]}")
        if not isinstance(dtype, _DtypeStub) or dtype.dtype is None:
            raise _Refused("an array's dtype is not a plain number type")
        if isinstance(data, str):  # a Python 2 str, decoded as latin-1: its code points are the bytes
            data = data.encode("latin-1")
        if not isinstance(data, bytes):
            raise _Refused("an array holds Python objects, not numbers")
        if len(data) != int(np.prod(shape, dtype=object)) * dtype.dtype.itemsize:
            raise _Refused(f"an array of shape {shape} and dtype {dtype.dtype} holds {len(data)} bytes")
        self.array = np.frombuffer(data, dtype.dtype).reshape(shape, order="F" if fortran else "C")


class _DtypeStub:
    """Stands in for numpy.dtype: only the plain number types of DTYPES, any byte order."""

    def __init__(self, spec: Any, align: Any = False, copy: Any = True) -> None:
        if spec not in DTYPES:
            raise _Refused(f"the dtype {str(spec)[:20]!r} is not a plain number type")
        self.spec, self.dtype = spec, np.dtype(spec)

    def __setstate__(self, state: Any) -> None:
        if not (
            isinstance(state, tuple)
            and len(state) >= 2
            and state[1] in ("<", ">", "|", "=")
            and all(part is None for part in state[2:5])
        ):
            raise _Refused("a dtype's pickled state is not a plain number type's")
        self.dtype = np.dtype(self.spec).newbyteorder(state[1]) if state[1] in "<>" else np.dtype(self.spec)


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _ArrayStub:
    if cls is not _ArrayStub:
        raise _Refused("the pickle reconstructs something other than a numpy array")
    return _ArrayStub()


class _Unpickler(pickle.Unpickler):
    """Builds tuples, numbers, strings and `_ArrayStub`s; no other class or function is ever reached."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in RECONSTRUCT:
            return _reconstruct
        if (module, name) == ("numpy", "ndarray"):
            return _ArrayStub
        if (module, name) == ("numpy", "dtype"):
            return _DtypeStub
        if (module, name) == ("_codecs", "encode"):  # how Python 3 writes bytes at protocol 2
            return codecs.encode
        raise _Refused(f"it names {module[:40]}.{name[:40]}, which is not part of a numpy array")


class _Bounded:
    """A binary file that refuses to be read past `limit` bytes (a gzip stream can expand without end)."""

    def __init__(self, f: Any, limit: int) -> None:
        self.f, self.left, self.limit = f, limit, limit

    def _take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise NnbpError(f"it holds more than {describe(self.limit)}, the memory limit")

    def read(self, n: int = -1) -> bytes:
        if n is not None and n > self.left:  # a length field asking for more than may be read
            self._take(n)
        data = self.f.read(self.left + 1 if n is None or n < 0 else n)
        self._take(len(data))
        return data

    def readline(self) -> bytes:
        line = self.f.readline(self.left + 1)
        self._take(len(line))
        return line


def read_nielsen_pickle(path: Path) -> list[tuple[Array, Array]]:
    """The three (images, labels) pairs of a `mnist.pkl.gz` (gzipped if the name ends in .gz)."""
    try:
        with open_regular(path, "Nielsen's mnist.pkl.gz") as raw:
            f = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw
            data = _Unpickler(_Bounded(f, memory_limit()), encoding="latin1").load()
    except NnbpError as e:
        raise NnbpError(str(e) if str(e).startswith(str(path)) else f"{path}: refused: {e}") from None
    except _Refused as e:
        raise NnbpError(f"{path}: refused: {e}") from None
    except RecursionError:
        raise NnbpError(f"{path}: refused: nested too deeply to be a pickle of arrays") from None
    except MemoryError:  # a length field claiming more than any machine has
        raise NnbpError(f"{path}: refused: it claims more memory than this machine has") from None
    except Exception as e:  # the unpickler and gzip raise many kinds on corrupt bytes; all mean "bad file"
        raise NnbpError(f"{path}: not a readable mnist.pkl.gz ({type(e).__name__}: {str(e)[:200]})") from None
    if not (
        isinstance(data, tuple)
        and len(data) == 3
        and all(
            isinstance(s, tuple) and len(s) == 2 and all(isinstance(a, _ArrayStub) and a.array is not None for a in s)
            for s in data
        )
    ):
        raise NnbpError(f"{path}: expected (training, validation, test) pairs of numpy arrays (images, labels)")
    return [(x.array, y.array) for x, y in data]
