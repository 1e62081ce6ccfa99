"""Image upscalers as A1111 has them: model upscalers (ESRGAN family, SwinIR, DAT, ... through
spandrel) with A1111's tiling, the plain resizers, and the latent ones of hires fix.

* ``names``: the names and where their files live (file system only);
* ``load``: spandrel loading, weights-only for pickles;
* ``tiling``: A1111's tile grid and blend, in bounded memory;
* ``core``: ``upscale_by`` / ``upscale_to`` with A1111's passes and LANCZOS finish;
* ``extras``: the Extras tab for files (metadata kept, postprocessing infotext added);
* ``testing``: tiny random-weight models for tests.

torch and spandrel are imported inside functions only.
"""

from __future__ import annotations

from promptlab.upscale.errors import UpscaleError, UpscaleInputError, UpscalerLoadError, UpscalerNotFoundError
from promptlab.upscale.names import Upscaler, UpscalerKind, list_upscalers, resolve_upscaler

__all__ = [
    "UpscaleError", "UpscaleInputError", "Upscaler", "UpscalerKind", "UpscalerLoadError", "UpscalerNotFoundError",
    "list_upscalers", "resolve_upscaler",
]
