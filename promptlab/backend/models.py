"""Finding models on disk, telling their family from the weights, and A1111's hashes.

Layout (A1111's): ``<root>/Stable-diffusion/``, ``<root>/Lora/``, ``<root>/VAE/``,
``<root>/embeddings/``. ``--a1111-root`` points at a webui install: its ``models/`` folder is used
and its top-level ``embeddings/`` too. Nothing here imports torch at module level; family detection
reads only the safetensors header (plus, for SD2, one small tensor).
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from promptlab.backend.safeload import (
    PICKLE_SUFFIXES,
    WEIGHT_SUFFIXES,
    check_weights_path,
    read_safetensors_header,
)
from promptlab.errors import InvalidInputError, ModelLoadError, ModelNotFoundError
from promptlab.paths import models_root, safe_join, user_home

CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth")
KIND_FOLDERS = {"checkpoint": "Stable-diffusion", "lora": "Lora", "vae": "VAE", "embedding": "embeddings"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class Family(str, enum.Enum):
    SD1 = "sd1"
    SD2 = "sd2"
    SDXL = "sdxl"


class Prediction(str, enum.Enum):
    EPSILON = "epsilon"
    V = "v_prediction"


@dataclass(frozen=True)
class CheckpointKind:
    """What the weights say: family, prediction type, zero-terminal-SNR, and the shipped config to use."""

    family: Family
    prediction: Prediction
    config_name: str
    zero_snr: bool = False


@dataclass(frozen=True)
class ModelFile:
    """One model file found on disk. ``name`` is A1111's name (relative path without suffix)."""

    kind: str  # checkpoint | lora | vae | embedding
    name: str
    path: Path

    @property
    def title(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class ModelRoots:
    """Where to look. ``models`` is the A1111-layout models folder; ``extra_embeddings`` the webui's embeddings/."""

    models: Path
    extra_embeddings: Path | None = None

    @classmethod
    def from_args(cls, models: str | Path | None = None, a1111_root: str | Path | None = None) -> ModelRoots:
        if a1111_root is not None:
            root = Path(a1111_root).expanduser()
            if not (root / "models").is_dir():
                raise ModelNotFoundError(
                    f"{root} does not look like a stable-diffusion-webui folder (no models/ inside). "
                    "Pass the folder that contains webui.py and models/."
                )
            return cls(root / "models", root / "embeddings")
        return cls(Path(models).expanduser() if models else models_root())

    def folder(self, kind: str) -> Path:
        return self.models / KIND_FOLDERS[kind]


def list_models(roots: ModelRoots, kind: str) -> list[ModelFile]:
    """Files of one kind, sorted by name; missing folders give an empty list."""
    folders = [roots.folder(kind)]
    if kind == "embedding" and roots.extra_embeddings is not None:
        folders.append(roots.extra_embeddings)
    suffixes = CHECKPOINT_SUFFIXES if kind == "checkpoint" else WEIGHT_SUFFIXES
    found: dict[str, ModelFile] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in suffixes and path.is_file() and not path.name.startswith("."):
                name = path.relative_to(folder).with_suffix("").as_posix()
                found.setdefault(name, ModelFile(kind, name, path))
    return sorted(found.values(), key=lambda m: m.name.lower())


def find_model(roots: ModelRoots, kind: str, name: str) -> ModelFile:
    """A model by A1111 name (``sub/name``, with or without suffix, case-insensitive stem match).

    The name is joined under the models folder with ``safe_join``: ``../`` escapes are refused.
    """
    folder = roots.folder(kind)
    candidate = safe_join(folder, name)
    if candidate.is_file() and candidate.suffix.lower() in WEIGHT_SUFFIXES:
        return ModelFile(kind, candidate.relative_to(folder.resolve()).with_suffix("").as_posix(), candidate)
    wanted = name.lower().removesuffix(Path(name).suffix.lower() if Path(name).suffix.lower() in WEIGHT_SUFFIXES else "")
    models = list_models(roots, kind)
    for model in models:
        if model.name.lower() == wanted or model.path.stem.lower() == wanted:
            return model
    available = ", ".join(m.name for m in models[:20]) or "none"
    raise ModelNotFoundError(
        f"No {kind} named {name!r} in {folder}. Available: {available}."
    )


# -- checkpoint sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointSource:
    """What ``--model`` resolved to: a single file, a diffusers folder, or a hub id."""

    kind: str  # file | folder | hub
    location: str
    name: str  # the "Model" infotext value

    @property
    def path(self) -> Path:
        return Path(self.location)


def resolve_checkpoint(roots: ModelRoots, name_or_path: str | None) -> CheckpointSource:
    """A name under ``Stable-diffusion/``, a file or folder path, or a hub id; None = the first found."""
    if not name_or_path:
        found = list_models(roots, "checkpoint")
        if not found:
            raise ModelNotFoundError(no_checkpoint_message(roots))
        return CheckpointSource("file", str(found[0].path), Path(found[0].name).name)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise InvalidInputError(
                f"{path} is a folder but not a diffusers model (no model_index.json). "
                "Pass a .safetensors file, a diffusers folder or a name under models/Stable-diffusion."
            )
        return CheckpointSource("folder", str(path.resolve()), path.name)
    if path.is_file():
        return CheckpointSource("file", str(path.resolve()), path.stem)
    try:
        model = find_model(roots, "checkpoint", name_or_path)
    except ModelNotFoundError:
        if _HUB_ID.match(name_or_path) and not path.suffix.lower() in WEIGHT_SUFFIXES:
            return CheckpointSource("hub", name_or_path, name_or_path.split("/")[-1])
        raise
    return CheckpointSource("file", str(model.path), Path(model.name).name)


def no_checkpoint_message(roots: ModelRoots) -> str:
    folder = roots.folder("checkpoint")
    return (
        f"No checkpoint found in {folder}. Put a Stable Diffusion .safetensors checkpoint there "
        "(SD1.5, SD2.x or SDXL), point PROMPTLAB_MODELS / --models at your webui's models folder, "
        "use --a1111-root <webui folder>, or pass --model <file, diffusers folder or hub id>. "
        "When online, `promptlab models download` fetches a default SD1.5 checkpoint."
    )


# -- family detection ---------------------------------------------------------------------------------

_UNET = "model.diffusion_model."


def detect_checkpoint(path: str | Path, *, allow_pickle: bool = False) -> CheckpointKind:
    """Family (SD1/SD2/SDXL), prediction type and matching shipped config, from the weights."""
    path = check_weights_path(path, allow_pickle=allow_pickle)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        from promptlab.backend.safeload import load_state_dict

        state = load_state_dict(path, allow_pickle=True)
        shapes = {k: tuple(v.shape) for k, v in state.items()}
        metadata: dict[str, str] = {}
        tensor = lambda key: state[key]  # noqa: E731
    else:
        header = read_safetensors_header(path)
        metadata = {str(k): str(v) for k, v in (header.get("__metadata__") or {}).items()}
        shapes = {k: tuple(v["shape"]) for k, v in header.items() if k != "__metadata__"}
        tensor = lambda key: _read_tensor(path, key)  # noqa: E731
    return classify(shapes, metadata, tensor, sidecar=path.with_suffix(".yaml"), name=path.name)


def _read_tensor(path: Path, key: str):
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        return fh.get_tensor(key)


def classify(shapes: dict[str, tuple], metadata: dict[str, str], tensor, *, sidecar: Path | None, name: str) -> CheckpointKind:
    if not any(k.startswith(_UNET) for k in shapes):
        if any(k.startswith(("lora_", "lora_unet", "lora_te")) or ".lora_" in k for k in shapes):
            raise ModelLoadError(f"{name} is a LoRA, not a checkpoint: put it in models/Lora and use <lora:name:1>.")
        vae_prefixes = ("encoder.", "decoder.", "quant_conv.", "post_quant_conv.", "first_stage_model.")
        if shapes and all(k.startswith(vae_prefixes) for k in shapes):
            raise ModelLoadError(f"{name} is a VAE, not a checkpoint: put it in models/VAE.")
        raise ModelLoadError(
            f"{name} is not a Stable Diffusion checkpoint in A1111's single-file layout "
            "(no model.diffusion_model.* weights). Diffusers-format models are folders: pass the folder."
        )
    conv_in = shapes.get(_UNET + "input_blocks.0.0.weight")
    if conv_in is not None and len(conv_in) == 4 and conv_in[1] != 4:
        raise ModelLoadError(
            f"{name} is an inpainting/instruct model ({conv_in[1]} input channels); "
            "only text-to-image checkpoints (4 input channels) are supported."
        )
    context = _context_dim(shapes)
    if any(k.startswith("conditioner.embedders.1.model.") for k in shapes) or any(
        k.startswith("conditioner.embedders.0.transformer.") for k in shapes
    ):
        family = Family.SDXL
    elif any(k.startswith("conditioner.embedders.0.model.") for k in shapes):
        raise ModelLoadError(f"{name} is an SDXL refiner; use an SDXL base checkpoint.")
    elif any(k.startswith("cond_stage_model.model.") for k in shapes):
        family = Family.SD2
    elif any(k.startswith("cond_stage_model.transformer.") for k in shapes):
        family = Family.SD1
    else:
        family = {768: Family.SD1, 1024: Family.SD2, 2048: Family.SDXL}.get(context or 0)
        if family is None:
            raise ModelLoadError(f"{name}: cannot tell SD1/SD2/SDXL from the weights (no text encoder found).")
    prediction = _prediction(family, shapes, metadata, tensor, sidecar)
    zero_snr = "ztsnr" in shapes or metadata.get("modelspec.zero_terminal_snr", "").lower() == "true"
    return CheckpointKind(family, prediction, _config_for(family, shapes, context, name), zero_snr)


def _context_dim(shapes: dict[str, tuple]) -> int | None:
    for key, shape in shapes.items():
        if key.startswith(_UNET) and key.endswith("attn2.to_k.weight"):
            return int(shape[1])
    return None


def _config_for(family: Family, shapes: dict[str, tuple], context: int | None, name: str) -> str:
    from promptlab.backend.model_configs import CONFIG_FAMILIES, read_config

    width = shapes.get(_UNET + "input_blocks.0.0.weight", (0,))[0]
    for config_name, config_family in CONFIG_FAMILIES.items():
        if config_family != family.value:
            continue
        unet = read_config(config_name, "unet")
        if unet["block_out_channels"][0] == width and unet["cross_attention_dim"] == context:
            return config_name
    raise ModelLoadError(
        f"{name}: a {family.value} checkpoint with an unusual architecture (UNet width {width}, "
        f"context {context}); promptlab ships configs for the standard SD1.5, SD2.x and SDXL shapes only."
    )


def _prediction(family: Family, shapes, metadata: dict[str, str], tensor, sidecar: Path | None) -> Prediction:
    """v-prediction: the webui's sidecar ``<name>.yaml`` (``parameterization: "v"``), ComfyUI's ``v_pred``
    marker key, the SAI model-spec metadata, or for SD2 ComfyUI's statistic (a v model's last
    output-block norm1 bias has std > 0.09; SD2-base/epsilon is far smaller)."""
    if sidecar is not None and sidecar.is_file():
        text = sidecar.read_text(encoding="utf-8", errors="replace")
        if re.search(r"parameterization:\s*['\"]?v['\"]?\s*$", text, re.MULTILINE):
            return Prediction.V
        return Prediction.EPSILON
    if "v_pred" in shapes or "edm_vpred.sigma_max" in shapes:
        return Prediction.V
    spec = metadata.get("modelspec.prediction_type", "").lower()
    if spec in ("v", "v_prediction", "v-prediction"):
        return Prediction.V
    if spec == "epsilon":
        return Prediction.EPSILON
    if family is Family.SD2:
        keys = [k for k in shapes if re.fullmatch(rf"{re.escape(_UNET)}output_blocks\.(\d+)\.1\.transformer_blocks\.0\.norm1\.bias", k)]
        if keys:
            last = max(keys, key=lambda k: int(k.split(".")[3]))
            if float(tensor(last).float().std(unbiased=False)) > 0.09:
                return Prediction.V
    return Prediction.EPSILON


# -- hashes ----------------------------------------------------------------------------------------------


def _hash_cache_path() -> Path:
    return user_home() / "cache" / "hashes.json"


def _cached(path: Path, kind: str, compute) -> str:
    stat = path.stat()
    key = f"{kind}:{path.resolve()}"
    stamp = [stat.st_size, stat.st_mtime_ns]
    cache_file = _hash_cache_path()
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    entry = cache.get(key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return str(entry["sha256"])
    digest = compute(path)
    cache[key] = {"stamp": stamp, "sha256": digest}
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache, indent=0), encoding="utf-8")
    os.replace(tmp, cache_file)
    return digest


def cached_hash(path: str | Path, kind: str = "sha256") -> str | None:
    """The hash of ``kind`` ("sha256" / "addnet") if it is already in the cache for this file as it is
    now (same size and mtime), else None — never reads the file."""
    path = Path(path)
    try:
        stat = path.stat()
        cache = json.loads(_hash_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = cache.get(f"{kind}:{path.resolve()}") if isinstance(cache, dict) else None
    if isinstance(entry, dict) and entry.get("stamp") == [stat.st_size, stat.st_mtime_ns]:
        return str(entry["sha256"])
    return None


def _sha256(path: Path, offset: int = 0) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        fh.seek(offset)
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256(path: str | Path) -> str:
    """Full sha256 of the file, cached by (path, size, mtime)."""
    return _cached(Path(path), "sha256", _sha256)


def short_hash(path: str | Path) -> str:
    """A1111's "Model hash": the first 10 hex digits of the file's sha256."""
    return sha256(path)[:10]


def addnet_hash(path: str | Path) -> str:
    """The sha256 A1111 uses for LoRA safetensors: of the tensor bytes after the header, so that
    editing the metadata keeps the hash (kohya's "addnet" hash). Other files: the whole file."""
    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        return sha256(path)

    def compute(p: Path) -> str:
        with p.open("rb") as fh:
            length = int.from_bytes(fh.read(8), "little")
        return _sha256(p, 8 + length)

    return _cached(path, "addnet", compute)


def lora_short_hash(path: str | Path) -> str:
    """What A1111 writes in "Lora hashes": 12 hex digits."""
    return addnet_hash(path)[:12]
