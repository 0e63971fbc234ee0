"""How much memory nnbp lets one command's data and network take, so a typo cannot exhaust a machine.

The limit is 4 GiB unless the environment variable NNBP_MAX_MEMORY sets another (bytes, or a
number with K, M, G or T: `NNBP_MAX_MEMORY=12G`).
"""

from __future__ import annotations

import os
import re

from nnbp.errors import NnbpError

DEFAULT_MAX_MEMORY = 4 * 2**30
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def memory_limit() -> int:
    """The most bytes a command's arrays may take: NNBP_MAX_MEMORY, else 4 GiB."""
    text = os.environ.get("NNBP_MAX_MEMORY")
    if text is None:
        return DEFAULT_MAX_MEMORY
    match = re.fullmatch(r"\s*(\d{1,15}(?:\.\d{1,6})?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match or float(match[1]) == 0:
        raise NnbpError(
            f"NNBP_MAX_MEMORY: {text[:40]!r} is not a positive size such as 8G, 512M or 1000000000"
        )
    return int(float(match[1]) * _UNITS[match[2].upper()])


def describe(n_bytes: float) -> str:
    """A size for people: 1.5 GiB, 300 MiB."""
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"
