"""The gallery's search language, parsed into a SQL ``WHERE`` clause over the ``images`` table.

    long hair "blue eyes"      words and phrases in the prompt (all must match; ``word*`` = prefix)
    -monochrome                exclude (any term, also ``-model:x``)
    neg:lowres                 in the negative prompt
    model:pony  lora:detail    model name or hash / LoRA name contains
    seed:123  steps:>30  cfg:5..8  denoise:<0.5    numbers: =, >, >=, <, <=, a..b, a.., ..b
    size:1024x1024             generation size (A1111's Size) or pixel size
    sampler:"DPM++ 2M"         sampler, compared across tools (ComfyUI's dpmpp_2m is the same)
    tool:comfyui               generator (a1111 = sd-webui/forge/reforge; none = no metadata)
    after:2026-01-01  before:2026-02   file time (YYYY, YYYY-MM or YYYY-MM-DD, local time)
    file:portrait              path contains

A word with Chinese characters is also searched as the tags ``translate`` returns for it (the
caller passes tagdb's translation; the gallery itself does not import tagdb).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from promptlab.gallery.errors import QueryError
from promptlab.gallery.record import sampler_key

Translator = Callable[[str], Sequence[str]]
FIELDS = ("neg", "model", "lora", "seed", "steps", "cfg", "denoise", "size", "sampler", "tool", "after", "before",
          "file")
TOOL_ALIASES = {
    "a1111": ("sd-webui", "forge", "reforge"), "webui": ("sd-webui", "forge", "reforge"),
    "sdwebui": ("sd-webui",), "fooocus": ("fooocus", "ruined-fooocus"), "nai": ("novelai",),
    "sm": ("stability-matrix",), "stabilitymatrix": ("stability-matrix",), "comfy": ("comfyui",),
    "invoke": ("invokeai",), "swarm": ("swarmui",),
}
# Each sort can walk an index (no temporary sort of every match); NULL sorts first ascending, last descending.
SORTS = {
    "newest": "mtime_ns DESC, id DESC", "oldest": "mtime_ns ASC, id ASC", "seed": "seed ASC, id ASC",
    "steps": "steps DESC, id DESC", "path": "path ASC",
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOKEN_CHAR = re.compile(r"\w", re.UNICODE)
_NUMBER = re.compile(r"^(?:(>=|<=|>|<|=)?(-?\d+(?:\.\d+)?)|(-?\d+(?:\.\d+)?)?\.\.(-?\d+(?:\.\d+)?)?)$")
_SIZE = re.compile(r"^(\d+)\s*[x×*]\s*(\d+)$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True)
class Term:
    field: str | None      # None: prompt text
    value: str
    negated: bool
    quoted: bool
    position: int          # 0-based offset of the term in the query


@dataclass(frozen=True)
class CompiledQuery:
    where: str             # the filters besides ``fts``; "1" when there are none
    params: tuple[object, ...]
    terms: tuple[Term, ...]
    fts: str | None = None  # the FTS5 MATCH expression every row must match (words, phrases, neg:)


def tokenize(query: str) -> list[Term]:
    terms: list[Term] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        start = i
        negated = query[i] == "-" and i + 1 < n and not query[i + 1].isspace()
        if negated:
            i += 1
        field = None
        m = re.match(r"([A-Za-z]+):", query[i:])
        if m:
            name = m.group(1).lower()
            if name not in FIELDS:
                raise QueryError("gallery.err.unknown_field", start, field=m.group(1), fields=", ".join(FIELDS))
            field = name
            i += m.end()
        if i < n and query[i] == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError("gallery.err.unclosed_quote", i)
            value, quoted, i = query[i + 1:end], True, end + 1
        else:
            j = i
            while j < n and not query[j].isspace():
                j += 1
            value, quoted, i = query[i:j], False, j
        if not value.strip():
            raise QueryError("gallery.err.empty_value", start, field=field or "")
        terms.append(Term(field, value, negated, quoted, start))
    return terms


def fts_phrase(text: str, *, prefix: bool = False) -> str:
    return '"' + text.replace('"', '""') + '"' + (" *" if prefix else "")


def _text_match(term: Term, translate: Translator | None) -> str:
    value = term.value
    prefix = not term.quoted and value.endswith("*") and len(value) > 1
    if prefix:
        value = value[:-1]
    if not _TOKEN_CHAR.search(value):
        raise QueryError("gallery.err.nothing_searchable", term.position, term=term.value)
    options = [fts_phrase(value, prefix=prefix)]
    if translate is not None and _CJK.search(value):
        for tag in translate(value):
            if _TOKEN_CHAR.search(tag):
                options.append(fts_phrase(tag.replace("_", " ")))
    return options[0] if len(options) == 1 else "(" + " OR ".join(dict.fromkeys(options)) + ")"


def _number(term: Term, column: str, kind: type) -> tuple[str, list[object]]:
    m = _NUMBER.match(term.value.replace(" ", ""))
    if not m or (m.group(2) is None and m.group(3) is None and m.group(4) is None):
        raise QueryError("gallery.err.bad_number", term.position, field=term.field, value=term.value)
    conv = (lambda s: int(float(s))) if kind is int else float
    if m.group(2) is not None:
        op = m.group(1) or "="
        return f"{column} {op} ?", [conv(m.group(2))]
    parts, params = [], []
    if m.group(3) is not None:
        parts.append(f"{column} >= ?")
        params.append(conv(m.group(3)))
    if m.group(4) is not None:
        parts.append(f"{column} <= ?")
        params.append(conv(m.group(4)))
    return " AND ".join(parts), params


def _date_ns(term: Term, *, end: bool) -> int:
    m = _DATE.match(term.value)
    try:
        if not m:
            raise ValueError(term.value)
        year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
        struct = (year, month, day, 0, 0, 0, 0, 0, -1)
        time.struct_time(struct)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            raise ValueError(term.value)
        return int(time.mktime(struct)) * 1_000_000_000
    except (ValueError, OverflowError) as exc:
        raise QueryError("gallery.err.bad_date", term.position, field=term.field, value=term.value) from exc


def _field_sql(term: Term) -> tuple[str, list[object]]:
    """SQL for one field term. A ``+column`` keeps SQLite off that column's index: for filters that
    match many rows, walking the sort order's index and stopping after one page is much faster
    than collecting every match and sorting it."""
    f, v = term.field, term.value
    if f == "model":
        return "(model LIKE ? OR model_hash LIKE ?)", [f"%{v}%", f"{v}%"]
    if f == "lora":
        return "lora_names LIKE ?", [f"%{v}%"]
    if f in ("seed", "steps"):
        # seed is selective (its index pays); steps matches broadly (walking the sort index pays)
        return _number(term, f if f == "seed" else "+steps", int)
    if f == "cfg":
        return _number(term, "+cfg", float)
    if f == "denoise":
        return _number(term, "+denoise", float)
    if f == "size":
        m = _SIZE.match(v)
        if not m:
            raise QueryError("gallery.err.bad_size", term.position, value=v)
        w, h = int(m.group(1)), int(m.group(2))
        return "((width = ? AND height = ?) OR (image_width = ? AND image_height = ?))", [w, h, w, h]
    if f == "sampler":
        prefix = v.endswith("*")
        key = sampler_key(v.rstrip("*"))
        if key is None:
            raise QueryError("gallery.err.nothing_searchable", term.position, term=v)
        return ("+sampler_key LIKE ?", [key + "%"]) if prefix else ("+sampler_key = ?", [key])
    if f == "tool":
        name = v.lower()
        if name == "none":
            return "generator IS NULL", []
        names = TOOL_ALIASES.get(name.replace("-", "").replace("_", ""), (name,))
        return f"+generator IN ({', '.join('?' * len(names))})", list(names)
    if f == "after":
        return "mtime_ns >= ?", [_date_ns(term, end=False)]
    if f == "before":
        return "mtime_ns < ?", [_date_ns(term, end=True)]
    if f == "file":
        return "path LIKE ?", [f"%{v}%"]
    raise AssertionError(f)  # tokenize only lets FIELDS through


def compile_query(query: str, translate: Translator | None = None) -> CompiledQuery:
    """Parse ``query``; raises ``QueryError`` (with the position) on anything it cannot read."""
    terms = tokenize(query)
    clauses: list[str] = []
    params: list[object] = []
    positive: dict[str, list[str]] = {"prompt": [], "negative": []}
    excluded: list[tuple[str, str]] = []
    for term in terms:
        if term.field in (None, "neg"):
            column = "prompt" if term.field is None else "negative"
            match = _text_match(term, translate)
            if term.negated:
                excluded.append((column, match))
            else:
                positive[column].append(match)
            continue
        sql, values = _field_sql(term)
        # NOT over a NULL column is NULL: -model:x must keep the images that have no model at all.
        clauses.append(f"NOT coalesce(({sql}), 0)" if term.negated else f"({sql})")
        params.extend(values)
    fts = " AND ".join(f"{col} : ({' AND '.join(parts)})" for col, parts in positive.items() if parts) or None
    if fts is not None:  # FTS5's own NOT: far cheaper than a NOT IN over every excluded row
        fts += "".join(f" NOT {col} : {match}" for col, match in excluded)
    else:
        for col, match in excluded:
            clauses.append("id NOT IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            params.append(f"{col} : {match}")
    return CompiledQuery(" AND ".join(clauses) or "1", tuple(params), tuple(terms), fts)
