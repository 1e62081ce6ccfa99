from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from promptlab.backend.safeload import load_state_dict, read_safetensors_header, safetensors_metadata
from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError, UnsafeModelError


@pytest.fixture
def weights():
    return {"a.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(4)}


def test_safetensors_round_trip(tmp_path, weights):
    path = tmp_path / "w.safetensors"
    save_file(weights, str(path), metadata={"ss_base_model_version": "sd_v1"})
    got = load_state_dict(path)
    assert set(got) == set(weights)
    assert torch.equal(got["a.weight"], weights["a.weight"])
    assert safetensors_metadata(path) == {"ss_base_model_version": "sd_v1"}


@pytest.mark.parametrize("suffix", [".ckpt", ".pt", ".pth", ".bin"], ids=lambda s: s)
def test_pickle_refused_without_opt_in(tmp_path, weights, suffix):
    path = tmp_path / f"w{suffix}"
    torch.save(weights, path)
    with pytest.raises(UnsafeModelError, match="allow_pickle=True"):
        load_state_dict(path)


def test_pickle_loaded_weights_only_when_opted_in(tmp_path, weights):
    path = tmp_path / "w.ckpt"
    torch.save({"state_dict": weights, "global_step": 5}, path)
    got = load_state_dict(path, allow_pickle=True)
    assert set(got) == set(weights)


def test_pickle_nested_dicts_are_flattened(tmp_path):
    path = tmp_path / "emb.pt"
    torch.save({"string_to_param": {"*": torch.zeros(2, 768)}, "name": "x"}, path)
    assert set(load_state_dict(path, allow_pickle=True)) == {"string_to_param.*"}


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_with_code_refused_even_when_opted_in(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"x": _Evil()}, path)
    with pytest.raises(ModelLoadError, match="weights_only"):
        load_state_dict(path, allow_pickle=True)


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("empty.safetensors", b"", ModelLoadError, "not a valid"),
        ("garbage.safetensors", b"\xff" * 64, ModelLoadError, "bad header"),
        ("badjson.safetensors", (10).to_bytes(8, "little") + b"{not json}" + b"\0" * 8, ModelLoadError, "corrupt"),
        ("model.txt", b"hello", InvalidInputError, "unsupported file type"),
        ("corrupt.ckpt", b"not a zip", ModelLoadError, "corrupt"),
    ],
    ids=["empty", "garbage", "bad-json", "wrong-type", "corrupt-pickle"],
)
def test_bad_files(tmp_path, name, content, error, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=match):
        load_state_dict(path, allow_pickle=True)


def test_truncated_safetensors(tmp_path, weights):
    path = tmp_path / "w.safetensors"
    save_file(weights, str(path))
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(ModelLoadError, match="truncated"):
        load_state_dict(path)
    with pytest.raises(ModelLoadError):
        read_safetensors_header(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelNotFoundError):
        load_state_dict(tmp_path / "nope.safetensors")
    with pytest.raises(InvalidInputError, match="folder"):
        load_state_dict(tmp_path)
