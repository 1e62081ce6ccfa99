"""Cheap step previews: latents -> RGB with a fixed linear map (A1111's "Approx cheap" idea).

One small matrix product per preview, no VAE: good enough to watch composition form.
"""

from __future__ import annotations

from typing import Any

# 4 latent channels -> RGB; fitted factors for the SD1/SD2 and SDXL VAEs.
_SD_FACTORS = ((0.298, 0.207, 0.208), (0.187, 0.286, 0.173), (-0.158, 0.189, 0.264), (-0.184, -0.271, -0.473))
_SDXL_FACTORS = ((0.3448, 0.4168, 0.4395), (-0.1953, -0.0290, 0.0250), (0.1074, 0.0886, -0.0163),
                 (-0.3730, -0.2499, -0.2088))


def latent_preview(latents: Any, *, sdxl: bool = False, index: int = 0, max_side: int = 256):
    """A small PIL image for image ``index`` of a latent batch (B, 4, h, w)."""
    import torch
    from PIL import Image

    factors = torch.tensor(_SDXL_FACTORS if sdxl else _SD_FACTORS, dtype=torch.float32)
    sample = latents[index].detach().to("cpu", torch.float32)
    rgb = torch.einsum("chw,cr->hwr", sample, factors)
    rgb = ((rgb + 1.0) * 127.5).clamp(0, 255).to(torch.uint8).numpy()
    image = Image.fromarray(rgb, "RGB")
    scale = max(1, min(8, max_side // max(image.size)))
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)
