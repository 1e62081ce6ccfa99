"""The replay plan: every setting read from an image, and what will run for it on a given backend.

``build_plan(meta, backend=...)`` never runs anything. Each ``PlanItem`` says whether the value is
carried over exactly, mapped (another tool's name for the same thing), approximated (the closest
thing here, with what differs), or not reproducible here (and why). ``plan.params`` is what a
backend then runs; ``plan.characters`` keeps NovelAI v4 character prompts as separate fields.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, fields
from typing import Any

from promptlab.i18n import t
from promptlab.params import GenerationParams
from promptlab.replay import capabilities as caps


class Status(str, enum.Enum):
    EXACT = "exact"
    MAPPED = "mapped"
    APPROXIMATED = "approximated"
    NOT_REPRODUCIBLE = "not_reproducible"


@dataclass(frozen=True)
class PlanItem:
    """One setting. ``key``: A1111's infotext key (or "Character 2", "ComfyUI node 7"...);
    ``original``: as the image holds it; ``value``: what runs (None: nothing runs for it)."""

    key: str
    original: str
    value: str | None
    status: Status
    note: str = ""                                   # i18n key suffix: replay.note.<note>
    args: tuple[tuple[str, str], ...] = ()           # values for the note's {placeholders}

    def explain(self, lang: str = "en") -> str:
        return t(f"replay.note.{self.note}", lang, **dict(self.args)) if self.note else ""

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {"key": self.key, "original": self.original, "value": self.value, "status": self.status.value,
                "note": self.explain(lang)}


@dataclass(frozen=True)
class Character:
    """A NovelAI v4 character prompt: A1111 has no per-character prompt or position."""

    prompt: str
    negative: str = ""
    center: tuple[float, float] | None = None


@dataclass(frozen=True)
class ReplayPlan:
    source: str
    generator: str | None
    backend: str
    params: GenerationParams
    items: tuple[PlanItem, ...]
    characters: tuple[Character, ...] = ()

    @property
    def exact(self) -> bool:
        """True when every setting is carried over exactly or by a faithful mapping."""
        return all(i.status in (Status.EXACT, Status.MAPPED) for i in self.items)

    def by_status(self, status: Status) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.status is status)

    def item(self, key: str) -> PlanItem | None:
        return next((i for i in self.items if i.key == key), None)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        counts = {s.value: len(self.by_status(s)) for s in Status}
        return {
            "source": self.source, "generator": self.generator, "backend": self.backend, "exact": self.exact,
            "counts": counts, "items": [i.to_json(lang) for i in self.items],
            "characters": [{"prompt": c.prompt, "negative": c.negative,
                            "center": None if c.center is None else {"x": c.center[0], "y": c.center[1]}}
                           for c in self.characters],
            "infotext": self.params.to_infotext(),
        }


@dataclass
class _Builder:
    """Collects items while the params to run are worked out (internal to build_plan)."""

    backend: str
    params: GenerationParams
    items: list[PlanItem] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    init_image: bool = False          # img2img: whether the caller has the init image to give
    hash_new: bool = True             # hash model files not in the hash cache yet (off: only the name match)

    def add(self, key: str, original: Any, value: Any, status: Status, note: str = "", **args: Any) -> None:
        self.items.append(PlanItem(key, _text(original), None if value is None else _text(value), status, note,
                                   tuple((k, _text(v)) for k, v in args.items())))


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_plan(meta: Any, *, backend: str = "local", roots: Any = None, server: Any = None,
               index: int = 0, init_image: bool = False, hash_new: bool = True) -> ReplayPlan:
    """The plan for replaying ``meta`` (an ``ImageMetadata``) on ``backend`` ("local", "a1111", "comfyui").

    ``roots``: the local ``ModelRoots`` (models are matched there for "local"); ``server``: a
    ``ServerInventory`` for remote backends (their model/LoRA/VAE/sampler lists), None = unchecked.
    ``index``: which parameter set of a multi-sampler ComfyUI image; ``init_image``: an img2img
    image's init image will be given (it is never stored in the file); ``hash_new=False``: files
    whose hash is not cached yet are not read (only the one matching by name), for interactive use.
    """
    from promptlab.errors import InvalidInputError
    from promptlab.replay import fields as steps
    from promptlab.replay import model_step, prompt_step

    if backend not in caps.BACKENDS:
        raise InvalidInputError(t("replay.error.backend", "en", backend=backend, known=", ".join(caps.BACKENDS)))
    if meta.params is None:
        raise InvalidInputError(t("replay.error.no_params", "en", source=meta.source))
    source_params = meta.params_list[index] if meta.params_list else meta.params
    b = _Builder(backend, source_params, init_image=init_image, hash_new=hash_new)
    prompt_step.prompts(b, meta)
    steps.basics(b, meta)
    steps.sampler(b, meta, server)
    if backend == "local" and roots is None:
        from promptlab.backend.models import ModelRoots

        roots = ModelRoots.from_args()
    model_step.models(b, meta, roots, server)
    steps.hires(b, meta, server, roots)
    steps.the_rest(b, meta)
    steps.comfy_nodes(b, meta)
    characters = prompt_step.characters(b, meta)
    params = _clean(source_params.with_(**b.changes))
    return ReplayPlan(meta.source, meta.generator, backend, params, tuple(b.items), characters)


def _clean(params: GenerationParams) -> GenerationParams:
    """What runs carries only what the backend is asked to do (matching hashes are re-written by it)."""
    keep = {f.name for f in fields(GenerationParams)}
    return params.with_(**{k: None for k in ("model_hash", "vae_hash", "hashes", "version", "user", "lora_hashes",
                                             "ti_hashes") if k in keep}, extra=(), infotext_order=())


def plan_json(plan: ReplayPlan, lang: str = "en") -> str:
    return json.dumps(plan.to_json(lang), ensure_ascii=False, indent=2)
