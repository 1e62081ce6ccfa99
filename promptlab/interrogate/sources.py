"""Where taggers come from: a folder, ``models/taggers/<name>``, or a Hugging Face repo id.

A folder holds ``model.onnx`` plus ``selected_tags.csv`` (WD) or ``tags.txt`` (DeepDanbooru).
Hub repos are fetched with huggingface_hub into its usual cache when online.
"""

from __future__ import annotations

import os
from pathlib import Path

from promptlab.errors import InvalidInputError, ModelNotFoundError, missing_dependency
from promptlab.interrogate.labels import load_deepdanbooru_labels, load_selected_tags_csv
from promptlab.interrogate.onnx_tagger import Flavor, OnnxTagger
from promptlab.interrogate.providers import Device
from promptlab.paths import model_dir, safe_join

# Short names users type, and the repos they mean (SmilingWolf's WD taggers).
KNOWN_TAGGERS = {
    name: f"SmilingWolf/{name}"
    for name in (
        "wd-eva02-large-tagger-v3", "wd-vit-large-tagger-v3", "wd-vit-tagger-v3", "wd-swinv2-tagger-v3",
        "wd-convnext-tagger-v3", "wd-v1-4-moat-tagger-v2", "wd-v1-4-swinv2-tagger-v2",
        "wd-v1-4-convnext-tagger-v2", "wd-v1-4-convnextv2-tagger-v2", "wd-v1-4-vit-tagger-v2",
    )
}
DEFAULT_TAGGER = "wd-eva02-large-tagger-v3"


def _flavor_of(folder: Path) -> Flavor | None:
    if (folder / "selected_tags.csv").is_file():
        return Flavor.WD
    if (folder / "tags.txt").is_file():
        return Flavor.DEEPDANBOORU
    return None


def _model_file(folder: Path) -> Path:
    model = folder / "model.onnx"
    if model.is_file():
        return model
    candidates = sorted(folder.glob("*.onnx"))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ModelNotFoundError(f"No model.onnx in {folder}. Put the tagger's model.onnx there.")
    raise InvalidInputError(
        f"{folder} holds several .onnx files ({', '.join(c.name for c in candidates)}); rename the one to use "
        "to model.onnx."
    )


def open_folder(folder: Path, *, name: str | None = None, device: Device | str = Device.AUTO,
                threads: int | None = None) -> OnnxTagger:
    model = _model_file(folder)
    flavor = _flavor_of(folder)
    if flavor is None:
        raise ModelNotFoundError(
            f"No label file in {folder}: a WD tagger needs selected_tags.csv, a DeepDanbooru model tags.txt."
        )
    labels = load_selected_tags_csv(folder / "selected_tags.csv") if flavor is Flavor.WD \
        else load_deepdanbooru_labels(folder)
    return OnnxTagger(model, labels, flavor, name=name or folder.name, device=device, threads=threads)


def local_taggers(models_root: Path | None = None) -> list[str]:
    """Names of the tagger folders under models/taggers that hold a model and a label file."""
    root = model_dir("taggers", models_root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and any(p.glob("*.onnx")) and _flavor_of(p) is not None)


def _download(repo_id: str) -> Path:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise missing_dependency("huggingface_hub", "tagger") from None
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:
        model = Path(hf_hub_download(repo_id, "model.onnx", local_files_only=offline))
        hf_hub_download(repo_id, "selected_tags.csv", local_files_only=offline)
    except Exception as exc:  # hub errors come in many types (offline, 404, gated, network)
        from promptlab.backend.download import hub_endpoint   # HF_ENDPOINT: a mirror, also read by huggingface_hub

        hint = " (HF_HUB_OFFLINE is set)" if offline else ""
        folder = model_dir("taggers", None) / repo_id.split("/")[-1]
        raise ModelNotFoundError(
            f"Could not get tagger {repo_id} from {hub_endpoint()}{hint}: {type(exc).__name__}: {exc}. Offline? "
            f"Download model.onnx and selected_tags.csv from {hub_endpoint()}/{repo_id} on another machine and put "
            f"them in {folder}/ (models/taggers/{folder.name}/ of your models folder), or set HF_ENDPOINT to a "
            "mirror you can reach."
        ) from None
    return model.parent


def load_tagger(name_or_path: str | Path, *, models_root: Path | None = None,
                device: Device | str = Device.AUTO, threads: int | None = None) -> OnnxTagger:
    """Folder path, ``model.onnx`` path, name under models/taggers, known short name, or hub repo id."""
    text = str(name_or_path).strip()
    if not text:
        raise InvalidInputError("No tagger given. Pass a folder, a name under models/taggers, or a hub repo id.")
    path = Path(text).expanduser()
    if path.is_file() and path.suffix == ".onnx":
        return open_folder(path.parent, device=device, threads=threads)
    if path.is_dir():
        return open_folder(path, device=device, threads=threads)
    root = model_dir("taggers", models_root)
    if "/" not in text and "\\" not in text:
        local = safe_join(root, text)
        if local.is_dir():
            return open_folder(local, name=text, device=device, threads=threads)
        if text in KNOWN_TAGGERS:
            return open_folder(_download(KNOWN_TAGGERS[text]), name=text, device=device, threads=threads)
        raise ModelNotFoundError(
            f"No tagger {text!r} in {root}. Local taggers: {', '.join(local_taggers(models_root)) or 'none'}. "
            f"Known hub taggers: {', '.join(KNOWN_TAGGERS)}."
        )
    if text.count("/") == 1 and not path.exists() and not text.startswith((".", "/", "~")):
        local = root / text.split("/")[-1]
        if local.is_dir():  # a copy the user placed in models/taggers wins over the hub
            return open_folder(local, name=local.name, device=device, threads=threads)
        return open_folder(_download(text), name=text.split("/")[-1], device=device, threads=threads)
    raise ModelNotFoundError(f"{text}: no such folder or file. Give a folder holding model.onnx and its labels.")
