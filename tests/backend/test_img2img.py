"""img2img on the local backend (tiny SD1 and SDXL): A1111's step arithmetic, resize modes, seeds, bad input."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from promptlab.backend.img2img import Img2ImgPlan, a1111_steps, plan_img2img
from promptlab.errors import InvalidInputError
from promptlab.init_image import InitImage, Img2ImgError, ResizeMode, probe, resize_image
from promptlab.params import GenerationParams


def gradient(width: int = 80, height: int = 48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None, None]
    rgb = np.concatenate([np.broadcast_to(x, (height, width, 1)), np.broadcast_to(y, (height, width, 1)),
                          np.full((height, width, 1), 128, np.uint8)], axis=2)
    return Image.fromarray(np.ascontiguousarray(rgb))


INIT = InitImage.from_pil(gradient(), name="gradient.png")
BASE = GenerationParams(prompt="a red cat", negative_prompt="blurry", steps=4, width=64, height=64, seed=77,
                        model="tiny", init_image=INIT, denoising_strength=0.5)


def pixels(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


# -- A1111's step arithmetic (sd_samplers_common.setup_img2img_steps) -----------------------------------
@pytest.mark.parametrize(("steps", "denoise", "exact", "expected"), [
    (20, 0.75, False, (20, 16)),   # t_enc = int(0.75 * 20) = 15, sigmas[20-15-1:] -> 16 steps
    (20, 1.0, False, (20, 20)),    # min(1, 0.999): t_enc 19 -> all 20
    (20, 0.0, False, (20, 1)),
    (20, 0.5, True, (40, 20)),     # img2img_fix_steps: schedule int(20 / 0.5), run 20
    (20, 0.3, True, (66, 20)),
    (10, 0.001, True, (1000, 10)),  # capped at diffusers' 1000 training timesteps
    (20, 0.0, True, (20, 1)),
], ids=["default-0.75", "default-1", "default-0", "exact-0.5", "exact-0.3", "exact-capped", "exact-0"])
def test_a1111_step_counts(steps, denoise, exact, expected):
    assert a1111_steps(steps, denoise, exact) == expected


@pytest.mark.parametrize(("schedule", "run"), [(20, 16), (20, 20), (20, 1), (40, 20), (66, 20), (7, 3), (1000, 10)])
def test_diffusers_picks_a1111s_slice(schedule, run):
    """Differential: diffusers' own get_timesteps, given the plan's strength, samples exactly A1111's
    last `run` steps of the schedule (first sigma = sigmas[schedule - run], A1111's sigma_sched[0])."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionImg2ImgPipeline

    plan = Img2ImgPlan(INIT, 0.5, schedule, run)
    scheduler = EulerDiscreteScheduler(timestep_spacing="linspace")
    scheduler.set_timesteps(schedule)
    full = scheduler.timesteps.clone()

    class Holder:
        pass

    holder = Holder()
    holder.scheduler = scheduler
    timesteps, count = StableDiffusionImg2ImgPipeline.get_timesteps(holder, schedule, plan.strength, "cpu")
    assert count == run and len(timesteps) == run
    assert float(timesteps[0]) == float(full[schedule - run])


def test_plan_refuses_hires_and_bad_denoise():
    with pytest.raises(Img2ImgError, match="Hires"):
        plan_img2img(BASE.with_(hires_upscale=2.0))
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(Img2ImgError, match="between 0 and 1"):
            plan_img2img(BASE.with_(denoising_strength=bad))
    assert plan_img2img(BASE.with_(denoising_strength=None)).denoise == 0.75   # A1111's img2img default
    assert plan_img2img(BASE.with_(init_image=None)) is None


# -- resize modes (A1111's images.resize_image) ----------------------------------------------------------
@pytest.mark.parametrize("mode", list(ResizeMode), ids=[m.slug for m in ResizeMode])
@pytest.mark.parametrize(("w", "h"), [(64, 64), (128, 48), (40, 96)], ids=["square", "wide", "tall"])
def test_resize_gives_the_target_size(mode, w, h):
    assert resize_image(mode, gradient(), w, h).size == (w, h)


def test_crop_and_resize_keeps_the_centre_and_fill_stretches_edges():
    src = gradient(80, 40)   # 2:1 into a square
    crop = np.asarray(resize_image(ResizeMode.CROP_AND_RESIZE, src, 40, 40), dtype=np.int16)
    # height fits (40 -> 40), width 80 -> 80 with 20 px cut each side: the centre columns survive
    assert np.abs(crop - np.asarray(src, dtype=np.int16)[:, 20:60]).max() <= 2
    fill = np.asarray(resize_image(ResizeMode.RESIZE_AND_FILL, src, 40, 40), dtype=np.int16)
    # fitted as 40x20 in the middle (rows 10..29); bands above and below repeat the edge rows
    assert np.abs(fill[:10] - fill[10]).max() <= 3 and np.abs(fill[30:] - fill[29]).max() <= 3
    just = resize_image(ResizeMode.JUST_RESIZE, src, 40, 40)
    assert np.array_equal(np.asarray(just), np.asarray(src.resize((40, 40), Image.Resampling.LANCZOS)))


@pytest.mark.parametrize(("value", "mode"), [
    (0, ResizeMode.JUST_RESIZE), (1, ResizeMode.CROP_AND_RESIZE), ("resize-and-fill", ResizeMode.RESIZE_AND_FILL),
    ("Just resize (latent upscale)", ResizeMode.LATENT_UPSCALE), ("3", ResizeMode.LATENT_UPSCALE),
], ids=["0", "1", "slug", "label", "digit"])
def test_resize_mode_parse(value, mode):
    assert ResizeMode.parse(value) is mode


@pytest.mark.parametrize("value", [4, -1, True, "stretch", None], ids=["4", "-1", "bool", "word", "none"])
def test_resize_mode_parse_refuses(value):
    with pytest.raises(Img2ImgError, match="Resize mode"):
        ResizeMode.parse(value)


# -- bad files: refused from the header, translated ------------------------------------------------------
def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height (IHDR) with no pixel data: what a decompression bomb looks like."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("data", "key"), [
    (b"not an image at all", "img2img.err.not_image"),
    (b"", "img2img.err.not_image"),
    (png_header_only(60000, 60000), "img2img.err.too_large"),
    (png_header_only(20000, 10), "img2img.err.too_large"),
], ids=["text", "empty", "60000-square", "too-wide"])
def test_bad_init_files_are_refused_before_decoding(data, key):
    with pytest.raises(Img2ImgError) as info:
        InitImage.from_bytes(data, name="x.png")
    assert info.value.key == key
    assert info.value.message("zh") != info.value.message("en") and "x.png" in info.value.message("zh")


def test_probe_reads_the_declared_size():
    assert probe(INIT.data) == (80, 48, "PNG")


def test_transparency_is_flattened_over_white():
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert InitImage.from_pil(rgba).decode().getpixel((0, 0)) == (255, 255, 255)


# -- generation on the tiny models ----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("model", ["tiny", "sub/tinyxl"], ids=["sd1", "sdxl"])
def test_same_seed_same_pixels_and_a1111_infotext(backend, model):
    steps_seen: list[tuple[int, int]] = []
    a = backend.generate(BASE.with_(model=model), on_progress=lambda p: steps_seen.append((p.step, p.total_steps)))
    b = backend.generate(BASE.with_(model=model))
    c = backend.generate(BASE.with_(model=model, seed=78))
    assert np.array_equal(pixels(a[0]), pixels(b[0]))
    assert not np.array_equal(pixels(a[0]), pixels(c[0]))
    assert a[0].image.size == (64, 64)
    # 4 steps at 0.5: A1111 samples int(0.5 * 4) + 1 = 3
    assert [s for s, _ in steps_seen if s] == [1, 2, 3] and {t for _, t in steps_seen} == {3}
    text = a[0].infotext
    assert "Denoising strength: 0.5" in text and "Size: 64x64" in text and "Mask blur" not in text
    assert a[0].params.init_image is INIT


def test_denoise_changes_how_much_of_the_image_survives(backend):
    init = np.asarray(gradient().resize((64, 64), Image.Resampling.LANCZOS), dtype=np.int16)
    low = pixels(backend.generate(BASE.with_(denoising_strength=0.05))[0])
    high = pixels(backend.generate(BASE.with_(denoising_strength=1.0))[0])
    # the tiny VAE does not reconstruct, so compare distances, not values: more noise, further away
    assert np.abs(low - init).mean() != np.abs(high - init).mean()
    assert not np.array_equal(low, high)


def test_exact_steps_runs_every_step(backend):
    seen: list[int] = []
    backend.generate(BASE.with_(init_image=INIT.with_options(exact_steps=True)),
                     on_progress=lambda p: seen.append(p.step))
    assert [s for s in seen if s] == [1, 2, 3, 4]


@pytest.mark.parametrize("mode", list(ResizeMode), ids=[m.slug for m in ResizeMode])
def test_each_resize_mode_generates(backend, mode):
    result = backend.generate(BASE.with_(init_image=INIT.with_options(resize_mode=mode), width=96, height=64))
    assert result[0].image.size == (96, 64)


def test_batch_member_is_the_single_run_of_its_seed(backend):
    job = backend.generate(BASE.with_(batch_size=2))
    single = backend.generate(BASE.with_(seed=78))
    assert [r.params.seed for r in job] == [77, 78]
    assert np.abs(pixels(job[1]) - pixels(single[0])).max() <= 1


def test_ensd_moves_only_the_ancestral_noise(backend):
    plain = pixels(backend.generate(BASE)[0])
    ensd = backend.generate(BASE.with_(ensd=31337))[0]
    assert not np.array_equal(plain, pixels(ensd)) and "ENSD: 31337" in ensd.infotext
    euler = BASE.with_(sampler="Euler")
    assert np.array_equal(pixels(backend.generate(euler)[0]), pixels(backend.generate(euler.with_(ensd=31337))[0]))


def test_lora_and_clip_skip_apply_to_img2img(backend):
    plain = pixels(backend.generate(BASE)[0])
    assert not np.array_equal(plain, pixels(backend.generate(BASE.with_(prompt="a red cat <lora:style:1>"))[0]))
    assert not np.array_equal(plain, pixels(backend.generate(BASE.with_(clip_skip=2))[0]))


def test_bad_denoise_is_refused_before_loading(backend):
    loads = backend.model_loads
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        backend.generate(BASE.with_(denoising_strength=1.5, model="sub/tinyxl"))
    assert backend.model_loads == loads


def test_init_image_round_trips_through_bytes():
    buffer = io.BytesIO()
    gradient().save(buffer, format="JPEG")
    init = InitImage.from_bytes(buffer.getvalue(), resize_mode="crop-and-resize")
    assert (init.width, init.height, init.format, init.resize_mode) == (80, 48, "JPEG", ResizeMode.CROP_AND_RESIZE)
    assert init.decode().size == (80, 48)
    assert init == InitImage.from_bytes(buffer.getvalue(), resize_mode=1) and hash(init)
