"""A1111-compatible conditioning for diffusers pipelines, passed in as ``prompt_embeds``.

``build_conditioning`` reads the prompt as AUTOMATIC1111 does (``shared/spec/weighting.md``):
schedules (``[a:b:when]``, ``[a|b]``) per step, emphasis, 75-token windows with comma backtrack and
``BREAK``, textual-inversion embeddings, CLIP skip in A1111's numbering, SD2's OpenCLIP padding and
SDXL's two encoders (penultimate layers concatenated, pooled output from the second). Each distinct
scheduled text is encoded once, tokenized per encoder as A1111 does (CLIP-L: transformers' cleaning;
SD2's and SDXL's OpenCLIP: open_clip's, which also unescapes HTML entities);
``Conditioning.pipeline_kwargs()`` gives the kwargs for the pipeline call, with a ``callback_on_step_end`` that swaps the embeddings at the steps where the prompt
changes.

Differences from A1111, all deliberate and reported in ``Conditioning.warnings`` where they apply:
- prompt and negative prompt of different lengths are padded with the encoded empty prompt (A1111's
  "pad prompt/negative prompt to be same length" option) because diffusers batches them together;
- ``AND`` (composable diffusion) is not available through ``prompt_embeds``: only the first part is
  used, with a warning; a single part's trailing ``:weight`` is ignored, with a warning.
- when SDXL's two tokenizers give a text a different number of 75-token windows (HTML entities can do
  that), A1111 cannot concatenate the two encodings and fails; promptlab pads the shorter one with
  empty windows and warns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from promptlab.backend.conditioning_result import Conditioning, ConditioningPart, ConditioningStep, StepCallback
from promptlab.backend.text_encode import EMPTY_CHUNK, ClipEncoder, TextGroup, encode_groups, encode_window
from promptlab.errors import InvalidInputError
from promptlab.i18n import t as tr
from promptlab.tokens import EOS, Chunk, Emphasis, TiBacktrack, check_comma_backtrack, chunk_prompt, get_tokenizer

__all__ = ["Conditioning", "ConditioningPart", "ConditioningStep", "StepCallback", "build_conditioning"]

if TYPE_CHECKING:
    import torch

    from promptlab.backend.embeddings import Embedding, EmbeddingSet


def build_conditioning(
    pipe: Any,
    prompt: str,
    negative_prompt: str = "",
    *,
    steps: int,
    clip_skip: int = 1,
    emphasis: str | Emphasis = "Original",
    comma_backtrack: int = 20,
    embeddings: EmbeddingSet | Mapping[str, Embedding] | None = None,
    hires_steps: int | None = None,
    sdxl_clip_l_skip: bool = False,
    composable: bool = False,
    ti_backtrack: str | TiBacktrack = TiBacktrack.A1111,
) -> Conditioning:
    """Conditioning of ``prompt``/``negative_prompt`` for ``pipe`` (a StableDiffusionPipeline or
    StableDiffusionXLPipeline); ``prompt`` already has ``<lora:...>`` removed. ``steps`` are the
    sampling steps (with ``hires_steps``: the hires pass, as A1111's schedules).

    ``composable=True`` keeps every ``AND`` part and its weight; the caller then runs the pipeline with
    ``cond.wrap_unet(pipe.unet)`` as its UNet and passes ``unet=`` to ``pipeline_kwargs`` (see
    ``promptlab.backend.composable``). Otherwise only the first part is used, with a warning.
    ``ti_backtrack``: where the comma backtrack leaves a textual-inversion embedding (``promptlab.tokens.chunking``)."""
    from promptlab.syntax.a1111 import get_learned_conditioning_prompt_schedules, get_multicond_prompt_list

    # 1. check inputs
    mode = Emphasis.parse(emphasis)
    check_comma_backtrack(comma_backtrack)
    ti_mode = TiBacktrack.parse(ti_backtrack)
    _check_positive_int("steps", steps)
    _check_positive_int("clip_skip", clip_skip)
    if hires_steps is not None:
        _check_positive_int("hires_steps", hires_steps)
    warnings: list[str] = []

    # 2. encoders and embeddings this model can use
    family, encoders = _encoders_for(pipe, clip_skip, sdxl_clip_l_skip, warnings)
    usable = _usable_embeddings(embeddings, encoders, warnings)
    vector_counts = {name: emb.vectors for name, emb in usable.items()}

    # 3. AND parts and schedules
    indexes, flat, _ = get_multicond_prompt_list([prompt])
    parts = [(flat[index], weight) for index, weight in indexes[0]]
    if not composable and len(parts) > 1:
        warnings.append(tr("cond.warn.and_first_part", "en", part=repr(parts[0][0].strip()), n=len(parts) - 1))
        parts = parts[:1]
    if not composable and parts[0][1] != 1.0:
        warnings.append(tr("cond.warn.trailing_weight", "en", weight=f"{parts[0][1]:g}"))
        parts = [(parts[0][0], 1.0)]
    part_schedules = get_learned_conditioning_prompt_schedules([t for t, _ in parts], steps, hires_steps)
    neg_schedule = get_learned_conditioning_prompt_schedules([negative_prompt], steps, hires_steps)[0]

    # 4. chunk each distinct text once per tokenizer (A1111 encodes a schedule's texts together: counts
    #    keep its means); SDXL's two tokenizers may disagree on the number of windows
    norms = list(dict.fromkeys(enc.normalization for enc in encoders))
    used: set[str] = set()

    def chunked(schedule: list) -> tuple[list[str], list[int], dict[str, list], list[int], list[int]]:
        texts = list(dict.fromkeys(text for _, text in schedule))
        counts = [sum(1 for _, t in schedule if t == text) for text in texts]
        reports = {
            norm: [
                chunk_prompt(t, comma_backtrack=comma_backtrack, emphasis=mode, embeddings=vector_counts or None,
                             tokenizer=get_tokenizer(norm), ti_backtrack=ti_mode)
                for t in texts
            ]
            for norm in norms
        }
        used.update(s.name for rs in reports.values() for r in rs for c in r.chunks for s in c.embeddings)
        windows = [max(len(reports[n][i].chunks) for n in norms) for i in range(len(texts))]
        for i, text in enumerate(texts):
            if any(len(reports[n][i].chunks) != windows[i] for n in norms):
                warnings.append(tr("cond.warn.sdxl_windows", "en", text=repr(text[:40])))
        chunk_lists = {n: [_pad_chunks(reports[n][i].chunks, windows[i]) for i in range(len(texts))] for n in norms}
        totals = [max(reports[n][i].total for n in norms) for i in range(len(texts))]
        return texts, counts, chunk_lists, windows, totals

    part_chunks = [chunked(schedule) for schedule in part_schedules]
    neg_texts, neg_counts, neg_lists, neg_window_counts, neg_totals = chunked(neg_schedule)

    # 5. encode with every encoder (SDXL concatenates the channels), all texts in one batched forward
    import torch

    zero_negative = family == "sdxl" and all(t == "" for t in neg_texts)
    cond_windows = max(w for _, _, _, windows, _ in part_chunks for w in windows)
    neg_windows = max(neg_window_counts)
    need_empty = cond_windows != neg_windows
    groups: dict[str, list[TextGroup]] = {}
    for norm in norms:
        groups[norm] = [TextGroup(lists[norm], mode, counts) for _, counts, lists, _, _ in part_chunks]
        if not zero_negative:
            groups[norm].append(TextGroup(neg_lists[norm], mode, neg_counts))
        if need_empty:
            groups[norm].append(TextGroup([(EMPTY_CHUNK,)], Emphasis.IGNORE))
    encoded = _encode_all(encoders, groups, mode, usable)
    part_z = [encoded[i] for i in range(len(parts))]
    if zero_negative:
        # A1111 (like diffusers' force_zeros_for_empty_prompt) uses zeros for an empty SDXL negative prompt
        ref_z, ref_pooled = part_z[0][0][0], part_z[0][1][0]
        neg_z = [torch.zeros(77 * neg_windows, ref_z.shape[-1], device=ref_z.device) for _ in neg_texts]
        neg_pooled = [torch.zeros_like(ref_pooled) for _ in neg_texts]
    else:
        neg_z, neg_pooled = encoded[len(parts)]
    empty_z = encoded[-1][0][0] if need_empty else None

    # 6. AND parts of different lengths repeat their last vector (A1111's stack_conds); then prompt and
    #    negative prompt are padded to the same length with the empty prompt's encoding
    length = 77 * cond_windows
    part_z = [([_repeat_last(z, length) for z in zs], pooled) for zs, pooled in part_z]
    if empty_z is not None:
        length = 77 * max(cond_windows, neg_windows)
        part_z = [([_pad_with_empty(z, empty_z, length) for z in zs], pooled) for zs, pooled in part_z]
        neg_z = [_pad_with_empty(z, empty_z, length) for z in neg_z]

    # 7. one entry per stretch of steps where no text changes
    entries = []
    for end_step, texts in _timeline([*part_schedules, neg_schedule]):
        n = neg_texts.index(texts[-1])
        step_parts = []
        for (part_texts, *_), (zs, pooled), text, (_, weight) in zip(part_chunks, part_z, texts, parts):
            i = part_texts.index(text)
            step_parts.append(
                ConditioningPart(text, weight, zs[i].unsqueeze(0), pooled[i].unsqueeze(0) if family == "sdxl" else None)
            )
        first = step_parts[0]
        entries.append(
            ConditioningStep(
                end_step=end_step,
                prompt_embeds=first.embeds,
                negative_prompt_embeds=neg_z[n].unsqueeze(0),
                pooled_prompt_embeds=first.pooled,
                negative_pooled_prompt_embeds=neg_pooled[n].unsqueeze(0) if family == "sdxl" else None,
                prompt=first.text,
                negative_prompt=texts[-1],
                parts=tuple(step_parts),
            )
        )
    extra: dict[str, str] = {}
    if mode is not Emphasis.ORIGINAL and any(ch in prompt + negative_prompt for ch in "(["):
        extra["Emphasis"] = mode.value
    hashes = [f"{name.replace(':', '').replace(',', '')}: {usable[name].shorthash}" for name in sorted(used)
              if usable[name].shorthash]
    if hashes:
        extra["TI hashes"] = ", ".join(hashes)
    return Conditioning(
        family=family,
        steps=tuple(entries),
        warnings=tuple(warnings),
        extra_params=extra,
        used_embeddings=tuple(sorted(used)),
        token_counts=(max(t for *_, totals in part_chunks for t in totals), max(neg_totals)),
    )


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}.")


def _encoders_for(pipe: Any, clip_skip: int, sdxl_clip_l_skip: bool, warnings: list[str]) -> tuple[str, list[ClipEncoder]]:
    text_encoder = getattr(pipe, "text_encoder", None)
    if text_encoder is None:
        raise InvalidInputError("This pipeline has no text encoder; promptlab's conditioning needs a SD1/SD2/SDXL pipeline.")
    if int(text_encoder.config.vocab_size) < 49408:
        raise InvalidInputError("The text encoder does not use CLIP's 49,408-token vocabulary; use an SD1/SD2/SDXL model.")
    text_encoder_2 = getattr(pipe, "text_encoder_2", None)
    if text_encoder_2 is not None:
        if clip_skip > 1 and not sdxl_clip_l_skip:
            warnings.append(tr("cond.warn.clip_skip_sdxl", "en"))
        layer_l = -clip_skip if sdxl_clip_l_skip else -2
        _check_layer(layer_l, text_encoder)
        return "sdxl", [
            ClipEncoder(text_encoder, _pad_id(pipe, "tokenizer", EOS), layer_l, False, "clip_l"),
            ClipEncoder(text_encoder_2, _pad_id(pipe, "tokenizer_2", 0), -2, False, "clip_g", pooled=True,
                        normalization="open_clip"),
        ]
    pad = _pad_id(pipe, "tokenizer", EOS)
    if pad != EOS:  # OpenCLIP (SD2.x): A1111 has no CLIP skip there
        if clip_skip > 1:
            warnings.append(tr("cond.warn.clip_skip_sd2", "en"))
        return "sd2", [ClipEncoder(text_encoder, pad, None, False, "clip", normalization="open_clip")]
    if clip_skip == 1:
        return "sd1", [ClipEncoder(text_encoder, pad, None, False, "clip")]
    _check_layer(-clip_skip, text_encoder)
    return "sd1", [ClipEncoder(text_encoder, pad, -clip_skip, True, "clip")]


def _check_layer(index: int, model: Any) -> None:
    layers = int(model.config.num_hidden_layers)
    if -index > layers:
        raise InvalidInputError(f"Clip skip {-index} is too large: this text encoder has {layers} layers.")


def _pad_id(pipe: Any, attr: str, default: int) -> int:
    tokenizer = getattr(pipe, attr, None)
    pad = getattr(tokenizer, "pad_token_id", None)
    return int(pad) if pad is not None else default


def _usable_embeddings(embeddings, encoders: list[ClipEncoder], warnings: list[str]) -> dict[str, Embedding]:
    if not embeddings:
        return {}
    items = embeddings.embeddings if hasattr(embeddings, "embeddings") else embeddings
    usable = {}
    for name, emb in items.items():
        dims = emb.dims()
        if all(enc.embedding_key in dims and dims[enc.embedding_key] == enc.hidden_size for enc in encoders):
            usable[name] = emb
        else:
            want = ", ".join(f"{e.embedding_key}={e.hidden_size}" for e in encoders)
            warnings.append(tr("cond.warn.embedding_skipped", "en", name=repr(name), dims=dims, want=want))
    return usable


def _pad_chunks(chunks: tuple[Chunk, ...], windows: int) -> tuple[Chunk, ...]:
    return tuple(chunks) + (EMPTY_CHUNK,) * (windows - len(chunks))


def _encode_all(encoders: list[ClipEncoder], groups: Mapping[str, list[TextGroup]], mode: Emphasis,
                usable) -> list[tuple[list, list]]:
    """Per group: (per text (T, C_total) tensors, per text pooled or None); each encoder reads the
    groups chunked by its own tokenizer."""
    import torch

    per_encoder = []
    pooled: list | None = None
    for enc in encoders:
        z_empty = encode_window(enc, [EMPTY_CHUNK])[0] if mode is Emphasis.COMFY else None
        batches = encode_groups(enc, groups[enc.normalization], usable, z_empty)
        per_encoder.append(batches)
        if enc.pooled:
            pooled = [b.pooled for b in batches]
    results = []
    for g in range(len(next(iter(groups.values())))):
        zs = [torch.cat(parts, dim=-1) for parts in zip(*(batches[g].windows for batches in per_encoder))]
        results.append((zs, pooled[g] if pooled is not None else [None] * len(zs)))
    return results


def _pad_with_empty(z: torch.Tensor, empty: torch.Tensor, length: int) -> torch.Tensor:
    import torch

    missing = (length - z.shape[0]) // empty.shape[0]
    return torch.cat([z, *[empty] * missing]) if missing > 0 else z


def _timeline(schedules: list[list]) -> list[tuple[int, tuple[str, ...]]]:
    """Merge several ``[end_step, text]`` schedules into stretches where no text changes."""

    def text_at(schedule: list, step: int) -> str:
        for end, text in schedule:
            if step <= end:
                return text
        return schedule[-1][1]

    out: list[tuple[int, tuple[str, ...]]] = []
    for end in sorted({int(e) for schedule in schedules for e, _ in schedule}):
        texts = tuple(text_at(schedule, end) for schedule in schedules)
        if out and out[-1][1] == texts:
            out[-1] = (end, texts)
        else:
            out.append((end, texts))
    return out


def _repeat_last(z: torch.Tensor, length: int) -> torch.Tensor:
    import torch

    missing = length - z.shape[0]
    return torch.cat([z, z[-1:].repeat(missing, 1)]) if missing > 0 else z
