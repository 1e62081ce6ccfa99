"""Textual-inversion embeddings from an A1111 ``embeddings/`` folder.

Formats read (as A1111's ``create_embedding_from_data``):
- A1111 training output: ``string_to_param`` with one tensor ``(vectors, dim)``;
- SDXL: ``clip_l`` ``(vectors, 768)`` + ``clip_g`` ``(vectors, 1280)``;
- a single tensor under any key (diffusers concepts ``{"<name>": tensor}``, civitai's ``emb_params``).
``.safetensors`` files are read safely; ``.pt``/``.bin`` pickles only with ``allow_pickle=True``
(then with ``weights_only=True``). The name is the file name without its extension, as in A1111;
sub-folders are searched too. Images with embedded data (``.png``) are not read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError, UnsafeModelError

if TYPE_CHECKING:
    import torch

FAMILIES = ("sd1", "sd2", "sdxl")
EMBEDDING_SUFFIXES = (".safetensors", ".pt", ".bin")


@dataclass(frozen=True, eq=False)
class Embedding:
    """One embedding: ``tensors`` maps ``"clip"`` (SD1/SD2) or ``"clip_l"``/``"clip_g"`` (SDXL) to a
    float32 ``(vectors, dim)`` tensor. Treat the tensors as read-only."""

    name: str
    vectors: int
    tensors: Mapping[str, torch.Tensor]
    path: Path | None = None
    shorthash: str = ""  # A1111's "TI hashes": first 12 hex digits of the file's sha256

    def dims(self) -> dict[str, int]:
        return {key: int(t.shape[-1]) for key, t in self.tensors.items()}


@dataclass(frozen=True)
class EmbeddingSet:
    family: str
    embeddings: Mapping[str, Embedding] = field(default_factory=dict)
    skipped: tuple[tuple[str, str], ...] = ()  # (file, reason)

    def __len__(self) -> int:
        return len(self.embeddings)

    def __iter__(self) -> Iterator[Embedding]:
        return iter(self.embeddings.values())

    def vector_counts(self) -> dict[str, int]:
        """Name -> vectors, for ``promptlab.tokens.chunk_prompt(embeddings=...)``."""
        return {name: emb.vectors for name, emb in self.embeddings.items()}


def load_embeddings(folder: str | Path, family: str, *, allow_pickle: bool = False) -> EmbeddingSet:
    """Every embedding under ``folder`` usable by a ``family`` model ("sd1", "sd2", "sdxl").

    Files in the other family's format, unreadable files and pickles without ``allow_pickle`` are
    listed in ``skipped`` with the reason (A1111 skips them the same way); a missing folder is an error.
    """
    if family not in FAMILIES:
        raise InvalidInputError(f"Unknown model family {family!r}; expected one of {', '.join(FAMILIES)}.")
    root = Path(folder)
    if not root.is_dir():
        raise ModelNotFoundError(f"Embeddings folder not found: {root}. Create it and put .safetensors files in it.")
    found: dict[str, Embedding] = {}
    skipped: list[tuple[str, str]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EMBEDDING_SUFFIXES):
        rel = str(path.relative_to(root))
        try:
            emb = load_embedding(path, family, allow_pickle=allow_pickle)
        except (InvalidInputError, ModelLoadError, UnsafeModelError) as exc:
            skipped.append((rel, str(exc)))
            continue
        if emb.name in found:
            skipped.append((rel, f"another embedding named {emb.name!r} was found first"))
            continue
        found[emb.name] = emb
    return EmbeddingSet(family, found, tuple(skipped))


def load_embedding(path: str | Path, family: str, *, allow_pickle: bool = False) -> Embedding:
    """One embedding file; raises ``InvalidInputError`` when its format does not fit ``family``."""
    from promptlab.backend.safeload import load_state_dict

    path = Path(path)
    state = load_state_dict(path, allow_pickle=allow_pickle)
    tensors = embedding_tensors(state, family, source=path.name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    vectors = next(iter(tensors.values())).shape[0]
    return Embedding(path.stem, int(vectors), tensors, path, digest[:12])


def embedding_tensors(state: Mapping[str, torch.Tensor], family: str, *, source: str = "embedding") -> dict:
    """Pick the embedding tensors out of a flat state dict (see the module docstring)."""
    import torch

    if "clip_l" in state and "clip_g" in state:
        if family != "sdxl":
            raise InvalidInputError(f"{source} is an SDXL embedding (clip_l/clip_g); the model is {family}.")
        tensors = {key: _as_matrix(state[key]) for key in ("clip_l", "clip_g")}
        if tensors["clip_l"].shape[0] != tensors["clip_g"].shape[0]:
            raise ModelLoadError(f"{source}: clip_l and clip_g have different vector counts.")
        return tensors
    params = {k: v for k, v in state.items() if k.startswith("string_to_param.")}
    candidates = params or {k: v for k, v in state.items() if isinstance(v, torch.Tensor) and v.is_floating_point()}
    if len(candidates) != 1:
        raise ModelLoadError(
            f"{source} is neither a textual-inversion embedding nor a diffusers concept "
            f"(found {len(candidates)} float tensors, expected one)."
        )
    if family == "sdxl":
        raise InvalidInputError(f"{source} is an SD1/SD2 embedding; SDXL needs clip_l and clip_g tensors.")
    return {"clip": _as_matrix(next(iter(candidates.values())))}


def _as_matrix(tensor: torch.Tensor) -> torch.Tensor:
    import torch

    tensor = tensor.detach().to(dtype=torch.float32, device="cpu")
    if tensor.ndim == 1:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 2 or tensor.shape[0] == 0:
        raise ModelLoadError(f"embedding tensor has shape {tuple(tensor.shape)}, expected (vectors, dim).")
    return tensor


_FLOAT_DTYPES = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}


def embedding_vector_counts(folder: str | Path) -> tuple[dict[str, int], tuple[tuple[str, str], ...]]:
    """Name -> vector count of every ``.safetensors`` embedding under ``folder``, read from the file
    headers only (no torch): what the token counter needs. Pickles are listed as skipped."""
    from promptlab.backend.safeload import read_safetensors_header

    root = Path(folder)
    if not root.is_dir():
        raise ModelNotFoundError(f"Embeddings folder not found: {root}.")
    counts: dict[str, int] = {}
    skipped: list[tuple[str, str]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EMBEDDING_SUFFIXES):
        rel = str(path.relative_to(root))
        if path.suffix.lower() != ".safetensors":
            skipped.append((rel, "pickled file: not read by the token counter"))
            continue
        try:
            header = read_safetensors_header(path)
        except ModelLoadError as exc:
            skipped.append((rel, str(exc)))
            continue
        shapes = {k: v.get("shape", []) for k, v in header.items() if k != "__metadata__" and v.get("dtype") in _FLOAT_DTYPES}
        if "clip_l" in shapes and "clip_g" in shapes:
            shape = shapes["clip_g"]
        elif len(shapes) == 1:
            shape = next(iter(shapes.values()))
        else:
            skipped.append((rel, f"not an embedding ({len(shapes)} float tensors)"))
            continue
        vectors = int(shape[0]) if len(shape) == 2 else 1
        if path.stem not in counts and vectors > 0:
            counts[path.stem] = vectors
    return counts, tuple(skipped)
