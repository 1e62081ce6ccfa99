"""GridSpec: base GenerationParams plus up to three axes (x, y, z), read from YAML, JSON or a dict.

```yaml
base: {prompt: "a cat, (sky:1.2)", negative_prompt: lowres, steps: 20, cfg_scale: 7, seed: 42}
x: {type: sampler, values: ["Euler a", "DPM++ 2M", "DDIM"]}
y: {type: checkpoint, values: [modelA.safetensors, /path/to/modelB]}
z: {type: prompt_sr, values: "cat, dog, fox"}
```
"""

from __future__ import annotations

import json
import random
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.grid.axes import (
    AXIS_DEFS, AXIS_OPTIONS, SLOW_AXES, AxisType, AxisValue, Choices, parse_axis_type,
)
from promptlab.params import GenerationParams

AXIS_NAMES = ("x", "y", "z")
SPEC_KEYS = ("base", "x", "y", "z", "title", "sheet", "cell_files")


@dataclass(frozen=True)
class Axis:
    type: AxisType
    values: tuple[AxisValue, ...]
    source: Any                       # the values as written (kept for to_dict / the page)
    title: str
    options: dict = field(default_factory=dict, hash=False, compare=True)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(v.label for v in self.values)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.type.value}
        if self.source not in (None, "", []):
            out["values"] = list(self.source) if isinstance(self.source, tuple) else self.source
        if self.title != AXIS_DEFS[self.type].title:
            out["title"] = self.title
        out.update(self.options)
        return out


def parse_axis(data: Any, *, name: str = "axis", choices: Choices | None = None) -> Axis:
    if not isinstance(data, dict) or "type" not in data:
        raise InvalidInputError(f"Axis {name}: expected a mapping like {{type: sampler, values: [...]}}, got {data!r}.")
    axis_type = parse_axis_type(data["type"])
    allowed = ("type", "values", "title", *AXIS_OPTIONS.get(axis_type, ()))
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise InvalidInputError(f"Axis {name} ({axis_type.value}): unknown key {unknown[0]!r}; valid keys: {', '.join(allowed)}.")
    options = {k: data[k] for k in AXIS_OPTIONS.get(axis_type, ()) if data.get(k) not in (None, "")}
    if axis_type is AxisType.WILDCARD and "name" in options:
        options["wildcard"] = options.pop("name")
    source = data.get("values")
    if isinstance(source, list):
        source = tuple(source)
    needs_values = not (axis_type is AxisType.WILDCARD or (axis_type is AxisType.VARIANT and "template" in options))
    if needs_values and source in (None, "", ()):
        raise InvalidInputError(f"Axis {name} ({axis_type.value}): give at least one value in 'values'.")
    definition = AXIS_DEFS[axis_type]
    try:
        values = definition.parse(source, options, choices or Choices())
    except InvalidInputError as exc:
        raise InvalidInputError(f"Axis {name}: {exc}") from None
    if not values:
        raise InvalidInputError(f"Axis {name} ({axis_type.value}) has no values.")
    title = str(data.get("title") or definition.title)
    return Axis(axis_type, tuple(values), source, title, options)


def _coerce_base(data: Any) -> GenerationParams:
    if data is None:
        return GenerationParams()
    if isinstance(data, GenerationParams):
        return data
    if isinstance(data, str):
        from_infotext = getattr(GenerationParams, "from_infotext", None)
        if from_infotext is None:
            raise InvalidInputError("base: give the parameters as a mapping (prompt: ..., steps: ...).")
        return from_infotext(data)
    if not isinstance(data, dict):
        raise InvalidInputError(f"base: expected a mapping of generation parameters, got {data!r}.")
    hints = typing.get_type_hints(GenerationParams)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in hints:
            raise InvalidInputError(f"base: unknown parameter {key!r}. Valid parameters: {', '.join(GenerationParams.field_names())}.")
        if key == "extra":
            kwargs[key] = tuple((str(k), str(v)) for k, v in (value.items() if isinstance(value, dict) else value))
            continue
        if key == "init_image" and value is not None:   # a path, or {path, resize_mode, exact_steps}
            from promptlab.init_image import InitImage

            spec = value if isinstance(value, dict) else {"path": value}
            kwargs[key] = InitImage.from_path(str(spec.get("path", "")), resize_mode=spec.get("resize_mode", 0),
                                              exact_steps=bool(spec.get("exact_steps", False)))
            continue
        kwargs[key] = _coerce_value(key, value, hints[key])
    return GenerationParams(**kwargs)


def _coerce_value(key: str, value: Any, hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    target = args[0]
    if value is None:
        if type(None) in typing.get_args(hint):
            return None
        raise InvalidInputError(f"base: {key} cannot be empty.")
    try:
        if target is int and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if target is float and not isinstance(value, bool):
            return float(value)
        if target is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    else:
        if target not in (int, float, str):
            return value
    raise InvalidInputError(f"base: {key} must be {getattr(target, '__name__', target)}, not {value!r}.")


def default_choices() -> Choices:
    """Sampler and schedule names from the diffusers backend's tables, when that module exists."""
    import importlib

    try:
        samplers = importlib.import_module("promptlab.backend.samplers")
    except ModuleNotFoundError as exc:
        if exc.name != "promptlab.backend.samplers":
            raise
        return Choices()
    names = tuple(getattr(samplers, "SAMPLER_NAMES", ()) or ()) or None
    schedules = tuple(getattr(samplers, "SCHEDULE_TYPES", ()) or ()) or None
    return Choices(samplers=names, schedule_types=schedules)


@dataclass(frozen=True)
class GridSpec:
    base: GenerationParams
    x: Axis | None = None
    y: Axis | None = None
    z: Axis | None = None
    title: str = ""
    sheet: bool = False          # also write all Z grids side by side in one image
    cell_files: bool = True      # keep each cell's own PNG (needed for --resume)

    @property
    def axes(self) -> tuple[Axis | None, Axis | None, Axis | None]:
        return (self.x, self.y, self.z)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(len(a.values) if a else 1 for a in self.axes)  # type: ignore[return-value]

    @property
    def cell_count(self) -> int:
        nx, ny, nz = self.shape
        return nx * ny * nz

    @classmethod
    def from_dict(cls, data: Any, *, choices: Choices | None = None) -> GridSpec:
        if not isinstance(data, dict):
            raise InvalidInputError("A grid spec is a mapping with 'base' and at least one of 'x', 'y', 'z'.")
        unknown = [k for k in data if k not in SPEC_KEYS]
        if unknown:
            raise InvalidInputError(f"Grid spec: unknown key {unknown[0]!r}; valid keys: {', '.join(SPEC_KEYS)}.")
        choices = choices if choices is not None else default_choices()
        base = _coerce_base(data.get("base"))
        if base.batch_size != 1 or base.batch_count != 1:
            raise InvalidInputError("Grid spec: a grid makes one image per cell; set batch_size and batch_count to 1 "
                                    "(to compare seeds, add a seed axis).")
        axes = {n: parse_axis(data[n], name=n, choices=choices) if data.get(n) is not None else None for n in AXIS_NAMES}
        spec = cls(base=base, **axes, title=str(data.get("title") or ""),
                   sheet=bool(data.get("sheet", False)), cell_files=bool(data.get("cell_files", True)))
        spec.check()
        return spec

    @classmethod
    def from_yaml(cls, text_or_path: str | Path, *, choices: Choices | None = None) -> GridSpec:
        import yaml

        text = _read(text_or_path)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInputError(f"The grid spec is not valid YAML: {exc}") from None
        return cls.from_dict(data, choices=choices)

    @classmethod
    def from_json(cls, text_or_path: str | Path, *, choices: Choices | None = None) -> GridSpec:
        text = _read(text_or_path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"The grid spec is not valid JSON: {exc}") from None
        return cls.from_dict(data, choices=choices)

    @classmethod
    def load(cls, path: str | Path, *, choices: Choices | None = None) -> GridSpec:
        """YAML or JSON by extension (JSON is YAML too, so anything else is read as YAML)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            return cls.from_json(path, choices=choices)
        return cls.from_yaml(path, choices=choices)

    def check(self) -> None:
        if not any(self.axes):
            raise InvalidInputError("Grid spec: add at least one axis (x, y or z).")
        used = [a.type for a in self.axes if a]
        for slow in SLOW_AXES:
            if used.count(slow) > 1:
                raise InvalidInputError(f"Grid spec: only one {slow.value} axis is allowed.")

    def to_dict(self) -> dict:
        base = {f.name: getattr(self.base, f.name) for f in fields(self.base)
                if getattr(self.base, f.name) != f.default and f.name != "extra"}
        if self.base.extra:
            base["extra"] = [list(kv) for kv in self.base.extra]
        out: dict[str, Any] = {"base": base}
        for name, axis in zip(AXIS_NAMES, self.axes):
            if axis:
                out[name] = axis.to_dict()
        if self.title:
            out["title"] = self.title
        if self.sheet:
            out["sheet"] = True
        if not self.cell_files:
            out["cell_files"] = False
        return out

    def with_fixed_seeds(self, rng: random.Random | None = None) -> GridSpec:
        """Replace seed -1 (random) by one concrete seed, as A1111 does, so every cell shares it."""
        rng = rng or random.Random()
        spec = self
        if self.base.seed == -1:
            spec = replace(spec, base=replace(self.base, seed=rng.randrange(2**32)))
        for name, axis in zip(AXIS_NAMES, spec.axes):
            if axis and axis.type is AxisType.SEED and any(v.value == -1 for v in axis.values):
                values = tuple(AxisValue(str(s), s) for s in
                               (rng.randrange(2**32) if v.value == -1 else v.value for v in axis.values))
                spec = replace(spec, **{name: replace(axis, values=values, source=tuple(v.value for v in values))})
        return spec


def _read(text_or_path: str | Path) -> str:
    if isinstance(text_or_path, Path) or ("\n" not in str(text_or_path) and Path(str(text_or_path)).suffix in (".yaml", ".yml", ".json")):
        path = Path(text_or_path)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidInputError(f"Grid spec file {path} does not exist.") from None
        except UnicodeDecodeError:
            raise InvalidInputError(f"Grid spec file {path} is not UTF-8 text; save it as UTF-8.") from None
    return str(text_or_path)
