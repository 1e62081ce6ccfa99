"""The shipped CLIP tokenizer: vocabulary, ids, and agreement with transformers and open_clip."""

from __future__ import annotations

import pytest

from promptlab import tokens
from promptlab.errors import InvalidInputError

CORPUS = [
    "a photo of a cat, masterpiece, (1girl:1.2)",
    "1girl, solo, long_hair, (masterpiece:1.2), [blurry], \\(escaped\\)",
    "Hello  World!!  it's fine",
    "I'm you'll we'd they've she's don't",
    "tab\tnew\nline  and   spaces",
    "   leading and trailing   ",
    "",
    "x" * 300,
    "score_9, score_8_up, rating_safe, source_anime",
    "hatsune miku, vocaloid, twintails, aqua hair, 8k uhd, dslr",
    "café naïve ÅNGSTRÖM",
    "日本語のテキスト 中文提示词 한국어",
    "emoji 🎉🔥 test",
    "ﬁ ligature ＡＢＣ fullwidth",
    "\u200b zero width \x00 ctrl \x7f",
    "<|startoftext|>abc<|endoftext|>",
    "lora:foo:0.8 <lora:bar:1> embedding:EasyNegative",
    "(((best quality))), [[worst]], {nai}, 3.14159 1e-5 -2",
]
ASCII_CORPUS = [c for c in CORPUS if c.isascii() and "<|" not in c and "\x00" not in c and "\x7f" not in c]


def test_vocabulary_is_sd_clip_vocab():
    vocab = tokens.clip_vocab()
    assert len(vocab) == tokens.VOCAB_SIZE == 49408
    assert vocab["<|startoftext|>"] == tokens.BOS == 49406
    assert vocab["<|endoftext|>"] == tokens.EOS == 49407
    assert vocab[",</w>"] == tokens.COMMA == 267
    assert vocab["!"] == 0
    assert len(tokens.clip_merges()) == 48894


def test_documented_ids():
    ids = tokens.get_tokenizer().encode("a photo of a cat, masterpiece, (1girl:1.2)")
    assert [tokens.BOS, *ids, tokens.EOS] == [
        49406, 320, 1125, 539, 320, 2368, 267, 12066, 267, 263, 272, 1611, 281, 272, 269, 273, 264, 49407
    ]


def test_tokenizer_is_cached_per_process():
    assert tokens.get_tokenizer() is tokens.get_tokenizer()


def test_encode_batch_equals_encode():
    tok = tokens.get_tokenizer()
    assert [list(ids) for ids in tok.encode_batch(CORPUS)] == [tok.encode(text) for text in CORPUS]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("masterpiece", ["masterpiece</w>"]), ("1girl", ["1</w>", "girl</w>"]), ("a,b", ["a</w>", ",</w>", "b</w>"])],
    ids=["word", "digits-split", "comma"],
)
def test_token_strings(text, expected):
    assert tokens.get_tokenizer().tokens(text) == expected


def test_decode_round_trip():
    tok = tokens.get_tokenizer()
    assert tok.decode(tok.encode("A Photo of a CAT")) == "a photo of a cat"
    assert tok.decode([tokens.BOS, *tok.encode("cat"), tokens.EOS]) == "cat"


@pytest.fixture(scope="module")
def hf_tokenizers(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    base = tmp_path_factory.mktemp("tok")
    sd1 = tokens.write_hf_tokenizer(base / "sd1")
    sdxl2 = tokens.write_hf_tokenizer(base / "sdxl2", pad_token="!")
    return (
        transformers.CLIPTokenizer.from_pretrained(sd1, local_files_only=True),
        transformers.CLIPTokenizer.from_pretrained(sdxl2, local_files_only=True),
    )


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_ids_match_transformers_clip_tokenizer(hf_tokenizers, text):
    sd1, sdxl2 = hf_tokenizers
    ours = tokens.get_tokenizer("transformers").encode(text)
    assert sd1(text, add_special_tokens=False).input_ids == ours
    if "!" not in text:
        # transformers registers the pad token "!" as a special token, so SDXL's second tokenizer in
        # diffusers reads "!!" as two pad ids (promptlab's conditioning uses its own tokenizer, as A1111).
        assert sdxl2(text, add_special_tokens=False).input_ids == ours
    assert sd1(text).input_ids == [tokens.BOS, *ours, tokens.EOS]


def test_written_tokenizer_special_tokens(hf_tokenizers):
    sd1, sdxl2 = hf_tokenizers
    assert (sd1.bos_token_id, sd1.eos_token_id, sd1.pad_token_id) == (49406, 49407, 49407)
    assert (sdxl2.bos_token_id, sdxl2.eos_token_id, sdxl2.pad_token_id) == (49406, 49407, 0)
    assert sd1.model_max_length == 77 and len(sd1) == 49408
    padded = sdxl2("a cat", padding="max_length", max_length=77).input_ids
    assert padded[:4] == [49406, 320, 2368, 49407] and set(padded[4:]) == {0}


def test_write_hf_tokenizer_rejects_unknown_pad(tmp_path):
    with pytest.raises(InvalidInputError, match="pad_token"):
        tokens.write_hf_tokenizer(tmp_path, pad_token="<pad>")


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("1girl，solo，long hair", "1girl, solo, long hair"),
        ("（masterpiece）", "(masterpiece)"),
        ("“quoted” ‘x’", "\"quoted\" 'x'"),
        ("ﬁne ＡＢＣ", "fine abc"),
        ("tom &amp; jerry", "tom & jerry"),
        ("a\x00b\x1bc", "abc"),
    ],
    ids=["fullwidth-comma", "fullwidth-parens", "curly-quotes", "ligature-width", "html-entity", "controls"],
)
def test_a1111_normalization(text, same_as):
    """A1111's tokenizers run ftfy.fix_text first; diffusers' fast tokenizer does not."""
    a1111 = tokens.get_tokenizer()
    assert a1111.normalization == "a1111"
    assert a1111.encode(text) == a1111.encode(same_as)
    if text != same_as and not text.isascii():
        assert tokens.get_tokenizer("transformers").encode(text) != a1111.encode(same_as)


def test_fullwidth_comma_counts_as_comma():
    assert tokens.COMMA in tokens.get_tokenizer().encode("1girl，solo")


def test_unknown_normalization():
    with pytest.raises(InvalidInputError, match="normalization"):
        tokens.get_tokenizer("nfkc")


def test_vocabulary_matches_openai_reference_tokenizer():
    """open_clip's SimpleTokenizer (OpenAI's original code) builds its own vocabulary from the same file:
    an independent check of the vocabulary construction."""
    pytest.importorskip("torch")
    open_clip_tokenizer = pytest.importorskip("open_clip.tokenizer")
    reference = open_clip_tokenizer.SimpleTokenizer()
    ours = tokens.clip_vocab()
    # open_clip 3.x spells the two special tokens <start_of_text>/<end_of_text>; same ids.
    assert {k: v for k, v in reference.encoder.items() if v < 49406} == {k: v for k, v in ours.items() if v < 49406}
    assert len(reference.encoder) == len(ours)
    tok = tokens.get_tokenizer()
    for text in ASCII_CORPUS:
        assert reference.encode(text) == tok.encode(text), text


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\x0b\x0c\r!\"#$&'()*+,-./0123456789:;<=>?@[\\]^_`{|}~aAbBsStTlLdDmMrReEvVzZ")), max_size=60))
def test_ascii_fast_path_equals_the_full_pipeline(text):
    tok = tokens.get_tokenizer("transformers")
    assert tok.encode(text) == tok.backend.encode(text, add_special_tokens=False).ids


@pytest.mark.parametrize("text", ["<|endoftext|>", "a<|startoftext|>b", "A\x01B", "tab\tnew\nline"], ids=range(4))
def test_special_markers_and_controls_use_the_full_pipeline(text):
    tok = tokens.get_tokenizer("transformers")
    assert tok.encode(text) == tok.backend.encode(text, add_special_tokens=False).ids
