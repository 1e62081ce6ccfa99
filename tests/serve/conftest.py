"""A real HTTP server on 127.0.0.1 (uvicorn in a thread) in front of a small deterministic backend."""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import replace

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from promptlab.backend.base import GeneratedImage, Progress  # noqa: E402
from promptlab.errors import BackendError, CancelledError  # noqa: E402


class PaintBackend:
    """Paints a solid colour derived from the seed; honours progress, cancel and model choice.

    A real Backend implementation (no mocking): the queue, the server and the client are exercised
    exactly as with the diffusers backend, without the cost of running a UNet per request.
    """

    def __init__(self, name="paint", step_delay=0.0, models=("alpha.safetensors", "beta.safetensors")):
        self.name = name
        self.step_delay = step_delay
        self.models = list(models)
        self.calls: list = []
        self.alive = True

    def list_models(self):
        return list(self.models)

    def list_samplers(self):
        return ["Euler a", "Euler", "DPM++ 2M"]

    def list_loras(self):
        return ["detail_tweaker"]

    def list_schedulers(self):
        return ["Automatic", "Karras", "Exponential"]

    def close(self):
        pass

    def generate(self, params, *, on_progress=None, cancel=None):
        from PIL import Image

        if not self.alive:
            raise BackendError(f"{self.name} is down")
        if params.model and params.model not in self.models:
            raise BackendError(f"unknown model {params.model}")
        self.calls.append(params)
        seed = params.seed if params.seed != -1 else random.randrange(2**32)
        out = []
        total = params.batch_size * params.batch_count
        for i in range(total):
            for step in range(params.steps):
                if cancel is not None and cancel.is_set():
                    raise CancelledError("interrupted")
                if self.step_delay:
                    time.sleep(self.step_delay)
                if on_progress:
                    on_progress(Progress(step + 1, params.steps, i, total))
            s = seed + i
            colour = (s % 251, (s // 251) % 251, (s // 63001) % 251)
            used = replace(params, seed=s, batch_size=1, batch_count=1, model=params.model or self.models[0])
            out.append(GeneratedImage(Image.new("RGB", (params.width, params.height), colour), used, used.to_infotext()))
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, app, port):
        import uvicorn

        self.url = f"http://127.0.0.1:{port}"
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture()
def serve():
    """serve(backends, **config) -> RunningServer (stopped at teardown)."""
    from promptlab.serve.server import ServerConfig, create_app

    running = []

    def start(backends=None, **config):
        backends = backends or [PaintBackend()]
        server = RunningServer(create_app(backends, ServerConfig(**config)), free_port()).__enter__()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()
