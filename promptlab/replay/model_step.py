"""The plan's model step: checkpoint, VAE, LoRAs and embeddings, matched by hash then by name.

Locally the files under ``models/`` are matched (``promptlab.replay.models``); on a remote backend
the server's lists (``ServerInventory``) are matched by name, since servers do not all give hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from promptlab.replay.plan import Status

_OWN_VAE = ("Automatic", "None", "")


@dataclass(frozen=True)
class ServerInventory:
    """What a remote backend has (empty tuple: not asked, so names stay unchecked)."""

    models: tuple[str, ...] = ()
    loras: tuple[str, ...] = ()
    vaes: tuple[str, ...] = ()
    samplers: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()
    upscalers: tuple[str, ...] = ()

    @classmethod
    def from_backend(cls, backend: Any) -> ServerInventory:
        """Ask a backend for its lists (a list it cannot give stays empty: unchecked)."""
        def ask(name: str) -> tuple[str, ...]:
            method = getattr(backend, name, None)
            found = method() if method is not None else None
            return tuple(found) if found else ()   # None: the server cannot list them (names stay unchecked)

        return cls(ask("list_models"), ask("list_loras"), ask("list_vaes"), ask("list_samplers"),
                   ask("list_schedulers"), ask("list_upscalers"))


def models(b: Any, meta: Any, roots: Any, server: ServerInventory | None) -> None:
    from promptlab.replay.fields import claim

    claim(b, "model", "model_hash", "vae", "vae_hash", "lora_hashes", "ti_hashes", "hashes")
    p = b.params
    hashes = p.hashes_map()
    _checkpoint(b, meta, roots, server, p.model, p.model_hash or hashes.get("model"))
    _vae(b, roots, server, p.vae, p.vae_hash or hashes.get("vae"))
    _loras(b, meta, roots, server, hashes)
    _embeddings(b, roots, p.ti_hash_map())


def _index(roots: Any, kind: str, hash_new: bool = True):
    from promptlab.replay.models import ModelIndex

    return ModelIndex(roots, kind, hash_new=hash_new) if roots is not None else None


def _checkpoint(b, meta, roots, server, name, wanted_hash) -> None:
    shown = f"{name or '-'} [{wanted_hash}]" if wanted_hash else (name or "-")
    if meta.generator == "novelai":
        b.add("Model", shown, None, Status.NOT_REPRODUCIBLE, "novelai_model", name=name or "NovelAI")
        b.changes["model"] = None
        return
    if not name and not wanted_hash:
        return
    if b.backend != "local":
        _remote(b, "Model", shown, name, server.models if server else (), "model", "model_missing")
        return
    index = _index(roots, "checkpoint", b.hash_new)
    match = index.match(name, wanted_hash) if index is not None else None
    if match is None or match.file is None:
        if match is not None and match.unhashed:
            b.add("Model", shown, None, Status.NOT_REPRODUCIBLE, "model_missing_unhashed", name=name or "-",
                  hash=wanted_hash or "-", n=match.unhashed)
        else:
            b.add("Model", shown, None, Status.NOT_REPRODUCIBLE, "model_missing", name=name or "-",
                  hash=wanted_hash or "-")
        b.changes["model"] = None
        return
    status, note = {"hash": (Status.EXACT, "matched_hash"), "name": (Status.APPROXIMATED, "matched_name"),
                    "name-hash-differs": (Status.APPROXIMATED, "hash_differs")}[match.by]
    b.add("Model", shown, match.file.name, status, note, file=match.file.path.name)
    b.changes["model"] = match.file.name


def _remote(b, key, shown, name, known, field, missing_note) -> None:
    from promptlab.backend.a1111_api import match_model_name

    if not known:
        b.add(key, shown, name, Status.APPROXIMATED, "unchecked", backend=b.backend)
        return
    found = match_model_name(name, list(known)) if name else None
    if found is None:
        b.add(key, shown, None, Status.NOT_REPRODUCIBLE, missing_note, name=name or "-", hash="-")
        b.changes[field] = None
    else:
        b.add(key, shown, found, Status.APPROXIMATED, "matched_name", file=found)
        b.changes[field] = found


def _vae(b, roots, server, name, wanted_hash) -> None:
    if name is None and not wanted_hash:
        return
    if name in _OWN_VAE:
        b.add("VAE", name, None, Status.EXACT, "vae_own")
        b.changes["vae"] = None
        return
    shown = f"{name} [{wanted_hash}]" if wanted_hash else str(name)
    if b.backend != "local":
        _remote(b, "VAE", shown, name, server.vaes if server else (), "vae", "vae_missing")
        return
    index = _index(roots, "vae", b.hash_new)
    match = index.match(name, wanted_hash) if index is not None else None
    if match is None or match.file is None:
        b.add("VAE", shown, None, Status.NOT_REPRODUCIBLE, "vae_missing", name=name or "-", hash=wanted_hash or "-")
        b.changes["vae"] = None
        return
    status = Status.EXACT if match.by == "hash" else Status.APPROXIMATED
    b.add("VAE", shown, match.file.name, status, "matched_hash" if match.by == "hash" else "matched_name",
          file=match.file.path.name)
    b.changes["vae"] = match.file.name


def _loras(b, meta, roots, server, hashes: dict[str, str]) -> None:
    from promptlab import syntax

    prompt = b.changes.get("prompt", b.params.prompt)
    comfy = _comfy_loras(b.params)
    if comfy:
        tags = []
        for lora in comfy:
            stem = str(lora.get("name", "")).replace("\\", "/").rsplit(".", 1)[0]
            unet = lora.get("strength_model")
            te = lora.get("strength_clip")
            te = unet if te is None else te
            weights = f"{_num(te)}" if unet in (None, te) else f"{_num(te)}:{_num(unet)}"
            tags.append(f"<lora:{stem}:{weights}>")
        prompt = prompt.rstrip() + (", " if prompt.strip() else "") + ", ".join(tags)
        b.add("LoRA loaders", json.dumps(comfy, ensure_ascii=False), ", ".join(tags), Status.MAPPED, "comfy_loras")
    lora_hashes = b.params.lora_hash_map()
    _text, networks = syntax.extra_networks(prompt)
    index = _index(roots, "lora", b.hash_new) if b.backend == "local" else None
    drop: list[tuple[int, int]] = []
    for net in networks:
        if net.kind not in ("lora", "lyco"):
            continue
        wanted = lora_hashes.get(net.name) or hashes.get(f"lora:{net.name}")
        key = f"LoRA {net.name}"
        shown = f"{net.name} [{wanted}]" if wanted else net.name
        if b.backend != "local":
            known = server.loras if server else ()
            if known and _match_name(net.name, known) is None:
                b.add(key, shown, None, Status.NOT_REPRODUCIBLE, "lora_missing", name=net.name, hash=wanted or "-")
                drop.append((net.start, net.end))
            else:
                b.add(key, shown, net.name, Status.APPROXIMATED if not known else Status.MAPPED,
                      "unchecked" if not known else "matched_name", backend=b.backend, file=net.name)
            continue
        match = index.match(net.name, wanted) if index is not None else None
        if match is None or match.file is None:
            b.add(key, shown, None, Status.NOT_REPRODUCIBLE, "lora_missing", name=net.name, hash=wanted or "-")
            drop.append((net.start, net.end))
        elif match.by == "hash":
            b.add(key, shown, match.file.name, Status.EXACT, "matched_hash", file=match.file.path.name)
        else:
            note = "hash_differs" if match.by == "name-hash-differs" else "matched_name"
            b.add(key, shown, match.file.name, Status.APPROXIMATED, note, file=match.file.path.name)
    for start, end in sorted(drop, reverse=True):   # a missing LoRA would stop the run: leave its tag out
        prompt = prompt[:start] + prompt[end:]
    b.changes["prompt"] = prompt


def _embeddings(b, roots, ti_hashes: dict[str, str]) -> None:
    if not ti_hashes:
        return
    index = _index(roots, "embedding", b.hash_new) if b.backend == "local" else None
    for name, digest in ti_hashes.items():
        if index is None:
            b.add(f"Embedding {name}", f"{name} [{digest}]", name, Status.APPROXIMATED, "unchecked", backend=b.backend)
            continue
        match = index.match(name, digest)
        if match.file is None:
            b.add(f"Embedding {name}", f"{name} [{digest}]", None, Status.NOT_REPRODUCIBLE, "embedding_missing",
                  name=name, hash=digest)
        else:
            status = Status.EXACT if match.by == "hash" else Status.APPROXIMATED
            b.add(f"Embedding {name}", f"{name} [{digest}]", match.file.name, status,
                  "matched_hash" if match.by == "hash" else "matched_name", file=match.file.path.name)


def _comfy_loras(params: Any) -> list[dict[str, Any]]:
    raw = params.extra_dict().get("Loras")
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _match_name(name: str, known: tuple[str, ...]) -> str | None:
    from promptlab.backend.a1111_api import match_model_name

    return match_model_name(name, list(known))


def _num(value: Any) -> str:
    if value is None:
        return "1"
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"
