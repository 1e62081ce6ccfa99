"""``batch_size="auto"``: the choice (driven by a fake clock, never by real timings), identical captions
whatever the batch size, validation of the option and of ``--batch-size``, decode threads."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from promptlab.cli import main
from promptlab.errors import InvalidInputError
from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder, load_tagger
from promptlab.interrogate.caption import AutoBatch, default_decode_threads, parse_batch_size
from promptlab.interrogate.testing import make_wd_tagger

from .conftest import BLUE, RED, WD_TABLE, solid, wd_weights


# Seconds per model call of n images: a ViT on the CPU provider gets slower per image in batches,
# a GPU much faster.
def cpu_like(n: int) -> float:
    return n * 1.0 * (1 + 0.15 * (n - 1))


def gpu_like(n: int) -> float:
    return 0.05 + 0.01 * n


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TimedTagger:
    """Wraps a real tagger; each predict call advances the fake clock by ``cost(len(batch))``."""

    def __init__(self, inner, clock: FakeClock, cost) -> None:
        self._inner, self._clock, self._cost = inner, clock, cost
        self.calls: list[int] = []

    def predict(self, arrays):
        self.calls.append(len(arrays))
        self._clock.now += self._cost(len(arrays))
        return self._inner.predict(arrays)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def drive(chooser: AutoBatch, images: int, cost) -> list[int]:
    """Feed ``images`` images through the chooser as caption_folder does; the batch sizes called."""
    sizes = []
    while images:
        n = min(chooser.size, images)
        chooser.record(n, cost(n))
        sizes.append(n)
        images -= n
    return sizes


def make_folder(folder, count: int, seed: int = 0):
    """Images with varied colours and noise, so captions differ from image to image."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        base = rng.integers(0, 256, 3)
        noise = rng.integers(-40, 41, (48, 48, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(folder / f"img_{i:02d}.png")
    return folder


def captions(folder) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.txt"))}


# ----- the choice

def test_auto_keeps_batch_1_when_larger_batches_are_slower_per_image():
    chooser = AutoBatch()
    sizes = drive(chooser, 20, cpu_like)
    # warm-up, two timed calls at 1, then 2 against 1 interleaved (2 is slower), then 1 for the rest
    assert sizes[:6] == [1, 1, 1, 2, 1, 2]
    assert set(sizes[6:]) == {1}
    assert chooser.settled and chooser.best == 1
    assert chooser.seconds_per_image == {1: 1.0, 2: pytest.approx(1.15)}


def test_auto_climbs_to_a_larger_batch_when_it_is_faster_per_image():
    chooser = AutoBatch()
    sizes = drive(chooser, 80, gpu_like)
    assert sizes[:12] == [1, 1, 1, 2, 1, 2, 4, 2, 4, 8, 4, 8]
    assert set(sizes[12:-1]) == {8}
    assert chooser.settled and chooser.best == 8
    assert sorted(chooser.seconds_per_image) == [1, 2, 4, 8]


def test_auto_stops_at_the_first_size_that_is_not_clearly_faster():
    # 4 is 5% faster per image than 2: inside the margin, so 2 is kept and 8 never tried
    per_image = {1: 1.0, 2: 0.5, 4: 0.475, 8: 0.1}
    chooser = AutoBatch()
    sizes = drive(chooser, 40, lambda n: n * per_image[n])
    assert chooser.best == 2 and set(chooser.seconds_per_image) == {1, 2, 4}
    assert sizes[:9] == [1, 1, 1, 2, 1, 2, 4, 2, 4] and set(sizes[9:-1]) == {2}


def test_a_burst_of_load_during_one_call_does_not_decide():
    calls = []

    def spiky(base, spike_at):
        def cost(n):
            calls.append(n)
            return base(n) * (3.0 if len(calls) == spike_at else 1.0)
        return cost

    # the first timed call at batch 1 is slowed down: batch 2 must still lose on the CPU-like model
    chooser = AutoBatch()
    drive(chooser, 20, spiky(cpu_like, 2))
    assert chooser.best == 1
    # the first timed call at batch 2 is slowed down: 2 must still win on the GPU-like model
    calls.clear()
    chooser = AutoBatch()
    drive(chooser, 80, spiky(gpu_like, 4))
    assert chooser.best == 8


def test_gpu_warms_up_each_new_size_before_timing_it():
    first_call = {"seen": set()}

    def cost(n):  # the first call at each size is slow (kernel tuning), later calls fast
        slow = n not in first_call["seen"]
        first_call["seen"].add(n)
        return 5.0 if slow else gpu_like(n)

    chooser = AutoBatch(warm_up_larger=True)
    sizes = drive(chooser, 80, cost)
    assert sizes[:15] == [1, 1, 1, 2, 2, 1, 2, 4, 4, 2, 4, 8, 8, 4, 8]
    assert chooser.best == 8


def test_a_short_last_batch_is_not_timed():
    chooser = AutoBatch()
    assert drive(chooser, 4, gpu_like) == [1, 1, 1, 1]  # the batch of 2 got only one image
    assert chooser.best == 1 and not chooser.settled and set(chooser.seconds_per_image) == {1}


# ----- caption_folder with auto

@pytest.mark.parametrize(("cost", "chosen", "calls"), [(cpu_like, 1, [1, 1, 1, 2, 1, 2, 1, 1]),
                                                       (gpu_like, 8, [1, 1, 1, 2, 1, 2, 4, 2, 4, 8, 4, 8, 8])],
                         ids=["cpu-like", "gpu-like"])
def test_caption_folder_reports_the_chosen_batch(tmp_path, wd_tagger, cost, chosen, calls):
    folder = make_folder(tmp_path / "data", 60)
    clock = FakeClock()
    tagger = TimedTagger(wd_tagger, clock, cost)
    report = caption_folder(folder, tagger, clock=clock)
    assert tagger.calls[:len(calls)] == calls and sum(tagger.calls) == 60
    assert set(tagger.calls[len(calls):-1]) == {chosen}
    assert report.batch_auto and report.batch_size == chosen
    assert dict(report.batch_timings)[1] == pytest.approx(1.0 if cost is cpu_like else 0.06)
    out = report.to_dict()
    assert out["batch_size"] == chosen and out["batch_auto"] is True and "1" in out["batch_timings"]
    assert f"batch {chosen} (auto: s/image " in report.batch_summary()
    assert len(report.written) == 60


def test_fixed_batch_size_is_reported(tmp_path, wd_tagger):
    folder = make_folder(tmp_path / "data", 5)
    report = caption_folder(folder, wd_tagger, options=CaptionOptions(batch_size=4))
    assert report.batch_size == 4 and not report.batch_auto and report.batch_timings == ()
    assert report.batch_summary() == "batch 4"


def test_fixed_batch_graph_runs_one_at_a_time_without_calibrating(tmp_path):
    model = make_wd_tagger(tmp_path / "fixed", [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=64,
                           dynamic_batch=False)
    clock = FakeClock()
    tagger = TimedTagger(load_tagger(model, device="cpu", threads=1), clock, gpu_like)
    report = caption_folder(make_folder(tmp_path / "data", 12), tagger, clock=clock)
    assert set(tagger.calls) == {1}
    assert report.batch_size == 1 and report.batch_auto and report.batch_timings == ()


def test_captions_identical_for_auto_1_and_8(tmp_path, wd_tagger):
    folder = make_folder(tmp_path / "data", 37)
    results = {}
    for label, batch, cost in [("1", 1, None), ("8", 8, None), ("auto", "auto", None),
                               ("auto-gpu", "auto", gpu_like), ("auto-cpu", "auto", cpu_like)]:
        options = CaptionOptions(existing=ExistingPolicy.OVERWRITE, batch_size=batch)
        if cost is None:
            report = caption_folder(folder, wd_tagger, options=options)
        else:
            clock = FakeClock()
            report = caption_folder(folder, TimedTagger(wd_tagger, clock, cost), options=options, clock=clock)
        assert len(report.written) == 37
        results[label] = captions(folder)
    assert results["auto-gpu"] == results["1"]
    assert len(set(results["1"].values())) > 5  # the images really get different captions
    for label in ("8", "auto", "auto-gpu", "auto-cpu"):
        assert results[label] == results["1"], label


# ----- validation

@pytest.mark.parametrize(("value", "expected"), [("auto", "auto"), (" AUTO ", "auto"), (3, 3), ("16", 16),
                                                 (np.int64(2), 2)])
def test_batch_size_values(value, expected):
    assert parse_batch_size(value) == expected
    assert CaptionOptions(batch_size=value).batch_size == expected


def test_batch_size_default_is_auto():
    assert CaptionOptions().batch_size == "auto"


@pytest.mark.parametrize(("value", "message"), [
    (0, "too small"), (-2, "too small"), ("0", "too small"), ("-1", "too small"),
    ("eight", "neither auto nor a whole number"), ("2.5", "neither auto nor a whole number"),
    (2.5, "neither auto nor a whole number"), (True, "neither auto nor a whole number"),
    ("", "neither auto nor a whole number"), (None, "neither auto nor a whole number"),
])
def test_bad_batch_sizes(value, message):
    with pytest.raises(InvalidInputError, match=message):
        CaptionOptions(batch_size=value)


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_bad_workers(workers):
    with pytest.raises(InvalidInputError, match="workers"):
        CaptionOptions(workers=workers)


# ----- decode threads

@pytest.mark.parametrize(("provider", "ort_threads", "cpus", "expected"), [
    ("CPUExecutionProvider", None, 2, 2),   # all cores to onnxruntime: decoding still gets 2, at low priority
    ("CPUExecutionProvider", None, 4, 4),
    ("CPUExecutionProvider", 2, 2, 2),
    ("CPUExecutionProvider", 1, 2, 1),      # one core left
    ("CPUExecutionProvider", 3, 4, 1),
    ("CPUExecutionProvider", 2, 8, 6),
    ("CPUExecutionProvider", None, 8, 8),
    ("CPUExecutionProvider", None, 32, 8),
    ("CUDAExecutionProvider", None, 2, 2),
    ("CUDAExecutionProvider", None, 16, 8),
])
def test_default_decode_threads(provider, ort_threads, cpus, expected):
    assert default_decode_threads(provider, ort_threads, cpus) == expected


def test_workers_option_still_wins(tmp_path, wd_tagger):
    report = caption_folder(make_folder(tmp_path / "data", 3), wd_tagger, options=CaptionOptions(workers=3))
    assert report.decode_threads == 3 and report.to_dict()["decode_threads"] == 3


# ----- command line

@pytest.fixture()
def two_images(tmp_path):
    solid(RED).save(tmp_path / "red.png")
    solid(BLUE).save(tmp_path / "blue.png")
    return tmp_path


@pytest.mark.parametrize(("value", "message"), [("0", "too small"), ("-3", "too small"),
                                                ("eight", "neither auto nor a whole number"),
                                                ("2.5", "neither auto nor a whole number")])
@pytest.mark.parametrize("command", ["caption", "interrogate"])
def test_bad_batch_size_on_the_command_line(two_images, wd_dir, capsys, command, value, message):
    target = str(two_images) if command == "caption" else str(two_images / "red.png")
    with pytest.raises(SystemExit) as exc:
        main([command, target, "--tagger", str(wd_dir), f"--batch-size={value}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --batch-size" in err and message in err and "use auto or a number of images" in err
    assert not list(two_images.glob("*.txt"))


def test_bad_workers_on_the_command_line(two_images, wd_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["caption", str(two_images), "--tagger", str(wd_dir), "--workers", "0"])
    assert exc.value.code == 2 and "argument --workers" in capsys.readouterr().err


def test_caption_command_reports_auto_batch(two_images, wd_dir, capsys):
    assert main(["caption", str(two_images), "--tagger", str(wd_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # two images: the warm-up call and one timed call, both at batch 1
    assert report["batch_auto"] is True and report["batch_size"] == 1 and report["written"] == 2
    assert isinstance(report["decode_threads"], int) and report["decode_threads"] >= 1
    assert main(["caption", str(two_images), "--tagger", str(wd_dir), "--existing", "overwrite"]) == 0
    assert "batch 1 (auto" in capsys.readouterr().out


def test_caption_command_fixed_batch_in_summary(two_images, wd_dir, capsys):
    assert main(["caption", str(two_images), "--tagger", str(wd_dir), "--batch-size", "2", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "batch 2, 2 decode threads." in out


def test_interrogate_same_output_auto_and_fixed(two_images, wd_dir, capsys):
    paths = [str(p) for p in sorted(two_images.glob("*.png"))] * 3
    outputs = []
    for batch in ("auto", "1", "4"):
        assert main(["interrogate", *paths, "--tagger", str(wd_dir), "--json", "--batch-size", batch]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] == outputs[2]
