"""Run a GridPlan on one Backend or several at once.

- One job at a time per backend; with several backends each worker keeps to one checkpoint group
  while it has cells, so models are not reloaded back and forth.
- A cell that fails is retried on another backend (a backend that cannot load a checkpoint gets no
  more cells of it); a cell no backend could make is marked failed and the rest of the grid completes.
- ``cancel`` (a ``threading.Event``) stops after the current step; finished cells are kept.
- With ``out_dir``, each finished cell is written at once to ``cells/`` (atomically), carrying its
  params fingerprint; ``resume=True`` reuses every cell on disk whose fingerprint matches.
- Results come back in grid order whatever order (and backend) they ran in.
"""

from __future__ import annotations

import enum
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.errors import BackendError, CancelledError, InvalidInputError, ModelLoadError, ModelNotFoundError, UnsafeModelError
from promptlab.grid.axes import split_schedule_suffix
from promptlab.grid.plan import Cell, GridPlan, TimingModel
from promptlab.grid.schedule import Scheduler
from promptlab.params import GenerationParams

if TYPE_CHECKING:
    from PIL import Image

    from promptlab.backend.base import Backend, Progress

CELLS_DIR = "cells"
CELL_CHUNK = "promptlab-cell"
_LOAD_ERRORS = (ModelLoadError, ModelNotFoundError, UnsafeModelError)


class CellStatus(enum.Enum):
    DONE = "done"
    REUSED = "reused"        # found on disk by --resume
    FAILED = "failed"
    PENDING = "pending"      # not run (cancelled)


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    status: CellStatus
    image: Image.Image | None = None
    params: GenerationParams | None = None   # as generated (seed resolved, model hash filled)
    infotext: str = ""
    error: str = ""
    backend: str = ""
    seconds: float = 0.0
    file: str | None = None                  # relative to the output folder


@dataclass(frozen=True)
class GridProgress:
    done: int                 # cells finished (made, reused or failed)
    total: int
    failed: int
    reused: int
    cell: Cell | None = None
    backend: str = ""
    step: int = 0
    total_steps: int = 0
    eta_seconds: float | None = None


@dataclass(frozen=True)
class GridRun:
    plan: GridPlan
    results: tuple[CellResult, ...]          # grid order, like plan.cells
    cancelled: bool
    seconds: float
    model_loads: int | None                  # from backends that count them (DiffusersBackend.model_loads)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in CellStatus}
        for r in self.results:
            out[r.status.value] += 1
        return out


def params_from_dict(data: dict) -> GenerationParams:
    names = set(GenerationParams.field_names())
    kwargs = {k: v for k, v in data.items() if k in names}
    if "extra" in kwargs:
        kwargs["extra"] = tuple(tuple(kv) for kv in kwargs["extra"])
    kwargs.pop("init_image", None)  # recorded as a summary (name, sha256), not the pixels
    return GenerationParams(**kwargs)


def params_to_dict(params: GenerationParams) -> dict:
    data = asdict(params.with_(init_image=None))
    data["extra"] = [list(kv) for kv in params.extra]
    data["init_image"] = params.init_image.describe() if params.init_image is not None else None
    return data


def _write_cell(out_dir: Path, cell: Cell, result: CellResult) -> str:
    from promptlab.metadata.write import save_png

    payload = {"key": cell.key, "index": list(cell.index), "params": params_to_dict(result.params or cell.params)}
    save_png(result.image, out_dir / CELLS_DIR / cell.file_name, result.infotext,
             {CELL_CHUNK: json.dumps(payload, ensure_ascii=False)})
    return f"{CELLS_DIR}/{cell.file_name}"


def load_cell(out_dir: Path, cell: Cell) -> CellResult | None:
    """The cell's file on disk when it was made from exactly these params; None otherwise."""
    from PIL import Image, UnidentifiedImageError

    path = out_dir / CELLS_DIR / cell.file_name
    if not path.is_file():
        return None
    try:
        with Image.open(path) as im:
            im.load()
            payload = json.loads(im.text.get(CELL_CHUNK, "{}"))  # type: ignore[attr-defined]
            if payload.get("key") != cell.key:
                return None
            image = im.convert("RGB") if im.mode not in ("RGB", "RGBA") else im.copy()
            infotext = im.text.get("parameters", "")  # type: ignore[attr-defined]
    except (OSError, UnidentifiedImageError, json.JSONDecodeError, AttributeError):
        return None   # a damaged or foreign file is made again, never trusted
    params = params_from_dict(payload.get("params") or {}) if payload.get("params") else cell.params
    return CellResult(cell, CellStatus.REUSED, image, params, infotext, file=f"{CELLS_DIR}/{cell.file_name}")


def check_backends(plan: GridPlan, backends: Sequence[Backend]) -> None:
    """Fail before starting when a sampler in the plan is not one the backends offer, or when cells have
    an init image and a backend would ignore it (txt2img only)."""
    from promptlab.init_image import require_img2img

    img2img = next((c.params for c in plan.cells if c.params.init_image is not None), None)
    for backend in backends if img2img is not None else ():
        require_img2img(backend, img2img)
    wanted = sorted({c.params.sampler for c in plan.cells})
    for backend in backends:
        offered = backend.list_samplers()
        if not offered:
            continue
        lower = {s.lower() for s in offered}
        missing = [s for s in wanted if s.lower() not in lower and split_schedule_suffix(s)[0].lower() not in lower]
        if missing:
            raise InvalidInputError(f"Backend {backend.name!r} has no sampler {missing[0]!r}. Its samplers: {', '.join(offered)}.")


def _model_failed(exc: Exception, params: GenerationParams) -> bool:
    """The checkpoint or VAE itself failed to load (so the rest of its group would fail too), as opposed
    to a missing LoRA or embedding, which fails only the cells that use it."""
    if not isinstance(exc, _LOAD_ERRORS):
        return False
    text = str(exc)
    names = set()
    for value in (params.model, params.vae):
        if value:
            path = Path(value.replace("\\", "/"))
            names |= {value, path.name, path.stem}
    return any(n and n in text for n in names)


def run_grid(
    plan: GridPlan,
    backends: Backend | Sequence[Backend],
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    cancel: threading.Event | None = None,
    on_progress: Callable[[GridProgress], None] | None = None,
    record_timing: bool = True,
) -> GridRun:
    # 1. check inputs
    backend_list = [backends] if not isinstance(backends, Sequence) else list(backends)
    if len(backend_list) == 1 and isinstance(getattr(backend_list[0], "backends", None), list):
        backend_list = list(backend_list[0].backends)   # a BackendPool: schedule its members ourselves
    if not backend_list:
        raise InvalidInputError("run_grid needs at least one backend.")
    names = [b.name for b in backend_list]
    if len(set(names)) != len(names):
        names = [f"{n}#{k}" for k, n in enumerate(names)]
    check_backends(plan, backend_list)
    cancel = cancel or threading.Event()
    out = Path(out_dir) if out_dir is not None else None
    started = time.monotonic()
    loads_before = [getattr(b, "model_loads", None) for b in backend_list]

    # 2. reuse cells already on disk
    results: dict[int, CellResult] = {}
    if out is not None and resume:
        for i, cell in enumerate(plan.cells):
            found = load_cell(out, cell)
            if found is not None:
                results[i] = found
    todo = {i for i in range(len(plan.cells)) if i not in results}
    reused = len(results)

    # 3. run the rest
    scheduler = Scheduler(plan, todo, names)
    lock = threading.Lock()
    made_seconds: list[float] = []
    total = len(plan.cells)

    def report(cell: Cell | None, backend: str, step: int = 0, total_steps: int = 0) -> None:
        if on_progress is None:
            return
        with lock:
            done = len(results)
            failed = sum(1 for r in results.values() if r.status is CellStatus.FAILED)
            eta = None
            if made_seconds:
                eta = sum(made_seconds) / len(made_seconds) * (total - done) / len(backend_list)
            on_progress(GridProgress(done, total, failed, reused, cell, backend, step, total_steps, eta))

    def worker(backend: Backend, name: str) -> None:
        while True:
            i = scheduler.next(name, cancel)
            if i is None:
                return
            cell = plan.cells[i]
            report(cell, name)
            t0 = time.monotonic()

            def step_progress(p: Progress, cell=cell) -> None:
                report(cell, name, p.step, p.total_steps)

            try:
                images = backend.generate(cell.params, on_progress=step_progress, cancel=cancel)
                if not images:
                    raise BackendError("the backend returned no image")  # noqa: TRY301
            except CancelledError:
                scheduler.requeue(i)
                return
            except Exception as exc:  # noqa: BLE001 - any backend failure fails this cell, not the grid
                message = f"{type(exc).__name__}: {exc}"
                if not scheduler.failed(name, i, message, group_failed=_model_failed(exc, cell.params)):
                    with lock:
                        results[i] = CellResult(cell, CellStatus.FAILED, error=message, backend=name,
                                                seconds=time.monotonic() - t0)
                report(cell, name)
                continue
            first = images[0]
            seconds = time.monotonic() - t0
            result = CellResult(cell, CellStatus.DONE, first.image, first.params, first.infotext,
                                backend=name, seconds=seconds)
            if out is not None:
                result = CellResult(**{**{f.name: getattr(result, f.name) for f in fields(result)},
                                       "file": _write_cell(out, cell, result)})
            with lock:
                results[i] = result
                made_seconds.append(seconds)
            scheduler.finished(name, i)
            report(cell, name)

    if len(backend_list) == 1:
        worker(backend_list[0], names[0])
    else:
        threads = [threading.Thread(target=worker, args=(b, n), name=f"grid-{n}", daemon=True)
                   for b, n in zip(backend_list, names)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # 4. whatever is left: failed everywhere, or not run because of cancel
    for i, error in scheduler.leftovers():
        if i not in results:
            status = CellStatus.FAILED if error else CellStatus.PENDING
            results[i] = CellResult(plan.cells[i], status, error=error)
    for i in range(total):
        if i not in results:
            results[i] = CellResult(plan.cells[i], CellStatus.PENDING)

    loads = None
    after = [getattr(b, "model_loads", None) for b in backend_list]
    if all(isinstance(v, int) for v in loads_before + after):
        loads = sum(a - b for a, b in zip(after, loads_before))
    run = GridRun(plan, tuple(results[i] for i in range(total)), cancel.is_set(), time.monotonic() - started, loads)
    if record_timing and len(backend_list) == 1:
        _record_timing(run, backend_list[0].name)
    return run


def _record_timing(run: GridRun, backend_name: str) -> None:
    """Learn seconds per step and per model load from this run, for the next estimate."""
    made = [r for r in run.results if r.status is CellStatus.DONE]
    if len(made) < 2:
        return
    seen: set = set()
    firsts, rest = [], []
    for i in run.plan.order:
        r = run.results[i]
        if r.status is not CellStatus.DONE:
            continue
        group = (r.cell.params.model, r.cell.params.vae)
        (rest if group in seen else firsts).append(r)
        seen.add(group)
    unit = TimingModel(seconds_per_step=1.0)
    work = lambda rs: sum(unit.cell_seconds(r.cell.params) for r in rs)  # noqa: E731
    if rest:
        per_step = sum(r.seconds for r in rest) / max(work(rest), 1e-9)
        per_load = max(0.0, sum(r.seconds - per_step * unit.cell_seconds(r.cell.params) for r in firsts) / len(firsts))
    else:
        per_step, per_load = sum(r.seconds for r in made) / max(work(made), 1e-9), 0.0
    TimingModel(per_step, per_load, True).save(backend_name)
