"""The one owner of loaded models: device, dtype, an LRU within a memory budget, load counting.

Everything that needs a pipeline asks ``ModelManager.get``; nothing else loads or moves models.
Loaded pipelines are shared and never mutated per call: callers build per-call pipelines from
``pipe.components`` (``from_pipe``) with their own scheduler. The only per-call change to shared
modules is LoRA, which ``LoadedModel.lock`` serialises and ``promptlab.backend.lora`` undoes.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlab.backend.models import (
    CheckpointKind,
    CheckpointSource,
    Family,
    Prediction,
    detect_checkpoint,
    short_hash,
)
from promptlab.backend.safeload import check_weights_path, read_safetensors_header
from promptlab.errors import BackendError, InvalidInputError, ModelLoadError, ModelNotFoundError


def pick_device(device: str = "auto") -> str:
    import torch

    if device != "auto":
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise InvalidInputError("device 'cuda' was requested but CUDA is not available; use --device cpu.")
        if device == "mps" and not torch.backends.mps.is_available():
            raise InvalidInputError("device 'mps' was requested but MPS is not available; use --device cpu.")
        if device.split(":")[0] not in ("cuda", "mps", "cpu"):
            raise InvalidInputError(f"Unknown device {device!r}; use auto, cuda, cuda:N, mps or cpu.")
        return device
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, dtype: str = "auto"):
    import torch

    table = {"fp32": torch.float32, "float32": torch.float32, "fp16": torch.float16, "float16": torch.float16,
             "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
    if dtype != "auto":
        if dtype not in table:
            raise InvalidInputError(f"Unknown dtype {dtype!r}; use auto, fp32, fp16 or bf16.")
        return table[dtype]
    if device.startswith("cuda") or device == "mps":
        return torch.float16
    return torch.float32


@dataclass
class LoadedModel:
    """A pipeline in memory. ``pipe`` is shared: read it, never reassign its modules per call."""

    source: CheckpointSource
    family: Family
    prediction: Prediction
    zero_snr: bool
    pipe: Any
    nbytes: int
    model_hash: str | None
    config_name: str | None
    stamp: tuple[int, int] | None = None  # (size, mtime_ns) of a single file when it was loaded
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def name(self) -> str:
        return self.source.name


class ModelManager:
    def __init__(self, *, device: str = "auto", dtype: str = "auto", memory_budget_gb: float | None = None,
                 allow_pickle: bool = False, fast: bool = True) -> None:
        self._device_request = device
        self._dtype_request = dtype
        self._budget_gb = memory_budget_gb
        self.allow_pickle = allow_pickle
        self.fast = fast
        self._loaded: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.RLock()
        self.loads = 0
        self._device: str | None = None

    # -- placement ---------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        if self._device is None:
            self._device = pick_device(self._device_request)
        return self._device

    @property
    def dtype(self):
        return pick_dtype(self.device, self._dtype_request)

    def budget_bytes(self) -> int:
        if self._budget_gb is not None:
            return int(self._budget_gb * (1 << 30))
        import torch

        if self.device.startswith("cuda"):
            index = torch.device(self.device).index or 0
            return int(torch.cuda.get_device_properties(index).total_memory * 0.85)
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 16 << 30
        return int(total * 0.5)

    # -- cache -----------------------------------------------------------------------------------------
    def loaded(self) -> list[str]:
        with self._lock:
            return [m.source.location for m in self._loaded.values()]

    def get(self, source: CheckpointSource) -> LoadedModel:
        """The loaded model for ``source``; loads it (evicting least recently used ones) if needed."""
        key = f"{source.kind}:{source.location}"
        with self._lock:
            model = self._loaded.get(key)
            if model is not None and self._is_fresh(model):
                self._loaded.move_to_end(key)
                return model
            if model is not None:
                self._evict(key)
            budget = self.budget_bytes()
            # make room before loading (the file size is a fair upper bound of the weights), so that a new
            # model does not run out of GPU memory next to ones that would be evicted anyway
            self._evict_until(budget - self._estimate(source))
            model = self._load(source)
            self._evict_until(budget - model.nbytes)
            self._loaded[key] = model
            self.loads += 1
            return model

    def _is_fresh(self, model: LoadedModel) -> bool:
        """A file replaced on disk (same name, new weights) is loaded again."""
        if model.source.kind != "file" or model.stamp is None:
            return True
        return _file_stamp(Path(model.source.location)) == model.stamp

    def _evict_until(self, room: int) -> None:
        while self._loaded and sum(m.nbytes for m in self._loaded.values()) > room:
            self._evict(next(iter(self._loaded)))

    def _estimate(self, source: CheckpointSource) -> int:
        if source.kind != "file":
            return 0
        stamp = _file_stamp(Path(source.location))
        # an upper bound: fp16 files load at their size, fp32 ones shrink on a 16-bit device
        return stamp[0] if stamp is not None else 0

    def _evict(self, key: str) -> None:
        model = self._loaded.pop(key)
        with model.lock:
            model.pipe = None
        _empty_cache(self.device)

    def clear(self) -> None:
        with self._lock:
            for key in list(self._loaded):
                self._evict(key)

    # -- loading --------------------------------------------------------------------------------------
    def _load(self, source: CheckpointSource) -> LoadedModel:
        if source.kind == "file":
            return self._load_file(source)
        return self._load_pretrained(source)

    def _load_file(self, source: CheckpointSource) -> LoadedModel:
        from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

        from promptlab.backend.model_configs import config_folder

        path = check_weights_path(source.location, allow_pickle=self.allow_pickle)
        kind: CheckpointKind = detect_checkpoint(path, allow_pickle=self.allow_pickle)
        cls = StableDiffusionXLPipeline if kind.family is Family.SDXL else StableDiffusionPipeline
        extra = {} if kind.family is Family.SDXL else {"safety_checker": None, "requires_safety_checker": False}
        try:
            pipe = cls.from_single_file(
                str(path), config=str(config_folder(kind.config_name)), local_files_only=True,
                torch_dtype=self.dtype, **extra,
            )
        except (ValueError, RuntimeError, KeyError, OSError) as exc:
            raise ModelLoadError(
                f"Could not load {path.name} as a {kind.family.value} checkpoint: {exc}. "
                "The file may be corrupt or an unsupported variant."
            ) from exc
        model_hash = short_hash(path)
        model = self._finish(source, kind.family, kind.prediction, kind.zero_snr, pipe, model_hash, kind.config_name)
        model.stamp = _file_stamp(path)
        return model

    def _load_pretrained(self, source: CheckpointSource) -> LoadedModel:
        from diffusers import DiffusionPipeline

        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false")
        if source.kind == "hub" and offline:
            raise ModelNotFoundError(
                f"{source.location!r} is not a checkpoint under models/Stable-diffusion nor a local file or "
                "folder; read as a Hugging Face hub id it needs a download, which is disabled (HF_HUB_OFFLINE "
                "is set). Check the name (`promptlab models` lists what is installed) or pass a local path."
            )
        kwargs: dict[str, Any] = {"torch_dtype": self.dtype}
        if source.kind == "folder":
            kwargs["local_files_only"] = True
        try:
            pipe = DiffusionPipeline.from_pretrained(source.location, **kwargs)
        except (OSError, ValueError, RuntimeError) as exc:
            where = "folder" if source.kind == "folder" else "hub id (are you online?)"
            raise ModelNotFoundError(f"Could not load {source.location!r} as a diffusers {where}: {exc}") from exc
        name = type(pipe).__name__
        if name not in ("StableDiffusionPipeline", "StableDiffusionXLPipeline"):
            raise ModelLoadError(f"{source.location} is a {name}; only SD1.x/SD2.x/SDXL text-to-image models are supported.")
        if name == "StableDiffusionXLPipeline":
            family = Family.SDXL
        else:
            family = Family.SD2 if pipe.text_encoder.config.hidden_size == 1024 else Family.SD1
        prediction = Prediction(pipe.scheduler.config.get("prediction_type", "epsilon"))
        zero_snr = bool(pipe.scheduler.config.get("rescale_betas_zero_snr", False))
        if getattr(pipe, "safety_checker", None) is not None:
            pipe = type(pipe).from_pipe(pipe, safety_checker=None, requires_safety_checker=False)
        return self._finish(source, family, prediction, zero_snr, pipe, None, None)

    def _finish(self, source, family, prediction, zero_snr, pipe, model_hash, config_name) -> LoadedModel:
        import torch

        try:
            if pipe.device != torch.device(self.device):
                pipe.to(self.device)
        except torch.cuda.OutOfMemoryError as exc:
            _empty_cache(self.device)
            raise BackendError(
                f"Out of GPU memory while loading {source.name}. Close other GPU programs, unload models "
                "(a smaller memory budget), or use --dtype fp16."
            ) from exc
        if self.fast and self.device != "cpu":
            pipe.unet.to(memory_format=torch.channels_last)
        pipe.set_progress_bar_config(disable=True)
        scheduler_config = dict(pipe.scheduler.config)
        if scheduler_config.get("prediction_type") != prediction.value:
            from diffusers import DDIMScheduler

            pipe.scheduler = DDIMScheduler.from_config({**scheduler_config, "prediction_type": prediction.value})
        nbytes = sum(
            p.numel() * p.element_size()
            for module in pipe.components.values()
            if isinstance(module, torch.nn.Module)
            for p in module.parameters()
        )
        return LoadedModel(source, family, prediction, zero_snr, pipe, nbytes, model_hash, config_name)


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def _empty_cache(device: str) -> None:
    import gc

    gc.collect()
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device == "mps" and torch.backends.mps.is_available():
        torch.mps.empty_cache()


def vae_config_name(family: Family, config_name: str | None) -> str:
    from promptlab.backend.model_configs import DEFAULT_CONFIG

    return config_name or DEFAULT_CONFIG[family.value]


def load_vae(path: str | Path, config_name: str, *, dtype, device: str, allow_pickle: bool = False):
    """A standalone VAE file (models/VAE) as an AutoencoderKL, using the shipped config's vae/."""
    from diffusers import AutoencoderKL

    from promptlab.backend.model_configs import config_folder

    path = check_weights_path(path, allow_pickle=allow_pickle)
    if path.suffix.lower() == ".safetensors":
        read_safetensors_header(path)
    try:
        vae = AutoencoderKL.from_single_file(
            str(path), config=str(config_folder(config_name)), subfolder="vae", local_files_only=True, torch_dtype=dtype
        )
    except (ValueError, RuntimeError, KeyError, OSError) as exc:
        raise ModelLoadError(f"Could not load VAE {path.name}: {exc}") from exc
    return vae.to(device)
