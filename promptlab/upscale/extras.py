"""A1111's Extras tab for files: open safely, upscale, write a PNG that keeps the input's metadata.

What A1111 writes (``modules/postprocessing.py``): the input's text chunks (``parameters`` and any
other) are kept, and the postprocessing infotext — ``Postprocess upscale by: 2, Postprocess
upscaler: R-ESRGAN 4x+`` — is added as two more chunks, ``postprocessing`` and ``extras``. The
``parameters`` text itself is not changed. We do the same; a JPEG/WebP input's EXIF infotext
becomes the output's ``parameters`` chunk.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlab.backend.models import ModelRoots
from promptlab.upscale.core import check_output_size, check_scale, upscale_by, upscale_to
from promptlab.upscale.errors import UpscaleInputError
from promptlab.upscale.load import LoadedUpscaler, load_upscaler
from promptlab.upscale.names import Upscaler, UpscalerKind, resolve_upscaler
from promptlab.upscale.tiling import TileSettings

# inputs are refused by their declared size, before any pixel is decoded
MAX_INPUT_SIDE = 8192
MAX_INPUT_PIXELS = 8192 * 8192
MAX_INPUT_BYTES = 256 * 2**20  # a file this large is no image we could take anyway
# chunks we write ourselves; an input's old ones are replaced, not duplicated
_OWN_CHUNKS = ("postprocessing", "extras")


@dataclass(frozen=True)
class SourceImage:
    """A decoded input and the metadata to carry over."""

    name: str
    image: Any
    parameters: str | None
    chunks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExtrasResult:
    source: str
    output: Path | None
    width: int
    height: int
    upscaler: str
    postprocessing: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "output": str(self.output) if self.output else None, "width": self.width,
                "height": self.height, "upscaler": self.upscaler, "postprocessing": self.postprocessing,
                "seconds": round(self.seconds, 3)}


def open_source(data: bytes | str | os.PathLike[str], *, name: str | None = None) -> SourceImage:
    """Check the declared size, then decode. Raises ``UpscaleInputError`` for anything unusable."""
    from PIL import Image

    from promptlab.interrogate.images import normalize_mode
    from promptlab.metadata.extract import NotAnImageError, extract

    if not isinstance(data, (bytes, bytearray, memoryview)):
        path = Path(data)
        name = name or str(path)
        if not path.is_file():
            raise UpscaleInputError("upscale.err_not_found", name=name)
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise UpscaleInputError("upscale.err_too_many_bytes", name=name, mb=path.stat().st_size >> 20,
                                    limit=MAX_INPUT_BYTES >> 20)
        data = path.read_bytes()
    name = name or "image"
    data = bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides below
            with Image.open(io.BytesIO(data)) as probe:  # header only
                width, height = probe.size
    except Image.DecompressionBombError:
        raise UpscaleInputError("upscale.err_too_large", name=name, size="> 178M px", side=MAX_INPUT_SIDE,
                                pixels=MAX_INPUT_PIXELS) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise UpscaleInputError("upscale.err_not_image", name=name, error=str(exc) or type(exc).__name__) from None
    if width > MAX_INPUT_SIDE or height > MAX_INPUT_SIDE or width * height > MAX_INPUT_PIXELS:
        raise UpscaleInputError("upscale.err_too_large", name=name, size=f"{width}x{height}", side=MAX_INPUT_SIDE,
                                pixels=MAX_INPUT_PIXELS)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            # 16-bit and float greyscale scaled to 8 bits (a plain convert("RGB") clips them to white)
            image = normalize_mode(opened.copy())
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UpscaleInputError("upscale.err_not_image", name=name, error=str(exc) or type(exc).__name__) from None
    try:
        extracted = extract(io.BytesIO(data))
    except NotAnImageError:  # Pillow reads formats (BMP, GIF, ...) that carry no generation metadata
        return SourceImage(name, image, None)
    parameters = extracted.get("parameters") or extracted.get("exif:UserComment")
    kept = []
    if extracted.container == "PNG":
        for item in extracted.items:
            if item.key not in ("parameters", *_OWN_CHUNKS) and item.location.startswith("png:"):
                kept.append((item.key, item.text))
    return SourceImage(name, image, parameters, tuple(kept))


def postprocess_infotext(upscaler: str, *, scale: float | None = None, size: tuple[int, int] | None = None,
                         crop: bool = False) -> str:
    """A1111's postprocessing infotext, keys in its order."""
    items = []
    if size is not None:
        items.append(f"Postprocess upscale to: {size[0]}x{size[1]}")
    else:
        items.append(f"Postprocess upscale by: {_number(scale)}")
    items.append(f"Postprocess upscaler: {upscaler}")
    if size is not None and crop:
        items.append(f"Postprocess crop to: {size[0]}x{size[1]}")
    return ", ".join(items)


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else "1"


@dataclass
class Extras:
    """One Extras job over many images: resolves the name once and keeps the loaded model.

    Owned by the caller (a CLI run, a server, a page's cached resource), never module state.
    """

    upscaler_name: str
    roots: ModelRoots = field(default_factory=ModelRoots.from_args)
    scale: float | None = 2.0
    size: tuple[int, int] | None = None
    crop: bool = True
    tiles: TileSettings = TileSettings()
    device: str = "auto"
    # how a model upscaler is loaded (a server passes one that keeps the last model); None = load_upscaler
    loader: Callable[[Upscaler], LoadedUpscaler] | None = None
    upscaler: Upscaler = field(init=False)
    _loaded: LoadedUpscaler | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # 1. check everything cheap before anything is loaded or written
        if self.size is not None and self.scale is not None:
            raise UpscaleInputError("upscale.err_scale_and_resize")
        if self.size is None:
            self.scale = check_scale(2.0 if self.scale is None else self.scale)
        else:
            check_output_size(*self.size)
        self.upscaler = resolve_upscaler(self.upscaler_name, self.roots, allow_latent=False)

    @property
    def loaded(self) -> LoadedUpscaler | None:
        if self.upscaler.kind is UpscalerKind.MODEL and self._loaded is None:
            assert self.upscaler.path is not None
            if self.loader is not None:
                self._loaded = self.loader(self.upscaler)
            else:
                self._loaded = load_upscaler(self.upscaler.path, name=self.upscaler.name, device=self.device)
        return self._loaded

    def infotext(self) -> str:
        return postprocess_infotext(self.upscaler.name, scale=self.scale, size=self.size, crop=self.crop)

    def run(self, source: SourceImage, on_tile=None) -> Any:
        """The upscaled PIL image (RGB)."""
        from PIL import Image

        image = source.image.convert("RGB")
        if self.size is None:
            return upscale_by(image, self.upscaler, self.scale, loaded=self.loaded, tiles=self.tiles, on_tile=on_tile)
        width, height = self.size
        if not self.crop:
            return upscale_to(image, self.upscaler, width, height, loaded=self.loaded, tiles=self.tiles,
                              on_tile=on_tile)
        # A1111: scale to cover WxH, then centre the result on a WxH canvas (the excess is cropped). The
        # cover size is exact here; A1111 rounds it down to a multiple of 8 and can leave black edges.
        ratio = max(width / image.width, height / image.height)
        cover = (max(width, round(image.width * ratio)), max(height, round(image.height * ratio)))
        scaled = upscale_to(image, self.upscaler, *cover, loaded=self.loaded, tiles=self.tiles, on_tile=on_tile)
        left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
        return scaled.crop((left, top, left + width, top + height))

    def png_bytes(self, source: SourceImage, image: Any) -> bytes:
        from promptlab.metadata.write import png_bytes

        return png_bytes(image, source.parameters, self._chunks(source))

    def _chunks(self, source: SourceImage) -> dict[str, str]:
        info = self.infotext()
        return {**dict(source.chunks), "postprocessing": info, "extras": info}

    def process_file(self, source: SourceImage, out_path: Path, on_tile=None) -> ExtrasResult:
        from promptlab.metadata.write import save_png

        start = time.perf_counter()
        image = self.run(source, on_tile)
        save_png(image, out_path, source.parameters, self._chunks(source))  # atomic: never a partial file
        return ExtrasResult(source.name, out_path, image.width, image.height, self.upscaler.name, self.infotext(),
                            time.perf_counter() - start)


def output_path(source: str | Path, out_dir: str | Path | None, inputs: set[Path]) -> Path:
    """``<stem>-upscaled.png`` in ``out_dir`` (default: beside the input); never one of the inputs."""
    src = Path(source)
    folder = Path(out_dir) if out_dir is not None else src.parent
    target = folder / f"{src.stem}-upscaled.png"
    if target.resolve() in inputs:
        raise UpscaleInputError("upscale.err_out_is_input", name=str(target))
    return target
