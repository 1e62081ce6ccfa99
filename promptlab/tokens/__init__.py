"""Stable Diffusion's CLIP tokenizer (offline, no torch) and AUTOMATIC1111's 75-token chunking.

- ``get_tokenizer()``: the cached CLIP BPE tokenizer (``.encode(text)`` without BOS/EOS).
- ``chunk_prompt(text)``: A1111's windows, counts and the chunk of every fragment.
- ``count_prompt_tokens(text, steps=20)``: A1111's token counter over ``AND`` parts and schedules.
- ``count_tokens_per_encoder(text, model_type="sdxl")``: the same per text encoder (own tokenizer each).
- ``write_hf_tokenizer(dest)``: tokenizer files for transformers' ``CLIPTokenizer``.
"""

from promptlab.tokens.chunking import (
    CHUNK_LENGTH,
    MAX_COMMA_BACKTRACK,
    Chunk,
    EmbeddingSlot,
    Emphasis,
    Fragment,
    TiBacktrack,
    TokenizerLike,
    TokenReport,
    check_comma_backtrack,
    chunk_fragments,
    chunk_prompt,
)
from promptlab.tokens.clip import (
    BOS,
    BOS_TOKEN,
    COMMA,
    EOS,
    EOS_TOKEN,
    VOCAB_SIZE,
    ClipTokenizer,
    clip_merges,
    clip_vocab,
    get_tokenizer,
    write_hf_tokenizer,
)
from promptlab.tokens.counter import (
    ENCODER_TOKENIZERS,
    MODEL_TYPES,
    EncoderTokens,
    PromptTokens,
    PromptVariant,
    chunk_text,
    count_prompt_tokens,
    count_tokens_per_encoder,
    encoders_agree,
    prompt_tokens_to_dict,
    report_to_dict,
)

__all__ = [
    "ENCODER_TOKENIZERS", "EncoderTokens", "MODEL_TYPES", "count_tokens_per_encoder", "encoders_agree",
    "BOS", "BOS_TOKEN", "CHUNK_LENGTH", "COMMA", "EOS", "EOS_TOKEN", "MAX_COMMA_BACKTRACK", "VOCAB_SIZE",
    "Chunk", "ClipTokenizer", "EmbeddingSlot", "Emphasis", "Fragment", "PromptTokens", "PromptVariant", "TiBacktrack",
    "TokenReport", "TokenizerLike", "check_comma_backtrack", "chunk_fragments", "chunk_prompt", "chunk_text",
    "clip_merges", "clip_vocab", "count_prompt_tokens", "get_tokenizer", "prompt_tokens_to_dict",
    "report_to_dict", "write_hf_tokenizer",
]
