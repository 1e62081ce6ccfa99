"""`promptlab generate --from IMAGE`: the replay plan for the CLI (built, printed, then run)."""

from __future__ import annotations

import sys
from typing import Any

from promptlab.i18n import t
from promptlab.replay.plan import ReplayPlan, Status

_MARK = {Status.EXACT: "=", Status.MAPPED: "~", Status.APPROXIMATED: "≈", Status.NOT_REPRODUCIBLE: "✗"}


def plan_from_image(path: str, *, models: str | None = None, a1111_root: str | None = None,
                    init_image: bool = False) -> ReplayPlan:
    """Read ``path`` and plan its replay on the local backend with the models found under ``models``."""
    from promptlab.backend.models import ModelRoots
    from promptlab.errors import InvalidInputError
    from promptlab.metadata import read
    from promptlab.replay.plan import build_plan

    meta = read(path)
    if meta.error:
        raise InvalidInputError(f"{path}: {meta.error}")
    if meta.params is None:
        raise InvalidInputError(t("replay.error.no_params", "en", source=path))
    return build_plan(meta, backend="local", roots=ModelRoots.from_args(models, a1111_root), init_image=init_image)


def format_plan(plan: ReplayPlan, lang: str = "en") -> str:
    """The plan as lines for a terminal: mark, setting, image value -> value that runs, and why."""
    lines = [t("replay.cli.summary", lang, source=plan.source, backend=plan.backend)]
    for item in plan.items:
        original = _short(item.original)
        value = "-" if item.value is None else _short(item.value)
        arrow = original if item.status is Status.EXACT and value == original else f"{original} -> {value}"
        note = item.explain(lang)
        lines.append(f"  {_MARK[item.status]} {item.key}: {arrow}" + (f"  ({note})" if note else ""))
    counts = {s.value: len(plan.by_status(s)) for s in Status}
    lines.append(t("replay.summary", lang, **counts))
    return "\n".join(lines)


def _short(text: str, limit: int = 70) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_plan(plan: ReplayPlan, *, as_json: bool, stream: Any = None) -> None:
    from promptlab.cli.io import print_json

    if as_json:
        print_json(plan.to_json())
    else:
        print(format_plan(plan), file=stream or sys.stderr)
