"""Tag files of an A1111 / Forge install: what tagcomplete keeps in ``extensions/*/tags/*.csv``.

tagcomplete (DominikDoom/a1111-sd-webui-tagcomplete) ships tag lists (``danbooru.csv``, ``e621.csv``:
``name,category,post_count,aliases``) and users drop translation files beside them (``tag,译名``, e.g.
byzod's ``Tags-zh-full-pack.csv``). ``find_tag_files`` looks at each CSV's first rows to tell which is
which; ``import_a1111`` imports them all in one atomic update (a bad file leaves the database as it was).
Files that are neither (tagcomplete's ``extra-quality-tags.csv``, lists of an unknown tag set such as
``derpibooru.csv``) are listed as skipped with the reason, never imported silently.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tagdb.importers.autocomplete import import_autocomplete
from tagdb.importers.translations import import_translations
from tagdb.model import ImportReport, TagImportError
from tagdb.normalize import has_cjk
from tagdb.schema import resolve_path
from tagdb.store import atomic_update

#: Folder names of webui installs, looked for in the home folder (and its Desktop / Documents)
USUAL_NAMES = ("stable-diffusion-webui", "stable-diffusion-webui-forge", "stable-diffusion-webui-reForge",
               "sd-webui-forge", "webui_forge", "sd-webui-aki", "sd-webui-aki-v4", "sd-webui-aki-v4.10",
               "sd-webui-forge-aki", "automatic", "SD.Next")
SNIFF_ROWS = 20


@dataclass(frozen=True)
class TagFile:
    path: Path
    format: str  # "autocomplete" | "e621" | "translations" | "skip"
    reason: str = ""  # why skipped


@dataclass(frozen=True)
class A1111Tags:
    root: Path
    files: tuple[TagFile, ...]

    @property
    def importable(self) -> tuple[TagFile, ...]:
        return tuple(f for f in self.files if f.format != "skip")

    @property
    def skipped(self) -> tuple[TagFile, ...]:
        return tuple(f for f in self.files if f.format == "skip")


def usual_bases(home: Path | None = None) -> list[Path]:
    home = Path(home) if home is not None else Path.home()
    return [home, home / "Desktop", home / "Documents", home / "AI"]


def usual_roots(home: Path | None = None) -> list[Path]:
    """Existing installs among the usual places (``~/<name>``, ``~/Desktop/<name>``, ... for USUAL_NAMES)."""
    return [base / name for base in usual_bases(home) for name in USUAL_NAMES if (base / name / "extensions").is_dir()]


def _sniff(path: Path) -> TagFile:
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            rows = [r for _, r in zip(range(SNIFF_ROWS), csv.reader(fh)) if r and any(x.strip() for x in r)]
    except (OSError, csv.Error) as exc:
        return TagFile(path, "skip", f"unreadable ({exc})")
    if not rows:
        return TagFile(path, "skip", "empty")

    def numeric(text: str) -> bool:
        return text.strip().lstrip("-").isdecimal() or not text.strip()

    tag_list = sum(len(r) >= 3 and numeric(r[1]) and r[1].strip() != "" and numeric(r[2]) for r in rows)
    translated = sum(2 <= len(r) <= 3 and has_cjk(r[1]) for r in rows)
    name = path.name.lower()
    if tag_list * 2 > len(rows):
        if "e621" in name:
            return TagFile(path, "e621")
        if "danbooru" in name:
            return TagFile(path, "autocomplete")
        return TagFile(path, "skip", "a tag list of an unknown site; import it with "
                                     "`promptlab tags import FILE --format autocomplete` if it is Danbooru's")
    if translated * 2 > len(rows):
        return TagFile(path, "translations")
    return TagFile(path, "skip", "neither a tag list (name,category,count,aliases) nor translations (tag,text)")


def find_tag_files(root: str | os.PathLike) -> A1111Tags:
    """The tag CSVs of every extension under ``root/extensions``; raises when there is no install there."""
    root = Path(root).expanduser()
    if not (root / "extensions").is_dir():
        raise TagImportError(f"{root} does not look like an A1111/Forge folder (no extensions/ inside). "
                             "Pass the folder that holds webui.py and extensions/.")
    files = sorted(p for p in (root / "extensions").glob("*/tags/*.csv") if p.is_file())
    return A1111Tags(root, tuple(_sniff(p) for p in files))


def import_a1111(found: A1111Tags, *, db: str | os.PathLike | None = None) -> list[ImportReport]:
    """Import the tag lists, then the translations, of ``found`` in one atomic update."""
    if not found.importable:
        raise TagImportError(f"No tagcomplete tag list or translation file under {found.root}/extensions/*/tags/.")
    order = {"autocomplete": 0, "e621": 1, "translations": 2}  # translations name tags imported just before
    reports = []
    with atomic_update(resolve_path(db)) as writer:
        for tag_file in sorted(found.importable, key=lambda f: (order[f.format], f.path.name)):
            started = time.perf_counter()
            writer.begin_source(tag_file.format, str(tag_file.path.resolve()))
            if tag_file.format == "translations":
                counts = import_translations(writer, tag_file.path)
            else:
                counts = import_autocomplete(writer, tag_file.path,
                                             tagset="e621" if tag_file.format == "e621" else "danbooru")
            bad = counts.pop("bad")
            writer.finish_source(counts.get("rows_read", 0), bad.count)
            reports.append(ImportReport(source=str(tag_file.path), format=tag_file.format,
                                        bad_rows=tuple(bad.examples), bad_row_count=bad.count,
                                        seconds=time.perf_counter() - started, **counts))
    return reports
