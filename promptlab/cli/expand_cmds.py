"""`promptlab expand`: variants, wildcards, prompt matrix and prompts-from-file on the command line."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from promptlab.cli.io import print_json, read_text_arg
from promptlab.errors import InvalidInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "expand",
        help="expand variants {a|b} and __wildcards__ into prompts",
        description="Expand a template into prompts. Random mode (default): -n prompts, prompt i sampled with "
        "seed S+i. --all: every combination (up to --max). --matrix: A1111's prompt matrix (a|b|c). "
        "--file: A1111's 'prompts from file' lines with --steps-style overrides.",
    )
    p.add_argument("template", help="the template text, or - to read stdin (with --file: the file path)")
    p.add_argument("--negative", default="", help="negative prompt template (variants allowed)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help="every combination (combinatorial mode)")
    group.add_argument("--matrix", action="store_true", help="A1111 prompt matrix: a|b|c -> every combination")
    group.add_argument("--file", action="store_true", help="TEMPLATE is a prompts file (one job per line)")
    p.add_argument("-n", "--count", type=int, default=1, help="number of prompts in random mode (default 1)")
    p.add_argument("--seed", type=int, default=-1, help="base seed for random mode; -1 = random (default)")
    p.add_argument("--max", type=int, default=None, help="limit for --all (default 1000)")
    p.add_argument("--brace-mode", dest="mode", choices=["auto", "variants", "novelai"], default="auto",
                   help="how to read {..}: variants, NovelAI emphasis, or auto-detect (default)")
    p.add_argument("--wildcards", action="append", type=Path, default=None, metavar="DIR",
                   help="wildcard folder (repeatable; an A1111 install or extension folder works too); "
                   "default models/wildcards")
    p.add_argument("--json", action="store_true", help="print a JSON list of {prompt, negative_prompt, seed}")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from promptlab import wildcards as wc

    if args.file:
        return _run_file(args)
    template = read_text_arg(args.template)
    if args.matrix:
        rows = [{"prompt": text} for text in wc.prompt_matrix(template)]
        return _print(rows, args.json)
    expansions = wc.expand(
        template,
        negative=args.negative,
        mode=args.mode,
        combinatorial=args.all,
        count=args.count,
        seed=args.seed,
        max_count=args.max or wc.DEFAULT_MAX_COUNT,
        wildcards=args.wildcards,   # None: models/wildcards
    )
    rows = []
    for e in expansions:
        row = {"prompt": e.prompt}
        if args.negative:
            row["negative_prompt"] = e.negative_prompt
        if e.seed is not None:
            row["seed"] = e.seed
        rows.append(row)
    return _print(rows, args.json)


def _run_file(args: argparse.Namespace) -> int:
    from promptlab import wildcards as wc

    path = Path(args.template)
    try:
        text = path.read_text(encoding="utf-8-sig") if args.template != "-" else read_text_arg("-")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read prompts file {path}: {exc}") from None
    parsed = wc.parse_prompts_file(text)
    rows = []
    for line in parsed.lines:
        row = {"line": line.line_number}
        row.update({k: v for k, v in dataclasses.asdict(line.params).items() if k != "extra"})
        if line.options:
            row["options"] = line.options
        rows.append(row)
    errors = [{"line": e.line_number, "text": e.line, "error": e.message} for e in parsed.errors]
    if args.json:
        print_json({"jobs": rows, "errors": errors})
    else:
        for row in rows:
            print(f"{row['line']}: {row['prompt']}")
        for e in errors:
            print(f"line {e['line']}: error: {e['error']}")
    return 1 if errors and not rows else 0


def _print(rows: list[dict], as_json: bool) -> int:
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            print(row["prompt"] if "seed" not in row else f"[{row['seed']}] {row['prompt']}")
            if row.get("negative_prompt"):
                print(f"    negative: {row['negative_prompt']}")
    return 0
