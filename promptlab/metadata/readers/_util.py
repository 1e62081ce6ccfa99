"""Small helpers the readers share."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from promptlab.metadata.extract import Extracted, TextItem


# What load_json's strip() then strip("\x00") would leave first, when that is { or [ (checked
# without copying the text: several readers ask about every infotext).
_JSON_START = re.compile(r"\s*\x00*[{\[]")


def load_json(text: str | None) -> Any:
    """JSON, or None when ``text`` is not JSON (readers then decline instead of failing)."""
    if not text or _JSON_START.match(text) is None:
        return None
    text = text.strip().strip("\x00")
    if not text or text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def json_dict(text: str | None) -> dict[str, Any] | None:
    value = load_json(text)
    return value if isinstance(value, dict) else None


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def to_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def first_item(extracted: Extracted, *keys: str) -> TextItem | None:
    for key in keys:
        item = extracted.item(key)
        if item is not None:
            return item
    return None


def extra_pairs(data: dict[str, Any], used: set[str]) -> tuple[tuple[str, str], ...]:
    """Keys a reader did not map to a field, kept as (key, text) in ``GenerationParams.extra``."""
    out = []
    for key, value in data.items():
        if key in used or value is None or value == "" or value == [] or value == {}:
            continue
        out.append((str(key), to_str(value) or ""))
    return tuple(out)
