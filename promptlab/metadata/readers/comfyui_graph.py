"""Tracing a ComfyUI graph: nodes, links, samplers and what feeds them. Every walk keeps a
visited set, so cycles and dangling links end a path (with a warning) instead of looping."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from promptlab.metadata.readers._util import to_float, to_int

_MAX_NODES = 20_000
_TEXT_INPUTS = ("text", "text_g", "text_l", "clip_l", "t5xxl", "prompt", "positive_prompt", "populated_text", "string")
_SCALAR_INPUTS = ("value", "seed", "noise_seed", "int", "float", "number", "string", "text", "Text", "prompt")
_SCHEDULER_BY_CLASS = {
    "KarrasScheduler": "karras", "ExponentialScheduler": "exponential", "PolyexponentialScheduler": "polyexponential",
    "VPScheduler": "vp", "AlignYourStepsScheduler": "align_your_steps", "BetaSamplingScheduler": "beta",
    "SDTurboScheduler": "sd_turbo", "LaplaceScheduler": "laplace", "GITSScheduler": "gits",
}
_LATENT_INPUTS = ("latent_image", "samples", "latent", "pixels", "image", "images", "samples_to", "latents")
_DIMENSIONS = re.compile(r"(\d+)\s*x\s*(\d+)")
# UI-workflow widget order for the node types whose values the reader needs.
_WIDGETS = {
    "KSampler": ("seed", None, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": ("add_noise", "noise_seed", None, "steps", "cfg", "sampler_name", "scheduler",
                         "start_at_step", "end_at_step", "return_with_leftover_noise"),
    "CLIPTextEncode": ("text",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "CheckpointLoader": ("config_name", "ckpt_name"),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "VAELoader": ("vae_name",),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "CLIPSetLastLayer": ("stop_at_clip_layer",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "UpscaleModelLoader": ("model_name",),
    "LatentUpscale": ("upscale_method", "width", "height", "crop"),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    "ImageScale": ("upscale_method", "width", "height", "crop"),
    "ImageScaleBy": ("upscale_method", "scale_by"),
    "SaveImage": ("filename_prefix",),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "RandomNoise": ("noise_seed", None),
    "CFGGuider": ("cfg",),
}


@dataclass(frozen=True)
class Node:
    id: str
    class_type: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Upscale:
    upscaler: str | None
    scale: float | None = None
    width: int | None = None
    height: int | None = None
    is_model: bool = False      # an upscale model (ESRGAN...), not a resampling method


@dataclass
class SamplerSettings:
    node_id: str
    class_type: str
    positive: str = ""
    negative: str = ""
    model: str | None = None
    vae: str | None = None
    loras: list[dict[str, Any]] = field(default_factory=list)
    clip_skip: int | None = None
    seed: int | None = None
    steps: int | None = None
    cfg: float | None = None
    sampler: str | None = None
    scheduler: str | None = None
    denoise: float | None = None
    width: int | None = None
    height: int | None = None
    latent_from_sampler: str | None = None
    upscale: Upscale | None = None


class Graph:
    def __init__(self, nodes: dict[str, Node], warnings: list[str]):
        self.nodes = nodes
        self.warnings = warnings
        self._check_links_and_cycles()

    # -- building --------------------------------------------------------------------------
    @classmethod
    def from_api(cls, data: dict[str, Any], warnings: list[str]) -> Graph:
        nodes: dict[str, Node] = {}
        skipped = 0
        for node_id, node in list(data.items())[:_MAX_NODES]:
            if isinstance(node, dict) and isinstance(node.get("class_type"), str) and isinstance(node.get("inputs", {}), dict):
                nodes[str(node_id)] = Node(str(node_id), node["class_type"], dict(node.get("inputs", {})))
            else:
                skipped += 1
        if skipped:
            warnings.append(f"ComfyUI graph: {skipped} entr{'y' if skipped == 1 else 'ies'} without class_type/inputs ignored")
        if len(data) > _MAX_NODES:
            warnings.append(f"ComfyUI graph has {len(data)} nodes; only the first {_MAX_NODES} were read")
        return cls(nodes, warnings)

    @classmethod
    def from_workflow(cls, data: dict[str, Any], warnings: list[str]) -> Graph:
        """The UI workflow (no API graph stored): known node types are read from their widgets."""
        links: dict[Any, tuple[str, int]] = {}
        for link in data.get("links") or []:
            if isinstance(link, list) and len(link) >= 5:
                links[link[0]] = (str(link[1]), to_int(link[2]) or 0)
            elif isinstance(link, dict) and "id" in link:
                links[link["id"]] = (str(link.get("origin_id")), to_int(link.get("origin_slot")) or 0)
        nodes: dict[str, Node] = {}
        unknown = set()
        for raw in (data.get("nodes") or [])[:_MAX_NODES]:
            if not isinstance(raw, dict) or "type" not in raw or raw.get("mode") in (2, 4):
                continue
            inputs: dict[str, Any] = {}
            widgets = raw.get("widgets_values")
            layout = _WIDGETS.get(raw["type"])
            if isinstance(widgets, list) and layout:
                inputs.update({name: v for name, v in zip(layout, widgets) if name})
            elif widgets:
                unknown.add(raw["type"])
            for inp in raw.get("inputs") or []:
                if isinstance(inp, dict) and inp.get("link") is not None and inp.get("link") in links:
                    inputs[str(inp.get("name"))] = list(links[inp["link"]])
            nodes[str(raw.get("id"))] = Node(str(raw.get("id")), str(raw["type"]), inputs)
        warnings.append("only the ComfyUI UI workflow is stored (no API graph); values were read from the "
                        "widgets of known node types" + (f"; not understood: {', '.join(sorted(unknown))}" if unknown else ""))
        return cls(nodes, warnings)

    def _check_links_and_cycles(self) -> None:
        missing = []
        for node in self.nodes.values():
            for name, value in node.inputs.items():
                if _looks_like_link(value) and str(value[0]) not in self.nodes:
                    missing.append(f"{node.id}.{name} -> {value[0]}")
        if missing:
            self.warnings.append("ComfyUI graph has links to missing nodes (" + ", ".join(missing[:5])
                                 + (", ..." if len(missing) > 5 else "") + "); those paths cannot be traced")
        cycle = self._find_cycle()
        if cycle:
            self.warnings.append("ComfyUI graph has a cycle (" + " -> ".join(cycle) + "); "
                                 "each node is visited once, values on the cycle may be incomplete")

    def _find_cycle(self) -> list[str] | None:
        state: dict[str, int] = {}
        for start in self.nodes:
            if start in state:
                continue
            stack = [(start, iter(self._upstream_ids(start)))]
            state[start] = 1
            path = [start]
            while stack:
                node_id, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node_id] = 2
                    stack.pop()
                    path.pop()
                elif state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(self._upstream_ids(nxt))))
                    path.append(nxt)
        return None

    # -- basic access -------------------------------------------------------------------------
    def link(self, node: Node, name: str) -> tuple[Node, int] | None:
        value = node.inputs.get(name)
        if _looks_like_link(value) and str(value[0]) in self.nodes:
            return self.nodes[str(value[0])], int(value[1])
        return None

    def _upstream_ids(self, node_id: str) -> list[str]:
        return [str(v[0]) for v in self.nodes[node_id].inputs.values()
                if _looks_like_link(v) and str(v[0]) in self.nodes]

    def scalar(self, node: Node, name: str, depth: int = 0) -> Any:
        """An input's value, following links to primitive / seed / text nodes."""
        value = node.inputs.get(name)
        if not _looks_like_link(value):
            return value
        linked = self.link(node, name)
        if linked is None or depth > 8:
            return None
        source, slot = linked
        if "text_positive" in source.inputs and "text_negative" in source.inputs and slot in (0, 1):
            return self.scalar(source, "text_positive" if slot == 0 else "text_negative", depth + 1)  # prompt stylers
        if source.class_type.startswith("SDXL Empty Latent Image") and slot in (1, 2):
            size = _dimensions(source.inputs.get("dimensions"))
            scale = to_float(source.inputs.get("clip_scale")) or 1.0
            return None if size is None else int(size[slot - 1] * scale)
        for key in (name, *_SCALAR_INPUTS):
            if key in source.inputs:
                result = self.scalar(source, key, depth + 1)
                if result is not None and not isinstance(result, (list, dict)):
                    return result
        return None

    # -- samplers ---------------------------------------------------------------------------
    def is_sampler(self, node: Node) -> bool:
        i = node.inputs
        if "guider" in i and "sigmas" in i:
            return True
        return ("positive" in i and "negative" in i and ("seed" in i or "noise_seed" in i or "sampler" in i))

    def outputs(self) -> list[Node]:
        out = [n for n in self.nodes.values() if "Save" in n.class_type or "Image Saver" in n.class_type]
        out += [n for n in self.nodes.values() if "Preview" in n.class_type and n not in out]
        return out

    def ordered_samplers(self) -> list[str]:
        """Samplers upstream of the output nodes (savers first), nearest first; detailers last."""
        found: list[str] = []
        visited: set[str] = set()
        starts = [n.id for n in self.outputs()] or list(self.nodes)
        for start in starts:
            stack = [start]
            while stack:
                node_id = stack.pop(0)
                if node_id in visited:
                    continue
                visited.add(node_id)
                node = self.nodes[node_id]
                if self.is_sampler(node) and node_id not in found:
                    found.append(node_id)
                stack.extend(self._upstream_ids(node_id))
        if not found:
            found = [n.id for n in self.nodes.values() if self.is_sampler(n)]
        return sorted(found, key=lambda i: "Detailer" in self.nodes[i].class_type)

    def sampler_settings(self, node_id: str) -> SamplerSettings:
        node = self.nodes[node_id]
        s = SamplerSettings(node_id, node.class_type)
        guider = self.link(node, "guider")
        cond_node = guider[0] if guider else node
        pos_name = "positive" if "positive" in cond_node.inputs else "conditioning"
        s.positive = self.texts(cond_node, pos_name)
        s.negative = self.texts(cond_node, "negative") if "negative" in cond_node.inputs else ""
        model_from = cond_node if "model" in cond_node.inputs else node
        s.model, s.loras = self.model(model_from)
        s.clip_skip = self.clip_skip(cond_node, pos_name)
        s.cfg = to_float(self.scalar(cond_node, "cfg")) if "cfg" in cond_node.inputs else to_float(self.scalar(node, "cfg"))
        s.seed = to_int(self.scalar(node, "seed") if "seed" in node.inputs else self.scalar(node, "noise_seed"))
        noise = self.link(node, "noise")
        if s.seed is None and noise is not None:
            s.seed = to_int(self.scalar(noise[0], "noise_seed"))
        s.steps = to_int(self.scalar(node, "steps"))
        s.sampler = _text(self.scalar(node, "sampler_name"))
        s.scheduler = _text(self.scalar(node, "scheduler"))
        s.denoise = to_float(self.scalar(node, "denoise"))
        sampler_link = self.link(node, "sampler")
        if sampler_link is not None and s.sampler is None:
            s.sampler = _text(self.scalar(sampler_link[0], "sampler_name")) or sampler_link[0].class_type
        sigmas = self.link(node, "sigmas")
        if sigmas is not None:
            sched = sigmas[0]
            s.scheduler = s.scheduler or _text(self.scalar(sched, "scheduler")) or _SCHEDULER_BY_CLASS.get(sched.class_type)
            s.steps = s.steps if s.steps is not None else to_int(self.scalar(sched, "steps"))
            s.denoise = s.denoise if s.denoise is not None else to_float(self.scalar(sched, "denoise"))
        self._trace_latent(node, s)
        return s

    def texts(self, node: Node, name: str) -> str:
        """The prompt text(s) feeding a conditioning input, in graph order, joined by newlines.

        The polarity of the sampler input (positive / negative) is carried down the trace: nodes
        with both a ``positive`` and a ``negative`` input (ControlNetApplyAdvanced, Efficient Loader
        with its prompt strings, ...) give the one of the same polarity."""
        polarity = "negative" if name == "negative" else "positive"
        texts: list[str] = []
        start = self.link(node, name)
        stack = [start] if start else []
        visited: set[tuple[str, int]] = set()
        while stack:
            current, slot = stack.pop(0)
            if (current.id, slot) in visited:
                continue
            visited.add((current.id, slot))
            if self.is_sampler(current):
                continue
            found_text = False
            for key in _TEXT_INPUTS:
                if key in current.inputs:
                    value = self.scalar(current, key)
                    if isinstance(value, str):
                        found_text = True
                        if value and value not in texts:
                            texts.append(value)
            if found_text:
                continue
            if "positive" in current.inputs and "negative" in current.inputs:
                value = self.scalar(current, polarity)
                if isinstance(value, str):  # Efficient Loader & co. hold the prompt strings themselves
                    if value and value not in texts:
                        texts.append(value)
                    continue
                follow = [polarity]
            else:
                follow = [k for k in current.inputs if "cond" in k.lower()]
            for key in follow:
                nxt = self.link(current, key)
                if nxt is not None:
                    stack.append(nxt)
        return "\n".join(texts)

    def model(self, node: Node) -> tuple[str | None, list[dict[str, Any]]]:
        """The checkpoint up the ``model`` chain and the LoRAs applied on the way (any node pack:
        ``lora_name`` / numbered ``lora_name_N`` / ``lora_NN`` inputs, rgthree's dicts, and LoRA
        stacks linked through a ``lora_stack`` input), nearest the loader first."""
        loras: list[dict[str, Any]] = []
        current: Node | None = node
        visited: set[str] = set()
        first = True
        while current is not None and current.id not in visited:
            visited.add(current.id)
            if not first:
                # a loader node can carry its own LoRA (Efficient Loader): collect before returning
                loras.extend(reversed(self.loras_of(current)))
                for key in ("ckpt_name", "unet_name", "base_ckpt_name", "model_path", "model_name", "checkpoint"):
                    value = self.scalar(current, key)
                    if isinstance(value, str) and key in current.inputs and _looks_like_model(value, key):
                        return value, list(reversed(loras))
            first = False
            nxt = self.link(current, "model")
            current = nxt[0] if nxt else None
        return None, list(reversed(loras))

    def loras_of(self, node: Node, depth: int = 0) -> list[dict[str, Any]]:
        """The LoRAs one node applies, in its order, then those of a stack linked to it."""
        found: list[dict[str, Any]] = []
        inputs = node.inputs
        if _switched_on(self.scalar(node, "switch")) and "lora_name" in inputs:
            self._add_lora(found, node, "lora_name", "")
        numbered = sorted(((m.group(1), key) for key in inputs if (m := _LORA_NUMBERED.match(key))),
                          key=lambda nk: int(nk[0]))
        count = to_int(self.scalar(node, "lora_count")) if "lora_count" in inputs else None
        for n, key in numbered[:count] if count is not None else numbered:
            if _switched_on(self.scalar(node, f"switch_{n}")) if f"switch_{n}" in inputs else True:
                self._add_lora(found, node, key, n)
        for key, value in inputs.items():  # Power Lora Loader (rgthree): {"on": true, "lora": ..., "strength": ...}
            if key.lower().startswith("lora_") and isinstance(value, dict) and value.get("on") and value.get("lora"):
                found.append({"name": value["lora"], "strength_model": to_float(value.get("strength")),
                              "strength_clip": to_float(value.get("strengthTwo", value.get("strength")))})
        if depth < 32:
            for key in inputs:
                if "lora_stack" in key.lower():
                    upstream = self.link(node, key)
                    if upstream is not None:
                        found = self.loras_of(upstream[0], depth + 1) + found  # the stack is applied first
        return found

    def _add_lora(self, found: list[dict[str, Any]], node: Node, key: str, n: str) -> None:
        name = self.scalar(node, key)
        if not isinstance(name, str) or name in ("None", "none", ""):
            return

        def weight(names: tuple[str, ...]) -> float | None:
            for base in names:
                for candidate in ((f"{base}_{n}", f"{base}{n}") if n else (base,)):
                    if candidate in node.inputs:
                        value = to_float(self.scalar(node, candidate))
                        if value is not None:
                            return value
            return None

        model = weight(("strength_model", "lora_model_strength", "model_strength", "model_weight", "model_str",
                        "lora_wt", "strength", "weight"))
        clip = weight(("strength_clip", "lora_clip_strength", "clip_strength", "clip_weight", "clip_str"))
        found.append({"name": name, "strength_model": model, "strength_clip": clip if clip is not None else model})

    def clip_skip(self, node: Node, name: str) -> int | None:
        """CLIPSetLastLayer on the path from the text encoder to the loader (-2 -> 2)."""
        start = self.link(node, name)
        frontier = [start[0]] if start else []
        visited: set[str] = set()
        while frontier:
            current = frontier.pop(0)
            if current.id in visited:
                continue
            visited.add(current.id)
            for key in ("stop_at_clip_layer", "clip_skip"):
                if key in current.inputs:
                    layer = to_int(self.scalar(current, key))
                    if layer is not None:
                        return -layer if layer < 0 else layer
            for key in current.inputs:
                if key == "clip" or "cond" in key.lower():
                    nxt = self.link(current, key)
                    if nxt is not None:
                        frontier.append(nxt[0])
        return None

    def _trace_latent(self, node: Node, s: SamplerSettings) -> None:
        ups: list[Upscale] = []
        current = self.link(node, "latent_image") or self.link(node, "latent")
        visited: set[str] = set()
        while current is not None:
            src, slot = current
            if src.id in visited:
                break
            visited.add(src.id)
            if self.is_sampler(src):
                s.latent_from_sampler = src.id
                break
            up = self.upscale_of(src)
            if up is not None:
                ups.append(up)
            size = _dimensions(src.inputs.get("dimensions")) if "dimensions" in src.inputs else None
            if size is None and "empty_latent_width" in src.inputs:  # Efficient Loader & co.
                w, h = to_int(self.scalar(src, "empty_latent_width")), to_int(self.scalar(src, "empty_latent_height"))
                size = (w, h) if w and h else None
            if size is None and "Latent" in src.class_type and "Upscale" not in src.class_type \
                    and "width" in src.inputs and "height" in src.inputs:
                w, h = to_int(self.scalar(src, "width")), to_int(self.scalar(src, "height"))
                size = (w, h) if w and h else None
            if size is not None:
                s.width, s.height = size
                return
            current = next((self.link(src, k) for k in _LATENT_INPUTS if self.link(src, k)), None)
        if ups:
            s.upscale = _combine(ups)

    def upscale_of(self, node: Node) -> Upscale | None:
        c = node.class_type
        if c == "ImageUpscaleWithModel" or "upscale_model" in node.inputs:
            loader = self.link(node, "upscale_model")
            name = _text(self.scalar(loader[0], "model_name")) if loader else None
            return Upscale(name, is_model=True)
        if c in ("LatentUpscale", "LatentUpscaleBy", "ImageScale", "ImageScaleBy", "ImageScaleToTotalPixels"):
            method = _text(self.scalar(node, "upscale_method"))
            name = f"Latent ({method})" if c.startswith("Latent") else method
            return Upscale(name, to_float(self.scalar(node, "scale_by")),
                           to_int(self.scalar(node, "width")), to_int(self.scalar(node, "height")))
        return None

    def post_upscale(self, sampler_id: str) -> Upscale | None:
        """An upscale between the sampler and the first output that uses it."""
        for out in self.outputs():
            path = self._path(out.id, sampler_id)
            if path is None:
                continue
            ups = [u for u in (self.upscale_of(self.nodes[i]) for i in path) if u is not None]
            return _combine(ups) if ups else None
        return None

    def _path(self, start: str, goal: str) -> list[str] | None:
        parents: dict[str, str | None] = {start: None}
        queue = [start]
        while queue:
            node_id = queue.pop(0)
            if node_id == goal:
                path = []
                while node_id is not None:
                    path.append(node_id)
                    node_id = parents[node_id]
                return path
            if node_id != start and self.is_sampler(self.nodes[node_id]):
                continue
            for nxt in self._upstream_ids(node_id):
                if nxt not in parents:
                    parents[nxt] = node_id
                    queue.append(nxt)
        return None


def _combine(ups: list[Upscale]) -> Upscale:
    """Several upscale steps in a row (model x4, then resize to the target): one upscale."""
    model = next((u.upscaler for u in ups if u.is_model and u.upscaler), None)
    scale = next((u.scale for u in ups if u.scale), None)
    sized = next((u for u in ups if u.width), None)
    return Upscale(model or ups[0].upscaler, scale, sized.width if sized else None,
                   sized.height if sized else None, model is not None)


def _looks_like_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))
            and not isinstance(value[0], bool) and isinstance(value[1], int) and not isinstance(value[1], bool))


def _dimensions(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    m = _DIMENSIONS.search(value)
    return (int(m.group(1)), int(m.group(2))) if m else None


_LORA_NUMBERED = re.compile(r"^lora_?(?:name_?)?(\d+)$", re.IGNORECASE)
_MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")


def _switched_on(value: Any) -> bool:
    """Comfyroll's ``switch`` inputs ("On"/"Off"); anything else (absent, True) counts as on."""
    return not (isinstance(value, str) and value.strip().lower() == "off") and value is not False


def _looks_like_model(value: str, key: str) -> bool:
    """``model_name`` / ``checkpoint`` are also used for upscalers and options: only a file name or a
    model URN counts there; the dedicated loader keys always count."""
    if key in ("ckpt_name", "unet_name", "base_ckpt_name", "model_path"):
        return True
    return value.lower().endswith(_MODEL_SUFFIXES) or value.startswith("urn:air:")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
