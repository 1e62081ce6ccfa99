"""Grids on the real diffusers backend with tiny random-weight checkpoints (A1111 single-file layout)."""

from __future__ import annotations

import threading

import pytest

from promptlab.grid import CellStatus, GridSpec, make_plan, run_grid, write_outputs

pytestmark = pytest.mark.slow
pytest.importorskip("diffusers")
backend_module = pytest.importorskip("promptlab.backend.diffusers_backend", reason="DiffusersBackend not written yet")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory):
    import torch

    from promptlab.backend.tiny import make_tiny_checkpoint

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    folder = root / "Stable-diffusion"
    make_tiny_checkpoint(folder / "tinyA.safetensors", "sd1", seed=0)
    make_tiny_checkpoint(folder / "tinyB.safetensors", "sd1", seed=1)
    (folder / "broken.safetensors").write_bytes(b"\x00" * 64)
    return root


@pytest.fixture()
def backend(models_root):
    b = backend_module.DiffusersBackend(models_root, device="cpu", dtype="float32")
    yield b
    b.close()


def spec(y=("tinyA.safetensors", "tinyB.safetensors"), x=("Euler a", "DPM++ 2M", "DDIM"), **extra):
    return GridSpec.from_dict({
        "base": {"prompt": "a cat, (sky:1.2)", "negative_prompt": "lowres", "steps": 2, "seed": 3, "width": 64, "height": 64},
        "x": {"type": "sampler", "values": list(x)},
        "y": {"type": "checkpoint", "values": list(y)},
        **extra,
    })


def test_two_checkpoints_three_samplers_two_loads(backend, tmp_path):
    plan = make_plan(spec())
    run = run_grid(plan, backend, out_dir=tmp_path)
    assert run.counts()["done"] == 6 and backend.model_loads == 2 and run.model_loads == 2
    outputs = write_outputs(run, tmp_path)
    grid = outputs.rendered[0]
    layout = grid.layout
    assert grid.image.size == layout.size
    assert len(layout.col_label_boxes) == 3 and len(layout.row_label_boxes) == 2
    slot_w = layout.cell_boxes[(1, 0)][0] - layout.cell_boxes[(0, 0)][0]
    assert layout.size[0] == layout.cell_boxes[(0, 0)][0] + 3 * slot_w
    assert layout.size[1] == layout.cell_boxes[(0, 0)][1] + 2 * 64
    for r in run.results:                      # each cell's pixels sit in its slot
        x0, y0, x1, y1 = layout.cell_boxes[r.cell.index[:2]]
        left = x0 + (x1 - x0 - 64) // 2
        assert grid.image.crop((left, y0, left + 64, y0 + 64)).tobytes() == r.image.convert("RGB").tobytes()
    assert {r.params.model_hash for r in run.results if r.cell.params.model == "tinyA.safetensors"} != \
        {r.params.model_hash for r in run.results if r.cell.params.model == "tinyB.safetensors"}


def test_prompt_sr_axis_reaches_the_backend(backend):
    plan = make_plan(spec(y=("tinyA.safetensors",), z={"type": "prompt_sr", "values": "cat, dog"}))
    run = run_grid(plan, backend)
    cats, dogs = run.results[:3], run.results[3:]
    assert all(r.params.prompt == "a cat, (sky:1.2)" and "a cat" in r.infotext for r in cats)
    assert all(r.params.prompt == "a dog, (sky:1.2)" and "a dog" in r.infotext for r in dogs)
    assert backend.model_loads == 1


def test_interrupted_grid_resumes_with_only_missing_cells(models_root, tmp_path):
    plan = make_plan(spec())
    cancel = threading.Event()
    first = backend_module.DiffusersBackend(models_root, device="cpu", dtype="float32")

    def stop_after_two(p):
        if p.done >= 2:
            cancel.set()

    run = run_grid(plan, first, out_dir=tmp_path, cancel=cancel, on_progress=stop_after_two)
    assert run.cancelled and run.counts()["done"] in (2, 3) and run.counts()["pending"] >= 3
    second = backend_module.DiffusersBackend(models_root, device="cpu", dtype="float32")
    again = run_grid(plan, second, out_dir=tmp_path, resume=True)
    assert again.counts()["reused"] == run.counts()["done"]
    assert again.counts()["done"] == 6 - run.counts()["done"] and again.counts()["failed"] == 0
    assert second.model_loads == len({r.cell.params.model for r in again.results if r.status is CellStatus.DONE})


def test_checkpoint_failing_to_load_mid_grid(backend, tmp_path):
    plan = make_plan(spec(y=("tinyA.safetensors", "broken.safetensors", "tinyB.safetensors"), x=("Euler a", "DDIM")))
    run = run_grid(plan, backend, out_dir=tmp_path)
    failed = [r for r in run.results if r.status is CellStatus.FAILED]
    assert {r.cell.params.model for r in failed} == {"broken.safetensors"} and len(failed) == 2
    assert run.counts()["done"] == 4 and backend.model_loads == 2
    assert all(r.error for r in failed)
    outputs = write_outputs(run, tmp_path)
    assert outputs.grids[0].is_file()


def test_cli_runs_on_the_local_backend(models_root, tmp_path, capsys):
    import json

    from promptlab.cli import main

    path = tmp_path / "grid.yaml"
    path.write_text(
        "base: {prompt: 猫, steps: 2, seed: 4, width: 64, height: 64}\n"
        "x: {type: checkpoint, values: [tinyA.safetensors, tinyB.safetensors]}\n"
        "y: {type: sampler, values: 'Euler a, DPM++ 2M Karras'}\n", encoding="utf-8")
    code = main(["grid", str(path), "--out", str(tmp_path / "out"), "--models-root", str(models_root),
                 "--device", "cpu", "--dtype", "float32", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["counts"]["done"] == 4 and report["model_loads"] == 2
    assert (tmp_path / "out" / "grid.png").is_file()
