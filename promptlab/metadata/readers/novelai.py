"""NovelAI: PNG ``Comment`` JSON beside ``Description`` / ``Software`` / ``Source`` chunks;
WebP/JPEG EXIF (``Software`` = "NovelAI Diffusion ...", UserComment = ``{"Comment": "<json>"}``);
and the same JSON as a ``stealth_pngcomp`` alpha payload (decoded by ``reading``).

Triggers: ``Comment``, ``Software``, ``Source``, ``exif:Software``, ``exif:UserComment``.
V4 character prompts (``v4_prompt.caption.char_captions``) go to ``details["character_prompts"]``.
"""

from __future__ import annotations

import json
from typing import Any

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import ReaderResult
from promptlab.metadata.readers._util import json_dict, to_float, to_int
from promptlab.params import GenerationParams

TRIGGERS = ("Comment", "Software", "Source", "exif:Software", "exif:UserComment")

_USED = {"prompt", "uc", "steps", "scale", "seed", "sampler", "noise_schedule", "width", "height",
         "v4_prompt", "v4_negative_prompt", "signed_hash", "request_type"}


def read(extracted: Extracted) -> ReaderResult | None:
    software = extracted.get("Software") or extracted.get("exif:Software") or ""
    source = extracted.get("Source") or (software if software.startswith("NovelAI Diffusion") else "")
    claimed = [k for k in ("Comment", "Software", "Source", "Description", "Title", "Generation time")
               if extracted.get(k) is not None]
    comment = json_dict(extracted.get("Comment"))
    if comment is None:
        outer = json_dict(extracted.get("exif:UserComment"))
        if outer is not None and isinstance(outer.get("Comment"), str):
            comment = json_dict(outer["Comment"])
            claimed.append("exif:UserComment")
            source = outer.get("Source") or source
    is_nai = software.startswith("NovelAI") or source.startswith(("NovelAI", "Stable Diffusion"))
    if comment is None or not is_nai and not ({"uc", "scale", "steps"} <= comment.keys()):
        return None
    claimed += [k for k in ("exif:Software", "exif:ImageDescription") if extracted.get(k) is not None]
    description = extracted.get("Description") or (extracted.get("exif:ImageDescription") or "").strip()
    return _result(comment, description, source, tuple(dict.fromkeys(claimed)))


def _result(c: dict[str, Any], description: str, source: str, claimed: tuple[str, ...]) -> ReaderResult:
    v4 = c.get("v4_prompt") if isinstance(c.get("v4_prompt"), dict) else None
    v4_neg = c.get("v4_negative_prompt") if isinstance(c.get("v4_negative_prompt"), dict) else None
    prompt = c.get("prompt") if isinstance(c.get("prompt"), str) else None
    if prompt is None and v4:
        prompt = (v4.get("caption") or {}).get("base_caption")
    negative = c.get("uc") if isinstance(c.get("uc"), str) else None
    if negative is None and v4_neg:
        negative = (v4_neg.get("caption") or {}).get("base_caption")
    model, model_hash = None, None
    if source:
        name, _, tail = source.rpartition(" ")
        model, model_hash = (name, tail) if name and len(tail) == 8 else (source, None)
    values: dict[str, Any] = {
        "prompt": prompt if prompt is not None else description, "negative_prompt": negative or "",
        "sampler": c.get("sampler") or "", "schedule_type": c.get("noise_schedule"),
        "model": model, "model_hash": model_hash,
    }
    for name, key, conv in (("steps", "steps", to_int), ("cfg_scale", "scale", to_float), ("seed", "seed", to_int),
                            ("width", "width", to_int), ("height", "height", to_int)):
        value = conv(c.get(key))
        if value is not None:
            values[name] = value
    if "img2img" in str(c.get("request_type", "")).lower() or c.get("image") is not None:
        values["denoising_strength"] = to_float(c.get("strength"))
    extra = tuple((k, json.dumps(v) if not isinstance(v, str) else v) for k, v in c.items()
                  if k not in _USED and isinstance(v, (str, int, float, bool)) and v != "")
    details: dict[str, Any] = {"nai_version": "nai4" if v4 else "nai3"}
    if v4:
        chars = ((v4.get("caption") or {}).get("char_captions")) or []
        details["character_prompts"] = [
            {"prompt": ch.get("char_caption", ""), "center": (ch.get("centers") or [None])[0]}
            for ch in chars if isinstance(ch, dict)] or None
        details["use_coords"] = v4.get("use_coords")
        details["use_order"] = v4.get("use_order")
        neg_chars = ((v4_neg or {}).get("caption") or {}).get("char_captions") or []
        if any(isinstance(ch, dict) and ch.get("char_caption") for ch in neg_chars):
            details["character_negative_prompts"] = [ch.get("char_caption", "") for ch in neg_chars if isinstance(ch, dict)]
    if c.get("request_type"):
        details["request_type"] = c["request_type"]
    params = GenerationParams(**values, extra=extra)
    return ReaderResult("novelai", (params,), claimed, "novelai-json", (), details)


def convert_to_a1111(params_list: tuple[GenerationParams, ...], details: dict[str, Any],
                     fmt: str) -> tuple[tuple[GenerationParams, ...], dict[str, Any], list[str]]:
    """Rewrite NovelAI prompt syntax ({}, [], w::x::) as A1111 syntax; originals go to ``details``."""
    convert = _converter()
    if convert is None:
        return params_list, details, ["NovelAI -> A1111 prompt conversion is not available "
                                      "(promptlab.syntax.convert is missing); prompts are as stored"]
    src = details.get("nai_version", "nai3")
    out, warnings = [], []
    details = dict(details)
    for i, p in enumerate(params_list):
        converted = convert(p.prompt, src=src, dst="a1111")
        converted_neg = convert(p.negative_prompt, src=src, dst="a1111")
        if i == 0:
            details["original_prompt"] = p.prompt
            details["original_negative_prompt"] = p.negative_prompt
        warnings += [f"prompt conversion: {w}" for w in (*converted.warnings, *converted_neg.warnings)]
        warnings += [f"prompt conversion lost: {w}" for w in (*converted.losses, *converted_neg.losses)]
        out.append(p.with_(prompt=converted.text, negative_prompt=converted_neg.text))
    if details.get("character_prompts"):
        details["character_prompts"] = [
            {**ch, "prompt": convert(ch.get("prompt", ""), src=src, dst="a1111").text, "original_prompt": ch.get("prompt", "")}
            for ch in details["character_prompts"]]
    return tuple(out), details, warnings


def _converter() -> Any:
    """``promptlab.syntax.convert`` (the function; the name may also be its submodule)."""
    import importlib

    try:
        syntax = importlib.import_module("promptlab.syntax")
    except ImportError:
        return None
    found = getattr(syntax, "convert", None)
    if found is not None and not callable(found):
        found = getattr(found, "convert", None)
    if found is None:
        try:
            found = getattr(importlib.import_module("promptlab.syntax.convert"), "convert", None)
        except ImportError:
            return None
    return found if callable(found) else None
