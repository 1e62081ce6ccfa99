"""GenerationParams: one field per A1111 infotext key.

Field names are the snake_case of the infotext key (``"CFG scale"`` -> ``cfg_scale``). Keys
promptlab does not know are kept verbatim and in order in ``extra`` so that a
read-then-write round trip loses nothing. ``Size: WxH`` maps to ``width``/``height``.

Infotext parsing and formatting (``from_infotext`` / ``to_infotext``) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class GenerationParams:
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 20
    sampler: str = "Euler a"
    schedule_type: str | None = None        # "Schedule type"; None = Automatic / not written
    cfg_scale: float = 7.0
    seed: int = -1
    subseed: int | None = None
    subseed_strength: float | None = None
    width: int = 512
    height: int = 512
    model: str | None = None                # "Model": checkpoint name (or path / hub id when requesting)
    model_hash: str | None = None           # "Model hash": A1111's short sha256 (10 hex)
    vae: str | None = None                  # "VAE"
    vae_hash: str | None = None             # "VAE hash"
    clip_skip: int = 1                      # "Clip skip": A1111 numbering, missing means 1
    denoising_strength: float | None = None
    batch_size: int = 1
    batch_count: int = 1                    # not an infotext key (A1111 keeps it in the UI only)
    emphasis: str | None = None             # "Emphasis": Original / No norm / None / comfy
    eta: float | None = None                # "Eta"
    ensd: int | None = None                 # "ENSD"
    hires_upscale: float | None = None      # "Hires upscale"
    hires_resize_x: int | None = None       # "Hires resize" WxH
    hires_resize_y: int | None = None
    hires_steps: int | None = None          # "Hires steps"
    hires_upscaler: str | None = None       # "Hires upscaler"
    hires_sampler: str | None = None        # "Hires sampler"
    hires_schedule_type: str | None = None  # "Hires schedule type"
    hires_cfg_scale: float | None = None    # "Hires CFG Scale"
    hires_prompt: str | None = None         # "Hires prompt"
    hires_negative_prompt: str | None = None  # "Hires negative prompt"
    hires_checkpoint: str | None = None     # "Hires checkpoint"
    lora_hashes: str | None = None          # "Lora hashes"
    ti_hashes: str | None = None            # "TI hashes"
    hashes: str | None = None               # "Hashes" (JSON as written by A1111)
    version: str | None = None              # "Version"
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def with_(self, **changes: Any) -> GenerationParams:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
