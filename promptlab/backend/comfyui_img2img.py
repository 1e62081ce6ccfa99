"""img2img on ComfyUI: the init image uploaded with ``/upload/image``, then LoadImage -> VAEEncode
[-> LatentUpscale] -> KSampler.

The image is fitted to the output size here, with A1111's own resize (``promptlab.init_image.resize_image``:
Lanczos; ComfyUI has no "resize and fill"), so only the pixels the job needs are uploaded. "Latent
upscale" uploads the image as it is and resizes the encoded latents bilinearly (LatentUpscale), as
A1111 does. Uploads are named by content (``promptlab_<sha256>.png``), so repeating a job does not
pile up copies in ComfyUI's input folder.

Steps: ComfyUI's KSampler with ``denoise < 1`` builds a schedule of ``int(steps / denoise)`` and samples
its last ``steps``. A1111 samples the last ``t_enc + 1`` steps of a schedule of ``steps`` (or ``steps`` of
``int(steps / strength)`` with "do exactly the steps"), so the KSampler gets ``steps = run`` and
``denoise = run / (schedule + 0.5)`` (the +0.5 keeps ``int()`` on the schedule's length under float
rounding): the same sigmas as A1111, noise added at the first of them.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from promptlab.backend.img2img import a1111_steps
from promptlab.errors import BackendError
from promptlab.init_image import Img2ImgError, InitImage, ResizeMode, check_denoise, resize_image


def sampler_steps(params: Any) -> tuple[int, float]:
    """(KSampler steps, KSampler denoise) that sample A1111's slice of the schedule."""
    denoise = check_denoise(params.denoising_strength)
    schedule, run = a1111_steps(int(params.steps), denoise, params.init_image.exact_steps)
    return run, min(1.0, run / (schedule + 0.5))


def upload_bytes(init: InitImage, width: int, height: int) -> tuple[str, bytes]:
    """(file name, PNG bytes) to upload: fitted to width x height unless the latents are resized."""
    image = init.decode()
    if init.resize_mode is not ResizeMode.LATENT_UPSCALE:
        image = resize_image(init.resize_mode, image, width, height)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return f"promptlab_{hashlib.sha256(data).hexdigest()[:24]}.png", data


def upload(http: Any, url: str, params: Any) -> str:
    """Upload the fitted init image of ``params``; the name ComfyUI stored it under (for LoadImage)."""
    import httpx

    from promptlab.backend.a1111_api import hires_enabled

    if hires_enabled(params):
        raise Img2ImgError("img2img.err.hires")
    check_denoise(params.denoising_strength)
    name, data = upload_bytes(params.init_image, params.width, params.height)
    try:
        response = http.post("/upload/image", files={"image": (name, data, "image/png")},
                             data={"overwrite": "true", "type": "input"})
    except httpx.HTTPError as exc:
        raise BackendError(f"Uploading the init image to ComfyUI at {url} failed: {exc}") from None
    if response.status_code >= 400:
        raise BackendError(f"ComfyUI refused the init image upload (HTTP {response.status_code}): "
                           f"{response.text[:300]}")
    try:
        stored = response.json()
    except ValueError:
        raise BackendError("ComfyUI's /upload/image did not return JSON.") from None
    stored_name = str(stored.get("name") or name) if isinstance(stored, dict) else name
    subfolder = stored.get("subfolder") if isinstance(stored, dict) else ""
    return f"{subfolder}/{stored_name}" if subfolder else stored_name


def add_nodes(graph: dict[str, Any], params: Any, image_name: str, vae: list) -> list:
    """LoadImage -> VAEEncode [-> LatentUpscale] in ``graph``; the latent link for the KSampler."""
    graph["30"] = {"class_type": "LoadImage", "inputs": {"image": image_name}}
    graph["31"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["30", 0], "vae": vae}}
    latent = ["31", 0]
    if params.init_image.resize_mode is ResizeMode.LATENT_UPSCALE:
        graph["32"] = {"class_type": "LatentUpscale", "inputs": {
            "samples": latent, "upscale_method": "bilinear", "width": params.width, "height": params.height,
            "crop": "disabled"}}
        latent = ["32", 0]
    return latent
