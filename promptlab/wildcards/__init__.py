"""Combination generation: variants, wildcards, A1111's prompt matrix and prompts-from-file.

Built on the dynamicprompts library (parsing and sampling); see ``engine`` for what promptlab adds.
Light at import: dynamicprompts is imported on first use.
"""

from promptlab.wildcards.a1111_scripts import PromptFile, PromptLine, parse_prompts_file, prompt_matrix
from promptlab.wildcards.braces import BraceDetection, BraceMode, detect_brace_mode
from promptlab.wildcards.engine import (
    DEFAULT_MAX_COUNT,
    Expansion,
    WildcardError,
    WildcardSource,
    count_combinations,
    default_wildcard_folder,
    expand,
)
from promptlab.wildcards.files import list_wildcard_files, read_wildcard_file, write_wildcard_file
from promptlab.wildcards.params import expand_params, has_dynamic_syntax

__all__ = [
    "DEFAULT_MAX_COUNT",
    "BraceDetection",
    "BraceMode",
    "Expansion",
    "PromptFile",
    "PromptLine",
    "WildcardError",
    "WildcardSource",
    "count_combinations",
    "default_wildcard_folder",
    "detect_brace_mode",
    "expand",
    "expand_params",
    "has_dynamic_syntax",
    "list_wildcard_files",
    "parse_prompts_file",
    "prompt_matrix",
    "read_wildcard_file",
    "write_wildcard_file",
]
