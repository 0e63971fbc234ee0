"""nnbp/images.py on synthetic pictures whose ink, bounding box and centre of mass are known."""

from __future__ import annotations

import numpy as np
import pytest

from nnbp.data.pictures import centre_by_mass, resampling, resize, to_mnist_form, with_light_ink
from nnbp.errors import NnbpError


def bar(
    height: int, width: int, top: int, left: int, rows: int, cols: int, ink: float = 0.0, page: float = 1.0
) -> np.ndarray:
    """A page of one shade with a rectangle of another."""
    image = np.full((height, width), page)
    image[top : top + rows, left : left + cols] = ink
    return image


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((image * rows).sum() / image.sum()), float((image * cols).sum() / image.sum())


def ink_box(image: np.ndarray, level: float = 0.5) -> tuple[int, int]:
    rows, cols = np.nonzero(image > level)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("top, left", [(5, 5), (30, 80), (60, 10)])
def test_a_dark_bar_on_a_page_becomes_a_light_bar_fitted_to_20_and_centred_by_mass(top, left):
    """40 × 20 of ink anywhere on a 100 × 120 page: 20 × 10 in the 28 × 28 field, centre of mass at its centre."""
    out = to_mnist_form(bar(100, 120, top, left, 40, 20), 28)
    assert out.shape == (28, 28) and out.min() >= 0 and out.max() <= 1
    assert ink_box(out) == (20, 10)  # the larger side fills the 20 × 20 box; the aspect ratio is kept
    rows, cols = centre_of_mass(out)
    assert abs(rows - 13.5) <= 0.5 and abs(cols - 13.5) <= 0.5
    assert out[0].max() == 0 and out[:, 0].max() == 0  # the border stays background


def test_light_strokes_on_black_are_kept_as_they_are():
    out = to_mnist_form(bar(50, 50, 10, 20, 30, 6, ink=1.0, page=0.0), 28)
    assert ink_box(out) == (20, 4)
    np.testing.assert_allclose(out.sum(), 20 * 4, rtol=0.1)  # the bar's mass, give or take anti-aliasing


def test_an_off_centre_shape_is_placed_by_its_centre_of_mass_not_its_box():
    """An L: the mass sits towards the long arm, so the box is off the field's centre but the mass is not."""
    image = np.zeros((80, 80))  # a margin all round: the border is background
    image[10:70, 10:20] = 1.0  # the long arm
    image[60:70, 10:70] = 1.0  # the foot
    out = to_mnist_form(image, 28)
    rows, cols = centre_of_mass(out)
    assert abs(rows - 13.5) <= 0.5 and abs(cols - 13.5) <= 0.5
    box_rows, box_cols = np.nonzero(out > 0.5)
    assert (box_cols.min() + box_cols.max()) / 2 > 14  # the box is pushed right of centre ...
    assert (box_rows.min() + box_rows.max()) / 2 < 13  # ... and up


def test_other_input_sides_scale_the_box():
    out = to_mnist_form(bar(100, 100, 10, 10, 80, 80), 14)
    assert out.shape == (14, 14) and ink_box(out) == (10, 10)


def test_a_picture_of_one_colour_is_refused():
    with pytest.raises(NnbpError, match="holds no strokes to read"):
        to_mnist_form(np.full((30, 30), 0.7), 28)


def test_background_is_subtracted_and_contrast_stretched():
    image = bar(20, 20, 5, 5, 10, 10, ink=0.3, page=0.8)  # grey ink on a grey page
    out = with_light_ink(image)
    assert out[0, 0] == 0.0 and out[10, 10] == pytest.approx(1.0)


def test_resampling_rows_are_weighted_means_and_resizing_keeps_flat_images_flat():
    for n, m in [(100, 20), (20, 100), (7, 7), (3, 1)]:
        weights = resampling(n, m)
        assert weights.shape == (m, n) and np.allclose(weights.sum(axis=1), 1) and weights.min() >= 0
    np.testing.assert_allclose(resize(np.full((37, 53), 0.4), 20, 11), 0.4)
    np.testing.assert_array_equal(resize(np.eye(5), 5, 5), np.eye(5))  # the same size: unchanged


def test_centring_cuts_off_what_falls_outside():
    out = centre_by_mass(np.ones((40, 2)), 28)
    assert out.shape == (28, 28) and out.sum() == 28 * 2
