"""Plan a grid: every cell's GenerationParams, the order to run them, the count and a time estimate.

Cells are kept in grid order (z, then y, then x); ``GridPlan.order`` is the run order, grouped so that
the slow axes (checkpoint, then VAE) are outermost whatever axis they sit on: each checkpoint (and
each checkpoint+VAE pair) is loaded exactly once.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path

from promptlab.errors import InvalidInputError
from promptlab.grid.axes import AXIS_DEFS, PROMPT_STAGES, AxisType
from promptlab.grid.spec import Axis, GridSpec
from promptlab.params import GenerationParams

DEFAULT_MAX_CELLS = 1000


class GridTooLargeError(InvalidInputError):
    """The grid has more cells than the limit; the message says how to raise it."""


@dataclass(frozen=True)
class Cell:
    index: tuple[int, int, int]           # (ix, iy, iz)
    params: GenerationParams
    labels: tuple[str, str, str]          # the value label on each axis ("" where there is no axis)
    key: str                              # fingerprint of params: a cell on disk is reused only when it matches

    @property
    def file_name(self) -> str:
        ix, iy, iz = self.index
        return f"x{ix:03d}-y{iy:03d}-z{iz:03d}.png"


def params_key(params: GenerationParams) -> str:
    # repr of a frozen dataclass lists every field in order: cheap and exact (10,000 cells in ~50 ms).
    return hashlib.sha256(repr(params).encode("utf-8")).hexdigest()[:20]


def _apply(base: GenerationParams, picks: list[tuple[Axis, int]]) -> GenerationParams:
    changes: dict = {}
    prompt_picks = []
    for axis, i in picks:
        if axis.type in PROMPT_STAGES:
            prompt_picks.append((axis, i))
        else:
            changes.update(AXIS_DEFS[axis.type].apply.changes(axis.values[i]))
    params = replace(base, **changes) if changes else base
    prompt_picks.sort(key=lambda ai: PROMPT_STAGES.index(ai[0].type))
    for axis, i in prompt_picks:
        params = AXIS_DEFS[axis.type].apply(params, axis.values[i], axis)
    return params


@dataclass(frozen=True)
class TimingModel:
    """Seconds per 512x512 step and per model load; measured figures replace the defaults after a run."""

    seconds_per_step: float = 0.15
    seconds_per_load: float = 8.0
    measured: bool = False

    @classmethod
    def path(cls) -> Path:
        from promptlab.paths import user_home

        return user_home() / "grid-timing.json"

    @classmethod
    def load(cls, backend_name: str) -> TimingModel:
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8")).get(backend_name)
        except (FileNotFoundError, json.JSONDecodeError, AttributeError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(float(data["seconds_per_step"]), float(data["seconds_per_load"]), True)
        except (KeyError, TypeError, ValueError):
            return cls()

    def save(self, backend_name: str) -> None:
        from promptlab.paths import ensure_user_home

        path = ensure_user_home() / "grid-timing.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            data = {}
        data[backend_name] = {"seconds_per_step": self.seconds_per_step, "seconds_per_load": self.seconds_per_load}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(path)

    def cell_seconds(self, params: GenerationParams) -> float:
        pixels = params.width * params.height / (512 * 512)
        steps = params.steps + (params.hires_steps or params.steps if params.hires_upscale else 0)
        return self.seconds_per_step * max(pixels, 0.05) * steps


@dataclass(frozen=True)
class GridPlan:
    spec: GridSpec
    cells: tuple[Cell, ...]               # grid order: z, y, x
    order: tuple[int, ...]                # run order (indices into cells)
    model_loads: int                      # distinct (checkpoint, VAE) groups = loads on one backend

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.spec.shape

    def cell_at(self, ix: int, iy: int, iz: int) -> Cell:
        nx, ny, _ = self.shape
        return self.cells[(iz * ny + iy) * nx + ix]

    def groups(self) -> list[tuple[tuple[str | None, str | None], list[int]]]:
        """Run-order cell indices grouped by (checkpoint, VAE)."""
        out: dict[tuple[str | None, str | None], list[int]] = {}
        for i in self.order:
            p = self.cells[i].params
            out.setdefault((p.model, p.vae), []).append(i)
        return list(out.items())

    def estimate_seconds(self, timing: TimingModel | None = None, *, backends: int = 1) -> float:
        timing = timing or TimingModel()
        work = sum(timing.cell_seconds(c.params) for c in self.cells)
        loads = self.model_loads * timing.seconds_per_load
        return (work + loads) / max(1, backends)


def count_cells(spec: GridSpec) -> int:
    return spec.cell_count


def make_plan(spec: GridSpec, *, max_cells: int = DEFAULT_MAX_CELLS) -> GridPlan:
    """Build every cell (errors in S/R, LoRA or order axes surface here, before anything runs)."""
    total = spec.cell_count
    if total > max_cells:
        nx, ny, nz = spec.shape
        raise GridTooLargeError(
            f"This grid has {total:,} cells ({nx} x {ny} x {nz}), above the limit of {max_cells:,}. "
            f"Use fewer values, or raise the limit (--max-cells {total} on the command line, max_cells={total} in Python)."
        )
    nx, ny, nz = spec.shape
    cells = []
    for iz, iy, ix in product(range(nz), range(ny), range(nx)):
        picks = [(axis, i) for axis, i in zip(spec.axes, (ix, iy, iz)) if axis]
        params = _apply(spec.base, picks)
        labels = tuple(axis.values[i].label if axis else "" for axis, i in zip(spec.axes, (ix, iy, iz)))
        cells.append(Cell((ix, iy, iz), params, labels, params_key(params)))  # type: ignore[arg-type]
    order = _run_order(cells)
    groups = {(cells[i].params.model, cells[i].params.vae) for i in order}
    checkpoints = {cells[i].params.model for i in order}
    vae_axis = any(a and a.type is AxisType.VAE for a in spec.axes)
    loads = len(groups) if vae_axis else len(checkpoints)
    return GridPlan(spec, tuple(cells), order, loads)


def _run_order(cells: list[Cell]) -> tuple[int, ...]:
    first_model: dict[str | None, int] = {}
    first_vae: dict[str | None, int] = {}
    for c in cells:
        first_model.setdefault(c.params.model, len(first_model))
        first_vae.setdefault(c.params.vae, len(first_vae))
    # Stable sort: within one checkpoint+VAE group the grid order is kept.
    return tuple(sorted(range(len(cells)), key=lambda i: (first_model[cells[i].params.model],
                                                          first_vae[cells[i].params.vae])))


def describe(plan: GridPlan, timing: TimingModel | None = None, *, backends: int = 1) -> dict:
    """What the CLI's --dry-run and the page show before starting."""
    timing = timing or TimingModel()
    nx, ny, nz = plan.shape
    seconds = plan.estimate_seconds(timing, backends=backends)
    return {
        "cells": len(plan.cells),
        "shape": [nx, ny, nz],
        "axes": [
            {"name": n, "type": a.type.value, "title": a.title, "values": list(a.labels)}
            for n, a in zip("xyz", plan.spec.axes) if a
        ],
        "model_loads": plan.model_loads,
        "estimated_seconds": round(seconds, 1),
        "estimate_measured": timing.measured,
        "groups": [{"checkpoint": m, "vae": v, "cells": len(ix)} for (m, v), ix in plan.groups()],
    }


def format_duration(seconds: float) -> str:
    seconds = max(0, int(math.ceil(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else (f"{m}m {s:02d}s" if m else f"{s}s")
