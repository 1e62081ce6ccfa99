"""``promptlab parse``, ``promptlab schedule``, ``promptlab convert``."""

from __future__ import annotations

import argparse

from promptlab.cli.io import print_json, read_text_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("parse", help="parse an A1111 prompt: weights, edits, warnings")
    p.add_argument("text", metavar="TEXT", help="the prompt ('-' reads stdin)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_parse)

    s = subparsers.add_parser("schedule", help="the text A1111 conditions on at each step")
    s.add_argument("text", metavar="TEXT", help="the prompt ('-' reads stdin)")
    s.add_argument("--steps", type=int, required=True, help="sampling steps")
    s.add_argument("--hires-steps", type=int, default=None, help="hires-fix steps (A1111's combined scheduling)")
    s.add_argument("--old-scheduling", action="store_true", help="A1111's 'use old prompt editing timelines'")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_schedule)

    c = subparsers.add_parser("convert", help="convert between A1111, NovelAI v3/v4 and ComfyUI syntax")
    c.add_argument("text", metavar="TEXT", help="the prompt ('-' reads stdin)")
    c.add_argument("--from", dest="src", choices=("a1111", "nai3", "nai4"), default="a1111")
    c.add_argument("--to", dest="dst", choices=("a1111", "nai3", "nai4", "comfy"), required=True)
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=_convert)


def _parse(args: argparse.Namespace) -> int:
    from promptlab.errors import InvalidInputError
    from promptlab.syntax import a1111_semantics, parse, render
    from promptlab.syntax.ast import walk
    from promptlab.syntax.a1111 import ExtraNetwork

    text = read_text_arg(args.text)
    result = parse(text)
    try:
        semantics = a1111_semantics(text, 1)
        error = None
    except InvalidInputError as exc:
        semantics, error = (), str(exc)
    networks = [n for n in walk(result.prompt) if isinstance(n, ExtraNetwork)]
    data = {
        "canonical": render(result),
        "parts": [
            {"text": part.text, "weight": part.weight,
             "fragments": [[t, w] for t, w in part.schedule[-1].fragments]}
            for part in semantics
        ],
        "networks": [{"kind": n.kind, "name": n.name, "args": list(n.args), "start": n.start, "end": n.end}
                     for n in networks],
        "warnings": [{"code": w.code, "message": w.message, "start": w.start, "end": w.end,
                      "suggestion": w.suggestion} for w in result.warnings],
        "error": error,
    }
    if args.json:
        print_json(data)
        return 1 if error else 0
    for i, part in enumerate(data["parts"]):
        if len(data["parts"]) > 1:
            print(f"AND part {i + 1} (weight {part['weight']:g}):")
        for fragment, weight in part["fragments"]:
            label = "BREAK" if fragment == "BREAK" and weight == -1 else repr(fragment)
            print(f"  {weight:>8.4f}  {label}")
    for n in data["networks"]:
        print(f"  network  {n['kind']}:{n['name']} {':'.join(n['args'])}".rstrip())
    for w in data["warnings"]:
        print(f"warning: {w['code']} at {w['start']}-{w['end']}: {w['message']}")
    if error:
        print(f"error: {error}")
        return 1
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from promptlab.errors import InvalidInputError
    from promptlab.syntax import a1111_semantics

    if args.steps < 1 or (args.hires_steps is not None and args.hires_steps < 1):
        raise InvalidInputError("--steps and --hires-steps must be at least 1.")
    text = read_text_arg(args.text)
    parts = a1111_semantics(text, args.steps, hires_steps=args.hires_steps,
                            use_old_scheduling=args.old_scheduling, parse_weights=False)
    data = {
        "steps": args.steps,
        "hires_steps": args.hires_steps,
        "parts": [{"text": p.text, "weight": p.weight,
                   "schedule": [{"end_step": e.end_step, "text": e.text} for e in p.schedule]}
                  for p in parts],
    }
    if args.json:
        print_json(data)
        return 0
    for i, part in enumerate(data["parts"]):
        if len(data["parts"]) > 1:
            print(f"AND part {i + 1} (weight {part['weight']:g}):")
        previous = 0
        for entry in part["schedule"]:
            steps = f"{previous + 1}-{entry['end_step']}" if entry["end_step"] > previous + 1 else f"{entry['end_step']}"
            print(f"  steps {steps:>7}: {entry['text']}")
            previous = entry["end_step"]
    return 0


def _convert(args: argparse.Namespace) -> int:
    from promptlab.syntax.convert import convert

    text = read_text_arg(args.text)
    result = convert(text, src=args.src, dst=args.dst)
    if args.json:
        print_json({"text": result.text, "from": args.src, "to": args.dst,
                    "losses": list(result.losses), "warnings": list(result.warnings)})
        return 0
    print(result.text)
    import sys

    for loss in result.losses:
        print(f"lost: {loss}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
