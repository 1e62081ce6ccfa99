"""What each backend can honour, field by field (GenerationParams names).

Anything an image holds that the chosen backend cannot do goes into the replay plan as "not
reproducible on this backend" — it is never dropped without saying so.
"""

from __future__ import annotations

BACKENDS = ("local", "a1111", "comfyui")

# Settings that only change how A1111's sampler behaves; no promptlab backend sends them except a
# real webui (which gets them through override_settings only when promptlab knows the option).
_SAMPLER_TUNING = frozenset({
    "eta_ddim", "schedule_max_sigma", "schedule_min_sigma", "schedule_rho", "sigma_churn", "sigma_tmin",
    "sigma_tmax", "sigma_noise", "ngms", "noise_multiplier", "token_merging_ratio", "token_merging_ratio_hr",
})
_ALWAYS_UNSUPPORTED = frozenset({
    "face_restoration", "seed_resize_from_w", "seed_resize_from_h", "image_cfg_scale", "conditional_mask_weight",
})

UNSUPPORTED: dict[str, frozenset[str]] = {
    "local": _SAMPLER_TUNING | _ALWAYS_UNSUPPORTED | {
        "subseed", "subseed_strength", "tiling", "refiner", "refiner_switch_at", "hires_checkpoint",
    },
    # RemoteA1111Backend sends the txt2img payload of promptlab.backend.a1111_api
    "a1111": _SAMPLER_TUNING | _ALWAYS_UNSUPPORTED | {"refiner", "refiner_switch_at"},
    "comfyui": _SAMPLER_TUNING | _ALWAYS_UNSUPPORTED | {
        "subseed", "subseed_strength", "tiling", "refiner", "refiner_switch_at", "hires_checkpoint", "hires_prompt",
        "hires_negative_prompt", "eta", "ensd", "rng", "emphasis",
    },
}

# Fields whose value only informs matching or provenance: listed in the plan, never "run".
INFORMATIONAL = ("model_hash", "vae_hash", "lora_hashes", "ti_hashes", "hashes", "version", "user", "init_image_hash")
# The default a field has when an image does not hold it (A1111's); equal values are not "set".
NEUTRAL = {"tiling": False, "clip_skip": 1, "batch_size": 1, "batch_count": 1}
