"""AUTOMATIC1111 webui and its forks (Forge, Forge Classic/Neo, reForge, SD.Next, ...): the
infotext in PNG ``parameters`` or in the EXIF UserComment of JPEG/WebP.

Triggers: ``parameters``, ``exif:UserComment`` (and ``jpeg:COM`` / ``Description`` when they hold
a parameter line). JSON texts are left to the JSON readers that come earlier in the registry.
"""

from __future__ import annotations

import re

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import load_json
from promptlab.params import GenerationParams, parse_infotext

TRIGGERS = ("parameters", "exif:UserComment", "jpeg:COM")

_FORGE_VERSION = re.compile(r"^f(\d+)\.\d+\.\d+")
_SIZE = re.compile(r"(\d+)x(\d+)")


def read(extracted: Extracted) -> ReaderResult | None:
    for key in TRIGGERS:
        item = extracted.item(key)
        if item is None or load_json(item.text) is not None:  # JSON is for the JSON readers
            continue
        result = read_text(item.text, require_parameters=key != "parameters")
        if result is not None:
            return ReaderResult(result[0], (result[1],), (key,), "a1111-infotext", result[2])
    return None


def read_text(text: str, *, require_parameters: bool = True) -> tuple[str, GenerationParams, tuple[str, ...]] | None:
    """Parse an infotext; None when it has no parameter line and ``require_parameters``."""
    params, warnings = parse_infotext(text)
    if not params.infotext_order and (require_parameters or not text.strip()):
        return None
    extras = params.extra_dict()
    params = _normalise_variants(params, extras)
    return detect_generator(params, extras), params, warnings


def detect_generator(params: GenerationParams, extras: dict[str, str]) -> str:
    """Which webui wrote it, from ``Version`` and tell-tale keys (best effort)."""
    version = (params.version or "").strip()
    if extras.get("App") == "SD.Next":
        return "sd-next"
    if "Civitai resources" in extras or "Civitai metadata" in extras or "Created Date" in extras:
        return "civitai"
    if version.startswith("Fooocus"):  # Fooocus with its A1111 metadata scheme
        return "fooocus"
    if version == "ComfyUI":
        return "comfyui"
    if version == "classic":
        return "forge-classic"
    if version == "neo":
        return "forge-neo"
    m = _FORGE_VERSION.match(version)
    if m:
        if m.group(1) == "1":  # reForge: "f1.0.0v2-v1.10.1RC-..."; Easy reForge: "f1.3.0-v1.10.1RC-..."
            return "reforge" if re.match(r"^f1\.\d+\.\d+v2-", version) else "easy-reforge"
        return "forge"
    return "sd-webui"


def _normalise_variants(params: GenerationParams, extras: dict[str, str]) -> GenerationParams:
    """Keys forks spell differently, mapped to the A1111 field (the original stays in ``extra``)."""
    changes: dict[str, object] = {}
    if params.hires_upscale is None and "Hires scale" in extras:  # SD.Next
        try:
            changes["hires_upscale"] = float(extras["Hires scale"])
        except ValueError:
            pass
    if "CFG Scale" in extras and "CFG scale" not in params.infotext_order:  # comfy-image-saver
        try:
            changes["cfg_scale"] = float(extras["CFG Scale"])
        except ValueError:
            pass
    first_pass = _SIZE.fullmatch(extras["First pass size"].strip()) if "First pass size" in extras else None
    if first_pass and int(first_pass.group(1)) and int(first_pass.group(2)) and params.hires_resize_x is None:
        # A1111 before 1.0 wrote the final size in Size and the first pass apart; map it the way
        # A1111's restore_old_hires_fix_params does: first pass -> Size, final size -> Hires resize.
        changes.update(width=int(first_pass.group(1)), height=int(first_pass.group(2)),
                       hires_resize_x=params.width, hires_resize_y=params.height,
                       extra=tuple(kv for kv in params.extra if kv[0] != "First pass size"))
    return params.with_(**changes) if changes else params
