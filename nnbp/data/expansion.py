"""Expanding the training data artificially, as chapter 3 does: each epoch, each training image may be
shifted by a few pixels, rotated by a few degrees and, optionally, elastically distorted (Simard,
Steinkraus and Platt, 2003), so the network sees a slightly different image every time.

The variants are made a mini-batch at a time, from the run's random generator, so memory does not
grow with the expansion and a run (or its resumption) draws the same variants. Images are square,
their background 0 (light strokes on black, as nnbp scales MNIST's pixels). Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
ELASTIC_SIGMA = 4.0  # pixels: how smooth an elastic distortion's displacement field is (Simard et al.'s)


@dataclass(frozen=True)
class Expansion:
    """How far each image may move: `shift` pixels each way, `rotate` degrees each way, and an elastic
    distortion of strength `elastic` (α, about the largest displacement in pixels; 0: none)."""

    shift: int = 0
    rotate: float = 0.0
    elastic: float = 0.0

    def to_dict(self) -> dict:
        return {"shift": self.shift, "rotate": self.rotate, "elastic": self.elastic}


def expand(images: Array, expansion: Expansion, rng: np.random.Generator) -> Array:
    """A variant of each of the square images (k, side, side), drawn from `rng`: each output pixel
    takes the input at the point the shift, rotation and distortion bring it from (bilinear; 0 beyond
    the image's edge)."""
    k, side, _ = images.shape
    rows, cols = np.indices((side, side), dtype=np.float64)
    centre = (side - 1) / 2
    angles = np.radians(rng.uniform(-expansion.rotate, expansion.rotate, k)) if expansion.rotate else np.zeros(k)
    shifts = rng.integers(-expansion.shift, expansion.shift + 1, (k, 2)) if expansion.shift else np.zeros((k, 2))
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    dy, dx = rows - centre - shifts[:, 0, None, None], cols - centre - shifts[:, 1, None, None]
    source_rows = centre + cos * dy - sin * dx  # rotating the output's grid back onto the input
    source_cols = centre + sin * dy + cos * dx
    if expansion.elastic:
        smooth = gaussian_matrix(side, ELASTIC_SIGMA)
        for source in (source_rows, source_cols):
            field = rng.uniform(-1, 1, (k, side, side))
            source += expansion.elastic * (smooth @ field @ smooth.T)
    return bilinear(images, source_rows, source_cols)


def gaussian_matrix(n: int, sigma: float) -> Array:
    """The (n, n) matrix that blurs a column of n samples with a Gaussian of `sigma` (each row sums to 1)."""
    offsets = np.arange(n)[None, :] - np.arange(n)[:, None]
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum(axis=1, keepdims=True)


def bilinear(images: Array, rows: Array, cols: Array) -> Array:
    """`images` (k, h, w) sampled at the points (rows, cols), each (k, h, w), between the four nearest
    pixels; points outside the images read 0."""
    k, h, w = images.shape
    padded = np.zeros((k, h + 2, w + 2), images.dtype)  # a frame of zeros: outside reads 0
    padded[:, 1:-1, 1:-1] = images
    r = np.clip(rows + 1, 0, h + 1 - 1e-9)
    c = np.clip(cols + 1, 0, w + 1 - 1e-9)
    r0, c0 = np.floor(r).astype(np.intp), np.floor(c).astype(np.intp)
    fr, fc = r - r0, c - c0
    r1, c1 = np.minimum(r0 + 1, h + 1), np.minimum(c0 + 1, w + 1)
    image = np.arange(k)[:, None, None]
    return (1 - fr) * ((1 - fc) * padded[image, r0, c0] + fc * padded[image, r0, c1]) + fr * (
        (1 - fc) * padded[image, r1, c0] + fc * padded[image, r1, c1]
    )


def side_of(n_inputs: int) -> int | None:
    """The side of a square image of n_inputs pixels, or None if there is none."""
    side = math.isqrt(n_inputs)
    return side if side * side == n_inputs else None
