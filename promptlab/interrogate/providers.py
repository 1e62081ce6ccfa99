"""onnxruntime execution providers: pick, then report what actually ran.

onnxruntime-gpu lists CUDAExecutionProvider as available even on a machine without a usable GPU; the
session then quietly runs on CPU. We compare the providers we asked for with
``session.get_providers()`` and say so when a GPU provider fell away.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from promptlab.errors import InvalidInputError, missing_dependency

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "ROCMExecutionProvider",
                 "DmlExecutionProvider", "CoreMLExecutionProvider")


class Device(str, Enum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


@dataclass(frozen=True)
class ProviderReport:
    requested: tuple[str, ...]
    active: tuple[str, ...]

    @property
    def provider(self) -> str:
        """The provider that runs the model (the first active one)."""
        return self.active[0] if self.active else "none"

    @property
    def fell_back(self) -> bool:
        wanted_gpu = [p for p in self.requested if p in GPU_PROVIDERS]
        return bool(wanted_gpu) and not any(p in self.active for p in wanted_gpu)

    @property
    def warning(self) -> str | None:
        if not self.fell_back:
            return None
        return (
            f"Requested {', '.join(p for p in self.requested if p in GPU_PROVIDERS)} but onnxruntime runs "
            f"on {self.provider}: the GPU provider failed to load (CUDA/cuDNN libraries missing or no GPU). "
            "Check `nvidia-smi` and that onnxruntime-gpu matches your CUDA version."
        )


def ort():
    try:
        import onnxruntime
    except ImportError:
        raise missing_dependency("onnxruntime", "tagger") from None
    return onnxruntime


def choose_providers(device: Device | str = Device.AUTO) -> list[str]:
    device = Device(device)
    available = ort().get_available_providers()
    if device is Device.CPU:
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device is Device.CUDA:
        raise InvalidInputError(
            "CUDA was requested but this onnxruntime has no CUDAExecutionProvider "
            f"(available: {', '.join(available)}). Install 'promptlab[tagger-gpu]' "
            "(onnxruntime-gpu) instead of 'promptlab[tagger]' — never both."
        )
    return ["CPUExecutionProvider"]
