"""Shared fixtures for the backend tests: tiny checkpoints built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tiny-ckpts")


@pytest.fixture(scope="session")
def tiny_sd1(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sd1.safetensors", "sd1")


@pytest.fixture(scope="session")
def tiny_sdxl(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sdxl.safetensors", "sdxl")


@pytest.fixture(scope="session")
def tiny_sd2(tiny_dir):
    from promptlab.backend.tiny import make_tiny_checkpoint

    return make_tiny_checkpoint(tiny_dir / "tiny-sd2.safetensors", "sd2")
