"""The CLIP interrogator, through the clip-interrogator package (pharmapsychotic), extended.

What we use from the package: its Config, model loading (open_clip + BLIP/BLIP-2/GIT captioners), its
term lists (artists, flavors, mediums, movements, trending sites, negative), its LabelTable with the
on-disk cache of text embeddings (one safetensors file per CLIP model and table, keyed by a hash of the
terms), its ``chain`` search and prompt truncation.

What we change, and why:
- Several images per call: captions and image features are computed in batches (the package does one
  image at a time).
- Ranking uses one pre-stacked embedding matrix per table, kept on the device, and an exact top-k. The
  package restacks ~100k numpy rows on every call and, for tables larger than ``chunk_size``, ranks in
  chunks and forgets ``reverse`` in the final pass (so its negative mode picks similar, not dissimilar,
  flavors once the flavor table is chunked).
- ``torch.cuda.amp.autocast()`` (deprecated, and a warning on every call on CPU) is replaced by
  ``torch.autocast`` enabled only on CUDA.
- The device is chosen when the interrogator is built (the package probes it when it is imported), and
  the text-embedding cache lives under PROMPTLAB_HOME instead of ./cache; the package's download of
  precomputed embeddings is off unless asked for.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from promptlab.errors import InvalidInputError, ModelNotFoundError, missing_dependency, with_ui_text
from promptlab.interrogate.images import ImageSource, load_image, on_white
from promptlab.paths import user_home

CLIP_FOR_FAMILY = {
    "sd1": "ViT-L-14/openai",
    "sd2": "ViT-H-14/laion2b_s32b_b79k",
    "sdxl": "ViT-bigG-14/laion2b_s39b_b160k",
}
CAPTION_MODELS = ("blip-base", "blip-large", "blip2-2.7b", "blip2-flan-t5-xl", "git-large-coco")


class ClipMode(str, Enum):
    BEST = "best"
    FAST = "fast"
    CLASSIC = "classic"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class ClipSettings:
    clip_model: str = CLIP_FOR_FAMILY["sd1"]
    caption_model: str | None = "blip-large"
    device: str = "auto"
    cache_dir: str | None = None         # default: $PROMPTLAB_HOME/cache/clip-interrogator
    data_path: str | None = None         # term lists; default: the package's data folder
    batch_size: int = 8
    caption_max_length: int = 32
    flavor_intermediate_count: int = 2048
    chunk_size: int = 2048
    download_cache: bool = False         # fetch precomputed term embeddings from the package's HF repo

    def __post_init__(self) -> None:
        if self.clip_model.count("/") != 1:
            raise InvalidInputError(
                f"CLIP model {self.clip_model!r} must be open_clip's name/pretrained, e.g. ViT-L-14/openai.")
        if self.caption_model is not None and self.caption_model not in CAPTION_MODELS:
            raise InvalidInputError(
                f"Unknown caption model {self.caption_model!r}; choose one of {', '.join(CAPTION_MODELS)}.")
        if self.batch_size < 1:
            raise InvalidInputError("batch size must be at least 1.")

    @classmethod
    def for_family(cls, family: str, *, clip_model: str | None = None, **kw) -> ClipSettings:
        if family not in CLIP_FOR_FAMILY:
            raise InvalidInputError(f"Unknown SD family {family!r}; choose one of {', '.join(CLIP_FOR_FAMILY)}.")
        return cls(clip_model=clip_model or CLIP_FOR_FAMILY[family], **kw)

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else user_home() / "cache" / "clip-interrogator"


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _cached(repo: str, filenames: Sequence[str]) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return any(isinstance(try_to_load_from_cache(repo, f), str) for f in filenames)


def _hub_repos(settings: ClipSettings, *, caption: bool = True) -> list[str]:
    """The hub repositories the interrogator downloads: open_clip's weights and the caption model."""
    from open_clip.pretrained import get_pretrained_cfg

    arch, tag = settings.clip_model.split("/")
    repos = [(get_pretrained_cfg(arch, tag).get("hf_hub") or "").rstrip("/") or settings.clip_model]
    if caption and settings.caption_model:
        from clip_interrogator.clip_interrogator import CAPTION_MODELS as captions

        repos.append(captions[settings.caption_model])
    return repos


def _not_downloaded(message: str, repos: Sequence[str]) -> ModelNotFoundError:
    """The error for weights that are not here and cannot be fetched, with the UI's sentence (which repos,
    from where, the mirror, the cache folder to fill from another machine)."""
    from huggingface_hub import constants

    from promptlab.backend.download import hub_endpoint
    from promptlab.interrogate.fetch import MIRROR_EXAMPLE

    return with_ui_text(ModelNotFoundError(message), "firsthour.clip.not_downloaded", repos=", ".join(repos),
                        endpoint=hub_endpoint(), mirror=MIRROR_EXAMPLE, cache=constants.HF_HUB_CACHE)


def check_weights(settings: ClipSettings, *, check_caption: bool = True) -> None:
    """Fail fast, before building a multi-GB model, on unknown names and on weights missing offline."""
    import open_clip
    from open_clip.pretrained import get_pretrained_cfg

    arch, tag = settings.clip_model.split("/")
    cfg = get_pretrained_cfg(arch, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        raise InvalidInputError(
            f"open_clip has no {settings.clip_model!r}. Pretrained tags for {arch}: {', '.join(tags) or 'none'}.")
    from promptlab.backend.download import hub_offline

    if not hub_offline():
        return
    hint = "Run once online so the weights land in the Hugging Face cache (HF_HUB_OFFLINE is set)."
    repo = (cfg.get("hf_hub") or "").rstrip("/")
    if repo and not _cached(repo, ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")):
        raise _not_downloaded(f"CLIP weights for {settings.clip_model} ({repo}) are not downloaded. {hint}", [repo])
    if check_caption and settings.caption_model:
        from clip_interrogator.clip_interrogator import CAPTION_MODELS as repos

        if not _cached(repos[settings.caption_model], ("config.json",)):
            raise _not_downloaded(
                f"Caption model {settings.caption_model} ({repos[settings.caption_model]}) is not downloaded. {hint}",
                [repos[settings.caption_model]])


def _imports():
    try:
        import torch
        from clip_interrogator import clip_interrogator as ci
    except ImportError:
        raise missing_dependency("clip-interrogator", "interrogate") from None
    return torch, ci


@dataclass(frozen=True)
class _Table:
    labels: tuple[str, ...]
    embeds: object = field(repr=False)  # torch.Tensor (N, D) on the device


class ClipInterrogator:
    """Thread-safe (one call at a time) CLIP interrogator; build with ``load_interrogator``."""

    def __init__(self, settings: ClipSettings, *, clip_model=None, clip_preprocess=None,
                 caption_model=None, caption_processor=None) -> None:
        torch, ci = _imports()
        self.settings = settings
        self.device = resolve_device(settings.device)
        cache = settings.resolved_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        config = ci.Config(
            clip_model_name=settings.clip_model, caption_model_name=settings.caption_model, device=self.device,
            cache_path=str(cache), download_cache=settings.download_cache, quiet=True,
            chunk_size=settings.chunk_size, flavor_intermediate_count=settings.flavor_intermediate_count,
            caption_max_length=settings.caption_max_length,
            **({"data_path": str(settings.data_path)} if settings.data_path else {}),
        )
        if clip_model is None:
            check_weights(settings, check_caption=caption_model is None)
        config.clip_model, config.clip_preprocess = clip_model, clip_preprocess
        config.caption_model, config.caption_processor = caption_model, caption_processor
        try:
            with warnings.catch_warnings():
                # the package's one-time table building still uses torch.cuda.amp.autocast
                warnings.filterwarnings("ignore", message=".*autocast.*")
                self._engine = ci.Interrogator(config)
        except (ImportError, InvalidInputError):
            raise
        except Exception as exc:  # open_clip / transformers / hub raise many unrelated types
            from promptlab.backend.download import hub_endpoint

            raise _not_downloaded(
                f"Could not load CLIP {settings.clip_model} / caption model {settings.caption_model}: "
                f"{type(exc).__name__}: {exc}. The weights download from {hub_endpoint()} on first use; offline, "
                "run once with internet access (or with HF_ENDPOINT set to a mirror you can reach) so they land "
                "in the Hugging Face cache.", _hub_repos(settings, caption=caption_model is None),
            ) from exc
        self._tokenize = self._engine.tokenize
        names = ("artists", "flavors", "mediums", "movements", "trendings", "negative")
        self._tables = {n: self._stack(getattr(self._engine, n)) for n in names}
        merged = [self._tables[n] for n in ("artists", "flavors", "mediums", "movements", "trendings")]
        self._tables["merged"] = _Table(sum((t.labels for t in merged), ()),
                                        torch.cat([t.embeds for t in merged]))
        self._install_overrides()
        self._lock = threading.Lock()

    # ----- helpers
    def _stack(self, table) -> _Table:
        import numpy as np
        import torch

        arr = np.stack(table.embeds).astype(np.float16 if self.device == "cuda" else np.float32)
        return _Table(tuple(table.labels), torch.from_numpy(arr).to(self.device))

    def _autocast(self):
        import torch

        on_cuda = self.device.startswith("cuda")
        return torch.autocast(device_type="cuda" if on_cuda else "cpu", dtype=torch.float16, enabled=on_cuda)

    def encode_text(self, texts: Sequence[str]):
        import torch

        tokens = self._tokenize(list(texts)).to(self.device)
        with torch.no_grad(), self._autocast():
            feats = self._engine.clip_model.encode_text(tokens).float()
        return feats / feats.norm(dim=-1, keepdim=True)

    def image_features(self, images: Sequence) -> object:
        """PIL images -> (N, D) normalised float32 features, one forward pass per batch."""
        import torch

        self._engine._prepare_clip()
        batch = torch.stack([self._engine.clip_preprocess(im) for im in images]).to(self.device)
        with torch.no_grad(), self._autocast():
            feats = self._engine.clip_model.encode_image(batch).float()
        return feats / feats.norm(dim=-1, keepdim=True)

    def captions(self, images: Sequence) -> list[str]:
        """Batched captioning with the configured caption model."""
        import torch

        engine = self._engine
        if engine.caption_model is None:
            raise InvalidInputError("No caption model is loaded; pick one (blip-large, ...) or pass captions.")
        engine._prepare_caption()
        inputs = engine.caption_processor(images=list(images), return_tensors="pt").to(self.device)
        if not (self.settings.caption_model or "").startswith("git-"):
            inputs = inputs.to(engine.dtype)
        with torch.no_grad():
            tokens = engine.caption_model.generate(**inputs, max_new_tokens=self.settings.caption_max_length)
        return [t.strip() for t in engine.caption_processor.batch_decode(tokens, skip_special_tokens=True)]

    def rank(self, feature, table: str, count: int, *, reverse: bool = False) -> list[str]:
        """Exact top-``count`` labels of a table for one image's (1, D) feature."""
        t = self._tables[table]
        sims = (feature.to(t.embeds.dtype) @ t.embeds.T).float()[0]
        if reverse:
            sims = -sims
        top = sims.topk(min(count, len(t.labels))).indices.tolist()
        return [t.labels[i] for i in top]

    def _install_overrides(self) -> None:
        """Route the package's chain() through our autocast-free text ranking."""
        engine = self._engine

        def rank_top(image_features, text_array, reverse=False):
            sims = (self.encode_text(text_array) @ image_features.float().T)[:, 0]
            return text_array[int((-sims if reverse else sims).argmax())]

        def similarity(image_features, text):
            return float((self.encode_text([text]) @ image_features.float().T)[0, 0])

        def similarities(image_features, text_array):
            return (self.encode_text(text_array) @ image_features.float().T)[:, 0].tolist()

        engine.rank_top, engine.similarity, engine.similarities = rank_top, similarity, similarities

    # ----- modes (one image's feature row)
    def _classic(self, feat, caption: str, max_flavors: int = 3) -> str:
        _, ci = _imports()
        medium = self.rank(feat, "mediums", 1)[0]
        artist = self.rank(feat, "artists", 1)[0]
        trending = self.rank(feat, "trendings", 1)[0]
        movement = self.rank(feat, "movements", 1)[0]
        flavors = ", ".join(self.rank(feat, "flavors", max_flavors))
        head = f"{caption} {artist}" if caption.startswith(medium) else f"{caption}, {medium} {artist}"
        return ci._truncate_to_fit(f"{head}, {trending}, {movement}, {flavors}", self._tokenize)

    def _fast(self, feat, caption: str, max_flavors: int) -> str:
        _, ci = _imports()
        tops = self.rank(feat, "merged", max_flavors)
        return ci._truncate_to_fit(caption + ", " + ", ".join(tops), self._tokenize)

    def _negative(self, feat, max_flavors: int) -> str:
        flavors = self.rank(feat, "flavors", self.settings.flavor_intermediate_count, reverse=True)
        phrases = flavors + list(self._tables["negative"].labels)
        return self._engine.chain(feat, phrases, max_count=max_flavors, reverse=True, desc="Negative chain")

    def _best(self, feat, caption: str, min_flavors: int, max_flavors: int) -> str:
        flavors = self.rank(feat, "merged", self.settings.flavor_intermediate_count)
        best = self._engine.chain(feat, flavors, caption, self._engine.similarity(feat, caption),
                                  min_count=min_flavors, max_count=max_flavors, desc="Flavor chain")
        candidates = [caption, self._classic(feat, caption, max_flavors), self._fast(feat, caption, max_flavors), best]
        sims = self._engine.similarities(feat, candidates)
        return candidates[max(range(len(sims)), key=sims.__getitem__)]

    # ----- public
    def interrogate(self, images: Sequence[ImageSource], mode: ClipMode | str = ClipMode.BEST, *,
                    min_flavors: int = 8, max_flavors: int = 32, captions: Sequence[str] | None = None) -> list[str]:
        """Prompts for several images (batched captioning and image encoding)."""
        mode = ClipMode(mode)
        if captions is not None and len(captions) != len(images):
            raise InvalidInputError(f"{len(captions)} captions given for {len(images)} images.")
        out: list[str] = []
        with self._lock:
            size = self.settings.batch_size
            for start in range(0, len(images), size):
                pil = [on_white(load_image(src)) for src in images[start:start + size]]
                feats = self.image_features(pil)
                if mode is ClipMode.NEGATIVE:
                    out.extend(self._negative(feats[i:i + 1], max_flavors) for i in range(len(pil)))
                    continue
                caps = list(captions[start:start + size]) if captions is not None else self.captions(pil)
                for i, cap in enumerate(caps):
                    f = feats[i:i + 1]
                    if mode is ClipMode.CLASSIC:
                        out.append(self._classic(f, cap))
                    elif mode is ClipMode.FAST:
                        out.append(self._fast(f, cap, max_flavors))
                    else:
                        out.append(self._best(f, cap, min_flavors, max_flavors))
        return out


def load_interrogator(settings: ClipSettings = ClipSettings(), **parts) -> ClipInterrogator:
    """Build an interrogator; ``parts`` may inject ``clip_model``, ``clip_preprocess``, ``caption_model``,
    ``caption_processor`` (already-loaded models, e.g. tiny ones in tests)."""
    return ClipInterrogator(settings, **parts)
