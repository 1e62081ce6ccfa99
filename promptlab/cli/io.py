"""Small helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from typing import Any

from promptlab.errors import InvalidInputError


def read_text_arg(text: str) -> str:
    """TEXT arguments: ``-`` reads stdin. Invalid UTF-8 is an error, not a traceback."""
    if text != "-":
        return text
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"stdin is not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}). "
            "Save the text as UTF-8 and try again."
        ) from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
