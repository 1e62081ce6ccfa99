"""Where taggers come from: a folder, ``models/taggers/<name>``, or a Hugging Face repo id.

A folder holds ``model.onnx`` plus ``selected_tags.csv`` (WD) or ``tags.txt`` (DeepDanbooru).
Hub repos are downloaded into models/taggers/<name>/ when online (fetch.py: progress, timeout, HF_ENDPOINT);
one already in huggingface_hub's cache is used from there.
"""

from __future__ import annotations

from pathlib import Path

from promptlab.errors import InvalidInputError, ModelNotFoundError
from promptlab.interrogate.fetch import ProgressFn, cached_folder, download_tagger
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


def _complete(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.onnx")) and _flavor_of(folder) is not None


def _from_hub(repo_id: str, folder: Path, progress: ProgressFn | None) -> Path:
    """``folder`` (models/taggers/<name>) once it holds the repo's files: a copy in the huggingface_hub cache
    is used where one exists, anything else is downloaded (with progress) into ``folder``."""
    if not folder.exists():
        cached = cached_folder(repo_id)
        if cached is not None:
            return cached
    return download_tagger(repo_id, folder, progress=progress)


def resolve_tagger(name_or_path: str | Path, *, models_root: Path | None = None,
                   progress: ProgressFn | None = None) -> tuple[Path, str | None]:
    """(folder holding model.onnx and its labels, display name or None for the folder's name).

    Folder path, ``model.onnx`` path, name under models/taggers, known short name, or hub repo id; hub taggers
    are downloaded into models/taggers/<name>/ first (``progress`` sees every chunk)."""
    text = str(name_or_path).strip()
    if not text:
        raise InvalidInputError("No tagger given. Pass a folder, a name under models/taggers, or a hub repo id.")
    path = Path(text).expanduser()
    if path.is_file() and path.suffix == ".onnx":
        return path.parent, None
    if path.is_dir():
        return path, None
    root = model_dir("taggers", models_root)
    if "/" not in text and "\\" not in text:
        local = safe_join(root, text)
        if text in KNOWN_TAGGERS and not _complete(local):   # absent, or left incomplete by a failed download
            return _from_hub(KNOWN_TAGGERS[text], local, progress), text
        if local.is_dir():
            return local, text
        raise ModelNotFoundError(
            f"No tagger {text!r} in {root}. Local taggers: {', '.join(local_taggers(models_root)) or 'none'}. "
            f"Known hub taggers: {', '.join(KNOWN_TAGGERS)}."
        )
    if text.count("/") == 1 and not path.exists() and not text.startswith((".", "/", "~")):
        name = text.split("/")[-1]
        local = safe_join(root, name)
        if _complete(local):  # a copy the user placed in models/taggers wins over the hub
            return local, name
        return _from_hub(text, local, progress), name
    raise ModelNotFoundError(f"{text}: no such folder or file. Give a folder holding model.onnx and its labels.")


def load_tagger(name_or_path: str | Path, *, models_root: Path | None = None,
                device: Device | str = Device.AUTO, threads: int | None = None,
                progress: ProgressFn | None = None) -> OnnxTagger:
    """Folder path, ``model.onnx`` path, name under models/taggers, known short name, or hub repo id (downloaded
    into models/taggers/<name>/ when missing; ``progress`` sees every chunk, see fetch.stderr_progress)."""
    folder, name = resolve_tagger(name_or_path, models_root=models_root, progress=progress)
    return open_folder(folder, name=name, device=device, threads=threads)
