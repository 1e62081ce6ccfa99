"""The A1111 API's img2img request (``/sdapi/v1/img2img``) <-> ``GenerationParams.init_image``.

Shared by ``RemoteA1111Backend`` (which sends it) and ``promptlab serve`` (which answers it). The
body is the txt2img body without the hires fields, plus ``init_images`` (base64), ``resize_mode``
(0-3) and ``denoising_strength``; A1111's "do exactly the steps" travels as the
``img2img_fix_steps`` override setting.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from promptlab.init_image import DEFAULT_DENOISE, Img2ImgError, InitImage, ResizeMode, check_denoise

TXT2IMG_PATH = "/sdapi/v1/txt2img"
IMG2IMG_PATH = "/sdapi/v1/img2img"
FIX_STEPS = "img2img_fix_steps"


def request_for(params: Any, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(path, body): ``body`` (a txt2img body from ``payload_from_params``) turned into an img2img one
    when ``params`` carries an init image."""
    from promptlab.backend.a1111_api import hires_enabled

    init: InitImage | None = params.init_image
    if init is None:
        return TXT2IMG_PATH, body
    if hires_enabled(params):   # A1111's img2img has no hires fix: refused, never dropped silently
        raise Img2ImgError("img2img.err.hires")
    check_denoise(params.denoising_strength)
    body = {k: v for k, v in body.items() if not k.startswith("hr_") and k != "enable_hr"}
    body["init_images"] = [base64.b64encode(init.data).decode("ascii")]
    body["resize_mode"] = init.resize_mode.index
    body["denoising_strength"] = DEFAULT_DENOISE if params.denoising_strength is None else params.denoising_strength
    if init.exact_steps:
        body["override_settings"] = {**(body.get("override_settings") or {}), FIX_STEPS: True}
        body["override_settings_restore_afterwards"] = False
    return IMG2IMG_PATH, body


def init_image_from_payload(body: dict[str, Any]) -> InitImage:
    """The init image an img2img request carries; ``Img2ImgError`` (field in ``.field``) when it cannot be used."""
    images = body.get("init_images") or []
    if len(images) != 1 or not isinstance(images[0], str):
        raise _field(Img2ImgError("img2img.err.not_image", name="init_images",
                                  error=f"give exactly one base64 image, got {len(images)}"), "init_images")
    text = images[0]
    try:
        data = base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text, validate=True)
    except (binascii.Error, ValueError):
        raise _field(Img2ImgError("img2img.err.not_image", name="init_images[0]", error="not base64"),
                     "init_images") from None
    settings = body.get("override_settings") or {}
    try:
        mode = ResizeMode.parse(body.get("resize_mode", 0))
    except Img2ImgError as exc:
        raise _field(exc, "resize_mode") from None
    try:
        return InitImage.from_bytes(data, name="init_images[0]", resize_mode=mode,
                                    exact_steps=bool(settings.get(FIX_STEPS, False)))
    except Img2ImgError as exc:
        raise _field(exc, "init_images") from None


def _field(exc: Img2ImgError, name: str) -> Img2ImgError:
    exc.field = name
    return exc
