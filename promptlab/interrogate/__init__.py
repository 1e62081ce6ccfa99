"""Image -> prompt: ONNX taggers (WD14 / WD v3 / DeepDanbooru), the CLIP interrogator, batch captioning.

Light to import: onnxruntime, torch and clip-interrogator are imported inside the functions that need them.
"""

from promptlab.interrogate.caption import CaptionOptions, CaptionReport, ExistingPolicy, caption_folder
from promptlab.interrogate.labels import KAOMOJI, LabelSet, TagCategory, display_name
from promptlab.interrogate.onnx_tagger import Flavor, ModelInfo, OnnxTagger
from promptlab.interrogate.postprocess import (
    Comparison, OutputFormat, SortOrder, Tag, TagOptions, TagResult, mcut_threshold, postprocess,
)
from promptlab.interrogate.providers import Device, ProviderReport
from promptlab.interrogate.sources import DEFAULT_TAGGER, KNOWN_TAGGERS, load_tagger, local_taggers

__all__ = [
    "CaptionOptions", "CaptionReport", "Comparison", "DEFAULT_TAGGER", "Device", "ExistingPolicy", "Flavor",
    "KAOMOJI", "KNOWN_TAGGERS", "LabelSet", "ModelInfo", "OnnxTagger", "OutputFormat", "ProviderReport",
    "SortOrder", "Tag", "TagCategory", "TagOptions", "TagResult", "caption_folder", "display_name",
    "load_tagger", "local_taggers", "mcut_threshold", "postprocess",
]
