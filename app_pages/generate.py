"""Generate page: backend and model choice, A1111 parameters, live progress, gallery, history."""

from __future__ import annotations

import io

import streamlit as st

from app_pages.common import lang, library, show_error
from app_pages.components import conditioning_panel
from promptlab.errors import PromptlabError
from promptlab.i18n import t
from promptlab.params import GenerationParams
from promptlab.paths import models_root

L = lang()
S = st.session_state
FORM_DEFAULTS = {
    "generate.prompt": "", "generate.negative": "", "generate.sampler": "Euler a", "generate.schedule": "Automatic",
    "generate.steps": 20, "generate.cfg": 7.0, "generate.seed": -1, "generate.width": 512, "generate.height": 512,
    "generate.batch_count": 1, "generate.batch_size": 1, "generate.clip_skip": 1, "generate.hires": False,
    "generate.hires_scale": 2.0, "generate.hires_upscaler": "Latent", "generate.hires_steps": 0,
    "generate.denoise": 0.7, "generate.vae": "Automatic", "generate.emphasis": "Original",
}
EMPHASIS = ("Original", "No norm", "Ignore", "None", "comfy")


@st.cache_resource(show_spinner=False, max_entries=2)
def local_backend(root: str, device: str, allow_pickle: bool):
    from promptlab.backend.diffusers_backend import DiffusersBackend

    return DiffusersBackend(root, device=device, allow_pickle=allow_pickle, preview_every=2)


@st.cache_data(ttl=15, show_spinner=False)
def found_models(root: str) -> dict[str, list[str]]:
    from promptlab.backend.models import ModelRoots, list_models

    roots = ModelRoots.from_args(root)
    return {kind: [m.name for m in list_models(roots, kind)] for kind in ("checkpoint", "lora", "vae", "embedding")}


SEED_FIELD_MAX = 2**53 - 1   # Streamlit's number_input holds JavaScript numbers; ComfyUI seeds go to 2**64 - 1


def _seed_field(seed: int) -> int:
    """The seed field's value for ``seed``; a larger seed is kept exactly beside the field (``seed_big``)
    and used while the field shows -1 untouched."""
    S.pop("generate.seed_big", None)
    if seed > SEED_FIELD_MAX:
        S["generate.seed_big"] = seed
        return -1
    return seed


def _seed() -> int:
    big = S.get("generate.seed_big")
    if big is not None and int(S["generate.seed"]) == -1:
        return int(big)
    S.pop("generate.seed_big", None)   # the user typed another seed
    return int(S["generate.seed"])


def apply_pending(models: list[str]) -> None:
    """"Send to Generate" from Build / Read: fill the form from a GenerationParams."""
    p: GenerationParams | None = S.pop("generate.pending", None)
    if p is None:
        return
    from app_pages.components.upscaler_choice import hires_upscalers

    S.update({
        "generate.prompt": p.prompt, "generate.negative": p.negative_prompt, "generate.steps": int(p.steps),
        "generate.cfg": float(p.cfg_scale), "generate.seed": _seed_field(int(p.seed)), "generate.width": int(p.width),
        "generate.height": int(p.height), "generate.batch_size": max(1, int(p.batch_size)),
        "generate.clip_skip": max(1, int(p.clip_skip)), "generate.hires": bool(p.hires_upscale or p.hires_resize_x),
    })
    if p.sampler in sampler_names():
        S["generate.sampler"] = p.sampler
    if p.schedule_type in schedule_names():
        S["generate.schedule"] = p.schedule_type
    if p.hires_upscale:
        S["generate.hires_scale"] = float(p.hires_upscale)
    if p.hires_upscaler in hires_upscalers(str(models_root())):
        S["generate.hires_upscaler"] = p.hires_upscaler
    if p.denoising_strength is not None:
        S["generate.denoise"] = float(p.denoising_strength)
    if p.hires_steps:
        S["generate.hires_steps"] = int(p.hires_steps)
    if p.emphasis in EMPHASIS:
        S["generate.emphasis"] = p.emphasis
    conditioning_panel.load_ensd(p.ensd)
    match = [m for m in models if p.model and m.split("/")[-1].lower() == p.model.lower()]
    if match:
        S["generate.model"] = match[0]
    elif p.model:
        S["generate.notice"] = t("generate.model_missing", L, model=p.model)


def sampler_names() -> list[str]:
    from promptlab.backend.samplers import SAMPLER_NAMES

    return list(SAMPLER_NAMES)


def schedule_names() -> list[str]:
    from promptlab.backend.samplers import SCHEDULE_TYPES

    return list(SCHEDULE_TYPES)


def form_params(model: str | None) -> GenerationParams:
    hires = S["generate.hires"]
    return GenerationParams(
        prompt=S["generate.prompt"], negative_prompt=S["generate.negative"], steps=int(S["generate.steps"]),
        sampler=S["generate.sampler"],
        schedule_type=None if S["generate.schedule"] == "Automatic" else S["generate.schedule"],
        cfg_scale=float(S["generate.cfg"]), seed=_seed(), width=int(S["generate.width"]),
        height=int(S["generate.height"]), model=model, clip_skip=int(S["generate.clip_skip"]),
        batch_size=int(S["generate.batch_size"]), batch_count=int(S["generate.batch_count"]),
        hires_upscale=float(S["generate.hires_scale"]) if hires else None,
        hires_upscaler=S["generate.hires_upscaler"] if hires else None,
        hires_steps=(int(S["generate.hires_steps"]) or None) if hires else None,
        denoising_strength=float(S["generate.denoise"]) if hires else None,
        vae=None if S["generate.vae"] == "Automatic" else S["generate.vae"],
        emphasis=None if S["generate.emphasis"] == "Original" else S["generate.emphasis"],
        ensd=conditioning_panel.ensd_value(),
    )


def variant_jobs(params: GenerationParams, mode) -> list[GenerationParams]:
    """Batch count x size walk through {variants} and __wildcards__ (one job per image), else [params]."""
    from promptlab.wildcards import expand_params

    return expand_params(params, mode=mode)   # wildcards from models/wildcards


def attach_context(thread) -> None:
    """Let pool worker threads draw progress on this page."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    add_script_run_ctx(thread, get_script_run_ctx())


def run(backends: list, params: GenerationParams, mode) -> None:
    from promptlab.backend.diffusers_backend import save_images
    from promptlab.backend.outputs import output_dir
    from promptlab.backend.pool import BackendPool

    try:
        jobs = variant_jobs(params, mode)
    except PromptlabError as exc:
        show_error(exc, L)
        return
    pooled = len(backends) > 1 or len(jobs) > 1

    bar = st.progress(0.0, text=t("generate.loading", L))
    # any click reruns the script, which stops the run between two steps (LoRAs are removed on the way out);
    # in a placeholder so that neither a failure nor the end of the run leaves a Stop button behind
    stop = st.empty()
    stop.button(t("generate.stop", L), key="generate.stop")
    preview = st.empty()

    def on_progress(p) -> None:
        if p.message:
            st.warning(conditioning_panel.localized_warning(p.message, L))
        if not p.step:
            return
        if pooled:   # one job per image: image_index counts jobs
            done = (p.image_index * p.total_steps + p.step) / max(1, p.total_steps * p.total_images)
        else:
            batch = p.image_index // max(1, params.batch_size)
            done = (batch * p.total_steps + p.step) / max(1, p.total_steps * params.batch_count)
        bar.progress(min(1.0, done), text=t("generate.progress", L, image=p.image_index + 1, images=p.total_images,
                                            step=p.step, steps=p.total_steps))
        if p.preview is not None:
            preview.image(p.preview, caption=t("generate.preview", L), width=256)

    try:
        if not pooled:
            results = backends[0].generate(params, on_progress=on_progress)
        elif len(jobs) == 1:
            results = BackendPool(backends).generate(params, on_progress=on_progress, thread_init=attach_context)
        else:
            results = [images[0] for images in
                       BackendPool(backends).run(jobs, on_progress=on_progress, thread_init=attach_context)]
    except PromptlabError as exc:
        bar.empty()
        stop.empty()
        preview.empty()
        show_error(exc, L)
        return
    bar.empty()
    stop.empty()
    preview.empty()
    paths = save_images(results, output_dir())
    try:
        lib = library()
        for result, path in zip(results, paths, strict=True):
            lib.add_generation(result.params, path)
    except PromptlabError as exc:
        st.warning(t("generate.history_failed", L, error=str(exc)))
    gallery = []
    for result, path in zip(results, paths, strict=True):
        buffer = io.BytesIO()
        result.image.save(buffer, format="PNG")
        gallery.append({"png": path.read_bytes(), "infotext": result.infotext, "path": str(path),
                        "seed": result.params.seed, "params": result.params})
    S["generate.results"] = gallery


# -- page ---------------------------------------------------------------------------------------------
st.title(t("generate.title", L))
st.caption(t("generate.intro", L))
root = str(models_root())
models = found_models(root)
for key, value in FORM_DEFAULTS.items():
    S.setdefault(key, value)
apply_pending(models["checkpoint"])
if S.get("generate.notice"):
    st.warning(S.pop("generate.notice"))
if S.get("replay.notice"):   # set by Read -> Generate (app_pages/components/replay_view.py)
    st.warning(S.pop("replay.notice"))

# ONE Backends area (this machine and/or servers), the checkpoint row, and why Generate may be off
from app_pages.components import generate_backend  # noqa: E402

choice = generate_backend.choose(
    L, root, models, lambda _model: local_backend(root, S["generate.device"], bool(S["generate.allow_pickle"])),
    found_models.clear)
model: str | None = choice.model

st.text_area(t("generate.prompt", L), key="generate.prompt", height=100)
st.text_area(t("generate.negative", L), key="generate.negative", height=68)
if models["lora"] or models["embedding"]:
    st.caption(t("generate.extras", L, loras=", ".join(f"`<lora:{n}:1>`" for n in models["lora"][:12]) or "-",
                 embeddings=", ".join(models["embedding"][:12]) or "-"))

from app_pages.components import img2img_panel  # noqa: E402

i2i = img2img_panel.render(L, list(choice.backends))   # "Image to image" mode: init image, denoise, resize mode

c1, c2, c3 = st.columns(3)
c1.selectbox(t("generate.sampler", L), sampler_names(), key="generate.sampler")
c2.selectbox(t("generate.schedule", L), schedule_names(), key="generate.schedule")
c3.slider(t("generate.steps", L), 1, 150, key="generate.steps")
c1.number_input(t("generate.width", L), 64, 4096, step=8, key="generate.width")
c2.number_input(t("generate.height", L), 64, 4096, step=8, key="generate.height")
c3.number_input(t("generate.cfg", L), 0.0, 30.0, step=0.5, key="generate.cfg")  # 0..1 mix as in A1111
# ComfyUI seeds go past 2**32; Streamlit's number_input refuses more than 2**53 - 1 (a JavaScript number)
c1.number_input(t("generate.seed", L), -1, SEED_FIELD_MAX, key="generate.seed", help=t("generate.seed_help", L))
if S.get("generate.seed_big") is not None and S["generate.seed"] == -1:
    c1.caption(t("generate.seed_big", L, seed=S["generate.seed_big"]))
c2.number_input(t("generate.batch_count", L), 1, 100, key="generate.batch_count")
c3.number_input(t("generate.batch_size", L), 1, 8, key="generate.batch_size")
c1.number_input(t("generate.clip_skip", L), 1, 12, key="generate.clip_skip")

with st.expander(t("generate.hires_fix", L), expanded=bool(S["generate.hires"])):
    from app_pages.components.upscaler_choice import hires_upscalers

    st.checkbox(t("generate.hires_enable", L), key="generate.hires")
    h1, h2 = st.columns(2)
    h1.selectbox(t("generate.hires_upscaler", L), hires_upscalers(root), key="generate.hires_upscaler",
                 help=t("upscale.hires_model_help", L))
    h2.number_input(t("generate.hires_scale", L), 1.0, 4.0, step=0.05, key="generate.hires_scale")
    h1.number_input(t("generate.hires_steps", L), 0, 150, key="generate.hires_steps", help=t("generate.hires_steps_help", L))
    h2.slider(t("generate.denoise", L), 0.01, 1.0, key="generate.denoise")

with st.expander(t("generate.advanced", L)):
    a1, a2 = st.columns(2)
    a1.selectbox(t("generate.vae", L), ["Automatic", *models["vae"]], key="generate.vae")
    a2.selectbox(t("generate.emphasis", L), list(EMPHASIS), key="generate.emphasis", help=t("generate.emphasis_help", L))
conditioning_panel.a1111_expander(L)   # ENSD and the NovelAI preset

from app_pages.components import wildcards_panel  # noqa: E402

brace_mode = wildcards_panel.brace_mode(L, S["generate.prompt"], key="generate.brace_mode")
chosen = list(choice.backends)
if st.button(t("generate.run", L), type="primary", key="generate.run", disabled=bool(choice.blockers or i2i.blockers)):
    run(chosen, img2img_panel.apply(form_params(model), i2i), brace_mode)
for reason in (*choice.blockers, *i2i.blockers):   # a disabled button always says why
    st.caption(reason)

results = S.get("generate.results") or []
if results:
    st.subheader(t("generate.results", L))
    columns = st.columns(min(4, len(results)))
    for index, item in enumerate(results):
        with columns[index % len(columns)]:
            st.image(item["png"], caption=t("generate.seed_caption", L, seed=item["seed"]))
            with st.expander(t("generate.infotext", L)):
                st.code(item["infotext"], language=None)
            st.download_button(t("generate.download_png", L), item["png"], file_name=item["path"].split("/")[-1],
                               mime="image/png", key=f"generate.dl.{index}")
            if st.button(t("generate.reuse", L), key=f"generate.reuse.{index}"):
                S["generate.pending"] = item["params"]
                st.rerun()
            if img2img_panel.send_button(L, item["png"], item["path"].split("/")[-1], key=f"generate.to_img2img.{index}",
                                         params=item["params"]):
                st.rerun()

with st.expander(t("generate.history", L)):
    try:
        history = library().generations(limit=12)
    except PromptlabError as exc:
        history = []
        show_error(exc, L, warning=True)
    if not history:
        st.caption(t("generate.history_empty", L))
    for entry in history:
        st.code(entry.params, language=None)
