"""A small deterministic backend for grid tests: a real class that draws its params into an image."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace

from PIL import Image, ImageDraw

from promptlab.backend.base import GeneratedImage, Progress
from promptlab.errors import BackendError, CancelledError, ModelLoadError, ModelNotFoundError
from promptlab.params import GenerationParams


def colour_of(params: GenerationParams) -> tuple[int, int, int]:
    digest = hashlib.sha256(repr(params).encode()).digest()
    return digest[0], digest[1], digest[2]


class DrawBackend:
    """Loads a "model" when params.model changes (counted); fills the image with a colour from the params.

    ``bad_models`` fail to load (ModelLoadError); ``fail_prompts`` fail with BackendError;
    a prompt using one of ``missing_loras`` fails with ModelNotFoundError (the checkpoint itself is fine);
    ``cancel_after`` sets the run's cancel event once that many images were made.
    """

    def __init__(self, name="draw", *, bad_models=(), fail_prompts=(), missing_loras=(), cancel_after=None,
                 samplers=("Euler a", "Euler", "DPM++ 2M", "DDIM")):
        self.name = name
        self.model_loads = 0
        self.current = object()
        self.calls: list[GenerationParams] = []
        self.bad_models = set(bad_models)
        self.fail_prompts = set(fail_prompts)
        self.missing_loras = set(missing_loras)
        self.cancel_after = cancel_after
        self.samplers = list(samplers)
        self.lock = threading.Lock()

    def generate(self, params, *, on_progress=None, cancel=None):
        with self.lock:
            if cancel is not None and cancel.is_set():
                raise CancelledError("cancelled")
            if params.model != self.current:
                if params.model in self.bad_models:
                    self.current = object()
                    raise ModelLoadError(f"cannot load {params.model}")
                self.current = params.model
                self.model_loads += 1
            for lora in self.missing_loras:
                if f"<lora:{lora}:" in params.prompt:
                    raise ModelNotFoundError(f"No lora named {lora!r} in models/Lora.")
            if params.prompt in self.fail_prompts:
                raise BackendError(f"failed on {params.prompt}")
            for step in range(1, 3):
                if on_progress:
                    on_progress(Progress(step, 2))
            self.calls.append(params)
            image = Image.new("RGB", (params.width, params.height), colour_of(params))
            ImageDraw.Draw(image).text((2, 2), str(len(self.calls)), fill=(255, 255, 255))
            if self.cancel_after is not None and len(self.calls) >= self.cancel_after and cancel is not None:
                cancel.set()
            out = replace(params, model_hash="abc1234567")
            return [GeneratedImage(image, out, f"{params.prompt}\nSteps: {params.steps}, Sampler: {params.sampler}")]

    def list_models(self):
        return []

    def list_samplers(self):
        return list(self.samplers)

    def close(self):
        pass
