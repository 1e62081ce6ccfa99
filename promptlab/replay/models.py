"""Find the local file an image's ``Model`` / ``VAE`` / LoRA means: by hash first, then by name.

Hashes A1111 writes, all recognised here:

* ``Model hash: 45a21ea00a`` — AutoV2, the first 10 hex of the file's sha256 (A1111 1.x);
* a full 64-hex sha256 (``Hashes: {"model": ...}`` of Civitai, Stability Matrix, TensorArt);
* ``Model hash: 1d44365e`` — A1111's old 8-hex hash (sha256 of the 64 KiB at offset 1 MiB);
* ``Lora hashes: "name: 0123456789ab"`` — AutoV3, the first 12 hex of the sha256 of a
  safetensors file's tensor bytes (after the header), so editing metadata keeps it.

Full hashes go through ``promptlab.backend.models``' on-disk cache (keyed by path, size and
mtime), so a folder of 100 checkpoints is read once, not at every replay. The name-matched file
is hashed first: the common case (right name, right file) costs one cached lookup.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from promptlab.backend.a1111_api import model_key
from promptlab.backend.models import ModelFile, ModelRoots, addnet_hash, cached_hash, list_models, sha256

_LEGACY_OFFSET, _LEGACY_SIZE = 0x100000, 0x10000


@dataclass(frozen=True)
class ModelMatch:
    """``by``: "hash" (the same file), "name" (same name, hash not recorded or not checked),
    "name-hash-differs" (a file of that name whose hash is not the recorded one), or None (missing)."""

    wanted: str
    wanted_hash: str | None
    file: ModelFile | None
    by: str | None
    unhashed: int = 0       # files not hashed yet that were left unchecked (``hash_new=False``)


def legacy_hash(path: str | Path) -> str:
    """A1111's pre-1.0 8-hex "model hash" (cheap: reads 64 KiB)."""
    with Path(path).open("rb") as fh:
        fh.seek(_LEGACY_OFFSET)
        return hashlib.sha256(fh.read(_LEGACY_SIZE)).hexdigest()[:8]


def hash_matches(path: Path, wanted: str, kind: str, *, compute: bool = True) -> bool | None:
    """Whether ``wanted`` (any of the forms above, any case) is this file's hash; None when
    ``compute`` is off and the file's hash is not cached yet (unknown without reading it)."""
    wanted = wanted.strip().lower().removeprefix("sha256:")
    if not wanted or any(c not in "0123456789abcdef" for c in wanted):
        return False
    if len(wanted) == 8 and kind == "checkpoint" and legacy_hash(path) == wanted:
        return True
    addnet = kind == "lora" and len(wanted) == 12 and path.suffix.lower() == ".safetensors"
    if compute:
        digest = addnet_hash(path) if addnet else sha256(path)
    else:
        digest = cached_hash(path, "addnet" if addnet else "sha256")
        if digest is None:
            return None
    return len(wanted) >= 8 and digest.startswith(wanted)


class ModelIndex:
    """The local models of one kind, matched against names and hashes from images."""

    def __init__(self, roots: ModelRoots, kind: str, *, hash_new: bool = True) -> None:
        """``hash_new=False``: only the name-matched file is hashed if need be; the others are
        compared through the hash cache (a click in the app must not read a whole models folder)."""
        self.kind = kind
        self.hash_new = hash_new
        self.files = list_models(roots, kind)

    def match(self, name: str | None, wanted_hash: str | None = None) -> ModelMatch:
        by_name = self._by_name(name) if name else None
        if wanted_hash:
            ordered = ([by_name] if by_name else []) + [f for f in self.files if f is not by_name]
            unhashed = 0
            for candidate in ordered:
                found = hash_matches(candidate.path, wanted_hash, self.kind,
                                     compute=self.hash_new or candidate is by_name)
                if found:
                    return ModelMatch(name or "", wanted_hash, candidate, "hash")
                unhashed += found is None
            if by_name is not None:
                return ModelMatch(name or "", wanted_hash, by_name, "name-hash-differs", unhashed)
            return ModelMatch(name or "", wanted_hash, None, None, unhashed)
        return ModelMatch(name or "", None, by_name, "name" if by_name else None)

    def _by_name(self, name: str) -> ModelFile | None:
        key = model_key(name)
        for f in self.files:
            if f.name.lower() == name.lower() or model_key(f.name) == key:
                return f
        return None
