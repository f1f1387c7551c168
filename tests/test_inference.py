"""Tests of nnfs.inference: probabilities and their guards, and image preprocessing pixel by pixel (arrays,
files of every bit depth, backgrounds, crops, centering), warnings, limits, and accuracy on synthetic
photos."""

import io
import os
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFilter

from nnfs.activations import Linear, ReLU, Softmax
from nnfs.core import NNFSError
from nnfs.datasets import FASHION_MNIST_CLASSES, prepare_images
from nnfs.inference import (
    FASHION_MNIST_PREPROCESSING,
    MAX_PIXELS,
    InputWarning,
    predict_classes,
    predict_images,
    predict_proba,
    preprocess_image,
)
from nnfs.layers import Dense
from nnfs.model import Model


def softmax_model(n_in=784, n_out=10, seed=0) -> Model:
    rng = np.random.default_rng(seed)
    return Model(
        [Dense(n_in, 16, rng=rng, weight_scale=0.05), ReLU(), Dense(16, n_out, rng=rng), Softmax()]
    ).finalize()


def rect(h=100, w=100, box=(40, 30, 50, 50), fg=255, bg=0, dtype=np.uint8) -> np.ndarray:
    "An image of `bg` with a rectangle of `fg` at rows box[0]:box[2], columns box[1]:box[3]."
    a = np.full((h, w), bg, dtype=dtype)
    a[box[0] : box[2], box[1] : box[3]] = fg
    return a


def expected_rect(rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    e = np.full((28, 28), -1.0, np.float32)
    e[rows[0] : rows[1], cols[0] : cols[1]] = 1.0
    return e.reshape(1, -1)


# ---- probabilities
# ------------------------------------------------------------------------------------------


def test_predict_proba_and_classes():
    m = softmax_model()
    X = np.random.default_rng(1).uniform(-1, 1, (5, 784)).astype(np.float32)
    p = predict_proba(m, X)
    assert p.shape == (5, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    labels, conf = predict_classes(m, X)
    assert np.array_equal(labels, p.argmax(axis=1)) and np.array_equal(conf, p.max(axis=1))


def test_predict_proba_refuses_models_without_softmax():
    m = Model([Dense(784, 10), Linear()]).finalize()
    with pytest.raises(NNFSError, match="must end with a Softmax layer .* it ends with Linear"):
        predict_proba(m, np.zeros((1, 784), np.float32))
    with pytest.raises(NNFSError, match="ends with no layer"):
        predict_proba(Model(), np.zeros((1, 784)))


def test_one_vector_gets_a_reshape_hint():
    with pytest.raises(NNFSError, match=r"reshape\(1, -1\)"):
        predict_proba(softmax_model(), np.zeros(784))


def test_unscaled_inputs_warn_and_scaled_do_not():
    m = softmax_model()
    with pytest.warns(InputWarning, match=r"\[0, 255\] but the model was trained on inputs in \[-1, 1\]"):
        predict_proba(m, np.full((2, 784), 255.0, np.float32) * np.r_[0, 1][:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predict_proba(m, np.full((2, 784), 1.0, np.float32))
        predict_proba(m, np.full((2, 784), -1.9, np.float32))  # within half the range of the edge
    m.preprocessing = {"image_size": 28, "range": [0.0, 1.0], "foreground": "light"}
    with pytest.warns(InputWarning, match=r"in \[0, 1\]"):
        predict_proba(m, np.full((1, 784), -1.0, np.float32))


def test_non_finite_outputs_raise():
    m = softmax_model(seed=2)
    for layer in m.trainable_layers:
        layer.weights[...] = 1e30
    with pytest.raises(NNFSError, match="not finite numbers"):
        predict_proba(m, np.ones((1, 784), np.float32))


def test_predict_images_edges():
    m = softmax_model()
    assert predict_images(m, []) == []
    out = predict_images(m, [rect(), rect(fg=0, bg=255)])
    assert len(out) == 2 and all(name in FASHION_MNIST_CLASSES and 0 < c <= 1 for name, c in out)
    with pytest.raises(NNFSError, match="3 class names for a model with 10 outputs"):
        predict_images(m, [rect()], class_names=["a", "b", "c"])
    small = softmax_model(n_in=16, n_out=3)
    small.preprocessing = {"image_size": 4, "range": [-1.0, 1.0], "foreground": "light"}
    assert [n for n, _ in predict_images(small, [rect()], class_names="xyz")][0] in "xyz"


def test_prepare_images_accepts_flat_rows():
    flat = np.arange(2 * 784).reshape(2, 784) % 256
    assert np.array_equal(prepare_images(flat), prepare_images(flat.reshape(2, 28, 28)))


# ---- pixels of hand-made images
# -----------------------------------------------------------------------------


def test_28x28_light_on_dark_passes_unchanged_and_dark_on_light_is_inverted():
    rng = np.random.default_rng(0)
    img = np.zeros((28, 28), np.uint8)
    img[2:26, 5:23] = rng.integers(1, 256, (24, 18))
    assert np.array_equal(preprocess_image(img), prepare_images(img[None]))
    assert np.array_equal(preprocess_image(255 - img), prepare_images(img[None]))
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    buf.seek(0)
    assert np.array_equal(preprocess_image(Image.open(buf)), prepare_images(img[None]))


def test_crop_resize_and_center_exact_pixels():
    # a 10x20 rectangle: longest side 20 -> 28, so 14x28, centered: rows 7..21
    assert np.array_equal(preprocess_image(rect(box=(40, 30, 50, 50))), expected_rect((7, 21), (0, 28)))
    # a 20x10 rectangle: 28x14, columns 7..21
    assert np.array_equal(preprocess_image(rect(box=(10, 60, 30, 70))), expected_rect((0, 28), (7, 21)))
    # a 4x28 rectangle: 4 rows, odd margin of 24 -> top 12
    assert np.array_equal(preprocess_image(rect(box=(50, 10, 54, 38))), expected_rect((12, 16), (0, 28)))
    # 3x28: margin 25 -> top 12, the extra row below
    assert np.array_equal(preprocess_image(rect(box=(50, 10, 53, 38))), expected_rect((12, 15), (0, 28)))


def test_background_decision():
    light_on_dark = preprocess_image(rect(box=(20, 30, 80, 60)))
    assert np.array_equal(preprocess_image(rect(box=(20, 30, 80, 60), fg=0, bg=255)), light_on_dark)
    assert np.array_equal(
        preprocess_image(rect(box=(20, 30, 80, 60), fg=60, bg=200)), light_on_dark
    )  # stretched
    red_on_beige = np.zeros((100, 100, 3), np.uint8) + np.array([225, 205, 170], np.uint8)
    red_on_beige[20:80, 30:60] = [200, 30, 30]
    assert np.array_equal(preprocess_image(red_on_beige), light_on_dark)
    touching = rect(box=(0, 0, 100, 40))  # an object along the whole left edge: the median ignores it
    assert np.array_equal(preprocess_image(touching), preprocess_image(rect(box=(5, 10, 95, 46))))


def test_forced_inversion():
    img = rect(box=(20, 30, 80, 60), fg=0, bg=255)
    assert np.array_equal(preprocess_image(img, invert=True), preprocess_image(rect(box=(20, 30, 80, 60))))
    assert preprocess_image(img, invert=False).max() == 1.0  # the light background is taken as the object


def test_preprocessing_record_is_applied():
    pre = {"image_size": 10, "range": [0.0, 1.0], "foreground": "dark"}
    out = preprocess_image(rect(box=(0, 0, 100, 100)), preprocessing=pre)
    assert out.shape == (1, 100)
    out = preprocess_image(rect(box=(30, 30, 70, 70)), preprocessing=pre)
    assert out.min() == 0.0 and out.max() == 0.0  # the square fills the frame, dark = 0
    for bad in (
        {"image_size": 0, "range": [0, 1], "foreground": "light"},
        {"image_size": 28, "range": [1, 0], "foreground": "light"},
        {"image_size": 28, "range": [0, 1], "foreground": "blue"},
        {"image_size": 28},
    ):
        with pytest.raises(NNFSError, match="preprocessing"):
            preprocess_image(rect(), preprocessing=bad)
    assert FASHION_MNIST_PREPROCESSING == {"image_size": 28, "range": [-1.0, 1.0], "foreground": "light"}


# ---- arrays: dtypes, ranges, shapes
# -------------------------------------------------------------------------


def test_array_dtypes():
    base = preprocess_image(rect())
    assert np.array_equal(preprocess_image(rect().astype(bool)), base)
    assert np.array_equal(preprocess_image(rect(fg=65535, dtype=np.uint16)), base)  # scaled, no wrap-around
    assert np.array_equal(preprocess_image(rect(fg=1.0, dtype=np.float32)), base)
    assert np.array_equal(preprocess_image(rect().astype(np.int64)), base)
    assert np.array_equal(preprocess_image(rect()[..., None]), base)
    assert np.array_equal(preprocess_image(np.repeat(rect()[..., None], 3, axis=2)), base)
    rgba = np.dstack([np.repeat(rect()[..., None], 3, axis=2), np.full((100, 100), 255, np.uint8)])
    assert np.array_equal(preprocess_image(rgba), base)
    transparent = rgba.copy()
    transparent[..., 3] = 0
    transparent[40:50, 30:50, 3] = 255
    transparent[..., :3] = 0  # a black rectangle on transparent paper (white)
    assert np.array_equal(preprocess_image(transparent), base)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((0, 5), np.uint8), "not empty"),
        (np.zeros((5, 5, 2), np.uint8), r"\(H, W\), \(H, W, 3\) or \(H, W, 4\)"),
        (np.zeros((2, 5, 5, 3), np.uint8), "got shape"),
        (np.full((5, 5), 2.0), "float pixels must be in 0..1"),
        (np.full((5, 5), -0.5), "float pixels must be in 0..1"),
        (np.full((5, 5), np.nan), "NaN or inf"),
        (np.full((5, 5), 300, np.int32), "integer pixels must be in 0..255"),
        (np.full((5, 5), -1, np.int8), "integer pixels must be in 0..255"),
        (np.full((5, 5), 1 + 1j), "got dtype complex128"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(NNFSError, match=message):
        preprocess_image(array)


def test_other_inputs():
    with pytest.raises(NNFSError, match="expected a file path, a PIL image or a NumPy array, got int"):
        preprocess_image(3)
    with pytest.raises(NNFSError, match="got list"):
        preprocess_image([[0, 1]])


def test_blank_and_tiny_images_warn():
    with pytest.warns(InputWarning, match="looks blank"):
        assert np.array_equal(
            preprocess_image(np.full((50, 50), 200, np.uint8)), np.full((1, 784), -1, np.float32)
        )
    with pytest.warns(InputWarning, match="only 3x3 pixels"):
        preprocess_image(np.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        preprocess_image(rect(h=8, w=8, box=(2, 2, 6, 6)))  # 8x8 is the smallest size without the warning


# ---- files
# --------------------------------------------------------------------------------------------------


def test_file_errors(tmp_path):
    with pytest.raises(NNFSError, match="image not found: .*nope.png"):
        preprocess_image(tmp_path / "nope.png")
    with pytest.raises(NNFSError, match="not an image file but a folder"):
        preprocess_image(tmp_path)
    (tmp_path / "t.png").write_text("hello")
    with pytest.raises(NNFSError, match="cannot read image .*t.png: not an image file in a known format"):
        preprocess_image(tmp_path / "t.png")
    Image.fromarray(rect()).save(tmp_path / "r.png")
    assert np.array_equal(preprocess_image(os.fsencode(tmp_path / "r.png")), preprocess_image(rect()))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.png")
        with pytest.raises(NNFSError, match="not a regular file"):
            preprocess_image(tmp_path / "fifo.png")


def test_bit_depths(tmp_path):
    base = preprocess_image(rect())
    Image.fromarray(rect(fg=65535, dtype=np.uint16)).save(tmp_path / "16.png")
    assert Image.open(tmp_path / "16.png").mode.startswith("I")
    assert np.array_equal(preprocess_image(tmp_path / "16.png"), base)
    Image.fromarray(rect(fg=4095, dtype=np.int32), "I").save(tmp_path / "12.tif", tiffinfo={258: 12})
    Image.fromarray(rect(fg=1.0, dtype=np.float32), "F").save(tmp_path / "f.tif")
    assert np.array_equal(preprocess_image(tmp_path / "f.tif"), base)
    Image.fromarray(rect(fg=7.5, dtype=np.float32), "F").save(tmp_path / "f7.tif")
    with pytest.raises(NNFSError, match="float pixels range over \\[0, 7.5\\]"):
        preprocess_image(tmp_path / "f7.tif")
    Image.fromarray(rect(fg=2**31 - 1, dtype=np.int32), "I").save(tmp_path / "32.tif")
    assert np.array_equal(preprocess_image(tmp_path / "32.tif"), base)
    lab = Image.new("LAB", (20, 20))
    with pytest.raises(NNFSError, match="LAB color images are not supported"):
        preprocess_image(lab)


def test_extreme_aspect_ratio_is_bounded(tmp_path):
    Image.new("L", (60000, 1), 0).save(tmp_path / "wide.png")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        out = preprocess_image(tmp_path / "wide.png")
    assert out.shape == (1, 784) and time.perf_counter() - start < 5
    a = np.zeros((100, 20000), np.uint8)
    a[40:60, 1000:19000] = 255
    out = preprocess_image(a).reshape(28, 28)
    bright = (out > 0).sum(axis=1)
    assert bright.max() >= 26 and (bright > 0).sum() <= 2  # a thin bar across, centered
    assert bright[13] + bright[14] >= 26


def test_over_large_image_refused(tmp_path):
    Image.new("L", (300, 300), 0).save(tmp_path / "big.png")
    with pytest.raises(NNFSError, match="has 300x300 pixels, more than the limit of 1,000"):
        preprocess_image(tmp_path / "big.png", max_pixels=1000)


# ---- synthetic photos
# ---------------------------------------------------------------------------------------


def _background(h, w, rng, kind):
    base = {"light": rng.uniform(200, 250, 3), "dark": rng.uniform(5, 60, 3)}.get(
        kind, rng.uniform(60, 230, 3)
    )
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    bg = np.ones((h, w, 3)) * base
    bg *= (1 + rng.uniform(-0.15, 0.15) * (xx - 0.5) + rng.uniform(-0.15, 0.15) * (yy - 0.5))[..., None]
    if kind == "textured":
        f = rng.uniform(4, 20)
        bg += (12 * np.sin(2 * np.pi * f * xx + rng.uniform(0, 6)) * np.sin(2 * np.pi * f * yy))[..., None]
        bg += rng.normal(0, 8, (h, w, 1))
    return bg


def photo(item28: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A Fashion-MNIST item as a photo: scaled, recolored, on a background of `kind`, with noise and maybe a
    shadow."""
    side = max(1, int(round(28 * rng.uniform(3, 9))))
    a = np.clip(
        np.asarray(Image.fromarray(item28).resize((side, side), Image.Resampling.BICUBIC), float) / 255, 0, 1
    )
    h, w = side + int(rng.integers(10, 80)), side + int(rng.integers(10, 160))
    out = _background(h, w, rng, kind)
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    light = float(out.mean())
    target = rng.uniform(0, light - 90) if light > 127.5 else rng.uniform(light + 90, 255)  # contrast
    color = np.clip(rng.uniform(0, 255, 3) - 127.5 + target, 0, 255)
    mask, shade = np.clip(a * 4, 0, 1), 0.55 + 0.45 * a
    garment = color * (shade if color.mean() > light else 1.45 - shade)[..., None]
    if rng.random() < 0.5:
        s = (
            np.asarray(
                Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(side / 20)),
                float,
            )
            / 255
            * 0.35
        )
        d = max(1, side // 25)
        region = out[top + d : top + d + side, left + d : left + d + side]
        region *= 1 - s[: region.shape[0], : region.shape[1], None]
    patch = out[top : top + side, left : left + side]
    out[top : top + side, left : left + side] = patch * (1 - mask[..., None]) + garment * mask[..., None]
    return np.clip(out + rng.normal(0, rng.uniform(1, 8), out.shape), 0, 255)


def encode(rgb: np.ndarray, fmt: str) -> Image.Image:
    "Store a photo as PNG, JPEG, RGBA PNG or 16-bit gray PNG, and open it again as a file would be."
    buf = io.BytesIO()
    if fmt == "png16":
        g = (rgb @ np.array([0.299, 0.587, 0.114])) * 257
        Image.fromarray(np.clip(g.round(), 0, 65535).astype(np.uint16)).save(buf, "PNG")
    elif fmt == "rgba":
        rgba = np.dstack([rgb.round().astype(np.uint8), np.full(rgb.shape[:2], 255, np.uint8)])
        Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    else:
        Image.fromarray(rgb.round().astype(np.uint8)).save(
            buf, "JPEG" if fmt == "jpeg" else "PNG", quality=85
        )
    buf.seek(0)
    return Image.open(buf)


@pytest.fixture(scope="module")
def trained():
    "A 784-128-10 network trained for 2 epochs on the training split, and the validation images as pixels."
    from nnfs.datasets import fashion_mnist_split
    from nnfs.losses import CategoricalCrossentropy
    from nnfs.optimizers import Adam

    try:
        X_train, y_train, X_val, y_val = fashion_mnist_split()
    except NNFSError:
        pytest.skip("Fashion-MNIST not available")
    rng = np.random.default_rng(0)
    m = Model(
        [
            Dense(784, 128, weight_scale=np.sqrt(2 / 784), rng=rng),
            ReLU(),
            Dense(128, 10, weight_scale=np.sqrt(1 / 128), rng=rng),
            Softmax(),
        ]
    )
    m.set(loss=CategoricalCrossentropy(), optimizer=Adam(1e-3)).finalize()
    m.train(X_train, y_train, epochs=2, batch_size=128, progress=False, rng=rng)
    images = np.round(X_val * 127.5 + 127.5).astype(np.uint8).reshape(-1, 28, 28)
    return m, X_val, y_val, images


def test_validation_images_as_png_files_agree_exactly(trained, tmp_path):
    m, X_val, y_val, images = trained
    for i in range(300):
        Image.fromarray(images[i]).save(tmp_path / f"{i}.png")
    X = np.concatenate([preprocess_image(tmp_path / f"{i}.png") for i in range(300)])
    assert np.array_equal(X, X_val[:300])
    got = [n for n, _ in predict_images(m, [tmp_path / f"{i}.png" for i in range(300)])]
    want = [FASHION_MNIST_CLASSES[k] for k in predict_classes(m, X_val[:300])[0]]
    assert got == want


def test_synthetic_photo_accuracy(trained):
    """Photos of validation items on light, dark, colored and textured backgrounds, stored as PNG, JPEG, RGBA
    and 16-bit PNG. Measured when this was written: 21.3% with the former fixed-threshold preprocessing,
    82.5% now, 87.1% for the same items given directly (1,000 photos, a 3-epoch model)."""
    m, X_val, y_val, images = trained
    rng = np.random.default_rng(1)
    kinds, formats = ("light", "dark", "colored", "textured"), ("png", "jpeg", "rgba", "png16")
    n = 160
    photos = [encode(photo(images[i], rng, kinds[i % 4]), formats[(i // 4) % 4]) for i in range(n)]
    names = np.array([name for name, _ in predict_images(m, photos)])
    hit = names == np.array([FASHION_MNIST_CLASSES[k] for k in y_val[:n]])
    direct = np.mean(predict_classes(m, X_val[:n])[0] == y_val[:n])
    assert hit.mean() > 0.7 and hit.mean() > direct - 0.15, (hit.mean(), direct)
    for k, kind in enumerate(kinds):
        assert hit[k::4].mean() > 0.55, (kind, hit[k::4].mean())


# ---- exact scales, limits and error paths
# -------------------------------------------------------------------


def framed(image) -> np.ndarray:
    "The 0..255 pixels preprocess_image gives a 28x28 gray image with dark edges (passed through unchanged)."
    return np.round(preprocess_image(image).reshape(28, 28) * 127.5 + 127.5).astype(int)


def with_pixels(values, dtype, mode=None):
    "A 28x28 image of zeros with `values` along row 14 from column 4 (as a PIL image of `mode` if given)."
    a = np.zeros((28, 28), dtype)
    a[14, 4 : 4 + len(values)] = values
    return Image.fromarray(a, mode) if mode else a


def test_warnings_point_at_the_caller():
    with pytest.warns(InputWarning) as rec:
        predict_proba(softmax_model(), np.full((1, 784), 255.0, np.float32))
    assert rec[0].filename == __file__
    with pytest.warns(InputWarning, match="looks blank") as rec:
        preprocess_image(np.zeros((50, 50), np.uint8))
    assert rec[0].filename == __file__


def test_error_names_the_last_layer_not_another():
    m = Model([Dense(784, 16), ReLU(), Dense(16, 10)]).finalize()
    with pytest.raises(NNFSError, match="it ends with Dense$"):
        predict_proba(m, np.zeros((1, 784), np.float32))


def test_one_vector_is_refused_by_predict_proba_itself():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before the range check could warn
        with pytest.raises(NNFSError, match=r"^predict_proba: X must be 2-D, one sample per row; got shape"):
            predict_proba(softmax_model(), np.full(784, 255.0))


def test_range_warning_boundaries():
    "Half the range beyond each edge of [-1, 1] is accepted: -2 and 2 exactly do not warn, a bit more does."
    m = softmax_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predict_proba(m, np.array([[-2.0] * 784, [2.0] * 784], np.float32))
    for v in (-2.01, 2.01):
        with pytest.warns(InputWarning, match="inputs range over"):
            predict_proba(m, np.full((1, 784), v, np.float32))


def test_default_pixel_limit_is_64_million(tmp_path):
    "A 64,000,001-pixel image is refused from its header alone; 64,000,000 passes the limit (then decodes)."

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    def png_header(w: int, h: int) -> bytes:
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")

    assert MAX_PIXELS == 64_000_000
    (tmp_path / "over.png").write_bytes(png_header(64_000_001, 1))
    with pytest.raises(NNFSError, match=r"has 64000001x1 pixels, more than the limit of 64,000,000"):
        preprocess_image(tmp_path / "over.png")
    (tmp_path / "at.png").write_bytes(png_header(8000, 8000))
    with pytest.raises(NNFSError, match="truncated"):  # past the size check: the (empty) pixel data fails
        preprocess_image(tmp_path / "at.png")


def test_pixel_limit_is_inclusive(tmp_path):
    Image.fromarray(rect()).save(tmp_path / "r.png")
    at_limit = preprocess_image(tmp_path / "r.png", max_pixels=100 * 100)
    assert np.array_equal(at_limit, preprocess_image(rect()))
    with pytest.raises(NNFSError, match="more than the limit of 9,999"):
        preprocess_image(tmp_path / "r.png", max_pixels=100 * 100 - 1)


def test_large_images_are_box_shrunk_to_1024():
    "1025 pixels is over the 1024 working size: 2x2 boxes are averaged, fine stripes become gray, not lost."
    a = np.zeros((1025, 1025), np.uint8)
    a[256:768, 257:768:2] = 255  # every other column of a square
    im = Image.fromarray(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not blank
        out = preprocess_image(im)
    assert np.array_equal(out, preprocess_image(im.reduce(2)))


def test_large_palette_image_is_subsampled():
    a = np.zeros((1030, 1030), np.uint8)
    a[400:600, 300:700] = 1
    im = Image.fromarray(a, "P")
    im.putpalette([0, 0, 0, 255, 255, 255])
    assert np.array_equal(preprocess_image(im), expected_rect((7, 21), (0, 28)))


def test_stat_failure_names_the_reason(tmp_path):
    Image.fromarray(rect()).save(tmp_path / "r.png")
    with pytest.raises(NNFSError, match=r"^cannot read image .*r\.png/x\.png: Not a directory$"):
        preprocess_image(tmp_path / "r.png" / "x.png")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    Image.fromarray(rect(h=20, w=20, box=(5, 5, 15, 15))).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow refuses over twice this
    with pytest.raises(NNFSError, match=r"image .*bomb\.png is too large to open"):
        preprocess_image(tmp_path / "bomb.png", max_pixels=10**9)


def test_permission_denied_is_reported(tmp_path, monkeypatch):
    Image.fromarray(rect()).save(tmp_path / "r.png")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Image, "open", denied)  # root may read any file: simulate the refusal
    with pytest.raises(NNFSError, match=r"cannot read image .*r\.png: permission denied$"):
        preprocess_image(tmp_path / "r.png")


def test_decoder_message_is_cut_to_200_characters(tmp_path, monkeypatch):
    Image.fromarray(rect()).save(tmp_path / "r.png")

    def long_failure(*args, **kwargs):
        raise OSError("broken " * 100)

    monkeypatch.setattr(Image.Image, "load", long_failure)
    with pytest.raises(NNFSError, match="OSError") as e:
        preprocess_image(tmp_path / "r.png")
    detail = str(e.value).split("OSError: ", 1)[1]
    assert len(detail) == 203 and detail.startswith("broken broken") and detail.endswith("...")


def test_a_file_that_is_not_an_image_names_the_formats(tmp_path):
    path = tmp_path / "n.png"
    path.write_text("not an image")
    with pytest.raises(NNFSError) as e:
        preprocess_image(path)
    assert str(e.value) == (f"cannot read image {path}: not an image file in a known format (PNG, JPEG, BMP, "
                            "GIF, TIFF, WEBP, PPM, TGA, ICO, PCX)")


def test_32_bit_file_is_scaled_by_its_declared_depth(tmp_path):
    """A 32-bit TIFF is scaled by 2**31 - 1 (Pillow reads 32-bit samples as signed integers) even when its
    values are small (an array would be taken as 16-bit): 2**30 -> 127.5 -> 128, 2e8 -> 23.7 -> 24."""
    Image.fromarray(with_pixels([2**30, 2 * 10**8], np.int32), "I").save(tmp_path / "big.tif")
    assert framed(tmp_path / "big.tif")[14, 4:6].tolist() == [128, 24]
    Image.fromarray(with_pixels([65535, 255], np.int32), "I").save(tmp_path / "small.tif")
    assert Image.open(tmp_path / "small.tif").tag_v2[258] in (32, (32,))
    assert framed(tmp_path / "small.tif").max() == 0
    assert framed(with_pixels([65535, 255], np.int32, "I"))[14, 4:6].tolist() == [255, 1]


@pytest.mark.parametrize(
    "values, expected",
    [
        ([100, 255], [100, 255]),  # fits 8 bits: as is
        ([256], [1]),  # 16 bits: 256 * 255 / 65535
        ([65535, 257 * 100], [255, 100]),
        ([65536, 2**24], [0, 2]),  # 32 bits, signed: 2**24 * 255 / (2**31 - 1) = 1.99
        ([2**30], [128]),
    ],
)
def test_integer_image_without_declared_depth_takes_the_smallest_that_fits(values, expected):
    assert framed(with_pixels(values, np.int32, "I"))[14, 4 : 4 + len(values)].tolist() == expected


def test_negative_integer_pixels_are_refused():
    with pytest.raises(NNFSError, match=r"negative pixel values \(-5\): a signed or unsigned 32-bit image"):
        preprocess_image(with_pixels([-5, 100], np.int32, "I"))


def test_16_bit_image_exact_scale():
    "I;16 pixels are v * 255 / 65535, rounded: 65407 -> 254.502 -> 255, 64892 -> 252.498 -> 252."
    im = Image.fromarray(with_pixels([65535, 65407, 64892, 257 * 7], np.uint16))
    assert im.mode == "I;16"
    assert framed(im)[14, 4:8].tolist() == [255, 255, 252, 7]


def test_float_image_scale_and_refusals():
    assert framed(with_pixels([1.0, 0.2], np.float32, "F"))[14, 4:6].tolist() == [255, 51]
    with pytest.raises(NNFSError, match=r"float pixels range over \[0, 1.5\]"):
        preprocess_image(with_pixels([1.5], np.float32, "F"))
    with pytest.raises(NNFSError, match="the image holds NaN or infinite pixels"):
        preprocess_image(with_pixels([np.nan], np.float32, "F"))


def test_transparent_gray_and_palette_images_lie_on_white_paper(tmp_path):
    base = preprocess_image(rect())
    la = Image.merge("LA", [Image.new("L", (100, 100), 0), Image.fromarray(rect())])  # black, opaque rect
    assert np.array_equal(preprocess_image(la), base)
    p = Image.fromarray(rect(fg=1), "P")
    p.putpalette([0, 0, 0, 0, 0, 0])
    p.save(tmp_path / "p.png", transparency=0)  # index 0 (outside the rect) transparent
    reopened = Image.open(tmp_path / "p.png")
    assert reopened.mode == "P" and "transparency" in reopened.info
    assert np.array_equal(preprocess_image(reopened), base)


def test_palette_image_is_converted_to_colors():
    p = Image.fromarray(rect(fg=1), "P")
    p.putpalette([0, 0, 0, 255, 255, 255])
    assert np.array_equal(preprocess_image(p), preprocess_image(rect()))


def test_unconvertible_mode_is_refused():
    with pytest.raises(NNFSError, match="cannot convert a La image to RGB"):
        preprocess_image(Image.new("La", (20, 20)))


def test_array_scales_exact():
    box = (5, 5, 20, 20)
    assert framed(rect(28, 28, box).astype(bool)).max() == 255
    assert framed(rect(28, 28, box, fg=1.0, dtype=np.float32)).max() == 255
    assert framed(with_pixels([65535, 257 * 9, 65407], np.uint16))[14, 4:7].tolist() == [255, 9, 255]
    assert framed(with_pixels([255, 3], np.int32))[14, 4:6].tolist() == [255, 3]
    with pytest.raises(
        NNFSError, match=r"in 0..255 \(or uint16\), got dtype int32 with values in \[0, 256\]"
    ):
        preprocess_image(with_pixels([256], np.int32))


# ---- hostile images: formats that run programs, memory per pixel format, leaks, odd sizes, misuse ---------


def test_eps_named_png_never_runs_ghostscript(tmp_path, monkeypatch):
    "The reproduction: `innocent.png` holding an EPS program made Pillow run `gs` on it."
    bin_dir, log = tmp_path / "bin", tmp_path / "gs-called"
    bin_dir.mkdir()
    (bin_dir / "gs").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 1\n')
    (bin_dir / "gs").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    (tmp_path / "innocent.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n")
    with pytest.raises(NNFSError, match="innocent.png: not an image file in a known format"):
        preprocess_image(tmp_path / "innocent.png")
    assert not log.exists()


_PEAK_SCRIPT = """
import resource, sys, numpy as np
from PIL import Image
from nnfs.inference import preprocess_image
path = sys.argv[1]
with Image.open(path) as im: mode = im.mode
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
preprocess_image(path)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(mode, (after - before) // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["P", "1", "LA", "I;16", "L"])
def test_memory_does_not_depend_on_the_pixel_format(tmp_path, mode):
    """The reproduction: at 64 megapixels an 8 KB palette PNG needed 1.26 GB, against 164 MB in gray (1-bit,
    LA and 16-bit alike). Shrunk in its own format before any float conversion, an image costs about its
    decoded size (at most 2 bytes per pixel here) plus a small working copy."""
    import subprocess
    import sys

    side = 6000
    a = np.zeros((side, side), np.uint8)
    a[1000:5000, 2000:4000] = 1
    if mode == "P": im = Image.fromarray(a, "P")
    elif mode == "1": im = Image.fromarray(a.astype(bool))
    elif mode == "LA": im = Image.fromarray(np.dstack([a * 200, np.full_like(a, 255)]), "LA")
    elif mode == "I;16": im = Image.fromarray(a.astype(np.uint16) * 60000)
    else: im = Image.fromarray(a * 200)
    if mode == "P": im.putpalette([0, 0, 0, 255, 255, 255])
    im.save(tmp_path / "big.png")
    del im, a
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(tmp_path / "big.png")], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr[-2000:]
    got_mode, extra_mib = out.stdout.split()
    assert got_mode.startswith(mode[0])
    decoded_mib = side * side * (2 if mode in ("LA", "I;16") else 1) / 2**20
    assert int(extra_mib) < decoded_mib + 120, (mode, extra_mib)


def test_multi_frame_files_leave_no_open_file(tmp_path):
    "The reproduction: GIF, multi-page TIFF and ICO files left an open file behind (a ResourceWarning)."
    import gc

    frames = [Image.fromarray(rect(h=40, w=40, fg=v)) for v in (255, 128)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    frames[0].convert("RGBA").save(tmp_path / "icon.ico", sizes=[(32, 32), (16, 16)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("anim.gif", "pages.tif", "icon.ico"):
            preprocess_image(tmp_path / name)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("value", [0, 255])
def test_a_blank_28x28_image_warns_like_a_large_one(value):
    "The reproduction: a blank 28x28 image was classified with no warning, the same image at 280x280 warned."
    for side in (28, 280):
        with pytest.warns(InputWarning, match="looks blank"):
            preprocess_image(np.full((side, side), value, np.uint8))


def test_tiny_warning_gives_the_image_s_own_size(tmp_path):
    "The reproduction: a 1x60000 image was reported by its shrunk size (1x1017)."
    Image.fromarray(np.full((1, 60000), 200, np.uint8)).save(tmp_path / "line.png")
    with pytest.warns(InputWarning, match=r"the image is only 60000x1 pixels"):
        preprocess_image(tmp_path / "line.png")
    with pytest.warns(InputWarning, match=r"the image is only 3x2000 pixels"):
        preprocess_image(np.full((2000, 3), 200, np.uint8))


def test_32_bit_integer_tiff_of_a_garment_gives_the_garment(tmp_path):
    """The reproduction: a 32-bit integer TIFF (mode I, full int32 range) of a test garment was classified as
    another garment. Scaled by the range of its format, it gives the 8-bit image's input exactly."""
    from nnfs.datasets import fashion_mnist

    X, _, _, _ = fashion_mnist()
    garment = X[0]
    wide = np.round(garment.astype(np.float64) * (2**31 - 1) / 255).astype(np.int32)
    Image.fromarray(wide).save(tmp_path / "garment.tif")
    assert Image.open(tmp_path / "garment.tif").mode == "I" and wide.max() > 2**30
    assert np.array_equal(preprocess_image(tmp_path / "garment.tif"), prepare_images(garment[None]))


@pytest.mark.parametrize("invert", ["yes", 1, 0.0, "False"])
def test_invert_must_be_none_true_or_false(invert):
    "The reproduction: invert='yes' was accepted (and taken as True)."
    with pytest.raises(NNFSError, match="preprocess_image: invert must be None, True or False, got"):
        preprocess_image(rect(), invert=invert)


@pytest.mark.parametrize("max_pixels", ["x", 0, 2.5, None])
def test_max_pixels_must_be_a_positive_integer(max_pixels):
    "The reproduction: max_pixels='x' was reported as 'cannot read image ... TypeError'."
    with pytest.raises(NNFSError, match="max_pixels must be"):
        preprocess_image(rect(), max_pixels=max_pixels)


def test_the_package_and_the_command_work_without_pillow():
    "Pillow is an extra: importing the package never imports it; opening a file names the extra."
    import subprocess
    import sys

    code = """
import sys; sys.modules["PIL"] = None
import numpy as np
import nnfs.cli, nnfs.datasets, nnfs.inference, nnfs.recipes, nnfs.serialization
assert nnfs.cli.main(["--version"]) == 0
assert nnfs.inference.preprocess_image(np.eye(28, dtype=np.uint8) * 200).shape == (1, 784)
try: nnfs.inference.preprocess_image("x.png")
except nnfs.NNFSError as e: print(e)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "reading image files needs PIL: pip install 'nnfs-course[images]'"
