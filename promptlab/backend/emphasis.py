"""Emphasis: how token weights are applied to CLIP's output, per 77-token window.

A1111 (``modules/sd_emphasis.py``) applies the multipliers to the transformer OUTPUT of each window,
for the whole batch of texts encoded together:
- Original: multiply each token vector by its weight, then rescale so the window's mean (over batch,
  tokens and channels) is what it was before;
- No norm: multiply only; Ignore / None: leave the output as it is;
- comfy (ComfyUI): ``z_empty + (z - z_empty) * w`` with ``z_empty`` the empty prompt's encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from promptlab.tokens import Emphasis

if TYPE_CHECKING:
    import torch


def apply_emphasis(
    z: torch.Tensor,
    multipliers: torch.Tensor,
    mode: Emphasis,
    z_empty: torch.Tensor | None = None,
    row_counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """``z`` (batch, 77, channels) float32, ``multipliers`` (batch, 77) -> weighted ``z``.

    ``row_counts``: how many times each row stands in the batch (A1111 encodes a schedule's texts with
    repeats, e.g. ``[a|b]`` as a, b, a, b, ...); the Original mean is weighted accordingly, so encoding
    each distinct text once gives A1111's numbers.
    """
    if mode in (Emphasis.IGNORE, Emphasis.NONE):
        return z
    weights = multipliers.to(dtype=z.dtype, device=z.device)[..., None]
    if mode is Emphasis.NO_NORM:
        return z * weights
    if mode is Emphasis.ORIGINAL:
        weighted = z * weights
        new_mean = _batch_mean(weighted, row_counts)
        if new_mean == 0:  # only with degenerate weights; A1111 would produce NaN here
            return weighted
        return weighted * (_batch_mean(z, row_counts) / new_mean)
    if mode is Emphasis.COMFY:
        if z_empty is None:
            raise ValueError("comfy emphasis needs the empty prompt's encoding")
        empty = z_empty.to(dtype=z.dtype, device=z.device).expand_as(z)
        import torch

        return torch.where(weights != 1.0, empty + (z - empty) * weights, z)
    raise ValueError(f"unknown emphasis mode {mode!r}")


def _batch_mean(z: torch.Tensor, row_counts: torch.Tensor | None) -> torch.Tensor:
    if row_counts is None:
        return z.mean()
    counts = row_counts.to(dtype=z.dtype, device=z.device)
    return (z.mean(dim=(1, 2)) * counts).sum() / counts.sum()
