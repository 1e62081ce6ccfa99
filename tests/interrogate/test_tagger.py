"""End to end through onnxruntime with tiny models of WD14's and DeepDanbooru's signatures."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError
from promptlab.interrogate import Flavor, OutputFormat, ProviderReport, load_tagger
from promptlab.interrogate.providers import choose_providers
from promptlab.interrogate.testing import make_wd_tagger, write_selected_tags

from .conftest import BLUE, RED, WD_TABLE, solid, wd_weights

RED_PROMPT = r"hatsune miku, saber \(fate\), long hair, smile, ^_^, holding bow \(weapon\)"


def test_graph_is_read(wd_tagger):
    assert wd_tagger.flavor is Flavor.WD
    assert wd_tagger.size == 64 and wd_tagger.info.dynamic_batch
    assert wd_tagger.info.input_name == "input_1:0" and wd_tagger.info.layout.value == "NHWC"
    assert wd_tagger.providers.provider == "CPUExecutionProvider" and not wd_tagger.providers.fell_back


def test_red_image_fires_known_tags(wd_tagger):
    result = wd_tagger.tag(solid(RED))[0]
    assert result.prompt == RED_PROMPT
    assert result.rating == "general"
    assert [t.confidence for t in result.general] == pytest.approx([0.95, 0.60, 0.50, 0.40], abs=1e-5)
    assert dict(result.ratings)["explicit"] == pytest.approx(0.01, abs=1e-5)


def test_batch_keeps_image_order(wd_tagger):
    results = wd_tagger.tag([solid(BLUE), solid(RED), solid(BLUE, size=(300, 300))], batch_size=8)
    assert [r.rating for r in results] == ["explicit", "general", "explicit"]
    assert results[0].prompt == "blue sky, smile"
    assert results[1].prompt == RED_PROMPT


def test_non_square_input_is_padded_white(wd_tagger):
    # 64x32 red on white padding: channel means are (0.5, 0.5, 1) -> mixes in the blue-table logits
    result = wd_tagger.tag(solid(RED, size=(64, 32)))[0]
    assert result.general[0].name == "long_hair"


def test_mcut_and_weights_end_to_end(wd_tagger):
    options = wd_tagger.default_options(general_mcut=True, character_mcut=True, output=OutputFormat.WEIGHTED)
    result = wd_tagger.tag(solid(RED), options)[0]
    assert result.prompt == "(hatsune miku:0.900), (saber \\(fate\\):0.860), (long hair:0.950)"


def test_thresholds_override(wd_tagger):
    options = wd_tagger.default_options(general_threshold=0.2, character_threshold=0.4)
    result = wd_tagger.tag(solid(RED), options)[0]
    assert [t.name for t in result.characters] == ["hatsune_miku", "saber_(fate)", "kaname_madoka"]
    assert "open_mouth" in [t.name for t in result.general]


@pytest.mark.parametrize(("layout", "dynamic"), [("NCHW", True), ("NHWC", False), ("NCHW", False)],
                         ids=["nchw", "fixed-batch", "nchw-fixed"])
def test_layouts_and_fixed_batch_agree(tmp_path, layout, dynamic):
    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=32,
                            layout=layout, dynamic_batch=dynamic)
    tagger = load_tagger(folder, device="cpu")
    assert tagger.info.layout.value == layout and tagger.info.dynamic_batch is dynamic
    assert [r.prompt for r in tagger.tag([solid(RED), solid(BLUE)])] == [RED_PROMPT, "blue sky, smile"]


def test_deepdanbooru_end_to_end(ddb_dir):
    tagger = load_tagger(ddb_dir, device="cpu")
    assert tagger.flavor is Flavor.DEEPDANBOORU and tagger.size == 64
    result = tagger.tag(solid(RED))[0]
    # threshold 0.5 inclusive: smile at 0.5 stays; ratings come from rating:* tags
    assert result.prompt == "hatsune miku, 1girl, long hair, smile"
    assert result.rating == "safe"
    assert [t.name for t in result.characters] == ["hatsune_miku"]


def test_label_count_mismatch(tmp_path):
    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    write_selected_tags(folder / "selected_tags.csv", [(n, c) for n, c, *_ in WD_TABLE[:-2]])
    with pytest.raises(ModelLoadError, match="outputs 13 tags but .* lists 11"):
        load_tagger(folder, device="cpu")


@pytest.mark.parametrize("remove", ["selected_tags.csv", "model.onnx"], ids=["labels", "model"])
def test_missing_files(tmp_path, remove):
    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    (folder / remove).unlink()
    with pytest.raises(ModelNotFoundError, match="model.onnx|label file"):
        load_tagger(folder, device="cpu")


def test_bad_csv_columns(tmp_path):
    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    (folder / "selected_tags.csv").write_text("id,tag\n1,a\n")
    with pytest.raises(InvalidInputError, match="tag_id,name,category,count"):
        load_tagger(folder, device="cpu")


def test_corrupt_model(tmp_path):
    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    (folder / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="onnxruntime cannot load"):
        load_tagger(folder, device="cpu")


def test_name_under_models_taggers(tmp_path, monkeypatch, wd_dir):
    root = tmp_path / "models"
    make_wd_tagger(root / "taggers" / "mine", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    monkeypatch.setenv("PROMPTLAB_MODELS", str(root))
    assert load_tagger("mine", device="cpu").name == "mine"
    with pytest.raises(ModelNotFoundError, match="Local taggers: mine"):
        load_tagger("other", device="cpu")


def test_hub_id_offline_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="models/taggers/wd-vit-tagger-v3"):
        load_tagger("wd-vit-tagger-v3", device="cpu")


@pytest.mark.parametrize("name", ["./no/such/folder", "/no/such/folder", "a/b/c"], ids=["relative", "absolute", "deep"])
def test_missing_path_is_clear(tmp_path, monkeypatch, name):
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="no such folder"):
        load_tagger(name, device="cpu")


def test_provider_fallback_is_reported():
    report = ProviderReport(("CUDAExecutionProvider", "CPUExecutionProvider"), ("CPUExecutionProvider",))
    assert report.fell_back and "CUDAExecutionProvider" in report.warning
    assert report.provider == "CPUExecutionProvider"
    ok = ProviderReport(("CUDAExecutionProvider", "CPUExecutionProvider"),
                        ("CUDAExecutionProvider", "CPUExecutionProvider"))
    assert not ok.fell_back and ok.warning is None


def test_cuda_requested_without_cuda_build(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(InvalidInputError, match="onnxruntime-gpu"):
        choose_providers("cuda")
    assert choose_providers("auto") == ["CPUExecutionProvider"]


def test_fallback_warns_when_session_drops_gpu(monkeypatch, wd_dir):
    """onnxruntime-gpu without a usable GPU: CUDA listed as available, session runs on CPU."""
    import onnxruntime

    real = onnxruntime.InferenceSession
    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(onnxruntime, "InferenceSession",
                        lambda path, sess_options=None, providers=None: real(path, sess_options=sess_options,
                                                                            providers=["CPUExecutionProvider"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tagger = load_tagger(wd_dir)
    assert tagger.providers.fell_back
    assert any("runs on CPUExecutionProvider" in str(w.message) for w in caught)


def test_unreadable_image_raises_clear_error(wd_tagger, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nxx")
    with pytest.raises(InvalidInputError, match="bad.png"):
        wd_tagger.tag([bad])


def test_predict_rejects_nothing_and_is_float32(wd_tagger):
    probs = wd_tagger.predict([wd_tagger.prepare(solid(RED))])
    assert probs.dtype == np.float32 and probs.shape == (1, len(WD_TABLE))


def test_float16_input_graph(tmp_path):
    """Some exports take float16 input: the tagger casts."""
    import onnx
    from onnx import TensorProto, helper

    folder = make_wd_tagger(tmp_path / "m", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=16)
    model = onnx.load(str(folder / "model.onnx"))
    old_input = model.graph.input[0]
    model.graph.input.remove(old_input)
    model.graph.input.insert(0, helper.make_tensor_value_info("half_in", TensorProto.FLOAT16, ["batch_size", 16, 16, 3]))
    model.graph.node.insert(0, helper.make_node("Cast", ["half_in"], [old_input.name], to=TensorProto.FLOAT))
    onnx.save(model, str(folder / "model.onnx"))
    tagger = load_tagger(folder, device="cpu")
    assert tagger.info.half and tagger.tag(solid(RED, size=(16, 16)))[0].prompt == RED_PROMPT
