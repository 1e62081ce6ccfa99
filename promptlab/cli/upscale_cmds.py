"""`promptlab upscale`: A1111's Extras tab for files (model upscalers, tiling, metadata kept)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from promptlab.cli.io import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "upscale",
        help="upscale images with ESRGAN-family models, Lanczos or Nearest (A1111's Extras)",
        description="Upscale images like A1111's Extras tab: model upscalers from models/ESRGAN, models/RealESRGAN, "
        "models/SwinIR, models/DAT (A1111 names such as 'R-ESRGAN 4x+' or a file stem such as '4x-UltraSharp'), "
        "tiled so large images fit in memory. Each output is a PNG that keeps the input's metadata and adds "
        "'Postprocess upscale by' / 'Postprocess upscaler'. Inputs are never overwritten.",
    )
    p.add_argument("images", nargs="*", metavar="IMAGE", help="images to upscale (PNG, JPEG, WebP, ...)")
    p.add_argument("--upscaler", "-u", metavar="NAME", default="R-ESRGAN 4x+",
                   help="upscaler name (default 'R-ESRGAN 4x+'); see --list")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--scale", type=float, default=None, help="upscale by this factor, 1 to 8 (default 2)")
    size.add_argument("--resize", metavar="WxH", help="upscale to exactly this size instead of a factor")
    p.add_argument("--no-crop", action="store_true",
                   help="with --resize: stretch to WxH instead of A1111's default (scale to cover, crop the centre)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: beside each input); files are <name>-upscaled.png")
    p.add_argument("--tile", type=int, default=192,
                   help="tile size in pixels, 0 = no tiling (A1111's ESRGAN_tile, 192)")
    p.add_argument("--tile-overlap", type=int, default=8,
                   help="tile overlap in pixels (A1111's ESRGAN_tile_overlap, 8)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, ...")
    p.add_argument("--models", metavar="DIR",
                   help="models folder in A1111's layout (default $PROMPTLAB_MODELS or ./models)")
    p.add_argument("--a1111-root", metavar="DIR", help="use an existing stable-diffusion-webui install's models")
    p.add_argument("--list", action="store_true", help="list the upscaler names (and the files built-in names need)")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.set_defaults(func=run_upscale)


def _parse_size(value: str) -> tuple[int, int]:
    from promptlab.upscale.errors import UpscaleInputError

    try:
        w, h = (int(part) for part in value.lower().replace("×", "x").split("x"))
    except ValueError:
        raise UpscaleInputError("upscale.err_resize", value=value) from None
    return w, h


def run_upscale(args: argparse.Namespace) -> int:
    from promptlab.backend.models import ModelRoots

    roots = ModelRoots.from_args(args.models, args.a1111_root)
    if args.list:
        return _list(roots, args.json)
    if not args.images:
        print("promptlab upscale: give one or more IMAGE files (or --list).", file=sys.stderr)
        return 2
    from promptlab.upscale.extras import Extras, open_source, output_path
    from promptlab.upscale.tiling import TileSettings

    # 1. check every input before anything is loaded or written
    size = _parse_size(args.resize) if args.resize else None
    scale = None if size else (2.0 if args.scale is None else args.scale)  # 0 must reach the range check
    extras = Extras(args.upscaler, roots, scale=scale, size=size, crop=not args.no_crop,
                    tiles=TileSettings(args.tile, args.tile_overlap), device=args.device)
    inputs = {Path(p).resolve() for p in args.images}
    targets: dict[Path, Path] = {}
    for image in args.images:
        target = output_path(image, args.out, inputs)
        stem, n = target.stem, 1
        while target.resolve() in targets.values() or target.resolve() in inputs:  # two inputs named alike
            target = target.with_name(f"{stem}-{n}.png")
            n += 1
        targets[Path(image)] = target.resolve()
    sources = [open_source(image) for image in args.images]  # header checks first, then decode
    # 2. upscale and write, one image at a time (each write is atomic)
    results = []
    for source, image in zip(sources, args.images):
        bar = None
        if not args.json and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=None, unit="tile", file=sys.stderr, dynamic_ncols=True, leave=False, desc=Path(image).name)

        def on_tile(done: int, total: int, bar=bar) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        try:
            result = extras.process_file(source, targets[Path(image)], on_tile)
        finally:
            if bar is not None:
                bar.close()
        results.append(result)
        if not args.json:
            print(f"{image} -> {result.output} ({result.width}x{result.height}, {result.seconds:.1f} s)")
    if args.json:
        print_json({"upscaler": extras.upscaler.name, "postprocessing": extras.infotext(),
                    "images": [r.to_dict() for r in results]})
    return 0


def _list(roots, as_json: bool) -> int:
    from promptlab.i18n import t
    from promptlab.upscale.names import BUILTIN_MODELS, list_upscalers

    found = list_upscalers(roots, include_missing=True)
    builtin = {m.name: m for m in BUILTIN_MODELS}
    rows = []
    for up in found:
        row = {"name": up.name, "kind": up.kind.value, "path": str(up.path) if up.path else None,
               "available": up.available}
        if not up.available and up.name in builtin:
            row["needs"] = f"models/{builtin[up.name].folder}/{builtin[up.name].file}"
        rows.append(row)
    if as_json:
        print_json({"models": str(roots.models), "upscalers": rows})
        return 0
    print(t("upscale.list_header", "en"))
    for row in rows:
        where = row["path"] or ""
        if row.get("needs"):
            folder, file = row["needs"].removeprefix("models/").split("/", 1)
            where = t("upscale.missing_file", "en", file=file, folder=folder)
        print(f"{row['name']:<30} {row['kind']:<7} {where}")
    return 0
