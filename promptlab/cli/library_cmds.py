"""``promptlab library``: the saved prompts, history and generations of the user library."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    lib = subparsers.add_parser("library", help="saved prompts, favorites and history (list, add, export, import)")
    lib.add_argument("--file", help="library file (default: $PROMPTLAB_LIBRARY or ~/.promptlab/library.sqlite)")
    sub = lib.add_subparsers(dest="library_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="saved prompts, newest first")
    p.add_argument("query", nargs="?", default="", help="words to match in name, prompt, negative or labels")
    p.add_argument("--label", help="only prompts with this label")
    p.add_argument("--favorites", action="store_true", help="only favorites")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_list)

    p = sub.add_parser("add", help="save a prompt")
    p.add_argument("name")
    p.add_argument("prompt", help="prompt text ('-' reads stdin)")
    p.add_argument("--negative", default="", help="negative prompt")
    p.add_argument("--label", action="append", default=[], help="a label (repeatable)")
    p.add_argument("--favorite", action="store_true")
    p.add_argument("--json", action="store_true", help="print the saved entry as JSON")
    p.set_defaults(func=_add)

    p = sub.add_parser("history", help="prompts used recently")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_history)

    p = sub.add_parser("export", help="write the whole library as JSON")
    p.add_argument("output", nargs="?", default="-", help="file to write ('-': stdout)")
    p.set_defaults(func=_export)

    p = sub.add_parser("import", help="add the entries of a JSON export (nothing is replaced)")
    p.add_argument("input", help="export file ('-': stdin)")
    p.add_argument("--duplicate", action="store_true", help="add prompts even when an identical one exists")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_import)


def _library(args: argparse.Namespace):
    from promptlab.library import Library

    return Library(args.file) if args.file else Library()


def _list(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json

    rows = _library(args).prompts(args.query, label=args.label, favorites_only=args.favorites)
    if args.json:
        print_json([{**asdict(r), "labels": list(r.labels)} for r in rows])
        return 0
    for r in rows:
        star = "*" if r.favorite else " "
        labels = f"  [{', '.join(r.labels)}]" if r.labels else ""
        print(f"{r.id:>5} {star} {r.name}{labels}\n        {r.prompt}")
        if r.negative_prompt:
            print(f"        negative: {r.negative_prompt}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json, read_text_arg

    saved = _library(args).save_prompt(args.name, read_text_arg(args.prompt), args.negative, labels=args.label,
                                       favorite=args.favorite)
    if args.json:
        print_json({**asdict(saved), "labels": list(saved.labels)})
    else:
        print(f"saved #{saved.id} {saved.name}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json

    entries = _library(args).history(limit=args.limit)
    if args.json:
        print_json([asdict(e) for e in entries])
        return 0
    for e in entries:
        print(f"{e.id:>5} [{e.source}] {e.prompt}")
    return 0


def _export(args: argparse.Namespace) -> int:
    text = _library(args).export_json()
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from promptlab.cli.io import print_json, read_text_arg
    from promptlab.errors import InvalidInputError

    if args.input == "-":
        data = read_text_arg("-")
    else:
        try:
            data = Path(args.input).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"Cannot read {args.input}: {exc.strerror}.") from exc
    report = _library(args).import_json(data, on_conflict="duplicate" if args.duplicate else "skip")
    if args.json:
        print_json(asdict(report))
    else:
        print(f"added {report.added} prompts ({report.skipped} already there), {report.history_added} history "
              f"entries, {report.generations_added} generations")
    return 0
