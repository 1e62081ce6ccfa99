"""What reading an image gives back, and the shape every reader has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.params import GenerationParams

# The fields of `promptlab info --json`, in order (besides file, generator, extra, warnings, error).
JSON_FIELDS = (
    "prompt", "negative_prompt", "steps", "sampler", "schedule_type", "cfg_scale", "seed", "width",
    "height", "model", "model_hash", "clip_skip", "denoising_strength", "hires_upscale", "hires_resize_x",
    "hires_resize_y", "hires_steps", "hires_upscaler", "hires_sampler", "hires_schedule_type",
    "hires_cfg_scale", "hires_prompt", "hires_negative_prompt", "hires_checkpoint",
)


@dataclass(frozen=True)
class ReaderResult:
    """What one reader understood. ``params_list`` has one entry per sampler / generation."""

    generator: str                            # "sd-webui", "forge", "comfyui", "novelai", ...
    params_list: tuple[GenerationParams, ...]
    claimed: tuple[str, ...]                  # keys of the text items this reader used
    format: str                               # "a1111-infotext", "comfyui-graph", "novelai-json", ...
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # tool-specific extras, JSON-able


@dataclass(frozen=True)
class Reader:
    """One tool's reader. ``triggers``: item keys whose presence makes it worth asking."""

    name: str
    triggers: tuple[str, ...]
    read: Callable[[Extracted], ReaderResult | None]


@dataclass(frozen=True)
class ImageMetadata:
    """Everything ``promptlab.metadata.read`` found in one image. Never raised: see ``error``."""

    source: str                                # the path, or "<bytes>"
    generator: str | None = None               # None: no generation metadata found
    params: GenerationParams | None = None     # the first (main) parameter set
    raw: dict[str, str] = field(default_factory=dict)   # every text item found, key -> text
    warnings: tuple[str, ...] = ()
    error: str | None = None                   # set when the file could not be read at all
    params_list: tuple[GenerationParams, ...] = ()      # all sets (ComfyUI graphs with several samplers)
    format: str | None = None                  # how the metadata was written (see ReaderResult.format)
    container: str | None = None               # "PNG" / "JPEG" / "WebP"
    image_width: int | None = None             # pixel size from the header (not the generation size)
    image_height: int | None = None
    locations: tuple[str, ...] = ()            # where the used metadata sat ("png:iTXt[parameters]")
    unclaimed: tuple[str, ...] = ()            # keys of raw that no reader used
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        """The object ``promptlab info --json`` prints for this file."""
        p = self.params
        out: dict[str, Any] = {"file": self.source, "generator": self.generator}
        for name in JSON_FIELDS:
            out[name] = getattr(p, name) if p is not None else None
        out["extra"] = dict(p.extra) if p is not None else {}
        out["format"] = self.format
        out["params_count"] = len(self.params_list)
        if len(self.params_list) > 1:
            out["params_list"] = [_params_json(q) for q in self.params_list]
        if self.details:
            out["details"] = self.details
        out["unclaimed"] = {key: self.raw[key] for key in self.unclaimed if key in self.raw}
        out["warnings"] = list(self.warnings)
        out["error"] = self.error
        return out


def _params_json(p: GenerationParams) -> dict[str, Any]:
    out = {name: getattr(p, name) for name in JSON_FIELDS}
    out["extra"] = dict(p.extra)
    return out
