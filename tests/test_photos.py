"""`nnbp predict` on photographed digits: synthetic "photos" of the sample's test digits — paper of several
greys, uneven light, sensor noise (σ 4–15 grey levels), blur, a camera's EXIF rotation, 16-bit levels,
light strokes on a transparent page — each read as the digit it shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import cli_runner
from nnbp.cli import main
from nnbp.data import load_dataset
from nnbp.data.pictures import prepare
from nnbp.run import predict_files

Image = pytest.importorskip("PIL.Image", reason="the images extra (Pillow) is not installed")
ImageFilter = pytest.importorskip("PIL.ImageFilter")

pytestmark = pytest.mark.slow  # trains a network, draws dozens of pictures

PAPERS = [(150, 4), (190, 8), (230, 15)]  # grey level of the paper, σ of the noise (grey levels)


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("net")
    (folder / "c.yaml").write_text("sizes: [784, 30, 10]\ncost: cross-entropy\neta: 0.5\nepochs: 8\ninit: scaled\n")
    result = cli_runner().invoke(main, ["train", str(folder / "c.yaml"), "-o", str(folder / "run"), "-q"])
    assert result.exit_code == 0, result.stderr
    return folder / "run" / "best.npz"


@pytest.fixture(scope="module")
def digits(network) -> list[tuple[int, np.ndarray]]:
    """One test digit of each class that the network reads right, and confidently, as MNIST stores it."""
    test = load_dataset("mnist-sample").test
    chosen = []
    for label in range(10):
        for i in np.flatnonzero(test.labels == label)[:40]:
            image = test.images[i].reshape(28, 28)
            np.save(Path(network).parent / "probe.npy", image)
            (prediction,), _, _ = predict_files(network, [str(Path(network).parent / "probe.npy")], top=1)
            if prediction.top[0] == label or (prediction.top[0][0] == label and prediction.top[0][1] > 0.9):
                chosen.append((label, image))
                break
    assert len(chosen) == 10
    return chosen


def photograph(digit: np.ndarray, paper: int, noise: float, seed: int) -> np.ndarray:
    """The digit as a 240 × 200 photo of dark ink on grey paper, lit unevenly, blurred, with sensor noise."""
    rng = np.random.default_rng(seed)
    ink = np.asarray(Image.fromarray(digit).resize((120, 120), Image.BICUBIC), dtype=np.float64) / 255
    page = np.zeros((240, 200))
    page[50:170, 40:160] = ink
    shade = np.linspace(-12, 12, 200)[None, :] + np.linspace(-6, 6, 240)[:, None]  # light from one side
    photo = paper + shade - page * (paper - 35)
    photo = np.asarray(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1)))
    return np.clip(photo + rng.normal(0, noise, photo.shape), 0, 255)


def read(network: Path, path: Path) -> tuple[int, str | None]:
    (prediction,), _, _ = predict_files(network, [str(path)], top=1)
    return prediction.top[0][0], prediction.warning


@pytest.mark.parametrize("paper, noise", PAPERS)
def test_photos_on_grey_paper_with_noise_and_uneven_light_read_as_their_digit(network, digits, tmp_path, paper, noise):
    for label, digit in digits:
        path = tmp_path / f"{label}.png"
        Image.fromarray(photograph(digit, paper, noise, label).astype(np.uint8)).save(path)
        assert read(network, path) == (label, None), f"a photo of a {label} on paper {paper}, noise {noise}"


def test_a_photo_rotated_by_its_cameras_exif_reads_upright(network, digits, tmp_path):
    for label, digit in digits:
        upright = Image.fromarray(photograph(digit, 200, 6, label).astype(np.uint8))
        stored = upright.transpose(Image.Transpose.ROTATE_90)  # as the sensor took it ...
        exif = Image.Exif()
        exif[0x0112] = 6  # ... and the tag that says: turn 90° clockwise to show it
        stored.save(tmp_path / f"{label}.jpg", exif=exif, quality=95)
        assert read(network, tmp_path / f"{label}.jpg")[0] == label


def test_sixteen_bit_greyscale_keeps_its_levels(network, digits, tmp_path):
    for label, digit in digits:
        levels = (photograph(digit, 190, 8, label) * 257).astype(np.uint16)  # 0–65535
        Image.fromarray(levels).save(tmp_path / f"{label}.png")
        assert read(network, tmp_path / f"{label}.png")[0] == label


def test_light_strokes_on_a_transparent_page_stay_visible(network, digits, tmp_path):
    for label, digit in digits:
        big = np.asarray(Image.fromarray(digit).resize((140, 140), Image.BICUBIC))
        rgba = np.zeros((160, 160, 4), np.uint8)
        rgba[10:150, 10:150, :3] = 250  # near-white strokes ...
        rgba[10:150, 10:150, 3] = big  # ... where the digit is, transparent elsewhere
        Image.fromarray(rgba).save(tmp_path / f"{label}.png")
        assert read(network, tmp_path / f"{label}.png")[0] == label


def test_a_page_mostly_taken_for_ink_gets_a_warning():
    """A photo of grey paper inside a white margin: the margin is taken as the page, so the paper is "ink"."""
    page = np.full((100, 100), 1.0)
    page[3:97, 3:97] = 0.55 + np.random.default_rng(0).normal(0, 0.02, (94, 94))
    page[40:60, 45:52] = 0.1
    assert "88% of the picture looks like ink" in prepare(page, 28).warning
    clean = np.full((100, 100), 0.9)
    clean[30:70, 40:55] = 0.1
    assert prepare(clean, 28).warning is None


def test_noise_alone_is_no_digit(tmp_path):
    from nnbp.errors import NnbpError

    noise = np.clip(0.6 + np.random.default_rng(0).normal(0, 0.03, (120, 120)), 0, 1)
    with pytest.raises(NnbpError, match="no strokes"):
        prepare(noise, 28)


def test_show_saves_each_input_beside_what_the_network_saw(network, digits, tmp_path):
    label, digit = digits[3]
    Image.fromarray(photograph(digit, 190, 8, 0).astype(np.uint8)).save(tmp_path / "photo.png")
    np.save(tmp_path / "raw.npy", digit)
    np.save(tmp_path / "цифра.npy", digit)  # a caption beyond Latin-1, which older Pillow cannot draw
    result = cli_runner().invoke(
        main,
        [
            "predict",
            str(network),
            str(tmp_path / "photo.png"),
            str(tmp_path / "raw.npy"),
            str(tmp_path / "цифра.npy"),
            "--show",
            str(tmp_path / "seen.png"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    with Image.open(tmp_path / "seen.png") as seen:
        assert seen.height >= 3 * 112 and seen.width >= 2 * 112
    refused = cli_runner().invoke(
        main, ["predict", str(network), str(tmp_path / "raw.npy"), "--show", str(tmp_path / "seen.jpg")]
    )
    assert refused.exit_code == 1 and "does not end in .png" in refused.stderr
