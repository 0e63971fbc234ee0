"""Draw docs/images/expanded.png: one training image and variants of it, as `expand:` makes them.

    python scripts/expanded_figure.py [--dataset fashion-mnist] [--index 0] [-o docs/images/expanded.png]

The variants come from nnbp's own expansion (nnbp/data/expansion.py) with shift 2, rotate 15 and
elastic 2, drawn from a generator seeded with 0. Needs the plot extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nnbp.cli.figures import require_pyplot
from nnbp.data import load_dataset
from nnbp.data.expansion import Expansion, expand, side_of

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "expanded.png"
EXPANSION = Expansion(shift=2, rotate=15.0, elastic=2.0)
VARIANTS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--index", type=int, default=0, help="which training image")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    side = side_of(data.n_inputs)
    image = data.train.images[args.index].reshape(side, side) * data.scale  # light on black, 0 to 1
    variants = expand(np.repeat(image[None], VARIANTS, axis=0), EXPANSION, np.random.default_rng(0))
    plt = require_pyplot()
    fig, axes = plt.subplots(1, VARIANTS + 1, figsize=(1.4 * (VARIANTS + 1), 1.7))
    for ax, picture, title in zip(axes, [image, *variants], ["the image", *[""] * VARIANTS]):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.suptitle(f"{args.dataset}: shift ≤ 2 px, rotate ≤ 15°, elastic α = 2", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
