"""The small diffusers-format config folders promptlab ships so single-file checkpoints load offline.

``promptlab/backend/configs/<name>/`` holds model_index.json and the UNet / VAE / text encoder /
scheduler configs (a few KB each). The CLIP tokenizer files (several MB) are not shipped: the first
time a folder is needed it is copied into ``$PROMPTLAB_HOME/cache/configs/<name>/`` and the
tokenizer(s) are written there by ``promptlab.tokens.write_hf_tokenizer`` from the BPE file that
ships with the tokenizer package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from promptlab.errors import InvalidInputError
from promptlab.paths import user_home

# name -> family ("sd1", "sd2", "sdxl")
CONFIG_FAMILIES = {
    "sd15": "sd1",
    "sd21": "sd2",
    "sdxl": "sdxl",
    "tiny-sd1": "sd1",
    "tiny-sd2": "sd2",
    "tiny-sdxl": "sdxl",
}
DEFAULT_CONFIG = {"sd1": "sd15", "sd2": "sd21", "sdxl": "sdxl"}
# SD2's tokenizer and SDXL's second tokenizer pad with "!" (OpenCLIP), SD1's with <|endoftext|>.
_TOKENIZERS = {
    "sd1": (("tokenizer", "<|endoftext|>"),),
    "sd2": (("tokenizer", "!"),),
    "sdxl": (("tokenizer", "<|endoftext|>"), ("tokenizer_2", "!")),
}


def shipped_dir(name: str) -> Path:
    if name not in CONFIG_FAMILIES:
        raise InvalidInputError(f"Unknown model config {name!r}; expected one of {', '.join(CONFIG_FAMILIES)}.")
    return Path(__file__).with_name("configs") / name


def read_config(name: str, component: str) -> dict[str, Any]:
    """One component's config dict (``component`` is a subfolder such as "unet", or "" for model_index)."""
    folder = shipped_dir(name)
    path = folder / "model_index.json" if not component else folder / component / (
        "scheduler_config.json" if component == "scheduler" else "config.json"
    )
    return json.loads(path.read_text(encoding="utf-8"))


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.json")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def config_folder(name: str) -> Path:
    """A complete diffusers config folder (configs + tokenizer files) for ``from_single_file(config=...)``.

    Built once per config version under the user cache; safe when several processes race (each
    builds in a temporary folder and renames it into place).
    """
    from promptlab.tokens import write_hf_tokenizer

    source = shipped_dir(name)
    stamp = _fingerprint(source)
    cache = user_home() / "cache" / "configs"
    target = cache / f"{name}-{stamp}"
    if (target / ".complete").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
    try:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        for subfolder, pad in _TOKENIZERS[CONFIG_FAMILIES[name]]:
            write_hf_tokenizer(tmp / subfolder, pad_token=pad)
        (tmp / ".complete").write_text(stamp, encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / ".complete").exists():  # not a lost race: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
