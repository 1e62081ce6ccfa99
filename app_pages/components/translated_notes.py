"""Notes that library code writes in English (prompt conversion notes, prompt syntax warnings), shown in the
UI language by their code and values. English keeps the library's own sentence, which is the most precise."""

from __future__ import annotations

from typing import Any

from promptlab.i18n import catalog, t


def syntax_warning_text(code: str, message: str, found: str, lang: str) -> str:
    """A parser warning (promptlab.syntax PromptWarning) in ``lang``; ``found`` is the text it points at."""
    key = f"firsthour.syntax.{code}"
    if lang == "en" or key not in catalog():   # a new parser code without a translation: tests list them all
        return message
    return t(key, lang, found=repr(found))


def warning_text(warning: Any, prompt: str, lang: str) -> str:
    return syntax_warning_text(warning.code, warning.message, prompt[warning.start:warning.end], lang)


def tag_issue_text(issue: Any, lang: str) -> str:
    """A tag database finding (tagdb.TagIssue: alias, deprecated, unknown with suggestions) in ``lang``; anything
    else (a damaged database's reason) as its own text."""
    kind = getattr(getattr(issue, "kind", None), "value", getattr(issue, "kind", None))
    if kind is None:
        return str(getattr(issue, "message", None) or issue)
    if kind == "alias" and issue.canonical:
        return t("build.alias", lang, tag=issue.tag, canonical=issue.canonical)
    if kind == "deprecated":
        return t("build.deprecated", lang, tag=issue.tag)
    hint = ", ".join(issue.suggestions[:3])
    return t("build.unknown", lang, tag=issue.tag) + (t("build.did_you_mean", lang, tags=hint) if hint else "")


def note_text(note: Any, lang: str) -> str:
    """A promptlab.syntax.convert Note in ``lang``."""
    if lang == "en":
        return note.text
    params = dict(note.params)
    if note.code == "syntax":
        return t("firsthour.convert.syntax", lang, position=int(params["position"]) + 1,
                 message=syntax_warning_text(params["code"], params["message"], params.get("found", ""), lang))
    if "position" in params:   # 1-based for people, as the Build page counts
        params["position"] = str(int(params["position"]) + 1)
    return t(f"firsthour.convert.{note.code}", lang, **params)
