"""Run a diffusers pipeline's CLIP text encoder(s) on promptlab's 77-token windows.

One ``ClipEncoder`` per text encoder says which hidden state is the conditioning (CLIP skip, SDXL's
penultimate layer), which id pads after the first EOS (OpenCLIP: 0) and which embedding tensor
(``clip``/``clip_l``/``clip_g``) fills textual-inversion slots. Textual-inversion vectors are put in
place of the token embeddings through a forward hook on the token-embedding layer that only acts for
the calling thread, so a shared encoder used concurrently by another thread is not affected.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptlab.backend.emphasis import apply_emphasis
from promptlab.tokens import BOS, EOS, Chunk, Emphasis

if TYPE_CHECKING:
    import torch

    from promptlab.backend.embeddings import Embedding

EMPTY_CHUNK = Chunk(token_ids=(BOS,) + (EOS,) * 76, multipliers=(1.0,) * 77, count=0)


@dataclass(frozen=True)
class ClipEncoder:
    model: Any  # transformers CLIPTextModel / CLIPTextModelWithProjection
    pad_id: int
    layer: int | None  # None: last_hidden_state (final LayerNorm applied); k: hidden_states[k]
    final_norm: bool  # apply the final LayerNorm to hidden_states[k]
    embedding_key: str  # "clip", "clip_l" or "clip_g"
    pooled: bool = False  # also return the projected pooled output (SDXL's second encoder)
    normalization: str = "a1111"  # the tokenizer's text clean-up: "a1111" (CLIP-L) or "open_clip" (SD2, SDXL-G)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def num_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)


@dataclass(frozen=True)
class EncodedBatch:
    windows: list  # per text: (chunks*77, C) float32 tensor
    pooled: list  # per text: (P,) tensor or None (from the text's first window, as A1111)


@dataclass(frozen=True)
class TextGroup:
    """Texts encoded together as one A1111 batch (emphasis means are taken over the group)."""

    chunk_lists: Sequence[Sequence[Chunk]]
    emphasis: Emphasis
    row_counts: Sequence[int] | None = None


MAX_ROWS_PER_FORWARD = 64


def encode_groups(
    encoder: ClipEncoder,
    groups: Sequence[TextGroup],
    embeddings: Mapping[str, Embedding] | None = None,
    z_empty: torch.Tensor | None = None,
) -> list[EncodedBatch]:
    """Encode several groups of texts with as few transformer calls as possible (all windows of all
    groups are batched: windows are independent until emphasis), then apply emphasis per window over
    each group, as A1111 does for one batch: a text with fewer windows gets the empty chunk."""
    import torch

    rows: list[Chunk] = []
    layout = []  # per group, per window: slice of rows
    for group in groups:
        n_windows = max(len(chunks) for chunks in group.chunk_lists)
        windows = []
        for w in range(n_windows):
            start = len(rows)
            rows.extend(chunks[w] if w < len(chunks) else EMPTY_CHUNK for chunks in group.chunk_lists)
            windows.append(slice(start, len(rows)))
        layout.append(windows)
    zs, pools = [], []
    for start in range(0, len(rows), MAX_ROWS_PER_FORWARD):
        z, pool = encode_window(encoder, rows[start : start + MAX_ROWS_PER_FORWARD], embeddings)
        zs.append(z)
        pools.append(pool)
    z_all = torch.cat(zs)
    pooled_all = torch.cat(pools) if pools[0] is not None else None
    results = []
    for group, windows in zip(groups, layout):
        counts = torch.tensor(group.row_counts, dtype=torch.float32) if group.row_counts is not None else None
        per_text: list[list[torch.Tensor]] = [[] for _ in group.chunk_lists]
        for rows_slice in windows:
            batch = rows[rows_slice]
            multipliers = torch.tensor([c.multipliers for c in batch], dtype=torch.float32)
            z = apply_emphasis(z_all[rows_slice], multipliers, group.emphasis, z_empty, counts)
            for i in range(len(batch)):
                per_text[i].append(z[i])
        first = windows[0]
        pooled = [pooled_all[first.start + i] if pooled_all is not None else None for i in range(len(group.chunk_lists))]
        results.append(EncodedBatch([torch.cat(parts, dim=0) for parts in per_text], pooled))
    return results


def encode_texts(
    encoder: ClipEncoder,
    chunk_lists: Sequence[Sequence[Chunk]],
    emphasis: Emphasis,
    embeddings: Mapping[str, Embedding] | None = None,
    z_empty: torch.Tensor | None = None,
    row_counts: Sequence[int] | None = None,
) -> EncodedBatch:
    """One group of texts (see ``encode_groups``)."""
    return encode_groups(encoder, [TextGroup(chunk_lists, emphasis, row_counts)], embeddings, z_empty)[0]


def encode_window(
    encoder: ClipEncoder, batch: Sequence[Chunk], embeddings: Mapping[str, Embedding] | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One 77-id window for each text -> (batch, 77, C) float32 hidden states [, pooled]."""
    import torch

    model = encoder.model
    device = next(model.parameters()).device
    rows = [list(c.token_ids) for c in batch]
    if encoder.pad_id != EOS:  # OpenCLIP pads with 0 after the first EOS
        for row in rows:
            first_eos = row.index(EOS)
            row[first_eos + 1 :] = [encoder.pad_id] * (len(row) - first_eos - 1)
    ids = torch.tensor(rows, dtype=torch.long, device=device)
    fixes = _embedding_fixes(encoder, batch, embeddings)
    need_hidden = encoder.layer is not None
    with torch.no_grad(), _inject(model, fixes):
        out = model(input_ids=ids, output_hidden_states=need_hidden)
    if encoder.layer is None:
        z = out.last_hidden_state
    else:
        z = out.hidden_states[encoder.layer]
        if encoder.final_norm:
            with torch.no_grad():
                z = _text_transformer(model).final_layer_norm(z)
    pooled = out.text_embeds if encoder.pooled else None
    return z.float(), (pooled.float() if pooled is not None else None)


def _text_transformer(model: Any) -> Any:
    # transformers 5: CLIPTextModel is the transformer; CLIPTextModelWithProjection wraps it in .text_model
    return getattr(model, "text_model", model)


def _embedding_fixes(encoder: ClipEncoder, batch: Sequence[Chunk], embeddings) -> list[tuple[int, int, Any]]:
    fixes = []
    for row, chunk in enumerate(batch):
        for slot in chunk.embeddings:
            emb = embeddings[slot.name] if embeddings else None
            if emb is None:
                raise KeyError(f"embedding {slot.name!r} was placed but not provided")
            fixes.append((row, slot.offset + 1, emb.tensors[encoder.embedding_key]))
    return fixes


class _inject:
    """Context manager: replace token embeddings at (row, position) for calls from this thread."""

    def __init__(self, model: Any, fixes: list[tuple[int, int, Any]]) -> None:
        self.model, self.fixes, self.handle = model, fixes, None

    def __enter__(self) -> _inject:
        if not self.fixes:
            return self
        thread = threading.get_ident()
        fixes = self.fixes

        def hook(_module, _inputs, output):
            if threading.get_ident() != thread:
                return output
            output = output.clone()
            for row, position, vectors in fixes:
                output[row, position : position + vectors.shape[0]] = vectors.to(output.device, output.dtype)
            return output

        self.handle = self.model.get_input_embeddings().register_forward_hook(hook)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.remove()
