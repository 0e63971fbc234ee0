"""Make README's pictures: a digit drawn as one would in a paint program, what `nnbp predict` makes of
it (before and after bringing it to MNIST's form), and the first-layer weights of a trained network.

    python scripts/readme_figures.py RUN_FOR_DIGITS RUN_FOR_WEIGHTS

RUN_FOR_DIGITS is a run on MNIST digits (e.g. runs/mnist-sample), RUN_FOR_WEIGHTS any run on 28 × 28
images (e.g. runs/fashion-mnist-100). Writes docs/images/my-digit.png, own-digit.png and weights.png.
Needs the plot and images extras.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from nnbp.data.inputs import Example
from nnbp.data.pictures import to_mnist_form
from nnbp.run.prediction import predict
from nnbp.run.weights import load_weights

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def drawn_digit() -> Image.Image:
    """A 4 in a few thick strokes, dark on a white 320 × 240 page, off to one side."""
    page = Image.new("L", (320, 240), 255)
    draw = ImageDraw.Draw(page)
    for start, end in [((190, 30), (140, 150)), ((140, 150), (240, 150)), ((215, 95), (212, 215))]:
        draw.line([start, end], fill=25, width=18, joint="curve")
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("digits_run", type=Path)
    parser.add_argument("weights_run", type=Path)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMAGES.mkdir(parents=True, exist_ok=True)
    page = drawn_digit()
    page.save(IMAGES / "my-digit.png", optimize=True)
    pixels = np.asarray(page, dtype=np.uint8)
    network, meta = load_weights(args.digits_run / "best.npz")
    (prediction,) = predict(
        network, [Example("my-digit.png", pixels, picture=True)], meta["input_scale"], meta.get("class_names")
    )
    form = to_mnist_form(pixels / 255.0, 28)
    fig, (left, right) = plt.subplots(1, 2, figsize=(5.2, 2.3), gridspec_kw={"width_ratios": [4 / 3, 1]})
    left.imshow(pixels, cmap="gray", vmin=0, vmax=255)
    left.set_title("my-digit.png (320 × 240)", fontsize=8)
    right.imshow(form, cmap="gray", vmin=0, vmax=1)
    right.set_title(f"in MNIST's form (28 × 28): {prediction.names[0]} ({prediction.top[0][1]:.2f})", fontsize=8)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100)
    plt.close(fig)
    Image.open(buffer).convert("RGB").quantize(64).save(IMAGES / "own-digit.png", optimize=True)

    network = load_weights(args.weights_run / "best.npz")[0]
    fig, axes = plt.subplots(2, 8, figsize=(6.4, 1.7))
    for ax, tile in zip(axes.ravel(), network.weights[0]):
        bound = float(abs(tile).max())
        ax.imshow(tile.reshape(28, 28), cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.axis("off")
    fig.tight_layout(pad=0.2)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=80)
    plt.close(fig)
    Image.open(buffer).convert("RGB").quantize(64).save(IMAGES / "weights.png", optimize=True)  # a small file
    print(f"wrote {IMAGES / 'my-digit.png'}, own-digit.png, weights.png; the digit reads as {prediction.names[0]}")


if __name__ == "__main__":
    main()
