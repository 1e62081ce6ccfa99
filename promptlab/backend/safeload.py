"""Load model weights without running untrusted code.

``.safetensors`` files are read with the safetensors library (no code execution possible).
Pickled checkpoints (``.ckpt``, ``.pt``, ``.pth``, ``.bin``) can run arbitrary code when unpickled,
so they are refused unless the caller opts in; even then they are read with
``torch.load(..., weights_only=True)``, which only rebuilds tensors and plain containers.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError, UnsafeModelError

if TYPE_CHECKING:
    import torch

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")
WEIGHT_SUFFIXES = SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES

OPT_IN_HINT = (
    "Pickled checkpoints can run code when loaded. Convert it to .safetensors, or opt in if you trust "
    "the file: pass allow_pickle=True (CLI: --allow-pickle; app: 'Allow .ckpt/.pt files'); it is then "
    "loaded with torch.load(weights_only=True)."
)


def is_pickle_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in PICKLE_SUFFIXES


def check_weights_path(path: str | Path, *, allow_pickle: bool = False) -> Path:
    """Refuse missing files, unknown file types and (unless opted in) pickles, before any read."""
    path = Path(path)
    if not path.exists():
        raise ModelNotFoundError(f"Model file not found: {path}")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder; expected a .safetensors (or opted-in .ckpt/.pt) file.")
    suffix = path.suffix.lower()
    if suffix not in WEIGHT_SUFFIXES:
        raise InvalidInputError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; model weights must be "
            f"{', '.join(WEIGHT_SUFFIXES)}."
        )
    if suffix in PICKLE_SUFFIXES and not allow_pickle:
        raise UnsafeModelError(f"Refused to load {path.name}: {OPT_IN_HINT}")
    return path


def read_safetensors_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (tensor names, dtypes, shapes, ``__metadata__``).

    Cheap (reads only the header) and strict: a truncated or non-safetensors file raises
    ``ModelLoadError``.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ModelLoadError(f"{path.name} is not a valid .safetensors file (only {size} bytes). Re-download it.")
        (length,) = struct.unpack("<Q", head)
        if length <= 1 or length > min(size - 8, 100_000_000):
            raise ModelLoadError(
                f"{path.name} is not a valid .safetensors file (bad header length). "
                "The file is corrupt or truncated, or not a safetensors file at all; re-download it."
            )
        raw = fh.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelLoadError(f"{path.name}: the safetensors header is corrupt. Re-download the file.") from None
    if not isinstance(header, dict):
        raise ModelLoadError(f"{path.name}: the safetensors header is corrupt. Re-download the file.")
    end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + length + end > size:
        raise ModelLoadError(
            f"{path.name} is truncated ({size} bytes, the header promises {8 + length + end}). "
            "The download was probably interrupted; download it again."
        )
    return header


def safetensors_metadata(path: str | Path) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file (kohya LoRAs keep ``ss_*`` keys there)."""
    meta = read_safetensors_header(path).get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()}


def load_state_dict(path: str | Path, *, allow_pickle: bool = False, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Read a weights file into a flat ``{name: tensor}`` dict.

    Raises ``ModelNotFoundError`` (no such file), ``InvalidInputError`` (not a weights file type),
    ``UnsafeModelError`` (a pickle without ``allow_pickle``) or ``ModelLoadError`` (corrupt,
    truncated, or holding something other than tensors).
    """
    path = check_weights_path(path, allow_pickle=allow_pickle)
    if path.suffix.lower() in SAFETENSORS_SUFFIXES:
        return _load_safetensors(path, device)
    return _load_pickle(path, device)


def _load_safetensors(path: Path, device: str) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    read_safetensors_header(path)  # clear messages for the common corruptions
    try:
        return load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"{path.name} could not be read as safetensors ({exc}). Re-download the file.") from exc


def _load_pickle(path: Path, device: str) -> dict[str, torch.Tensor]:
    import pickle
    import zipfile

    import torch

    try:
        obj = torch.load(str(path), map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelLoadError(
            f"{path.name} holds objects other than tensors, which weights_only loading refuses ({exc}). "
            "Convert it to .safetensors with a tool you trust."
        ) from exc
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelLoadError(f"{path.name} is corrupt or not a PyTorch checkpoint ({exc}). Re-download it.") from exc
    state = _unwrap_state_dict(obj)
    if state is None:
        raise ModelLoadError(f"{path.name} does not contain a state dict of tensors.")
    return state


def _unwrap_state_dict(obj: Any) -> dict[str, torch.Tensor] | None:
    """Tensors of a loaded pickle, flattened: ``{"state_dict": {...}}`` is unwrapped and nested
    dicts get dotted keys (an A1111 ``.pt`` embedding gives ``"string_to_param.*"``)."""
    import torch

    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        return None
    tensors: dict[str, torch.Tensor] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, torch.Tensor):
            tensors[prefix] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)

    walk("", obj)
    return tensors or None
