"""Captioning on Ray Data gives exactly the local pipeline's files, and survives a killed actor."""

from __future__ import annotations

import os
import shutil
import signal

import numpy as np
import pytest

from promptlab.errors import ClusterError, InvalidInputError
from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder
from promptlab.interrogate.caption import JOURNAL_NAME

from tests.interrogate.conftest import solid, wd_dir, wd_tagger  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("local_ray")


def _dataset(root, n=60, seed=0):
    """n small images in the top folder and two subfolders, colours between red and blue, plus a
    broken file, a hidden folder, a non-image and two images that would share one caption file."""
    rng = np.random.default_rng(seed)
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "other").mkdir()
    (root / ".hidden").mkdir()
    for i in range(n):
        r = int(rng.integers(0, 256))
        folder = [root, root / "sub", root / "sub" / "deeper", root / "other"][i % 4]
        solid((r, 0, 255 - r)).save(folder / f"img{i:03d}.png")
    solid((255, 0, 0)).save(root / "twin.png")
    solid((0, 0, 255)).save(root / "twin.jpg")
    solid((255, 0, 0)).save(root / ".hidden" / "secret.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (root / "notes.md").write_text("not an image")
    return root


def _captions(root):
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.txt"))}


def _pair(tmp_path, **kw):
    local = _dataset(tmp_path / "local", **kw)
    on_ray = tmp_path / "ray"
    shutil.copytree(local, on_ray)
    return local, on_ray


def _same_report(a, b, a_root, b_root):
    names = lambda paths: sorted(p.name for p in paths)  # noqa: E731
    assert (a.total, names(a.written), names(a.skipped_existing), names(a.resumed)) == \
           (b.total, names(b.written), names(b.skipped_existing), names(b.resumed))
    assert sorted((p.name, e.replace(str(a_root), "ROOT")) for p, e in a.failed) == \
           sorted((p.name, e.replace(str(b_root), "ROOT")) for p, e in b.failed)


@pytest.mark.parametrize("options", [
    CaptionOptions(recursive=True),
    CaptionOptions(recursive=False, prepend="mytrigger, ", append="best quality", ext=".txt"),
    CaptionOptions(recursive=True, replace=(("long hair", "very long hair"), ("smile", ""))),
], ids=["recursive", "top-only-prepend-append", "replace"])
def test_ray_captions_equal_local(tmp_path, wd_dir, wd_tagger, options):  # noqa: F811
    from promptlab.cluster.caption import caption_folder_ray

    local, on_ray = _pair(tmp_path)
    expected = caption_folder(local, wd_tagger, options=options)
    got = caption_folder_ray(on_ray, wd_dir, options=options, actors=1)
    assert _captions(on_ray) == _captions(local)
    assert len(_captions(on_ray)) > 10
    _same_report(expected, got, local, on_ray)
    assert (on_ray / JOURNAL_NAME).exists() == (local / JOURNAL_NAME).exists()  # kept: broken.png failed


@pytest.mark.parametrize("existing", list(ExistingPolicy), ids=lambda e: e.value)
def test_existing_policies_equal_local(tmp_path, wd_dir, wd_tagger, existing):  # noqa: F811
    from promptlab.cluster.caption import caption_folder_ray

    local, on_ray = _pair(tmp_path, n=12)
    for root in (local, on_ray):
        (root / "img000.txt").write_text("old tag, smile\n", encoding="utf-8")
    options = CaptionOptions(recursive=True, existing=existing)
    expected = caption_folder(local, wd_tagger, options=options)
    got = caption_folder_ray(on_ray, wd_dir, options=options)
    assert _captions(on_ray) == _captions(local)
    _same_report(expected, got, local, on_ray)


def test_manifest_lists_every_image_once(tmp_path, wd_dir):  # noqa: F811
    import pyarrow.parquet as pq

    from promptlab.cluster.caption import MANIFEST_NAME, caption_folder_ray

    root = _dataset(tmp_path / "d", n=20)
    report = caption_folder_ray(root, wd_dir, options=CaptionOptions(recursive=True))
    table = pq.read_table(root / MANIFEST_NAME).to_pylist()
    paths = [r["path"] for r in table]
    assert len(paths) == len(set(paths)) == len(report.written) + len(report.failed)
    row = next(r for r in table if r["status"] == "written")
    caption = (root / row["path"]).with_suffix(".txt").read_text(encoding="utf-8").rstrip("\n")
    assert row["caption"] == caption and len(row["tags"]) == len(row["scores"]) > 0
    assert all(0.0 <= s <= 1.0 for s in row["scores"])
    assert {r["status"] for r in table} == {"written", "failed"}


def test_resume_after_stop(tmp_path, wd_dir, wd_tagger):  # noqa: F811
    """should_stop (what Ctrl-C and the app's Stop button use) leaves complete captions and a journal;
    the next run does only what is left and ends with the local run's files."""
    from promptlab.cluster.caption import caption_folder_ray

    local, on_ray = _pair(tmp_path, n=80)
    for root in (local, on_ray):
        (root / "broken.png").unlink()
        (root / "twin.jpg").unlink()
    options = CaptionOptions(recursive=True, batch_size=4)
    caption_folder(local, wd_tagger, options=options)
    first = caption_folder_ray(on_ray, wd_dir, options=options, should_stop=lambda: True)
    assert first.cancelled and 0 < len(first.written) < first.total
    assert (on_ray / JOURNAL_NAME).exists()
    assert not list(on_ray.rglob("*.tmp"))
    second = caption_folder_ray(on_ray, wd_dir, options=options)
    # batches in flight when it stopped wrote complete captions the driver had not journaled yet:
    # they count as existing captions now (skipped), as they would locally
    assert not second.cancelled and len(second.resumed) == len(first.written) and not second.failed
    assert len(second.written) + len(second.resumed) + len(second.skipped_existing) == second.total
    assert _captions(on_ray) == _captions(local)
    assert not (on_ray / JOURNAL_NAME).exists()


def _kill_one_tag_actor() -> bool:
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        if any("_TagActor" in part for part in proc.info["cmdline"] or []):
            os.kill(proc.pid, signal.SIGKILL)
            return True
    return False


@pytest.mark.slow
def test_killed_actor_loses_and_duplicates_nothing(tmp_path, wd_dir, wd_tagger):  # noqa: F811
    from promptlab.cluster.caption import MANIFEST_NAME, caption_folder_ray

    local, on_ray = _pair(tmp_path, n=200)
    options = CaptionOptions(recursive=True, batch_size=4)
    caption_folder(local, wd_tagger, options=options)
    killed = []

    def progress(p):
        if not killed and p.done > 10:
            killed.append(_kill_one_tag_actor())

    report = caption_folder_ray(on_ray, wd_dir, options=options, progress=progress)
    assert killed == [True]
    assert _captions(on_ray) == _captions(local)
    assert not list(on_ray.rglob("*.tmp"))
    import pyarrow.parquet as pq

    paths = [r["path"] for r in pq.read_table(on_ray / MANIFEST_NAME).to_pylist()]
    assert len(paths) == len(set(paths)) == report.total - len(report.skipped_existing) - len(report.resumed)


def test_missing_folder_is_refused_before_work(tmp_path, wd_dir):  # noqa: F811
    from promptlab.cluster.caption import caption_folder_ray

    with pytest.raises(InvalidInputError, match="not a folder"):
        caption_folder_ray(tmp_path / "nope", wd_dir)


def test_tagger_missing_on_workers_is_refused_before_work(tmp_path):
    from promptlab.cluster.caption import caption_folder_ray

    root = _dataset(tmp_path / "d", n=4)
    with pytest.raises(ClusterError, match="tagger cannot be loaded on node"):
        caption_folder_ray(root, "no-such-tagger-anywhere")
    assert not _captions(root) and not (root / JOURNAL_NAME).exists()


def test_cli_caption_ray_json(tmp_path, wd_dir, capsys):  # noqa: F811
    import json

    from promptlab.cli import main

    root = _dataset(tmp_path / "d", n=8)
    code = main(["caption", str(root), "--tagger", str(wd_dir), "--recursive", "--ray", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # broken.png and the twin failed, as in a local run
    assert report["written"] == 8 + 1 and len(report["failed"]) == 2
    assert report["provider"].startswith("ray (")
    assert (root / "promptlab-captions.parquet").is_file()


@pytest.mark.parametrize("address", ["not an address", "ray://host", "host:99999"])
def test_cli_bad_address_is_refused(tmp_path, wd_dir, address, capsys):  # noqa: F811
    from promptlab.cli import main

    root = _dataset(tmp_path / "d", n=2)
    assert main(["caption", str(root), "--tagger", str(wd_dir), "--ray", address]) == 1
    assert "is not a Ray address" in capsys.readouterr().err
    assert not _captions(root)


def test_unreachable_address_fails_fast(monkeypatch):
    import socket
    import time

    import ray

    from promptlab.cluster.runtime import ray_session

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match="Cannot reach a Ray cluster"):
        with ray_session(f"127.0.0.1:{port}"):
            pass
    assert time.monotonic() - t0 < 10


def test_version_mismatch_message(monkeypatch):
    import ray

    from promptlab.cluster.runtime import ray_session

    def fake_init(**_kw):
        raise RuntimeError("Version mismatch: The cluster was started with:\n    Ray: 2.9.0\n    Python: 3.10.0")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", fake_init)
    with pytest.raises(ClusterError, match=r"another Ray or Python version.*pip install 'ray\[data\]=="):
        with ray_session("auto"):
            pass
