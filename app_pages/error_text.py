"""Which translated sentence explains an exception (the English detail stays in an expander below it).

PromptlabError messages are English and precise (paths, URLs, what to do); the UI puts a translated
sentence above them, chosen here by exception class and a pattern of the English message. First match
wins; the last rules catch everything, so no error is ever shown without a sentence in the UI language.
No streamlit here: ``error_key`` is a pure function (tested directly).
"""

from __future__ import annotations

import re

from promptlab.errors import (
    BackendError,
    CancelledError,
    InvalidInputError,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
    PromptlabError,
    UnsafeModelError,
)

_UNREACHABLE = (r"Cannot reach|did not answer in time|Connection to .* failed|no answer after|"
                r"refused the credentials|not found \(HTTP 404\)|Is it running")
# (exception class or tagdb class name, regex on the English message or "", i18n key)
RULES: tuple[tuple[type | str, str, str], ...] = (
    ("LibraryCorruptError", "", "app.error.library_damaged"),   # promptlab.library's, by name: no import here
    ("LibraryLockedError", "", "app.error.library_locked"),
    (ModelNotFoundError, r"model\.onnx|tagger|selected_tags|labels", "app.error.no_tagger"),
    (ModelNotFoundError, r"CLIP weights|open_clip|BLIP", "app.error.no_clip"),
    (ModelNotFoundError, r"checkpoint|Stable-diffusion|\.safetensors", "app.error.no_checkpoint"),
    (ModelNotFoundError, "", "app.error.model_not_found"),
    (MissingDependencyError, "", "app.error.missing_dependency"),
    (UnsafeModelError, "", "app.error.unsafe_model"),
    (ModelLoadError, "", "app.error.model_load"),
    (BackendError, r"Download of|Checksum mismatch|download", "app.error.download"),
    (BackendError, r"Out of memory", "app.error.out_of_memory"),
    (BackendError, _UNREACHABLE, "app.error.unreachable"),
    (BackendError, r"jobs failed on every backend", "app.error.jobs_failed"),
    (BackendError, "", "app.error.backend"),
    (CancelledError, "", "app.error.cancelled"),
    (InvalidInputError, r"Backend URL|must start with http", "app.error.bad_url"),
    (InvalidInputError, "", "app.error.invalid_input"),
    (PromptlabError, "", "app.error.generic"),
    ("NetworkError", "", "app.error.danbooru"),     # tagdb's: the Danbooru API could not be used
    ("TagDBError", "", "app.error.tagdb"),
    (ImportError, "", "app.error.missing_dependency"),
    (OSError, "", "app.error.os"),
    (Exception, "", "app.error.unexpected"),
)


def _is(exc: BaseException, kind: type | str) -> bool:
    if isinstance(kind, str):   # tagdb's classes, matched by name: promptlab never imports tagdb
        return any(cls.__name__ == kind for cls in type(exc).__mro__)
    return isinstance(exc, kind)


def error_key(exc: BaseException) -> str:
    """The i18n key of the sentence that explains ``exc``: its own (promptlab.errors.with_ui_text), else the
    first rule that matches."""
    own = getattr(exc, "ui_key", None)
    if isinstance(own, str):
        return own
    message = str(exc)
    for kind, pattern, key in RULES:
        if _is(exc, kind) and (not pattern or re.search(pattern, message)):
            return key
    return "app.error.unexpected"


def error_params(exc: BaseException) -> dict[str, str]:
    """The values of the sentence's placeholders (file names, folders, the mirror); empty for the rules' keys."""
    params = getattr(exc, "ui_params", None) if isinstance(getattr(exc, "ui_key", None), str) else None
    return dict(params) if isinstance(params, dict) else {}


def error_detail(exc: BaseException) -> str:
    """The English detail shown under the sentence (the exception's own message, with its class)."""
    return f"{type(exc).__name__}: {exc}"
