"""``<lora:name:w>`` for the local backend: A1111/kohya (and diffusers/PEFT) LoRA files loaded with
diffusers' ``load_lora_weights``, applied for one call and removed afterwards.

A1111's arguments: ``<lora:name:te>`` or ``<lora:name:te:unet>``, or named ``te=`` / ``unet=``;
the UNet multiplier defaults to the text-encoder one. Before loading, the LoRA's base model is
checked against the checkpoint (kohya metadata, then layer shapes) so that an SDXL LoRA on an SD1.5
checkpoint is a clear error instead of a shape-mismatch traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptlab.backend.models import Family, ModelRoots, find_model, lora_short_hash
from promptlab.backend.safeload import load_state_dict, safetensors_metadata
from promptlab.errors import InvalidInputError, ModelLoadError

LORA_KINDS = ("lora", "lyco")
FAMILY_LABELS = {Family.SD1: "SD1.x", Family.SD2: "SD2.x", Family.SDXL: "SDXL"}


@dataclass(frozen=True)
class LoraRequest:
    name: str
    path: Path
    te_weight: float
    unet_weight: float

    @property
    def short_hash(self) -> str:
        return lora_short_hash(self.path)


def requests_from_networks(networks: Sequence[Any], roots: ModelRoots) -> list[LoraRequest]:
    """``ExtraNetwork`` entries (from ``promptlab.syntax.extra_networks``) -> resolved LoRA files."""
    out: list[LoraRequest] = []
    for net in networks:
        if net.kind not in LORA_KINDS:
            continue
        positional = [a for a in net.args if "=" not in a]
        named = dict(a.split("=", 1) for a in net.args if "=" in a)
        te = _weight(positional[0] if positional else named.get("te", "1"), net.name)
        te = _weight(named["te"], net.name) if "te" in named else te
        unet = _weight(positional[1], net.name) if len(positional) > 1 else te
        unet = _weight(named["unet"], net.name) if "unet" in named else unet
        model = find_model(roots, "lora", net.name)
        out.append(LoraRequest(net.name, model.path, te, unet))
    return out


def _weight(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(f"<lora:{name}:{text}>: the weight {text!r} is not a number.") from None


def lora_hashes_text(requests: Sequence[LoraRequest]) -> str | None:
    """A1111's "Lora hashes" value: ``name: hash, name: hash``."""
    if not requests:
        return None
    return ", ".join(f"{r.name}: {r.short_hash}" for r in requests)


_BASE_FROM_METADATA = (("sdxl", Family.SDXL), ("sd_v2", Family.SD2), ("sd_v1", Family.SD1))


def lora_family(state: dict[str, Any], metadata: dict[str, str]) -> Family | None:
    """The base model a LoRA was trained for, when it can be told."""
    version = metadata.get("ss_base_model_version", "").lower()
    for prefix, family in _BASE_FROM_METADATA:
        if version.startswith(prefix):
            return family
    if metadata.get("ss_v2", "").lower() == "true":
        return Family.SD2
    if any(k.startswith(("lora_te1_", "lora_te2_")) for k in state):
        return Family.SDXL
    context = _lora_context_dim(state)
    return {768: Family.SD1, 1024: Family.SD2, 2048: Family.SDXL}.get(context or 0)


def _lora_context_dim(state: dict[str, Any]) -> int | None:
    for key, value in state.items():
        flat = key.replace(".", "_")
        if "attn2" in flat and "to_k" in flat and any(t in key for t in ("lora_down", "lora_A", "lora.down")):
            if getattr(value, "ndim", 0) >= 2:
                return int(value.shape[1])
    return None


def check_compatible(request: LoraRequest, state: dict[str, Any], metadata: dict[str, str], family: Family,
                     pipe: Any, model_name: str) -> None:
    found = lora_family(state, metadata)
    context = _lora_context_dim(state)
    expected = int(pipe.unet.config.cross_attention_dim)
    if (found is not None and found is not family) or (context is not None and context != expected):
        label = FAMILY_LABELS.get(found, f"a model with {context}-wide cross-attention") if found else (
            f"a model with {context}-wide cross-attention")
        raise ModelLoadError(
            f"LoRA {request.name!r} is for {label}, but checkpoint {model_name!r} is {FAMILY_LABELS[family]}. "
            f"Use a {FAMILY_LABELS[family]} LoRA or switch checkpoints."
        )


def _adapter_name(index: int, name: str) -> str:
    return f"pl{index}_" + re.sub(r"\W", "_", name)[:40]


@contextmanager
def applied_loras(pipe: Any, requests: Sequence[LoraRequest], *, family: Family, model_name: str,
                  allow_pickle: bool = False) -> Iterator[None]:
    """Load ``requests`` into ``pipe``'s shared modules for the duration of the block, then unload.

    The caller holds the model's lock, so no other call sees the modules while LoRAs are in them.
    """
    if not requests:
        yield
        return
    names: list[str] = []
    weights: list[dict[str, float]] = []
    encoders = ["text_encoder", "text_encoder_2"] if family is Family.SDXL else ["text_encoder"]
    try:
        for index, request in enumerate(requests):
            state = load_state_dict(request.path, allow_pickle=allow_pickle)
            metadata = safetensors_metadata(request.path) if request.path.suffix.lower() == ".safetensors" else {}
            check_compatible(request, state, metadata, family, pipe, model_name)
            adapter = _adapter_name(index, request.name)
            try:
                pipe.load_lora_weights(state, adapter_name=adapter)
            except (ValueError, RuntimeError, KeyError, TypeError) as exc:
                raise ModelLoadError(
                    f"LoRA {request.name!r} could not be applied to {model_name!r}: {exc}. It may be for another "
                    "base model or in a format diffusers does not read."
                ) from exc
            names.append(adapter)
            weights.append({"unet": request.unet_weight, **{enc: request.te_weight for enc in encoders}})
        loaded = pipe.get_list_adapters()
        per_adapter = []
        for adapter, weight in zip(names, weights, strict=True):
            per_adapter.append({part: w for part, w in weight.items() if adapter in loaded.get(part, [])})
        pipe.set_adapters(names, adapter_weights=per_adapter)
        yield
    finally:
        if names:
            pipe.unload_lora_weights()
