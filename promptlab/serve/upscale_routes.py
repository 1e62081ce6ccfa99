"""A1111's Extras endpoints on the server: ``/sdapi/v1/extra-single-image``, ``/sdapi/v1/upscalers``
and ``/sdapi/v1/latent-upscale-modes``, in A1111's request and response shapes.

Face restoration (GFPGAN / CodeFormer) and the blended second upscaler are not implemented: a
request that asks for them is refused with 422 rather than answered without them.
"""

# no `from __future__ import annotations`: FastAPI must see the request model class itself, not a string
import base64
import html
import threading
from typing import Any


def add_upscale_routes(app: Any, primary: Any, decode_image: Any) -> None:
    """Register the routes on ``app``. ``decode_image(b64) -> bytes`` applies the server's upload limits;
    models come from the primary backend's models root (``--models`` / ``--a1111-root``)."""
    from fastapi import HTTPException
    from pydantic import BaseModel, ConfigDict

    from promptlab.errors import PromptlabError
    from promptlab.upscale.errors import UpscaleError

    # one upscale at a time: a 4x model on a large image takes most of a GPU (or of the CPU)
    lock = threading.Lock()
    cache: dict[tuple, Any] = {}

    class ExtrasSingleImageRequest(BaseModel):
        model_config = ConfigDict(extra="allow")
        image: str = ""
        resize_mode: int = 0
        show_extras_results: bool = True
        gfpgan_visibility: float = 0.0
        codeformer_visibility: float = 0.0
        codeformer_weight: float = 0.0
        upscaling_resize: float = 2.0
        upscaling_resize_w: int = 512
        upscaling_resize_h: int = 512
        upscaling_crop: bool = True
        upscaler_1: str = "None"
        upscaler_2: str = "None"
        extras_upscaler_2_visibility: float = 0.0
        upscale_first: bool = False

    def keep_last(upscaler):
        from promptlab.upscale.load import load_upscaler

        # called under `lock`; one model is kept, so a server never grows without bound
        key = (upscaler.name, str(upscaler.path))
        if key not in cache:
            cache.clear()
            cache[key] = load_upscaler(upscaler.path, name=upscaler.name)
        return cache[key]

    def roots():
        from promptlab.backend.models import ModelRoots

        return getattr(primary, "roots", None) or ModelRoots.from_args()

    def refuse(field: str, message: str) -> HTTPException:
        return HTTPException(status_code=422, detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}])

    @app.get("/sdapi/v1/upscalers")
    def upscalers() -> list[dict[str, Any]]:
        from promptlab.upscale import list_upscalers

        return [{"name": u.name, "model_name": u.path.stem if u.path else None,
                 "model_path": str(u.path) if u.path else None, "model_url": None, "scale": u.scale}
                for u in list_upscalers(roots(), include_latent=False)]

    @app.get("/sdapi/v1/latent-upscale-modes")
    def latent_upscale_modes() -> list[dict[str, Any]]:
        from promptlab.upscale.names import LATENT_UPSCALERS

        return [{"name": name} for name in LATENT_UPSCALERS]

    @app.post("/sdapi/v1/extra-single-image")
    def extra_single_image(body: ExtrasSingleImageRequest) -> dict[str, Any]:
        from promptlab.upscale.extras import Extras, open_source
        from promptlab.upscale.tiling import TileSettings

        if body.gfpgan_visibility > 0 or body.codeformer_visibility > 0:
            raise refuse("gfpgan_visibility", "face restoration (GFPGAN/CodeFormer) is not supported by promptlab")
        if body.upscaler_2 not in ("", "None") and body.extras_upscaler_2_visibility > 0:
            raise refuse("upscaler_2", "a second, blended upscaler is not supported; set upscaler_2 to None")
        if body.resize_mode not in (0, 1):
            raise refuse("resize_mode", "resize_mode must be 0 (scale by) or 1 (scale to width x height)")
        try:
            size = (body.upscaling_resize_w, body.upscaling_resize_h) if body.resize_mode == 1 else None
            extras = Extras(body.upscaler_1 or "None", roots(), scale=None if size else body.upscaling_resize,
                            size=size, crop=body.upscaling_crop, tiles=TileSettings(), loader=keep_last)
            source = open_source(decode_image(body.image), name="image")
            with lock:
                result = extras.run(source)
            png = extras.png_bytes(source, result)
        except UpscaleError as exc:
            raise refuse(_field_of(exc.key), exc.message()) from None
        except PromptlabError as exc:  # e.g. a pickle that needs more than tensors
            raise refuse("upscaler_1", str(exc)) from None
        info = extras.infotext()
        return {"html_info": f"<p>{html.escape(info)}</p>",
                "image": base64.b64encode(png).decode("ascii") if body.show_extras_results else ""}


def _field_of(key: str) -> str:
    key = key.removeprefix("upscale.")
    if "image" in key or "too_large" in key:
        return "image"
    if "scale" in key or "size" in key or "resize" in key:
        return "upscaling_resize"
    return "upscaler_1"
