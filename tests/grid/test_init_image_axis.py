"""The grid's init image axis (img2img from a list of files) and `base: {init_image: ...}`."""

from __future__ import annotations

import pytest
from PIL import Image

from promptlab.errors import InvalidInputError
from promptlab.grid.plan import make_plan, params_key
from promptlab.grid.run import params_from_dict, params_to_dict
from promptlab.grid.spec import GridSpec, parse_axis
from promptlab.init_image import InitImage, ResizeMode


@pytest.fixture()
def images(tmp_path):
    paths = []
    for name, colour in (("red.png", (255, 0, 0)), ("blue.png", (0, 0, 255))):
        path = tmp_path / name
        Image.new("RGB", (64, 64), colour).save(path)
        paths.append(path)
    return paths


def test_axis_reads_files_and_labels_by_name(images):
    axis = parse_axis({"type": "init image", "values": [str(p) for p in images], "resize_mode": "crop-and-resize"})
    assert axis.labels == ("red.png", "blue.png")
    assert all(isinstance(v.value, InitImage) and v.value.resize_mode is ResizeMode.CROP_AND_RESIZE
               for v in axis.values)


def test_bad_file_fails_when_the_spec_is_read(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    with pytest.raises(InvalidInputError, match="Axis x: .*not an image"):
        parse_axis({"type": "init_image", "values": [str(bad)]}, name="x")


def test_cells_differ_by_image_and_take_the_axis_settings(images):
    spec = GridSpec.from_dict({
        "base": {"prompt": "a cat", "steps": 4, "denoising_strength": 0.4,
                 "init_image": {"path": str(images[0]), "resize_mode": "resize-and-fill", "exact_steps": True}},
        "x": {"type": "init_image", "values": [str(p) for p in images], "resize_mode": "resize-and-fill",
              "exact_steps": True},
        "y": {"type": "denoising_strength", "values": "0.3, 0.6"},
    })
    cells = make_plan(spec).cells
    assert len(cells) == 4 and len({c.key for c in cells}) == 4   # the key tells the two images apart
    first = cells[0].params.init_image
    assert first.resize_mode is ResizeMode.RESIZE_AND_FILL and first.exact_steps
    assert {c.params.init_image.name for c in cells} == {"red.png", "blue.png"}
    assert params_key(cells[0].params) == params_key(cells[0].params.with_())


def test_cell_record_keeps_a_summary_not_the_pixels(images):
    params = GridSpec.from_dict({"base": {"prompt": "x", "init_image": str(images[1])},
                                 "x": {"type": "steps", "values": "2, 3"}}).base
    data = params_to_dict(params)
    assert data["init_image"]["name"] == "blue.png" and len(data["init_image"]["sha256"]) == 64
    assert params_from_dict(data).init_image is None


def _spec(images):
    return GridSpec.from_dict({"base": {"prompt": "a cat", "steps": 2, "width": 64, "height": 64, "seed": 1},
                               "x": {"type": "init_image", "values": [str(p) for p in images]}})


def test_grid_refuses_a_backend_that_would_ignore_the_image(images):
    from promptlab.grid.run import run_grid
    from promptlab.init_image import Img2ImgError
    from tests.grid.helpers import DrawBackend

    backend = DrawBackend()
    with pytest.raises(Img2ImgError, match="cannot do img2img"):
        run_grid(make_plan(_spec(images)), backend, record_timing=False)
    assert backend.calls == []


def test_grid_cells_carry_their_image_to_the_backend(images):
    from promptlab.grid.run import run_grid
    from tests.grid.helpers import DrawBackend

    class Img2ImgDraw(DrawBackend):
        supports_img2img = True

    backend = Img2ImgDraw()
    run = run_grid(make_plan(_spec(images)), backend, record_timing=False)
    assert run.counts()["done"] == 2
    assert [p.init_image.name for p in backend.calls] == ["red.png", "blue.png"]
