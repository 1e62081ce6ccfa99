"""The prompt language: A1111 syntax as a frozen AST, rendering, NovelAI/ComfyUI conversion.

Library entry points (stdlib only)::

    parse(text) -> ParseResult(prompt, warnings)     lenient, never raises on a str
    render(ast) -> str                               canonical A1111 text
    convert(text, src=..., dst=...) -> Conversion    a1111 / nai3 / nai4 / comfy
    split_items(text) / join_items(items)            top-level comma items ("chips")
    escape_tag(name) / unescape_tag(text)            name_(series) <-> name_\\(series\\)
    extra_networks(text)                             <lora:...> out, like A1111
    fix_fullwidth(text) / fullwidth_spans(text)      IME full-width （：） -> ASCII A1111 syntax
    promptlab.syntax.a1111                           A1111's own functions, same outputs
"""

from promptlab.syntax.a1111 import ExtraNetwork, extra_networks
from promptlab.syntax.ast import (
    Alternate,
    Break,
    Edit,
    Emphasis,
    EmphasisKind,
    ParseResult,
    Part,
    Prompt,
    PromptWarning,
    Text,
    walk,
)
from promptlab.syntax.convert import Conversion, convert
from promptlab.syntax.fullwidth import FullwidthSpan, fix_fullwidth, fullwidth_spans
from promptlab.syntax.items import PromptItem, escape_tag, join_items, set_item_weight, split_items, unescape_tag
from promptlab.syntax.parser import parse
from promptlab.syntax.render import render
from promptlab.syntax.semantics import ScheduleEntry, WeightedPart, a1111_semantics

__all__ = [
    "Alternate", "Break", "Conversion", "Edit", "Emphasis", "EmphasisKind", "ExtraNetwork", "FullwidthSpan",
    "ParseResult",
    "Part", "Prompt", "PromptItem", "PromptWarning", "ScheduleEntry", "Text", "WeightedPart",
    "a1111_semantics", "convert", "escape_tag", "extra_networks", "fix_fullwidth", "fullwidth_spans", "join_items",
    "parse", "render",
    "set_item_weight", "split_items", "unescape_tag", "walk",
]
