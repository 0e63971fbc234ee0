"""Reaching a Dask cluster for a sweep: the scheduler's address checked before anything is sent, Dask's
TLS security for a scheduler on another host, and a connection that gives up within a time limit.

Trust: a Dask cluster runs the code nnbp sends it, and nnbp unpickles the results the cluster sends
back. Connect only to a cluster you control. Over `tcp://` anyone who can reach the scheduler's port
can do the same; across machines use `tls://` with certificates (Dask's mutual TLS: the CA that signed
both sides, and this side's certificate and key).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnbp.errors import NnbpError
from nnbp.system.safeio import open_regular

CONNECT_SECONDS = 10  # the whole connection, handshake included: a listener that never answers is refused
ADDRESS = re.compile(r"(tcp|tls)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})")


@dataclass(frozen=True)
class Cluster:
    """Where a sweep's runs go: the scheduler's address and, for `tls://`, the TLS files."""

    address: str
    ca_file: Path | None = None  # the certificate authority that signed the scheduler's and this side's
    cert: Path | None = None  # this side's certificate ...
    key: Path | None = None  # ... and its private key

    def __post_init__(self) -> None:
        match = ADDRESS.fullmatch(self.address)
        if not match or not 1 <= int(match[3]) <= 65535:
            raise NnbpError(
                f"--scheduler: {self.address[:80]!r} is not tcp://HOST:PORT or tls://HOST:PORT (a port from 1 to 65535)"
            )
        files = {"--tls-ca-file": self.ca_file, "--tls-cert": self.cert, "--tls-key": self.key}
        if match[1] == "tls":
            missing = [option for option, path in files.items() if path is None]
            if missing:
                raise NnbpError(f"--scheduler: a tls:// scheduler needs {', '.join(missing)} (Dask's mutual TLS)")
            for option, path in files.items():
                with open_regular(Path(path), f"a PEM file for {option}") as f:
                    if not f.read(64).lstrip().startswith(b"-----BEGIN"):
                        raise NnbpError(f"{option}: {path} is not a PEM file")
        elif any(path is not None for path in files.values()):
            raise NnbpError("--tls-ca-file, --tls-cert and --tls-key are for a tls:// scheduler, not tcp://")

    def security(self) -> Any:
        """Dask's Security for this side of the connection (None for tcp://)."""
        if self.ca_file is None:
            return None
        from distributed.security import Security

        return Security(
            tls_ca_file=str(self.ca_file),
            tls_client_cert=str(self.cert),
            tls_client_key=str(self.key),
            require_encryption=True,
        )


def connect(cluster: Cluster) -> Any:
    """A client of the cluster's scheduler, or a one-line error within about CONNECT_SECONDS."""
    try:
        from distributed import Client
    except ImportError:
        raise NnbpError("--scheduler: needs Dask's distributed package: pip install 'nnbp[cluster]'") from None
    result: dict[str, Any] = {}

    def attempt() -> None:  # in a thread, as a listener that never answers keeps Client waiting past its timeout
        try:
            result["client"] = Client(cluster.address, timeout=f"{CONNECT_SECONDS}s", security=cluster.security())
        except BaseException as e:  # noqa: BLE001 - reported below, whatever it is
            result["error"] = e

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 5)
    where = f"--scheduler: {cluster.address}"
    if thread.is_alive():
        raise NnbpError(
            f"{where} accepted the connection but did not answer as a Dask scheduler within {CONNECT_SECONDS} s"
        )
    error = result.get("error")
    if error is None:
        return result["client"]
    if isinstance(error, (OSError, TimeoutError)):
        raise NnbpError(
            f"{where}: no Dask scheduler answered within {CONNECT_SECONDS} s "
            f"({type(error).__name__}: {str(error)[:160]})"
        ) from None
    raise NnbpError(
        f"{where} answered, but not as a Dask scheduler ({type(error).__name__}: {str(error)[:160]})"
    ) from None
