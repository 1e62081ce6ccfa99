"""A1111's UI limits, checked before a request leaves promptlab (a clear message, not a server 400).

Checked against A1111's ``modules/ui.py`` and ``shared_options.py``: steps 1..150, width/height
64..2048 in steps of 8, CFG scale 0..30 (the UI slider starts at 1, but the API takes 0..1 and mixes
``uncond + cfg * (cond - uncond)`` as promptlab's local backend does), clip skip 1..12 ("CLIP_stop_at_last_layers"), hires
upscale 1..4, hires steps 0..150, denoising strength 0..1, batch size 1..8, batch count 1..100.
"""

from __future__ import annotations

from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.i18n import t

# (field, label, low, high)
A1111_LIMITS: tuple[tuple[str, str, float, float], ...] = (
    ("steps", "Steps", 1, 150),
    ("width", "Width", 64, 2048),
    ("height", "Height", 64, 2048),
    ("cfg_scale", "CFG scale", 0, 30),
    ("clip_skip", "Clip skip", 1, 12),
    ("hires_upscale", "Hires upscale", 1, 4),
    ("hires_steps", "Hires steps", 0, 150),
    ("denoising_strength", "Denoising strength", 0, 1),
    ("batch_size", "Batch size", 1, 8),
    ("batch_count", "Batch count", 1, 100),
    ("hires_resize_x", "Hires resize width", 0, 2048),
    ("hires_resize_y", "Hires resize height", 0, 2048),
)
_MULTIPLE_OF_8 = (("width", "Width"), ("height", "Height"))


def check_a1111_limits(params: Any) -> None:
    """Raise InvalidInputError naming the first value outside A1111's limits."""
    for field, label, low, high in A1111_LIMITS:
        value = getattr(params, field, None)
        if value is None:
            continue
        if not low <= value <= high:
            raise InvalidInputError(t("replay.error.out_of_range", "en", name=label, value=value,
                                      low=_num(low), high=_num(high)))
    for field, label in _MULTIPLE_OF_8:
        value = getattr(params, field)
        if value % 8:
            raise InvalidInputError(t("replay.error.not_multiple", "en", name=label, value=value))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
