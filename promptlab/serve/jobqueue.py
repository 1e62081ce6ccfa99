"""A FIFO job queue in front of one or more backends: one generation at a time per backend (per GPU).

Jobs run in submission order; each worker thread owns one backend and takes the oldest waiting job.
Progress is kept per worker in A1111's `/sdapi/v1/progress` shape; `interrupt()` stops the running
jobs the way the webui's Interrupt button does (waiting jobs still run).
"""

from __future__ import annotations

import itertools
from collections import deque
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from promptlab.backend.base import Backend, GeneratedImage, Progress
from promptlab.errors import BackendError
from promptlab.params import GenerationParams


@dataclass
class Job:
    id: int
    params: GenerationParams
    future: Future = field(default_factory=Future)
    cancel: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.monotonic)


@dataclass
class _WorkerState:
    job: Job | None = None
    step: int = 0
    total_steps: int = 0
    image_index: int = 0
    total_images: int = 1
    started: float = 0.0
    interrupted: bool = False


class QueueFullError(BackendError):
    """More jobs are waiting than the server accepts."""


class JobQueue:
    def __init__(self, backends: list[Backend], *, max_waiting: int = 1000) -> None:
        if not backends:
            raise BackendError("A job queue needs at least one backend.")
        self._waiting: queue.Queue[Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._max_waiting = max_waiting
        self._submit_lock = threading.Lock()
        self._states = [_WorkerState() for _ in backends]
        # ids of the most recent jobs in the order they started (bounded: a server runs for weeks)
        self._order: deque[int] = deque(maxlen=10_000)
        self._workers = [
            threading.Thread(target=self._work, args=(b, s), daemon=True, name=f"jobqueue-{i}")
            for i, (b, s) in enumerate(zip(backends, self._states))
        ]
        for worker in self._workers:
            worker.start()

    @property
    def started_order(self) -> list[int]:
        return list(self._order)

    def submit(self, params: GenerationParams) -> Job:
        with self._submit_lock:   # the id order is the queue order
            if self._waiting.qsize() >= self._max_waiting:
                raise QueueFullError(f"{self._max_waiting} jobs are already waiting; try again later.")
            job = Job(next(self._ids), params)
            self._waiting.put(job)
        return job

    def interrupt(self) -> None:
        for state in self._states:
            if state.job is not None:
                state.interrupted = True
                state.job.cancel.set()

    def progress(self) -> dict:
        """A1111's progress response, for the first busy worker (or idle)."""
        busy = [s for s in self._states if s.job is not None]
        waiting = self._waiting.qsize()
        if not busy:
            return {"progress": 0.0, "eta_relative": 0.0, "current_image": None, "textinfo": None,
                    "state": {"skipped": False, "interrupted": False, "job": "", "job_count": waiting,
                              "job_timestamp": "0", "job_no": 0, "sampling_step": 0, "sampling_steps": 0}}
        s = busy[0]
        per_image = s.step / s.total_steps if s.total_steps else 0.0
        fraction = min(1.0, (s.image_index + per_image) / max(1, s.total_images))
        elapsed = time.monotonic() - s.started
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        return {
            "progress": round(fraction, 4),
            "eta_relative": round(eta, 3),
            "current_image": None,
            "textinfo": None,
            "state": {
                "skipped": False, "interrupted": s.interrupted, "job": f"job {s.job.id}",
                "job_count": s.total_images + waiting, "job_timestamp": str(int(s.started)),
                "job_no": s.image_index, "sampling_step": s.step, "sampling_steps": s.total_steps,
            },
            "busy_workers": len(busy),
            "waiting": waiting,
        }

    def close(self) -> None:
        for _ in self._workers:
            self._waiting.put(None)
        for worker in self._workers:
            worker.join(timeout=10)

    def _work(self, backend: Backend, state: _WorkerState) -> None:
        while True:
            job = self._waiting.get()
            if job is None:
                return
            if not job.future.set_running_or_notify_cancel():
                continue
            self._order.append(job.id)
            state.job, state.step, state.image_index, state.interrupted = job, 0, 0, False
            state.total_steps = job.params.steps
            state.total_images = job.params.batch_size * job.params.batch_count
            state.started = time.monotonic()

            def report(p: Progress, state: _WorkerState = state) -> None:
                state.step, state.total_steps = p.step, p.total_steps
                state.image_index, state.total_images = p.image_index, p.total_images

            try:
                images: list[GeneratedImage] = backend.generate(job.params, on_progress=report, cancel=job.cancel)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting request, never swallowed
                job.future.set_exception(exc)
            else:
                job.future.set_result(images)
            finally:
                state.job = None
