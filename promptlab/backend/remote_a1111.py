"""RemoteA1111Backend: the AUTOMATIC1111 / Forge / SD.Next HTTP API (`--api`) as a promptlab Backend.

Also speaks to `promptlab serve`, which serves the same subset. Basic auth, timeouts, retries on
connection errors (a request that never reached the server is safe to resend), progress polling with
`/sdapi/v1/progress` while a txt2img request runs, and `/sdapi/v1/interrupt` when the caller cancels.
Checkpoints are switched with `/sdapi/v1/options` only when they change, so a grid sorted by
checkpoint loads each model once on the server too.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from dataclasses import replace
from typing import Any

from promptlab.backend.a1111_api import match_model_name, payload_from_params
from promptlab.backend.base import GeneratedImage, Progress, ProgressCallback
from promptlab.backend.limits import check_a1111_limits
from promptlab.errors import BackendError, CancelledError, InvalidInputError, missing_dependency
from promptlab.params import GenerationParams

RETRYABLE_STATUS = (502, 503, 504)


class RemoteA1111Backend:
    """A webui reachable at ``url`` (``http://host:7860``). ``auth`` is ``"user:pass"`` or a tuple."""

    supports_img2img = True   # params.init_image goes to /sdapi/v1/img2img

    def __init__(
        self,
        url: str,
        *,
        auth: str | tuple[str, str] | None = None,
        timeout: float = 600.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        poll_interval: float = 0.5,
        name: str | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise missing_dependency("httpx", "serve") from None
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"Backend URL {url!r} must start with http:// or https://.")
        if isinstance(auth, str):
            if ":" not in auth:
                raise InvalidInputError("auth must be 'user:password'.")
            user, _, password = auth.partition(":")
            auth = (user, password)
        self.url = url.rstrip("/")
        self.name = name or self.url
        self.retries = retries
        self.poll_interval = poll_interval
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._client = httpx.Client(base_url=self.url, auth=auth, timeout=self._timeout)
        self._current_model: str | None = None
        self._lock = threading.Lock()   # one job at a time per backend

    # --- HTTP -------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, json_body: Any = None, timeout: float | None = None) -> Any:
        import httpx

        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self._client.request(
                    method, path, json=json_body, timeout=timeout if timeout is not None else self._timeout
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self.retries:
                    raise BackendError(f"Cannot reach {self.url} ({exc}). Is the server running with --api?") from None
                time.sleep(delay)
                delay *= 2
                continue
            except httpx.TimeoutException:
                raise BackendError(f"{self.url}{path} did not answer in time; raise the timeout or check the server.") from None
            except httpx.TransportError as exc:
                raise BackendError(f"Connection to {self.url} failed during {path}: {exc}") from None
            if response.status_code in RETRYABLE_STATUS and attempt < self.retries:
                time.sleep(delay)
                delay *= 2
                continue
            return self._decode(response, path)
        raise BackendError(f"{self.url}{path}: no answer after {self.retries + 1} attempts.")  # pragma: no cover

    def _decode(self, response, path: str) -> Any:
        if response.status_code == 401:
            raise BackendError(f"{self.url} refused the credentials (HTTP 401). Pass auth='user:password'.")
        if response.status_code == 404:
            raise BackendError(f"{self.url}{path} not found (HTTP 404). Start the webui with --api.")
        if response.status_code >= 400:
            detail = response.text[:500]
            try:
                detail = json.dumps(response.json().get("detail", response.json()), ensure_ascii=False)[:500]
            except ValueError:
                pass
            raise BackendError(f"{self.url}{path} answered HTTP {response.status_code}: {detail}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise BackendError(f"{self.url}{path} did not return JSON.") from None

    # --- Backend protocol --------------------------------------------------------------------
    def list_models(self) -> list[str]:
        return [m.get("title") or m.get("model_name") for m in self._request("GET", "/sdapi/v1/sd-models")]

    def list_samplers(self) -> list[str]:
        return [s["name"] for s in self._request("GET", "/sdapi/v1/samplers")]

    def list_schedulers(self) -> list[str]:
        return [s.get("label") or s["name"] for s in self._request("GET", "/sdapi/v1/schedulers")]

    def list_loras(self) -> list[str]:
        return [lora["name"] for lora in self._request("GET", "/sdapi/v1/loras")]

    def list_upscalers(self) -> list[str] | None:
        """Hires upscalers: the webui's latent modes and upscaler models; None when it cannot list them."""
        names: list[str] = []
        for path in ("/sdapi/v1/latent-upscale-modes", "/sdapi/v1/upscalers"):
            try:
                names += [u.get("name") for u in self._request("GET", path) or [] if u.get("name")]
            except BackendError as exc:
                if "HTTP 404" in str(exc):
                    return None   # promptlab serve: its backend resolves upscaler names itself
                raise
        return names

    def list_vaes(self) -> list[str] | None:
        """The webui's VAE files (``/sdapi/v1/sd-vae``); None when the server has no such endpoint."""
        try:
            return [v.get("model_name") for v in self._request("GET", "/sdapi/v1/sd-vae") or []]
        except BackendError as exc:
            if "HTTP 404" in str(exc):
                return None   # promptlab serve: its own backend resolves VAE names (and refuses unknown ones)
            raise

    def options(self) -> dict[str, Any]:
        return self._request("GET", "/sdapi/v1/options")

    def set_options(self, values: dict[str, Any]) -> None:
        self._request("POST", "/sdapi/v1/options", json_body=values)

    def progress(self) -> dict[str, Any]:
        return self._request("GET", "/sdapi/v1/progress?skip_current_image=true", timeout=10.0)

    def interrupt(self) -> None:
        self._request("POST", "/sdapi/v1/interrupt", timeout=10.0)

    def health(self) -> bool:
        try:
            self._request("GET", "/sdapi/v1/progress?skip_current_image=true", timeout=5.0)
            return True
        except BackendError:
            return False

    def close(self) -> None:
        self._client.close()

    def generate(
        self,
        params: GenerationParams,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[GeneratedImage]:
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise CancelledError("Cancelled before the request was sent.")
            check_a1111_limits(params)   # a clear message now rather than the server's 400/422 later
            self._switch_model(params.model)
            params = replace(params, vae=self._vae(params.vae))
            body = payload_from_params(params, include_model=False)
            done = threading.Event()
            poller = None
            if on_progress is not None or cancel is not None:
                poller = threading.Thread(
                    target=self._poll, args=(params, on_progress, cancel, done), daemon=True, name=f"poll {self.name}"
                )
                poller.start()
            try:
                from promptlab.backend.a1111_img2img import request_for

                path, body = request_for(params, body)
                result = self._request("POST", path, json_body=body)
            finally:
                done.set()
                if poller is not None:
                    poller.join(timeout=5)
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Interrupted on {self.name}.")
            return self._images(result, params)

    # --- helpers ------------------------------------------------------------------------------
    def _switch_model(self, model: str | None) -> None:
        if not model or model == self._current_model:
            return
        titles = self.list_models()
        match = match_model_name(model, titles)
        if match is None:
            raise BackendError(f"{self.name} has no checkpoint {model!r}. It has: {', '.join(titles) or 'none'}.")
        self.set_options({"sd_model_checkpoint": match})
        self._current_model = model

    def _vae(self, name: str | None) -> str | None:
        """The server's VAE for an A1111 VAE name; "Automatic"/"None" stay (the checkpoint's own / none)."""
        if name is None or name in ("Automatic", "None"):
            return name
        known = self.list_vaes()
        if known is None:
            return name
        match = match_model_name(name, known)
        if match is None:
            raise BackendError(f"{self.name} has no VAE {name!r}. It has: {', '.join(known) or 'none'}.")
        return match

    def _poll(self, params: GenerationParams, on_progress, cancel, done: threading.Event) -> None:
        from promptlab.backend.a1111_api import hires_enabled

        interrupted = False
        hires = hires_enabled(params)
        # one total over both passes: the webui restarts sampling_step at 0 for the hires pass
        steps_total = params.steps + ((params.hires_steps or params.steps) if hires else 0)
        offset, last = 0, (-1, -1)
        while not done.wait(self.poll_interval):
            if cancel is not None and cancel.is_set() and not interrupted:
                try:
                    self.interrupt()
                except BackendError:
                    pass
                interrupted = True
            if on_progress is None:
                continue
            try:
                state = self.progress().get("state", {})
            except BackendError:
                continue
            step, job = int(state.get("sampling_step") or 0), int(state.get("job_no") or 0)
            if hires and job == last[0] and step < last[1] and offset == 0:
                offset = params.steps
            elif job != last[0]:
                offset = 0
            last = (job, step)
            on_progress(Progress(
                step=min(steps_total, offset + step) if hires else step,
                total_steps=steps_total if hires else int(state.get("sampling_steps") or params.steps),
                image_index=max(0, job),
                total_images=max(1, int(state.get("job_count") or 1)),
                message=str(state.get("job") or ""),
            ))

    def _images(self, result: dict[str, Any], params: GenerationParams) -> list[GeneratedImage]:
        from PIL import Image

        try:
            info = json.loads(result.get("info") or "{}")
        except (TypeError, ValueError):
            info = {}
        infotexts = info.get("infotexts") or []
        seeds = info.get("all_seeds") or []
        images = []
        for i, encoded in enumerate(result.get("images") or []):
            try:
                data = base64.b64decode(encoded.split(",", 1)[-1])
                image = Image.open(io.BytesIO(data))
                image.load()
            except (ValueError, OSError) as exc:
                raise BackendError(f"{self.name} returned an image that cannot be decoded: {exc}") from None
            infotext = infotexts[i] if i < len(infotexts) else image.info.get("parameters", "")
            used = GenerationParams.from_infotext(infotext) if infotext else replace(
                params, seed=seeds[i] if i < len(seeds) else params.seed
            )
            images.append(GeneratedImage(image=image, params=used, infotext=infotext))
        return images
