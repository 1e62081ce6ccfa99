"""Fonts for grid labels that never turn Chinese, Japanese or Korean text into boxes.

Order tried: the Noto Sans CJK collection installed with promptlab (PyPI ``noto-cjk-sans-otc``, SIL
OFL; face "Noto Sans CJK SC"), then the system's CJK fonts (Windows: Microsoft YaHei, SimHei,
SimSun; macOS: PingFang, Hiragino Sans GB, STHeiti; Linux: Noto CJK, WenQuanYi, Droid Sans Fallback,
then whatever ``fc-match :lang=zh`` names). A font is used only when it really has the glyphs
(``covers``), checked by comparing each character's rendering with the font's "missing glyph" box.
When no CJK font is found, DejaVu Sans is used and ``FontChoice.warning`` says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from promptlab.errors import PromptlabError

if TYPE_CHECKING:
    from PIL import ImageFont

CJK_SAMPLE = "猫狗中文字體日本語한국"
_MISSING = "\uffff"   # a non-character: no font maps it, so it draws the .notdef glyph

# (path, face index) — for .ttc collections the index picks the Simplified Chinese face.
_SYSTEM_FONTS = (
    # Windows
    (r"C:\Windows\Fonts\msyh.ttc", 0), (r"C:\Windows\Fonts\msyh.ttf", 0),
    (r"C:\Windows\Fonts\simhei.ttf", 0), (r"C:\Windows\Fonts\simsun.ttc", 0),
    # macOS
    ("/System/Library/Fonts/PingFang.ttc", 0), ("/System/Library/Fonts/Hiragino Sans GB.ttc", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0), ("/Library/Fonts/Arial Unicode.ttf", 0),
    # Linux (Debian/Ubuntu/Fedora/Arch paths)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0), ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
_LATIN_FALLBACKS = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Arial.ttf", "arial.ttf")


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int = 0
    name: str = ""
    cjk: bool = True
    warning: str = ""


def bundled_cjk_font() -> tuple[str, int] | None:
    """Noto Sans CJK from the ``noto-cjk-sans-otc`` package (index 2 = the SC face)."""
    try:
        import noto_cjk_sans_otc
    except ModuleNotFoundError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return (str(path), 2) if path.is_file() else None


def _fc_match() -> list[tuple[str, int]]:
    if not shutil.which("fc-match"):
        return []
    try:
        out = subprocess.run(["fc-match", "-s", "-f", "%{file}|%{index}\n", ":lang=zh"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines()[:20]:
        path, _, index = line.partition("|")
        if path:
            found.append((path, int(index) if index.isdigit() else 0))
    return found


def candidates() -> list[tuple[str, int]]:
    out = []
    bundled = bundled_cjk_font()
    if bundled:
        out.append(bundled)
    out += [(p, i) for p, i in _SYSTEM_FONTS if os.path.isfile(p)]
    out += _fc_match()
    return out


@lru_cache(maxsize=64)
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size=size, index=index)


def covers(font: ImageFont.FreeTypeFont, text: str) -> bool:
    """True when every visible character of ``text`` has a real glyph in ``font`` (not the .notdef box)."""
    missing = _render(font, _MISSING)
    return all(_render(font, ch) != missing for ch in set(text) if not ch.isspace())


def missing_chars(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    missing = _render(font, _MISSING)
    return sorted({ch for ch in text if not ch.isspace() and _render(font, ch) == missing})


def _render(font: ImageFont.FreeTypeFont, ch: str) -> tuple:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


def choose_font() -> FontChoice:
    """``$PROMPTLAB_FONT`` when set (``path`` or ``path#index`` for a collection), else the first
    installed font that covers Chinese, Japanese and Korean samples."""
    return _choose_font(os.environ.get("PROMPTLAB_FONT", ""))


@lru_cache(maxsize=4)
def _choose_font(override: str) -> FontChoice:
    if override:
        path, _, index = override.partition("#")
        try:
            font = load_font(path, int(index or 0), 24)
        except (OSError, ValueError):
            raise PromptlabError(f"PROMPTLAB_FONT={override!r} cannot be loaded as a font; give a .ttf/.ttc/.otf "
                                 "path (path#N picks face N of a .ttc), or unset it.") from None
        cjk = covers(font, "猫中文")
        warning = "" if cjk else (f"PROMPTLAB_FONT {path} has no Chinese glyphs: CJK labels will show as boxes.")
        return FontChoice(path, int(index or 0), " ".join(font.getname()), cjk, warning)
    for path, index in candidates():
        try:
            font = load_font(path, index, 24)
        except OSError:
            continue
        if covers(font, "猫中文"):
            return FontChoice(path, index, " ".join(font.getname()), True)
    for path in _LATIN_FALLBACKS:
        try:
            font = load_font(path, 0, 24)
        except OSError:
            continue
        return FontChoice(path, 0, " ".join(font.getname()), False,
                          "No CJK font found: Chinese/Japanese/Korean labels will show as boxes. "
                          "Install promptlab's dependency noto-cjk-sans-otc (pip install noto-cjk-sans-otc), "
                          "a system CJK font (apt install fonts-noto-cjk), or set PROMPTLAB_FONT to a .ttf/.ttc/.otf.")
    raise PromptlabError("No usable font found for grid labels; set PROMPTLAB_FONT to a .ttf/.ttc/.otf file.")
