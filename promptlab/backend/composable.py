"""Composable diffusion (A1111's ``AND``) for diffusers pipelines.

A1111 combines, per step, ``denoised = uncond + sum_i (cond_i - uncond) * weight_i * cfg_scale``.
diffusers applies ``uncond + cfg_scale * (text - uncond)`` to the UNet output of the batch
``[negative, positive]``, so a UNet that returns ``text = uncond + sum_i weight_i * (eps_i - uncond)``
for the positive half gives exactly A1111's result. ``ComposableUNet`` does that: it evaluates every
AND part in one batched call of the wrapped UNet and returns the combined positive half. It is built
per generation call (it holds the current step) and never modifies the wrapped UNet.

The negative half is needed: promptlab's pipelines always run it, at every CFG scale, as A1111 does
(``promptlab.backend.guidance``); a pipeline without it (a guidance-embedding model) gets the first
part only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptlab.backend.conditioning import Conditioning


def _module_base():
    import torch

    return torch.nn.Module


class ComposableUNet(_module_base()):  # type: ignore[misc]
    def __init__(self, unet: Any, cond: Conditioning) -> None:
        super().__init__()
        self.unet = unet
        self._cond = cond
        self.step = 0

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["unet"], name)

    def forward(self, sample, timestep, encoder_hidden_states, *args, added_cond_kwargs=None, return_dict=True, **kwargs):
        import torch

        entry = self._cond.at_step(self.step)
        parts = entry.parts
        half = sample.shape[0] // 2
        cfg = sample.shape[0] % 2 == 0 and half > 0 and torch.equal(sample[:half], sample[half:])
        if len(parts) <= 1 and (not parts or parts[0].weight == 1.0) or not cfg:
            return self.unet(sample, timestep, encoder_hidden_states, *args,
                             added_cond_kwargs=added_cond_kwargs, return_dict=return_dict, **kwargs)
        n = len(parts)
        dtype, device = encoder_hidden_states.dtype, encoder_hidden_states.device
        ehs = torch.cat([encoder_hidden_states[:half]] + [
            p.embeds.to(device=device, dtype=dtype).repeat(half, 1, 1) for p in parts
        ])
        big_sample = torch.cat([sample[:half]] + [sample[half:]] * n)
        big_t = timestep
        if torch.is_tensor(timestep) and timestep.dim() > 0 and timestep.shape[0] == sample.shape[0]:
            big_t = torch.cat([timestep[:half]] + [timestep[half:]] * n)
        big_added = None
        if added_cond_kwargs is not None:
            big_added = dict(added_cond_kwargs)
            text_embeds = added_cond_kwargs.get("text_embeds")
            if text_embeds is not None:
                big_added["text_embeds"] = torch.cat([text_embeds[:half]] + [
                    p.pooled.to(device=text_embeds.device, dtype=text_embeds.dtype).repeat(half, 1) for p in parts
                ])
            time_ids = added_cond_kwargs.get("time_ids")
            if time_ids is not None:
                big_added["time_ids"] = torch.cat([time_ids[:half]] + [time_ids[half:]] * n)
        if kwargs.get("timestep_cond") is not None:
            cond_t = kwargs["timestep_cond"]
            kwargs["timestep_cond"] = torch.cat([cond_t[:half]] + [cond_t[half:]] * n)
        out = self.unet(big_sample, big_t, ehs, *args, added_cond_kwargs=big_added, return_dict=False, **kwargs)[0]
        uncond = out[:half]
        combined = uncond.clone()
        for i, part in enumerate(parts):
            eps = out[half * (i + 1) : half * (i + 2)]
            combined = combined + (eps - uncond) * part.weight
        result = torch.cat([uncond, combined])
        if return_dict:
            from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

            return UNet2DConditionOutput(sample=result)
        return (result,)
