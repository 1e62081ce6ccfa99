"""ComfyUIBackend: a ComfyUI server (its own HTTP API) as a promptlab Backend.

For each image: build an API-format workflow (``comfyui_workflow.build_txt2img``), POST ``/prompt`` with
our client id, follow ``/ws`` for progress (``progress`` / ``executing`` messages) — or poll
``/history`` when websockets are not available — then fetch the outputs with ``/view``. Images are
made one per prompt with seed+i, so batch members get A1111's seeds (ComfyUI's own batches share one
seed). Cancel touches only promptlab's own prompts, as the real server allows: ``POST /queue
{"delete": [id]}`` for one still waiting and ``POST /interrupt {"prompt_id": id}`` for the running one
(a bare ``/interrupt`` would stop whatever runs, another client's job included). ``/interrupt``
answers 200 with an empty body.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

from promptlab.backend.a1111_api import match_model_name
from promptlab.backend.base import GeneratedImage, Progress, ProgressCallback
from promptlab.backend.comfyui_errors import execution_error, history_error, http_error, node_errors
from promptlab.backend.comfyui_workflow import SAMPLERS, SCHEDULERS, build_txt2img
from promptlab.errors import BackendError, CancelledError, InvalidInputError, missing_dependency
from promptlab.i18n import t
from promptlab.params import GenerationParams


class ComfyUIBackend:
    supports_img2img = True   # params.init_image: uploaded, then LoadImage -> VAEEncode (comfyui_img2img)

    def __init__(self, url: str, *, timeout: float = 600.0, connect_timeout: float = 10.0, retries: int = 3,
                 poll_interval: float = 0.25, use_websocket: bool = True, name: str | None = None) -> None:
        try:
            import httpx
        except ImportError:
            raise missing_dependency("httpx", "serve") from None
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"ComfyUI URL {url!r} must start with http:// or https://.")
        self.url = url.rstrip("/")
        self.name = name or f"comfyui {self.url}"
        self.timeout = timeout
        self.retries = retries
        self.poll_interval = poll_interval
        self.use_websocket = use_websocket
        self.client_id = uuid.uuid4().hex
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout, connect=connect_timeout))
        self._lock = threading.Lock()
        self._own_prompts: set[str] = set()   # queued or running prompts of this backend (for cancel)

    # --- HTTP --------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None, raw: bool = False):
        import httpx

        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, path, json=json_body, params=params)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self.retries:
                    raise BackendError(f"Cannot reach ComfyUI at {self.url} ({exc}). Is it running?") from None
                time.sleep(delay)
                delay *= 2
            except httpx.HTTPError as exc:
                raise BackendError(f"ComfyUI {path} failed: {exc}") from None
        if response.status_code >= 400:
            raise BackendError(http_error(path, response))
        if raw:
            return response.content
        if not response.content:   # /interrupt and /queue answer 200 with an empty body
            return None
        try:
            return response.json()
        except ValueError:
            raise BackendError(f"ComfyUI {path} did not return JSON.") from None

    def _choices(self, node: str, field: str) -> list[str]:
        info = self._call("GET", f"/object_info/{node}").get(node, {})
        spec = info.get("input", {}).get("required", {}).get(field)
        if not spec:
            return []
        first = spec[0]
        if isinstance(first, list):          # classic format: [[choices...], {...}]
            return [str(c) for c in first]
        if first == "COMBO" and len(spec) > 1:  # newer format: ["COMBO", {"options": [...]}]
            return [str(c) for c in spec[1].get("options", [])]
        return []

    # --- Backend protocol --------------------------------------------------------------------
    def list_models(self) -> list[str]:
        return self._choices("CheckpointLoaderSimple", "ckpt_name")

    def list_loras(self) -> list[str]:
        return self._choices("LoraLoader", "lora_name")

    def list_vaes(self) -> list[str]:
        return self._choices("VAELoader", "vae_name")

    def list_samplers(self) -> list[str]:
        available = set(self._choices("KSampler", "sampler_name"))
        return [name for name, comfy in SAMPLERS.items() if comfy in available]

    def list_schedulers(self) -> list[str]:
        available = set(self._choices("KSampler", "scheduler"))
        return ["Automatic"] + [name for name, comfy in SCHEDULERS.items() if comfy in available]

    def interrupt(self) -> None:
        """Stop this backend's prompts only (another client's running job is left alone)."""
        for prompt_id in list(self._own_prompts):
            self.cancel_prompt(prompt_id)

    def cancel_prompt(self, prompt_id: str) -> None:
        """Remove ``prompt_id`` from the queue if it still waits there, and interrupt it if it runs."""
        self._call("POST", "/queue", json_body={"delete": [prompt_id]})
        self._call("POST", "/interrupt", json_body={"prompt_id": prompt_id})
        self._own_prompts.discard(prompt_id)

    def close(self) -> None:
        self._http.close()

    def generate(self, params: GenerationParams, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> list[GeneratedImage]:
        import random

        with self._lock:
            models = self.list_models()
            checkpoint = self._checkpoint(params.model, models)
            loras = self.list_loras() if "<" in params.prompt else None
            vaes = self.list_vaes() if params.vae not in (None, "", "Automatic", "None") else None
            total = params.batch_size * params.batch_count
            # ComfyUI's seed goes up to 2**64-1: a large seed from an image is kept as it is
            base_seed = params.seed if params.seed != -1 else random.randrange(2**32)
            image_name = None
            if params.init_image is not None:   # img2img: uploaded once for every image of the job
                from promptlab.backend.comfyui_img2img import upload

                image_name = upload(self._http, self.url, params)
            results = []
            for i in range(total):
                if cancel is not None and cancel.is_set():
                    raise CancelledError(f"Cancelled on {self.name}.")
                seed = (base_seed + i) % 2**64
                workflow = build_txt2img(params, checkpoint=checkpoint, seed=seed, loras_available=loras,
                                         vaes_available=vaes, init_image_name=image_name)
                if on_progress is not None and i == 0:
                    for warning in workflow.warnings:
                        on_progress(Progress(0, params.steps, 0, total, message=warning))
                image = self._run(workflow, params, i, total, on_progress, cancel)
                used = replace(_as_run(params), seed=seed, model=checkpoint.rsplit(".", 1)[0], batch_size=1,
                               batch_count=1, extra=params.extra + (("Backend", "ComfyUI"),))
                results.append(GeneratedImage(image=image, params=used, infotext=used.to_infotext()))
            return results

    # --- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _checkpoint(model: str | None, models: list[str]) -> str:
        if not models:
            raise BackendError("The ComfyUI server lists no checkpoints (models/checkpoints is empty).")
        if not model:
            return models[0]
        match = match_model_name(model, models)
        if match is not None:
            return match
        raise BackendError(f"ComfyUI has no checkpoint {model!r}. It has: {', '.join(models[:30])}.")

    def _run(self, workflow, params, index, total, on_progress, cancel):
        socket = self._open_socket() if (self.use_websocket and on_progress is not None) else None
        try:
            queued = self._call("POST", "/prompt", json_body={"prompt": workflow.graph, "client_id": self.client_id})
            if queued.get("node_errors"):
                raise BackendError(t("replay.error.comfy_rejected", "en", details=node_errors(queued["node_errors"])))
            prompt_id = queued.get("prompt_id")
            if not prompt_id:
                raise BackendError(f"ComfyUI did not queue the workflow: {json.dumps(queued)[:500]}")
            self._own_prompts.add(prompt_id)
            try:
                self._wait(prompt_id, socket, params, index, total, on_progress, cancel,
                           _hires_node(workflow.graph))
            finally:
                self._own_prompts.discard(prompt_id)
        finally:
            if socket is not None:
                socket.close()
        return self._fetch_image(prompt_id, workflow.output_node)

    def _open_socket(self):
        try:
            import websocket
        except ImportError:
            return None
        ws_url = self.url.replace("http", "ws", 1) + f"/ws?clientId={self.client_id}"
        try:
            return websocket.create_connection(ws_url, timeout=self.poll_interval)
        except (OSError, websocket.WebSocketException):
            return None   # progress falls back to polling /history

    def _wait(self, prompt_id, socket, params, index, total, on_progress, cancel, hires_node=None) -> None:
        deadline = time.monotonic() + self.timeout
        first = params.steps
        # one progress total over both passes, as A1111 counts a hires-fix job
        steps_total = first + ((params.hires_steps or params.steps) if hires_node else 0)
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                self.cancel_prompt(prompt_id)
                raise CancelledError(f"Interrupted on {self.name}.")
            if socket is not None:
                message = self._receive(socket)
                if message is not None:
                    kind, data = message.get("type"), message.get("data", {})
                    if kind == "progress" and on_progress is not None and data.get("prompt_id", prompt_id) == prompt_id:
                        offset = first if hires_node is not None and str(data.get("node")) == hires_node else 0
                        on_progress(Progress(offset + int(data.get("value", 0)), steps_total, index, total))
                    if kind == "execution_interrupted" and data.get("prompt_id") == prompt_id:
                        raise CancelledError(f"Interrupted on {self.name}.")
                    if kind == "execution_error" and data.get("prompt_id") == prompt_id:
                        raise BackendError(execution_error(data))
                    if kind == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id:
                        return
                    continue
            else:
                time.sleep(self.poll_interval)
            history = self._call("GET", f"/history/{prompt_id}").get(prompt_id)
            if history:
                status = history.get("status", {})
                if status.get("status_str") == "error":
                    raise history_error(status, self.name)
                if status.get("completed", True):
                    return
        raise BackendError(f"ComfyUI did not finish within {self.timeout:.0f} s.")

    @staticmethod
    def _receive(socket) -> dict | None:
        import websocket

        try:
            text = socket.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (OSError, websocket.WebSocketException):
            return None
        if isinstance(text, bytes):   # binary preview frames
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def _fetch_image(self, prompt_id: str, output_node: str):
        from PIL import Image

        history = self._call("GET", f"/history/{prompt_id}").get(prompt_id) or {}
        if history.get("status", {}).get("status_str") == "error":
            raise history_error(history["status"], self.name)
        images = history.get("outputs", {}).get(output_node, {}).get("images", [])
        if not images:
            raise BackendError("ComfyUI finished but returned no image.")
        ref = images[0]
        data = self._call("GET", "/view", params={"filename": ref["filename"], "subfolder": ref.get("subfolder", ""),
                                                    "type": ref.get("type", "output")}, raw=True)
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except OSError as exc:
            raise BackendError(f"ComfyUI returned an image that cannot be decoded: {exc}") from None
        return image

# --- the params as run ------------------------------------------------------------------------


def _as_run(params: GenerationParams) -> GenerationParams:
    """The params as this backend ran them: "Automatic" resolved, the hires denoise written even when
    default, and what ComfyUI could not honour (reported as warnings) not claimed in the infotext."""
    from promptlab.backend.a1111_api import hires_enabled
    from promptlab.backend.comfyui_workflow import unsupported_fields
    from promptlab.replay.mapping import automatic_schedule

    defaults = GenerationParams()
    changes: dict[str, Any] = {name: getattr(defaults, name) for name in unsupported_fields(params)}
    if params.schedule_type in (None, "", "Automatic"):
        changes["schedule_type"] = automatic_schedule(params.sampler)
    if hires_enabled(params) and params.denoising_strength is None:
        changes["denoising_strength"] = 0.7
    if params.init_image is not None and params.denoising_strength is None:
        changes["denoising_strength"] = 0.75   # A1111's img2img default, as the KSampler ran it
    return replace(params, **changes)


def _hires_node(graph: dict[str, Any]) -> str | None:
    samplers = [node_id for node_id, node in graph.items() if node.get("class_type") == "KSampler"]
    return samplers[1] if len(samplers) > 1 else None
