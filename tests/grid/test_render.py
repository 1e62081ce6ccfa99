"""Grid drawing: size, label positions, wrapping, failed cells, CJK glyph coverage (never tofu)."""

import pytest
from PIL import Image

from promptlab.grid import render_grid
from promptlab.grid.fonts import FontChoice, bundled_cjk_font, choose_font, covers, load_font, missing_chars
from promptlab.grid.render import wrap_text

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def solid(colour, size=(64, 64)):
    return Image.new("RGB", size, colour)


def ink_in(image, box):
    """Number of non-white pixels inside box."""
    crop = image.crop(box).convert("L")
    return sum(crop.histogram()[:200])


def test_bundled_font_is_noto_cjk_and_covers_chinese_japanese_korean():
    found = bundled_cjk_font()
    assert found is not None, "noto-cjk-sans-otc is a core dependency"
    font = load_font(found[0], found[1], 24)
    assert font.getname()[0] == "Noto Sans CJK SC"
    assert covers(font, "猫耳 少女 蓝色头发 日本語 한국어 (masterpiece:1.2)")
    assert choose_font().cjk and choose_font().warning == ""


@pytest.mark.skipif(not __import__("os").path.isfile(DEJAVU), reason="DejaVu not installed")
def test_coverage_check_detects_tofu_in_a_latin_font():
    font = load_font(DEJAVU, 0, 24)
    assert covers(font, "blue hair")
    assert not covers(font, "蓝色头发")
    assert missing_chars(font, "a猫b") == ["猫"]


def test_chinese_label_is_drawn_with_glyphs_not_boxes():
    cjk = choose_font()
    grid = render_grid({(0, 0): solid((0, 0, 0))}, x_labels=["猫"], x_title="")
    box = grid.layout.col_label_boxes[0]
    label = grid.image.crop(box)
    # The same character through a font without CJK draws the .notdef box: the two must differ,
    # and the CJK rendering must have ink.
    tofu = render_grid({(0, 0): solid((0, 0, 0))}, x_labels=["猫"],
                       font=FontChoice(DEJAVU, 0, "DejaVu", cjk=False)).image.crop(box)
    assert ink_in(grid.image, box) > 20
    assert label.tobytes() != tofu.tobytes()
    assert cjk.name.startswith("Noto Sans CJK")


def test_six_cells_size_and_label_positions():
    colours = {(x, y): (40 * x, 100 * y, 200) for x in range(3) for y in range(2)}
    grid = render_grid({k: solid(c) for k, c in colours.items()},
                       x_labels=["Euler a", "DPM++ 2M", "DDIM"], y_labels=["modelA", "modelB"],
                       x_title="Sampler", y_title="Checkpoint")
    layout = grid.layout
    assert grid.image.size == layout.size
    assert len(layout.col_label_boxes) == 3 and len(layout.row_label_boxes) == 2
    # columns left to right, rows top to bottom; labels sit above their column / left of their row
    for ix, box in enumerate(layout.col_label_boxes):
        cell = layout.cell_boxes[(ix, 0)]
        assert box[0] == cell[0] and box[2] == cell[2] and box[3] <= cell[1]
        assert ink_in(grid.image, box) > 10
    for iy, box in enumerate(layout.row_label_boxes):
        cell = layout.cell_boxes[(0, iy)]
        assert box[1] == cell[1] and box[3] == cell[3] and box[2] <= cell[0]
    assert layout.x_title_box[3] <= layout.col_label_boxes[0][1]
    assert layout.y_title_box[2] <= layout.row_label_boxes[0][0]
    # each image is centred in its slot
    for (x, y), colour in colours.items():
        x0, y0, x1, y1 = layout.cell_boxes[(x, y)]
        assert grid.image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == colour
    width = layout.cell_boxes[(2, 0)][2]
    height = layout.cell_boxes[(0, 1)][3]
    assert grid.image.size == (width, height)


def test_long_label_wraps_and_stays_in_its_box():
    font = load_font(choose_font().path, choose_font().index, 16)
    long = "masterpiece, best quality, 1girl, very long silver hair, 蓝色眼睛, school uniform"
    lines = wrap_text(long, font, 120)
    assert len(lines) > 2 and all(font.getlength(line) <= 120 for line in lines)
    assert "".join(lines).replace(" ", "") in long.replace(" ", "") or lines[-1].endswith("…")
    cjk_lines = wrap_text("这是一个非常长的中文标签需要换行显示", font, 60)
    assert len(cjk_lines) > 1 and all(font.getlength(line) <= 60 for line in cjk_lines)
    grid = render_grid({(0, 0): solid((9, 9, 9)), (1, 0): solid((9, 9, 9))}, x_labels=[long, "short"])
    a, b = grid.layout.col_label_boxes
    assert a[3] - a[1] == b[3] - b[1]        # header row tall enough for the wrapped label


def test_overflowing_label_ends_with_ellipsis():
    font = load_font(choose_font().path, choose_font().index, 16)
    lines = wrap_text("word " * 200, font, 80, max_lines=3)
    assert len(lines) == 3 and lines[-1].endswith("…")


def test_failed_and_missing_cells_are_marked():
    grid = render_grid({(0, 0): "ModelLoadError: cannot load modelA", (1, 0): None}, x_labels=["a", "b"],
                       cell_size=(128, 128))
    for key in [(0, 0), (1, 0)]:
        box = grid.layout.cell_boxes[key]
        assert ink_in(grid.image, box) > 50


def test_mixed_cell_sizes_use_the_largest_slot():
    grid = render_grid({(0, 0): solid((1, 2, 3), (64, 64)), (1, 0): solid((4, 5, 6), (64, 128))}, x_labels=["a", "b"])
    x0, y0, x1, y1 = grid.layout.cell_boxes[(0, 0)]
    assert y1 - y0 == 128


def test_font_override_is_used_and_warns_without_cjk(monkeypatch):
    monkeypatch.setenv("PROMPTLAB_FONT", DEJAVU)
    if not __import__("os").path.isfile(DEJAVU):
        pytest.skip("DejaVu not installed")
    choice = choose_font()
    assert choice.path == DEJAVU and not choice.cjk and "no Chinese glyphs" in choice.warning
    monkeypatch.setenv("PROMPTLAB_FONT", "/nonexistent/font.ttf")
    with pytest.raises(Exception, match="PROMPTLAB_FONT='/nonexistent/font.ttf' cannot be loaded"):
        choose_font()
