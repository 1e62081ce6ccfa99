"""Write a finished (or cancelled) run: grid PNG(s) with the spec in their metadata, an optional
sheet, and ``manifest.json`` listing every cell's params, status and file.

Files in the output folder:
- ``grid.png`` (one Z value) or ``grid-z000.png``, ``grid-z001.png``, ... (one per Z value)
- ``sheet.png`` when the spec asks for it and there are several Z values
- ``cells/x000-y000-z000.png`` each cell (kept unless the spec says ``cell_files: false``)
- ``manifest.json``
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.grid.render import RenderedGrid, render_grid, render_sheet
from promptlab.grid.run import CELLS_DIR, CellStatus, GridRun, params_to_dict

if TYPE_CHECKING:
    from PIL import Image

GRID_CHUNK = "promptlab-grid"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class GridOutputs:
    grids: tuple[Path, ...]
    sheet: Path | None
    manifest: Path
    rendered: tuple[RenderedGrid, ...]
    warnings: tuple[str, ...]


def render_run(run: GridRun) -> list[RenderedGrid]:
    """One rendered grid per Z value."""
    spec = run.plan.spec
    nx, ny, nz = run.plan.shape
    out = []
    for iz in range(nz):
        cells = {}
        for r in run.results:
            ix, iy, z = r.cell.index
            if z != iz:
                continue
            if r.image is not None:
                cells[(ix, iy)] = r.image
            else:
                cells[(ix, iy)] = r.error if r.status is CellStatus.FAILED else None
        title_parts = [spec.title] if spec.title else []
        if spec.z:
            title_parts.append(f"{spec.z.title}: {spec.z.values[iz].label}")
        out.append(render_grid(
            cells,
            x_labels=spec.x.labels if spec.x else ("",),
            y_labels=spec.y.labels if spec.y else ("",),
            x_title=spec.x.title if spec.x else "",
            y_title=spec.y.title if spec.y else "",
            title=" — ".join(title_parts),
            cell_size=(max(r.cell.params.width for r in run.results), max(r.cell.params.height for r in run.results))
            if not any(r.image for r in run.results) else None,
        ))
    return out


def _infotext(params) -> str:
    to_infotext = getattr(params, "to_infotext", None)
    return to_infotext() if to_infotext else ""


def _save_png(image: Image.Image, path: Path, metadata: dict, infotext: str) -> None:
    from promptlab.metadata.write import save_png

    save_png(image, path, infotext, {GRID_CHUNK: json.dumps(metadata, ensure_ascii=False)})


def write_outputs(run: GridRun, out_dir: str | Path) -> GridOutputs:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = run.plan.spec
    rendered = render_run(run)
    nz = len(rendered)
    base_info = _infotext(spec.base)
    first_done = next((r for r in run.results if r.infotext), None)
    infotext = first_done.infotext if first_done else base_info
    metadata = {"spec": spec.to_dict(), "base": params_to_dict(spec.base)}
    grids = []
    for iz, grid in enumerate(rendered):
        path = out / ("grid.png" if nz == 1 else f"grid-z{iz:03d}.png")
        _save_png(grid.image, path, {**metadata, "z": iz}, infotext)
        grids.append(path)
    sheet = None
    if spec.sheet and nz > 1:
        sheet = out / "sheet.png"
        _save_png(render_sheet([g.image for g in rendered]), sheet, metadata, infotext)
    warnings = tuple(dict.fromkeys(g.font.warning for g in rendered if g.font.warning))
    complete = all(r.status in (CellStatus.DONE, CellStatus.REUSED) for r in run.results)
    keep_cells = spec.cell_files or not complete   # an unfinished run keeps its cells for --resume
    manifest = {
        "version": 1,
        "spec": spec.to_dict(),
        "base": params_to_dict(spec.base),
        "shape": list(run.plan.shape),
        "axes": {n: {"type": a.type.value, "title": a.title, "values": list(a.labels)}
                 for n, a in zip("xyz", spec.axes) if a},
        "cancelled": run.cancelled,
        "complete": complete,
        "seconds": round(run.seconds, 3),
        "model_loads": run.model_loads,
        "counts": run.counts(),
        "grids": [p.name for p in grids],
        "sheet": sheet.name if sheet else None,
        "font": rendered[0].font.name if rendered else None,
        "warnings": list(warnings),
        "cells": [
            {
                "index": list(r.cell.index),
                "labels": {n: label for n, label in zip("xyz", r.cell.labels) if label},
                "status": r.status.value,
                "file": r.file if keep_cells else None,
                "error": r.error or None,
                "backend": r.backend or None,
                "seconds": round(r.seconds, 3),
                "key": r.cell.key,
                "params": params_to_dict(r.params or r.cell.params),
                "infotext": r.infotext or None,
            }
            for r in run.results
        ],
    }
    manifest_path = out / MANIFEST
    tmp = manifest_path.with_name(MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(manifest_path)
    if not keep_cells and (out / CELLS_DIR).is_dir():
        shutil.rmtree(out / CELLS_DIR)
    return GridOutputs(tuple(grids), sheet, manifest_path, tuple(rendered), warnings)


def read_grid_metadata(path: str | Path) -> dict:
    """The spec and base params a grid PNG carries."""
    from PIL import Image

    with Image.open(path) as im:
        return json.loads(im.text[GRID_CHUNK])  # type: ignore[attr-defined]
