"""Model input arrays, per ``spec/taggers.md``.

- WD (SmilingWolf's app / imgutils, the reference): composite on white, pad to a white square
  (image at ``((side - w) // 2, (side - h) // 2)``), BICUBIC resize to the input side only when the side
  differs, float32 0..255, RGB -> BGR, NHWC.
- DeepDanbooru (KichangKim / A1111): fit inside the square keeping the aspect ratio, fill the borders by
  replicating the edge pixels, float32 0..1, RGB, NHWC. KichangKim resizes with area interpolation:
  we use Pillow's BOX filter (area averaging) when shrinking and BICUBIC when enlarging.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from PIL import Image

from promptlab.interrogate.images import on_white


class Layout(str, Enum):
    NHWC = "NHWC"
    NCHW = "NCHW"


def wd_array(img: Image.Image, size: int) -> np.ndarray:
    """One image -> ``(size, size, 3)`` float32 BGR 0..255 (no batch axis)."""
    rgb = on_white(img)
    w, h = rgb.size
    side = max(w, h)
    if side != w or side != h:
        square = Image.new("RGB", (side, side), (255, 255, 255))
        square.paste(rgb, ((side - w) // 2, (side - h) // 2))
        rgb = square
    if side != size:
        rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
    arr = np.asarray(rgb, dtype=np.float32)
    return np.ascontiguousarray(arr[:, :, ::-1])


def deepdanbooru_array(img: Image.Image, size: int) -> np.ndarray:
    """One image -> ``(size, size, 3)`` float32 RGB 0..1 (no batch axis)."""
    rgb = on_white(img)
    w, h = rgb.size
    scale = size / max(w, h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_w, new_h) != (w, h):
        resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC
        rgb = rgb.resize((new_w, new_h), resample)
    arr = np.asarray(rgb, dtype=np.float32) / 255.0
    top, left = (size - new_h) // 2, (size - new_w) // 2
    pad = ((top, size - new_h - top), (left, size - new_w - left), (0, 0))
    return np.pad(arr, pad, mode="edge")


def to_layout(batch: np.ndarray, layout: Layout) -> np.ndarray:
    """``(N, H, W, C)`` -> the model's layout."""
    if layout is Layout.NCHW:
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    return batch
