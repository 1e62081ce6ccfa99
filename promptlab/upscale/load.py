"""Load an upscaler file with spandrel, safely.

``.safetensors`` load directly. Pickles (``.pth``, the usual format of ESRGAN-family files) go
only through ``torch.load(weights_only=True)`` via ``backend.safeload``: a file that needs more
than tensors is refused with the same message as a checkpoint. Upscalers need no opt-in for that,
since weights-only loading cannot run code and nearly every upscaler is distributed as ``.pth``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptlab.backend.safeload import load_state_dict
from promptlab.upscale.errors import UpscaleInputError, UpscalerLoadError

# training checkpoints (BasicSR, Real-ESRGAN) nest the weights one level down; safeload flattens
# nested dicts into dotted keys, so the wrapper shows up as a key prefix. EMA weights are preferred,
# as BasicSR's own inference does.
_WRAPPER_PREFIXES = ("params_ema.", "params-ema.", "params.")


@dataclass(frozen=True)
class LoadedUpscaler:
    """A spandrel model ready to run. ``model`` is the ``ImageModelDescriptor`` (never mutated after load)."""

    name: str
    path: Path
    model: Any
    architecture: str
    scale: int
    device: str
    half: bool

    @property
    def min_size(self) -> int:
        req = self.model.size_requirements
        return max(int(getattr(req, "minimum", 0) or 0), 1)


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _unwrap(state: dict[str, Any]) -> dict[str, Any]:
    for prefix in _WRAPPER_PREFIXES:
        inner = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if inner:
            return inner
    return state


def load_upscaler(path: str | Path, *, name: str | None = None, device: str = "auto",
                  half: bool | None = None) -> LoadedUpscaler:
    """Load ``path`` as a single-image upscaler. ``half=None``: fp16 on CUDA when the architecture
    supports it (spandrel's ``supports_half``), fp32 otherwise."""
    import torch
    from spandrel import ImageModelDescriptor, ModelLoader, UnsupportedModelError

    path = Path(path)
    state = _unwrap(load_state_dict(path, allow_pickle=True))  # weights_only for pickles
    try:
        descriptor = ModelLoader().load_from_state_dict(state)
    except UnsupportedModelError:
        raise UpscalerLoadError("upscale.err_unknown_arch", file=path.name) from None
    except (KeyError, RuntimeError, ValueError, IndexError, TypeError, AssertionError) as exc:
        # recognised by its keys but the shapes do not fit the architecture: a damaged or edited file
        raise UpscalerLoadError("upscale.err_bad_weights", file=path.name, error=str(exc)[:300]) from None
    if not isinstance(descriptor, ImageModelDescriptor):
        raise UpscalerLoadError("upscale.err_not_single_image", file=path.name, arch=descriptor.architecture.name)
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise UpscalerLoadError("upscale.err_not_rgb", file=path.name, arch=descriptor.architecture.name,
                                channels=descriptor.input_channels)
    device = resolve_device(device)
    use_half = (device.startswith("cuda") and descriptor.supports_half) if half is None else bool(half)
    if use_half and not descriptor.supports_half:
        raise UpscaleInputError("upscale.err_no_half", arch=descriptor.architecture.name)
    descriptor.to(torch.device(device))
    if use_half:
        descriptor.half()
    descriptor.eval()
    return LoadedUpscaler(name or path.stem, path, descriptor, descriptor.architecture.name, int(descriptor.scale),
                          device, use_half)
