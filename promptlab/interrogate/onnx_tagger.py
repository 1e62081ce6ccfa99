"""ONNX taggers (WD14 v2 / WD v3 incl. eva02-large, DeepDanbooru exported to ONNX).

A tagger is immutable once loaded (safe to share between threads and Streamlit sessions);
``InferenceSession.run`` is thread-safe.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

import numpy as np

from promptlab.errors import ModelLoadError
from promptlab.interrogate.images import ImageSource, load_image
from promptlab.interrogate.labels import LabelSet
from promptlab.interrogate.postprocess import Comparison, TagOptions, TagResult, postprocess
from promptlab.interrogate.preprocess import Layout, deepdanbooru_array, to_layout, wd_array
from promptlab.interrogate.providers import Device, ProviderReport, choose_providers, ort


class Flavor(str, Enum):
    WD = "wd"
    DEEPDANBOORU = "deepdanbooru"


@dataclass(frozen=True)
class ModelInfo:
    input_name: str
    output_name: str
    layout: Layout
    size: int
    dynamic_batch: bool
    num_outputs: int
    half: bool = False  # the graph takes float16 input


def inspect_session(session, path: Path) -> ModelInfo:
    """Read input size, layout and batch dimension from the ONNX graph."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise ModelLoadError(f"{path}: expected one image input, the model has {len(inputs)}.")
    shape = list(inputs[0].shape)
    if len(shape) != 4:
        raise ModelLoadError(f"{path}: input {inputs[0].name!r} has shape {shape}; expected [batch, H, W, 3].")
    if shape[3] == 3:
        layout, h, w = Layout.NHWC, shape[1], shape[2]
    elif shape[1] == 3:
        layout, h, w = Layout.NCHW, shape[2], shape[3]
    else:
        raise ModelLoadError(f"{path}: cannot find the 3-channel axis in input shape {shape}.")
    if not isinstance(h, int) or not isinstance(w, int) or h != w:
        raise ModelLoadError(f"{path}: input size {h}x{w} is not a fixed square; cannot pick the image size.")
    out_shape = outputs[0].shape
    num = out_shape[-1] if out_shape and isinstance(out_shape[-1], int) else -1
    if inputs[0].type not in ("tensor(float)", "tensor(float16)"):
        raise ModelLoadError(f"{path}: input type {inputs[0].type} is not float32/float16; not an image tagger?")
    return ModelInfo(inputs[0].name, outputs[0].name, layout, int(h), not isinstance(shape[0], int), num,
                     half=inputs[0].type == "tensor(float16)")


class OnnxTagger:
    """A loaded tagger: ``tag(images)`` -> one TagResult per image."""

    def __init__(
        self,
        model_path: Path,
        labels: LabelSet,
        flavor: Flavor,
        *,
        name: str | None = None,
        device: Device | str = Device.AUTO,
        threads: int | None = None,
    ) -> None:
        rt = ort()
        requested = choose_providers(device)
        opts = rt.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        # idle intra-op threads would otherwise spin and steal the cores that decode the next images
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = rt.InferenceSession(str(model_path), sess_options=opts, providers=requested)
        except Exception as exc:  # onnxruntime raises its own exception types (Fail, InvalidGraph, ...)
            raise ModelLoadError(f"{model_path}: onnxruntime cannot load it ({exc}).") from exc
        self.providers = ProviderReport(tuple(requested), tuple(self.session.get_providers()))
        if self.providers.warning:
            warnings.warn(self.providers.warning, RuntimeWarning, stacklevel=2)
        self.info = inspect_session(self.session, model_path)
        if self.info.num_outputs != -1 and self.info.num_outputs != len(labels):
            raise ModelLoadError(
                f"{model_path} outputs {self.info.num_outputs} tags but {labels.source} lists {len(labels)}. "
                "The label file belongs to another model or version: download model.onnx and its label "
                "file from the same repository."
            )
        self.model_path = model_path
        self.threads = threads  # onnxruntime intra-op threads; None: its default (all physical cores)
        self.labels = labels
        self.flavor = flavor
        self.name = name or model_path.parent.name

    # ----- configuration
    @property
    def size(self) -> int:
        return self.info.size

    @property
    def comparison(self) -> Comparison:
        return Comparison.STRICT if self.flavor is Flavor.WD else Comparison.INCLUSIVE

    def default_options(self, **overrides) -> TagOptions:
        """The tagger's own defaults (WD 0.35/0.85 strict; DeepDanbooru 0.5 inclusive), then overrides."""
        base = TagOptions() if self.flavor is Flavor.WD else TagOptions(general_threshold=0.5, character_threshold=0.5)
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})

    # ----- pipeline pieces (used by caption.py to overlap decoding with inference)
    def prepare(self, source: ImageSource) -> np.ndarray:
        """Decode + preprocess one image -> ``(S, S, 3)`` float32 (thread-safe, no session use)."""
        img = load_image(source, target=self.size)
        if self.flavor is Flavor.WD:
            return wd_array(img, self.size)
        return deepdanbooru_array(img, self.size)

    def predict(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """Stacked preprocessed images -> ``(N, num_labels)`` probabilities."""
        if not arrays:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        if self.info.half:
            arrays = [a.astype(np.float16) for a in arrays]
        if self.info.dynamic_batch:
            batch = to_layout(np.stack(arrays), self.info.layout)
            probs = self.session.run([self.info.output_name], {self.info.input_name: batch})[0]
        else:  # fixed batch of 1 in the graph
            probs = np.concatenate([
                self.session.run([self.info.output_name],
                                 {self.info.input_name: to_layout(a[None], self.info.layout)})[0]
                for a in arrays
            ])
        probs = np.asarray(probs, dtype=np.float32).reshape(len(arrays), -1)
        if probs.shape[1] != len(self.labels):
            raise ModelLoadError(
                f"{self.model_path} produced {probs.shape[1]} scores but {self.labels.source} lists "
                f"{len(self.labels)} tags; use the label file from the model's own repository."
            )
        return probs

    def postprocess(self, probs: np.ndarray, options: TagOptions | None = None) -> TagResult:
        return postprocess(probs, self.labels, options or self.default_options(), default_comparison=self.comparison)

    # ----- one-call API
    def tag(
        self, images: Sequence[ImageSource] | ImageSource, options: TagOptions | None = None, *, batch_size: int = 8
    ) -> list[TagResult]:
        if not isinstance(images, (list, tuple)):
            images = [images]
        results: list[TagResult] = []
        for start in range(0, len(images), max(1, batch_size)):
            arrays = [self.prepare(src) for src in images[start:start + batch_size]]
            results.extend(self.postprocess(p, options) for p in self.predict(arrays))
        return results
