"""Upscaler names resolve as A1111's: built-in names, file stems, the plain and latent ones."""

from __future__ import annotations

import pytest

from promptlab.errors import InvalidInputError, ModelNotFoundError
from promptlab.upscale import UpscaleInputError, UpscalerKind, UpscalerNotFoundError, list_upscalers, resolve_upscaler


@pytest.mark.parametrize(("name", "canonical", "kind", "file"), [
    ("R-ESRGAN 4x+", "R-ESRGAN 4x+", UpscalerKind.MODEL, "RealESRGAN_x4plus.pth"),
    ("r-esrgan 4x+", "R-ESRGAN 4x+", UpscalerKind.MODEL, "RealESRGAN_x4plus.pth"),
    ("R-ESRGAN General 4xV3", "R-ESRGAN General 4xV3", UpscalerKind.MODEL, "realesr-general-x4v3.pth"),
    ("4x-Tiny", "4x-Tiny", UpscalerKind.MODEL, "4x-Tiny.safetensors"),
    ("4x-tiny.safetensors", "4x-Tiny", UpscalerKind.MODEL, "4x-Tiny.safetensors"),
    ("RealESRGAN_x4plus", "RealESRGAN_x4plus", UpscalerKind.MODEL, "RealESRGAN_x4plus.pth"),
    ("Lanczos", "Lanczos", UpscalerKind.IMAGE, None),
    ("nearest", "Nearest", UpscalerKind.IMAGE, None),
    ("None", "None", UpscalerKind.IMAGE, None),
    ("Latent (bicubic antialiased)", "Latent (bicubic antialiased)", UpscalerKind.LATENT, None),
], ids=["builtin", "builtin-case", "compact", "stem", "stem-suffix", "builtin-file-stem", "lanczos", "nearest-case",
        "none", "latent"])
def test_resolve(roots, name, canonical, kind, file):
    up = resolve_upscaler(name, roots)
    assert (up.name, up.kind) == (canonical, kind)
    assert (up.path.name if up.path else None) == file


@pytest.mark.parametrize(("name", "error", "match"), [
    ("R-ESRGAN 2x+", UpscalerNotFoundError, r"needs the file RealESRGAN_x2plus.pth.*RealESRGAN"),
    ("SwinIR 4x", UpscalerNotFoundError, r"SwinIR_4x.pth"),
    ("4x-UltraSharp", UpscalerNotFoundError, r"No upscaler named '4x-UltraSharp'. Available: .*4x-Tiny"),
    ("LDSR", UpscaleInputError, "not supported"),
    ("", UpscaleInputError, "No upscaler name"),
    ("../ESRGAN/4x-Tiny", InvalidInputError, "outside"),
], ids=["builtin-missing", "swinir-missing", "unknown-lists", "ldsr", "empty", "escape"])
def test_resolve_errors(roots, name, error, match):
    with pytest.raises(error, match=match):
        resolve_upscaler(name, roots)


def test_errors_belong_to_the_project_hierarchy_and_translate(roots):
    with pytest.raises(ModelNotFoundError) as info:
        resolve_upscaler("R-ESRGAN 2x+", roots)
    assert "RealESRGAN_x2plus.pth" in info.value.message("zh") and "请" in info.value.message("zh")


def test_latent_names_refused_where_only_images_make_sense(roots):
    with pytest.raises(UpscaleInputError, match="only in hires fix"):
        resolve_upscaler("Latent", roots, allow_latent=False)


def test_list_order_and_missing_builtins(roots):
    names = [u.name for u in list_upscalers(roots)]
    assert names[:9] == ["Latent", "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic antialiased)",
                         "Latent (nearest)", "Latent (nearest-exact)", "None", "Lanczos", "Nearest"]
    assert {"R-ESRGAN 4x+", "R-ESRGAN General 4xV3", "4x-Tiny"} <= set(names)
    assert "RealESRGAN_x4plus" not in names  # a built-in's file is listed once, under the built-in name
    everything = {u.name: u for u in list_upscalers(roots, include_missing=True, include_latent=False)}
    assert not everything["DAT x4"].available and everything["R-ESRGAN 4x+"].available
    assert "Latent" not in everything


def test_a1111_root_layout(tmp_path):
    from promptlab.backend.models import ModelRoots
    from promptlab.upscale.testing import compact_state_dict, save_model

    save_model(compact_state_dict(), tmp_path / "webui" / "models" / "DAT" / "DAT_x4.safetensors")
    roots = ModelRoots.from_args(a1111_root=tmp_path / "webui")
    # a built-in name also finds its file converted to .safetensors (same stem)
    assert resolve_upscaler("DAT x4", roots).path.name == "DAT_x4.safetensors"
    assert resolve_upscaler("DAT_x4", roots).path.name == "DAT_x4.safetensors"


def test_names_and_cli_import_light():
    import subprocess
    import sys

    code = ("import sys, promptlab.upscale, promptlab.upscale.names, promptlab.cli.upscale_cmds, "
            "promptlab.backend.hires; "
            "print(sorted(m for m in ('torch', 'spandrel', 'diffusers', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
