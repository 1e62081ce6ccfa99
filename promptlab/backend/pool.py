"""BackendPool: several backends (local and remote) as one.

A batch of batch_count x batch_size images is split into one job per image (seed+i, as A1111 numbers
batch members) and the jobs are spread over the backends, one job at a time per backend. A job that
fails on one backend is retried on another; a backend that fails is not given more work in this call.
Results come back in seed order, exactly as a single backend would return them. Grids spread their cells
with their own scheduler (``promptlab.grid.run``), which also keeps checkpoint groups together.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from promptlab.backend.base import Backend, GeneratedImage, Progress, ProgressCallback
from promptlab.errors import BackendError, CancelledError, InvalidInputError, PromptlabError
from promptlab.params import GenerationParams


@dataclass
class BackendState:
    name: str
    jobs_done: int = 0
    failures: int = 0
    busy: bool = False
    last_error: str = ""
    errors: list[str] = field(default_factory=list)


def _common(lists) -> list[str]:
    """Entries every list has, in the first list's order."""
    common: list[str] | None = None
    for names in lists:
        common = list(names) if common is None else [n for n in common if n in names]
    return common or []


class BackendPool:
    def __init__(self, backends: Sequence[Backend], *, name: str = "pool") -> None:
        if not backends:
            raise InvalidInputError("A backend pool needs at least one backend.")
        self.backends = list(backends)
        self.name = name
        self.states = [BackendState(getattr(b, "name", f"backend {i}")) for i, b in enumerate(self.backends)]

    def list_models(self) -> list[str]:
        """Models every backend has (a job may land on any of them)."""
        return _common(b.list_models() for b in self.backends)

    def list_samplers(self) -> list[str]:
        return _common(b.list_samplers() for b in self.backends)

    @property
    def supports_img2img(self) -> bool:
        from promptlab.init_image import supports_img2img

        return any(supports_img2img(b) for b in self.backends)

    def close(self) -> None:
        for backend in self.backends:
            backend.close()

    def generate(self, params: GenerationParams, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None,
                 thread_init: Callable[[threading.Thread], None] | None = None) -> list[GeneratedImage]:
        total = max(1, params.batch_count) * max(1, params.batch_size)
        seed = params.seed if params.seed != -1 else random.randrange(2**32)
        jobs = [replace(params, seed=(seed + i) % 2**32, batch_count=1, batch_size=1) for i in range(total)]
        return [images[0] for images in self.run(jobs, on_progress=on_progress, cancel=cancel, thread_init=thread_init)]

    def run(self, jobs: Sequence[GenerationParams], *, on_progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            thread_init: Callable[[threading.Thread], None] | None = None) -> list[list[GeneratedImage]]:
        """Run independent jobs over the backends; results in job order.

        With one backend the jobs run on the calling thread. With several, one worker thread per backend
        runs them; ``thread_init`` is called with each worker before it starts (a UI can attach its
        context there so ``on_progress`` may draw).
        """
        cancel = cancel or threading.Event()
        results: list[list[GeneratedImage] | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        tried: dict[int, set[int]] = {}
        errors: dict[int, str] = {}
        dead: set[int] = set()
        if any(job.init_image is not None for job in jobs):   # img2img jobs go only where they can run
            from promptlab.init_image import Img2ImgError, supports_img2img

            dead = {i for i, b in enumerate(self.backends) if not supports_img2img(b)}
            if len(dead) == len(self.backends):
                raise Img2ImgError("img2img.err.unsupported", backend=", ".join(s.name for s in self.states))
        cond = threading.Condition()
        in_flight = [0]
        done_count = [0]

        def take(worker: int) -> int | None:
            with cond:
                while not cancel.is_set():
                    if worker in dead:
                        return None
                    for _ in range(len(pending)):
                        job = pending.popleft()
                        if worker not in tried.get(job, set()):
                            in_flight[0] += 1
                            return job
                        pending.append(job)
                    if in_flight[0] == 0:
                        return None
                    cond.wait(0.2)
                return None

        def work(worker: int) -> None:
            backend, state = self.backends[worker], self.states[worker]
            while (job := take(worker)) is not None:
                state.busy = True

                def report(p: Progress, job: int = job) -> None:
                    if on_progress is not None:
                        on_progress(replace(p, image_index=job, total_images=len(jobs),
                                            message=f"{state.name}: {p.message}".rstrip(": ")))

                try:
                    images = backend.generate(jobs[job], on_progress=report, cancel=cancel)
                except CancelledError:
                    with cond:
                        in_flight[0] -= 1
                        pending.appendleft(job)
                        cond.notify_all()
                    return
                except Exception as exc:  # noqa: BLE001 - any failure of one backend is retried on another
                    with cond:
                        in_flight[0] -= 1
                        state.failures += 1
                        state.last_error = str(exc)
                        state.errors.append(str(exc))
                        tried.setdefault(job, set()).add(worker)
                        errors[job] = f"{state.name}: {exc}"
                        if not isinstance(exc, PromptlabError) or isinstance(exc, BackendError):
                            dead.add(worker)   # a failing backend gets no more work in this run
                        alive = [w for w in range(len(self.backends)) if w not in dead and w not in tried[job]]
                        if alive:
                            pending.appendleft(job)
                        cond.notify_all()
                    continue
                finally:
                    state.busy = False
                with cond:
                    results[job] = images
                    in_flight[0] -= 1
                    done_count[0] += 1
                    state.jobs_done += 1
                    cond.notify_all()

        if len(self.backends) == 1:
            work(0)
        else:
            threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"pool-{i}")
                       for i in range(len(self.backends))]
            for thread in threads:
                if thread_init is not None:
                    thread_init(thread)
                thread.start()
            for thread in threads:
                thread.join()
        if cancel.is_set():
            raise CancelledError(f"Cancelled after {done_count[0]} of {len(jobs)} jobs.")
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            detail = "; ".join(errors.get(i, "no backend left to run it") for i in missing[:3])
            raise BackendError(f"{len(missing)} of {len(jobs)} jobs failed on every backend: {detail}")
        return [r for r in results if r is not None]
