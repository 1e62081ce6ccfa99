"""Draw a labelled grid: column labels (X values) on top, row labels (Y values) on the left, the axis
titles beside them, an optional title line (the Z value), long labels wrapped, failed cells marked.

``render_grid`` returns the image and its ``GridLayout`` (every box in pixels), so tests and the app
can find a cell or a label without guessing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptlab.grid.fonts import FontChoice, choose_font, load_font

if TYPE_CHECKING:
    from PIL import Image, ImageFont

Box = tuple[int, int, int, int]
MAX_LABEL_LINES = 6
BACKGROUND = (255, 255, 255)
INK = (0, 0, 0)
FAILED_FILL = (236, 236, 236)
FAILED_INK = (170, 30, 30)


@dataclass(frozen=True)
class GridLayout:
    size: tuple[int, int]
    cell_boxes: Mapping[tuple[int, int], Box]       # (ix, iy) -> slot box (the image is centred in it)
    col_label_boxes: tuple[Box, ...]                 # one per X value
    row_label_boxes: tuple[Box, ...]                 # one per Y value
    x_title_box: Box | None
    y_title_box: Box | None
    title_box: Box | None
    font_size: int


@dataclass(frozen=True)
class RenderedGrid:
    image: Image.Image
    layout: GridLayout
    font: FontChoice


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Words, with every CJK character its own token (CJK text breaks between any two characters)."""
    out, word = [], ""
    for ch in text:
        if ch.isspace():
            if word:
                out.append(word)
            word = ""
            out.append(" ")
        elif _is_wide(ch):
            if word:
                out.append(word)
            word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap_text(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    """Greedy wrap to ``width`` pixels; words longer than a line are split; overflow ends with '…'."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if font.getlength(candidate.strip()) <= width or not line.strip():
                if font.getlength(candidate.strip()) > width:   # a single over-long word: split by characters
                    for ch in token:
                        if font.getlength((line + ch).strip()) > width and line.strip():
                            lines.append(line.strip())
                            line = ""
                        line += ch
                else:
                    line = candidate
            else:
                lines.append(line.strip())
                line = token if not token.isspace() else ""
        lines.append(line.strip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last + "…"]
    return lines


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent + 2


def _draw_lines(draw, box: Box, lines: list[str], font, fill=INK) -> None:
    x0, y0, x1, y1 = box
    lh = _line_height(font)
    top = y0 + max(0, (y1 - y0 - lh * len(lines)) // 2)
    for k, line in enumerate(lines):
        w = font.getlength(line)
        draw.text((x0 + (x1 - x0 - w) / 2, top + k * lh), line, font=font, fill=fill)


def render_grid(
    cells: Mapping[tuple[int, int], Image.Image | str | None],
    *,
    x_labels: Sequence[str] = ("",),
    y_labels: Sequence[str] = ("",),
    x_title: str = "",
    y_title: str = "",
    title: str = "",
    font: FontChoice | None = None,
    cell_size: tuple[int, int] | None = None,
) -> RenderedGrid:
    """``cells[(ix, iy)]`` is the image, an error text (a failed cell), or None (not made)."""
    from PIL import Image, ImageDraw

    font = font or choose_font()
    nx, ny = max(1, len(x_labels)), max(1, len(y_labels))
    images = [v for v in cells.values() if not isinstance(v, (str, type(None)))]
    if cell_size is None:
        cell_size = (max((im.width for im in images), default=256), max((im.height for im in images), default=256))
    img_w, img_h = cell_size
    size = max(14, min(64, (img_w + img_h) // 25))
    face = load_font(font.path, font.index, size)
    small = load_font(font.path, font.index, max(12, size * 3 // 4))
    lh, pad = _line_height(face), max(4, size // 3)
    slot_w, slot_h = max(img_w, 10 * size), img_h

    has_x, has_y = any(x_labels) or bool(x_title), any(y_labels) or bool(y_title)
    col_lines = [wrap_text(label, face, slot_w - 2 * pad) for label in x_labels] if has_x else []
    header_h = (max(len(lines) for lines in col_lines) * lh + 2 * pad) if col_lines else 0
    x_title_h = lh + pad if x_title and has_x else 0
    if has_y:
        longest = max((face.getlength(label) for label in y_labels), default=0)
        row_label_w = int(max(6 * size, min(longest + 2 * pad, max(slot_w, 16 * size))))
        row_lines = [wrap_text(label, face, row_label_w - 2 * pad) for label in y_labels]
    else:
        row_label_w, row_lines = 0, []
    y_title_w = lh + pad if y_title and has_y else 0
    left = y_title_w + row_label_w
    title_lines = wrap_text(title, face, left + nx * slot_w - 2 * pad) if title else []
    title_h = len(title_lines) * lh + 2 * pad if title else 0
    top = title_h + x_title_h + header_h
    width, height = left + nx * slot_w, top + ny * slot_h

    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    title_box = (0, 0, width, title_h) if title else None
    if title_box:
        _draw_lines(draw, title_box, title_lines, face)
    x_title_box = (left, title_h, width, title_h + x_title_h) if x_title_h else None
    if x_title_box:
        _draw_lines(draw, x_title_box, wrap_text(x_title, face, width - left), face)
    col_boxes = tuple((left + ix * slot_w, title_h + x_title_h, left + (ix + 1) * slot_w, top) for ix in range(nx)) if has_x else ()
    for box, lines in zip(col_boxes, col_lines):
        _draw_lines(draw, box, lines, face)
    row_boxes = tuple((y_title_w, top + iy * slot_h, left, top + (iy + 1) * slot_h) for iy in range(ny)) if has_y else ()
    for box, lines in zip(row_boxes, row_lines):
        _draw_lines(draw, box, lines, face)
    y_title_box = (0, top, y_title_w, height) if y_title_w else None
    if y_title_box:
        text = wrap_text(y_title, face, height - top, max_lines=1)[0]
        strip = Image.new("RGB", (max(1, height - top), y_title_w), BACKGROUND)
        _draw_lines(ImageDraw.Draw(strip), (0, 0, strip.width, strip.height), [text], face)
        canvas.paste(strip.rotate(90, expand=True), (0, top))

    boxes = {}
    for iy in range(ny):
        for ix in range(nx):
            box = (left + ix * slot_w, top + iy * slot_h, left + (ix + 1) * slot_w, top + (iy + 1) * slot_h)
            boxes[(ix, iy)] = box
            value = cells.get((ix, iy))
            if isinstance(value, str) or value is None:
                inner = (box[0] + 1, box[1] + 1, box[2] - 2, box[3] - 2)
                draw.rectangle(inner, fill=FAILED_FILL)
                message = f"failed: {value}" if isinstance(value, str) else "not made"
                _draw_lines(draw, inner, wrap_text(message, small, inner[2] - inner[0] - 2 * pad, 8), small,
                            FAILED_INK if isinstance(value, str) else INK)
                continue
            im = value if value.mode == "RGB" else value.convert("RGB")
            canvas.paste(im, (box[0] + (slot_w - im.width) // 2, box[1] + (slot_h - im.height) // 2))
    layout = GridLayout((width, height), boxes, col_boxes, row_boxes, x_title_box, y_title_box, title_box, size)
    return RenderedGrid(canvas, layout, font)


def render_sheet(grids: Sequence[Image.Image], gap: int = 32) -> Image.Image:
    """All Z grids side by side (each already carries its Z title)."""
    from PIL import Image

    width = sum(g.width for g in grids) + gap * (len(grids) - 1)
    height = max(g.height for g in grids)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    x = 0
    for g in grids:
        sheet.paste(g, (x, 0))
        x += g.width + gap
    return sheet
