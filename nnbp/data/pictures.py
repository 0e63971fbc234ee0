"""Bringing a picture to MNIST's form, the way MNIST itself was made, so a network trained on MNIST-like
data can read someone's own digit.

MNIST's digits were size-normalised to fit a 20 × 20 box keeping their aspect ratio (anti-aliased,
hence grey levels), then centred by their centre of mass in a 28 × 28 field; strokes are light on a
dark background. `to_mnist_form` does the same to a grayscale image, for any square input side
(the box is 20/28 of it). Pure numpy: images are 2-D float arrays with values in [0, 1].
"""

from __future__ import annotations

import numpy as np

from nnbp.errors import NnbpError

Array = np.ndarray
BOX = 20 / 28  # MNIST's digits fill a 20 × 20 box of the 28 × 28 field
INK = 0.1  # a pixel is ink when it is at least this bright, once the background is 0 and the brightest ink 1


def to_mnist_form(image: Array, side: int) -> Array:
    """`image` (h, w) in [0, 1] as MNIST would have it: light strokes on black, the ink's bounding box
    scaled to fit BOX · side keeping its aspect ratio, centred by its centre of mass in side × side."""
    image = with_light_ink(image)
    rows, cols = np.nonzero(image >= INK)
    if len(rows) == 0:
        raise NnbpError("holds no strokes to read: it is one flat colour")
    ink = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    box = max(1, round(BOX * side))
    scale = box / max(ink.shape)
    fitted = resize(ink, max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    return centre_by_mass(fitted, side)


def with_light_ink(image: Array) -> Array:
    """Light strokes on a background of 0, the brightest ink at 1: dark-on-light is inverted (the
    border, mostly background, tells which), then the background level is subtracted."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if np.median(border) > 0.5:  # a light page with dark strokes
        image = 1.0 - image
        border = 1.0 - border
    background, top = float(np.median(border)), float(image.max())
    if top - background < 1e-6:
        return np.zeros_like(image)
    return np.clip((image - background) / (top - background), 0.0, 1.0)


def resize(image: Array, height: int, width: int) -> Array:
    """`image` resampled to (height, width) with a triangle filter widened when shrinking (so it
    averages, as anti-aliasing does): two matrix products, R @ image @ Cᵀ."""
    return resampling(image.shape[0], height) @ image @ resampling(image.shape[1], width).T


def resampling(n: int, m: int) -> Array:
    """The (m, n) matrix taking n samples to m: each output a weighted mean of the inputs near its centre."""
    stretch = max(1.0, n / m)  # a filter as wide as one output pixel when shrinking, one input pixel when growing
    centres = (np.arange(m) + 0.5) * n / m - 0.5  # output pixel centres, in input coordinates
    weights = np.clip(1 - np.abs(np.arange(n)[None, :] - centres[:, None]) / stretch, 0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def centre_by_mass(image: Array, side: int) -> Array:
    """`image` placed in a side × side field of zeros so its centre of mass falls on the field's centre
    (to the nearest pixel); anything that would fall outside is cut off."""
    mass = image.sum()
    rows, cols = np.indices(image.shape)
    shift = [round((side - 1) / 2 - float((image * grid).sum() / mass)) for grid in (rows, cols)]
    field = np.zeros((side, side))
    top, left = shift
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(side, top + image.shape[0]), min(side, left + image.shape[1])
    if r0 < r1 and c0 < c1:
        field[r0:r1, c0:c1] = image[r0 - top : r1 - top, c0 - left : c1 - left]
    return field
