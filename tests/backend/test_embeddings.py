"""Textual-inversion files in A1111's formats, loaded safely."""

from __future__ import annotations

import hashlib

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402

from promptlab.backend.embeddings import load_embedding, load_embeddings  # noqa: E402
from promptlab.errors import InvalidInputError, ModelNotFoundError, UnsafeModelError  # noqa: E402


def vec(n, dim, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "embeddings"
    (root / "sub").mkdir(parents=True)
    save_file({"emb_params": vec(4, 768)}, str(root / "EasyNegative.safetensors"))
    save_file({"clip_l": vec(2, 768), "clip_g": vec(2, 1280)}, str(root / "sub" / "xl_style.safetensors"))
    torch.save({"string_to_token": {"*": 265}, "string_to_param": {"*": vec(3, 768, 1)}, "name": "a1111", "step": 10},
               root / "a1111_trained.pt")
    torch.save({"<concept>": vec(1, 768, 2)[0]}, root / "concept.bin")
    (root / "notes.txt").write_text("not an embedding")
    (root / "broken.safetensors").write_bytes(b"\x00" * 20)
    return root


def test_sd1_folder_reads_safetensors_and_skips_the_rest(folder):
    result = load_embeddings(folder, "sd1")
    assert sorted(result.embeddings) == ["EasyNegative"]
    assert result.vector_counts() == {"EasyNegative": 4}
    emb = result.embeddings["EasyNegative"]
    assert emb.dims() == {"clip": 768}
    assert emb.shorthash == hashlib.sha256((folder / "EasyNegative.safetensors").read_bytes()).hexdigest()[:12]
    reasons = dict(result.skipped)
    assert "SDXL" in reasons["sub/xl_style.safetensors"]
    assert "Refused" in reasons["a1111_trained.pt"] and "Refused" in reasons["concept.bin"]
    assert "broken.safetensors" in reasons


def test_pickles_with_opt_in(folder):
    result = load_embeddings(folder, "sd1", allow_pickle=True)
    assert result.vector_counts() == {"EasyNegative": 4, "a1111_trained": 3, "concept": 1}
    assert torch.equal(result.embeddings["a1111_trained"].tensors["clip"], vec(3, 768, 1))


def test_sdxl_folder(folder):
    result = load_embeddings(folder, "sdxl")
    assert list(result.embeddings) == ["xl_style"]
    assert result.embeddings["xl_style"].dims() == {"clip_l": 768, "clip_g": 1280}


def test_single_file_errors(folder):
    with pytest.raises(UnsafeModelError):
        load_embedding(folder / "a1111_trained.pt", "sd1")
    with pytest.raises(InvalidInputError, match="SDXL embedding"):
        load_embedding(folder / "sub" / "xl_style.safetensors", "sd1")


def test_missing_folder_and_bad_family(tmp_path):
    with pytest.raises(ModelNotFoundError):
        load_embeddings(tmp_path / "nope", "sd1")
    with pytest.raises(InvalidInputError, match="family"):
        load_embeddings(tmp_path, "sd3")
