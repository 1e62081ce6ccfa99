"""`promptlab info`: generation metadata of images (A1111, ComfyUI, NovelAI, InvokeAI, ...)."""

from __future__ import annotations

import argparse
import glob
import os
from collections.abc import Iterator
from pathlib import Path

from promptlab.cli.io import print_json

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "info",
        help="read the prompt and settings stored in images",
        description="Read generation metadata from PNG/JPEG/WebP images written by A1111/Forge/reForge/"
        "SD.Next, ComfyUI, NovelAI, InvokeAI, Fooocus, SwarmUI, Stability Matrix, TensorArt, Civitai, "
        "Easy Diffusion and Draw Things. Prints A1111-style infotext (paste it into A1111's PNG Info), "
        "or JSON with --json. Broken files are reported and the others still read; the exit code is 1 "
        "when any file could not be read.",
    )
    p.add_argument("paths", nargs="+", metavar="FILE_OR_GLOB",
                   help="image files, folders (their images) or glob patterns ('shots/**/*.png'; quote them)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per file (shape in the README)")
    p.add_argument("--prompt-only", action="store_true", help="print only the positive prompt of each file")
    p.add_argument("--convert-nai", action="store_true",
                   help="rewrite NovelAI prompt syntax ({}, [], w::x::) as A1111 syntax (the originals stay "
                   "in details.original_prompt)")
    p.add_argument("--stealth", choices=("auto", "always", "never"), default="auto",
                   help="decode pixels for stealth payloads: auto = only alpha images without other metadata "
                   "(default); always = also RGB low bits and images that have other metadata; never")
    p.add_argument("-r", "--recursive", action="store_true", help="also read images in sub-folders of a folder")
    p.set_defaults(func=run)


def expand_paths(patterns: list[str], *, recursive: bool = False) -> Iterator[tuple[str, str | None]]:
    """(path, error) for every file named, found in a folder, or matched by a glob."""
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            walker = path.rglob("*") if recursive else path.iterdir()
            files = sorted(p for p in walker if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                yield pattern, f"no .png/.jpg/.jpeg/.webp images in folder {pattern}"
            for file in files:
                yield str(file), None
        elif path.exists():
            yield pattern, None
        elif glob.has_magic(pattern):
            matches = sorted(m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m))
            if not matches:
                yield pattern, f"no files match {pattern!r}"
            for match in matches:
                yield match, None
        else:
            yield pattern, "no such file"


def run(args: argparse.Namespace) -> int:
    from promptlab.metadata import read

    results = []
    failed = False
    for path, problem in expand_paths(args.paths, recursive=args.recursive):
        if problem is not None:
            entry = {"file": path, "generator": None, "warnings": [], "error": problem}
        else:
            meta = read(path, stealth=args.stealth, convert_nai=args.convert_nai)
            entry = meta.to_json()
            entry["_meta"] = meta
        failed = failed or entry["error"] is not None
        if args.json:
            results.append(entry)
        else:
            _print_text(entry, prompt_only=args.prompt_only, several=len(args.paths) > 1 or _is_multi(args.paths))
    if args.json:
        for entry in results:
            entry.pop("_meta", None)
        if args.prompt_only:
            results = [{"file": e["file"], "prompt": e.get("prompt"), "error": e["error"]} for e in results]
        print_json(results)
    return 1 if failed else 0


def _is_multi(paths: list[str]) -> bool:
    return any(Path(p).is_dir() or glob.has_magic(p) for p in paths)


def _print_text(entry: dict, *, prompt_only: bool, several: bool) -> None:
    meta = entry.get("_meta")
    if prompt_only:
        if several:
            print(f"== {entry['file']}")
        if entry["error"]:
            print(f"error: {entry['error']}")
        elif meta is not None and meta.params is not None:
            print(meta.params.prompt)
        return
    where = ", ".join(x for x in (entry.get("generator"), entry.get("format")) if x)
    print(f"== {entry['file']}" + (f"  ({where})" if where else ""))
    if entry["error"]:
        print(f"error: {entry['error']}")
        return
    if meta is None or meta.params is None:
        print("no generation metadata")
        for key in meta.unclaimed if meta else ():
            text = meta.raw[key]
            print(f"  {key}: {text[:200]}{'...' if len(text) > 200 else ''}")
    else:
        for index, params in enumerate(meta.params_list):
            if len(meta.params_list) > 1:
                print(f"-- parameter set {index + 1} of {len(meta.params_list)}")
            print(params.to_infotext())
        if meta.details.get("character_prompts"):
            for i, ch in enumerate(meta.details["character_prompts"], 1):
                print(f"Character {i}: {ch.get('prompt', '')}  center={ch.get('center')}")
    for warning in entry.get("warnings", []):
        print(f"warning: {warning}")
    print()
