"""The Backend protocol every generation backend (local diffusers, remote A1111, ComfyUI, pools) follows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

    from promptlab.params import GenerationParams


@dataclass(frozen=True)
class Progress:
    """Reported during a run. ``preview`` is a small decoded preview when the backend has one."""

    step: int
    total_steps: int
    image_index: int = 0
    total_images: int = 1
    preview: Image.Image | None = None
    message: str = ""


@dataclass(frozen=True)
class GeneratedImage:
    """One output image with the exact parameters that made it (seed resolved, model hash filled)."""

    image: Image.Image
    params: GenerationParams
    infotext: str
    warnings: tuple[str, ...] = ()  # what the run could not do as asked (e.g. a hypernetwork not applied)


ProgressCallback = Callable[[Progress], None]


@runtime_checkable
class Backend(Protocol):
    """What grids, the CLI, the server and the app use to make images.

    ``generate`` makes ``params.batch_count * params.batch_size`` images (seed+i per image when
    ``params.seed`` is fixed; ``-1`` picks a random seed). ``params.model`` selects the checkpoint
    (``None`` = the backend's current/default model). ``cancel`` is checked between steps; when
    set, the run stops and raises ``promptlab.errors.CancelledError``.

    img2img: ``params.init_image`` (``promptlab.init_image.InitImage``) with ``params.denoising_strength``.
    A backend that takes it says so with a class attribute ``supports_img2img = True``; callers (pools,
    grids, the server, the page) never hand an init image to one without it
    (``promptlab.init_image.require_img2img``), so a txt2img-only backend cannot silently ignore it.
    """

    name: str

    def generate(
        self,
        params: GenerationParams,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[GeneratedImage]: ...

    def list_models(self) -> list[str]: ...

    def list_samplers(self) -> list[str]: ...

    def close(self) -> None: ...
