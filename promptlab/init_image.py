"""img2img's input: the init image (encoded bytes, checked before decoding) and how it is fitted.

``InitImage`` travels on ``GenerationParams.init_image`` so that grids, pools and every backend pass it
through unchanged. It keeps the file's bytes (hashable, sendable over HTTP) and the size the file
declares; the size is checked against ``MAX_INIT_SIDE`` / ``MAX_INIT_PIXELS`` from the header alone, so
a 60000x60000 "image" is refused before anything is decoded.

``resize_image`` is A1111's ``modules/images.py: resize_image`` (Lanczos, no upscaler model): 0 just
resize, 1 crop and resize (fill the frame, centre, cut the overflow), 2 resize and fill (fit inside,
centre, stretch the edge rows/columns into the bands). Mode 3, latent upscale, resizes the *latents*
(bilinear) after encoding the image at its own size; the backend does that part.

Light at import: Pillow is imported inside functions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from promptlab.errors import InvalidInputError

MAX_INIT_SIDE = 16384
MAX_INIT_PIXELS = 8192 * 8192
MAX_INIT_BYTES = 200_000_000
DEFAULT_DENOISE = 0.75  # A1111's img2img default


class ResizeMode(Enum):
    """A1111's resize modes; ``.index`` is the number its API's ``resize_mode`` takes."""

    JUST_RESIZE = "Just resize"
    CROP_AND_RESIZE = "Crop and resize"
    RESIZE_AND_FILL = "Resize and fill"
    LATENT_UPSCALE = "Just resize (latent upscale)"

    @property
    def index(self) -> int:
        return list(ResizeMode).index(self)

    @property
    def slug(self) -> str:
        """The CLI spelling: just-resize, crop-and-resize, resize-and-fill, latent-upscale."""
        return _SLUGS[self]

    @classmethod
    def parse(cls, value: Any) -> ResizeMode:
        """A mode from its index (0-3, A1111's API), CLI slug or A1111 label."""
        if isinstance(value, ResizeMode):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(cls):
            return list(cls)[value]
        if isinstance(value, str):
            text = value.strip().lower()
            for mode in cls:
                if text in (mode.slug, mode.value.lower(), str(mode.index)):
                    return mode
        raise Img2ImgError("img2img.err.resize_mode", value=str(value),
                           choices=", ".join(m.slug for m in cls))


_SLUGS = {ResizeMode.JUST_RESIZE: "just-resize", ResizeMode.CROP_AND_RESIZE: "crop-and-resize",
          ResizeMode.RESIZE_AND_FILL: "resize-and-fill", ResizeMode.LATENT_UPSCALE: "latent-upscale"}
RESIZE_SLUGS = tuple(_SLUGS.values())


class Img2ImgError(InvalidInputError):
    """Bad img2img input. Carries an i18n key so the UI shows it translated; ``str()`` is English."""

    def __init__(self, key: str, **fmt: Any) -> None:
        self.key = key
        self.fmt = fmt
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        from promptlab.i18n import t

        return t(self.key, lang, **self.fmt)


@dataclass(frozen=True)
class InitImage:
    """An init image as its encoded file. Build it with ``from_bytes`` / ``from_path`` / ``from_pil``
    (they check the file); ``width``/``height`` are the size the file declares."""

    data: bytes = field(repr=False)
    width: int
    height: int
    format: str
    name: str = ""
    resize_mode: ResizeMode = ResizeMode.JUST_RESIZE
    exact_steps: bool = False   # A1111's "img2img_fix_steps": run exactly `steps`, on a longer schedule
    # sha256 of ``data``, computed once (``replace`` carries it over) so that repr -- the grid's cell key --
    # tells two images apart without hashing megabytes per cell
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "", resize_mode: Any = ResizeMode.JUST_RESIZE,
                   exact_steps: bool = False) -> InitImage:
        width, height, fmt = probe(data, name=name)
        return cls(bytes(data), width, height, fmt, name, ResizeMode.parse(resize_mode), bool(exact_steps))

    @classmethod
    def from_path(cls, path: str | Path, **options: Any) -> InitImage:
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_INIT_BYTES:
                raise Img2ImgError("img2img.err.too_many_bytes", name=path.name, mb=size >> 20,
                                   limit=MAX_INIT_BYTES >> 20)
            data = path.read_bytes()
        except OSError as exc:
            raise Img2ImgError("img2img.err.unreadable", name=str(path), error=exc.strerror or str(exc)) from None
        return cls.from_bytes(data, name=options.pop("name", path.name), **options)

    @classmethod
    def from_pil(cls, image: Any, *, name: str = "", **options: Any) -> InitImage:
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return cls.from_bytes(buffer.getvalue(), name=name, **options)

    def with_options(self, *, resize_mode: Any = None, exact_steps: bool | None = None) -> InitImage:
        from dataclasses import replace

        return replace(self, resize_mode=self.resize_mode if resize_mode is None else ResizeMode.parse(resize_mode),
                       exact_steps=self.exact_steps if exact_steps is None else bool(exact_steps))

    @property
    def sha256(self) -> str:
        return self.digest

    def decode(self) -> Any:
        """The image as RGB; transparency is flattened over white (A1111's img2img background)."""
        import io

        from PIL import Image

        try:
            with Image.open(io.BytesIO(self.data)) as opened:
                opened.load()
                image = opened.copy()
        except (OSError, Image.DecompressionBombError, ValueError) as exc:
            raise Img2ImgError("img2img.err.not_image", name=self.name or "init image", error=str(exc)) from None
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            flat.alpha_composite(rgba)
            return flat.convert("RGB")
        return image.convert("RGB")

    def describe(self) -> dict[str, Any]:
        """JSON-safe summary (for grid cell records and logs): no pixels."""
        return {"name": self.name, "sha256": self.sha256, "width": self.width, "height": self.height,
                "resize_mode": self.resize_mode.value, "exact_steps": self.exact_steps}


def probe(data: bytes, *, name: str = "") -> tuple[int, int, str]:
    """(width, height, format) from the file's header; refuses non-images and oversized declarations."""
    import io
    import warnings

    from PIL import Image

    label = name or "init image"
    if not data:
        raise Img2ImgError("img2img.err.not_image", name=label, error="empty file")
    if len(data) > MAX_INIT_BYTES:
        raise Img2ImgError("img2img.err.too_many_bytes", name=label, mb=len(data) >> 20, limit=MAX_INIT_BYTES >> 20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides below
            with Image.open(io.BytesIO(data)) as image:   # reads the header only
                width, height, fmt = image.width, image.height, image.format or "?"
    except Image.DecompressionBombError:
        raise Img2ImgError("img2img.err.too_large", name=label, size="> 178M px",
                           side=MAX_INIT_SIDE, pixels=MAX_INIT_PIXELS) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise Img2ImgError("img2img.err.not_image", name=label, error=str(exc)) from None
    if width > MAX_INIT_SIDE or height > MAX_INIT_SIDE or width * height > MAX_INIT_PIXELS:
        raise Img2ImgError("img2img.err.too_large", name=label, size=f"{width}x{height}",
                           side=MAX_INIT_SIDE, pixels=MAX_INIT_PIXELS)
    if width < 1 or height < 1:
        raise Img2ImgError("img2img.err.not_image", name=label, error=f"size {width}x{height}")
    return width, height, fmt


def check_denoise(value: float | None) -> float:
    """The denoising strength to use (None = A1111's 0.75); outside 0..1 is refused."""
    import math

    if value is None:
        return DEFAULT_DENOISE
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise Img2ImgError("img2img.err.denoise", value=str(value))
    return number


def size_from_image(width: int, height: int) -> tuple[int, int]:
    """A1111's "resize by 1": the image's size rounded down to multiples of 8 (at least 64)."""
    return max(64, width - width % 8), max(64, height - height % 8)


def resize_image(mode: ResizeMode, image: Any, width: int, height: int) -> Any:
    """A1111's ``images.resize_image`` with Lanczos (its default when no img2img upscaler is set)."""
    from PIL import Image

    lanczos = Image.Resampling.LANCZOS
    if mode in (ResizeMode.JUST_RESIZE, ResizeMode.LATENT_UPSCALE):
        return image.resize((width, height), resample=lanczos)
    ratio, src_ratio = width / height, image.width / image.height
    if mode is ResizeMode.CROP_AND_RESIZE:
        src_w = width if ratio > src_ratio else image.width * height // image.height
        src_h = height if ratio <= src_ratio else image.height * width // image.width
    else:
        src_w = width if ratio < src_ratio else image.width * height // image.height
        src_h = height if ratio >= src_ratio else image.height * width // image.width
    resized = image.resize((src_w, src_h), resample=lanczos)
    out = Image.new("RGB", (width, height))
    out.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
    if mode is ResizeMode.RESIZE_AND_FILL:
        # the empty bands get the first/last row (or column) stretched over them, as A1111 does
        if ratio < src_ratio:
            fill = height // 2 - src_h // 2
            if fill > 0:
                out.paste(resized.resize((width, fill), box=(0, 0, width, 0)), box=(0, 0))
                out.paste(resized.resize((width, fill), box=(0, resized.height, width, resized.height)),
                          box=(0, fill + src_h))
        elif ratio > src_ratio:
            fill = width // 2 - src_w // 2
            if fill > 0:
                out.paste(resized.resize((fill, height), box=(0, 0, 0, height)), box=(0, 0))
                out.paste(resized.resize((fill, height), box=(resized.width, 0, resized.width, height)),
                          box=(fill + src_w, 0))
    return out


def supports_img2img(backend: Any) -> bool:
    """Whether ``backend`` takes ``params.init_image`` (backends say so with ``supports_img2img = True``)."""
    return bool(getattr(backend, "supports_img2img", False))


def require_img2img(backend: Any, params: Any) -> None:
    """Refuse an init image for a backend that would otherwise ignore it (txt2img only)."""
    if params.init_image is not None and not supports_img2img(backend):
        raise Img2ImgError("img2img.err.unsupported", backend=str(getattr(backend, "name", type(backend).__name__)))
