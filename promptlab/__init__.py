"""promptlab: a workbench for Stable Diffusion prompts.

Importing this package is cheap on purpose: no torch, no streamlit, no file reads.
Heavy modules (``promptlab.backend``, ``promptlab.interrogate``) import their
dependencies inside the functions that need them.
"""

from promptlab.errors import PromptlabError

__all__ = ["PromptlabError", "__version__"]
__version__ = "0.1.0"
