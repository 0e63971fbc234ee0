"""Downloads against a real HTTP server on 127.0.0.1; no test reaches beyond the loopback interface."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from helpers import cli_runner, idx_bytes, write_idx_folder
from nnbp.cli import main
from nnbp.data import catalog as data_module
from nnbp.data import download
from nnbp.data.download import RemoteDataset, RemoteFile, fetch, matches
from nnbp.data.formats import load_idx_folder
from nnbp.errors import NnbpError


class Server:
    """Serves `routes[path]`: bytes, or ("cut", bytes) to announce all but send half, or a status code."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.routes.get(self.path, 404)
                if isinstance(body, int):
                    self.send_error(body)
                    return
                cut = isinstance(body, tuple)
                data = body[1] if cut else body
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if cut else data)
                if cut:
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def refused_url() -> str:
    """A loopback port with nothing listening on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def published(tmp_path):
    """A small dataset as it would be published: four .gz files and their pinned checksums."""
    source = tmp_path / "source"
    write_idx_folder(source)
    files = {}
    for path in sorted(source.iterdir()):
        data = path.read_bytes()
        payload = gzip.decompress(data)
        files[path.name] = (
            data,
            RemoteFile(path.name, hashlib.sha256(data).hexdigest(), hashlib.sha256(payload).hexdigest()),
        )
    return files


def remote(published, *mirrors) -> RemoteDataset:
    return RemoteDataset("tiny", tuple(mirrors), tuple(f for _, f in published.values()))


def serve_all(server, published, prefix="/a/"):
    for name, (data, _) in published.items():
        server.routes[prefix + name] = data


def test_fetch_downloads_verifies_and_renames(server, published, tmp_path):
    serve_all(server, published)
    folder = fetch(remote(published, server.url + "/a/"), tmp_path / "cache" / "tiny")
    assert sorted(p.name for p in folder.iterdir()) == sorted(published)
    assert len(load_idx_folder(folder).train) == 30


def test_valid_files_already_there_are_not_downloaded_again(server, published, tmp_path):
    serve_all(server, published)
    dataset = remote(published, server.url + "/a/")
    fetch(dataset, tmp_path / "d")
    server.requests.clear()
    fetch(dataset, tmp_path / "d")
    assert server.requests == []


def test_first_mirror_404_second_succeeds(server, published, tmp_path):
    serve_all(server, published, prefix="/b/")
    folder = fetch(remote(published, server.url + "/a/", server.url + "/b/"), tmp_path / "d")
    assert len(list(folder.iterdir())) == 4
    assert any(r.startswith("/a/") for r in server.requests)


def test_checksum_mismatch_leaves_nothing(server, published, tmp_path):
    serve_all(server, published)
    name = "train-labels-idx1-ubyte.gz"
    server.routes["/a/" + name] = gzip.compress(b"something else entirely")
    with pytest.raises(NnbpError) as e:
        fetch(remote(published, server.url + "/a/"), tmp_path / "d")
    assert "SHA-256 does not match" in str(e.value) and name in str(e.value)
    assert not (tmp_path / "d" / name).exists()
    assert not any(p.name.endswith(".part") for p in (tmp_path / "d").iterdir())


def test_body_cut_short_leaves_nothing(server, published, tmp_path):
    serve_all(server, published)
    name = "train-images-idx3-ubyte.gz"
    server.routes["/a/" + name] = ("cut", published[name][0])
    with pytest.raises(NnbpError) as e:
        fetch(remote(published, server.url + "/a/"), tmp_path / "d")
    assert name in str(e.value)
    assert not (tmp_path / "d" / name).exists()
    assert not any(p.name.endswith(".part") for p in (tmp_path / "d").iterdir())


def test_connection_refused_everywhere_says_what_to_place_where(published, tmp_path):
    first, second = refused_url(), refused_url()
    with pytest.raises(NnbpError) as e:
        fetch(remote(published, first, second), tmp_path / "d", timeout=5)
    message = str(e.value)
    assert message.startswith("could not download tiny: ")
    assert first in message and second in message
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "d") in message
    assert "\n" not in message
    assert not (tmp_path / "d").exists()  # the folder made for the download is gone again


def test_a_failed_download_removes_only_the_empty_folders_it_made(published, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "keep.txt").write_text("mine")
    with pytest.raises(NnbpError):
        fetch(remote(published, refused_url()), tmp_path / "cache" / "nnbp" / "tiny", timeout=5)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["keep.txt"]


def test_a_recompressed_file_with_the_same_payload_is_accepted(published, tmp_path):
    """Debian recompresses Fashion-MNIST: other .gz bytes, the same images."""
    name = "t10k-images-idx3-ubyte.gz"
    data, pinned = published[name]
    recompressed = gzip.compress(gzip.decompress(data), compresslevel=1, mtime=12345)
    assert recompressed != data
    path = tmp_path / name
    path.write_bytes(recompressed)
    assert matches(path, pinned)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    assert not matches(path, pinned)


def test_pinned_checksums_are_well_formed():
    for dataset in download.REMOTE.values():
        assert len(dataset.files) == 4 and dataset.mirrors
        for f in dataset.files:
            assert len(f.sha256) == 64 and len(f.payload_sha256) == 64
            int(f.sha256, 16), int(f.payload_sha256, 16)


def test_cli_data_fetch(server, published, tmp_path, monkeypatch):
    serve_all(server, published)
    monkeypatch.setitem(download.REMOTE, "mnist", remote(published, server.url + "/a/"))
    result = cli_runner().invoke(main, ["data", "fetch", "mnist", "--dir", str(tmp_path / "m")])
    assert result.exit_code == 0, result.stderr
    assert f"mnist: 4 files verified in {tmp_path / 'm'}" in result.stdout


def test_cli_data_fetch_offline_is_one_line(published, tmp_path, monkeypatch):
    monkeypatch.setitem(download.REMOTE, "fashion-mnist", remote(published, refused_url()))
    result = cli_runner().invoke(main, ["data", "fetch", "fashion-mnist", "--dir", str(tmp_path / "f")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: could not download tiny") and result.stderr.count("\n") == 1


def test_train_on_a_missing_name_downloads_it_with_a_note(server, published, tmp_path, monkeypatch):
    serve_all(server, published)
    monkeypatch.setitem(download.REMOTE, "mnist", remote(published, server.url + "/a/"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data_module, "data_folders", lambda name: [data_module.cache_dir() / name])
    config = tmp_path / "c.yaml"
    config.write_text(
        f"dataset: mnist\nvalidation_size: 10\nepochs: 1\nsizes: [784, 5, 10]\noutput: {tmp_path / 'run'}\n"
    )
    result = cli_runner().invoke(main, ["train", str(config)])
    assert result.exit_code == 0, result.stderr
    assert "Dataset 'mnist' is not on this machine: downloading it into" in result.stderr
    assert (tmp_path / "cache" / "nnbp" / "mnist" / "train-images-idx3-ubyte.gz").exists()
    assert "/ 10 validation" in result.stdout


def test_cli_data_list(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "data_folders", lambda name: [tmp_path / name])
    result = cli_runner().invoke(main, ["data", "list"])
    assert result.exit_code == 0
    assert "mnist-sample" in result.stdout and "missing (nnbp data fetch mnist)" in result.stdout
