"""Bringing a picture to MNIST's form, the way MNIST itself was made, so a network trained on MNIST-like
data can read someone's own digit, photographed or drawn.

MNIST's digits were size-normalised to fit a 20 × 20 box keeping their aspect ratio (anti-aliased,
hence grey levels), then centred by their centre of mass in a 28 × 28 field; strokes are light on a
dark background. `prepare` does the same to a grayscale image, for any square input side (the box is
20/28 of it), after deciding what is ink: the page's level and its noise are estimated from the
picture's border, the strokes are what stands well clear of that noise (on a 3 × 3 average, so one
noisy pixel is not a stroke), and the crop is the box of the strokes. Pure numpy: images are 2-D
float arrays with values in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnbp.errors import NnbpError

Array = np.ndarray
BOX = 20 / 28  # MNIST's digits fill a 20 × 20 box of the 28 × 28 field
INK = 0.1  # a pixel is ink when it reaches this share of the strokes' strength ...
NOISE = 4.0  # ... and stands this many of the page's noise deviations (after averaging) above the page
MOSTLY_INK = 0.5  # a picture more than half "ink" is not a digit on a plain page: say so ...
WHOLE = 0.95  # ... nor is one whose "ink" reaches from edge to edge
STROKE = 90  # the percentile of the ink pixels taken as the strokes' full strength (1, as in MNIST)


@dataclass(frozen=True)
class Form:
    """A picture in MNIST's form, and what preparing it noticed."""

    pixels: Array  # (side, side), light strokes on 0, in [0, 1]
    ink_share: float  # the share of the picture's pixels taken as strokes
    warning: str | None = None


def to_mnist_form(image: Array, side: int) -> Array:
    """`image` (h, w) in [0, 1] as MNIST would have it (see `prepare`)."""
    return prepare(image, side).pixels


def prepare(image: Array, side: int) -> Form:
    """`image` (h, w) in [0, 1] as MNIST would have it: light strokes on black, the strokes' bounding box
    scaled to fit BOX · side keeping its aspect ratio, centred by its centre of mass in side × side."""
    ink, mask = strokes(image)
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        raise NnbpError("holds no strokes to read: it is one flat colour, or nothing stands out of its noise")
    share = float(mask.mean())
    top, bottom = span(mask.sum(axis=1))
    left, right = span(mask.sum(axis=0))
    whole_page = bottom - top >= WHOLE * image.shape[0] and right - left >= WHOLE * image.shape[1]
    warning = None
    if share > MOSTLY_INK or whole_page:
        edges = ", from edge to edge" if whole_page else ""
        warning = (
            f"{100 * share:.0f}% of the picture looks like ink{edges}: is the page unevenly lit, or not a "
            "plain page? (--show saves what the network saw)"
        )
    cropped = ink[top:bottom, left:right]
    box = max(1, round(BOX * side))
    scale = box / max(cropped.shape)
    height, width = max(1, round(cropped.shape[0] * scale)), max(1, round(cropped.shape[1] * scale))
    return Form(centre_by_mass(resize(cropped, height, width), side), share, warning)


def strokes(image: Array) -> tuple[Array, Array]:
    """The strokes as light on 0 (their full strength at 1) and the mask of the pixels that are ink.

    The page is a smooth surface fitted to the border (light falls unevenly on a photographed page); its
    noise, the border's median absolute deviation from it. Ink is dark on a light page or light on a
    dark one, whichever stands further out of the page on a 3 × 3 average."""
    page = page_level(image)
    border = np.concatenate([(image - page)[e] for e in EDGES])
    noise = 1.4826 * float(np.median(np.abs(border - np.median(border))))  # σ of Gaussian noise, from its MAD
    smooth = mean3(image)
    dark, light = float((page - smooth).max()), float((smooth - page).max())
    ink = np.maximum(page - image if dark > light else image - page, 0.0)
    smooth_ink = np.maximum(page - smooth if dark > light else smooth - page, 0.0)
    if smooth_ink.max() <= max(1e-6, 2 * NOISE * noise / 3):  # the noise's own peaks reach about half this
        return ink, np.zeros(image.shape, bool)
    # near a stroke: clear of the noise once averaged (9 pixels divide its σ by 3), and not faint beside it
    near = smooth_ink > max(INK * float(smooth_ink.max()), NOISE * noise / 3)
    strength = float(np.percentile(ink[near], STROKE))
    mask = near & (ink >= INK * strength)  # the stroke's own pixels
    return np.clip(ink / strength, 0.0, 1.0) * grow3(mask), mask


EDGES = (np.s_[0, :], np.s_[-1, :], np.s_[1:-1, 0], np.s_[1:-1, -1])  # the border, each pixel once


def page_level(image: Array) -> Array:
    """The page's level under every pixel: a quadratic surface in the row and column fitted to the
    border by least squares, then again without the border pixels far from the first fit (ink that
    touches the edge). A flat page fits as its level."""
    h, w = image.shape
    rows, cols = np.indices(image.shape)
    y, x = (rows / max(h - 1, 1) - 0.5, cols / max(w - 1, 1) - 0.5)

    def terms(y: Array, x: Array) -> Array:
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)

    A = np.concatenate([terms(y[e], x[e]) for e in EDGES])
    b = np.concatenate([image[e] for e in EDGES])
    keep = np.ones(len(b), bool)
    for _ in range(2):
        coefficients = np.linalg.lstsq(A[keep], b[keep], rcond=None)[0]
        residual = b - A @ coefficients
        spread = 1.4826 * float(np.median(np.abs(residual[keep]))) + 1e-6
        keep = np.abs(residual) <= 3 * spread
    return terms(y, x) @ coefficients


def span(profile: Array) -> tuple[int, int]:
    """The rows (or columns) from the first to the last whose ink count is at least 2 pixels and 1% of
    the fullest one: a stray speck of noise does not stretch the crop to the page's edge."""
    kept = np.nonzero(profile >= max(2.0, 0.01 * float(profile.max())))[0]
    if len(kept) == 0:
        kept = np.nonzero(profile)[0]
    return int(kept[0]), int(kept[-1]) + 1


def mean3(image: Array) -> Array:
    """The mean of each pixel's 3 × 3 neighbourhood (the edge repeated beyond the picture)."""
    padded = np.pad(image, 1, mode="edge")
    h, w = image.shape
    return sum(padded[i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9


def grow3(mask: Array) -> Array:
    """`mask` grown by one pixel in every direction: a stroke's anti-aliased edge is kept with it."""
    padded = np.pad(mask, 1)
    h, w = mask.shape
    return np.logical_or.reduce([padded[i : i + h, j : j + w] for i in range(3) for j in range(3)])


def with_light_ink(image: Array) -> Array:
    """Light strokes on a background of 0, the strokes' full strength at 1 (see `strokes`)."""
    return strokes(image)[0]


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
