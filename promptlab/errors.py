"""One small error hierarchy. Messages say what to do next."""

from __future__ import annotations

from typing import TypeVar

E = TypeVar("E", bound=BaseException)


class PromptlabError(Exception):
    """Base of every error promptlab raises on purpose."""


class InvalidInputError(PromptlabError, ValueError):
    """The user's input (text, file, spec, parameter) cannot be used as given."""


class ModelNotFoundError(PromptlabError, FileNotFoundError):
    """A model file, folder or hub id could not be found."""


class ModelLoadError(PromptlabError):
    """A model was found but could not be loaded (corrupt, wrong type, wrong base model)."""


class UnsafeModelError(PromptlabError):
    """A pickled checkpoint was refused because the user did not opt in."""


class MissingDependencyError(PromptlabError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class BackendError(PromptlabError):
    """A generation backend failed (local or remote)."""


class ClusterError(PromptlabError):
    """A Ray cluster could not be reached or used (address, versions, what its workers lack)."""


class CancelledError(PromptlabError):
    """The user cancelled a running job."""


def missing_dependency(package: str, extra: str) -> MissingDependencyError:
    """Build the standard message for a missing optional dependency."""
    return MissingDependencyError(
        f"{package} is not installed. Install it with: pip install 'promptlab[{extra}]' "
        f"(or: .venv/bin/pip install -e '.[{extra}]' in a checkout)."
    )


def with_ui_text(exc: E, key: str, **params: object) -> E:
    """Attach the sentence the UI shows for ``exc``: an i18n key and its values (names of files, folders, the
    mirror). The English message stays as it is for the CLI and the UI's detail expander; the attributes
    survive pickling (Ray), as an exception's ``__dict__`` does."""
    exc.ui_key = key  # type: ignore[attr-defined]
    exc.ui_params = {name: str(value) for name, value in params.items()}  # type: ignore[attr-defined]
    return exc
