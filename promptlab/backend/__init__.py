"""Generation backends. Light at import: torch and diffusers are imported inside functions."""

from promptlab.backend.base import Backend, GeneratedImage, Progress

__all__ = ["Backend", "GeneratedImage", "Progress"]
