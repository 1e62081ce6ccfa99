"""Tiny random-weight upscaler models that spandrel recognises, for tests and benchmarks.

No download: the state dicts are built in the key layouts of the real files, so they go through
exactly the loading path a user's ``RealESRGAN_x4plus.pth`` or ``realesr-general-x4v3.pth`` takes.
Importable by other areas' tests (e.g. a replay round trip that needs an upscaler on disk).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def rrdbnet_state_dict(*, features: int = 8, blocks: int = 1, growth: int = 32, scale: int = 4,
                       seed: int = 0, gain: float | None = None) -> dict[str, torch.Tensor]:
    """An RRDBNet (ESRGAN / Real-ESRGAN) in Real-ESRGAN's key layout.

    ``scale`` 4 takes RGB directly; 2 and 1 use Real-ESRGAN's pixel-unshuffle input (12 / 48
    channels), as ``RealESRGAN_x2plus.pth`` does. spandrel does not infer the growth channels:
    keep 32 unless you know the loader handles others. ``gain``: weights drawn with standard deviation
    ``gain / sqrt(fan_in)`` (keeps larger models out of saturation); None: a fixed 0.12, which suits
    the default tiny size.
    """
    import torch

    if scale not in (1, 2, 4):
        raise ValueError("scale must be 1, 2 or 4")
    gen = torch.Generator().manual_seed(seed)
    in_ch = 3 * (4 // scale) ** 2
    state: dict[str, torch.Tensor] = {}

    def conv(name: str, out_ch: int, in_ch_: int) -> None:
        std = 0.12 if gain is None else gain / (in_ch_ * 9) ** 0.5
        state[f"{name}.weight"] = torch.randn(out_ch, in_ch_, 3, 3, generator=gen) * std
        state[f"{name}.bias"] = torch.zeros(out_ch)

    conv("conv_first", features, in_ch)
    for b in range(blocks):
        for k in range(1, 4):
            for i in range(1, 5):
                conv(f"body.{b}.rdb{k}.conv{i}", growth, features + (i - 1) * growth)
            conv(f"body.{b}.rdb{k}.conv5", features, features + 4 * growth)
    conv("conv_body", features, features)
    conv("conv_up1", features, features)
    conv("conv_up2", features, features)
    conv("conv_hr", features, features)
    conv("conv_last", 3, features)
    # a mid-grey bias keeps outputs away from the 0/1 clamp, so comparisons see real values
    state["conv_last.bias"] = torch.full((3,), 0.5)
    return state


def compact_state_dict(*, features: int = 8, convs: int = 1, scale: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    """An SRVGGNetCompact (``realesr-general-x4v3`` / ``realesr-animevideov3`` layout)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    layers = [(features, 3)] + [(features, features)] * convs
    index = 0
    for out_ch, in_ch in layers:
        state[f"body.{index}.weight"] = torch.randn(out_ch, in_ch, 3, 3, generator=gen) * 0.05
        state[f"body.{index}.bias"] = torch.zeros(out_ch)
        state[f"body.{index + 1}.weight"] = torch.full((out_ch,), 0.25)  # PReLU
        index += 2
    state[f"body.{index}.weight"] = torch.randn(3 * scale * scale, features, 3, 3, generator=gen) * 0.05
    state[f"body.{index}.bias"] = torch.zeros(3 * scale * scale)
    return state


def save_model(state: dict[str, torch.Tensor], path: str | Path) -> Path:
    """Save as ``.safetensors`` or as a plain-tensor ``.pth`` (what ``torch.save(state_dict)`` writes)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        torch.save(state, str(path))
    return path


def write_tiny_upscalers(models_root: str | Path) -> dict[str, Path]:
    """A models folder with one tiny model per common case, named the way A1111 users name them."""
    root = Path(models_root)
    return {
        "4x-Tiny": save_model(rrdbnet_state_dict(), root / "ESRGAN" / "4x-Tiny.safetensors"),
        "R-ESRGAN 4x+": save_model(rrdbnet_state_dict(seed=1), root / "RealESRGAN" / "RealESRGAN_x4plus.pth"),
        "R-ESRGAN General 4xV3": save_model(compact_state_dict(), root / "RealESRGAN" / "realesr-general-x4v3.pth"),
    }
