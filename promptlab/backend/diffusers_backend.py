"""The local diffusers backend: A1111 semantics (samplers, seeds, hires fix, LoRA, conditioning,
infotext) on diffusers pipelines.

``DiffusersBackend.generate`` reads as numbered steps: check the inputs (cheap, before any model
loads), get the model from the manager, apply LoRAs under the model's lock, build the conditioning,
then per batch: CPU-seeded noise, the first pass, the optional hires pass, infotext.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptlab.backend.base import GeneratedImage, Progress, ProgressCallback
from promptlab.backend.hires import HiresPlan, plan_hires, upscale_images, upscale_latents
from promptlab.backend.img2img import Img2ImgPlan, init_latents, plan_img2img, run_img2img
from promptlab.backend.lora import LoraRequest, applied_loras, lora_hashes_text, requests_from_networks
from promptlab.backend.manager import LoadedModel, ModelManager, load_vae, vae_config_name
from promptlab.backend.models import Family, ModelRoots, find_model, list_models, resolve_checkpoint, short_hash
from promptlab.backend.samplers import (
    SAMPLER_NAMES,
    SamplerChoice,
    build_scheduler,
    resolve_sampler,
    sampler_label,
    schedule_steps,
    seed_noise_sampler,
    uses_ensd,
)
from promptlab.errors import BackendError, CancelledError, InvalidInputError
from promptlab.params import GenerationParams

_log = logging.getLogger(__name__)
MAX_SIDE = 4096
MAX_IMAGES = 256


@dataclass(frozen=True)
class _Job:
    params: GenerationParams
    prompt: str  # <lora:...> removed
    choice: SamplerChoice
    hires: HiresPlan | None
    hires_choice: SamplerChoice | None
    loras: tuple[LoraRequest, ...]
    seed: int
    img2img: Img2ImgPlan | None = None


class DiffusersBackend:
    """Local generation. Thread-safe: calls on the same model run one at a time."""

    name = "diffusers"
    supports_img2img = True

    def __init__(self, models_root: str | Path | None = None, *, device: str = "auto", dtype: str = "auto",
                 memory_budget_gb: float | None = None, allow_pickle: bool = False,
                 a1111_root: str | Path | None = None, fast: bool = True, preview_every: int = 0) -> None:
        self.roots = ModelRoots.from_args(models_root, a1111_root)
        self.allow_pickle = allow_pickle
        self.preview_every = preview_every
        self.manager = ModelManager(device=device, dtype=dtype, memory_budget_gb=memory_budget_gb,
                                    allow_pickle=allow_pickle, fast=fast)
        self._lock = threading.Lock()
        self._embeddings: dict[tuple, Any] = {}
        self._vaes: dict[tuple, Any] = {}

    @property
    def model_loads(self) -> int:
        return self.manager.loads

    def manager_source(self, model: str | None):
        """What ``params.model`` resolves to (a CheckpointSource for ``manager.get``)."""
        return resolve_checkpoint(self.roots, model)

    def list_models(self) -> list[str]:
        return [m.name for m in list_models(self.roots, "checkpoint")]

    def list_samplers(self) -> list[str]:
        return list(SAMPLER_NAMES)

    def close(self) -> None:
        with self._lock:
            self._embeddings.clear()
            self._vaes.clear()
        self.manager.clear()

    # ------------------------------------------------------------------------------------------
    def generate(self, params: GenerationParams, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> list[GeneratedImage]:
        import torch

        # 1. check inputs before anything expensive
        job = self._plan(params)
        # 2. the model (loaded once, shared)
        source = resolve_checkpoint(self.roots, params.model)
        try:
            while True:
                model = self.manager.get(source)
                with model.lock:
                    if model.pipe is None:  # evicted by another thread between get() and the lock
                        continue
                    # 3. LoRAs on the shared modules for this call only
                    with applied_loras(model.pipe, job.loras, family=model.family, model_name=model.name,
                                       allow_pickle=self.allow_pickle):
                        return self._run(model, job, on_progress, cancel)
        except torch.OutOfMemoryError as exc:
            self._recover_memory()
            raise BackendError(
                f"Out of memory generating {params.width}x{params.height} x{params.batch_size}. Lower the size or "
                "batch size, turn off hires fix, or free GPU memory; the backend is still usable."
            ) from exc
        except RuntimeError as exc:
            if "out of memory" not in str(exc).lower():
                raise
            self._recover_memory()
            raise BackendError(f"Out of memory: {exc}. Lower the size or batch size; the backend is still usable.") from exc

    def _recover_memory(self) -> None:
        from promptlab.backend.manager import _empty_cache

        _empty_cache(self.manager.device)

    def _plan(self, params: GenerationParams) -> _Job:
        from promptlab.syntax.a1111 import extra_networks

        for label, value in (("width", params.width), ("height", params.height)):
            if value < 64 or value > MAX_SIDE:
                raise InvalidInputError(f"{label} {value} is out of range (64..{MAX_SIDE}).")
            if value % 8:
                raise InvalidInputError(
                    f"{label} {value} is not a multiple of 8; use {value - value % 8} or {value - value % 8 + 8}."
                )
        if not 1 <= params.steps <= 1000:
            raise InvalidInputError(f"steps {params.steps} is out of range (1..1000).")
        if params.batch_size < 1 or params.batch_count < 1:
            raise InvalidInputError("batch size and batch count must be at least 1.")
        if params.batch_size * params.batch_count > MAX_IMAGES:
            raise InvalidInputError(f"At most {MAX_IMAGES} images per call (batch count x batch size).")
        if params.clip_skip < 1:
            raise InvalidInputError(f"Clip skip {params.clip_skip} must be 1 or more (A1111 numbering).")
        if params.subseed_strength:
            raise InvalidInputError("Variation seeds (subseed strength) are not supported by the local backend yet.")
        from promptlab.backend.guidance import check_cfg_and_ensd

        check_cfg_and_ensd(params.cfg_scale, params.ensd, params.seed)  # every finite CFG, 0..1 included, as A1111
        # ComfyUI seeds go up to 2**64-1 and A1111 seeds torch with the full number: keep them as they are
        if not 0 <= params.seed < 2**64 and params.seed != -1:
            raise InvalidInputError(f"Seed {params.seed} must be -1 (random) or in 0..18446744073709551615.")
        choice = resolve_sampler(params.sampler, params.schedule_type)
        hires = plan_hires(params, self.roots)
        hires_choice = None
        if hires is not None:
            hires_choice = resolve_sampler(params.hires_sampler or choice.sampler.name,
                                           params.hires_schedule_type or choice.requested_schedule)
        prompt, networks = extra_networks(params.prompt)
        loras = tuple(requests_from_networks(networks, self.roots))
        seed = params.seed if params.seed != -1 else secrets.randbelow(4294967294)
        return _Job(params, prompt, choice, hires, hires_choice, loras, seed, plan_img2img(params))

    # ------------------------------------------------------------------------------------------
    def _run(self, model: LoadedModel, job: _Job, on_progress, cancel) -> list[GeneratedImage]:
        import torch

        params, pipe = job.params, model.pipe
        # 4. per-call components: scheduler (and VAE) never assigned on the shared pipeline
        scheduler = build_scheduler(job.choice, pipe.scheduler.config, prediction_type=model.prediction.value,
                                    zero_snr=model.zero_snr)
        overrides: dict[str, Any] = {"scheduler": scheduler}
        vae_name, vae_hash = None, None
        if params.vae and params.vae not in ("Automatic", "None"):
            overrides["vae"], vae_name, vae_hash = self._vae(params.vae, model)
        # 5. conditioning (A1111 weighting, chunks, clip skip, embeddings, prompt editing, AND)
        cond = self._conditioning(pipe, model, job.prompt, params.negative_prompt, params, hires_steps=None, job=job)
        hires_cond = None
        if job.hires is not None:
            hires_cond = self._conditioning(
                pipe, model, job.prompt if params.hires_prompt is None else params.hires_prompt,
                params.negative_prompt if params.hires_negative_prompt is None else params.hires_negative_prompt,
                params, hires_steps=job.hires.steps, job=job)
        # AND: a per-call UNet wrapper combines the parts (the shared UNet is untouched)
        unet = cond.wrap_unet(pipe.unet) if cond.composable else None
        if unet is not None:
            overrides["unet"] = unet
        call_pipe = derive_pipeline(type(pipe), pipe, **overrides)
        total_images = params.batch_size * params.batch_count
        steps_total = params.steps + (job.hires.run_steps if job.hires else 0)
        source = None
        if job.img2img is not None:   # encoded once for every batch
            steps_total = job.img2img.run_steps
            source = init_latents(call_pipe, job.img2img.init, params.width, params.height)
        for warning in dict.fromkeys((*cond.warnings, *(hires_cond.warnings if hires_cond else ()),
                                      *_hypernet_warnings(params))):
            # never silent: the CLI prints these, the page shows them
            _log.warning("%s", warning)
            if on_progress is not None:
                on_progress(Progress(0, steps_total, 0, total_images, None, warning))
        results: list[GeneratedImage] = []
        for batch in range(params.batch_count):
            first = batch * params.batch_size
            seeds = [job.seed + first + i for i in range(params.batch_size)]
            generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
            seed_noise_sampler(scheduler, seeds)  # DPM++ SDE's Brownian noise from the image seeds, as A1111
            # A1111's CPU RNG: each image's starting noise comes from its own seed
            latents = torch.stack([
                torch.randn((4, params.height // 8, params.width // 8), generator=g) for g in generators
            ])
            if params.ensd and uses_ensd(job.choice, params.eta):
                # A1111's "Eta noise seed delta": ancestral noise from seed + ENSD, after the starting noise
                generators = [torch.Generator("cpu").manual_seed(s + params.ensd) for s in seeds]
            callback = self._callback(on_progress, cancel, first, total_images, steps_total, 0, model.family)
            if job.img2img is not None:
                # fresh generators: the pipeline draws the starting noise from the seed first, as above
                ensd = bool(params.ensd and uses_ensd(job.choice, params.eta))
                images = run_img2img(
                    call_pipe, model.family is Family.SDXL, job.img2img, params, source,
                    [torch.Generator("cpu").manual_seed(s) for s in seeds],
                    [s + params.ensd for s in seeds] if ensd else None, self._kwargs(cond, callback, unet),
                    {"eta": params.eta} if params.eta is not None and job.choice.sampler.name == "DDIM" else {})
                self._finish(results, images, job, model, seeds, vae_name, vae_hash, cond)
                continue
            latent_out = job.hires is not None and job.hires.in_latent_space
            out = call_pipe(
                **self._kwargs(cond, callback, unet),
                num_inference_steps=params.steps, guidance_scale=params.cfg_scale,
                width=params.width, height=params.height, num_images_per_prompt=params.batch_size,
                latents=latents.to(model.pipe.device, dtype=call_pipe.unet.dtype), generator=generators,
                output_type="latent" if latent_out else "pil",
                **({"eta": params.eta} if params.eta is not None and job.choice.sampler.name == "DDIM" else {}),
            )
            images = out.images
            if job.hires is not None:
                images = self._hires_pass(call_pipe, model, job, hires_cond, images, generators,
                                          self._callback(on_progress, cancel, first, total_images, steps_total,
                                                         params.steps, model.family), seeds=seeds)
            self._finish(results, images, job, model, seeds, vae_name, vae_hash, cond)
        return results

    def _finish(self, results: list, images: list, job: _Job, model: LoadedModel, seeds: list[int], vae_name,
                vae_hash, cond) -> None:
        for i, image in enumerate(images):
            final = self._final_params(job, model, seeds[i], vae_name, vae_hash, cond)
            infotext = final.to_infotext()
            image.info["parameters"] = infotext
            results.append(GeneratedImage(image=image, params=final, infotext=infotext,
                                          warnings=tuple(dict.fromkeys((*cond.warnings, *_hypernet_warnings(job.params))))))

    def _hires_pass(self, pipe, model: LoadedModel, job: _Job, cond, images, generators, callback, seeds=None):
        from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline

        plan, params = job.hires, job.params
        scheduler = build_scheduler(job.hires_choice, model.pipe.scheduler.config,
                                    prediction_type=model.prediction.value, zero_snr=model.zero_snr)
        if seeds is not None:
            seed_noise_sampler(scheduler, seeds)
        cls = StableDiffusionXLImg2ImgPipeline if model.family is Family.SDXL else StableDiffusionImg2ImgPipeline
        unet = cond.wrap_unet(model.pipe.unet) if cond.composable else None
        img2img = derive_pipeline(cls, pipe, scheduler=scheduler, **({"unet": unet} if unet is not None else {}))
        if seeds is not None:
            # A1111's hires pass makes a fresh RNG from the image seeds (its noise starts from the seed again);
            # with ENSD the ancestral noise then comes from seed + ENSD, as in the first pass
            import torch

            from promptlab.backend.img2img import _reseed_after_start_noise

            generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
            if params.ensd and uses_ensd(job.hires_choice, params.eta):
                _reseed_after_start_noise(img2img, generators, [s + params.ensd for s in seeds])
        source = (upscale_latents(images, plan) if plan.in_latent_space
                  else upscale_images(images, plan, self.roots, device=str(model.pipe.device)))
        out = img2img(
            # A1111's explicit-steps rule: the last plan.steps of a schedule of int(steps / denoise)
            **self._kwargs(cond, callback, unet), image=source, strength=plan.strength,
            num_inference_steps=plan.schedule_steps,
            guidance_scale=params.hires_cfg_scale if params.hires_cfg_scale is not None else params.cfg_scale,
            num_images_per_prompt=params.batch_size, generator=generators, output_type="pil",
        )
        return out.images

    def _final_params(self, job: _Job, model: LoadedModel, seed: int, vae_name, vae_hash, cond) -> GenerationParams:
        from promptlab import __version__

        sampler, schedule = sampler_label(job.choice)
        changes: dict[str, Any] = dict(
            seed=seed, sampler=sampler, schedule_type=schedule, model=model.name, model_hash=model.model_hash,
            lora_hashes=lora_hashes_text(job.loras), version=f"promptlab {__version__}",
            vae=vae_name, vae_hash=vae_hash,
        )
        extra = dict(cond.extra_params)
        if "Emphasis" in extra:
            changes["emphasis"] = extra["Emphasis"]
        if "TI hashes" in extra:
            changes["ti_hashes"] = extra["TI hashes"]
        if job.hires is not None:
            changes["denoising_strength"] = job.hires.denoise
            changes["hires_upscaler"] = job.hires.upscaler
        if job.img2img is not None:
            changes["denoising_strength"] = job.img2img.denoise
        if job.params.ensd is not None and not (job.params.ensd and uses_ensd(job.choice, job.params.eta)):
            changes["ensd"] = None  # A1111 writes ENSD only where it changed the noise
        from promptlab.backend.hypernetworks import skipped_hypernetworks, with_hypernet_note

        return with_hypernet_note(job.params.with_(**changes), skipped_hypernetworks(job.params))

    # ------------------------------------------------------------------------------------------
    def _callback(self, on_progress, cancel, first: int, total_images: int, total_steps: int, offset: int,
                  family: Family):
        from promptlab.backend.previews import latent_preview

        every = self.preview_every

        def callback(pipe, step, timestep, kwargs):
            if cancel is not None and cancel.is_set():
                raise CancelledError("Generation cancelled.")
            if on_progress is not None:
                # second-order schedulers (Heun, DPM2, DPM++ SDE) run two loop iterations per sampling step
                order = max(1, int(getattr(getattr(pipe, "scheduler", None), "order", 1) or 1))
                done = offset + (step + order) // order
                preview = None
                if every and "latents" in kwargs and (done % every == 0):
                    preview = latent_preview(kwargs["latents"], sdxl=family is Family.SDXL)
                on_progress(Progress(done, total_steps, first, total_images, preview))
            return {}

        return callback

    @staticmethod
    def _kwargs(cond, callback, unet=None) -> dict[str, Any]:
        extra = {"unet": unet} if unet is not None else {}
        return dict(cond.pipeline_kwargs(callback=callback, tensor_inputs=("latents",), **extra))

    def _conditioning(self, pipe, model: LoadedModel, prompt: str, negative: str, params: GenerationParams, *,
                      hires_steps: int | None, job: _Job):
        from promptlab.backend.conditioning import build_conditioning

        # A1111 computes schedules over the sampler's total steps (twice the steps for second-order samplers)
        steps = schedule_steps(job.choice, params.steps)
        if hires_steps is not None and job.hires_choice is not None:
            hires_steps = schedule_steps(job.hires_choice, hires_steps)
        return build_conditioning(
            pipe, prompt, negative, steps=steps, clip_skip=params.clip_skip,
            emphasis=params.emphasis or "Original", embeddings=self._embedding_set(model.family),
            hires_steps=hires_steps, composable=True,
        )

    def _embedding_set(self, family: Family):
        folders = [self.roots.folder("embedding")]
        if self.roots.extra_embeddings is not None:
            folders.append(self.roots.extra_embeddings)
        folders = [f for f in folders if f.is_dir()]
        if not folders:
            return None
        from promptlab.backend.embeddings import load_embeddings

        stamp = tuple((str(f), _tree_stamp(f)) for f in folders)
        key = (family.value, stamp)
        with self._lock:
            if key not in self._embeddings:
                sets = [load_embeddings(f, family.value, allow_pickle=self.allow_pickle) for f in folders]
                self._embeddings = {key: sets[0] if len(sets) == 1 else _merge_embedding_sets(sets)}
            return self._embeddings[key]

    def _vae(self, name: str, model: LoadedModel):
        entry = find_model(self.roots, "vae", name)
        key = (str(entry.path), model.family.value, str(self.manager.dtype))
        with self._lock:
            if key not in self._vaes:
                self._vaes[key] = load_vae(entry.path, vae_config_name(model.family, model.config_name),
                                           dtype=self.manager.dtype, device=self.manager.device,
                                           allow_pickle=self.allow_pickle)
            return self._vaes[key], entry.path.name, short_hash(entry.path)


def _hypernet_warnings(params: GenerationParams) -> tuple[str, ...]:
    from promptlab.backend.hypernetworks import hypernetwork_warning, skipped_hypernetworks

    names = skipped_hypernetworks(params)
    return (hypernetwork_warning(names),) if names else ()


def derive_pipeline(cls, pipe, **overrides):
    """A new pipeline of class ``cls`` over ``pipe``'s modules, with ``overrides`` (a scheduler, a VAE).

    Unlike diffusers' ``from_pipe`` this never calls ``.to()``: the shared modules keep their dtype and
    device untouched, and building costs only the constructor. The pipeline mixes CFG as A1111 does
    for every scale, 0..1 included (``promptlab.backend.guidance``).
    """
    import inspect

    from promptlab.backend.guidance import a1111_guidance_class

    cls = a1111_guidance_class(cls)
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in pipe.components.items() if k in accepted}
    for key in ("force_zeros_for_empty_prompt",):
        if key in accepted and key in pipe.config:
            kwargs[key] = pipe.config[key]
    if "requires_safety_checker" in accepted:
        kwargs["requires_safety_checker"] = False
    kwargs.update(overrides)
    for name, parameter in accepted.items():
        if name not in kwargs and name != "self" and parameter.default is inspect.Parameter.empty:
            kwargs[name] = None
    derived = cls(**kwargs)
    derived.set_progress_bar_config(disable=True)
    return derived


def _tree_stamp(folder: Path) -> tuple:
    return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()))


def _merge_embedding_sets(sets):
    """models/embeddings first, then the webui's embeddings/ (the first file of a name wins, as in A1111)."""
    from promptlab.backend.embeddings import EmbeddingSet

    found: dict = {}
    skipped: list = []
    for item in sets:
        for name, emb in item.embeddings.items():
            found.setdefault(name, emb)
        skipped.extend(item.skipped)
    return EmbeddingSet(sets[0].family, found, tuple(skipped))


def save_images(results: list[GeneratedImage], out_dir: str | Path, *, prefix: str = "") -> list[Path]:
    """Save PNGs with A1111 infotext as ``NNNNN-<seed>.png`` (numbering continues what is in the folder)."""
    from promptlab.metadata import write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    existing = [int(p.name[:5]) for p in out.glob("*.png") if p.name[:5].isdigit()]
    number = max(existing, default=-1) + 1
    paths = []
    for result in results:
        path = out / f"{prefix}{number:05d}-{result.params.seed}.png"
        write(result.image, result.params, path)
        paths.append(path)
        number += 1
    return paths
