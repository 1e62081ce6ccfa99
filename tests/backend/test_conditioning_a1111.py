"""Conditioning details that follow A1111 exactly: each encoder tokenized by its own tokenizer (open_clip's
HTML unescaping for SD2 / SDXL-G), textual inversion left behind by the comma backtrack."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from promptlab import tokens  # noqa: E402
from promptlab.backend.conditioning import build_conditioning  # noqa: E402
from promptlab.backend.embeddings import Embedding  # noqa: E402
from tests.backend.test_conditioning import BOS, COMMA, EOS, make_pipe, ref_hidden  # noqa: E402


@pytest.fixture(scope="module")
def sd1(tmp_path_factory):
    torch.set_num_threads(1)
    return make_pipe("sd1", tmp_path_factory)


@pytest.fixture(scope="module")
def sd2(tmp_path_factory):
    return make_pipe("sd2", tmp_path_factory)


@pytest.fixture(scope="module")
def sdxl(tmp_path_factory):
    return make_pipe("sdxl", tmp_path_factory)


def embeds(pipe, prompt: str, **kwargs) -> torch.Tensor:
    return build_conditioning(pipe, prompt, "blurry", steps=20, **kwargs).steps[0].prompt_embeds[0]


@pytest.mark.parametrize(("entity", "plain"), [("&copy 2024 cat", "© 2024 cat"), ("&amp pepper", "& pepper"),
                                               ("<3 &amp; hearts", "<3 & hearts")],
                         ids=["copy-no-semicolon", "amp-no-semicolon", "amp-with-lt"])
def test_sdxl_clip_g_sees_unescaped_entities_clip_l_does_not(sdxl, entity, plain):
    with_entity, unescaped = embeds(sdxl, entity), embeds(sdxl, plain)
    width_l = sdxl.text_encoder.config.hidden_size
    assert torch.equal(with_entity[:, width_l:], unescaped[:, width_l:])  # OpenCLIP-G: same tokens
    assert not torch.allclose(with_entity[:, :width_l], unescaped[:, :width_l])  # CLIP-L: literal '&amp'


def test_sd2_tokenizes_like_open_clip(sd2):
    assert torch.equal(embeds(sd2, "&amp pepper"), embeds(sd2, "& pepper"))


def test_sd1_keeps_entities_ftfy_keeps(sd1):
    assert not torch.allclose(embeds(sd1, "&amp pepper"), embeds(sd1, "& pepper"))


def test_sdxl_window_counts_differ_padded_with_warning(sdxl):
    prompt = "&amp " * 50  # CLIP-L: '&' 'amp' = 100 tokens, 2 windows; OpenCLIP-G: '&' = 50 tokens, 1 window
    cond = build_conditioning(sdxl, prompt, "blurry", steps=20)
    assert cond.steps[0].prompt_embeds.shape[1] == 154
    assert any("different numbers of 75-token windows" in w for w in cond.warnings)
    assert cond.token_counts[0] == 100


# --- textual inversion in the comma backtrack --------------------------------------------------------

def _backtrack_case(sd1):
    vectors = torch.randn(2, 32, generator=torch.Generator().manual_seed(11)) * 3
    emb = Embedding("myemb", 2, {"clip": vectors})
    # 60 x cat, a comma at 60, the embedding at 61-62, 20 x dog: the backtrack cuts after the comma
    prompt = "cat " * 60 + ", myemb " + "dog " * 20
    encoder = copy.deepcopy(sd1.text_encoder)
    encoder.resize_token_embeddings(49408 + 2)
    with torch.no_grad():
        encoder.get_input_embeddings().weight[49408:] = vectors
    return prompt, {"myemb": emb}, encoder


@pytest.mark.parametrize("mode", ["a1111", "move"], ids=["a1111", "move"])
def test_embedding_in_comma_backtrack_matches_a1111(sd1, mode):
    prompt, embeddings, encoder = _backtrack_case(sd1)
    cat, dog = tokens.get_tokenizer().encode("cat dog")
    got = embeds(sd1, prompt, embeddings=embeddings, ti_backtrack=mode)
    if mode == "a1111":  # vectors in window 1's padding, placeholders (id 0, '!') moved to window 2
        first = [BOS] + [cat] * 60 + [COMMA] + [49408, 49409] + [EOS] * 13
        second = [BOS, 0, 0] + [dog] * 20 + [EOS] * 54
    else:
        first = [BOS] + [cat] * 60 + [COMMA] + [EOS] * 15
        second = [BOS, 49408, 49409] + [dog] * 20 + [EOS] * 54
    expected = torch.cat([ref_hidden(encoder, first)[0], ref_hidden(encoder, second)[0]])
    assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5)
