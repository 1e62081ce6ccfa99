"""What ``build_conditioning`` returns: per-step tensors, and the pipeline kwargs that use them.

``Conditioning.pipeline_kwargs()`` gives ``prompt_embeds`` & co. for step 0 and, when the prompt
changes during sampling, a ``callback_on_step_end`` that swaps in the tensors of the next step (with
CFG the pipeline's tensor is ``cat([negative, positive])``, repeated per image).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptlab.errors import InvalidInputError

if TYPE_CHECKING:
    import torch

StepCallback = Callable[[Any, int, Any, dict], "dict | None"]


@dataclass(frozen=True, eq=False)
class ConditioningPart:
    """One ``AND`` part at one step: its text, weight and tensors."""

    text: str
    weight: float
    embeds: torch.Tensor  # (1, tokens, channels)
    pooled: torch.Tensor | None = None  # (1, P): SDXL only


@dataclass(frozen=True, eq=False)
class ConditioningStep:
    """The tensors used while the 0-based step index ``i <= end_step`` (A1111's rule)."""

    end_step: int
    prompt_embeds: torch.Tensor  # (1, tokens, channels)
    negative_prompt_embeds: torch.Tensor
    pooled_prompt_embeds: torch.Tensor | None = None  # (1, P): SDXL only
    negative_pooled_prompt_embeds: torch.Tensor | None = None
    prompt: str = ""
    negative_prompt: str = ""
    parts: tuple[ConditioningPart, ...] = ()  # every AND part (the first is prompt_embeds)


@dataclass(frozen=True, eq=False)
class Conditioning:
    family: str  # "sd1", "sd2", "sdxl"
    steps: tuple[ConditioningStep, ...]
    warnings: tuple[str, ...] = ()
    extra_params: Mapping[str, str] = field(default_factory=dict)  # infotext additions (Emphasis, TI hashes)
    used_embeddings: tuple[str, ...] = ()
    token_counts: tuple[int, int] = (0, 0)  # A1111 counters of prompt and negative prompt

    @property
    def switch_steps(self) -> tuple[int, ...]:
        """0-based step indices at which the conditioning changes."""
        return tuple(entry.end_step + 1 for entry in self.steps[:-1])

    @property
    def composable(self) -> bool:
        """True when AND parts (or a part weight other than 1) need ``wrap_unet``."""
        return any(len(e.parts) > 1 or (e.parts and e.parts[0].weight != 1.0) for e in self.steps)

    def wrap_unet(self, unet: Any) -> Any:
        """A per-call UNet that evaluates every AND part and combines them as A1111 (composable
        diffusion); use it as the pipeline's ``unet`` and pass it to ``pipeline_kwargs(unet=...)``."""
        from promptlab.backend.composable import ComposableUNet

        return ComposableUNet(unet, self)

    def at_step(self, step: int) -> ConditioningStep:
        for entry in self.steps:
            if step <= entry.end_step:
                return entry
        return self.steps[-1]

    def pipeline_kwargs(
        self, callback: StepCallback | None = None, *, tensor_inputs: Sequence[str] = (), unet: Any = None
    ) -> dict:
        """kwargs for ``pipe(...)``: embeddings for step 0 and, when the prompt changes during sampling or
        ``callback`` is given, ``callback_on_step_end`` (+ its tensor inputs). ``callback(pipe, step,
        timestep, kwargs)`` is chained after the switch; ``tensor_inputs`` adds inputs it needs (``latents``)."""
        first = self.steps[0]
        kwargs: dict[str, Any] = {
            "prompt_embeds": first.prompt_embeds,
            "negative_prompt_embeds": first.negative_prompt_embeds,
        }
        if self.family == "sdxl":
            kwargs["pooled_prompt_embeds"] = first.pooled_prompt_embeds
            kwargs["negative_pooled_prompt_embeds"] = first.negative_pooled_prompt_embeds
        switching = len(self.steps) > 1
        if self.composable and unet is None:
            raise InvalidInputError(
                "This conditioning has AND parts: run the pipeline with cond.wrap_unet(pipe.unet) as its unet "
                "and pass that wrapper as pipeline_kwargs(unet=...)."
            )
        if not switching and callback is None:
            return kwargs
        inputs = list(dict.fromkeys([*tensor_inputs]))
        if switching:
            inputs = list(dict.fromkeys(["prompt_embeds", *(["add_text_embeds"] if self.family == "sdxl" else []), *inputs]))
        kwargs["callback_on_step_end"] = _StepSwitcher(self, callback, switching, unet)
        kwargs["callback_on_step_end_tensor_inputs"] = inputs
        return kwargs


class _StepSwitcher:
    """``callback_on_step_end``: after step i, put in the conditioning of step i + 1."""

    def __init__(self, cond: Conditioning, callback: StepCallback | None, switching: bool, unet: Any = None) -> None:
        self.cond, self.callback, self.switching, self.unet = cond, callback, switching, unet

    def __call__(self, pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
        update: dict = {}
        if self.unet is not None and hasattr(self.unet, "step"):
            self.unet.step = step + 1
        if self.switching:
            now, nxt = self.cond.at_step(step), self.cond.at_step(step + 1)
            if nxt is not now:
                cfg = bool(getattr(pipe, "do_classifier_free_guidance", True))
                update["prompt_embeds"] = _batched(
                    nxt.negative_prompt_embeds, nxt.prompt_embeds, kwargs["prompt_embeds"], cfg
                )
                if self.cond.family == "sdxl" and "add_text_embeds" in kwargs:
                    update["add_text_embeds"] = _batched(
                        nxt.negative_pooled_prompt_embeds, nxt.pooled_prompt_embeds, kwargs["add_text_embeds"], cfg
                    )
                kwargs = {**kwargs, **update}
        if self.callback is not None:
            result = self.callback(pipe, step, timestep, kwargs)
            if result:
                update.update(result)
        return update


def _batched(negative: torch.Tensor, positive: torch.Tensor, current: torch.Tensor, cfg: bool) -> torch.Tensor:
    import torch

    halves = 2 if cfg else 1
    repeat = max(1, current.shape[0] // halves)
    reps = (repeat,) + (1,) * (positive.dim() - 1)
    parts = [negative.repeat(*reps), positive.repeat(*reps)] if cfg else [positive.repeat(*reps)]
    return torch.cat(parts).to(device=current.device, dtype=current.dtype)
