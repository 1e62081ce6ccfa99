"""A grid run in a background thread: what the app (and any UI) polls for progress and can cancel.

The job owns nothing global: each user session keeps its own ``GridJob``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.grid.plan import GridPlan
from promptlab.grid.run import CellResult, CellStatus, GridProgress, GridRun, run_grid

if TYPE_CHECKING:
    from promptlab.backend.base import Backend
    from promptlab.grid.output import GridOutputs


@dataclass
class GridJob:
    plan: GridPlan
    out_dir: Path
    cancel_event: threading.Event = field(default_factory=threading.Event)
    progress: GridProgress | None = None
    run: GridRun | None = None
    outputs: GridOutputs | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    @classmethod
    def start(cls, plan: GridPlan, backends: Backend | Sequence[Backend], out_dir: str | Path, *,
              resume: bool = True) -> GridJob:
        job = cls(plan, Path(out_dir))

        def work() -> None:
            from promptlab.grid.output import write_outputs

            try:
                job.run = run_grid(plan, backends, out_dir=job.out_dir, resume=resume,
                                   cancel=job.cancel_event, on_progress=job._on_progress)
                job.outputs = write_outputs(job.run, job.out_dir)
            except Exception as exc:  # noqa: BLE001 - kept for the UI to show; the thread must not die silently
                job.error = exc

        job.thread = threading.Thread(target=work, name="promptlab-grid-job", daemon=True)
        job.thread.start()
        return job

    def _on_progress(self, progress: GridProgress) -> None:
        self.progress = progress     # one reference swap: readers see the old or the new object

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def cancel(self) -> None:
        self.cancel_event.set()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def fraction(self) -> float:
        p = self.progress
        if p is None or not p.total:
            return 0.0
        step = (p.step / p.total_steps) if p.total_steps else 0.0
        return min(1.0, (p.done + (step if p.done < p.total else 0)) / p.total)


def result_at(run: GridRun, index: tuple[int, int, int]) -> CellResult:
    nx, ny, _ = run.plan.shape
    ix, iy, iz = index
    return run.results[(iz * ny + iy) * nx + ix]


def view(run: GridRun, rows: int | None, cols: int | None, fixed: dict[int, int]) -> list[list[CellResult]]:
    """Results arranged with axis ``rows`` down and axis ``cols`` across (0=x, 1=y, 2=z; None = a single
    row/column), the other axis held at ``fixed[axis]``."""
    shape = run.plan.shape
    out = []
    for r in range(shape[rows] if rows is not None else 1):
        line = []
        for c in range(shape[cols] if cols is not None else 1):
            index = [fixed.get(a, 0) for a in range(3)]
            if rows is not None:
                index[rows] = r
            if cols is not None:
                index[cols] = c
            line.append(result_at(run, tuple(index)))  # type: ignore[arg-type]
        out.append(line)
    return out


def is_ok(result: CellResult) -> bool:
    return result.status in (CellStatus.DONE, CellStatus.REUSED)
