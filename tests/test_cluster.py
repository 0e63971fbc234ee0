"""nnbp/sweep/cluster.py: a scheduler's address checked before anything is sent; a listener that accepts and
never answers, a refused port and a server that is not Dask each a one-line error within the time limit;
Dask's TLS on 127.0.0.1 with generated certificates."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from pathlib import Path

import pytest

from helpers import cli_runner
from nnbp.cli import main

pytestmark = pytest.mark.slow  # real listeners, and a Dask cluster

TINY = "sizes: [784, 12, 10]\neta: 3.0\nepochs: 1\nmini_batch_size: 50\ntrain_size: 500\nseed: 0\n"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def refused(config: Path, tmp_path: Path, *options: str) -> str:
    """stderr of a sweep that must stop with one line, having written nothing."""
    result = cli_runner().invoke(main, ["sweep", str(config), "-o", str(tmp_path / "s"), "--seeds", "0,1", *options])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("Error: ") and (len(lines) == 1 or result.exit_code == 2), result.stderr  # 2: usage
    assert not (tmp_path / "s").exists()
    return result.stderr


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ucx://127.0.0.1:8786",
        "tcp://127.0.0.1:99999",
        "http://127.0.0.1:80",
        "tcp://127.0.0.1",
        "127.0.0.1:8786",
        "tcp://a b:1",
    ],
)
def test_an_address_that_is_not_a_schedulers_is_refused_before_anything(config, tmp_path, address):
    started = time.monotonic()
    assert "is not tcp://HOST:PORT or tls://HOST:PORT" in refused(config, tmp_path, "--scheduler", address)
    assert time.monotonic() - started < 5


def test_tls_files_go_with_a_tls_scheduler_all_three_and_as_pem(config, tmp_path):
    pem = tmp_path / "x.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert "needs --tls-cert, --tls-key" in refused(
        config, tmp_path, "--scheduler", "tls://127.0.0.1:8786", "--tls-ca-file", str(pem)
    )
    assert "are for a tls:// scheduler" in refused(
        config, tmp_path, "--scheduler", "tcp://127.0.0.1:8786", "--tls-ca-file", str(pem)
    )
    assert "go with --scheduler" in refused(config, tmp_path, "--tls-cert", str(pem))
    (tmp_path / "not.pem").write_text("hello")
    options = ["--tls-ca-file", str(pem), "--tls-cert", str(pem), "--tls-key", str(tmp_path / "not.pem")]
    assert "--tls-key: " in refused(config, tmp_path, "--scheduler", "tls://127.0.0.1:8786", *options)


@pytest.fixture
def quick(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("nnbp.sweep.cluster.CONNECT_SECONDS", 1)


def listener(handle) -> tuple[str, threading.Thread]:
    """A TCP listener on 127.0.0.1 that does `handle(connection)` with each connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"tcp://127.0.0.1:{server.getsockname()[1]}", server


def test_a_listener_that_accepts_and_never_answers_is_refused_in_time(config, tmp_path, quick):
    held = []
    address, server = listener(held.append)
    started = time.monotonic()
    try:
        stderr = refused(config, tmp_path, "--scheduler", address)
    finally:
        server.close()
    assert f"--scheduler: {address} accepted the connection but did not answer as a Dask scheduler" in stderr
    assert time.monotonic() - started < 15


def test_a_refused_port_and_an_http_server_are_one_line(config, tmp_path, quick):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there now
    assert "no Dask scheduler answered within 1 s" in refused(config, tmp_path, "--scheduler", closed)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # the server's complaints about Dask's bytes are not the test's output
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    web.daemon_threads = True  # a connection Dask leaves open must not keep the server from shutting down
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        stderr = refused(config, tmp_path, "--scheduler", f"tcp://127.0.0.1:{web.server_port}")
    finally:
        web.shutdown()
    assert "not as a Dask scheduler" in stderr or "did not answer as a Dask scheduler" in stderr


def test_a_sweep_runs_on_a_tls_cluster_with_certificates_given_as_files(config, tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography", reason="Dask's Security.temporary makes its certificates with it")
    from distributed.security import Security

    security = Security.temporary()  # a self-signed CA and one certificate, as PEM text
    files = {}
    for option, pem in (
        ("--tls-ca-file", security.tls_ca_file),
        ("--tls-cert", security.tls_client_cert),
        ("--tls-key", security.tls_client_key),
    ):
        files[option] = tmp_path / f"{option[2:]}.pem"
        files[option].write_text(pem)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        protocol="tls://",
        security=security,
        dashboard_address=":0",
    ) as cluster:
        assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
        options = [item for option, path in files.items() for item in (option, str(path))]
        result = cli_runner().invoke(
            main,
            [
                "sweep",
                str(config),
                "-o",
                str(tmp_path / "s"),
                "--seeds",
                "0,1",
                "--scheduler",
                cluster.scheduler_address,
                *options,
            ],
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout.count(": finished; ") == 2
        assert (tmp_path / "s" / "seed=1" / "weights.npz").is_file()
        plain = cluster.scheduler_address.replace("tls://", "tcp://")
        assert "Dask scheduler" in refused(config, tmp_path / "plain", "--scheduler", plain)  # TLS only: no tcp
