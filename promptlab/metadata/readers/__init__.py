"""The reader registry: one reader per tool, asked in this order; the first that understands the
image wins (tools that also write an A1111-style ``parameters`` text — ComfyUI save nodes,
Stability Matrix, SwarmUI, Fooocus — come before the A1111 reader so their richer data is used).

| reader           | triggers (text item keys)                                         |
|------------------|-------------------------------------------------------------------|
| stability_matrix | ``parameters-json``, ``smproj``                                   |
| tensorart        | ``generation_data``                                               |
| swarmui          | ``parameters`` / ``exif:UserComment`` holding ``sui_image_params`` |
| fooocus          | ``parameters`` JSON (Fooocus, RuinedFooocus), ``fooocus_scheme``   |
| gradio_json      | ``parameters`` JSON of Hugging Face Spaces (``resolution`` ...)    |
| invokeai         | ``invokeai_metadata``, ``sd-metadata``, ``Dream``                  |
| novelai          | ``Software``/``Source``/``Comment`` (PNG), ``exif:Software`` etc.  |
| easydiffusion    | ``use_stable_diffusion_model`` / ``sd_model`` chunks or JSON       |
| civitai          | ``exif:UserComment`` with a graph + ``extraMetadata``             |
| comfyui          | ``prompt``, ``workflow``; EXIF Make/Model/ImageDescription/UserComment with a graph |
| drawthings       | ``xmp`` written by Draw Things                                    |
| a1111            | ``parameters``, ``exif:UserComment``, ``jpeg:COM`` (infotext)      |
| generic_json     | ``parameters`` / ``exif:UserComment`` JSON with a ``prompt`` key (last resort, generator "unknown") |

Stealth payloads (alpha LSBs) are decoded by ``reading.read`` and fed through the same registry.
"""

from __future__ import annotations

from promptlab.metadata.extract import Extracted
from promptlab.metadata.model import Reader, ReaderResult
from promptlab.metadata.readers import (
    a1111,
    civitai,
    comfyui,
    drawthings,
    easydiffusion,
    fooocus,
    generic_json,
    gradio_json,
    invokeai,
    novelai,
    stability_matrix,
    swarmui,
    tensorart,
)

READERS: tuple[Reader, ...] = (
    Reader("stability_matrix", stability_matrix.TRIGGERS, stability_matrix.read),
    Reader("tensorart", tensorart.TRIGGERS, tensorart.read),
    Reader("swarmui", swarmui.TRIGGERS, swarmui.read),
    Reader("fooocus", fooocus.TRIGGERS, fooocus.read),
    Reader("gradio_json", gradio_json.TRIGGERS, gradio_json.read),
    Reader("invokeai", invokeai.TRIGGERS, invokeai.read),
    Reader("novelai", novelai.TRIGGERS, novelai.read),
    Reader("easydiffusion", easydiffusion.TRIGGERS, easydiffusion.read),
    Reader("civitai", civitai.TRIGGERS, civitai.read),
    Reader("comfyui", comfyui.TRIGGERS, comfyui.read),
    Reader("drawthings", drawthings.TRIGGERS, drawthings.read),
    Reader("a1111", a1111.TRIGGERS, a1111.read),
    Reader("generic_json", generic_json.TRIGGERS, generic_json.read),
)


def run_readers(extracted: Extracted) -> tuple[ReaderResult | None, list[str]]:
    """The first reader (in registry order) that understands ``extracted``, and any reader failures."""
    keys = {item.key for item in extracted.items}
    warnings: list[str] = []
    for reader in READERS:
        if keys.isdisjoint(reader.triggers):
            continue
        try:
            result = reader.read(extracted)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            # A reader bug or data shape it did not expect: say so and let the next reader try.
            warnings.append(f"{reader.name} reader failed on this image ({type(exc).__name__}: {exc}); "
                            "other readers were tried")
            continue
        if result is not None:
            return result, warnings
    return None, warnings
