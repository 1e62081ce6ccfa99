"""Tiny real images of several tools for the gallery tests (imported as a plain module)."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

from PIL import Image

from promptlab.metadata import write
from promptlab.params import GenerationParams


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 30, 200)).save(buf, format="PNG")
    return buf.getvalue()


def with_text(png: bytes, **items: str) -> bytes:
    chunks = b"".join(chunk(b"tEXt", k.encode() + b"\x00" + v.encode("utf-8")) for k, v in items.items())
    return png[:33] + chunks + png[33:]


def a1111(path: Path, *, prompt: str = "1girl, long hair, smile", seed: int = 1, steps: int = 20,
          model: str = "ponyV6", sampler: str = "DPM++ 2M", cfg: float = 7.0, size=(512, 768),
          negative: str = "lowres, bad hands", fmt: str = "png") -> Path:
    p = GenerationParams(prompt=prompt, negative_prompt=negative, seed=seed, steps=steps, model=model, sampler=sampler,
                         cfg_scale=cfg, width=size[0], height=size[1], model_hash="abcdef1234")
    path = path.with_suffix("." + fmt)
    write(Image.new("RGB", (8, 8), (seed % 256, 40, 90)), p, path)
    return path


def comfy(path: Path, *, prompt: str = "1girl, blue eyes", seed: int = 7, lora: str = "detail.safetensors") -> Path:
    graph = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "animagine.safetensors"}},
        "10": {"class_type": "LoraLoader", "inputs": {"lora_name": lora, "strength_model": 0.7, "strength_clip": 0.7,
                                                      "model": ["4", 0], "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["10", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "worst quality", "clip": ["10", 1]}},
        "3": {"class_type": "KSampler", "inputs": {"seed": seed, "steps": 30, "cfg": 5.0, "sampler_name": "dpmpp_2m",
                                                   "scheduler": "karras", "denoise": 1.0, "model": ["10", 0],
                                                   "positive": ["6", 0], "negative": ["7", 0],
                                                   "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }
    path = path.with_suffix(".png")
    path.write_bytes(with_text(_png(), prompt=json.dumps(graph)))
    return path


def plain(path: Path) -> Path:
    path = path.with_suffix(".png")
    path.write_bytes(_png())
    return path
