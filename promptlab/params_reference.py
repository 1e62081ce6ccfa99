"""The plain, obviously correct infotext parser that ``params.parse_infotext`` must agree with.

This is ``parse_infotext`` as it stood before its fast path (issue #17): the parameter line is
split item by item with the general loop (``_KEY_RE`` then ``_read_value``), every value goes
through ``_convert`` and ``GenerationParams`` is built by its own ``__init__``. It is kept, not
used by the app, so that tests/metadata/test_infotext_differential.py can check that the fast
path gives the same ``GenerationParams`` (field by field, types and ``infotext_order`` included)
on every fixture and on fuzzed texts. Change the rules here and in ``params`` together.
"""

from __future__ import annotations

from typing import Any

from promptlab.params import (
    _BY_KEY,
    _KEY_RE,
    _NEGATIVE,
    GenerationParams,
    _a1111_param_count,
    _convert,
    _prompt_and_negative,
    _read_value,
)


def parse_infotext_reference(text: str) -> tuple[GenerationParams, tuple[str, ...]]:
    """What ``params.parse_infotext`` returns, computed the slow, plain way."""
    *lines, last = text.strip().split("\n")
    pairs = None
    if _a1111_param_count(last) >= 3 and not last.lstrip().startswith(_NEGATIVE):
        pairs = scan_parameter_line_reference(last.rstrip("\r"))
    if pairs is None:
        lines.append(last)
    prompt, negative = _prompt_and_negative(lines)
    values: dict[str, Any] = {"prompt": prompt, "negative_prompt": negative}
    extra: list[tuple[str, str]] = []
    warnings: list[str] = []
    for key, value in pairs or ():
        spec = _BY_KEY.get(key)
        converted = _convert(spec, value) if spec else None
        if converted is None:
            if spec:
                warnings.append(f"infotext: {key}: {value!r} is not a valid {spec[1]}; kept in extra")
            extra.append((key, value))
        else:
            values.update(converted)
    order = tuple(key for key, _ in pairs or ())
    return GenerationParams(**values, extra=tuple(extra), infotext_order=order), tuple(warnings)


def scan_parameter_line_reference(line: str) -> list[tuple[str, str]] | None:
    """``key: value, ...`` split item by item; None when the line is not a parameter line."""
    if line.lstrip().startswith(_NEGATIVE):
        return None
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(line):
        m = _KEY_RE.match(line, pos)
        if m is None:  # a bare item: A1111 writes `k` alone when k == v
            end = line.find(",", pos)
            end = len(line) if end < 0 else end
            item = line[pos:end].strip()
            if item:
                pairs.append((item, item))
            pos = end + 1
            continue
        value, pos = _read_value(line, m.end())
        pairs.append((m.group(1), value))
    return pairs
