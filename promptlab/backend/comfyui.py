"""ComfyUIBackend: a ComfyUI server (its own HTTP API) as a promptlab Backend.

For each image: build an API-format workflow (``comfyui_workflow.build_txt2img``), POST ``/prompt`` with
our client id, follow ``/ws`` for progress (``progress`` / ``executing`` messages) — or poll
``/history`` when websockets are not available — then fetch the outputs with ``/view``. Images are
made one per prompt with seed+i, so batch members get A1111's seeds (ComfyUI's own batches share one
seed). Cancel posts ``/interrupt``.
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
from promptlab.backend.comfyui_workflow import SAMPLERS, build_txt2img
from promptlab.errors import BackendError, CancelledError, InvalidInputError, missing_dependency
from promptlab.params import GenerationParams


class ComfyUIBackend:
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
            detail = response.text[:800]
            raise BackendError(f"ComfyUI {path} answered HTTP {response.status_code}: {detail}")
        if raw:
            return response.content
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

    def list_samplers(self) -> list[str]:
        available = set(self._choices("KSampler", "sampler_name"))
        return [name for name, comfy in SAMPLERS.items() if comfy in available]

    def interrupt(self) -> None:
        self._call("POST", "/interrupt")

    def close(self) -> None:
        self._http.close()

    def generate(self, params: GenerationParams, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> list[GeneratedImage]:
        import random

        with self._lock:
            models = self.list_models()
            checkpoint = self._checkpoint(params.model, models)
            loras = self.list_loras() if "<" in params.prompt else None
            total = params.batch_size * params.batch_count
            base_seed = params.seed if params.seed != -1 else random.randrange(2**32)
            results = []
            for i in range(total):
                if cancel is not None and cancel.is_set():
                    raise CancelledError(f"Cancelled on {self.name}.")
                seed = (base_seed + i) % 2**32
                workflow = build_txt2img(params, checkpoint=checkpoint, seed=seed, loras_available=loras)
                image = self._run(workflow, params, i, total, on_progress, cancel)
                used = replace(params, seed=seed, model=checkpoint.rsplit(".", 1)[0], batch_size=1, batch_count=1,
                               extra=params.extra + (("Backend", "ComfyUI"),))
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
                raise BackendError(f"ComfyUI rejected the workflow: {json.dumps(queued['node_errors'])[:800]}")
            prompt_id = queued.get("prompt_id")
            if not prompt_id:
                raise BackendError(f"ComfyUI did not queue the workflow: {json.dumps(queued)[:500]}")
            self._wait(prompt_id, socket, params, index, total, on_progress, cancel)
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

    def _wait(self, prompt_id, socket, params, index, total, on_progress, cancel) -> None:
        deadline = time.monotonic() + self.timeout
        interrupted = False
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set() and not interrupted:
                self.interrupt()
                interrupted = True
            if socket is not None:
                message = self._receive(socket)
                if message is not None:
                    kind, data = message.get("type"), message.get("data", {})
                    if kind == "progress" and on_progress is not None and data.get("prompt_id", prompt_id) == prompt_id:
                        on_progress(Progress(int(data.get("value", 0)), int(data.get("max", params.steps)), index, total))
                    if kind == "execution_interrupted" and data.get("prompt_id") == prompt_id:
                        raise CancelledError(f"Interrupted on {self.name}.")
                    if kind == "execution_error" and data.get("prompt_id") == prompt_id:
                        raise BackendError(f"ComfyUI failed: {data.get('exception_message', data)}")
                    if kind == "executing" and data.get("node") is None and data.get("prompt_id") == prompt_id:
                        return
                    continue
            else:
                time.sleep(self.poll_interval)
            history = self._call("GET", f"/history/{prompt_id}").get(prompt_id)
            if history:
                status = history.get("status", {})
                if status.get("status_str") == "error":
                    if interrupted:
                        raise CancelledError(f"Interrupted on {self.name}.")
                    raise BackendError(f"ComfyUI failed: {json.dumps(status.get('messages', []))[:800]}")
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
            raise BackendError(f"ComfyUI failed: {json.dumps(history['status'].get('messages', []))[:800]}")
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
