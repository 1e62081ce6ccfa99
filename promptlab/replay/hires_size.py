"""The size A1111's hires fix upscales to (``processing.py``: ``hr_upscale_to_x/y``, ``truncate_x/y``).

* ``Hires upscale: s`` -> ``int(width * s) x int(height * s)``.
* ``Hires resize: Wx0`` / ``0xH`` (A1111 writes a 0 for the side left free) -> the other side keeps
  the aspect ratio, with integer division: ``W * height // width``.
* ``Hires resize: WxH`` with another aspect ratio -> upscale to cover WxH keeping the aspect, then
  crop the excess (``crop_x/crop_y``, in latent pixels: 1/8) evenly from both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlab.errors import InvalidInputError

_LATENT = 8   # A1111's opt_f


@dataclass(frozen=True)
class HiresTarget:
    width: int          # the size the first pass is upscaled to
    height: int
    crop_x: int = 0     # latent columns / rows cut away afterwards (A1111's truncate_x / truncate_y)
    crop_y: int = 0

    @property
    def final_size(self) -> tuple[int, int]:
        return self.width - self.crop_x * _LATENT, self.height - self.crop_y * _LATENT


def hires_target(width: int, height: int, scale: float | None, resize_x: int | None,
                 resize_y: int | None) -> HiresTarget:
    rx, ry = int(resize_x or 0), int(resize_y or 0)
    if rx < 0 or ry < 0 or width <= 0 or height <= 0:
        raise InvalidInputError(f"Hires resize {rx}x{ry} of a {width}x{height} image is not a size; "
                                "use positive numbers, or 0 for the side that follows the aspect ratio.")
    if rx == 0 and ry == 0:
        if not scale or scale <= 0:
            raise InvalidInputError("Hires fix needs a scale (Hires upscale) or a size (Hires resize).")
        return _checked(HiresTarget(int(width * scale), int(height * scale)))
    if ry == 0:
        return _checked(HiresTarget(rx, rx * height // width))
    if rx == 0:
        return _checked(HiresTarget(ry * width // height, ry))
    if width / height < rx / ry:
        up_x, up_y = rx, rx * height // width
    else:
        up_x, up_y = ry * width // height, ry
    return _checked(HiresTarget(up_x, up_y, (up_x - rx) // _LATENT, (up_y - ry) // _LATENT))


def _checked(target: HiresTarget) -> HiresTarget:
    w, h = target.final_size
    if w < _LATENT or h < _LATENT:
        raise InvalidInputError(f"Hires fix would make a {w}x{h} image; give a larger Hires resize or upscale.")
    return target
