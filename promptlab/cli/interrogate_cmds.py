"""``promptlab interrogate`` and ``promptlab caption``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import warnings
from pathlib import Path

from promptlab.cli.io import print_json
from promptlab.errors import InvalidInputError

CLIP_MODES = ("best", "fast", "classic", "negative")


def _batch_size(text: str):
    """argparse type for --batch-size: "auto" or a whole number of at least 1."""
    from promptlab.interrogate.caption import parse_batch_size

    try:
        return parse_batch_size(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"workers {text!r}: use a whole number of at least 1.")
    return number


def _add_tag_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("tagger options")
    g.add_argument("--threshold", type=float, default=None,
                   help="general-tag threshold (WD default 0.35, kept when p > t; DeepDanbooru 0.5, p >= t)")
    g.add_argument("--character-threshold", type=float, default=None, help="character threshold (WD default 0.85)")
    g.add_argument("--mcut", action="store_true", help="MCut: pick the general threshold per image")
    g.add_argument("--character-mcut", action="store_true", help="MCut for characters (at least 0.15)")
    g.add_argument("--exclude", action="append", default=[], metavar="TAGS",
                   help="comma-separated tags to leave out (repeatable)")
    g.add_argument("--weights", action="store_true", help="write tags as (tag:confidence)")
    g.add_argument("--sort", choices=("confidence", "alphabetical"), default="confidence")
    g.add_argument("--keep-underscores", action="store_true", help="keep long_hair instead of long hair")
    g.add_argument("--no-escape", action="store_true", help=r"do not escape brackets (name_\(series\))")
    g.add_argument("--no-characters", action="store_true", help="leave character tags out of the prompt")
    g.add_argument("--rating", action="store_true", help="put the top rating first in the prompt")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="onnxruntime device")
    g.add_argument("--batch-size", type=_batch_size, default="auto", metavar="auto|N",
                   help="images per model call: auto (default: timed on the first images, batch 1 to 8, "
                        "the fastest per image kept; CLIP: 8) or a number")


def register(subparsers) -> None:
    p = subparsers.add_parser("interrogate", help="tags or a CLIP prompt for images (WD14/DeepDanbooru/CLIP)")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--tagger", metavar="NAME_OR_FOLDER",
                     help="folder with model.onnx + selected_tags.csv/tags.txt, a name under models/taggers, "
                          "or a Hugging Face repo id")
    src.add_argument("--clip", choices=CLIP_MODES, metavar="MODE", help="CLIP interrogator: " + "/".join(CLIP_MODES))
    _add_tag_options(p)
    c = p.add_argument_group("CLIP options")
    c.add_argument("--family", choices=("sd1", "sd2", "sdxl"), default="sd1", help="pick the CLIP model for this SD family")
    c.add_argument("--clip-model", default=None, help="open_clip name/pretrained, e.g. ViT-L-14/openai")
    c.add_argument("--caption-model", default="blip-large",
                   help="blip-base, blip-large, blip2-2.7b, blip2-flan-t5-xl, git-large-coco, or none (negative mode)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_interrogate)

    q = subparsers.add_parser("caption", help="write a caption file beside every image of a folder")
    q.add_argument("folder", metavar="DIR")
    q.add_argument("--tagger", required=True, metavar="NAME_OR_FOLDER")
    q.add_argument("--recursive", action="store_true")
    _add_tag_options(q)
    q.add_argument("--prepend", default="", help='tags put first, e.g. "mytrigger, "')
    q.add_argument("--append", default="", help="tags put last")
    q.add_argument("--replace", action="append", default=[], metavar="OLD=NEW", help="replace a tag (NEW empty removes it)")
    q.add_argument("--ext", default=".txt", help="caption file extension (default .txt)")
    q.add_argument("--existing", choices=("skip", "overwrite", "append"), default="skip",
                   help="what to do with images that already have a caption (default skip)")
    q.add_argument("--workers", type=_workers, default=None,
                   help="decoding threads, at a lower priority than inference (default: one per core, 2-8; "
                        "on the CPU provider with fewer onnxruntime threads than cores, the cores left)")
    q.add_argument("--restart", action="store_true", help="ignore the journal of an interrupted run")
    r = q.add_argument_group("Ray (pip install 'promptlab[cluster]')")
    r.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run on Ray: alone, a local Ray sized to this machine; 'auto' joins the cluster this "
                        "machine belongs to; ray://HOST:10001 or HOST:6379 joins a remote one. Same captions and "
                        "rules as a local run; a Parquet manifest of tags and scores is written too")
    r.add_argument("--actors", type=_workers, default=None,
                   help="tagger actors on Ray (default: one per GPU, else one per CPU, one CPU left for decoding)")
    r.add_argument("--manifest", default="", metavar="PATH",
                   help="where --ray writes its manifest (default DIR/promptlab-captions.parquet)")
    q.add_argument("--json", action="store_true", help="print the report as JSON")
    q.set_defaults(func=run_caption)


def _tag_options(args, tagger):
    from promptlab.interrogate import OutputFormat, SortOrder

    exclude = frozenset(t.strip() for item in args.exclude for t in item.split(",") if t.strip())
    return tagger.default_options(
        general_threshold=args.threshold, character_threshold=args.character_threshold,
        general_mcut=args.mcut, character_mcut=args.character_mcut, exclude=exclude,
        replace_underscores=not args.keep_underscores, escape_brackets=not args.no_escape,
        include_characters=not args.no_characters, include_rating=args.rating,
        output=OutputFormat.WEIGHTED if args.weights else OutputFormat.TEXT, sort=SortOrder(args.sort),
    )


def _load_tagger(args):
    from promptlab.interrogate import load_tagger
    from promptlab.interrogate.fetch import stderr_progress

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        tagger = load_tagger(args.tagger, device=args.device, progress=stderr_progress())  # hub taggers: a download line
    for w in caught:
        print(f"promptlab: warning: {w.message}", file=sys.stderr)
    return tagger


def tagdb_check(names: list[str]) -> list | None:
    """Validate tag names against the tag database when one exists (None: no database / no tagdb)."""
    try:
        import tagdb
    except ImportError:
        return None
    from promptlab.paths import user_home

    if not (user_home() / "tags.sqlite").is_file() or not hasattr(tagdb, "open_db"):
        return None
    db = tagdb.open_db(readonly=True)
    if not hasattr(db, "validate"):
        return None
    issues = db.validate(names)
    return [json.loads(json.dumps(dataclasses.asdict(i) if dataclasses.is_dataclass(i) else i,
                                  default=lambda o: getattr(o, "value", str(o)))) for i in issues]


def run_interrogate(args) -> int:
    paths = [Path(p) for p in args.images]
    for path in paths:
        if not path.is_file():
            raise InvalidInputError(f"{path}: no such file.")
    if args.clip:
        return _run_clip(args, paths)
    from promptlab.errors import PromptlabError

    tagger = _load_tagger(args)
    options = _tag_options(args, tagger)
    entries: dict[int, dict] = {}
    ready: list[tuple[int, object]] = []
    for i, path in enumerate(paths):
        try:
            ready.append((i, tagger.prepare(path)))
        except PromptlabError as exc:
            entries[i] = {"image": str(path), "error": str(exc)}
    chooser = None
    fixed_size = args.batch_size
    if args.batch_size == "auto":
        from promptlab.interrogate.caption import AutoBatch

        chooser, fixed_size = AutoBatch.for_tagger(tagger), 1
    start = 0
    while start < len(ready):
        chunk = ready[start:start + (chooser.size if chooser else fixed_size)]
        start += len(chunk)
        t0 = time.perf_counter()
        batch_probs = tagger.predict([arr for _, arr in chunk])
        if chooser:
            chooser.record(len(chunk), time.perf_counter() - t0)
        for (i, _), probs in zip(chunk, batch_probs):
            result = tagger.postprocess(probs, options)
            entry = {"image": str(paths[i]), "tagger": tagger.name, "provider": tagger.providers.provider,
                     **result.to_dict()}
            issues = tagdb_check([t.name for t in result.tags])
            if issues is not None:
                entry["tagdb"] = issues
            entries[i] = entry
    out = [entries[i] for i in range(len(paths))]
    status = 1 if any("error" in e for e in out) else 0
    if args.json:
        print_json(out)
    else:
        for entry in out:
            _print_entry(entry)
    return status


def _print_entry(entry: dict) -> None:
    print(f"== {entry['image']}")
    if "error" in entry:
        print(f"error: {entry['error']}")
        return
    if "tagger" in entry:
        print(f"tagger: {entry['tagger']} on {entry['provider']}")
        ratings = ", ".join(f"{k} {v:.3f}" for k, v in entry["ratings"].items())
        print(f"rating: {entry['rating']} ({ratings})")
        if entry["characters"]:
            print("characters: " + ", ".join(f"{k} {v:.3f}" for k, v in entry["characters"].items()))
        print("tags: " + ", ".join(f"{k} {v:.3f}" for k, v in entry["general"].items()))
        for issue in entry.get("tagdb") or ():
            print(f"tagdb: {issue.get('message') or issue}" if isinstance(issue, dict) else f"tagdb: {issue}")
    else:
        print(f"clip: {entry['mode']} with {entry['clip_model']} on {entry['device']}")
    print(f"prompt: {entry['prompt']}")


def _run_clip(args, paths: list[Path]) -> int:
    from promptlab.errors import PromptlabError
    from promptlab.interrogate.clip import ClipSettings, load_interrogator
    from promptlab.interrogate.images import load_image, on_white

    caption_model = None if args.caption_model.lower() == "none" else args.caption_model
    batch = {} if args.batch_size == "auto" else {"batch_size": args.batch_size}  # auto: ClipSettings' own
    settings = ClipSettings.for_family(args.family, clip_model=args.clip_model, caption_model=caption_model,
                                       device=args.device, **batch)

    interrogator = load_interrogator(settings)
    entries: dict[int, dict] = {}
    good: list[tuple[int, object]] = []
    for i, path in enumerate(paths):  # decode first, so one bad file does not sink the others
        try:
            good.append((i, on_white(load_image(path))))
        except PromptlabError as exc:
            entries[i] = {"image": str(path), "error": str(exc)}
    prompts = interrogator.interrogate([img for _, img in good], mode=args.clip) if good else []
    for (i, _), text in zip(good, prompts):
        entries[i] = {"image": str(paths[i]), "mode": args.clip, "clip_model": settings.clip_model,
                      "device": interrogator.device, "prompt": text}
    out = [entries[i] for i in range(len(paths))]
    if args.json:
        print_json(out)
    else:
        for entry in out:
            _print_entry(entry)
    return 1 if any("error" in e for e in out) else 0


def run_caption(args) -> int:
    from tqdm import tqdm

    from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder
    from promptlab.interrogate.caption import parse_replacements

    options = CaptionOptions(
        recursive=args.recursive, prepend=args.prepend, append=args.append,
        replace=parse_replacements(args.replace), ext=args.ext, existing=ExistingPolicy(args.existing),
        batch_size=args.batch_size, workers=args.workers, restart=args.restart,
    )
    folder = Path(args.folder)
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder.")
    if args.ray is not None:
        return _run_caption_ray(args, options)
    tagger = _load_tagger(args)
    tag_options = _tag_options(args, tagger)
    with tqdm(total=0, unit="img", desc="captioning", disable=args.json, file=sys.stderr) as bar:
        def progress(done: int, total: int, _path: Path) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
        report = caption_folder(folder, tagger, tag_options, options, progress=progress)
    return _print_caption_report(args, report)


def _run_caption_ray(args, options) -> int:
    from tqdm import tqdm

    from promptlab.cluster.caption import caption_folder_ray

    with tqdm(total=0, unit="img", desc="captioning on Ray", disable=args.json, file=sys.stderr) as bar:
        def progress(p) -> None:
            bar.total = p.total
            bar.n = p.done
            eta = f"{p.eta_seconds:.0f}s" if p.eta_seconds is not None else "?"
            bar.set_postfix_str(f"{p.images_per_second:.1f} img/s, ETA {eta}", refresh=False)
            bar.refresh()
        report = caption_folder_ray(
            args.folder, args.tagger, lambda remote: _tag_options(args, remote), options, address=args.ray,
            device=args.device, actors=args.actors, manifest=args.manifest or "", progress=progress,
        )
    return _print_caption_report(args, report)


def _print_caption_report(args, report) -> int:
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"{len(report.written)} written, {len(report.skipped_existing)} skipped (caption exists), "
              f"{len(report.resumed)} done earlier, {len(report.failed)} failed, of {report.total} images "
              f"in {report.seconds:.1f}s on {report.provider}, {report.batch_summary()}"
              + (f", {report.decode_threads} decode thread{'s' if report.decode_threads != 1 else ''}."
                 if report.decode_threads else "."))
        for path, reason in report.failed:
            print(f"skipped {path}: {reason}")
    return 1 if report.failed else 0
