"""`promptlab generate` (local diffusers) and `promptlab models` (what is found under models/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from promptlab.cli import img2img_args
from promptlab.cli.io import print_json, read_text_arg

# flag -> GenerationParams field; all default to None so that --from values are only overridden when given
_PARAM_FLAGS = (
    ("--negative", "negative_prompt", str, "negative prompt (or - for stdin)"),
    ("--steps", "steps", int, "sampling steps (default 20)"),
    ("--sampler", "sampler", str, "A1111 sampler name, e.g. 'Euler a', 'DPM++ 2M' (default Euler a)"),
    ("--schedule", "schedule_type", str, "schedule type: Automatic, Uniform, Karras, Exponential, Beta, SGM Uniform"),
    ("--cfg", "cfg_scale", float, "CFG scale (default 7)"),
    ("--seed", "seed", int, "seed; -1 = random (default); image i of the job gets seed+i"),
    ("--width", "width", int, "width, a multiple of 8 (default 512)"),
    ("--height", "height", int, "height, a multiple of 8 (default 512)"),
    ("--batch-size", "batch_size", int, "images per batch (default 1)"),
    ("--batch-count", "batch_count", int, "number of batches (default 1)"),
    ("--clip-skip", "clip_skip", int, "CLIP skip in A1111's numbering (1 = last layer)"),
    ("--ensd", "ensd", int, "A1111's eta noise seed delta: the extra noise of Euler a / DPM2 a / DDIM (eta > 0) comes "
     "from seed + ENSD; NovelAI emulation: --clip-skip 2 --ensd 31337"),
    ("--emphasis", "emphasis", str, "Original (default), No norm, Ignore, None, comfy"),
    ("--vae", "vae", str, "a VAE name under models/VAE (default: the checkpoint's own)"),
    ("--hires", "hires_upscale", float, "hires fix: upscale factor (e.g. 2)"),
    ("--hires-resize", "hires_resize", str, "hires fix: target size WxH instead of a factor"),
    ("--hires-upscaler", "hires_upscaler", str, "Latent (default), Latent (nearest), ..., Lanczos, Nearest, None, "
     "or a model upscaler: R-ESRGAN 4x+, 4x-UltraSharp, ... (promptlab upscale --list)"),
    ("--hires-steps", "hires_steps", int, "hires fix steps (default: same as --steps)"),
    ("--hires-sampler", "hires_sampler", str, "hires fix sampler (default: same)"),
    ("--denoise", "denoising_strength", float, "denoising strength: img2img (default 0.75) or hires fix (default 0.7)"),
)


def _add_model_location(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", metavar="DIR", help="models folder in A1111's layout (default $PROMPTLAB_MODELS or ./models)")
    p.add_argument("--a1111-root", metavar="DIR", help="use an existing stable-diffusion-webui install's models")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate",
        help="generate images locally with diffusers (A1111 prompts, samplers and infotext)",
        description="Generate PNGs on this machine's GPU (or CPU). Prompts are read the way A1111 reads them "
        "(weights, 75-token chunks, BREAK, prompt editing, <lora:name:w>, embeddings); every PNG carries "
        "A1111 infotext.",
    )
    p.add_argument("--model", metavar="NAME_OR_PATH",
                   help="a checkpoint name under models/Stable-diffusion, a .safetensors file, a diffusers folder, "
                   "or a hub id (online only); default: the first checkpoint found")
    p.add_argument("--prompt", metavar="TEXT", help="the prompt (or - for stdin)")
    p.add_argument("--from", dest="from_image", metavar="IMAGE",
                   help="replay an image (A1111/ComfyUI/NovelAI...): its replay plan (what runs for each setting, "
                   "what is mapped or not reproducible here) is printed first; flags override")
    p.add_argument("--dry-run", action="store_true", help="with --from: print the replay plan (--json: as JSON) and stop")
    for flag, field, kind, text in _PARAM_FLAGS:
        p.add_argument(flag, dest=field, type=kind, default=None, help=text)
    img2img_args.add_arguments(p)
    p.add_argument("--out", metavar="DIR", help="output folder (created if missing); required unless --dry-run")
    p.add_argument("--wildcards", action="append", metavar="DIR", default=None,
                   help="wildcard folder for __name__ (repeatable; default models/wildcards). Variants {a|b} and "
                   "wildcards are expanded per image: batch count x size walk through them with seed+i")
    p.add_argument("--brace-mode", choices=("auto", "variants", "novelai"), default="auto",
                   help="how to read {..}: dynamic-prompt variants, NovelAI emphasis, or detect (default)")
    _add_model_location(p)
    p.add_argument("--device", default="auto", help="auto (default), cuda, cuda:N, mps or cpu")
    p.add_argument("--dtype", default="auto", help="auto (default: fp16 on GPU, fp32 on CPU), fp16, bf16, fp32")
    p.add_argument("--allow-pickle", action="store_true",
                   help="allow .ckpt/.pt files (loaded with torch.load(weights_only=True)); only for files you trust")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="generate on Ray actors (pip install 'promptlab[cluster]'): alone, a local Ray; 'auto' or "
                        "ray://HOST:10001 joins a cluster. Images of the batch spread over the actors (seed+i each)")
    p.add_argument("--actors", type=int, default=None, metavar="N",
                   help="Ray actors (default: one per GPU, else one per CPU)")
    p.add_argument("--json", action="store_true", help="print the written files and their parameters as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_generate)

    m = subparsers.add_parser(
        "models",
        help="list checkpoints, LoRAs, VAEs and embeddings found (family, A1111 hash); download a default",
        description="List the model files promptlab finds in A1111's layout, with the checkpoint family "
        "(sd1/sd2/sdxl, v-prediction) and A1111's short hash. `promptlab models download` fetches the "
        "default SD1.5 checkpoint when online.",
    )
    m.add_argument("action", nargs="?", choices=("list", "download"), default="list")
    m.add_argument("--kind", choices=("checkpoint", "lora", "vae", "embedding"), action="append",
                   help="only this kind (repeatable; default all)")
    m.add_argument("--no-hash", action="store_true", help="skip hashing (hashing a new 2-7 GB file takes seconds)")
    m.add_argument("--allow-pickle", action="store_true", help="also inspect .ckpt/.pt checkpoints")
    m.add_argument("--json", action="store_true", help="print JSON (shape in the README)")
    _add_model_location(m)
    m.set_defaults(func=run_models)


def _params(args: argparse.Namespace):
    from promptlab.errors import InvalidInputError
    from promptlab.params import GenerationParams

    params = GenerationParams()
    if args.from_image:   # the replay plan decided what runs for each stored setting (promptlab.replay)
        params = args.replay_plan.params
    changes = {}
    if args.prompt is not None:
        changes["prompt"] = read_text_arg(args.prompt)
    elif not args.from_image:
        raise InvalidInputError("Give --prompt TEXT (or --from IMAGE).")
    if args.model is not None:
        changes["model"] = args.model
    for _flag, field, _kind, _text in _PARAM_FLAGS:
        value = getattr(args, field)
        if value is None:
            continue
        if field == "hires_resize":
            try:
                w, h = (int(v) for v in value.lower().split("x"))
            except ValueError:
                raise InvalidInputError(f"--hires-resize {value!r}: expected WxH such as 1024x1536.") from None
            changes["hires_resize_x"], changes["hires_resize_y"] = w, h
        elif field == "negative_prompt":
            changes[field] = read_text_arg(value)
        else:
            changes[field] = value
    return img2img_args.apply(params.with_(**changes), args)


def run_generate(args: argparse.Namespace) -> int:
    from promptlab.backend.diffusers_backend import DiffusersBackend, save_images
    from promptlab.backend.models import ModelRoots, list_models, no_checkpoint_message
    from promptlab.errors import InvalidInputError, ModelNotFoundError

    if args.from_image and _show_replay_plan(args):
        return 0
    if not args.out:
        from promptlab.i18n import t

        raise InvalidInputError(t("replay.cli.needs_out", "en"))
    params = _params(args)
    jobs = _variant_jobs(params, args)   # before any loading: a bad template fails at once
    if args.ray is not None:   # one actor per GPU (or CPU slot), each holding a DiffusersBackend
        from promptlab.cluster.generate import ray_pool

        backend = ray_pool(args.ray, models=args.models, a1111_root=args.a1111_root, device=args.device,
                           dtype=args.dtype, allow_pickle=args.allow_pickle, actors=args.actors,
                           require_checkpoint=params.model is None)
    else:
        backend = DiffusersBackend(args.models, a1111_root=args.a1111_root, device=args.device, dtype=args.dtype,
                                   allow_pickle=args.allow_pickle)
        if params.model is None and not list_models(backend.roots, "checkpoint"):
            raise ModelNotFoundError(_first_run_message(backend.roots, no_checkpoint_message(ModelRoots(backend.roots.models))))
    bar = None
    if not args.quiet and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=None, unit="step", file=sys.stderr, dynamic_ncols=True, desc="loading model")

    def progress(p) -> None:
        if p.message:
            print(f"promptlab: warning: {p.message}", file=sys.stderr)
        if bar is None or not p.step:
            return
        batch = p.image_index // max(1, params.batch_size)
        bar.total = p.total_steps * params.batch_count
        bar.set_description(f"images {p.image_index + 1}-{min(p.image_index + params.batch_size, p.total_images)}"
                            f"/{p.total_images}")
        bar.update(batch * p.total_steps + p.step - bar.n)

    try:
        if len(jobs) == 1:
            results = backend.generate(params, on_progress=progress)
        else:
            results = _generate_variants(backend, jobs, bar, progress)
    finally:
        if bar is not None:
            bar.close()
        if args.ray is not None:
            backend.close()
    paths = save_images(results, args.out)
    if args.json:
        written = [{"path": str(path), "seed": r.params.seed, "infotext": r.infotext}
                   for path, r in zip(paths, results, strict=True)]
        print_json({"plan": args.replay_plan.to_json(), "images": written} if args.from_image else written)
    else:
        for path in paths:
            print(path)
    return 0


def _show_replay_plan(args: argparse.Namespace) -> bool:
    """Build and show the replay plan of --from IMAGE; True when only the plan was asked for (--dry-run)."""
    from promptlab.replay.cli import plan_from_image, print_plan

    args.replay_plan = plan_from_image(args.from_image, models=args.models, a1111_root=args.a1111_root,
                                       init_image=bool(getattr(args, "init_image", None)))
    if args.dry_run:
        print_plan(args.replay_plan, as_json=args.json, stream=sys.stdout)
        return True
    if not args.json:
        print_plan(args.replay_plan, as_json=False)
    return False


def _variant_jobs(params, args):
    """One job per image when the prompt holds variants or wildcards (the template goes into the infotext)."""
    from promptlab import wildcards

    return wildcards.expand_params(params, mode=args.brace_mode, wildcards=args.wildcards)  # None: models/wildcards


def _generate_variants(backend, jobs, bar, progress):
    from promptlab.backend.pool import BackendPool

    def variant_progress(p) -> None:
        if p.message:
            progress(p)
        elif bar is not None and p.step:
            bar.total = p.total_steps * p.total_images
            bar.set_description(f"image {p.image_index + 1}/{p.total_images}")
            bar.update(p.image_index * p.total_steps + p.step - bar.n)

    return [images[0] for images in BackendPool([backend]).run(jobs, on_progress=variant_progress)]


def _first_run_message(roots, message: str) -> str:
    from promptlab.backend.download import is_online

    folder = roots.folder("checkpoint")
    if is_online():
        return message + f" This machine is online: `promptlab models download` saves the default SD1.5 checkpoint to {folder}."
    return message


def run_models(args: argparse.Namespace) -> int:
    from promptlab.backend.models import ModelRoots

    roots = ModelRoots.from_args(args.models, args.a1111_root)
    if args.action == "download":
        return _download(roots)
    rows = _inventory(roots, args.kind or ["checkpoint", "lora", "vae", "embedding"], not args.no_hash,
                      args.allow_pickle)
    if args.json:
        print_json({"models": str(roots.models), "files": rows})
        return 0
    if not rows:
        print(f"No model files found under {roots.models}.")
        print("Put checkpoints in Stable-diffusion/, LoRAs in Lora/, VAEs in VAE/, embeddings in embeddings/.")
        return 0
    for row in rows:
        detail = row.get("family") or ""
        if row.get("prediction") == "v_prediction":
            detail += " v-pred"
        if row.get("error"):
            detail = f"error: {row['error']}"
        print(f"{row['kind']:<10} {row.get('hash') or '':<12} {detail:<12} {row['name']}")
    return 0


def _inventory(roots, kinds, with_hash: bool, allow_pickle: bool) -> list[dict]:
    from promptlab.backend.lora import lora_family
    from promptlab.backend.models import detect_checkpoint, list_models, lora_short_hash, short_hash
    from promptlab.backend.safeload import is_pickle_file, read_safetensors_header
    from promptlab.errors import PromptlabError

    rows = []
    for kind in kinds:
        for model in list_models(roots, kind):
            row: dict = {"kind": kind, "name": model.name, "path": str(model.path), "size": model.path.stat().st_size}
            try:
                if kind == "checkpoint":
                    info = detect_checkpoint(model.path, allow_pickle=allow_pickle)
                    row.update(family=info.family.value, prediction=info.prediction.value, config=info.config_name)
                elif kind == "lora" and not is_pickle_file(model.path):
                    header = read_safetensors_header(model.path)
                    meta = {str(k): str(v) for k, v in (header.get("__metadata__") or {}).items()}
                    shapes = {k: _Shape(v["shape"]) for k, v in header.items() if k != "__metadata__"}
                    family = lora_family(shapes, meta)
                    row["family"] = family.value if family else None
                if with_hash:
                    row["hash"] = lora_short_hash(model.path) if kind == "lora" else short_hash(model.path)
            except PromptlabError as exc:
                row["error"] = str(exc)
            rows.append(row)
    return rows


class _Shape:
    """Just enough of a tensor (ndim/shape) for LoRA family detection from a safetensors header."""

    def __init__(self, shape) -> None:
        self.shape = tuple(shape)
        self.ndim = len(self.shape)


def _download(roots) -> int:
    from promptlab.backend.download import DEFAULT_CHECKPOINT, download_checkpoint, is_online, offline_message

    folder = roots.folder("checkpoint")
    if not is_online():
        print(offline_message(folder), file=sys.stderr)
        return 1
    from tqdm import tqdm

    with tqdm(total=DEFAULT_CHECKPOINT.size, unit="B", unit_scale=True, file=sys.stderr,
              desc=DEFAULT_CHECKPOINT.filename) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        path = download_checkpoint(folder, progress=progress)
    print(Path(path))
    return 0
