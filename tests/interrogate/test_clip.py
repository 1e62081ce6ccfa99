"""CLIP interrogator wrapper driven by a tiny random open_clip CLIP and a tiny BLIP (no downloads)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("clip_interrogator")
torch = pytest.importorskip("torch")

from promptlab.errors import InvalidInputError, ModelNotFoundError  # noqa: E402
from promptlab.interrogate.clip import CLIP_FOR_FAMILY, ClipMode, ClipSettings, load_interrogator  # noqa: E402
from promptlab.interrogate.testing import make_tiny_clip_parts, write_term_lists  # noqa: E402

from .conftest import BLUE, RED, solid  # noqa: E402


@pytest.fixture(scope="module")
def parts():
    torch.set_num_threads(1)
    return make_tiny_clip_parts()


@pytest.fixture(scope="module")
def terms(tmp_path_factory):
    return write_term_lists(tmp_path_factory.mktemp("terms"))


def settings(terms, tmp_path, **kw):
    return ClipSettings(clip_model="ViT-B-32/tiny-random", caption_model="blip-base", device="cpu",
                        data_path=str(terms), cache_dir=str(tmp_path / "cache"), flavor_intermediate_count=20,
                        batch_size=2, caption_max_length=5, **kw)


@pytest.fixture(scope="module")
def interrogator(parts, terms, tmp_path_factory):
    return load_interrogator(settings(terms, tmp_path_factory.mktemp("ci")), **parts)


@pytest.mark.parametrize("mode", list(ClipMode), ids=[m.value for m in ClipMode])
def test_modes_on_several_images(interrogator, mode):
    images = [solid(RED), solid(BLUE), solid(RED, size=(40, 20))]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # no deprecated torch.cuda.amp.autocast on our path
        prompts = interrogator.interrogate(images, mode, max_flavors=4, min_flavors=2)
    assert len(prompts) == 3 and all(isinstance(p, str) and p for p in prompts)
    if mode is ClipMode.NEGATIVE:
        terms = {f"flavor {i}" for i in range(120)} | {"blurry", "ugly", "lowres", "watermark"}
        assert all(set(p.split(", ")) <= terms for p in prompts)
    assert prompts[0] == interrogator.interrogate([solid(RED)], mode, max_flavors=4, min_flavors=2)[0]


def test_given_captions_are_used(interrogator):
    prompt = interrogator.interrogate([solid(RED)], "fast", captions=["my caption"], max_flavors=3)[0]
    assert prompt.startswith("my caption, ") and len(prompt.split(", ")) == 4


def test_classic_shape(interrogator):
    prompt = interrogator.interrogate([solid(RED)], "classic", captions=["a cat"])[0]
    parts = prompt.split(", ")
    assert parts[0] == "a cat" and len(parts) == 7  # caption, medium+artist, trending, movement, 3 flavors


def test_batched_features_match_single(interrogator):
    images = [solid(RED), solid(BLUE)]
    both = interrogator.image_features(images)
    one = interrogator.image_features(images[1:])
    assert torch.allclose(both[1], one[0], atol=1e-5)
    assert len(interrogator.captions(images)) == 2


def test_rank_reverse_is_exact(interrogator):
    feat = interrogator.image_features([solid(RED)])
    sims = (feat @ interrogator._tables["flavors"].embeds.T)[0]
    assert interrogator.rank(feat, "flavors", 1, reverse=True)[0] == f"flavor {int(sims.argmin())}"


def test_term_embeddings_cached_per_clip_model(parts, terms, tmp_path):
    s = settings(terms, tmp_path)
    load_interrogator(s, **parts)
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert "ViT-B-32_tiny-random_flavors.safetensors" in files and len(files) == 6
    calls = []
    model = parts["clip_model"]
    original = model.encode_text
    model.encode_text = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        load_interrogator(s, **parts)
    finally:
        del model.encode_text
    assert calls == []  # every table came from the cache


def test_mismatched_captions(interrogator):
    with pytest.raises(InvalidInputError, match="2 captions given for 1 images"):
        interrogator.interrogate([solid(RED)], "fast", captions=["a", "b"])


@pytest.mark.parametrize(("family", "model"), list(CLIP_FOR_FAMILY.items()), ids=list(CLIP_FOR_FAMILY))
def test_family_picks_clip_model(family, model):
    assert ClipSettings.for_family(family).clip_model == model


@pytest.mark.parametrize("kw", [{"clip_model": "ViT-L-14"}, {"caption_model": "blip-huge"}, {"batch_size": 0}],
                         ids=["no-pretrained", "caption", "batch"])
def test_bad_settings(kw):
    with pytest.raises(InvalidInputError):
        ClipSettings(**kw)


@pytest.mark.parametrize(("clip", "caption", "message"), [
    ("ViT-L-14/openai", None, "CLIP weights for ViT-L-14/openai .* not downloaded"),
    ("ViT-H-14/nope", None, "no 'ViT-H-14/nope'. Pretrained tags for ViT-H-14: laion2b_s32b_b79k"),
], ids=["offline", "unknown-tag"])
def test_real_model_errors_are_fast_and_clear(terms, tmp_path, monkeypatch, clip, caption, message):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises((ModelNotFoundError, InvalidInputError), match=message):
        load_interrogator(ClipSettings(clip_model=clip, caption_model=caption, device="cpu",
                                       data_path=str(terms), cache_dir=str(tmp_path)))


def test_offline_caption_model_is_clear(parts, terms, tmp_path, monkeypatch):
    from promptlab.interrogate.clip import check_weights

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("promptlab.interrogate.clip._cached", lambda repo, files: "clip" in repo.lower())
    with pytest.raises(ModelNotFoundError, match="Salesforce/blip-image-captioning-large"):
        check_weights(ClipSettings(caption_model="blip-large"))


def test_cli_clip_offline_is_clear(tmp_path, capsys):
    from promptlab.cli import main

    solid(RED).save(tmp_path / "r.png")
    assert main(["interrogate", str(tmp_path / "r.png"), "--clip", "fast", "--family", "sdxl"]) == 1
    assert "ViT-bigG-14/laion2b_s39b_b160k" in capsys.readouterr().err


def test_cli_clip_json(parts, terms, tmp_path, monkeypatch, capsys):
    import json

    import promptlab.interrogate.clip as clip_module
    from promptlab.cli import main

    real = clip_module.load_interrogator
    seen = {}

    def fake(s):
        seen["settings"] = s
        return real(settings(terms, tmp_path), **parts)

    monkeypatch.setattr(clip_module, "load_interrogator", fake)
    solid(RED).save(tmp_path / "r.png")
    solid(BLUE).save(tmp_path / "b.png")
    assert main(["interrogate", str(tmp_path / "r.png"), str(tmp_path / "b.png"), "--clip", "negative",
                 "--family", "sd2", "--caption-model", "none", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["mode"] for o in out] == ["negative", "negative"] and all(o["prompt"] for o in out)
    assert seen["settings"].clip_model == "ViT-H-14/laion2b_s32b_b79k" and seen["settings"].caption_model is None
    (tmp_path / "bad.png").write_bytes(b"nope")
    assert main(["interrogate", str(tmp_path / "bad.png"), str(tmp_path / "r.png"), "--clip", "fast", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "error" in out[0] and out[1]["prompt"]


@pytest.mark.parametrize("caption", [None, "blip-large"], ids=["clip-weights", "caption-model"])
def test_offline_weights_error_is_translated_with_repos_mirror_and_cache(monkeypatch, caption):
    from huggingface_hub import constants

    from promptlab.i18n import t
    from promptlab.interrogate.clip import check_weights

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    monkeypatch.setattr("promptlab.interrogate.clip._cached", lambda repo, files: caption is not None and "clip" in repo)
    with pytest.raises(ModelNotFoundError) as info:
        check_weights(ClipSettings(clip_model="ViT-L-14/openai", caption_model=caption))
    exc = info.value
    repo = "Salesforce/blip-image-captioning-large" if caption else "timm/vit_large_patch14_clip_224.openai"
    for lang in ("en", "zh"):
        text = t(exc.ui_key, lang, **exc.ui_params)
        assert repo in text and "https://hf-mirror.com" in text and constants.HF_HUB_CACHE in text
    assert "无法联网" in t(exc.ui_key, "zh", **exc.ui_params)


def test_unreachable_hub_while_loading_is_translated(monkeypatch, tmp_path):
    """Without HF_HUB_OFFLINE the weights are fetched while the package builds its models; a network
    failure there becomes the same translated message, naming both repositories."""
    from clip_interrogator import clip_interrogator as ci

    from promptlab.i18n import t

    def unreachable(config):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(ci, "Interrogator", unreachable)
    with pytest.raises(ModelNotFoundError, match="couldn't connect") as info:
        load_interrogator(ClipSettings(clip_model="ViT-L-14/openai", caption_model="blip-base", device="cpu",
                                       cache_dir=str(tmp_path)))
    zh = t(info.value.ui_key, "zh", **info.value.ui_params)
    assert "timm/vit_large_patch14_clip_224.openai" in zh and "Salesforce/blip-image-captioning-base" in zh
