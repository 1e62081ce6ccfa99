"""Classifier-free guidance exactly as A1111 mixes it, for every CFG scale.

A1111 always evaluates the unconditional (negative prompt) prediction and mixes
``uncond + cfg * (cond - uncond)``: CFG 0 gives the negative prompt's image, CFG between 0 and 1
interpolates towards it, CFG 1 is the prompt alone. diffusers' pipelines switch guidance off at
``guidance_scale <= 1`` (``do_classifier_free_guidance = guidance_scale > 1``) and then run the
prompt alone, so every CFG below 1 would give the CFG-1 image. ``a1111_guidance_class(cls)`` is a
subclass of a diffusers pipeline class whose ``do_classifier_free_guidance`` is always true (the
formula is the same in both, so above 1 nothing changes). Models with a guidance embedding
(``time_cond_proj_dim``, LCM-distilled UNets) keep diffusers' rule: they have no unconditional pass.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=32)
def a1111_guidance_class(cls: type) -> type:
    """``cls`` with A1111's CFG rule (one subclass per pipeline class, created once)."""
    if getattr(cls, "_a1111_guidance", False):
        return cls

    def do_classifier_free_guidance(self: Any) -> bool:
        unet = getattr(self, "unet", None)
        config = getattr(unet, "config", None)
        return getattr(config, "time_cond_proj_dim", None) is None

    return type(f"A1111Guidance{cls.__name__}", (cls,), {
        "do_classifier_free_guidance": property(do_classifier_free_guidance),
        "_a1111_guidance": True,
        "__doc__": f"{cls.__name__} that always runs the unconditional pass (A1111's CFG for any scale).",
    })


def check_cfg_and_ensd(cfg_scale: object, ensd: object, seed: object = None) -> None:
    """Refuse a CFG scale that is not a finite number and an ENSD that is not a whole number 0..2**32-1
    (before any model loads). Every finite CFG is accepted, as A1111's API does."""
    import math

    from promptlab.errors import InvalidInputError
    from promptlab.i18n import t

    if isinstance(cfg_scale, bool) or not isinstance(cfg_scale, int | float) or not math.isfinite(cfg_scale):
        raise InvalidInputError(t("cond.cfg.invalid", "en", value=cfg_scale))
    if ensd is not None and (isinstance(ensd, bool) or not isinstance(ensd, int) or not 0 <= ensd < 2**32):
        raise InvalidInputError(t("cond.ensd.invalid", "en", value=ensd))
    if ensd and isinstance(seed, int) and seed + ensd >= 2**64:  # torch seeds are 64-bit
        raise InvalidInputError(t("cond.ensd.seed_overflow", "en", seed=seed, ensd=ensd))
