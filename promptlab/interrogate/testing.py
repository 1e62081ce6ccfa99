"""Tiny taggers with the exact input/output signatures of WD14 / WD v3 and DeepDanbooru ONNX models.

For tests, benchmarks and demos (needs the ``onnx`` package, part of the dev extra). The model averages
each colour channel over the image and maps the three means linearly to per-tag logits, then a sigmoid,
so a solid-colour image produces exactly the probabilities chosen here:
``p = sigmoid(sum_c mean_c * weights[c])`` with ``mean_c`` in 0..1 in the model's channel order.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

IR_VERSION = 8
OPSET = 17


def _onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - dev extra
        raise ImportError("building test taggers needs the 'onnx' package (pip install onnx)") from exc
    return onnx, TensorProto, helper, numpy_helper


def logit(p: float | np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def build_mean_color_model(
    path: Path, weights: np.ndarray, *, size: int, scale: float, layout: str = "NHWC",
    input_name: str = "input", output_name: str = "output", dynamic_batch: bool = True,
) -> Path:
    """weights: (3, L) logit contributions of each channel mean (channel order as fed to the model)."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    weights = np.asarray(weights, dtype=np.float32)
    batch: int | str = "batch_size" if dynamic_batch else 1
    shape = [batch, size, size, 3] if layout == "NHWC" else [batch, 3, size, size]
    axes = [1, 2] if layout == "NHWC" else [2, 3]
    num = weights.shape[1]
    nodes = [
        helper.make_node("ReduceMean", [input_name], ["mean"], axes=axes, keepdims=0),
        helper.make_node("MatMul", ["mean", "w"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], [output_name]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_tagger",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [batch, num])],
        initializer=[numpy_helper.from_array((weights * np.float32(scale)).astype(np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def write_selected_tags(path: Path, rows: Sequence[tuple[str, int]]) -> Path:
    """rows: (name, category) in model output order."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tag_id", "name", "category", "count"])
        for i, (name, category) in enumerate(rows):
            writer.writerow([1000 + i, name, category, 10000 - i])
    return path


def make_wd_tagger(folder: Path, rows: Sequence[tuple[str, int]], bgr_weights: np.ndarray, *, size: int = 448,
                   layout: str = "NHWC", dynamic_batch: bool = True, input_name: str = "input_1:0",
                   output_name: str = "predictions_sigmoid") -> Path:
    """A WD-style tagger folder (model.onnx + selected_tags.csv); input BGR 0..255."""
    folder.mkdir(parents=True, exist_ok=True)
    build_mean_color_model(folder / "model.onnx", bgr_weights, size=size, scale=1 / 255, layout=layout,
                           input_name=input_name, output_name=output_name, dynamic_batch=dynamic_batch)
    write_selected_tags(folder / "selected_tags.csv", rows)
    return folder


def make_deepdanbooru_tagger(folder: Path, tags: Sequence[str], rgb_weights: np.ndarray, *, size: int = 512,
                             characters: Sequence[str] = ()) -> Path:
    """A DeepDanbooru-style folder (model.onnx, tags.txt, tags-character.txt); input RGB 0..1."""
    folder.mkdir(parents=True, exist_ok=True)
    build_mean_color_model(folder / "model.onnx", rgb_weights, size=size, scale=1.0,
                           input_name="input_1", output_name="Identity")
    (folder / "tags.txt").write_text("\n".join(tags) + "\n", encoding="utf-8")
    if characters:
        (folder / "tags-character.txt").write_text("\n".join(characters) + "\n", encoding="utf-8")
    return folder


def build_vit_tagger(path: Path, num_labels: int, *, size: int = 448, patch: int = 16, width: int = 768,
                     depth: int = 12, heads: int = 12, mlp: int = 3072, seed: int = 0) -> Path:
    """A ViT-B/16-shaped WD tagger (NHWC BGR input, sigmoid output) with random weights: real compute cost."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def rand(name: str, *shape: int) -> str:
        return const(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    def node(op: str, ins: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    tokens = (size // patch) ** 2
    x = node("Transpose", ["input"], "nchw", perm=[0, 3, 1, 2])
    x = node("Conv", [x, rand("patch_w", width, 3, patch, patch), rand("patch_b", width)], "patches",
             kernel_shape=[patch, patch], strides=[patch, patch])
    x = node("Reshape", [x, const("flat_shape", np.array([0, width, tokens], np.int64))], "flat")
    x = node("Transpose", [x], "tok", perm=[0, 2, 1])
    x = node("Add", [x, rand("pos", 1, tokens, width)], "x0")
    ones, zeros = np.ones(width, np.float32), np.zeros(width, np.float32)
    head_dim = width // heads
    split_shape = const("split_shape", np.array([0, 0, heads, head_dim], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, width], np.int64))
    scale = const("attn_scale", np.array(1 / np.sqrt(head_dim), np.float32))
    for i in range(depth):
        p = f"b{i}_"
        h = node("LayerNormalization", [x, const(p + "ln1g", ones), const(p + "ln1b", zeros)], p + "ln1", axis=-1)
        qkv = []
        for n in "qkv":
            t = node("MatMul", [h, rand(p + n + "w", width, width)], p + n)
            t = node("Reshape", [t, split_shape], p + n + "s")
            qkv.append(node("Transpose", [t], p + n + "t", perm=[0, 2, 3, 1] if n == "k" else [0, 2, 1, 3]))
        a = node("MatMul", [qkv[0], qkv[1]], p + "scores")
        a = node("Mul", [a, scale], p + "scaled")
        a = node("Softmax", [a], p + "probs", axis=-1)
        a = node("MatMul", [a, qkv[2]], p + "ctx")
        a = node("Transpose", [a], p + "ctxt", perm=[0, 2, 1, 3])
        a = node("Reshape", [a, merge_shape], p + "ctxm")
        a = node("MatMul", [a, rand(p + "ow", width, width)], p + "attn")
        x = node("Add", [x, a], p + "res1")
        h = node("LayerNormalization", [x, const(p + "ln2g", ones), const(p + "ln2b", zeros)], p + "ln2", axis=-1)
        h = node("MatMul", [h, rand(p + "fc1", width, mlp)], p + "fc1o")
        g = node("Mul", [h, const(p + "gelu_k", np.array(1.702, np.float32))], p + "gk")
        g = node("Sigmoid", [g], p + "gs")
        h = node("Mul", [h, g], p + "gelu")
        h = node("MatMul", [h, rand(p + "fc2", mlp, width)], p + "fc2o")
        x = node("Add", [x, h], p + "res2")
    x = node("LayerNormalization", [x, const("lnfg", ones), const("lnfb", zeros)], "lnf", axis=-1)
    x = node("ReduceMean", [x], "pooled", axes=[1], keepdims=0)
    x = node("MatMul", [x, rand("head_w", width, num_labels)], "logits")
    node("Sigmoid", [x], "output")
    graph = helper.make_graph(
        nodes, "vit_b16_tagger",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", size, size, 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", num_labels])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


TINY_CAPTION_WORDS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "cat", "dog", "red", "blue",
                      "picture", "girl", "with", "long", "hair")


def make_tiny_clip_parts(seed: int = 0) -> dict:
    """Random tiny open_clip CLIP (SimpleTokenizer-compatible: 77 tokens, 49408 vocab) and a tiny BLIP
    captioner with its processor, built from configs: no downloads. Keys match ``load_interrogator``."""
    import torch
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
    from open_clip.transform import image_transform
    from transformers import BertTokenizerFast, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    torch.manual_seed(seed)
    clip = CLIP(embed_dim=16,
                vision_cfg=CLIPVisionCfg(layers=1, width=32, patch_size=8, image_size=32, head_width=16),
                text_cfg=CLIPTextCfg(context_length=77, vocab_size=49408, width=32, heads=2, layers=1)).eval()
    words = TINY_CAPTION_WORDS
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)})
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
                              tokenizer=tokenizer)
    config = BlipConfig(
        text_config=dict(vocab_size=len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=37, bos_token_id=2, sep_token_id=3, pad_token_id=0,
                         max_position_embeddings=64),
        vision_config=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                           image_size=32, patch_size=8),
        projection_dim=16,
    )
    caption = BlipForConditionalGeneration(config).eval()
    return {"clip_model": clip, "clip_preprocess": image_transform(32, is_train=False),
            "caption_model": caption, "caption_processor": processor}


def write_term_lists(folder: Path, size: int = 40) -> Path:
    """Small stand-ins for clip-interrogator's term lists (artists, flavors, mediums, movements, negative)."""
    folder.mkdir(parents=True, exist_ok=True)
    lists = {
        "artists.txt": [f"artist {i}" for i in range(size)],
        "flavors.txt": [f"flavor {i}" for i in range(size * 3)],
        "mediums.txt": ["a photograph", "an oil painting", "a digital painting", "a sketch"],
        "movements.txt": ["impressionism", "baroque", "pop art"],
        "negative.txt": ["blurry", "ugly", "lowres", "watermark"],
    }
    for name, items in lists.items():
        (folder / name).write_text("\n".join(items) + "\n", encoding="utf-8")
    return folder
