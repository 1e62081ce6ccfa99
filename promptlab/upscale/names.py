"""Upscaler names as A1111 shows them, and where their files live.

Three kinds, one namespace (the hires-fix and Extras dropdowns of A1111 share it):

* latent upscalers (``Latent``, ``Latent (bicubic)``, ...): hires fix only, they work on latents;
* plain image resizers (``None``, ``Lanczos``, ``Nearest``);
* model upscalers loaded with spandrel from A1111's folders ``models/ESRGAN``, ``models/RealESRGAN``,
  ``models/SwinIR``, ``models/DAT`` (and ``models/ScuNET``): A1111's built-in names map to the
  file names its downloader uses; any other file is named by its stem (``4x-UltraSharp``).

Only the file system is read (no torch): resolving a name is cheap enough for input checks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from promptlab.backend.models import ModelRoots
from promptlab.backend.safeload import WEIGHT_SUFFIXES
from promptlab.paths import safe_join
from promptlab.upscale.errors import UpscaleInputError, UpscalerNotFoundError

# A1111 latent upscaler names -> torch.nn.functional.interpolate arguments (hires fix only)
LATENT_UPSCALERS = {
    "Latent": {"mode": "bilinear", "antialias": False},
    "Latent (antialiased)": {"mode": "bilinear", "antialias": True},
    "Latent (bicubic)": {"mode": "bicubic", "antialias": False},
    "Latent (bicubic antialiased)": {"mode": "bicubic", "antialias": True},
    "Latent (nearest)": {"mode": "nearest", "antialias": False},
    "Latent (nearest-exact)": {"mode": "nearest-exact", "antialias": False},
}
IMAGE_UPSCALERS = ("None", "Lanczos", "Nearest")

# the folders A1111 reads upscaler models from, in its order
MODEL_FOLDERS = ("ESRGAN", "RealESRGAN", "SwinIR", "DAT", "ScuNET")
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt", ".bin")


@dataclass(frozen=True)
class BuiltinModel:
    """One of A1111's built-in upscaler names and the file its downloader saves."""

    name: str
    folder: str
    file: str
    scale: int


# A1111's built-in list (modules/esrgan_model.py, realesrgan_model.py, swinir_model.py, dat_model.py,
# scunet_model.py): name -> the file name it downloads to.
BUILTIN_MODELS = (
    BuiltinModel("ESRGAN_4x", "ESRGAN", "ESRGAN_4x.pth", 4),
    BuiltinModel("R-ESRGAN General 4xV3", "RealESRGAN", "realesr-general-x4v3.pth", 4),
    BuiltinModel("R-ESRGAN General WDN 4xV3", "RealESRGAN", "realesr-general-wdn-x4v3.pth", 4),
    BuiltinModel("R-ESRGAN AnimeVideo", "RealESRGAN", "realesr-animevideov3.pth", 4),
    BuiltinModel("R-ESRGAN 4x+", "RealESRGAN", "RealESRGAN_x4plus.pth", 4),
    BuiltinModel("R-ESRGAN 4x+ Anime6B", "RealESRGAN", "RealESRGAN_x4plus_anime_6B.pth", 4),
    BuiltinModel("R-ESRGAN 2x+", "RealESRGAN", "RealESRGAN_x2plus.pth", 2),
    BuiltinModel("SwinIR 4x", "SwinIR", "SwinIR_4x.pth", 4),
    BuiltinModel("DAT x2", "DAT", "DAT_x2.pth", 2),
    BuiltinModel("DAT x3", "DAT", "DAT_x3.pth", 3),
    BuiltinModel("DAT x4", "DAT", "DAT_x4.pth", 4),
    BuiltinModel("ScuNET", "ScuNET", "ScuNET.pth", 1),  # the GAN weights, saved under A1111's name
    BuiltinModel("ScuNET PSNR", "ScuNET", "scunet_color_real_psnr.pth", 1),
)
# names A1111 shows that are not single-image models: refused with a reason, never silently replaced
UNSUPPORTED = {"LDSR": "upscale.err_ldsr"}


class UpscalerKind(str, enum.Enum):
    LATENT = "latent"
    IMAGE = "image"
    MODEL = "model"


@dataclass(frozen=True)
class Upscaler:
    """A resolved upscaler. ``path`` is set for model upscalers whose file exists."""

    name: str
    kind: UpscalerKind
    path: Path | None = None
    scale: int | None = None  # the model's native factor when known from the name

    @property
    def available(self) -> bool:
        return self.kind is not UpscalerKind.MODEL or self.path is not None


def _roots(roots: ModelRoots | None) -> ModelRoots:
    return roots if roots is not None else ModelRoots.from_args()


def _model_files(roots: ModelRoots) -> list[tuple[str, Path]]:
    """(folder, file) for every weights file under the upscaler folders, in A1111's folder order."""
    found = []
    for folder in MODEL_FOLDERS:
        base = roots.models / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix.lower() in MODEL_SUFFIXES and path.is_file() and not path.name.startswith("."):
                found.append((folder, path))
    return found


def _builtin_path(model: BuiltinModel, files: list[tuple[str, Path]]) -> Path | None:
    # its own folder first, then any upscaler folder (users often drop everything into ESRGAN/)
    # and the same stem with another suffix (a .pth converted to .safetensors keeps its name)
    ordered = sorted(files, key=lambda fp: fp[0] != model.folder)
    stem = Path(model.file).stem.lower()
    for match in (lambda p: p.name.lower() == model.file.lower(), lambda p: p.stem.lower() == stem):
        for _, path in ordered:
            if match(path):
                return path
    return None


def list_upscalers(roots: ModelRoots | None = None, *, include_latent: bool = True,
                   include_missing: bool = False) -> list[Upscaler]:
    """What a dropdown shows: latent ones (hires fix), None/Lanczos/Nearest, then models.

    Built-in model names appear when their file is present (or always with ``include_missing``);
    every other file appears under its stem.
    """
    roots = _roots(roots)
    files = _model_files(roots)
    out = [Upscaler(n, UpscalerKind.LATENT) for n in LATENT_UPSCALERS] if include_latent else []
    out += [Upscaler(n, UpscalerKind.IMAGE) for n in IMAGE_UPSCALERS]
    claimed: set[Path] = set()
    for model in BUILTIN_MODELS:
        path = _builtin_path(model, files)
        if path is not None:
            claimed.add(path)
        if path is not None or include_missing:
            out.append(Upscaler(model.name, UpscalerKind.MODEL, path, model.scale))
    for folder, path in files:
        if path not in claimed:
            name = path.relative_to(roots.models / folder).with_suffix("").as_posix()
            out.append(Upscaler(name, UpscalerKind.MODEL, path, None))
    return out


def resolve_upscaler(name: str, roots: ModelRoots | None = None, *, allow_latent: bool = True) -> Upscaler:
    """A name as A1111 spells it (case-insensitive), a file stem, or ``sub/stem``, to an upscaler.

    Raises ``UpscalerNotFoundError`` naming the file to put where for a missing built-in, and
    listing what exists for an unknown name; ``UpscaleInputError`` for LDSR and for latent names
    where only image upscalers make sense (Extras), ``InvalidInputError`` for ``../`` escapes.
    """
    name = (name or "").strip()
    if not name:
        raise UpscaleInputError("upscale.err_empty_name")
    if name in LATENT_UPSCALERS or name.lower() in {n.lower() for n in LATENT_UPSCALERS}:
        if not allow_latent:
            raise UpscaleInputError("upscale.err_latent_here", name=name)
        canonical = next(n for n in LATENT_UPSCALERS if n.lower() == name.lower())
        return Upscaler(canonical, UpscalerKind.LATENT)
    for plain in IMAGE_UPSCALERS:
        if plain.lower() == name.lower():
            return Upscaler(plain, UpscalerKind.IMAGE)
    for unsupported, key in UNSUPPORTED.items():
        if unsupported.lower() == name.lower():
            raise UpscaleInputError(key)
    roots = _roots(roots)
    files = _model_files(roots)
    for model in BUILTIN_MODELS:
        if model.name.lower() == name.lower():
            path = _builtin_path(model, files)
            if path is None:
                raise UpscalerNotFoundError("upscale.err_builtin_missing", name=model.name, file=model.file,
                                            folder=str(roots.models / model.folder))
            return Upscaler(model.name, UpscalerKind.MODEL, path, model.scale)
    wanted = name.lower()
    suffix = Path(name).suffix.lower()
    if suffix in WEIGHT_SUFFIXES:
        wanted = wanted[: -len(suffix)]
    if "/" in name or "\\" in name:
        for folder in MODEL_FOLDERS:
            safe_join(roots.models / folder, name)  # refuses ../ escapes before any lookup
    for folder, path in files:
        relative = path.relative_to(roots.models / folder).with_suffix("").as_posix()
        if wanted in (relative.lower(), path.stem.lower()):
            return Upscaler(relative if "/" in name else path.stem, UpscalerKind.MODEL, path, None)
    available = [u.name for u in list_upscalers(roots, include_latent=allow_latent)]
    raise UpscalerNotFoundError("upscale.err_unknown_name", name=name, available=", ".join(available),
                                folders=", ".join(f"models/{f}" for f in MODEL_FOLDERS))
