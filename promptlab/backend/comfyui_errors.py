"""What a real ComfyUI server answers when something goes wrong, made readable.

* ``POST /prompt`` with an invalid workflow: HTTP 400 ``{"error": {...}, "node_errors": {node_id:
  {"errors": [{"type", "message", "details", "extra_info"}], "class_type"}}}``;
* an execution error: ``{"type": "execution_error", "data": {"prompt_id", "node_id", "node_type",
  "exception_message", "exception_type", "traceback"}}`` on ``/ws``, and the same data in
  ``/history/<id>`` under ``status.messages`` as ``["execution_error", data]``.
"""

from __future__ import annotations

import json
from typing import Any

from promptlab.errors import BackendError, CancelledError, PromptlabError
from promptlab.i18n import t


def http_error(path: str, response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("node_errors"):
        return t("replay.error.comfy_rejected", "en", details=node_errors(body["node_errors"]))
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"ComfyUI {path} answered HTTP {response.status_code}: {error.get('message', '')} {error.get('details', '')}".strip()
    return f"ComfyUI {path} answered HTTP {response.status_code}: {response.text[:300]}"


def node_errors(errors: dict[str, Any]) -> str:
    """``{node: {"errors": [{"message", "details"}], "class_type"}}`` as one line per problem."""
    parts = []
    for node_id, entry in errors.items():
        entry = entry if isinstance(entry, dict) else {}
        for error in entry.get("errors", []) or []:
            if isinstance(error, dict):
                text = error.get("message", "")
                if error.get("details"):
                    text += f": {error['details']}"
            else:
                text = str(error)
            parts.append(f"node {node_id} ({entry.get('class_type', '?')}): {text}")
    return "; ".join(parts) or json.dumps(errors)[:300]


def execution_error(data: dict[str, Any]) -> str:
    return t("replay.error.comfy_failed", "en", node=data.get("node_id", "?"), node_type=data.get("node_type", "?"),
             message=str(data.get("exception_message", "")).strip() or data.get("exception_type", "unknown error"))


def history_error(status: dict[str, Any], name: str) -> PromptlabError:
    for message in status.get("messages", []) or []:
        if isinstance(message, list) and len(message) == 2:
            kind, data = message
            if kind == "execution_interrupted":
                return CancelledError(f"Interrupted on {name}.")
            if kind == "execution_error" and isinstance(data, dict):
                return BackendError(execution_error(data))
    return BackendError(f"ComfyUI failed without an error message on {name}.")
