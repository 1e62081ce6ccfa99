"""Model discovery, family / v-prediction detection from the weights, A1111 hashes, safe names."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from promptlab.backend.models import (
    Family,
    ModelRoots,
    Prediction,
    addnet_hash,
    detect_checkpoint,
    find_model,
    list_models,
    lora_short_hash,
    resolve_checkpoint,
    short_hash,
)
from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError, UnsafeModelError

V_BIAS_KEY = "model.diffusion_model.output_blocks.5.1.transformer_blocks.0.norm1.bias"


@pytest.mark.parametrize(
    ("fixture", "family", "config"),
    [("tiny_sd1", Family.SD1, "tiny-sd1"), ("tiny_sd2", Family.SD2, "tiny-sd2"), ("tiny_sdxl", Family.SDXL, "tiny-sdxl")],
    ids=["sd1", "sd2", "sdxl"],
)
def test_family_from_weights(request, fixture, family, config):
    kind = detect_checkpoint(request.getfixturevalue(fixture))
    assert (kind.family, kind.prediction, kind.config_name, kind.zero_snr) == (family, Prediction.EPSILON, config, False)


def _variant(tmp_path, source, name, change):
    state = load_file(str(source))
    change(state)
    path = tmp_path / name
    save_file(state, str(path))
    return path


def test_sd2_v_prediction_from_statistics(tmp_path, tiny_sd2):
    # A 768-v model's last output-block norm1 bias is spread out (std > 0.09), an epsilon one's is not.
    def spread(state):
        state[V_BIAS_KEY] = torch.linspace(-0.5, 0.5, state[V_BIAS_KEY].numel())

    assert V_BIAS_KEY in load_file(str(tiny_sd2))
    assert detect_checkpoint(_variant(tmp_path, tiny_sd2, "v.safetensors", spread)).prediction is Prediction.V


def test_v_prediction_markers(tmp_path, tiny_sd1, tiny_sdxl):
    vpred = _variant(tmp_path, tiny_sdxl, "xl-v.safetensors", lambda s: s.update(v_pred=torch.tensor([]), ztsnr=torch.tensor([])))
    kind = detect_checkpoint(vpred)
    assert (kind.family, kind.prediction, kind.zero_snr) == (Family.SDXL, Prediction.V, True)
    sidecar = tmp_path / "side.safetensors"
    shutil.copy(tiny_sd1, sidecar)
    (tmp_path / "side.yaml").write_text('model:\n  params:\n    parameterization: "v"\n', encoding="utf-8")
    assert detect_checkpoint(sidecar).prediction is Prediction.V


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.update({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(32, 9, 3, 3)}), "inpainting"),
        (lambda s: [s.pop(k) for k in list(s) if k.startswith("model.diffusion_model.")], "not a Stable Diffusion checkpoint"),
        (lambda s: s.update({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(48, 4, 3, 3)}), "unusual architecture"),
    ],
    ids=["inpainting", "no-unet", "odd-width"],
)
def test_unsupported_checkpoints(tmp_path, tiny_sd1, change, match):
    with pytest.raises(ModelLoadError, match=match):
        detect_checkpoint(_variant(tmp_path, tiny_sd1, "x.safetensors", change))


def test_lora_in_checkpoint_folder_is_named(tmp_path, models_root):
    with pytest.raises(ModelLoadError, match="is a LoRA"):
        detect_checkpoint(models_root / "Lora" / "style.safetensors")


def test_pickle_detection_needs_opt_in(tmp_path, tiny_sd1):
    path = tmp_path / "m.ckpt"
    torch.save({"state_dict": load_file(str(tiny_sd1))}, path)
    with pytest.raises(UnsafeModelError):
        detect_checkpoint(path)
    assert detect_checkpoint(path, allow_pickle=True).family is Family.SD1


def test_listing_and_names(models_root):
    roots = ModelRoots(models_root)
    assert [m.name for m in list_models(roots, "checkpoint")] == ["sub/tinyxl", "tiny"]
    assert [m.name for m in list_models(roots, "lora")] == ["style", "xl_style"]
    assert list_models(roots, "vae") == []
    for name in ("tiny", "tiny.safetensors", "TINY", "sub/tinyxl", "tinyxl"):
        assert find_model(roots, "checkpoint", name).path.suffix == ".safetensors"
    with pytest.raises(ModelNotFoundError, match="Available: sub/tinyxl, tiny"):
        find_model(roots, "checkpoint", "missing")


@pytest.mark.parametrize("name", ["../Lora/style", "/etc/passwd", "sub/../../Lora/style", "a\x00b"],
                         ids=["dotdot", "absolute", "nested", "nul"])
def test_names_cannot_escape(models_root, name):
    with pytest.raises(InvalidInputError):
        find_model(ModelRoots(models_root), "checkpoint", name)


def test_resolve_checkpoint_sources(models_root, tmp_path, monkeypatch):
    roots = ModelRoots(models_root)
    assert resolve_checkpoint(roots, "tiny").kind == "file"
    assert resolve_checkpoint(roots, None).name == "tinyxl"  # the first found
    direct = resolve_checkpoint(roots, str(models_root / "Stable-diffusion" / "tiny.safetensors"))
    assert (direct.kind, direct.name) == ("file", "tiny")
    folder = tmp_path / "diffusers-model"
    folder.mkdir()
    with pytest.raises(InvalidInputError, match="no model_index.json"):
        resolve_checkpoint(roots, str(folder))
    (folder / "model_index.json").write_text("{}")
    assert resolve_checkpoint(roots, str(folder)).kind == "folder"
    hub = resolve_checkpoint(roots, "stabilityai/sdxl-turbo")
    assert (hub.kind, hub.name) == ("hub", "sdxl-turbo")
    with pytest.raises(ModelNotFoundError, match="No checkpoint found in"):
        resolve_checkpoint(ModelRoots(tmp_path / "empty"), None)


def test_hub_id_offline_is_a_clear_error(models_root):
    from promptlab.backend.diffusers_backend import DiffusersBackend
    from promptlab.params import GenerationParams

    b = DiffusersBackend(models_root, device="cpu")
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE"):
        b.generate(GenerationParams(prompt="x", steps=1, width=64, height=64, model="someone/some-model"))


def test_a1111_root(tmp_path, tiny_sd1):
    with pytest.raises(ModelNotFoundError, match="webui"):
        ModelRoots.from_args(a1111_root=tmp_path)
    (tmp_path / "models" / "Stable-diffusion").mkdir(parents=True)
    (tmp_path / "embeddings").mkdir()
    shutil.copy(tiny_sd1, tmp_path / "models" / "Stable-diffusion" / "webui.safetensors")
    (tmp_path / "embeddings" / "neg.safetensors").write_bytes(b"x")
    roots = ModelRoots.from_args(a1111_root=tmp_path)
    assert [m.name for m in list_models(roots, "checkpoint")] == ["webui"]
    assert [m.name for m in list_models(roots, "embedding")] == ["neg"]


def test_hashes(tmp_path, tiny_sd1, models_root):
    expected = hashlib.sha256(tiny_sd1.read_bytes()).hexdigest()
    assert short_hash(tiny_sd1) == expected[:10]
    assert short_hash(tiny_sd1) == expected[:10]  # from the cache
    lora = models_root / "Lora" / "style.safetensors"
    data = lora.read_bytes()
    header = int.from_bytes(data[:8], "little")
    assert addnet_hash(lora) == hashlib.sha256(data[8 + header:]).hexdigest()
    assert lora_short_hash(lora) == addnet_hash(lora)[:12]


def test_hash_cache_follows_file_changes(tmp_path):
    path = tmp_path / "f.safetensors"
    path.write_bytes(b"one")
    first = short_hash(path)
    path.write_bytes(b"two!")
    assert short_hash(path) != first == hashlib.sha256(b"one").hexdigest()[:10]
