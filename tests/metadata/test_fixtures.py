"""Every real image in ../shared/fixtures/metadata reads back the values cases.json expects.

Conventions (see the fixture README): null = the reference reports nothing (not asserted), except
``hires``/``upscale`` null, which must stay empty; whitespace at the ends of a prompt may differ
between conventions, so a prompt matches exactly or after strip(); an A1111 ``Denoising strength``
belongs to the hires pass when one is present (A1111's own meaning).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import shared_path
from promptlab.metadata import read

A1111_FAMILY = {"sd-webui", "forge", "forge-classic", "forge-neo", "reforge", "easy-reforge", "sd-next"}
SD_PARSERS_NAMES = {"AUTOMATIC1111": A1111_FAMILY, "ComfyUI": {"comfyui"}, "Fooocus": {"fooocus"},
                    "InvokeAI": {"invokeai"}, "NovelAI": {"novelai"}}
SIMPLE = {"model": "model", "model_hash": "model_hash", "sampler": "sampler", "scheduler": "schedule_type",
          "steps": "steps", "cfg_scale": "cfg_scale", "seed": "seed", "width": "width", "height": "height",
          "clip_skip": "clip_skip"}


def _cases():
    path = shared_path() / "fixtures/metadata/cases.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["fixtures"]


def _same_text(got: str | None, want: str) -> bool:
    """Equal, or equal line by line once each line is stripped: sd-metadata's expected prompts keep
    each line's trailing space, while A1111's parse_generation_parameters strips every prompt line
    (promptlab reads infotexts exactly as A1111 does since 2fa27a9; see tests/metadata/test_infotext.py)."""
    if got == want or (got or "").strip() == want.strip():
        return True
    return [line.strip() for line in (got or "").strip().splitlines()] == [line.strip() for line in want.strip().splitlines()]


def _num(value):
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_fixture(case, shared_dir):
    meta = read(shared_dir / "fixtures/metadata" / case["file"])
    exp = case["expected"]
    if "error" in exp:
        assert meta.error and "0 bytes" in meta.error and meta.params is None
        return
    assert meta.error is None, meta.error
    if exp.get("no_metadata") or exp.get("no_generation_metadata"):
        assert meta.generator is None and meta.params is None
        if exp.get("no_generation_metadata") and case["metadata_locations"]:
            assert meta.raw, "the non-generation text must come back in raw"
        assert ("c2pa" in meta.raw) == bool(exp.get("c2pa_manifest"))
        return
    software = exp["software"]
    allowed = SD_PARSERS_NAMES.get(software, {software})
    if software == "sd-webui" and case["tool"] == "comfyui":
        allowed = {"sd-webui", "comfyui"}  # an A1111-format text written by a ComfyUI save node
    assert meta.generator in allowed
    p = meta.params
    assert p is not None
    if exp.get("prompt_nonempty"):
        assert p.prompt.strip()
        return
    for key in ("prompt", "negative_prompt"):
        if exp.get(key) is not None:
            assert _same_text(getattr(p, key), exp[key]), key
        elif key == "negative_prompt" and key in exp:
            assert not p.negative_prompt.strip()
    for key, field in SIMPLE.items():
        if exp.get(key) is not None:
            assert getattr(p, field) == _num(exp[key]), key
    hires = exp.get("hires")
    if hires is not None:
        assert p.hires_upscale == hires["scale"]
        assert p.hires_upscaler == hires["upscaler"]
        assert p.hires_steps == hires.get("steps")
        assert p.denoising_strength == hires.get("denoise")
    elif "hires" in exp:
        assert p.hires_upscale is None and p.hires_resize_x is None and p.hires_steps is None
        if exp.get("denoise") is not None:
            assert p.denoising_strength == exp["denoise"]
    if exp.get("denoise") is not None and hires is None:
        assert p.denoising_strength == exp["denoise"]
    extra = p.extra_dict()
    upscale = exp.get("upscale")
    if upscale is not None:
        assert extra["Postprocess upscaler"] == upscale["upscaler"]
        assert float(extra["Postprocess upscale by"]) == upscale["scale"]
    elif "upscale" in exp:
        assert "Postprocess upscaler" not in extra
    for key in ("strength", "noise", "sharpness"):
        if key in exp:
            assert float(extra[key]) == exp[key]
    if "character_prompts" in exp:
        assert meta.details.get("character_prompts") == exp["character_prompts"]
        if exp.get("use_coords") is not None:
            assert meta.details["use_coords"] == exp["use_coords"]
            assert meta.details["use_order"] == exp["use_order"]
