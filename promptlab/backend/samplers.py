"""A1111 sampler names and schedule types -> diffusers schedulers.

A1111 (1.9+) writes "Sampler: DPM++ 2M" and "Schedule type: Karras" separately; older versions wrote
"Sampler: DPM++ 2M Karras". Both are accepted. "Automatic" picks what A1111 picks for that sampler
(Karras for DPM++ 2M / SDE / 2S a / DPM2, Exponential for the 2M/3M SDE samplers, else the
model's uniform discretisation).

A1111's k-diffusion samplers discretise the training timesteps with ``linspace(999, 0, steps)``:
diffusers' ``timestep_spacing="linspace"``; DDIM and PLMS use A1111's CompVis "leading" spacing.
Diffusers has no equivalent of "DPM++ 2S a", "DPM fast", "DPM adaptive" or "Restart": those names
are reported as unsupported rather than silently replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from promptlab.errors import InvalidInputError


@dataclass(frozen=True)
class SamplerSpec:
    name: str
    scheduler: str  # diffusers class name
    options: Mapping[str, Any] = field(default_factory=dict)
    automatic: str = "Uniform"  # the schedule type "Automatic" means for this sampler
    aliases: tuple[str, ...] = ()
    spacing: str = "linspace"
    # A1111's sampler options: "second_order" (two model calls per step; prompt schedules are computed
    # over twice the steps) and "uses_ensd" (extra noise drawn from the seed + ENSD generator)
    second_order: bool = False
    uses_ensd: bool = False


def _spec(name, scheduler, options=None, automatic="Uniform", aliases=(), spacing="linspace", *,
          second_order=False, uses_ensd=False) -> SamplerSpec:
    return SamplerSpec(name, scheduler, MappingProxyType(dict(options or {})), automatic, aliases, spacing,
                       second_order, uses_ensd)


_DPM = "DPMSolverMultistepScheduler"
SAMPLERS: tuple[SamplerSpec, ...] = (
    _spec("DPM++ 2M", _DPM, {"algorithm_type": "dpmsolver++", "solver_order": 2}, "Karras", ("k_dpmpp_2m",)),
    _spec("DPM++ SDE", "DPMSolverSDEScheduler", {}, "Karras", ("k_dpmpp_sde",), second_order=True),
    _spec("DPM++ 2M SDE", _DPM, {"algorithm_type": "sde-dpmsolver++", "solver_order": 2}, "Exponential",
          ("k_dpmpp_2m_sde",)),
    _spec("DPM++ 2M SDE Heun", _DPM, {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "solver_type": "heun"},
          "Exponential", ("k_dpmpp_2m_sde_heun",)),
    _spec("DPM++ 3M SDE", _DPM, {"algorithm_type": "sde-dpmsolver++", "solver_order": 3}, "Exponential",
          ("k_dpmpp_3m_sde",)),
    _spec("DPM++ 2S", "DPMSolverSinglestepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}, "Karras"),
    _spec("Euler a", "EulerAncestralDiscreteScheduler", {},
          aliases=("k_euler_a", "k_euler_ancestral", "euler_ancestral"), uses_ensd=True),
    _spec("Euler", "EulerDiscreteScheduler", {}, aliases=("k_euler", "euler")),
    _spec("LMS", "LMSDiscreteScheduler", {}, aliases=("k_lms", "lms")),
    _spec("Heun", "HeunDiscreteScheduler", {}, aliases=("k_heun", "heun"), second_order=True),
    _spec("DPM2", "KDPM2DiscreteScheduler", {}, "Karras", ("k_dpm_2", "dpm_2"), second_order=True),
    _spec("DPM2 a", "KDPM2AncestralDiscreteScheduler", {}, "Karras", ("k_dpm_2_a", "dpm_2_ancestral"),
          second_order=True, uses_ensd=True),
    _spec("DDIM", "DDIMScheduler", {"set_alpha_to_one": False}, aliases=("ddim",), spacing="leading",
          uses_ensd=True),  # A1111: uses_ensd with default_eta_is_0 (only an eta > 0 draws noise)
    _spec("PLMS", "PNDMScheduler", {"skip_prk_steps": True}, aliases=("plms", "pndm"), spacing="leading"),
    _spec("UniPC", "UniPCMultistepScheduler", {"solver_type": "bh2"}, aliases=("uni_pc", "uni_pc_bh2")),
    _spec("DEIS", "DEISMultistepScheduler", {}, aliases=("deis",)),
    _spec("DDPM", "DDPMScheduler", {}, aliases=("ddpm",), spacing="leading"),
    _spec("LCM", "LCMScheduler", {}, aliases=("lcm",), spacing="leading"),
    _spec("TCD", "TCDScheduler", {}, aliases=("tcd",), spacing="leading"),
)
SAMPLER_NAMES: tuple[str, ...] = tuple(s.name for s in SAMPLERS)

# schedule type -> scheduler config overrides (None = the sampler's own spacing)
_SCHEDULES: dict[str, dict[str, Any] | None] = {
    "Automatic": None,
    "Uniform": {},
    "Karras": {"use_karras_sigmas": True},
    "Exponential": {"use_exponential_sigmas": True},
    "Beta": {"use_beta_sigmas": True},
    "SGM Uniform": {"timestep_spacing": "trailing"},
}
SCHEDULE_TYPES: tuple[str, ...] = tuple(_SCHEDULES)
_SIGMA_FLAGS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")
_UNSUPPORTED = {
    "DPM++ 2S a": "diffusers has no ancestral single-step DPM++ solver",
    "DPM fast": "diffusers has no DPM-Solver-fast",
    "DPM adaptive": "diffusers has no adaptive DPM-Solver",
    "Restart": "diffusers has no Restart sampler",
}


@dataclass(frozen=True)
class SamplerChoice:
    sampler: SamplerSpec
    schedule: str  # the schedule type actually used ("Automatic" resolved)
    requested_schedule: str  # what the user asked for ("Automatic" stays "Automatic")


def _by_name() -> dict[str, SamplerSpec]:
    table: dict[str, SamplerSpec] = {}
    for spec in SAMPLERS:
        for key in (spec.name, *spec.aliases):
            table[key.lower()] = spec
    return table


def _schedule_name(name: str) -> str:
    for known in SCHEDULE_TYPES:
        if known.lower() == name.strip().lower().replace("_", " "):
            return known
    aliases = {"sgm_uniform": "SGM Uniform", "normal": "Uniform", "default": "Automatic", "auto": "Automatic"}
    if name.strip().lower() in aliases:
        return aliases[name.strip().lower()]
    raise InvalidInputError(
        f"Unknown schedule type {name!r}. Supported: {', '.join(SCHEDULE_TYPES)}."
    )


def resolve_sampler(name: str, schedule: str | None = None) -> SamplerChoice:
    """Parse an A1111 sampler name (old "X Karras" style included) and schedule type."""
    table = _by_name()
    raw = (name or "").strip()
    spec = table.get(raw.lower())
    embedded = None
    if spec is None:
        for suffix in ("Karras", "Exponential", "SGM Uniform", "Uniform", "Beta"):
            if raw.lower().endswith(" " + suffix.lower()):
                spec = table.get(raw[: -len(suffix) - 1].strip().lower())
                embedded = suffix
                break
    if spec is None:
        base = raw.removesuffix(" Karras")
        if base in _UNSUPPORTED:
            raise InvalidInputError(
                f"Sampler {raw!r} is not available locally ({_UNSUPPORTED[base]}). "
                f"Supported: {', '.join(SAMPLER_NAMES)}."
            )
        raise InvalidInputError(f"Unknown sampler {raw!r}. Supported: {', '.join(SAMPLER_NAMES)}.")
    requested = _schedule_name(schedule) if schedule else (embedded or "Automatic")
    if embedded and schedule and requested not in ("Automatic", embedded):
        raise InvalidInputError(f"Sampler {raw!r} names schedule {embedded} but schedule type {schedule!r} was given.")
    actual = spec.automatic if requested == "Automatic" else requested
    return SamplerChoice(spec, actual, requested)


def scheduler_config(choice: SamplerChoice, base_config: Mapping[str, Any], *, prediction_type: str | None = None,
                     zero_snr: bool = False) -> tuple[str, dict[str, Any]]:
    """The diffusers class name and config for ``choice`` on a model whose scheduler config is ``base_config``."""
    import diffusers

    cls = getattr(diffusers, choice.sampler.scheduler)
    accepted = set(_init_params(cls))
    config = {k: v for k, v in dict(base_config).items() if not k.startswith("_")}
    for flag in _SIGMA_FLAGS:
        config.pop(flag, None)
    config["timestep_spacing"] = choice.sampler.spacing
    config.update(choice.sampler.options)
    overrides = _SCHEDULES[choice.schedule] or {}
    for key in overrides:
        if key not in accepted:
            supported = [n for n in SCHEDULE_TYPES if all(k in accepted for k in (_SCHEDULES[n] or {}))]
            raise InvalidInputError(
                f"Sampler {choice.sampler.name!r} does not support schedule type {choice.schedule!r} in diffusers; "
                f"use one of: {', '.join(supported)}."
            )
    config.update(overrides)
    if prediction_type:
        config["prediction_type"] = prediction_type
    if zero_snr:
        if "rescale_betas_zero_snr" not in accepted:
            raise InvalidInputError(
                f"Sampler {choice.sampler.name!r} cannot run a zero-terminal-SNR model in diffusers; "
                "use Euler, Euler a, DPM++ 2M, UniPC or DDIM."
            )
        config["rescale_betas_zero_snr"] = True
        config["timestep_spacing"] = "trailing"
    if choice.sampler.scheduler == "DPMSolverMultistepScheduler" and choice.schedule != "Uniform":
        # k-diffusion's DPM++ samplers end with a plain denoising step to sigma 0
        config["final_sigmas_type"] = "zero"
    return choice.sampler.scheduler, {k: v for k, v in config.items() if k in accepted}


def build_scheduler(choice: SamplerChoice, base_config: Mapping[str, Any], **kwargs: Any):
    """A fresh scheduler instance (never shared between calls)."""
    import diffusers

    name, config = scheduler_config(choice, base_config, **kwargs)
    return getattr(diffusers, name).from_config(config)


def _init_params(cls) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(cls.__init__).parameters)


def sampler_label(choice: SamplerChoice) -> tuple[str, str | None]:
    """What goes into infotext: ("Sampler", "Schedule type"); A1111 omits "Automatic"."""
    return choice.sampler.name, None if choice.requested_schedule == "Automatic" else choice.requested_schedule


def schedule_steps(choice: SamplerChoice, steps: int) -> int:
    """The step count A1111 computes prompt schedules over (``SamplerData.total_steps``): twice the steps
    for second-order samplers, whose every model call advances A1111's denoiser step counter — as every
    model call is one iteration of a diffusers pipeline loop, the indices line up."""
    return steps * 2 if choice.sampler.second_order else steps


def uses_ensd(choice: SamplerChoice, eta: float | None = None) -> bool:
    """A1111's ``is_sampler_using_eta_noise_seed_delta``: the sampler draws extra noise (``uses_ensd``) and
    eta is not 0 (eta defaults to 0 for DDIM, 1 for the ancestral samplers)."""
    if eta is None:
        eta = 0.0 if choice.sampler.name == "DDIM" else 1.0
    return choice.sampler.uses_ensd and eta != 0


def seed_noise_sampler(scheduler: Any, seeds: list[int]) -> None:
    """Seed a Brownian-tree noise sampler (diffusers' DPMSolverSDEScheduler, A1111's DPM++ SDE) with the
    batch's image seeds, one tree per image, as A1111's ``create_noise_sampler`` does. Left unseeded,
    diffusers draws the tree's seed from torch's global RNG: the same parameters then gave other pixels
    on every run. ``scheduler`` is the per-call instance (never a shared one)."""
    if hasattr(scheduler, "noise_sampler_seed"):
        scheduler.noise_sampler_seed = list(seeds)
        scheduler.noise_sampler = None  # built again from the seeds at the first step
