"""Pre-processing per spec/taggers.md section 5, and every image mode users feed us."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from promptlab.errors import InvalidInputError
from promptlab.interrogate.images import load_image
from promptlab.interrogate.preprocess import Layout, deepdanbooru_array, to_layout, wd_array


def test_wd_red_becomes_bgr_float_0_255():
    arr = wd_array(Image.new("RGB", (448, 448), (255, 0, 0)), 448)
    assert arr.dtype == np.float32 and arr.shape == (448, 448, 3)
    assert (arr == np.array([0, 0, 255], np.float32)).all()


def test_wd_transparent_pixels_become_white():
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    assert (wd_array(img, 10) == 255).all()


def test_wd_half_transparent_composited_on_white():
    img = Image.new("RGBA", (4, 4), (0, 0, 0, 128))
    value = wd_array(img, 4)[0, 0, 0]
    assert 125 <= value <= 128


def test_wd_448_input_is_not_resampled():
    rgb = np.random.default_rng(0).integers(0, 256, (448, 448, 3), dtype=np.uint8)
    arr = wd_array(Image.fromarray(rgb), 448)
    assert np.array_equal(arr, rgb[:, :, ::-1].astype(np.float32))


@pytest.mark.parametrize(
    ("w", "h", "top", "bottom", "left", "right"),
    [(200, 100, 50, 50, 0, 0), (101, 100, 0, 1, 0, 0), (100, 200, 0, 0, 50, 50), (100, 101, 0, 0, 0, 1)],
    ids=["wide", "wide-odd", "tall", "tall-odd"],
)
def test_wd_padding_is_white_and_centred(w, h, top, bottom, left, right):
    side = max(w, h)
    arr = wd_array(Image.new("RGB", (w, h), (0, 0, 0)), side)
    assert (arr[:top] == 255).all() and (arr[side - bottom:] == 255).all()
    assert (arr[:, :left] == 255).all() and (arr[:, side - right:] == 255).all()
    assert (arr[top:side - bottom, left:side - right] == 0).all()


def test_wd_resizes_to_model_size():
    assert wd_array(Image.new("RGB", (300, 120), (1, 2, 3)), 64).shape == (64, 64, 3)


def test_deepdanbooru_rgb_0_1_with_edge_replicated_borders():
    img = Image.new("RGB", (100, 50), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 100, 1))  # top row red
    arr = deepdanbooru_array(img, 100)
    assert arr.dtype == np.float32 and arr.shape == (100, 100, 3)
    assert arr.max() <= 1.0
    assert np.allclose(arr[:26, 50], [1, 0, 0])  # replicated top edge (red) above the image
    assert np.allclose(arr[-25:, 50], [0, 0, 1])  # replicated bottom edge (blue)


def test_nchw_layout():
    batch = np.zeros((2, 8, 8, 3), np.float32)
    batch[..., 2] = 1
    out = to_layout(batch, Layout.NCHW)
    assert out.shape == (2, 3, 8, 8) and out[:, 2].all()


def _png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def _pixel(source) -> tuple:
    img = load_image(source)
    return img.mode, img.convert("RGBA").getpixel((0, 0))


def test_cmyk_jpeg():
    buf = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(buf, "JPEG", quality=100)
    mode, px = _pixel(buf.getvalue())
    assert mode == "RGB" and px[0] > 240 and px[1] < 20 and px[2] < 20


def test_16bit_greyscale_scaled_not_clipped():
    img = Image.fromarray(np.full((8, 8), 32768, dtype=np.uint16))
    mode, px = _pixel(_png(img))
    assert mode == "RGB" and px[:3] == (128, 128, 128)


def test_palette_with_transparency():
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    mode, px = _pixel(_png(img, transparency=1))
    assert mode == "RGBA" and px[3] == 0


def test_greyscale_alpha():
    mode, px = _pixel(_png(Image.new("LA", (8, 8), (10, 0))))
    assert mode == "RGBA" and px == (10, 10, 10, 0)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"], ids=["gif", "webp"])
def test_animation_uses_first_frame(fmt):
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **({"lossless": True} if fmt == "WEBP" else {}))
    _, px = _pixel(buf.getvalue())
    assert px[0] > 200 and px[2] < 50


def test_huge_jpeg_is_shrunk_while_decoding():
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (0, 128, 0)).save(buf, "JPEG", quality=80)
    img = load_image(buf.getvalue(), target=448)
    assert max(img.size) <= 4 * 448 and img.size[0] / img.size[1] == pytest.approx(4 / 3, rel=0.01)


def test_huge_png_is_reduced():
    img = load_image(_png(Image.new("RGB", (3000, 1000), (0, 0, 0))), target=100)
    assert max(img.size) < 3000 and max(img.size) >= 200


def test_decompression_bomb_reported(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InvalidInputError, match="decompression bomb"):
        load_image(_png(Image.new("RGB", (100, 100))))


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", _png(Image.new("RGB", (64, 64), (1, 2, 3)))[:60]],
    ids=["text", "truncated-png"],
)
def test_unreadable_bytes_give_clear_error(data):
    with pytest.raises(InvalidInputError, match="image"):
        load_image(data)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInputError, match="not found"):
        load_image(tmp_path / "nope.png")


def test_plugin_crash_becomes_clear_error(monkeypatch):
    """Pillow plugins raise odd types (IndexError, struct.error) on malformed data: still one clear error."""
    from PIL import ImageFile

    data = _png(Image.new("RGB", (8, 8)))

    def boom(self):
        raise IndexError("tuple index out of range")

    monkeypatch.setattr(ImageFile.ImageFile, "load", boom)
    with pytest.raises(InvalidInputError, match="IndexError"):
        load_image(data)
