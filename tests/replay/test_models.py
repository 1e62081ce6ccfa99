"""Models matched by hash first (AutoV2, full sha256, A1111's old 8-hex, LoRA AutoV3), then by name."""

from __future__ import annotations

import hashlib
import json
import struct

import pytest

from promptlab.backend import models as backend_models
from promptlab.backend.models import ModelRoots
from promptlab.metadata.model import ImageMetadata
from promptlab.params import GenerationParams
from promptlab.replay import Status, build_plan
from promptlab.replay.models import ModelIndex, legacy_hash


def _write_safetensors(path, payload: bytes, metadata: dict | None = None) -> None:
    header = {"w": {"dtype": "U8", "shape": [len(payload)], "data_offsets": [0, len(payload)]}}
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + payload)


@pytest.fixture
def roots(tmp_path):
    root = tmp_path / "models"
    _write_safetensors(root / "Stable-diffusion" / "renamed_by_user.safetensors", b"A" * 2_000_000)
    _write_safetensors(root / "Stable-diffusion" / "waiIllustrious.safetensors", b"B" * 1000)
    _write_safetensors(root / "Lora" / "detail.safetensors", b"lora-weights", {"ss_note": "one"})
    _write_safetensors(root / "VAE" / "ft.safetensors", b"vae")
    return ModelRoots(root)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plan(roots, **fields):
    params = GenerationParams(prompt=fields.pop("prompt", "x"), **fields)
    return build_plan(ImageMetadata("t.png", "sd-webui", params, format="a1111-infotext", params_list=(params,)),
                      roots=roots)


@pytest.mark.parametrize("form", ["autov2", "full", "full-upper", "legacy"], ids=str)
def test_checkpoint_found_by_hash_under_another_name(roots, form):
    path = roots.folder("checkpoint") / "renamed_by_user.safetensors"
    digest = {"autov2": _sha(path)[:10], "full": _sha(path), "full-upper": _sha(path).upper(),
              "legacy": legacy_hash(path)}[form]
    plan = _plan(roots, model="original_name", model_hash=digest)
    item = plan.item("Model")
    assert (item.status, plan.params.model) == (Status.EXACT, "renamed_by_user")
    assert "renamed_by_user.safetensors" in item.explain()


def test_legacy_hash_is_a1111s_64k_at_1mib(roots):
    path = roots.folder("checkpoint") / "renamed_by_user.safetensors"
    with path.open("rb") as fh:
        fh.seek(0x100000)
        assert legacy_hash(path) == hashlib.sha256(fh.read(0x10000)).hexdigest()[:8]


def test_same_name_other_hash_is_approximated(roots):
    plan = _plan(roots, model="waiIllustrious", model_hash="0000000000")
    item = plan.item("Model")
    assert item.status is Status.APPROXIMATED and item.note == "hash_differs"
    assert plan.params.model == "waiIllustrious"


def test_name_only_is_approximated_and_missing_is_named(roots):
    assert _plan(roots, model="waiIllustrious.safetensors").item("Model").note == "matched_name"
    missing = _plan(roots, model="gone", model_hash="feedbeef00").item("Model")
    assert missing.status is Status.NOT_REPRODUCIBLE and "gone" in missing.explain() and "feedbeef00" in missing.explain()


def test_lora_by_autov3_hash_of_tensor_bytes(roots):
    lora = roots.folder("lora") / "detail.safetensors"
    autov3 = backend_models.addnet_hash(lora)[:12]
    # editing the metadata keeps AutoV3: the hash is of the bytes after the header
    _write_safetensors(lora, b"lora-weights", {"ss_note": "edited, longer header"})
    plan = _plan(roots, prompt="a <lora:renamed:0.8>, b <lora:absent:1>",
                 lora_hashes=f"renamed: {autov3}, absent: 0123456789ab")
    assert plan.item("LoRA renamed").status is Status.EXACT
    assert plan.item("LoRA absent").status is Status.NOT_REPRODUCIBLE
    assert "<lora:absent" not in plan.params.prompt and "<lora:renamed:0.8>" in plan.params.prompt


@pytest.mark.parametrize(("vae", "expected"), [("Automatic", None), ("None", None), ("ft", "ft")], ids=str)
def test_vae_automatic_is_the_checkpoints_own(roots, vae, expected):
    plan = _plan(roots, vae=vae)
    assert plan.params.vae == expected and plan.item("VAE").status in (Status.EXACT, Status.APPROXIMATED)


def test_hashing_100_files_happens_once(tmp_path, monkeypatch):
    root = tmp_path / "many"
    for i in range(100):
        _write_safetensors(root / "Stable-diffusion" / f"m{i:03d}.safetensors", bytes([i]) * 64)
    calls = []
    real = backend_models._sha256
    monkeypatch.setattr(backend_models, "_sha256", lambda p, offset=0: calls.append(p) or real(p, offset))
    index = ModelIndex(ModelRoots(root), "checkpoint")
    assert index.match("nothing", "abcdef0123").file is None      # every file hashed once
    assert len(calls) == 100
    again = ModelIndex(ModelRoots(root), "checkpoint")
    assert again.match("nothing", "abcdef0123").file is None and len(calls) == 100   # from the cache


def test_interactive_plans_only_read_cached_hashes(tmp_path, monkeypatch):
    root = tmp_path / "many"
    for i in range(5):
        _write_safetensors(root / "Stable-diffusion" / f"m{i}.safetensors", bytes([i]) * 64)
    target = root / "Stable-diffusion" / "m3.safetensors"
    digest = _sha(target)[:10]
    calls = []
    real = backend_models._sha256
    monkeypatch.setattr(backend_models, "_sha256", lambda p, offset=0: calls.append(p) or real(p, offset))
    lazy = ModelIndex(ModelRoots(root), "checkpoint", hash_new=False)
    missing = lazy.match("other_name", digest)
    assert missing.file is None and missing.unhashed == 5 and calls == []
    plan = _plan(ModelRoots(root), model="other_name", model_hash=digest)   # the CLI hashes what it must
    assert plan.params.model == "m3"
    found = ModelIndex(ModelRoots(root), "checkpoint", hash_new=False).match("other_name", digest)
    assert found.by == "hash" and found.file.name == "m3"                 # now from the cache
