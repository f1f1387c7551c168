"""Tests of nnfs.inference's image preprocessing, pixel by pixel on small hand-made images: Otsu's threshold,
the border frame, the background noise estimate and the object threshold at their limits, morphological
opening from 64 pixels up, transparency, gray detection, cropping, stretching and centering, the check of a
preprocessing record, and the warnings for tiny and blank images."""

import math
import warnings

import numpy as np
import pytest

from nnfs.core import NNFSError
from nnfs.datasets import prepare_images
from nnfs.inference import InputWarning, _border_mask, _otsu, preprocess_image


def as_input(img: np.ndarray) -> np.ndarray:
    "The model input row a 28x28 image of 0..255 pixels becomes: (1, 784), scaled to [-1, 1]."
    return prepare_images(np.asarray(img, np.uint8)[None])


def no_warnings(fn, *args, **kwargs):
    "`fn(*args, **kwargs)`, failing on any warning."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def bars(h=40, w=40, top=6, left=6, level=255, bg=0) -> np.ndarray:
    "Two vertical bars 28 rows high, 10 columns wide, 8 apart: a 28x28 object whose box holds background."
    a = np.full((h, w), bg, np.uint8)
    a[top:top + 28, left:left + 10] = level
    a[top:top + 28, left + 18:left + 28] = level
    return a


def bars_28() -> np.ndarray:
    "The bars of `bars()` as they come out of preprocessing: cropped to exactly 28x28, stretched to 255."
    e = np.zeros((28, 28), np.uint8)
    e[:, :10] = 255
    e[:, 18:] = 255
    return e


# ---- Otsu's threshold, the border frame
# ------------------------------------------------------------------------------------


def test_otsu_two_levels_gives_the_top_of_the_dark_group():
    assert _otsu(np.array([0, 0, 200, 200])) == 0.0
    assert _otsu(np.array([50, 50, 200, 200])) == 50.0
    assert _otsu(np.array([[50, 50], [200, 200]], np.float32)) == 50.0  # any shape, float pixels


def test_otsu_three_or_more_levels():
    assert _otsu(np.array([100, 150, 255])) == 150.0  # {100, 150} | {255}
    assert _otsu(np.array([50, 150, 200, 250, 255])) == 150.0  # {50, 150} | {200, 250, 255}


def test_border_mask_is_a_frame_a_20th_of_the_shorter_side_wide():
    def frame(h, w, b):
        m = np.ones((h, w), bool)
        m[b:h - b, b:w - b] = False
        return m

    assert np.array_equal(_border_mask((10, 12)), frame(10, 12, 1))  # at least 1 pixel
    assert np.array_equal(_border_mask((100, 120)), frame(100, 120, 5))
    assert np.array_equal(_border_mask((120, 100, 3)), frame(120, 100, 5))  # a color image's shape
    assert np.array_equal(_border_mask((59, 300)), frame(59, 300, 2))


# ---- pixels of arrays: subsampling, transparency, gray or color
# --------------------------------------------------------------------


def test_arrays_over_1024_pixels_a_side_are_subsampled():
    line = np.zeros((1100, 1100), np.uint8)
    line[501, 300:800] = 255  # a 1-pixel line on an odd row: every 2nd row is kept, so it vanishes
    with pytest.warns(InputWarning, match="looks blank"):
        assert np.all(preprocess_image(line) == -1.0)
    line = np.zeros((1024, 1024), np.uint8)
    line[501, 300:800] = 255  # up to 1024 pixels nothing is dropped
    out = no_warnings(preprocess_image, line).reshape(28, 28)
    assert (out == 1.0).any()


def test_transparent_pixels_lie_on_white_paper():
    rgba = np.zeros((28, 28, 4), np.uint8)  # fully transparent: white
    rgba[4:24, 4:9] = [0, 0, 0, 255]  # opaque black
    rgba[4:24, 9:14] = [0, 0, 0, 51]  # black at 20%: 204
    rgba[4:24, 14:19] = [100, 100, 100, 255]  # opaque gray 100
    rgba[4:24, 19:24] = [100, 100, 100, 102]  # gray 100 at 40%: 40 + 153 = 193
    # a gray 28x28 image on light paper: taken as framed, only inverted
    expected = np.zeros((28, 28), np.uint8)
    expected[4:24, 4:9], expected[4:24, 9:14], expected[4:24, 14:19], expected[4:24, 19:24] = 255, 51, 155, 62
    assert np.array_equal(preprocess_image(rgba), as_input(expected))


def test_semi_transparent_colors_are_mixed_with_white():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[6:34, 6:16] = [200, 230, 255, 128]
    rgba[6:34, 24:34] = [160, 210, 255, 128]
    alpha = rgba[..., 3:] / 255
    on_white = rgba[..., :3] / 255 * alpha + (1 - alpha)  # 0..1
    out = preprocess_image(rgba)
    assert np.array_equal(out, preprocess_image(on_white))
    expected = np.zeros((28, 28), np.uint8)
    expected[:, :10] = 148  # 200 at half alpha: 27.6 below white; 160: 47.7 below (the brightest, 255)
    expected[:, 18:] = 255
    assert np.array_equal(out, as_input(expected))


def test_gray_color_arrays_are_gray_and_framed_ones_pass_unchanged():
    img = np.zeros((28, 28), np.uint8)
    img[2:10, 3:9] = 200  # off center: a processed image would be centered
    assert np.array_equal(preprocess_image(np.repeat(img[..., None], 3, axis=2)), as_input(img))


def test_one_differing_channel_makes_a_color_image():
    for color in ([0, 255, 0], [255, 0, 0], [0, 0, 255], [255, 0, 255]):
        rgb = np.zeros((28, 28, 3), np.uint8)
        rgb[10:17, 7:21] = color  # 7x14 on black: stretched to 14x28, centered
        expected = np.zeros((28, 28), np.uint8)
        expected[7:21] = 255
        assert np.array_equal(preprocess_image(rgb), as_input(expected)), color


# ---- object and background
# -------------------------------------------------------------------------------------------------


def test_box_of_the_object_holds_black_background():
    """A 28x28 object is cropped without resampling: its bars stay 255, the gap between them 0."""
    expected = as_input(bars_28())
    assert np.array_equal(preprocess_image(bars()), expected)
    assert np.array_equal(preprocess_image(bars(level=0, bg=255)), expected)
    assert np.array_equal(preprocess_image(bars(), invert=False), expected)
    assert np.array_equal(preprocess_image(bars(level=0, bg=255), invert=True), expected)


def test_inversion_uses_the_luma_of_colors():
    """`invert=True` on a color image takes its ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B)."""
    rgb = np.full((40, 40, 3), 255, np.uint8)
    rgb[6:34, 6:16] = [255, 0, 0]
    rgb[6:34, 16:24] = [0, 255, 0]
    rgb[6:34, 24:34] = [0, 0, 255]
    gray = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255
    out = preprocess_image(rgb, invert=True)
    assert np.array_equal(out, preprocess_image(gray, invert=True))
    v = 255 - 255 * np.array([0.299, 0.587, 0.114])  # red, green, blue: 178.8, 105.3, 225.9
    expected = np.zeros((28, 28))
    expected[:, :10], expected[:, 10:18], expected[:, 18:] = np.round(v * 255 / v.max())
    assert np.array_equal(out, as_input(expected))


def test_stretch_makes_the_brightest_pixel_255():
    img = np.zeros((40, 40), np.uint8)
    img[6:34, 6:20] = 150
    img[6:34, 20:34] = 200
    expected = np.zeros((28, 28), np.uint8)
    expected[:, :14] = 191  # 150 * 255 / 200 = 191.25
    expected[:, 14:] = 255
    assert np.array_equal(preprocess_image(img), as_input(expected))


def test_object_threshold_is_above_8_levels():
    """An object 8 levels from its background is too faint to tell from it (a blank image), 9 is enough."""
    expected = np.zeros((28, 28), np.uint8)
    expected[:, 4:24] = 255
    for level in (8, 9):
        faint = np.zeros((40, 40), np.uint8)
        faint[6:34, 10:30] = level
        for img, invert in ((faint, None), (faint, False), (255 - faint, True), (255 - faint, None)):
            if level == 8:
                with pytest.warns(InputWarning, match="^the image looks blank: no object stands out from its "
                                                      "background$"):
                    assert np.all(preprocess_image(img, invert=invert) == -1.0)
            else:
                assert np.array_equal(no_warnings(preprocess_image, img, invert=invert), as_input(expected))


def border_texture(counts: dict[int, int]) -> np.ndarray:
    "A 40x40 image of 100 whose border frame (2 pixels wide, 304 pixels) holds these pixel values."
    a = np.full((40, 40), 100, np.uint8)
    frame = np.ones((40, 40), bool)
    frame[2:38, 2:38] = False
    values = np.repeat(list(counts), list(counts.values()))
    assert len(values) == frame.sum() == 304
    a[frame] = values
    return a


def test_background_noise_is_three_times_its_median_difference():
    """Border differences: 61 of 0, 212 of 1, 31 of 10 (median 1, 95th percentile 10): noise 3 levels, so an
    object must differ from the background by 12 (12 - 3 > 8)."""
    img = border_texture({99: 106, 100: 61, 101: 106, 110: 31})
    expected = np.zeros((28, 28), np.uint8)
    expected[:, :10] = 255
    expected[:, 18:] = 255
    for level, blank in ((111, True), (112, False)):
        img[6:34, 6:16] = img[6:34, 24:34] = level  # two bars, background between them
        if blank:
            with pytest.warns(InputWarning, match="looks blank"):
                preprocess_image(img)
        else:
            assert np.array_equal(no_warnings(preprocess_image, img), as_input(expected))


def test_background_noise_is_its_95th_percentile_when_smaller():
    """Border differences: 288 of 4 and 16 of 10 (95th percentile 4 + 0.85 * 6 = 9.1, less than 3 * 4): an
    object must differ by 18 (18 - 9.1 > 8)."""
    img = border_texture({90: 8, 96: 144, 104: 144, 110: 8})
    expected = np.zeros((28, 28), np.uint8)
    expected[:, :10] = 255
    expected[:, 18:] = 255
    for level, blank in ((117, True), (118, False)):
        img[6:34, 6:16] = img[6:34, 24:34] = level
        if blank:
            with pytest.warns(InputWarning, match="looks blank"):
                preprocess_image(img)
        else:
            assert np.array_equal(no_warnings(preprocess_image, img), as_input(expected))


def test_specks_are_removed_from_64_pixels_up():
    """An isolated pixel is noise in a photo of 64 pixels or more (opening with a 3x3 square), part of the
    object in a smaller image."""
    square = np.zeros((28, 28), np.uint8)
    square[:, 7:21] = 255  # a 28x14 object, centered
    for side, color in ((64, False), (64, True), (100, True)):
        img = np.zeros((side, side), np.uint8)
        img[20:48, 20:34] = 255
        img[10, 50] = 255  # the speck
        if color:
            img = np.stack([img, img // 2, img], axis=2)
        assert np.array_equal(preprocess_image(img), as_input(square)), (side, color)
    img = np.zeros((63, 63), np.uint8)
    img[20:48, 20:34] = 255
    img[10, 50] = 255
    out = preprocess_image(img).reshape(28, 28)
    assert not np.array_equal(out, as_input(square).reshape(28, 28))
    assert out[0].max() > -1.0  # the speck is the top of the box


def test_lines_keep_one_pixel():
    """A 1-pixel line becomes one row (or column) of the 28x28 image, in its middle."""
    img = np.zeros((40, 40), np.uint8)
    img[20, 6:34] = 255
    expected = np.zeros((28, 28), np.uint8)
    expected[13] = 255
    assert np.array_equal(preprocess_image(img), as_input(expected))
    assert np.array_equal(preprocess_image(img.T.copy()), as_input(expected.T))
    img[20, 6:34] = 0
    img[20, 0:40] = 255  # 1x40: 0.7 of a row, still one row
    assert np.array_equal(preprocess_image(img, invert=False)[0, 13 * 28:14 * 28], np.ones(28, np.float32))


# ---- images already framed like the dataset's
# ---------------------------------------------------------------------------


def test_framed_image_with_any_dark_edge_is_not_inverted():
    for edge in (np.s_[0], np.s_[-1], np.s_[:, 0], np.s_[:, -1]):
        img = np.full((28, 28), 255, np.uint8)
        img[edge] = 0
        assert np.array_equal(preprocess_image(img), as_input(img)), edge


def test_framed_image_is_inverted_when_edges_are_lighter_than_half():
    r = np.arange(28)
    img = np.where(np.add.outer(r, r) % 2, 128, 127).astype(np.uint8)  # every edge's median 127.5: not light
    img[1:-1, 1:-1] = 0
    img[10:18, 10:18] = 60
    assert [np.median(e) for e in (img[0], img[-1], img[:, 0], img[:, -1])] == [127.5] * 4
    assert np.array_equal(preprocess_image(img), as_input(img))
    img[0], img[-1], img[:, 0], img[:, -1] = 128, 128, 128, 128
    assert np.array_equal(preprocess_image(img), as_input(255 - img))


def test_output_is_one_row():
    img = np.zeros((28, 28), np.uint8)
    assert preprocess_image(img).shape == (1, 784)
    assert preprocess_image(bars(), preprocessing={"image_size": 5, "range": [0, 1],
                                                   "foreground": "light"}).shape == (1, 25)


# ---- warnings
# -----------------------------------------------------------------------------------------------------------


def test_tiny_image_warning_names_width_x_height():
    img = np.zeros((5, 7), np.uint8)
    img[1:4, 2:5] = 255
    with pytest.warns(InputWarning, match=r"^the image is only 7x5 pixels: too small to classify reliably$"):
        preprocess_image(img)
    with pytest.warns(InputWarning, match=r"only 9x7 pixels"):
        preprocess_image(np.pad(img, 1))
    big = np.zeros((8, 8), np.uint8)
    big[2:6, 2:6] = 255
    no_warnings(preprocess_image, big)  # 8 pixels is enough


def test_color_images_are_not_tiny():
    rgb = np.zeros((30, 30, 3), np.uint8)
    rgb[8:22, 8:22] = [200, 30, 30]
    no_warnings(preprocess_image, rgb)
    no_warnings(preprocess_image, np.dstack([rgb, np.full((30, 30), 255, np.uint8)]))


# ---- the preprocessing record
# -------------------------------------------------------------------------------------------


def pre(**changes) -> dict:
    return {"image_size": 28, "range": [-1.0, 1.0], "foreground": "light", **changes}


def test_image_size_from_1_to_1024():
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 10:30] = 255
    assert preprocess_image(square, preprocessing=pre(image_size=1)).tolist() == [[1.0]]
    assert preprocess_image(bars(), preprocessing=pre(image_size=1024)).shape == (1, 1024 * 1024)
    for size in (0, 1025, -1, True, 28.0, "28", None):
        msg = rf"^preprocessing: image_size must be an integer in 1\.\.1024, got {size!r}$"
        with pytest.raises(NNFSError, match=msg):
            preprocess_image(bars(), preprocessing=pre(image_size=size))


def test_range_must_be_two_finite_increasing_numbers():
    out = preprocess_image(bars(), preprocessing=pre(range=(0, 1)))
    assert np.array_equal(out, (as_input(bars_28()) + 1) / 2)
    for rng in ([1, 1], [1, 0], [0, math.inf], [-math.inf, 0], [math.nan, 1], [0, math.nan], [False, True],
                [0, True], ["0", "1"], [0], [0, 1, 2], "01", None, {0: 0, 1: 1},
                [-1e308, 1e308], [0, 1e-300], [0, 0.0009], [-1001, 0], [0, 1001]):  # scales no model used
        message = (r"^preprocessing: range must be two finite numbers \[low, high\] with low < high, "
                   r"within -1000..1000 and at least 0.001 apart; ")
        with pytest.raises(NNFSError, match=message):
            preprocess_image(bars(), preprocessing=pre(range=rng))


def test_foreground_light_or_dark():
    dark = preprocess_image(bars(), preprocessing=pre(foreground="dark"))
    assert np.array_equal(dark, as_input(255 - bars_28()))
    for fg in ("Light", "", None, 1):
        with pytest.raises(NNFSError, match=r"^preprocessing: foreground must be 'light' or 'dark', got "):
            preprocess_image(bars(), preprocessing=pre(foreground=fg))


def test_record_must_have_exactly_the_three_keys():
    for bad in ({}, {"image_size": 28}, {**pre(), "extra": 1}, [28, [-1, 1], "light"], "light"):
        with pytest.raises(NNFSError, match=r"^preprocessing must be a dict with keys image_size, range, "
                                            r"foreground; got "):
            preprocess_image(bars(), preprocessing=bad)


def test_a_huge_record_is_shown_cut_to_200_characters():
    bad = {**pre(), "notes": "x" * 1000}
    with pytest.raises(NNFSError, match="preprocessing must be a dict") as e:
        preprocess_image(bars(), preprocessing=bad)
    prefix = "preprocessing must be a dict with keys image_size, range, foreground; got "
    assert str(e.value) == prefix + repr(bad)[:150] + "..."
    out = preprocess_image(bars(), preprocessing=pre(range=(-1000, -999.999)))   # the widest bounds
    assert out.min() == -1000 and out.max() == np.float32(-999.999)
