"""A1111's X/Y/Z value syntax: comma lists with quoting, integer and float ranges.

- ``a, b, "c, d"``     comma list; double quotes keep commas inside a value (CSV rules, as A1111)
- ``1-5``              1, 2, 3, 4, 5
- ``1-5 (+2)``         1, 3, 5           (step; negative steps count down: ``10-1 (-3)``)
- ``1-10 [5]``         1, 3, 5, 7, 10    (that many values spread evenly, ends included)
- ``0.5-1.5 (+0.25)``  float ranges on float axes (exact decimal stepping, no 0.30000000000000004)

Written here rather than taken from A1111 because A1111's parser lives inside its UI script; the
behaviour (including truncation of ``[count]`` on integer axes) follows it.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from promptlab.errors import InvalidInputError

MAX_RANGE_VALUES = 100_000

_NUM = r"[+-]?\s*\d+(?:\.\d*)?"
_RANGE = re.compile(
    rf"^\s*(?P<start>{_NUM})\s*-\s*(?P<end>{_NUM})"
    rf"(?:\s*\(\s*(?P<step>[+-]\s*\d+(?:\.\d*)?)\s*\)|\s*\[\s*(?P<count>\d+)\s*\])?\s*$"
)


def split_list(text: str) -> list[str]:
    """Split a comma list with CSV quoting; surrounding spaces are dropped, empty items kept out."""
    rows = list(csv.reader(io.StringIO(text), skipinitialspace=True))
    items = [item.strip() for row in rows for item in row]
    return [item for item in items if item != ""]


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(" ", ""))


def expand_range(item: str, *, integer: bool) -> list[Decimal] | None:
    """Expand one list item if it is a range; ``None`` when it is a plain value."""
    m = _RANGE.match(item)
    if not m:
        return None
    start, end = _dec(m["start"]), _dec(m["end"])
    if integer and any(v != v.to_integral_value() for v in (start, end)):
        raise InvalidInputError(f"{item!r}: this axis takes whole numbers; write e.g. 1-5 or 1-10 (+2).")
    if m["count"] is not None:
        count = int(m["count"])
        if count < 1 or count > MAX_RANGE_VALUES:
            raise InvalidInputError(f"{item!r}: the count in [...] must be between 1 and {MAX_RANGE_VALUES:,}.")
        if count == 1:
            return [start]
        span = (end - start) / (count - 1)
        values = [start + span * i for i in range(count - 1)] + [end]
        if integer:  # A1111 truncates linspace values with int()
            values = [Decimal(int(v)) for v in values]
        return values
    step = _dec(m["step"]) if m["step"] is not None else (Decimal(1) if end >= start else Decimal(-1))
    if integer and step != step.to_integral_value():
        raise InvalidInputError(f"{item!r}: the step must be a whole number on this axis.")
    if step == 0 or (end - start) * step < 0:
        raise InvalidInputError(
            f"{item!r}: the step {step:+} never reaches {end} from {start}; "
            "use a positive step for rising ranges and a negative one for falling ranges."
        )
    n = int((end - start) / step) + 1
    if n > MAX_RANGE_VALUES:
        raise InvalidInputError(f"{item!r} makes {n:,} values; the most one range may make is {MAX_RANGE_VALUES:,}.")
    return [start + step * i for i in range(n)]


def parse_number(item: str | int | float, *, integer: bool, what: str) -> Decimal:
    try:
        value = Decimal(str(item).strip())
    except InvalidOperation:
        kind = "a whole number" if integer else "a number"
        raise InvalidInputError(f"{what}: {item!r} is not {kind} (nor a range like 1-5, 1-5 (+2), 1-10 [5]).") from None
    if not value.is_finite():
        raise InvalidInputError(f"{what}: {item!r} is not a finite number.")
    if integer and value != value.to_integral_value():
        raise InvalidInputError(f"{what}: {item!r} is not a whole number.")
    return value


def expand_numbers(raw: str | int | float | list | tuple, *, integer: bool, what: str) -> list[Decimal]:
    """Numbers from a string in A1111 syntax or a list whose string items may be ranges."""
    if isinstance(raw, str):
        items: list = split_list(raw)
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        items = [raw]
    out: list[Decimal] = []
    for item in items:
        if isinstance(item, bool):
            raise InvalidInputError(f"{what}: {item!r} is not a number.")
        if isinstance(item, str):
            expanded = expand_range(item, integer=integer)
            if expanded is not None:
                out.extend(expanded)
                continue
        out.append(parse_number(item, integer=integer, what=what))
        if len(out) > MAX_RANGE_VALUES:
            break
    return out


def expand_strings(raw: str | list | tuple, *, what: str) -> list[str]:
    """Strings from a comma list (CSV quoting) or a list taken item by item."""
    if isinstance(raw, str):
        return split_list(raw)
    if isinstance(raw, (list, tuple)):
        out = []
        for item in raw:
            if item is None or isinstance(item, (dict, list, tuple)):
                raise InvalidInputError(f"{what}: {item!r} is not a text value.")
            out.append(str(item))
        return out
    raise InvalidInputError(f"{what}: expected a list of values or a comma-separated text, not {raw!r}.")


def format_number(value: Decimal | float | int) -> str:
    """7 -> '7', 7.50 -> '7.5', 0.35 -> '0.35' (labels and infotext-friendly)."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")
