"""Tiny upscaler models in an A1111-layout models folder, built once per session."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def up_models(tmp_path_factory):
    """models/ with 4x-Tiny (RRDBNet, safetensors), R-ESRGAN 4x+ (RRDBNet .pth) and
    R-ESRGAN General 4xV3 (SRVGGNetCompact .pth)."""
    from promptlab.upscale.testing import write_tiny_upscalers

    root = tmp_path_factory.mktemp("up-models")
    write_tiny_upscalers(root)
    return root


@pytest.fixture(scope="session")
def roots(up_models):
    from promptlab.backend.models import ModelRoots

    return ModelRoots.from_args(up_models)


def noise_image(width: int, height: int, seed: int = 0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    return Image.fromarray((rng.random((height, width, 3)) * 255).astype(np.uint8), "RGB")
