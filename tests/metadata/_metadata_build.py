"""Builders for hand-made edge-case images (also used by fixtures/make_fixtures.py)."""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
from PIL import Image

from promptlab.metadata.stealth import encode_stealth_bits


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def png(before: list[bytes] = (), after: list[bytes] = (), *, size=(2, 2), colour=2, idat: bytes | None = None,
        iend: bool = True) -> bytes:
    w, h = size
    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    if idat is None:
        channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
        raw = b"".join(b"\x00" + b"\x80" * (w * channels) for _ in range(h))
        idat = zlib.compress(raw)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(before) + chunk(b"IDAT", idat) + b"".join(after)
    return out + (chunk(b"IEND", b"") if iend else b"")


def text(key: str, value: str) -> bytes:
    return chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1"))


def ztxt(key: str, value: str) -> bytes:
    return chunk(b"zTXt", key.encode("latin-1") + b"\x00\x00" + zlib.compress(value.encode("latin-1")))


def itxt(key: str, value: str, *, compressed: bool = False) -> bytes:
    body = zlib.compress(value.encode("utf-8")) if compressed else value.encode("utf-8")
    return chunk(b"iTXt", key.encode("latin-1") + b"\x00" + bytes([int(compressed), 0]) + b"\x00\x00" + body)


def tiff(entries_ifd0: list[tuple[int, int, bytes]], entries_exif: list[tuple[int, int, bytes]] = (),
         order: str = ">") -> bytes:
    """A TIFF stream: (tag, type, value bytes) entries; values always stored at an offset."""
    mark = b"MM" if order == ">" else b"II"
    entries_ifd0 = list(entries_ifd0)
    head = mark + struct.pack(order + "HI", 42, 8)
    n0 = len(entries_ifd0) + (1 if entries_exif else 0)
    ifd0_size = 2 + 12 * n0 + 4
    exif_at = 8 + ifd0_size
    n1 = len(entries_exif)
    exif_size = 2 + 12 * n1 + 4 if entries_exif else 0
    data_at = exif_at + exif_size
    blobs = b""

    def ifd(entries, extra_pointer=None):
        nonlocal blobs
        out = struct.pack(order + "H", len(entries) + (1 if extra_pointer else 0))
        for tag, typ, value in entries:
            count = len(value) if typ in (1, 2, 7) else len(value) // 2
            out += struct.pack(order + "HHII", tag, typ, count, data_at + len(blobs))
            blobs += value
        if extra_pointer:
            out += struct.pack(order + "HHII", 0x8769, 4, 1, extra_pointer)
        return out + struct.pack(order + "I", 0)

    body = ifd(entries_ifd0, exif_at if entries_exif else None)
    if entries_exif:
        body += ifd(list(entries_exif))
    return head + body + blobs


def jpeg_with_app1(payload: bytes, *, com: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (9, 9, 9)).save(buf, format="JPEG")
    data = buf.getvalue()
    seg = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    if com is not None:
        seg += b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com
    return data[:2] + seg + data[2:]


def webp_with_exif(exif_tiff: bytes, *, alpha: bool = False) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA" if alpha else "RGB", (2, 2)).save(buf, format="WEBP", lossless=True, exif=b"Exif\x00\x00" + exif_tiff)
    return buf.getvalue()


def stealth_png(payload_text: str, *, compressed: bool = True, size=(64, 64), rgb: bool = False) -> bytes:
    bits = np.unpackbits(np.frombuffer(encode_stealth_bits(payload_text, compressed=compressed), dtype=np.uint8))
    if rgb:
        bits = np.unpackbits(np.frombuffer(
            (b"stealth_rgbcomp" if compressed else b"stealth_rgbinfo") + encode_stealth_bits(payload_text, compressed=compressed)[15:],
            dtype=np.uint8))
    w, h = size
    arr = np.full((h, w, 4), 200, dtype=np.uint8)
    if rgb:
        plane = arr[:, :, :3].transpose(1, 0, 2).copy().reshape(-1)  # x-major, then y, then channel
        plane[: bits.size] = (plane[: bits.size] & 0xFE) | bits
        arr[:, :, :3] = plane.reshape(w, h, 3).transpose(1, 0, 2)
        img = Image.fromarray(arr[:, :, :3], "RGB")
    else:
        alpha = arr[:, :, 3].T.copy().reshape(-1)
        alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
        arr[:, :, 3] = alpha.reshape(w, h).T
        img = Image.fromarray(arr, "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


COMFY_GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "detail.safetensors", "strength_model": 0.7,
                                                   "strength_clip": 0.6, "model": ["4", 0], "clip": ["4", 1]}},
    "11": {"class_type": "CLIPSetLastLayer", "inputs": {"stop_at_clip_layer": -2, "clip": ["10", 1]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "1girl, solo", "clip": ["11", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["11", 0]}},
    "3": {"class_type": "KSampler", "inputs": {"seed": 123456789012, "steps": 28, "cfg": 6.5, "sampler_name": "dpmpp_2m",
                                               "scheduler": "karras", "denoise": 1.0, "model": ["10", 0],
                                               "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
    "12": {"class_type": "LatentUpscaleBy", "inputs": {"upscale_method": "nearest-exact", "scale_by": 1.5, "samples": ["3", 0]}},
    "13": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 12, "cfg": 6.5, "sampler_name": "dpmpp_2m",
                                                "scheduler": "karras", "denoise": 0.45, "model": ["10", 0],
                                                "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["12", 0]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}


def comfy_png(graph: dict | str) -> bytes:
    return png([text("prompt", graph if isinstance(graph, str) else json.dumps(graph))])
