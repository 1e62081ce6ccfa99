"""`promptlab serve`: the A1111 API subset over promptlab's own engine (FastAPI).

Endpoints (A1111 names and shapes): txt2img, img2img, sd-models, samplers, schedulers, loras, options (GET/POST;
`sd_model_checkpoint` switches the default model), progress, interrupt, png-info (promptlab's metadata
reader: every format it knows, not just A1111's), interrogate (promptlab's ONNX taggers), and Extras'
upscaling: extra-single-image, upscalers, latent-upscale-modes (serve/upscale_routes.py). The OpenAPI
document is at /openapi.json and interactive docs at /docs.

Requests are validated against configurable limits (size, steps, batch) and rejected with 422 and a
message naming the field; bad credentials get 401. Generation goes through a JobQueue: one job at a
time per backend, in arrival order.
"""


import base64
import binascii
import contextlib
import io
import json
import secrets
from dataclasses import dataclass, replace
from typing import Any

from promptlab.backend.a1111_api import match_model_name, params_from_payload
from promptlab.backend.base import Backend
from promptlab.serve.jobqueue import JobQueue, QueueFullError
from promptlab.errors import CancelledError, PromptlabError, missing_dependency


@dataclass(frozen=True)
class ServerLimits:
    max_width: int = 2048
    max_height: int = 2048
    max_steps: int = 150
    max_images: int = 16          # batch_size x n_iter per request
    max_waiting: int = 1000       # jobs in the queue
    max_image_bytes: int = 50_000_000  # png-info / interrogate uploads


@dataclass(frozen=True)
class ServerConfig:
    limits: ServerLimits = ServerLimits()
    credentials: tuple[tuple[str, str], ...] = ()   # empty = no auth (loopback only, enforced by the CLI)
    tagger: str | None = None                       # name or folder for /interrogate
    default_model: str | None = None                # checkpoint used when a request names none
    version: str = "promptlab"


def parse_credentials(text: str | None) -> tuple[tuple[str, str], ...]:
    """A1111's --api-auth format: ``user:pass[,user2:pass2]``."""
    if not text:
        return ()
    pairs = []
    for item in text.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise PromptlabError(f"--api-auth takes user:password (comma-separated for several), got {item!r}.")
        pairs.append((user, password))
    return tuple(pairs)


def _validation_error(field_name: str, message: str):
    from fastapi import HTTPException

    return HTTPException(status_code=422, detail=[{"loc": ["body", field_name], "msg": message, "type": "value_error"}])


def check_limits(params, limits: ServerLimits) -> None:
    checks = [
        ("width", 64 <= params.width <= limits.max_width, f"width must be between 64 and {limits.max_width}"),
        ("height", 64 <= params.height <= limits.max_height, f"height must be between 64 and {limits.max_height}"),
        ("steps", 1 <= params.steps <= limits.max_steps, f"steps must be between 1 and {limits.max_steps}"),
        ("batch_size", params.batch_size >= 1, "batch_size must be at least 1"),
        ("n_iter", params.batch_count >= 1, "n_iter must be at least 1"),
        ("batch_size", params.batch_size * params.batch_count <= limits.max_images,
         f"batch_size x n_iter must be at most {limits.max_images}"),
        ("cfg_scale", 0 <= params.cfg_scale <= 100, "cfg_scale must be between 0 and 100"),
        ("seed", -1 <= params.seed < 2**32, "seed must be -1 (random) or between 0 and 4294967295"),
    ]
    for name, ok, message in checks:
        if not ok:
            raise _validation_error(name, message)


def _decode_image(data: str, limits: ServerLimits) -> bytes:
    try:
        raw = base64.b64decode(data.split(",", 1)[-1] if data.startswith("data:") else data, validate=False)
    except (binascii.Error, ValueError):
        raise _validation_error("image", "image must be base64-encoded") from None
    if not raw:
        raise _validation_error("image", "image is empty")
    if len(raw) > limits.max_image_bytes:
        raise _validation_error("image", f"image is larger than {limits.max_image_bytes // 1_000_000} MB")
    return raw


def _png_base64(image, infotext: str) -> str:
    from promptlab.metadata.write import png_bytes

    return base64.b64encode(png_bytes(image, infotext)).decode("ascii")


def create_app(backends: list[Backend], config: ServerConfig = ServerConfig()):
    try:
        import asyncio

        from fastapi import Depends, FastAPI, HTTPException, Request
        from fastapi.security import HTTPBasic, HTTPBasicCredentials
        from pydantic import BaseModel, ConfigDict
    except ImportError:
        raise missing_dependency("fastapi", "serve") from None

    limits = config.limits
    jobs = JobQueue(backends, max_waiting=limits.max_waiting)
    primary = backends[0]
    state: dict[str, Any] = {"sd_model_checkpoint": config.default_model}
    basic = HTTPBasic(auto_error=False)

    def authorize(credentials: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if not config.credentials:
            return
        if credentials is not None and any(
            secrets.compare_digest(credentials.username, user) and secrets.compare_digest(credentials.password, pw)
            for user, pw in config.credentials
        ):
            return
        raise HTTPException(status_code=401, detail="Incorrect username or password",
                            headers={"WWW-Authenticate": "Basic"})

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        jobs.close()

    app = FastAPI(title="promptlab API", version=config.version, dependencies=[Depends(authorize)],
                  description="The AUTOMATIC1111 API subset served by promptlab.", lifespan=lifespan)
    app.state.jobs = jobs

    class Txt2ImgRequest(BaseModel):
        model_config = ConfigDict(extra="allow")
        prompt: str = ""
        negative_prompt: str = ""
        steps: int = 20
        sampler_name: str | None = None
        scheduler: str | None = None
        cfg_scale: float = 7.0
        seed: int = -1
        subseed: int | None = None
        subseed_strength: float | None = None
        width: int = 512
        height: int = 512
        batch_size: int = 1
        n_iter: int = 1
        denoising_strength: float | None = None
        enable_hr: bool = False
        hr_scale: float | None = None
        hr_upscaler: str | None = None
        hr_second_pass_steps: int | None = None
        hr_resize_x: int | None = None
        hr_resize_y: int | None = None
        override_settings: dict[str, Any] | None = None
        send_images: bool = True

    class ImageRequest(BaseModel):
        image: str
        model: str | None = None

    class OptionsRequest(BaseModel):
        model_config = ConfigDict(extra="allow")

    class Img2ImgRequest(Txt2ImgRequest):
        init_images: list[str] = []
        resize_mode: int = 0
        denoising_strength: float = 0.75
        include_init_images: bool = False

    def request_params(payload: dict[str, Any]):
        params = params_from_payload(payload)
        if not params.sampler or "sampler_name" not in payload:
            params = replace(params, sampler="Euler a")
        if params.model is None and state["sd_model_checkpoint"]:
            params = replace(params, model=state["sd_model_checkpoint"])
        return params

    @app.post("/sdapi/v1/txt2img")
    async def txt2img(body: Txt2ImgRequest) -> dict[str, Any]:
        payload = body.model_dump(exclude_none=True)
        return await run(request_params(payload), payload, body.send_images)

    @app.post("/sdapi/v1/img2img")
    async def img2img(body: Img2ImgRequest) -> dict[str, Any]:
        from promptlab.backend.a1111_img2img import init_image_from_payload
        from promptlab.init_image import Img2ImgError, check_denoise

        payload = body.model_dump(exclude_none=True)
        for key in [k for k in payload if k.startswith("hr_")] + ["enable_hr"]:
            payload.pop(key, None)   # A1111's img2img has no hires fix
        if not getattr(primary, "supports_img2img", False):
            raise _validation_error("init_images", Img2ImgError("img2img.err.unsupported", backend=primary.name).message())
        try:
            check_denoise(body.denoising_strength)
            init = init_image_from_payload(payload)
        except Img2ImgError as exc:
            raise _validation_error(getattr(exc, "field", "denoising_strength"), exc.message()) from None
        if len(init.data) > limits.max_image_bytes:
            raise _validation_error("init_images", f"image is larger than {limits.max_image_bytes // 1_000_000} MB")
        if body.include_init_images:
            payload["init_images"] = list(body.init_images)
        else:
            payload.pop("init_images", None)   # A1111 answers without them unless asked
        return await run(request_params(payload).with_(init_image=init), payload, body.send_images)

    async def run(params, payload: dict[str, Any], send_images: bool) -> dict[str, Any]:
        check_limits(params, limits)
        try:
            job = jobs.submit(params)
        except QueueFullError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        try:
            results = await asyncio.wrap_future(job.future)
        except CancelledError:
            return {"images": [], "parameters": payload, "info": json.dumps({"interrupted": True, "infotexts": []})}
        except PromptlabError as exc:
            raise HTTPException(status_code=500, detail=str(exc)) from None
        infotexts = [r.infotext for r in results]
        info = {
            "prompt": params.prompt, "negative_prompt": params.negative_prompt,
            "all_prompts": [r.params.prompt for r in results], "all_seeds": [r.params.seed for r in results],
            "seed": results[0].params.seed if results else params.seed, "infotexts": infotexts,
            "job_id": job.id,
        }
        images = [_png_base64(r.image, r.infotext) for r in results] if send_images else []
        return {"images": images, "parameters": payload, "info": json.dumps(info, ensure_ascii=False)}

    @app.get("/sdapi/v1/sd-models")
    def sd_models() -> list[dict[str, Any]]:
        return [{"title": name, "model_name": name.rsplit(".", 1)[0], "hash": None, "sha256": None,
                 "filename": name, "config": None} for name in primary.list_models()]

    @app.get("/sdapi/v1/samplers")
    def samplers() -> list[dict[str, Any]]:
        return [{"name": name, "aliases": [], "options": {}} for name in primary.list_samplers()]

    @app.get("/sdapi/v1/schedulers")
    def schedulers() -> list[dict[str, Any]]:
        lister = getattr(primary, "list_schedulers", None)
        if lister is not None:
            names = lister()
        else:
            from promptlab.backend.samplers import SCHEDULE_TYPES

            names = list(SCHEDULE_TYPES)
        return [{"name": s.lower().replace(" ", "_"), "label": s, "aliases": None} for s in names]

    @app.get("/sdapi/v1/loras")
    def loras() -> list[dict[str, Any]]:
        lister = getattr(primary, "list_loras", None)
        return [{"name": n, "alias": n, "path": n, "metadata": {}} for n in (lister() if lister else [])]

    @app.get("/sdapi/v1/options")
    def get_options() -> dict[str, Any]:
        return {"sd_model_checkpoint": state["sd_model_checkpoint"], "promptlab_limits": limits.__dict__}

    @app.post("/sdapi/v1/options")
    def set_options(body: OptionsRequest) -> None:
        values = body.model_dump()
        model = values.get("sd_model_checkpoint")
        if model is not None:
            known = primary.list_models()
            match = match_model_name(model, known)
            if match is None:
                raise _validation_error("sd_model_checkpoint", f"unknown checkpoint; known: {', '.join(known) or 'none'}")
            state["sd_model_checkpoint"] = match
        return None

    @app.get("/sdapi/v1/progress")
    def progress(skip_current_image: bool = False) -> dict[str, Any]:
        return jobs.progress()

    @app.post("/sdapi/v1/interrupt")
    def interrupt() -> None:
        jobs.interrupt()

    @app.post("/sdapi/v1/png-info")
    def png_info(body: ImageRequest) -> dict[str, Any]:
        from promptlab.metadata import read

        meta = read(_decode_image(body.image, limits))
        error = getattr(meta, "error", None)
        params = meta.params
        return {
            "info": params.to_infotext() if params is not None else "",
            "items": {k: v for k, v in (meta.raw or {}).items() if isinstance(v, str)},
            "parameters": _params_dict(params),
            "generator": meta.generator,
            "warnings": list(meta.warnings),
            "error": error,
        }

    @app.post("/sdapi/v1/interrogate")
    def interrogate(body: ImageRequest, request: Request) -> dict[str, Any]:
        from PIL import Image

        from promptlab.interrogate import load_tagger

        name = body.model if body.model not in (None, "", "clip", "deepdanbooru") else config.tagger
        if not name:
            raise HTTPException(status_code=422, detail="No tagger configured; start serve with --tagger NAME.")
        raw = _decode_image(body.image, limits)
        try:
            image = Image.open(io.BytesIO(raw))
            image.load()
        except (OSError, Image.DecompressionBombError) as exc:
            raise _validation_error("image", f"cannot read the image: {exc}") from None
        try:
            tagger = _tagger_cache(request.app, name, load_tagger)
            result = tagger.tag([image])[0]
        except PromptlabError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return {"caption": result.prompt, "rating": result.rating,
                "tags": {t.name: round(float(t.confidence), 4) for t in result.tags}}

    from promptlab.serve.upscale_routes import add_upscale_routes

    add_upscale_routes(app, primary, lambda data: _decode_image(data, limits))
    return app


def _tagger_cache(app, name: str, loader):
    cache = app.state.__dict__.setdefault("taggers", {})
    if name not in cache:
        cache[name] = loader(name)
    return cache[name]


def _params_dict(params) -> dict[str, Any]:
    if params is None:
        return {}
    from dataclasses import asdict

    data = asdict(params.with_(init_image=None))  # the response carries the images, not the input's bytes
    data.pop("infotext_order", None)
    data.pop("init_image", None)
    data["extra"] = dict(data.get("extra") or ())
    return data
