"""Opening user images for the taggers: every mode Pillow reads, first frame, bounded memory.

Pillow's own decompression-bomb guard stays in force (it refuses images above
``2 * Image.MAX_IMAGE_PIXELS``, about 179 megapixels); we do not change that global, we turn its
error into a message that says what happened. Large images are shrunk before the full decode where
the format allows it (JPEG: DCT-domain ``draft``), and otherwise by an integer ``reduce`` right after
decoding, never below ``2 * target`` on the short side of the final square, so the model still sees
an antialiased downscale.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from promptlab.errors import InvalidInputError

ImageSource = str | Path | bytes | BinaryIO | Image.Image

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"})


def _name(source: ImageSource) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return getattr(source, "name", None) or "<image>"


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and float greyscale -> 8-bit L by scaling (``convert('L')`` would clip at 255)."""
    arr = np.asarray(img)
    if img.mode.startswith("I;16") or (img.mode == "I" and arr.max(initial=0) > 255):
        scaled = arr.astype(np.float32) / 257.0
    elif img.mode == "F" and arr.size and float(np.nanmax(arr)) <= 1.0:
        scaled = arr.astype(np.float32) * 255.0
    else:
        scaled = arr.astype(np.float32)
    return Image.fromarray(np.clip(np.rint(np.nan_to_num(scaled)), 0, 255).astype(np.uint8), "L")


def normalize_mode(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> ``RGBA`` (when it carries transparency) or ``RGB``."""
    mode = img.mode
    if mode.startswith("I") or mode == "F":
        return _to_8bit(img).convert("RGB")
    if mode == "P":
        return img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return img.convert("RGBA")
    if mode == "L" and "transparency" in img.info:
        return img.convert("RGBA")
    if mode == "RGB" and "transparency" in img.info:
        return img.convert("RGBA")
    return img.convert("RGB")


def load_image(source: ImageSource, *, target: int | None = None) -> Image.Image:
    """Open ``source`` as an ``RGB`` or ``RGBA`` image (first frame of animations).

    ``target``: the model's input side. When given, huge images are shrunk early (see module doc).
    Raises InvalidInputError for unreadable, truncated or bomb-sized files.
    """
    name = _name(source)
    if isinstance(source, Image.Image):
        img = source
    else:
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                img = Image.open(source)
        except Image.DecompressionBombError as exc:
            raise InvalidInputError(
                f"{name}: refused as a possible decompression bomb ({exc}). "
                "Shrink the image with an image editor first."
            ) from None
        except FileNotFoundError:
            raise InvalidInputError(f"{name}: file not found.") from None
        except (UnidentifiedImageError, OSError) as exc:
            raise InvalidInputError(f"{name}: not a readable image ({exc}).") from None
        except Exception as exc:  # Pillow's format plugins raise IndexError, struct.error, ... on bad headers
            raise InvalidInputError(f"{name}: not a readable image ({type(exc).__name__}: {exc}).") from None
    try:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)
        if target and img.format == "JPEG":
            side = max(img.size)
            if side > 4 * target:
                scale = (2 * target) / side
                img.draft("RGB", (max(1, int(img.size[0] * scale)), max(1, int(img.size[1] * scale))))
        img.load()
        if img.format in ("JPEG", "TIFF", "WEBP", "PNG"):
            img = ImageOps.exif_transpose(img)
        if target:
            factor = max(img.size) // (2 * target)
            if factor >= 2:
                img = img.reduce(int(factor))
        return normalize_mode(img)
    except MemoryError:
        raise InvalidInputError(f"{name}: not enough memory to decode this image; shrink it first.") from None
    except Exception as exc:  # as above: damaged data surfaces as many exception types inside Pillow
        raise InvalidInputError(
            f"{name}: the image data is damaged or unsupported ({type(exc).__name__}: {exc}).") from None


def on_white(img: Image.Image) -> Image.Image:
    """Alpha-composite onto an opaque white canvas; RGB in, RGB out."""
    if img.mode != "RGBA":
        return img.convert("RGB") if img.mode != "RGB" else img
    canvas = Image.new("RGBA", img.size, (255, 255, 255, 255))
    canvas.alpha_composite(img)
    return canvas.convert("RGB")
