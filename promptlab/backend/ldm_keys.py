"""Diffusers component state dicts -> the original (LDM / A1111 single-file) key layout.

The inverse of what diffusers' ``from_single_file`` converters do. promptlab needs it to write tiny
test checkpoints that load through exactly the same single-file path as real A1111 checkpoints
(diffusers ships only the LDM -> diffusers direction inside the library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
SD1_CLIP_PREFIX = "cond_stage_model.transformer."
SD2_OPENCLIP_PREFIX = "cond_stage_model.model."
SDXL_CLIP_L_PREFIX = "conditioner.embedders.0.transformer."
SDXL_OPENCLIP_PREFIX = "conditioner.embedders.1.model."

_UNET_TOP = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_UNET_RESNET = (
    ("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"), ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection"),
)


def unet_to_ldm(state: dict[str, torch.Tensor], config: dict[str, Any]) -> dict[str, torch.Tensor]:
    per_block = int(config["layers_per_block"]) + 1
    up_has_attention = ["CrossAttn" in name for name in config["up_block_types"]]
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        out[UNET_PREFIX + _unet_key(key, per_block, up_has_attention)] = value
    return out


def _unet_key(key: str, per_block: int, up_has_attention: list[bool]) -> str:
    parts = key.split(".")
    for src, dst in _UNET_TOP.items():
        if key.startswith(src + "."):
            return dst + key[len(src):]
    if parts[0] == "down_blocks":
        block = int(parts[1])
        if parts[2] == "downsamplers":  # down_blocks.i.downsamplers.0.conv.* -> input_blocks.n.0.op.*
            return f"input_blocks.{per_block * (block + 1)}.0.op." + ".".join(parts[5:])
        layer = int(parts[3])
        index = per_block * block + layer + 1
        rest = ".".join(parts[4:])
        if parts[2] == "resnets":
            return f"input_blocks.{index}.0." + _resnet_rest(rest)
        return f"input_blocks.{index}.1." + rest
    if parts[0] == "up_blocks":
        block = int(parts[1])
        if parts[2] == "upsamplers":  # after the attention when the block has one
            slot = 2 if up_has_attention[block] else 1
            return f"output_blocks.{per_block * block + per_block - 1}.{slot}.conv." + ".".join(parts[5:])
        layer = int(parts[3])
        index = per_block * block + layer
        rest = ".".join(parts[4:])
        if parts[2] == "resnets":
            return f"output_blocks.{index}.0." + _resnet_rest(rest)
        return f"output_blocks.{index}.1." + rest
    if parts[0] == "mid_block":
        rest = ".".join(parts[3:])
        if parts[1] == "resnets":
            return f"middle_block.{2 * int(parts[2])}." + _resnet_rest(rest)
        return "middle_block.1." + rest
    raise ValueError(f"unexpected UNet key {key!r}")


def _resnet_rest(rest: str) -> str:
    for src, dst in _UNET_RESNET:
        if rest.startswith(src + "."):
            return dst + rest[len(src):]
    return rest


def vae_to_ldm(state: dict[str, torch.Tensor], config: dict[str, Any]) -> dict[str, torch.Tensor]:
    blocks = len(config["up_block_types"])
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        new = (
            key.replace("conv_norm_out", "norm_out")
            .replace("conv_shortcut", "nin_shortcut")
        )
        parts = new.split(".")
        if parts[1] == "down_blocks":
            kind = "downsample" if parts[3] == "downsamplers" else f"block.{parts[4]}"
            tail = parts[5:]
            new = f"{parts[0]}.down.{parts[2]}.{kind}." + ".".join(tail)
        elif parts[1] == "up_blocks":
            level = blocks - 1 - int(parts[2])
            kind = "upsample" if parts[3] == "upsamplers" else f"block.{parts[4]}"
            tail = parts[5:]
            new = f"{parts[0]}.up.{level}.{kind}." + ".".join(tail)
        elif parts[1] == "mid_block" and parts[2] == "resnets":
            new = f"{parts[0]}.mid.block_{int(parts[3]) + 1}." + ".".join(parts[4:])
        elif parts[1] == "mid_block" and parts[2] == "attentions":
            leaf = ".".join(parts[4:])
            leaf = {
                "group_norm.weight": "norm.weight", "group_norm.bias": "norm.bias",
                "to_q.weight": "q.weight", "to_q.bias": "q.bias", "to_k.weight": "k.weight", "to_k.bias": "k.bias",
                "to_v.weight": "v.weight", "to_v.bias": "v.bias",
                "to_out.0.weight": "proj_out.weight", "to_out.0.bias": "proj_out.bias",
            }[leaf]
            new = f"{parts[0]}.mid.attn_1.{leaf}"
            if value.ndim == 2:  # LDM uses 1x1 convolutions where diffusers uses linear layers
                value = value[:, :, None, None]
        out[VAE_PREFIX + new] = value
    return out


def clip_to_ldm(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """HF CLIPTextModel -> ``<prefix>text_model.*`` (transformers 5 drops the ``text_model.`` level)."""
    out = {}
    for key, value in state.items():
        if key.startswith("text_projection"):
            continue
        name = key if key.startswith("text_model.") else "text_model." + key
        out[prefix + name] = value
    return out


def openclip_to_ldm(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """HF CLIPTextModel(WithProjection) -> OpenCLIP's layout (SD2's and SDXL-G's text encoders)."""
    import torch

    state = {k.removeprefix("text_model."): v for k, v in state.items()}
    out: dict[str, torch.Tensor] = {}
    out[prefix + "token_embedding.weight"] = state["embeddings.token_embedding.weight"]
    out[prefix + "positional_embedding"] = state["embeddings.position_embedding.weight"]
    out[prefix + "ln_final.weight"] = state["final_layer_norm.weight"]
    out[prefix + "ln_final.bias"] = state["final_layer_norm.bias"]
    if "text_projection.weight" in state:
        out[prefix + "text_projection"] = state["text_projection.weight"].T.contiguous()
    layers = sorted({int(k.split(".")[2]) for k in state if k.startswith("encoder.layers.")})
    for i in layers:
        src = f"encoder.layers.{i}."
        dst = f"{prefix}transformer.resblocks.{i}."
        for kind in ("weight", "bias"):
            out[dst + f"attn.in_proj_{kind}"] = torch.cat(
                [state[src + f"self_attn.{p}_proj.{kind}"] for p in ("q", "k", "v")], dim=0
            )
            out[dst + f"attn.out_proj.{kind}"] = state[src + f"self_attn.out_proj.{kind}"]
            out[dst + f"ln_1.{kind}"] = state[src + f"layer_norm1.{kind}"]
            out[dst + f"ln_2.{kind}"] = state[src + f"layer_norm2.{kind}"]
            out[dst + f"mlp.c_fc.{kind}"] = state[src + f"mlp.fc1.{kind}"]
            out[dst + f"mlp.c_proj.{kind}"] = state[src + f"mlp.fc2.{kind}"]
    return out


def pipeline_to_ldm(components: dict[str, Any], family: str) -> dict[str, torch.Tensor]:
    """A whole SD1 / SD2 / SDXL pipeline's weights in A1111's single-file layout."""
    unet, vae = components["unet"], components["vae"]
    state = unet_to_ldm(unet.state_dict(), dict(unet.config))
    state.update(vae_to_ldm(vae.state_dict(), dict(vae.config)))
    text = components["text_encoder"].state_dict()
    if family == "sd1":
        state.update(clip_to_ldm(text, SD1_CLIP_PREFIX))
    elif family == "sd2":
        state.update(openclip_to_ldm(text, SD2_OPENCLIP_PREFIX))
    elif family == "sdxl":
        state.update(clip_to_ldm(text, SDXL_CLIP_L_PREFIX))
        state.update(openclip_to_ldm(components["text_encoder_2"].state_dict(), SDXL_OPENCLIP_PREFIX))
    else:
        raise ValueError(f"unknown family {family!r}")
    return {k: v.contiguous() for k, v in state.items()}
