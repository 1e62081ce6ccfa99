"""Generation on Ray actors: one ``DiffusersBackend`` per GPU (or per CPU slot), each a Backend of its own.

``RayCluster.connect(address).backends(...)`` gives one :class:`RayActorBackend` per actor. They are
ordinary backends, so everything that schedules backends uses them as it is:

- ``run_grid(plan, backends)`` keeps each checkpoint's cells on the actor that loaded it (every actor
  loads a model once), retries a cell whose actor died on another actor, and returns the grid in
  order — the pixels are a local run's (same seeds, same code, one torch thread per CPU slot).
- ``BackendPool(backends + [local, remote...])`` mixes Ray actors with local and remote servers.

An actor that dies is restarted once by Ray (it reloads its model on the next job); the job it was
running fails with a BackendError, which the grid and the pool retry elsewhere.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from promptlab.backend.base import GeneratedImage, Progress, ProgressCallback
from promptlab.backend.pool import BackendPool
from promptlab.errors import BackendError, CancelledError, ClusterError, PromptlabError
from promptlab.params import GenerationParams

POLL_S = 0.2
FREE_WAIT_S = 10.0       # resources of actors killed a moment ago come back within this
RESTART_WAIT_S = 300.0   # a restarted actor reloads torch and its model before it answers


class _GenerateActor:
    """Holds one DiffusersBackend. Runs with max_concurrency=3: a job, its progress and its cancel."""

    def __init__(self, backend_kwargs: dict, torch_threads: int | None) -> None:
        if torch_threads:
            import torch

            torch.set_num_threads(torch_threads)
        from promptlab.backend.diffusers_backend import DiffusersBackend

        self.backend = DiffusersBackend(**backend_kwargs)
        self._lock = threading.Lock()
        self._cancels: dict[str, threading.Event] = {}   # job id -> its cancel flag (set early if need be)
        self._progress: tuple[int, int, int, int, str] = (0, 0, 0, 1, "")

    def _flag(self, job: str) -> threading.Event:
        with self._lock:
            return self._cancels.setdefault(job, threading.Event())

    def generate(self, params: GenerationParams, job: str) -> list[GeneratedImage]:
        cancel = self._flag(job)   # an interrupt that arrived before the job started is already set
        self._progress = (0, 0, 0, 1, "")

        def on_progress(p: Progress) -> None:
            self._progress = (p.step, p.total_steps, p.image_index, p.total_images, p.message)

        try:
            if cancel.is_set():
                raise CancelledError("cancelled before it started")
            return self.backend.generate(params, on_progress=on_progress, cancel=cancel)
        finally:
            with self._lock:
                self._cancels.pop(job, None)

    def progress(self) -> tuple[int, int, int, int, str]:
        return self._progress

    def interrupt(self, job: str) -> None:
        self._flag(job).set()

    def list_models(self) -> list[str]:
        return self.backend.list_models()

    def list_samplers(self) -> list[str]:
        return self.backend.list_samplers()

    def model_loads(self) -> int:
        return int(getattr(self.backend, "model_loads", 0))

    def where(self) -> str:
        import socket

        return socket.gethostname()


class RayActorBackend:
    """A Backend whose work runs in one Ray actor."""

    def __init__(self, actor, name: str) -> None:
        self._actor = actor
        self.name = name

    def _call(self, method: str, *args):
        import ray

        deadline = time.monotonic() + RESTART_WAIT_S
        while True:
            try:
                return ray.get(getattr(self._actor, method).remote(*args))
            except ray.exceptions.ActorUnavailableError:
                if time.monotonic() > deadline:   # restarting (reloading its model) for too long
                    raise BackendError(f"{self.name}: the Ray actor did not come back within "
                                       f"{RESTART_WAIT_S:.0f} s after a restart.") from None
                time.sleep(1.0)
            except ray.exceptions.RayActorError as exc:
                raise self._died(exc) from None

    def _died(self, exc: Exception) -> BackendError:
        return BackendError(f"{self.name}: the Ray actor died ({exc.__class__.__name__}); "
                            "its job is retried on another actor.")

    def generate(self, params: GenerationParams, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> list[GeneratedImage]:
        import ray

        self._call("where")   # waits while Ray restarts a dead actor, so the job is not sent into the void
        job = uuid.uuid4().hex
        ref = self._actor.generate.remote(params, job)
        last = None
        interrupted = False
        while True:
            ready, _ = ray.wait([ref], timeout=POLL_S)
            if ready:
                break
            if cancel is not None and cancel.is_set() and not interrupted:
                self._actor.interrupt.remote(job)
                interrupted = True
            if on_progress is not None:
                try:
                    step, total, index, images, message = ray.get(self._actor.progress.remote(), timeout=5)
                except (ray.exceptions.RayError, TimeoutError):
                    continue
                if (step, index) != last and total:
                    last = (step, index)
                    on_progress(Progress(step, total, index, images, message=message))
        try:
            return ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            raise self._died(exc) from None
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else None
            if isinstance(cause, CancelledError):
                raise CancelledError(str(cause)) from None
            if isinstance(cause, PromptlabError):
                raise cause from None
            raise BackendError(f"{self.name}: {cause or exc}") from None

    def list_models(self) -> list[str]:
        return self._call("list_models")

    def list_samplers(self) -> list[str]:
        return self._call("list_samplers")

    @property
    def model_loads(self) -> int | None:
        try:
            return self._call("model_loads")
        except BackendError:
            return None

    def close(self) -> None:
        import ray

        try:
            ray.kill(self._actor)
        except ray.exceptions.RayError:
            pass


@dataclass
class RayCluster:
    """A connected Ray (started here, or joined) and the actors made on it."""

    address: str | None
    gpus: float
    cpus: float
    started_here: bool
    _actors: list = field(default_factory=list)

    @classmethod
    def connect(cls, address: str | None = None) -> RayCluster:
        from promptlab.cluster.runtime import connect

        ray, address, started = connect(address)
        resources = ray.cluster_resources()
        return cls(address, float(resources.get("GPU", 0)), float(resources.get("CPU", 0)), started)

    def backends(self, *, models: str | None = None, a1111_root: str | None = None, device: str = "auto",
                 dtype: str = "auto", allow_pickle: bool = False, actors: int | None = None,
                 cpus_per_actor: int = 1, require_checkpoint: bool = True) -> list[RayActorBackend]:
        """One backend per actor: per GPU when the cluster has GPUs (and ``device`` allows), else per
        ``cpus_per_actor`` CPUs. With ``require_checkpoint`` each actor checks on its node that a
        checkpoint is there before any work (turn it off when the jobs name hub ids)."""
        import ray

        on_gpu = self.gpus >= 1 and device in ("auto", "cuda") or device.startswith("cuda")
        if on_gpu:
            options, threads, unit = {"num_gpus": 1, "num_cpus": 1}, None, "GPU"
        else:
            options, threads, unit = {"num_cpus": cpus_per_actor}, cpus_per_actor, f"{cpus_per_actor} CPU"
            device = "cpu" if device == "auto" else device

        def room() -> int:
            free = ray.available_resources()
            if on_gpu:
                return int(min(free.get("GPU", 0), free.get("CPU", 0)))
            return int(free.get("CPU", 0) // cpus_per_actor)

        deadline = time.monotonic() + FREE_WAIT_S
        fits = room()
        while (actors or 1) > fits and time.monotonic() < deadline:   # actors just killed free up shortly
            time.sleep(0.5)
            fits = room()
        count = actors or fits
        if count < 1 or count > fits:
            # an actor that cannot be placed would wait forever: say so instead
            raise ClusterError(f"The Ray cluster has room for {fits} generation actor(s) ({unit} each free now), "
                               f"not {max(count, 1)}: other jobs hold the rest. Wait for them, pass --actors {max(fits, 1)}, "
                               "or add nodes.")
        kwargs = {"models_root": models, "a1111_root": a1111_root, "device": device, "dtype": dtype,
                  "allow_pickle": allow_pickle}
        remote = ray.remote(max_concurrency=3, max_restarts=1, max_task_retries=0, **options)(_GenerateActor)
        made = [remote.remote(kwargs, threads) for _ in range(count)]
        self._actors += made
        backends = [RayActorBackend(a, f"ray-{i}") for i, a in enumerate(made)]
        problems = []
        for b in backends if require_checkpoint else []:
            try:
                if not b.list_models():
                    problems.append(f"{b.name} ({b._call('where')}): no checkpoint in its models folder")
            except PromptlabError as exc:
                problems.append(f"{b.name}: {exc}")
        if problems:
            self.close()
            raise ClusterError("Nothing was started: " + "; ".join(problems) + ". Put the checkpoints where "
                               "every node sees them (--models DIR on a shared volume) or pass a hub id.")
        return backends

    def close(self) -> None:
        import ray

        for actor in self._actors:
            try:
                ray.kill(actor)
            except ray.exceptions.RayError:
                pass
        self._actors.clear()
        if self.started_here and ray.is_initialized():
            ray.shutdown()


class RayPool(BackendPool):
    """The actors of one RayCluster as one backend (a batch spreads over them, seed+i per image);
    closing it kills the actors and stops a Ray started here."""

    def __init__(self, cluster: RayCluster, backends: list[RayActorBackend]) -> None:
        super().__init__(backends, name="ray")
        self.cluster = cluster

    def close(self) -> None:
        self.cluster.close()


def ray_pool(address: str | None = None, **backend_options) -> RayPool:
    """Connect (or start a local Ray) and make the actors: ``ray_pool("auto", models="/shared/models")``."""
    cluster = RayCluster.connect(address)
    try:
        return RayPool(cluster, cluster.backends(**backend_options))
    except BaseException:
        cluster.close()
        raise
