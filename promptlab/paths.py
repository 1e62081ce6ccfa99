"""Where user data and models live.

- User data (tag database, library, caches): ``$PROMPTLAB_HOME``, else ``~/.promptlab``.
- Models: ``$PROMPTLAB_MODELS``, else ``./models`` (A1111's layout: Stable-diffusion/, Lora/, VAE/,
  embeddings/, taggers/, wildcards/).

Functions only: nothing is read or created at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from promptlab.errors import InvalidInputError

MODEL_KINDS = ("Stable-diffusion", "Lora", "VAE", "embeddings", "taggers", "wildcards")


def user_home() -> Path:
    """The user data folder (not created here)."""
    env = os.environ.get("PROMPTLAB_HOME")
    return Path(env).expanduser() if env else Path.home() / ".promptlab"


def ensure_user_home() -> Path:
    home = user_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def models_root() -> Path:
    """The models folder in A1111's layout."""
    env = os.environ.get("PROMPTLAB_MODELS")
    return Path(env).expanduser() if env else Path.cwd() / "models"


def model_dir(kind: str, root: Path | None = None) -> Path:
    if kind not in MODEL_KINDS:
        raise InvalidInputError(f"Unknown model folder {kind!r}; expected one of {', '.join(MODEL_KINDS)}.")
    return (root or models_root()) / kind


def safe_join(base: Path, name: str) -> Path:
    """Join a user-supplied relative name under ``base``, refusing anything that escapes it.

    Used wherever a name from a prompt, a form or an HTTP request picks a file
    (``<lora:../../etc/passwd:1>`` must not read outside the models folder).
    """
    if not name or "\x00" in name:
        raise InvalidInputError(f"Invalid model name {name!r}.")
    candidate = Path(name)
    if candidate.is_absolute():
        raise InvalidInputError(f"{name!r} is an absolute path; give a name relative to {base}.")
    base_resolved = base.resolve()
    resolved = (base_resolved / candidate).resolve()
    if resolved != base_resolved and base_resolved not in resolved.parents:
        raise InvalidInputError(f"{name!r} points outside {base}; model names must stay inside that folder.")
    return resolved
