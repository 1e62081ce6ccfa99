"""Conditioning numerics against an independent, plain-loop statement of A1111's algorithm, on tiny
SD1/SD2/SDXL pipelines built from configs (random weights, the real CLIP vocabulary)."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from promptlab import tokens  # noqa: E402
from promptlab.backend.conditioning import build_conditioning  # noqa: E402
from promptlab.backend.embeddings import Embedding  # noqa: E402
from promptlab.errors import InvalidInputError  # noqa: E402
from promptlab.syntax.a1111 import parse_prompt_attention  # noqa: E402

BOS, EOS, COMMA = 49406, 49407, 267
LONG = ", ".join(f"tag{i} (word{i}:1.{i % 5})" for i in range(45))  # ~300 tokens, commas, weights


def make_pipe(family: str, tmp_path_factory):
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline, StableDiffusionXLPipeline
    from transformers import CLIPTokenizer

    from promptlab.backend.model_configs import read_config
    from promptlab.backend.tiny import TINY_CONFIGS, build_tiny_components

    comps = build_tiny_components(family, seed=1)
    # random init leaves the final LayerNorm at weight 1 / bias 0, so every token vector has mean ~0 and
    # A1111's mean restoration would divide ~0 by ~0; trained encoders have a real bias.
    generator = torch.Generator().manual_seed(7)
    for name in ("text_encoder", "text_encoder_2"):
        if name in comps:
            norm = getattr(comps[name], "text_model", comps[name]).final_layer_norm
            with torch.no_grad():
                norm.bias.copy_(torch.randn(norm.bias.shape, generator=generator) * 0.5)
    base = tmp_path_factory.mktemp(f"tok-{family}")
    pad = "!" if family == "sd2" else tokens.EOS_TOKEN
    tokenizer = CLIPTokenizer.from_pretrained(tokens.write_hf_tokenizer(base / "t1", pad_token=pad))
    scheduler = EulerDiscreteScheduler.from_config(read_config(TINY_CONFIGS[family], "scheduler"))
    if family == "sdxl":
        tokenizer_2 = CLIPTokenizer.from_pretrained(tokens.write_hf_tokenizer(base / "t2", pad_token="!"))
        return StableDiffusionXLPipeline(
            vae=comps["vae"], text_encoder=comps["text_encoder"], text_encoder_2=comps["text_encoder_2"],
            tokenizer=tokenizer, tokenizer_2=tokenizer_2, unet=comps["unet"], scheduler=scheduler,
        )
    return StableDiffusionPipeline(
        vae=comps["vae"], text_encoder=comps["text_encoder"], tokenizer=tokenizer, unet=comps["unet"],
        scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


@pytest.fixture(scope="module")
def sd1(tmp_path_factory):
    torch.set_num_threads(1)
    return make_pipe("sd1", tmp_path_factory)


@pytest.fixture(scope="module")
def sd2(tmp_path_factory):
    return make_pipe("sd2", tmp_path_factory)


@pytest.fixture(scope="module")
def sdxl(tmp_path_factory):
    return make_pipe("sdxl", tmp_path_factory)


# --- the reference: A1111's tokenize_line / process_tokens / emphasis, written as plain loops ---------

def ref_chunks(text, hf_tokenizer, *, backtrack=20, parse=True):
    """[(ids[77], multipliers[77])] using transformers' tokenizer (not promptlab's)."""
    fragments = parse_prompt_attention(text) if parse else [[text, 1.0]]
    chunks, ids, mults, last_comma = [], [], [], -1

    def close():
        nonlocal ids, mults, last_comma
        pad = 75 - len(ids)
        chunks.append(([BOS] + ids + [EOS] * pad + [EOS], [1.0] + mults + [1.0] * pad + [1.0]))
        ids, mults, last_comma = [], [], -1

    for frag, weight in fragments:
        if frag == "BREAK" and weight == -1:
            close()
            continue
        for token in hf_tokenizer(frag, add_special_tokens=False).input_ids:
            if token == COMMA:
                last_comma = len(ids)
            elif backtrack and len(ids) == 75 and last_comma != -1 and 75 - last_comma <= backtrack:
                keep = last_comma + 1
                moved = (ids[keep:], mults[keep:])
                ids, mults = ids[:keep], mults[:keep]
                close()
                ids, mults = list(moved[0]), list(moved[1])
            if len(ids) == 75:
                close()
            ids.append(token)
            mults.append(weight)
    if ids or not chunks:
        close()
    return chunks


def ref_hidden(model, ids, *, layer=None, final_norm=False, pad_id=EOS):
    ids = list(ids)
    if pad_id != EOS:
        first = ids.index(EOS)
        ids = ids[: first + 1] + [pad_id] * (76 - first)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), output_hidden_states=True)
        if layer is None:
            z = out.last_hidden_state[0]
        else:
            z = out.hidden_states[layer][0]
            if final_norm:
                z = getattr(model, "text_model", model).final_layer_norm(z)
    pooled = out.text_embeds[0] if hasattr(out, "text_embeds") else None
    return z.float(), pooled


def ref_encode(batch_texts, encoders, hf_tokenizer, *, emphasis="Original", backtrack=20):
    """A1111 forward() for a batch of texts: windows, empty-chunk filling, per-window emphasis over the
    batch. ``encoders``: list of (model, layer, final_norm, pad_id). Returns per text (T, C) and pooled."""
    per_text = [ref_chunks(t, hf_tokenizer, backtrack=backtrack, parse=emphasis != "None") for t in batch_texts]
    n = max(len(c) for c in per_text)
    empty = ([BOS] + [EOS] * 76, [1.0] * 77)
    outs = [[] for _ in batch_texts]
    pooled = [None] * len(batch_texts)
    for w in range(n):
        window = [c[w] if w < len(c) else empty for c in per_text]
        parts = []
        for model, layer, final_norm, pad_id in encoders:
            zs, pools = [], []
            for ids, _ in window:
                z, p = ref_hidden(model, ids, layer=layer, final_norm=final_norm, pad_id=pad_id)
                zs.append(z)
                pools.append(p)
            z = torch.stack(zs)
            if emphasis in ("Original", "No norm"):
                before = z.mean()
                for b, (_, mults) in enumerate(window):
                    for t, m in enumerate(mults):
                        z[b, t] = z[b, t] * m
                if emphasis == "Original":
                    z = z * (before / z.mean())
            elif emphasis == "comfy":
                z_empty, _ = ref_hidden(model, empty[0], layer=layer, final_norm=final_norm, pad_id=pad_id)
                for b, (_, mults) in enumerate(window):
                    for t, m in enumerate(mults):
                        if m != 1.0:
                            z[b, t] = (z[b, t] - z_empty[t]) * m + z_empty[t]
            parts.append(z)
            if w == 0 and pools[0] is not None:
                pooled = pools
        z = torch.cat(parts, dim=-1)
        for b in range(len(batch_texts)):
            outs[b].append(z[b])
    return [torch.cat(o) for o in outs], pooled


def sd1_encoders(pipe, clip_skip=1):
    if clip_skip == 1:
        return [(pipe.text_encoder, None, False, EOS)]
    return [(pipe.text_encoder, -clip_skip, True, EOS)]


def close(a, b):
    return torch.allclose(a.float(), b.float(), atol=1e-5, rtol=1e-5)


# --- numerics -------------------------------------------------------------------------------------

WEIGHTED = "a photo of a (cat:1.3), [dog], ((masterpiece)), (blurry:0.5) background BREAK red sky"


@pytest.mark.parametrize(
    ("prompt", "emphasis", "clip_skip", "backtrack"),
    [
        (WEIGHTED, "Original", 1, 20),
        (WEIGHTED, "No norm", 1, 20),
        (WEIGHTED, "Ignore", 1, 20),
        (WEIGHTED, "None", 1, 20),
        (WEIGHTED, "comfy", 1, 20),
        (WEIGHTED, "Original", 2, 20),
        (LONG, "Original", 1, 20),
        (LONG, "Original", 2, 0),
        ("", "Original", 1, 20),
    ],
    ids=["original", "no-norm", "ignore", "none", "comfy", "clip-skip-2", "long-300", "long-skip2-nobacktrack", "empty"],
)
def test_sd1_matches_reference(sd1, prompt, emphasis, clip_skip, backtrack):
    cond = build_conditioning(sd1, prompt, "", steps=20, clip_skip=clip_skip, emphasis=emphasis, comma_backtrack=backtrack)
    (expected,), _ = ref_encode([prompt], sd1_encoders(sd1, clip_skip), sd1.tokenizer, emphasis=emphasis, backtrack=backtrack)
    got = cond.steps[0].prompt_embeds[0]
    assert got.shape == expected.shape and got.shape[0] % 77 == 0
    assert close(got, expected)
    assert cond.steps[0].negative_prompt_embeds.shape == cond.steps[0].prompt_embeds.shape


def test_long_prompt_has_windows_and_counts(sd1):
    cond = build_conditioning(sd1, LONG, "", steps=20)
    report = tokens.chunk_prompt(LONG)
    assert cond.steps[0].prompt_embeds.shape[1] == 77 * len(report.chunks) and len(report.chunks) >= 4
    assert cond.token_counts[0] == report.total


def test_original_restores_the_window_mean(sd1):
    cond = build_conditioning(sd1, "(a cat:1.5), [[dog]]", "", steps=20, emphasis="Original")
    plain = build_conditioning(sd1, "(a cat:1.5), [[dog]]", "", steps=20, emphasis="Ignore")
    got, base = cond.steps[0].prompt_embeds, plain.steps[0].prompt_embeds
    assert not close(got, base)
    assert torch.isclose(got.mean(), base.mean(), atol=1e-6)


def test_clip_skip_1_equals_diffusers(sd1):
    prompt = "a photo of a cat, masterpiece"
    cond = build_conditioning(sd1, prompt, "", steps=20, clip_skip=1)
    expected, _ = sd1.encode_prompt(prompt, "cpu", 1, False)
    assert close(cond.steps[0].prompt_embeds, expected)


@pytest.mark.parametrize("a1111_skip", [2, 3], ids=["skip2", "skip3"])
def test_clip_skip_mapping_matches_diffusers_formula(sd1, a1111_skip, tmp_path_factory):
    """A1111 "Clip skip N" == diffusers clip_skip N-1, i.e. hidden_states[-(k+1)] + final LayerNorm.
    (diffusers 0.42's own clip_skip path reads text_encoder.text_model, which transformers 5 removed, so
    the formula is applied here by hand.)"""
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(**{**sd1.text_encoder.config.to_dict(), "num_hidden_layers": 3})
    encoder = CLIPTextModel(config).eval()
    pipe = copy.copy(sd1)
    pipe.text_encoder = encoder
    prompt = "a photo of a cat, masterpiece"
    cond = build_conditioning(pipe, prompt, "", steps=20, clip_skip=a1111_skip)
    k = a1111_skip - 1
    ids = sd1.tokenizer(prompt, padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        hidden = encoder(ids, output_hidden_states=True).hidden_states[-(k + 1)]
        expected = encoder.final_layer_norm(hidden)
    assert close(cond.steps[0].prompt_embeds, expected)


def test_clip_skip_too_large(sd1):
    with pytest.raises(InvalidInputError, match="Clip skip 3 is too large"):
        build_conditioning(sd1, "a", "", steps=20, clip_skip=3)


def test_sd2_pads_after_first_eos_with_zero(sd2):
    prompt = "a (cat:1.2) BREAK dog"
    cond = build_conditioning(sd2, prompt, "", steps=20, clip_skip=2)
    (expected,), _ = ref_encode([prompt], [(sd2.text_encoder, None, False, 0)], sd2.tokenizer)
    assert close(cond.steps[0].prompt_embeds[0], expected)
    assert cond.family == "sd2" and any("SD2" in w for w in cond.warnings)


def test_sdxl_matches_reference(sdxl):
    prompt = "a (cat:1.2), [dog] BREAK " + LONG[:200]
    cond = build_conditioning(sdxl, prompt, "ugly", steps=20)
    encoders = [(sdxl.text_encoder, -2, False, EOS), (sdxl.text_encoder_2, -2, False, 0)]
    (expected,), (pooled,) = ref_encode([prompt], encoders, sdxl.tokenizer)
    step = cond.steps[0]
    assert step.prompt_embeds.shape[-1] == 32 + 64
    assert close(step.prompt_embeds[0], expected)
    assert close(step.pooled_prompt_embeds[0], pooled)
    assert step.negative_prompt_embeds.shape == step.prompt_embeds.shape


def test_sdxl_short_prompt_equals_diffusers(sdxl):
    prompt = "a photo of a cat"
    cond = build_conditioning(sdxl, prompt, "", steps=20)
    pe, npe, ppe, nppe = sdxl.encode_prompt(prompt, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=True)
    step = cond.steps[0]
    assert close(step.prompt_embeds, pe) and close(step.pooled_prompt_embeds, ppe)
    # empty SDXL negative prompt -> zeros (A1111 and diffusers' force_zeros_for_empty_prompt)
    assert close(step.negative_prompt_embeds, npe) and not step.negative_prompt_embeds.any()
    assert not step.negative_pooled_prompt_embeds.any()


def test_negative_of_different_length_padded_with_empty_prompt(sd1):
    cond = build_conditioning(sd1, LONG, "bad hands", steps=20)
    step = cond.steps[0]
    (neg,), _ = ref_encode(["bad hands"], sd1_encoders(sd1), sd1.tokenizer)
    (empty,), _ = ref_encode([""], sd1_encoders(sd1), sd1.tokenizer)
    n = step.prompt_embeds.shape[1] // 77
    assert step.negative_prompt_embeds.shape == step.prompt_embeds.shape and n > 1
    assert close(step.negative_prompt_embeds[0], torch.cat([neg] + [empty] * (n - 1)))


def test_schedule_texts_share_the_original_mean(sd1):
    """A1111 encodes a prompt's scheduled texts as one batch: [a|b] over 3 steps is (a, b, a)."""
    prompt = "(red:1.4) [cat|dog with a hat]"
    cond = build_conditioning(sd1, prompt, "", steps=3)
    expected, _ = ref_encode(["(red:1.4) cat", "(red:1.4) dog with a hat", "(red:1.4) cat"], sd1_encoders(sd1), sd1.tokenizer)
    assert [s.end_step for s in cond.steps] == [1, 2, 3]
    for step, exp in zip(cond.steps, expected):
        assert close(step.prompt_embeds[0], exp)


def test_prompt_editing_switch_step(sd1):
    cond = build_conditioning(sd1, "a [cat:dog:0.5]", "", steps=10)
    assert [s.prompt for s in cond.steps] == ["a cat", "a dog"]
    assert cond.switch_steps == (6,)  # A1111: steps 0..5 use "a cat" (step <= 5)
    assert cond.at_step(5) is cond.steps[0] and cond.at_step(6) is cond.steps[1]


def test_negative_schedule_joins_the_timeline(sd1):
    cond = build_conditioning(sd1, "a [cat:dog:0.5]", "[ugly::3]", steps=10)
    assert [(s.end_step, s.prompt, s.negative_prompt) for s in cond.steps] == [
        (3, "a cat", "ugly"), (5, "a cat", ""), (10, "a dog", "")
    ]


def test_hires_steps_schedule(sd1):
    cond = build_conditioning(sd1, "[cat:dog:1.5]", "", steps=10, hires_steps=8)
    assert [(s.end_step, s.prompt) for s in cond.steps] == [(4, "cat"), (8, "dog")]


def test_embedding_inserted_at_its_positions(sd1):
    vectors = torch.randn(3, 32, generator=torch.Generator().manual_seed(3))
    emb = Embedding("myemb", 3, {"clip": vectors})
    prompt = "a (myemb:1.2) cat"
    cond = build_conditioning(sd1, prompt, "", steps=20, embeddings={"myemb": emb})
    assert cond.used_embeddings == ("myemb",)
    # independent route: a copy of the text encoder with three new vocabulary rows
    encoder = copy.deepcopy(sd1.text_encoder)
    encoder.resize_token_embeddings(49408 + 3)
    with torch.no_grad():
        encoder.get_input_embeddings().weight[49408:] = vectors
    ids = [BOS, 320, 49408, 49409, 49410, 2368] + [EOS] * 71
    z, _ = ref_hidden(encoder, ids)
    mults = torch.tensor([1.0, 1.0, 1.2, 1.2, 1.2] + [1.0] * 72)
    expected = z * mults[:, None]
    expected = expected * (z.mean() / expected.mean())
    assert close(cond.steps[0].prompt_embeds[0], expected)


def test_embedding_of_wrong_width_is_skipped_with_warning(sd1):
    emb = Embedding("wide", 1, {"clip": torch.zeros(1, 768)})
    cond = build_conditioning(sd1, "a wide cat", "", steps=20, embeddings={"wide": emb})
    assert cond.used_embeddings == () and any("wide" in w for w in cond.warnings)


def test_and_uses_first_part_with_warning(sd1):
    cond = build_conditioning(sd1, "a cat AND a dog:0.5", "", steps=20)
    assert cond.steps[0].prompt == "a cat" and any("AND" in w for w in cond.warnings)


def test_emphasis_infotext(sd1):
    assert build_conditioning(sd1, "(cat)", "", steps=5, emphasis="No norm").extra_params == {"Emphasis": "No norm"}
    assert build_conditioning(sd1, "(cat)", "", steps=5).extra_params == {}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"steps": 0}, "steps"), ({"steps": 5, "clip_skip": 0}, "clip_skip"), ({"steps": 5, "emphasis": "x"}, "emphasis"),
     ({"steps": 5, "comma_backtrack": 80}, "comma_backtrack")],
    ids=["steps", "clip-skip", "emphasis", "backtrack"],
)
def test_bad_arguments(sd1, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        build_conditioning(sd1, "a", "", **kwargs)


# --- pipeline runs --------------------------------------------------------------------------------

def test_sd1_pipeline_switches_embeds_per_step(sd1):
    cond = build_conditioning(sd1, "a [cat:dog:0.5], (masterpiece:1.2)", "bad", steps=4)
    seen = []

    def progress(pipe, step, timestep, kwargs):
        seen.append((step, kwargs["prompt_embeds"].clone()))
        return {}

    out = sd1(num_inference_steps=4, height=64, width=64, guidance_scale=5.0, output_type="np",
              generator=torch.Generator().manual_seed(0), **cond.pipeline_kwargs(progress))
    assert out.images.shape == (1, 64, 64, 3)
    assert cond.switch_steps == (3,)
    for step, embeds in seen:  # after step i the tensor for step i + 1 is in place, cat([negative, positive])
        entry = cond.at_step(step + 1)
        assert close(embeds, torch.cat([entry.negative_prompt_embeds, entry.prompt_embeds]))


def test_sdxl_pipeline_runs_with_kwargs(sdxl):
    cond = build_conditioning(sdxl, "[a cat|a dog], (sky:1.2)", "", steps=2)
    kwargs = cond.pipeline_kwargs()
    assert set(kwargs) >= {"pooled_prompt_embeds", "negative_pooled_prompt_embeds", "callback_on_step_end"}
    assert kwargs["callback_on_step_end_tensor_inputs"] == ["prompt_embeds", "add_text_embeds"]
    out = sdxl(num_inference_steps=2, height=64, width=64, guidance_scale=5.0, output_type="np",
               num_images_per_prompt=2, generator=torch.Generator().manual_seed(0), **kwargs)
    assert out.images.shape == (2, 64, 64, 3)


def test_no_callback_when_nothing_switches(sd1):
    kwargs = build_conditioning(sd1, "a cat", "", steps=5).pipeline_kwargs()
    assert set(kwargs) == {"prompt_embeds", "negative_prompt_embeds"}


# --- AND (composable diffusion) -------------------------------------------------------------------

def test_composable_keeps_parts_and_weights(sd1):
    cond = build_conditioning(sd1, "a cat AND " + LONG + " :0.5", "", steps=20, composable=True)
    (step,) = cond.steps
    assert [(p.text.strip()[:5], p.weight) for p in step.parts] == [("a cat", 1.0), ("tag0 ", 0.5)]
    (cat,), _ = ref_encode(["a cat"], sd1_encoders(sd1), sd1.tokenizer)
    (long,), _ = ref_encode([LONG + " "], sd1_encoders(sd1), sd1.tokenizer)
    first, second = (p.embeds[0] for p in step.parts)
    assert first.shape == second.shape == long.shape
    # the shorter part repeats its last vector (A1111's stack_conds)
    assert close(first[:77], cat) and close(first[77:], cat[-1:].expand(first.shape[0] - 77, -1))
    assert close(second, long)
    assert cond.composable


def test_composable_needs_the_wrapper(sd1):
    cond = build_conditioning(sd1, "a AND b", "", steps=5, composable=True)
    with pytest.raises(InvalidInputError, match="wrap_unet"):
        cond.pipeline_kwargs()


def test_wrapper_combines_parts_like_a1111(sd1):
    cond = build_conditioning(sd1, "a cat AND a dog :0.7 AND red:-0.3", "ugly", steps=5, composable=True)
    step = cond.steps[0]
    wrapper = cond.wrap_unet(sd1.unet)
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    sample = torch.cat([latents, latents])
    t = torch.tensor(500)
    with torch.no_grad():
        got = wrapper(sample, t, torch.cat([step.negative_prompt_embeds, step.prompt_embeds]), return_dict=False)[0]
        uncond = sd1.unet(latents, t, step.negative_prompt_embeds).sample
        expected = uncond.clone()
        for part in step.parts:
            expected += (sd1.unet(latents, t, part.embeds).sample - uncond) * part.weight
    assert [p.weight for p in step.parts] == [1.0, 0.7, -0.3]
    assert close(got[:1], uncond) and close(got[1:], expected)
    assert wrapper.config is sd1.unet.config and wrapper.dtype == sd1.unet.dtype


def _run(pipe, cond, unet=None, steps=3):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    cls = StableDiffusionXLPipeline if cond.family == "sdxl" else StableDiffusionPipeline
    call_pipe = cls(**{**pipe.components, **({"unet": unet} if unet is not None else {})})
    kwargs = cond.pipeline_kwargs(unet=unet)
    return call_pipe(num_inference_steps=steps, height=64, width=64, guidance_scale=6.0, output_type="np",
                     generator=torch.Generator().manual_seed(1), **kwargs).images


@pytest.mark.parametrize("family", ["sd1", "sdxl"])
def test_and_of_two_halves_equals_the_plain_prompt(request, family):
    pipe = request.getfixturevalue(family)
    plain = build_conditioning(pipe, "a [cat|dog]", "bad", steps=3)
    halves = build_conditioning(pipe, "a [cat|dog] :0.5 AND a [cat|dog] :0.5", "bad", steps=3, composable=True)
    other = build_conditioning(pipe, "a [cat|dog] AND blue sky :0.8", "bad", steps=3, composable=True)
    reference = _run(pipe, plain)
    assert abs(_run(pipe, halves, halves.wrap_unet(pipe.unet)) - reference).max() < 1e-4
    assert abs(_run(pipe, other, other.wrap_unet(pipe.unet)) - reference).max() > 1e-3
