"""Sampler and schedule names of other tools -> A1111's, and what A1111's "Automatic" schedule means.

Every mapping returns the A1111 names *and* says whether it was a rename (``mapped``) or a guess
(``approximated``), so the replay plan can show it; nothing is replaced silently.

Sources checked: A1111 1.9+ ``modules/sd_samplers_kdiffusion.py`` (``samplers_k_diffusion`` options
``scheduler: karras`` / ``exponential``), ComfyUI ``comfy/samplers.py`` (KSAMPLER_NAMES, SCHEDULER_NAMES),
NovelAI's request JSON (``sampler``, ``noise_schedule``), InvokeAI's scheduler names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A1111 1.9+: the schedule "Automatic" resolves to the sampler's own option, else the model's
# uniform discretisation. Before 1.9 the sampler list had no such option (Karras came with the
# "... Karras" sampler names), so "Automatic" meant Uniform for every sampler.
AUTOMATIC_SCHEDULE = {
    "DPM++ 2M": "Karras",
    "DPM++ SDE": "Karras",
    "DPM++ 2S a": "Karras",
    "DPM2": "Karras",
    "DPM2 a": "Karras",
    "Restart": "Karras",
    "DPM++ 2M SDE": "Exponential",
    "DPM++ 2M SDE Heun": "Exponential",
    "DPM++ 3M SDE": "Exponential",
}
A1111_SAMPLERS = (
    "DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 2S a", "DPM++ 3M SDE", "Euler a",
    "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM fast", "DPM adaptive", "Restart", "DDIM", "DDIM CFG++",
    "PLMS", "UniPC", "LCM",
)
A1111_SCHEDULES = ("Automatic", "Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform",
                   "KL Optimal", "Align Your Steps", "Simple", "Normal", "DDIM", "Beta")

# ComfyUI KSampler sampler_name -> A1111 sampler
COMFY_SAMPLERS = {
    "euler": "Euler", "euler_ancestral": "Euler a", "heun": "Heun", "dpm_2": "DPM2", "dpm_2_ancestral": "DPM2 a",
    "lms": "LMS", "dpm_fast": "DPM fast", "dpm_adaptive": "DPM adaptive", "dpmpp_2s_ancestral": "DPM++ 2S a",
    "dpmpp_sde": "DPM++ SDE", "dpmpp_2m": "DPM++ 2M", "dpmpp_2m_sde": "DPM++ 2M SDE",
    "dpmpp_2m_sde_heun": "DPM++ 2M SDE Heun", "dpmpp_3m_sde": "DPM++ 3M SDE", "ddim": "DDIM", "uni_pc": "UniPC",
    "lcm": "LCM",
}
# ComfyUI's *_gpu variants draw their Brownian noise on the GPU: same method, different noise.
COMFY_GPU_VARIANTS = {"dpmpp_sde_gpu": "dpmpp_sde", "dpmpp_2m_sde_gpu": "dpmpp_2m_sde",
                      "dpmpp_2m_sde_heun_gpu": "dpmpp_2m_sde_heun", "dpmpp_3m_sde_gpu": "dpmpp_3m_sde",
                      "uni_pc_bh2": "uni_pc"}
# ComfyUI scheduler -> A1111 schedule type (A1111 1.10 ported Normal/Simple/DDIM/Beta from ComfyUI)
COMFY_SCHEDULERS = {
    "normal": "Normal", "karras": "Karras", "exponential": "Exponential", "sgm_uniform": "SGM Uniform",
    "simple": "Simple", "ddim_uniform": "DDIM", "beta": "Beta", "kl_optimal": "KL Optimal",
}
# NovelAI sampler -> A1111 sampler; noise_schedule -> schedule type
NOVELAI_SAMPLERS = {
    "k_euler_ancestral": "Euler a", "k_euler": "Euler", "k_dpmpp_2s_ancestral": "DPM++ 2S a",
    "k_dpmpp_2m": "DPM++ 2M", "k_dpmpp_sde": "DPM++ SDE", "k_dpmpp_2m_sde": "DPM++ 2M SDE", "k_dpm_2": "DPM2",
    "k_dpm_2_ancestral": "DPM2 a", "k_lms": "LMS", "k_heun": "Heun", "k_dpm_fast": "DPM fast",
    "k_dpm_adaptive": "DPM adaptive", "ddim": "DDIM", "ddim_v3": "DDIM", "plms": "PLMS",
}
NOVELAI_SCHEDULES = {"karras": "Karras", "exponential": "Exponential", "polyexponential": "Polyexponential"}
# A1111's legacy combined names ("DPM++ 2M Karras") and A1111's own aliases (k_dpmpp_2m_ka ...)
_LEGACY_SUFFIXES = (" Karras", " Exponential")
_A1111_ALIASES = {"k_euler_a": "Euler a", "k_dpm_2_a": "DPM2 a", "k_dpmpp_2s_a": "DPM++ 2S a", "k_dpm_ad": "DPM adaptive",
                  "euler_a": "Euler a"}


@dataclass(frozen=True)
class NameMapping:
    """``sampler``/``schedule`` in A1111's names; ``how``: exact | mapped | approximated | unknown."""

    sampler: str | None
    schedule: str | None
    how: str
    note: str = ""          # i18n key under "replay.note." explaining a mapping, "" when exact


def automatic_schedule(sampler: str, version: str | None = None) -> str:
    """What A1111 runs for "Schedule type: Automatic" (or none written) with ``sampler``."""
    if version is not None and _older_than_1_9(version):
        return "Uniform"
    return AUTOMATIC_SCHEDULE.get(sampler, "Uniform")


def _older_than_1_9(version: str) -> bool:
    # "v1.8.0", "v1.10.1", "f1.0.0v2-v1.10.1RC-..." (Forge writes its own version first, A1111's after)
    found = re.findall(r"v(\d+)\.(\d+)", version)
    if not found:
        return False
    major, minor = (int(x) for x in found[-1])
    return (major, minor) < (1, 9)


def to_a1111(sampler: str, schedule: str | None, generator: str | None) -> NameMapping:
    """The A1111 sampler and schedule type for names written by ``generator``."""
    name = (sampler or "").strip()
    if name in A1111_SAMPLERS:
        if schedule in (None, "") or schedule in A1111_SCHEDULES:
            return NameMapping(name, schedule or None, "exact")
        lowered = schedule.lower()
        if lowered in COMFY_SCHEDULERS:
            return NameMapping(name, COMFY_SCHEDULERS[lowered], "mapped", "schedule_renamed")
        return NameMapping(name, None, "unknown", "schedule_unknown")
    for suffix in _LEGACY_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in A1111_SAMPLERS:
            return NameMapping(name[: -len(suffix)], schedule or suffix.strip(), "mapped", "legacy_name")
    if generator == "novelai" or name.startswith("k_"):
        return _from_novelai(name, schedule)
    return _from_comfy(name, schedule)


def _from_novelai(name: str, schedule: str | None) -> NameMapping:
    sampler = NOVELAI_SAMPLERS.get(name) or _A1111_ALIASES.get(name)
    karras = name.endswith("_ka")
    if sampler is None and karras:
        sampler = NOVELAI_SAMPLERS.get(name[:-3])
    if sampler is None:
        return NameMapping(None, None, "unknown", "sampler_unknown")
    if karras:
        return NameMapping(sampler, "Karras", "mapped", "sampler_renamed")
    if schedule in (None, "", "native"):
        # NovelAI's "native" is its own model's schedule; A1111's closest is the sampler's default
        return NameMapping(sampler, None, "approximated" if schedule == "native" else "mapped",
                           "novelai_native_schedule" if schedule == "native" else "sampler_renamed")
    mapped = NOVELAI_SCHEDULES.get(schedule.lower())
    if mapped is None:
        return NameMapping(sampler, None, "unknown", "schedule_unknown")
    return NameMapping(sampler, mapped, "mapped", "sampler_renamed")


def _from_comfy(name: str, schedule: str | None) -> NameMapping:
    base, scheduler = name.removeprefix("sample_"), (schedule or "").lower() or None
    if base not in COMFY_SAMPLERS and base not in COMFY_GPU_VARIANTS and base not in _A1111_ALIASES:
        # some save nodes write "<sampler>_<scheduler>" (euler_ancestral_karras, euler_simple)
        for comfy_scheduler in COMFY_SCHEDULERS:
            if base.endswith("_" + comfy_scheduler) and scheduler is None:
                base, scheduler = base[: -len(comfy_scheduler) - 1], comfy_scheduler
                break
    how, note = "mapped", "sampler_renamed"
    if base in COMFY_GPU_VARIANTS:
        base, how, note = COMFY_GPU_VARIANTS[base], "approximated", "comfy_gpu_noise"
    sampler = COMFY_SAMPLERS.get(base) or _A1111_ALIASES.get(base)
    if sampler is None:
        return NameMapping(None, None, "unknown", "sampler_unknown")
    if scheduler is None:
        return NameMapping(sampler, None, how, note)
    mapped = COMFY_SCHEDULERS.get(scheduler)
    if mapped is None:
        return NameMapping(sampler, None, "unknown", "schedule_unknown")
    return NameMapping(sampler, mapped, how, note)
