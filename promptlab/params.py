"""GenerationParams: one field per A1111 infotext key.

Field names are the snake_case of the infotext key (``"CFG scale"`` -> ``cfg_scale``). Keys
promptlab does not know are kept verbatim and in order in ``extra`` so that a
read-then-write round trip loses nothing. ``Size: WxH`` maps to ``width``/``height``.

Infotext parsing and formatting (``from_infotext`` / ``to_infotext``) live here too. The rules
are A1111's ``parse_generation_parameters`` / ``create_infotext``: the last line is the parameter
line when A1111's ``key: value`` pattern finds at least three pairs on it; every other line is
stripped, a line starting with ``Negative prompt:`` begins the negative prompt (later lines join
it), and lines are joined with newlines except that blank lines before any text are dropped (so
``"amazing quality, \\n1girl\\n\\nNegative prompt: x"`` reads as ``"amazing quality,\\n1girl\\n"``).
Two deliberate differences, each so that nothing is lost or misread:

* an unquoted JSON value (``Hashes: {"model": "..", "vae": ".."}``) is read to its end instead of
  being cut at the first comma;
* a last line that starts with ``Negative prompt:`` stays the negative prompt (A1111 would read
  ``Negative prompt: x: 1, y: 2, z: 3`` as parameters and lose the negative prompt); and items
  A1111 skips (a bare ``flag``, an empty value) are kept in ``extra``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from promptlab.frozen import FrozenBuilder
from promptlab.init_image import InitImage


@dataclass(frozen=True)
class GenerationParams:
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 20
    sampler: str = "Euler a"
    schedule_type: str | None = None        # "Schedule type"; None = Automatic / not written
    cfg_scale: float = 7.0
    seed: int = -1
    subseed: int | None = None
    subseed_strength: float | None = None
    width: int = 512
    height: int = 512
    model: str | None = None                # "Model": checkpoint name (or path / hub id when requesting)
    model_hash: str | None = None           # "Model hash": A1111's short sha256 (10 hex)
    vae: str | None = None                  # "VAE"
    vae_hash: str | None = None             # "VAE hash"
    clip_skip: int = 1                      # "Clip skip": A1111 numbering, missing means 1
    denoising_strength: float | None = None
    batch_size: int = 1
    batch_count: int = 1                    # not an infotext key (A1111 keeps it in the UI only)
    emphasis: str | None = None             # "Emphasis": Original / No norm / None / comfy
    eta: float | None = None                # "Eta"
    ensd: int | None = None                 # "ENSD"
    hires_upscale: float | None = None      # "Hires upscale"
    hires_resize_x: int | None = None       # "Hires resize" WxH
    hires_resize_y: int | None = None
    hires_steps: int | None = None          # "Hires steps"
    hires_upscaler: str | None = None       # "Hires upscaler"
    hires_sampler: str | None = None        # "Hires sampler"
    hires_schedule_type: str | None = None  # "Hires schedule type"
    hires_cfg_scale: float | None = None    # "Hires CFG Scale"
    hires_prompt: str | None = None         # "Hires prompt"
    hires_negative_prompt: str | None = None  # "Hires negative prompt"
    hires_checkpoint: str | None = None     # "Hires checkpoint"
    lora_hashes: str | None = None          # "Lora hashes"
    ti_hashes: str | None = None            # "TI hashes"
    hashes: str | None = None               # "Hashes" (JSON as written by A1111)
    version: str | None = None              # "Version"
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # --- further A1111 infotext keys (added after the first skeleton; keep this order) ---
    image_cfg_scale: float | None = None    # "Image CFG scale" (instruct-pix2pix)
    face_restoration: str | None = None     # "Face restoration"
    seed_resize_from_w: int | None = None   # "Seed resize from" WxH
    seed_resize_from_h: int | None = None
    conditional_mask_weight: float | None = None  # "Conditional mask weight"
    token_merging_ratio: float | None = None      # "Token merging ratio"
    token_merging_ratio_hr: float | None = None   # "Token merging ratio hr"
    init_image_hash: str | None = None      # "Init image hash"
    rng: str | None = None                  # "RNG": GPU (default, not written) / CPU / NV
    tiling: bool = False                    # "Tiling: True"
    noise_multiplier: float | None = None   # "Noise multiplier"
    eta_ddim: float | None = None           # "Eta DDIM"
    schedule_max_sigma: float | None = None  # "Schedule max sigma"
    schedule_min_sigma: float | None = None  # "Schedule min sigma"
    schedule_rho: float | None = None        # "Schedule rho"
    sigma_churn: float | None = None        # "Sigma churn"
    sigma_tmin: float | None = None         # "Sigma tmin"
    sigma_tmax: float | None = None         # "Sigma tmax"
    sigma_noise: float | None = None        # "Sigma noise"
    ngms: float | None = None               # "NGMS" (negative guidance minimum sigma)
    refiner: str | None = None              # "Refiner"
    refiner_switch_at: float | None = None  # "Refiner switch at"
    user: str | None = None                 # "User"
    # img2img input (not an infotext key: the image itself travels with the request; see promptlab.init_image)
    init_image: InitImage | None = None
    # Order of the keys in the infotext this was parsed from, so that writing it back gives the
    # same text. Not part of equality: two params with the same values are equal.
    infotext_order: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def with_(self, **changes: Any) -> GenerationParams:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The parameter fields (``infotext_order``, bookkeeping for faithful re-writing, is left out)."""
        return tuple(f.name for f in fields(cls) if f.name != "infotext_order")

    @classmethod
    def from_infotext(cls, text: str) -> GenerationParams:
        """Parse an A1111 infotext (PNG ``parameters``). Never raises on odd text: values that do
        not fit their field stay in ``extra``; use ``parse_infotext`` to also get the warnings."""
        return parse_infotext(text)[0]

    def to_infotext(self) -> str:
        """Format as A1111 writes it: prompt, ``Negative prompt:`` line, parameter line."""
        return format_infotext(self)

    def extra_dict(self) -> dict[str, str]:
        """``extra`` as a dict (a later duplicate key wins, as in A1111)."""
        return dict(self.extra)

    def lora_hash_map(self) -> dict[str, str]:
        """``Lora hashes: "name: hash, name2: hash2"`` as {name: hash}."""
        return _name_hash_map(self.lora_hashes)

    def ti_hash_map(self) -> dict[str, str]:
        """``TI hashes: "name: hash, ..."`` as {name: hash}."""
        return _name_hash_map(self.ti_hashes)

    def hashes_map(self) -> dict[str, str]:
        """``Hashes: {"model": "...", "lora:x": "..."}`` as a dict ({} when absent or not JSON)."""
        try:
            value = json.loads(self.hashes) if self.hashes else {}
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _name_hash_map(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        name, sep, digest = item.rpartition(":")
        if sep and name.strip():
            out[name.strip()] = digest.strip()
    return out


# (infotext key, field name, kind) in the order A1111's create_infotext writes them.
# kind: int / float / str / bool / size (WxH into two fields named by a tuple).
_INFOTEXT_KEYS: tuple[tuple[str, Any, str], ...] = (
    ("Steps", "steps", "int"),
    ("Sampler", "sampler", "str"),
    ("Schedule type", "schedule_type", "str"),
    ("CFG scale", "cfg_scale", "float"),
    ("Image CFG scale", "image_cfg_scale", "float"),
    ("Seed", "seed", "int"),
    ("Face restoration", "face_restoration", "str"),
    ("Size", ("width", "height"), "size"),
    ("Model hash", "model_hash", "str"),
    ("Model", "model", "str"),
    ("VAE hash", "vae_hash", "str"),
    ("VAE", "vae", "str"),
    ("Variation seed", "subseed", "int"),
    ("Variation seed strength", "subseed_strength", "float"),
    ("Seed resize from", ("seed_resize_from_w", "seed_resize_from_h"), "size"),
    ("Denoising strength", "denoising_strength", "float"),
    ("Conditional mask weight", "conditional_mask_weight", "float"),
    ("Clip skip", "clip_skip", "int"),
    ("ENSD", "ensd", "int"),
    ("Token merging ratio", "token_merging_ratio", "float"),
    ("Token merging ratio hr", "token_merging_ratio_hr", "float"),
    ("Init image hash", "init_image_hash", "str"),
    ("RNG", "rng", "str"),
    ("Tiling", "tiling", "bool"),
    ("Batch size", "batch_size", "int"),
    ("Noise multiplier", "noise_multiplier", "float"),
    ("Eta", "eta", "float"),
    ("Eta DDIM", "eta_ddim", "float"),
    ("Schedule max sigma", "schedule_max_sigma", "float"),
    ("Schedule min sigma", "schedule_min_sigma", "float"),
    ("Schedule rho", "schedule_rho", "float"),
    ("Sigma churn", "sigma_churn", "float"),
    ("Sigma tmin", "sigma_tmin", "float"),
    ("Sigma tmax", "sigma_tmax", "float"),
    ("Sigma noise", "sigma_noise", "float"),
    ("NGMS", "ngms", "float"),
    ("Emphasis", "emphasis", "str"),
    ("Refiner", "refiner", "str"),
    ("Refiner switch at", "refiner_switch_at", "float"),
    ("Hires upscale", "hires_upscale", "float"),
    ("Hires resize", ("hires_resize_x", "hires_resize_y"), "size"),
    ("Hires steps", "hires_steps", "int"),
    ("Hires upscaler", "hires_upscaler", "str"),
    ("Hires checkpoint", "hires_checkpoint", "str"),
    ("Hires sampler", "hires_sampler", "str"),
    ("Hires schedule type", "hires_schedule_type", "str"),
    ("Hires CFG Scale", "hires_cfg_scale", "float"),
    ("Hires prompt", "hires_prompt", "str"),
    ("Hires negative prompt", "hires_negative_prompt", "str"),
    ("Lora hashes", "lora_hashes", "str"),
    ("TI hashes", "ti_hashes", "str"),
    ("Hashes", "hashes", "str"),
    ("Version", "version", "str"),
    ("User", "user", "str"),
)
_BY_KEY = {key: (names, kind) for key, names, kind in _INFOTEXT_KEYS}
# Written even when they hold the default, as A1111 does.
_ALWAYS = frozenset({"Steps", "Sampler", "CFG scale", "Seed", "Size"})
# Written only when they differ from this default (A1111 omits Clip skip 1, Batch size 1, Tiling off).
_OMIT_DEFAULT = {"Clip skip": 1, "Batch size": 1, "Tiling": False}

_KEY_RE = re.compile(r"\s*(\w[\w \-/]+):\s*")
_QUOTED_RE = re.compile(r'"(?:\\.|[^\\"])+"')
_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")
_NEGATIVE = "Negative prompt:"
# A1111's `key: value` pattern; the last line is the parameter line when it finds three or more.
# Run as a regex it backtracks quadratically over long runs of word characters (an 8 MiB text
# chunk takes minutes), so _a1111_param_count finds the same matches in linear time.
_A1111_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_KEY_RUN = re.compile(r"[\w \-/]+")
_WORD = re.compile(r"\w")
_PARAM_VALUE = re.compile(r'\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
# One `key: value,` item whose value is plain (opens no quote or JSON) or quoted (`"..."` followed by
# a comma or the end), in one match: what _KEY_RE + _read_value give for it (the gallery reads
# 100,000 infotexts; tests/metadata/test_infotext_fast_path.py and test_infotext_differential.py
# pin the equivalence). Anything else (JSON, bare items, a quote followed by more text) takes them.
_PAIR_RE = re.compile(r'\s*(\w[\w \-/]+):\s*(?:((?:[^,"{\[\s][^,]*)?)|("(?:\\.|[^\\"])+")[ \t]*)(?:,|$)')
_JSON = json.JSONDecoder()


def parse_infotext(text: str) -> tuple[GenerationParams, tuple[str, ...]]:
    """``from_infotext`` plus the warnings (values that did not fit their field).

    This is the hot path of reading a folder of images; ``promptlab.params_reference`` holds the
    same rules written plainly, and tests/metadata/test_infotext_differential.py keeps the two equal.
    """
    *lines, last = text.strip().split("\n")
    pairs = None
    if not last.lstrip().startswith(_NEGATIVE) and _is_parameter_line(last):
        pairs = _scan_parameter_line(last.rstrip("\r"))
    if pairs is None:
        lines.append(last)
    prompt, negative = _prompt_and_negative(lines)
    values: dict[str, Any] = {"prompt": prompt, "negative_prompt": negative}
    extra: list[tuple[str, str]] = []
    warnings: list[str] = []
    spec_of = _BY_KEY.get
    for key, value in pairs or ():
        spec = spec_of(key)
        if spec is None:
            extra.append((key, value))
            continue
        # What _convert gives, without building a dict per value for the common kinds.
        names, kind = spec
        if kind == "str":
            values[names] = value
            continue
        if kind == "int" or kind == "float":
            try:
                number = int(value.strip()) if kind == "int" else float(value.strip())
            except ValueError:
                number = None
            if number is not None and (kind == "int" or math.isfinite(number)):
                values[names] = number
                continue
        else:
            converted = _convert(spec, value)
            if converted is not None:
                values.update(converted)
                continue
        warnings.append(f"infotext: {key}: {value!r} is not a valid {kind}; kept in extra")
        extra.append((key, value))
    values["extra"] = tuple(extra)
    values["infotext_order"] = tuple([key for key, _ in pairs]) if pairs else ()
    return _BUILD.build(values), tuple(warnings)


def _is_parameter_line(line: str) -> bool:
    """``_a1111_param_count(line) >= 3``. On a real parameter line A1111's pattern matches three
    times from the start, one anchored match after the other, and those are findall's first three
    matches; anything else takes the linear counter."""
    pos = 0
    for _ in range(3):
        m = _A1111_PARAM.match(line, pos)
        if m is None:
            return _a1111_param_count(line) >= 3
        pos = m.end()
    return True


# Read only after import: fills GenerationParams without its 60 frozen setattrs (~13 µs, as long
# as the rest of the parse); calls __init__ instead as soon as the class gains validation.
_BUILD = FrozenBuilder(GenerationParams)


def _a1111_param_count(line: str, limit: int = 3) -> int:
    """How many matches ``_A1111_PARAM.findall(line)`` has, counted up to ``limit``.

    A match's key starts at the first word character at or after the scan position whose run of
    ``[\\w \\-/]`` characters ends at a ``:`` at least two characters later; its value then runs
    as the regex's value part says. Each run is looked at once per match, so this is linear.
    """
    count = pos = 0
    while count < limit:
        for run in _KEY_RUN.finditer(line, pos):
            end = run.end()
            if not line.startswith(":", end):
                continue
            key = _WORD.search(line, run.start(), end - 1)
            if key is not None:
                break
        else:
            return count
        count += 1
        pos = _PARAM_VALUE.match(line, end + 1).end()
        if pos == len(line) and count < limit:
            return count
    return count


def _prompt_and_negative(lines: list[str]) -> tuple[str, str]:
    """A1111's reading of the lines above the parameter line (see the module docstring)."""
    prompt = negative = ""
    in_negative = False
    for line in lines:
        line = line.strip()
        if line.startswith(_NEGATIVE):  # on any line, as A1111 checks every line
            in_negative = True
            line = line[len(_NEGATIVE):].strip()
        if in_negative:
            negative += ("\n" if negative else "") + line
        else:
            prompt += ("\n" if prompt else "") + line
    return prompt, negative


def _convert(spec: tuple[Any, str], value: str) -> dict[str, Any] | None:
    names, kind = spec
    text = value.strip()
    try:
        if kind == "size":
            m = _SIZE_RE.match(text)
            return {names[0]: int(m.group(1)), names[1]: int(m.group(2))} if m else None
        if kind == "int":
            return {names: int(text)}
        if kind == "float":
            number = float(text)
            return {names: number} if math.isfinite(number) else None
        if kind == "bool":
            return {names: text == "True"} if text in ("True", "False") else None
    except ValueError:
        return None
    return {names: value}


def _scan_parameter_line(line: str) -> list[tuple[str, str]] | None:
    """Split ``key: value, key: value`` into pairs; None when the line is not a parameter line."""
    if line.lstrip().startswith(_NEGATIVE):
        return None
    pairs: list[tuple[str, str]] = []
    pos, end_of_line, match_pair = 0, len(line), _PAIR_RE.match  # locals: this loop runs per item
    while pos < end_of_line:
        pair = match_pair(line, pos)
        if pair is not None:  # the common plain or quoted item, in one match
            key, plain, quoted = pair.groups()
            pairs.append((key, plain.rstrip() if quoted is None else _unquote(quoted)))
            pos = pair.end()
            continue
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


def _unquote(quoted: str) -> str:
    """A quoted value as A1111 reads it: JSON's string, or the text as it is when JSON refuses it."""
    try:
        return json.loads(quoted)
    except ValueError:
        return quoted


def _read_value(line: str, pos: int) -> tuple[str, int]:
    """The value starting at ``pos`` and the position after its separating comma."""
    if line.startswith('"', pos):
        m = _QUOTED_RE.match(line, pos)
        if m is not None:
            after = _after_separator(line, m.end())
            if after is not None:
                return _unquote(m.group(0)), after
    elif line.startswith(("{", "["), pos):
        try:
            _, end = _JSON.raw_decode(line, pos)
        except ValueError:
            pass
        else:
            after = _after_separator(line, end)
            if after is not None:
                return line[pos:end], after
    end = line.find(",", pos)
    end = len(line) if end < 0 else end
    value = line[pos:end].strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = _unquote(value)
    return value, end + 1


def _after_separator(line: str, end: int) -> int | None:
    rest = end
    while rest < len(line) and line[rest] in " \t":
        rest += 1
    if rest == len(line):
        return rest
    return rest + 1 if line[rest] == "," else None


def format_infotext(params: GenerationParams) -> str:
    """A1111's infotext for ``params`` (see ``GenerationParams.to_infotext``)."""
    typed: dict[str, str] = {}
    for key, names, kind in _INFOTEXT_KEYS:
        text = _format_field(params, key, names, kind)
        if text is not None:
            typed[key] = text
    extras = list(params.extra)
    for key, _ in extras:  # a value that did not fit its field replaces the field's default
        typed.pop(key, None)
    items: list[str] = []
    for key in params.infotext_order:
        if key in typed:
            items.append(_item(key, typed.pop(key)))
            continue
        for i, (extra_key, value) in enumerate(extras):
            if extra_key == key:
                items.append(_item(key, value))
                del extras[i]
                break
    items += [_item(key, value) for key, value in typed.items()]
    items += [_item(key, value) for key, value in extras]
    negative = f"\n{_NEGATIVE} {params.negative_prompt}" if params.negative_prompt else ""
    return f"{params.prompt}{negative}\n{', '.join(items)}".strip()


def _format_field(params: GenerationParams, key: str, names: Any, kind: str) -> str | None:
    if kind == "size":
        w, h = getattr(params, names[0]), getattr(params, names[1])
        return None if w is None or h is None else f"{w}x{h}"
    value = getattr(params, names)
    if value is None:
        return None
    if key in _OMIT_DEFAULT and value == _OMIT_DEFAULT[key] and key not in params.infotext_order:
        return None
    if kind == "float":
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    return str(value)


def _item(key: str, value: str) -> str:
    return key if key == value else f"{key}: {quote(value)}"


def quote(value: str) -> str:
    """A1111's ``quote``, plus quoting whatever would not read back the same unquoted."""
    if "\n" not in value and value.startswith(("{", "[")):
        try:
            _, end = _JSON.raw_decode(value)
        except ValueError:
            end = -1
        if end == len(value):
            return value  # JSON (Hashes, Civitai resources) is written as it is, as A1111 does
    if (any(c in value for c in ',\n\r:') or value.startswith('"') or value != value.strip()):
        return json.dumps(value, ensure_ascii=False)
    return value
