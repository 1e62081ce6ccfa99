"""The ``promptlab`` command.

Each command group lives in its own module under ``promptlab.cli`` and exposes
``register(subparsers) -> None``; the module adds its sub-command(s) and sets
``func=handler`` on each parser via ``set_defaults``. A handler takes the parsed
``argparse.Namespace`` and returns an exit code. Command modules must stay light
at import time (heavy imports go inside the handlers).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from promptlab.errors import PromptlabError

# Order here is the order in `promptlab --help`.
COMMAND_MODULES = (
    "syntax_cmds",     # parse, schedule, convert
    "tokens_cmds",     # tokens
    "tags_cmds",       # tags import/search/show/stats/update
    "info_cmds",       # info
    "interrogate_cmds",  # interrogate, caption
    "generate_cmds",   # generate, models
    "upscale_cmds",    # upscale
    "expand_cmds",     # expand
    "grid_cmds",       # grid
    "serve_cmds",      # serve
    "library_cmds",    # library list/add/history/export/import
    "gallery_cmds",    # gallery index/search/diff/stats
    "app_cmds",        # app, doctor
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptlab",
        description="promptlab: build, read, generate and compare Stable Diffusion prompts.",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"promptlab.cli.{name}")
        except ModuleNotFoundError as exc:
            # A command module that is not written yet; any other missing module is a real error.
            if exc.name != f"promptlab.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def _version() -> str:
    from promptlab import __version__

    return f"promptlab {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PromptlabError as exc:
        print(f"promptlab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("promptlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
