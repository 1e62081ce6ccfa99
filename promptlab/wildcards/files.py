"""Browse and edit wildcard files (for the app), never outside the wildcard folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from promptlab.errors import InvalidInputError
from promptlab.paths import safe_join

WILDCARD_SUFFIXES = (".txt", ".yaml", ".yml", ".json")
MAX_EDIT_BYTES = 2_000_000


@dataclass(frozen=True)
class WildcardFile:
    name: str        # how a prompt refers to it: __name__ (txt) or the file's relative path
    path: Path
    size: int


def list_wildcard_files(folder: Path) -> list[WildcardFile]:
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in WILDCARD_SUFFIXES:
            rel = path.relative_to(folder).with_suffix("").as_posix()
            files.append(WildcardFile(rel, path, path.stat().st_size))
    return files


def read_wildcard_file(folder: Path, relative: str) -> str:
    path = _checked(folder, relative)
    if path.stat().st_size > MAX_EDIT_BYTES:
        raise InvalidInputError(f"{relative} is larger than {MAX_EDIT_BYTES // 1_000_000} MB; edit it in a text editor.")
    return path.read_text(encoding="utf-8-sig", errors="replace")


def write_wildcard_file(folder: Path, relative: str, text: str) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never truncates a wildcard file."""
    path = _checked(folder, relative, must_exist=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _checked(folder: Path, relative: str, *, must_exist: bool = True) -> Path:
    path = safe_join(folder, relative)
    if path.suffix.lower() not in WILDCARD_SUFFIXES:
        raise InvalidInputError(f"{relative!r}: wildcard files end in {', '.join(WILDCARD_SUFFIXES)}.")
    if must_exist and not path.is_file():
        raise InvalidInputError(f"No wildcard file {relative!r} in {folder}.")
    return path
