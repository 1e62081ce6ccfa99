"""Every error the UI shows gets a sentence in the UI language (app_pages/error_text.py)."""

from __future__ import annotations

import pytest

from app_pages.error_text import error_detail, error_key
from promptlab.backend.download import offline_message
from promptlab.errors import (
    BackendError,
    CancelledError,
    InvalidInputError,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
    PromptlabError,
    UnsafeModelError,
    missing_dependency,
)
from promptlab.i18n import t


class NetworkError(Exception):
    """Stands for tagdb's NetworkError: matched by class name (promptlab never imports tagdb)."""


CASES = [
    (ModelNotFoundError("No model.onnx in models/taggers/wd. Put the tagger's model.onnx there."), "app.error.no_tagger"),
    (ModelNotFoundError("No checkpoint found in models/Stable-diffusion. Put a .safetensors file there."),
     "app.error.no_checkpoint"),
    (ModelNotFoundError("CLIP weights for ViT-L-14 (openai) are not downloaded."), "app.error.no_clip"),
    (missing_dependency("onnxruntime", "tagger"), "app.error.missing_dependency"),
    (ImportError("No module named 'torch'"), "app.error.missing_dependency"),
    (UnsafeModelError("x.ckpt is pickled"), "app.error.unsafe_model"),
    (ModelLoadError("x is a LoRA, not a checkpoint"), "app.error.model_load"),
    (BackendError("Download of v1-5.safetensors failed (timed out)"), "app.error.download"),
    (BackendError("Out of memory: CUDA. Lower the size"), "app.error.out_of_memory"),
    (BackendError("Cannot reach http://127.0.0.1:7860 (refused). Is the server running with --api?"),
     "app.error.unreachable"),
    (BackendError("Cannot reach ComfyUI at http://h:8188 (x). Is it running?"), "app.error.unreachable"),
    (BackendError("2 of 4 jobs failed on every backend: boom"), "app.error.jobs_failed"),
    (BackendError("sampler exploded"), "app.error.backend"),
    (CancelledError("cancelled"), "app.error.cancelled"),
    (InvalidInputError("Backend URL '' must start with http:// or https://."), "app.error.bad_url"),
    (InvalidInputError("steps must be > 0"), "app.error.invalid_input"),
    (PromptlabError("odd"), "app.error.generic"),
    (NetworkError("https://danbooru.donmai.us answered 'x'"), "app.error.danbooru"),
    (OSError("disk full"), "app.error.os"),
    (RuntimeError("boom"), "app.error.unexpected"),
]


@pytest.mark.parametrize(("exc", "key"), CASES, ids=[key.split(".")[-1] + f"-{i}" for i, (_e, key) in enumerate(CASES)])
def test_error_key(exc, key):
    assert error_key(exc) == key
    assert t(key, "zh") != t(key, "en")   # a real translation, not a copy of the English


def test_detail_keeps_the_english_message_and_class():
    assert error_detail(BackendError("Cannot reach x")) == "BackendError: Cannot reach x"


def test_offline_download_message_names_the_file_and_folder(tmp_path):
    message = offline_message(tmp_path)
    assert str(tmp_path) in message and ".safetensors" in message
