"""Plan order, limits, running on one or several backends, failures, cancel and resume."""

import json
import threading

import pytest

from promptlab.errors import InvalidInputError
from promptlab.grid import (
    CellStatus, Choices, GridSpec, GridTooLargeError, TimingModel, describe, make_plan, run_grid, write_outputs,
)
from promptlab.grid.output import read_grid_metadata

from .helpers import DrawBackend, colour_of

CHOICES = Choices(samplers=("Euler a", "Euler", "DPM++ 2M", "DDIM"))


def spec_2x3(**extra):
    return GridSpec.from_dict({
        "base": {"prompt": "a cat", "seed": 7, "width": 64, "height": 64, "steps": 4},
        "x": {"type": "sampler", "values": ["Euler a", "DPM++ 2M", "DDIM"]},
        "y": {"type": "checkpoint", "values": ["modelA.safetensors", "modelB.safetensors"]},
        **extra,
    }, choices=CHOICES)


@pytest.mark.parametrize("slow_on", ["x", "y", "z"], ids=["checkpoint-on-x", "checkpoint-on-y", "checkpoint-on-z"])
def test_checkpoint_outermost_whatever_axis(slow_on):
    axes = {"x": {"type": "seed", "values": "1-3"}, "y": {"type": "cfg", "values": "5, 7"}, "z": {"type": "steps", "values": "2, 3"}}
    axes[slow_on] = {"type": "checkpoint", "values": ["A", "B", "C"]}
    plan = make_plan(GridSpec.from_dict({"base": {}, **axes}, choices=CHOICES))
    models = [plan.cells[i].params.model for i in plan.order]
    assert models == sorted(models) and plan.model_loads == 3
    backend = DrawBackend()
    run_grid(plan, backend)
    assert backend.model_loads == 3


def test_checkpoint_and_vae_groups_load_once_each():
    plan = make_plan(GridSpec.from_dict({
        "base": {}, "x": {"type": "vae", "values": "v1, v2"}, "y": {"type": "checkpoint", "values": "A, B"},
        "z": {"type": "seed", "values": "1, 2"}}, choices=CHOICES))
    pairs = [(plan.cells[i].params.model, plan.cells[i].params.vae) for i in plan.order]
    changes = sum(1 for a, b in zip(pairs, pairs[1:]) if a != b) + 1
    assert changes == plan.model_loads == 4


def test_limit_refuses_10000_cells_unless_raised():
    spec = GridSpec.from_dict({"base": {}, "x": {"type": "seed", "values": "1-100"}, "y": {"type": "steps", "values": "1-100"}},
                              choices=CHOICES)
    with pytest.raises(GridTooLargeError, match=r"10,000 cells \(100 x 100 x 1\), above the limit of 1,000.*--max-cells 10000"):
        make_plan(spec)
    assert len(make_plan(spec, max_cells=10_000).cells) == 10_000


def test_estimate_counts_loads_and_steps():
    plan = make_plan(spec_2x3())
    timing = TimingModel(seconds_per_step=1.0, seconds_per_load=10.0)
    # 6 cells x 4 steps; a 64x64 image counts as the 5% floor of a 512x512 step (fixed per-step overhead)
    assert plan.estimate_seconds(timing) == pytest.approx(6 * 4 * 0.05 + 2 * 10)
    info = describe(plan, timing)
    assert info["cells"] == 6 and info["model_loads"] == 2 and info["shape"] == [3, 2, 1]


def test_run_results_in_grid_order_with_two_loads(tmp_path):
    plan = make_plan(spec_2x3())
    backend = DrawBackend()
    run = run_grid(plan, backend, out_dir=tmp_path)
    assert backend.model_loads == 2 and run.model_loads == 2
    assert [r.cell.index for r in run.results] == [(x, y, 0) for y in range(2) for x in range(3)]
    for r in run.results:
        assert r.status is CellStatus.DONE
        assert r.image.getpixel((40, 40)) == colour_of(r.cell.params)
        assert (tmp_path / r.file).is_file()
    assert TimingModel.load(backend.name).measured


def test_failed_checkpoint_marks_its_cells_and_the_rest_completes(tmp_path):
    plan = make_plan(spec_2x3())
    backend = DrawBackend(bad_models={"modelA.safetensors"})
    run = run_grid(plan, backend, out_dir=tmp_path)
    by_model = {}
    for r in run.results:
        by_model.setdefault(r.cell.params.model, set()).add(r.status)
    assert by_model == {"modelA.safetensors": {CellStatus.FAILED}, "modelB.safetensors": {CellStatus.DONE}}
    assert all("cannot load modelA" in r.error for r in run.results if r.status is CellStatus.FAILED)
    assert len(backend.calls) == 3
    outputs = write_outputs(run, tmp_path)
    manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    assert manifest["counts"]["failed"] == 3 and not manifest["complete"]
    assert [c["status"] for c in manifest["cells"]].count("failed") == 3


@pytest.mark.parametrize("first", ["missing-first", "missing-later"])
def test_missing_lora_fails_only_its_cells_not_the_checkpoint(first):
    names = ["nope", "styleA"] if first == "missing-first" else ["styleA", "nope"]
    spec = GridSpec.from_dict({
        "base": {"prompt": f"a cat, <lora:{names[0]}:1>", "width": 64, "height": 64},
        "x": {"type": "prompt_sr", "values": names},
        "y": {"type": "checkpoint", "values": "A, B"}}, choices=CHOICES)
    run = run_grid(make_plan(spec), DrawBackend(missing_loras={"nope"}))
    assert {r.cell.labels[0]: r.status for r in run.results} == {"nope": CellStatus.FAILED, "styleA": CellStatus.DONE}
    assert run.counts() == {"done": 2, "reused": 0, "failed": 2, "pending": 0}
    assert all("No lora named 'nope'" in r.error for r in run.results if r.error)


def test_cancel_then_resume_runs_only_missing_cells(tmp_path):
    plan = make_plan(spec_2x3())
    first = DrawBackend(cancel_after=4)
    run = run_grid(plan, first, out_dir=tmp_path, cancel=threading.Event())
    assert run.cancelled and run.counts() == {"done": 4, "reused": 0, "failed": 0, "pending": 2}
    write_outputs(run, tmp_path)
    second = DrawBackend()
    again = run_grid(plan, second, out_dir=tmp_path, resume=True)
    assert again.counts() == {"done": 2, "reused": 4, "failed": 0, "pending": 0}
    assert len(second.calls) == 2 and second.model_loads == 1
    for r in again.results:
        assert r.image.getpixel((40, 40)) == colour_of(r.cell.params)


def test_resume_remakes_cells_whose_params_changed(tmp_path):
    run_grid(make_plan(spec_2x3()), DrawBackend(), out_dir=tmp_path)
    changed = spec_2x3(z={"type": "cfg", "values": [7]})   # same cfg: cells identical -> reused
    assert run_grid(make_plan(changed), DrawBackend(), out_dir=tmp_path, resume=True).counts()["reused"] == 6
    other = GridSpec.from_dict({**changed.to_dict(), "z": {"type": "cfg", "values": [8]}}, choices=CHOICES)
    assert run_grid(make_plan(other), DrawBackend(), out_dir=tmp_path, resume=True).counts()["done"] == 6


def test_damaged_cell_file_is_made_again(tmp_path):
    plan = make_plan(spec_2x3())
    run_grid(plan, DrawBackend(), out_dir=tmp_path)
    (tmp_path / "cells" / plan.cells[0].file_name).write_bytes(b"not a png")
    again = run_grid(plan, DrawBackend(), out_dir=tmp_path, resume=True)
    assert again.results[0].status is CellStatus.DONE and again.counts()["reused"] == 5


def test_several_backends_share_work_and_retry_failures_elsewhere():
    plan = make_plan(spec_2x3(z={"type": "seed", "values": "1-4"}))
    flaky_called = threading.Event()

    class Flaky(DrawBackend):
        def generate(self, params, **kw):
            out = super().generate(params, **kw)
            flaky_called.set()           # after its first image (its load of modelB fails first)
            return out

    class Good(DrawBackend):
        def generate(self, params, **kw):
            flaky_called.wait(10)        # the flaky backend makes an image before the work runs out
            return super().generate(params, **kw)

    good = Good("good")
    flaky = Flaky("flaky", bad_models={"modelB.safetensors"})
    run = run_grid(plan, [good, flaky])
    assert run.counts()["done"] == 24
    assert all(r.backend == "good" for r in run.results if r.cell.params.model == "modelB.safetensors")
    assert {r.backend for r in run.results} == {"good", "flaky"}
    assert good.model_loads + flaky.model_loads <= 4
    assert [r.cell.index for r in run.results] == [c.index for c in plan.cells]


def test_backend_pool_members_are_scheduled_by_the_grid():
    from promptlab.backend.pool import BackendPool

    b_started = threading.Event()

    class Waiting(DrawBackend):      # "a" waits until "b" has made an image, so both surely get work
        def generate(self, params, **kw):
            b_started.wait(10)
            return super().generate(params, **kw)

    class Signalling(DrawBackend):
        def generate(self, params, **kw):
            out = super().generate(params, **kw)
            b_started.set()
            return out

    a, b = Waiting("a"), Signalling("b")
    run = run_grid(make_plan(spec_2x3(z={"type": "seed", "values": "1-2"})), BackendPool([a, b]))
    assert run.counts()["done"] == 12 and {r.backend for r in run.results} == {"a", "b"}


def test_old_combined_sampler_name_passes_the_backend_check():
    spec = GridSpec.from_dict({"base": {}, "x": {"type": "sampler", "values": "DPM++ 2M Karras"}}, choices=CHOICES)
    assert run_grid(make_plan(spec), DrawBackend()).counts()["done"] == 1


def test_cell_failing_everywhere_is_failed_once_per_backend():
    plan = make_plan(spec_2x3(z={"type": "prompt_sr", "values": ["cat", "dog"]}))
    a, b = DrawBackend("a", fail_prompts={"a dog"}), DrawBackend("b", fail_prompts={"a dog"})
    run = run_grid(plan, [a, b])
    assert run.counts() == {"done": 6, "reused": 0, "failed": 6, "pending": 0}


def test_progress_reports_reach_total():
    seen = []
    run_grid(make_plan(spec_2x3()), DrawBackend(), on_progress=seen.append)
    assert seen[-1].done == seen[-1].total == 6
    assert any(p.total_steps == 2 for p in seen)


def test_sampler_the_backend_lacks_is_refused_before_running():
    with pytest.raises(InvalidInputError, match="no sampler 'DDIM'. Its samplers: Euler a"):
        run_grid(make_plan(spec_2x3()), DrawBackend(samplers=("Euler a", "DPM++ 2M")))


def test_outputs_carry_spec_and_manifest(tmp_path):
    spec = spec_2x3(z={"type": "prompt_sr", "values": "cat, 猫"}, sheet=True)
    run = run_grid(make_plan(spec), DrawBackend(), out_dir=tmp_path)
    outputs = write_outputs(run, tmp_path)
    assert [p.name for p in outputs.grids] == ["grid-z000.png", "grid-z001.png"] and outputs.sheet.is_file()
    meta = read_grid_metadata(outputs.grids[1])
    assert GridSpec.from_dict(meta["spec"], choices=CHOICES) == spec and meta["z"] == 1
    assert meta["base"]["prompt"] == "a cat"
    manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    assert len(manifest["cells"]) == 12 and manifest["model_loads"] == 2
    cell = manifest["cells"][7]
    assert cell["labels"] == {"x": "DPM++ 2M", "y": "modelA", "z": "猫"} and cell["params"]["prompt"] == "a 猫"
    assert (tmp_path / cell["file"]).is_file()


def test_no_cell_files_removes_cells_only_after_a_complete_run(tmp_path):
    spec = spec_2x3(cell_files=False)
    run = run_grid(make_plan(spec), DrawBackend(cancel_after=2), out_dir=tmp_path, cancel=threading.Event())
    write_outputs(run, tmp_path)
    assert (tmp_path / "cells").is_dir()          # kept for --resume
    run = run_grid(make_plan(spec), DrawBackend(), out_dir=tmp_path, resume=True)
    write_outputs(run, tmp_path)
    assert not (tmp_path / "cells").exists()


def test_background_job_reports_progress_result_and_errors(tmp_path):
    from promptlab.grid.job import GridJob, view

    job = GridJob.start(make_plan(spec_2x3()), DrawBackend(), tmp_path / "a")
    job.join(30)
    assert job.done and job.error is None and job.fraction() == 1.0
    assert job.outputs.grids[0].is_file()
    grid = view(job.run, 1, 0, {})                       # rows = Y, columns = X
    assert [[r.cell.index for r in line] for line in grid] == [[(x, y, 0) for x in range(3)] for y in range(2)]
    bad = GridJob.start(make_plan(spec_2x3()), DrawBackend(samplers=("Euler",)), tmp_path / "b")
    bad.join(30)
    assert "no sampler" in str(bad.error) and bad.run is None


def test_scheduler_leaves_the_last_cell_of_a_group_to_its_worker():
    """Regression: an idle backend took the last cell of a group another backend was running and
    loaded that model for one cell (3 loads for 2 checkpoints on 2 backends)."""
    import threading

    from promptlab.grid.plan import make_plan
    from promptlab.grid.schedule import Scheduler
    from promptlab.grid.spec import GridSpec

    plan = make_plan(GridSpec.from_dict({
        "base": {"prompt": "p", "steps": 2, "seed": 1},
        "x": {"type": "sampler", "values": ["Euler", "DDIM"]},
        "y": {"type": "checkpoint", "values": ["a.safetensors", "b.safetensors"]},
    }))
    s = Scheduler(plan, set(range(len(plan.cells))), ["w0", "w1"])
    never = threading.Event()
    first0, first1 = s._take("w0"), s._take("w1")
    assert s.group_of[first0] != s.group_of[first1]
    s.finished("w0", first0)
    second0 = s._take("w0")
    assert s.group_of[second0] == s.group_of[first0]
    s.finished("w0", second0)
    assert s._take("w0") is None            # w1's last cell waits for w1
    assert s._take("w1") is not None
    # but a cell w1 already failed goes to w0 even though w1 is still on that group
    s2 = Scheduler(plan, set(range(len(plan.cells))), ["w0", "w1"])
    a, b = s2._take("w0"), s2._take("w1")
    s2.finished("w0", a)
    s2.finished("w0", s2._take("w0"))
    b2 = s2._take("w1")
    assert s2.failed("w1", b2, "boom", group_failed=False)
    assert s2.next("w0", never) == b2
