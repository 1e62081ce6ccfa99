"""`promptlab grid SPEC.yaml --out DIR [--resume] [--max-cells N] [--dry-run]`."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from promptlab.cli.io import print_json
from promptlab.errors import InvalidInputError

RESOLVED_SPEC = "spec.json"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "grid",
        help="make an X/Y/Z comparison grid (checkpoints, samplers, prompts, ...)",
        description="Run a grid spec (YAML or JSON) and write grid PNG(s), cells and manifest.json to --out. "
        "Slow axes (checkpoint, VAE) run outermost so each model loads once.",
    )
    p.add_argument("spec", help="grid spec file (.yaml/.yml/.json); see README 'Comparison grids'")
    p.add_argument("--out", help="output folder (required unless --dry-run)")
    p.add_argument("--resume", action="store_true", help="reuse cells already in --out that match their params")
    p.add_argument("--max-cells", type=int, default=None, help="refuse grids above this many cells (default 1000)")
    p.add_argument("--dry-run", action="store_true", help="show the cells, model loads and time estimate; run nothing")
    p.add_argument("--sheet", action="store_true", help="also write all Z grids side by side in sheet.png")
    p.add_argument("--no-cell-files", action="store_true", help="delete cells/ after a complete run")
    p.add_argument("--backend", action="append", default=None, metavar="local|URL",
                   help="where to generate: 'local' (diffusers, the default) or an A1111/Forge/promptlab-serve URL; "
                   "repeat to run on several at once (one job per backend, failed cells retried on another)")
    p.add_argument("--auth", default=None, help="user:password for remote backends")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="also run cells on Ray actors, one per GPU or CPU slot (pip install 'promptlab[cluster]'): "
                        "alone, a local Ray; 'auto' or ray://HOST:10001 joins a cluster. Each checkpoint's cells stay "
                        "on one actor; a cell whose actor dies is retried on another")
    p.add_argument("--actors", type=int, default=None, metavar="N", help="Ray actors (default: one per GPU, else per CPU)")
    p.add_argument("--models-root", type=Path, default=None, help="models folder (default ./models or $PROMPTLAB_MODELS)")
    p.add_argument("--device", default="auto", help="torch device for local generation (auto, cpu, cuda, mps)")
    p.add_argument("--dtype", default="auto", help="torch dtype for local generation (auto, float16, bfloat16, float32)")
    p.add_argument("--allow-pickle", action="store_true", help="allow .ckpt/.pt checkpoints (runs pickled code: trusted files only)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=handle)


def _load_spec(args):
    from dataclasses import replace

    from promptlab.grid import GridSpec

    spec = GridSpec.load(args.spec)
    if args.sheet:
        spec = replace(spec, sheet=True)
    if args.no_cell_files:
        spec = replace(spec, cell_files=False)
    return spec


def _resolve_seeds(spec, out: Path | None, resume: bool):
    """Seed -1 becomes one fixed seed; --resume reuses the seeds the interrupted run chose."""
    from promptlab.grid import GridSpec

    saved = out / RESOLVED_SPEC if out else None
    if resume and saved and saved.is_file():
        try:
            data = json.loads(saved.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data = {}
        if data.get("source") == spec.to_dict():
            return GridSpec.from_dict(data["resolved"])
    resolved = spec.with_fixed_seeds()
    if saved:
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"source": spec.to_dict(), "resolved": resolved.to_dict()},
                                    ensure_ascii=False, indent=2), encoding="utf-8")
    return resolved


def _print_plan(info: dict) -> None:
    from promptlab.grid import format_duration

    shape = " x ".join(str(n) for n in info["shape"])
    print(f"cells: {info['cells']} ({shape})")
    for axis in info["axes"]:
        values = ", ".join(axis["values"][:12]) + (" ..." if len(axis["values"]) > 12 else "")
        print(f"  {axis['name']}: {axis['title']} [{axis['type']}]: {values}")
    print(f"model loads: {info['model_loads']}")
    rough = "" if info["estimate_measured"] else " (rough: no run measured on this backend yet)"
    print(f"estimated time: {format_duration(info['estimated_seconds'])}{rough}")


def _progress_printer():
    tty = sys.stderr.isatty()

    def show(p) -> None:
        if p.cell is None:
            return
        labels = " ".join(f"{n}={v}" for n, v in zip("xyz", p.cell.labels) if v)
        step = f" step {p.step}/{p.total_steps}" if p.total_steps else ""
        eta = f" eta {int(p.eta_seconds)}s" if p.eta_seconds is not None else ""
        line = f"[{p.done}/{p.total}] {labels}{step}{eta}"
        if tty:
            sys.stderr.write("\r" + line[:150].ljust(150))
        elif not p.total_steps:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return show


def _make_backends(args) -> list:
    backends = []
    if args.ray is not None:
        from promptlab.cluster.generate import ray_pool

        pool = ray_pool(args.ray, models=str(args.models_root) if args.models_root else None, device=args.device,
                        dtype=args.dtype, allow_pickle=args.allow_pickle, actors=args.actors)
        args.ray_pools = [pool]
        backends += pool.backends   # each actor is scheduled like any other backend
        if not args.backend:
            return backends
    for where in args.backend or ["local"]:
        if where == "local":
            from promptlab.backend.diffusers_backend import DiffusersBackend

            backends.append(DiffusersBackend(args.models_root, device=args.device, dtype=args.dtype,
                                             allow_pickle=args.allow_pickle))
        elif where.startswith(("http://", "https://")):
            from promptlab.backend.remote_a1111 import RemoteA1111Backend

            backends.append(RemoteA1111Backend(where, auth=args.auth))
        else:
            raise InvalidInputError(f"--backend {where!r}: use 'local' or a URL like http://127.0.0.1:7860.")
    return backends


def handle(args: argparse.Namespace) -> int:
    from promptlab.grid import DEFAULT_MAX_CELLS, TimingModel, describe, make_plan, run_grid, write_outputs

    spec = _load_spec(args)
    max_cells = args.max_cells if args.max_cells is not None else DEFAULT_MAX_CELLS
    if args.dry_run:
        plan = make_plan(spec, max_cells=max_cells)
        info = describe(plan, TimingModel.load("diffusers"))
        print_json(info) if args.json else _print_plan(info)
        return 0
    if not args.out:
        raise InvalidInputError("Give an output folder with --out DIR (or use --dry-run).")
    out = Path(args.out)
    make_plan(spec, max_cells=max_cells)          # refuse early, before loading anything
    plan = make_plan(_resolve_seeds(spec, out, args.resume), max_cells=max_cells)

    backends = _make_backends(args)
    if not args.json:
        _print_plan(describe(plan, TimingModel.load(backends[0].name), backends=len(backends)))
    cancel = threading.Event()
    box: dict = {}

    def work() -> None:
        try:
            box["run"] = run_grid(plan, backends, out_dir=out, resume=args.resume, cancel=cancel,
                                  on_progress=None if args.json else _progress_printer())
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread and re-raised there
            box["error"] = exc

    thread = threading.Thread(target=work, name="promptlab-grid", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        print("\npromptlab: cancelling after the current step...", file=sys.stderr)
        thread.join()
    finally:
        for backend in backends:
            backend.close()
        for pool in getattr(args, "ray_pools", []):
            pool.close()
    if "error" in box:
        raise box["error"]
    run = box["run"]
    outputs = write_outputs(run, out)
    counts = run.counts()
    if args.json:
        print_json({
            "plan": describe(plan), "counts": counts, "cancelled": run.cancelled, "seconds": round(run.seconds, 3),
            "model_loads": run.model_loads, "grids": [str(p) for p in outputs.grids],
            "sheet": str(outputs.sheet) if outputs.sheet else None, "manifest": str(outputs.manifest),
            "warnings": list(outputs.warnings),
            "failed": [{"index": list(r.cell.index), "error": r.error} for r in run.results if r.error],
        })
    else:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        for warning in outputs.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for r in run.results:
            if r.error:
                print(f"failed {'/'.join(l for l in r.cell.labels if l)}: {r.error}", file=sys.stderr)
        print(f"made {counts['done']}, reused {counts['reused']}, failed {counts['failed']}, not run {counts['pending']} "
              f"in {run.seconds:.1f}s; model loads: {run.model_loads}")
        for path in outputs.grids + ((outputs.sheet,) if outputs.sheet else ()):
            print(path)
        print(outputs.manifest)
    if run.cancelled:
        print("promptlab: interrupted; run the same command with --resume to finish the grid", file=sys.stderr)
        return 130
    return 1 if counts["failed"] else 0
