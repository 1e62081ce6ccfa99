"""Indexing: incremental re-scans, moved / deleted / replaced files, broken files and folders,
symlink loops, killed and concurrent scans — and the user's files are never written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _images import a1111, comfy, plain

from promptlab import gallery
from promptlab.gallery import store
from promptlab.gallery.scan import _FileStat, read_record, scan


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "outputs"
    (root / "txt2img").mkdir(parents=True)
    a1111(root / "txt2img" / "a", seed=11, prompt="1girl, long hair, <lora:add_detail:0.6>")
    a1111(root / "txt2img" / "b", seed=12, steps=35, model="animagineXL", fmt="jpg")
    comfy(root / "c", seed=13)
    plain(root / "d")
    (root / "notes.txt").write_text("not an image")
    return root


def _rows(db) -> dict[str, gallery.ImageRecord]:
    conn = gallery.connect(db)
    try:
        return {Path(r["path"]).name: gallery.ImageRecord.from_row(r) for r in conn.execute(store.SELECT_FULL)}
    finally:
        conn.close()


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path)] = (st.st_size, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def test_first_scan_indexes_every_image_with_its_parameters(folder, tmp_path):
    db = tmp_path / "g.sqlite3"
    report = gallery.index([folder], db_path=db)
    assert (report.found, report.added, report.failed, report.removed) == (4, 4, 0, 0)
    rows = _rows(db)
    assert set(rows) == {"a.png", "b.jpg", "c.png", "d.png"}
    a, c, d = rows["a.png"], rows["c.png"], rows["d.png"]
    assert (a.generator, a.seed, a.model, a.sampler, a.width, a.height) == ("sd-webui", 11, "ponyV6", "DPM++ 2M", 512, 768)
    assert a.loras == (("add_detail", 0.6),)
    assert (c.generator, c.seed, c.steps, c.sampler_key, c.loras) == ("comfyui", 13, 30, "dpmpp2m", (("detail", 0.7),))
    assert d.generator is None and d.error is None and (d.width, d.height) == (8, 8)


def test_rescan_reads_only_new_or_changed_files(folder, tmp_path):
    db = tmp_path / "g.sqlite3"
    gallery.index([folder], db_path=db)
    again = gallery.index([folder], db_path=db)
    assert (again.to_read, again.unchanged, again.added, again.removed) == (0, 4, 0, 0)
    a1111(folder / "new", seed=99)
    path = folder / "txt2img" / "a.png"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    third = gallery.index([folder], db_path=db)
    assert (third.to_read, third.added, third.updated) == (2, 1, 1)


def test_deleted_renamed_and_replaced_files(folder, tmp_path):
    db = tmp_path / "g.sqlite3"
    gallery.index([folder], db_path=db)
    before = _rows(db)
    (folder / "d.png").unlink()
    (folder / "txt2img" / "a.png").rename(folder / "renamed.png")
    a1111(folder / "txt2img" / "b", seed=500, fmt="jpg")  # replaced in place: same path, new content
    report = gallery.index([folder], db_path=db)
    assert (report.removed, report.moved, report.updated, report.added) == (1, 1, 1, 0)
    after = _rows(db)
    assert set(after) == {"renamed.png", "b.jpg", "c.png"}
    assert after["renamed.png"].id == before["a.png"].id  # the moved file keeps its row
    assert after["b.jpg"].seed == 500


@pytest.mark.parametrize(("content", "error"), [(b"", True), (b"\x89PNG\r\n\x1a\n\x00\x00", False),
                                              (b"GIF89a not really", True), (b"\xff\xd8\xff", False)],
                         ids=["zero-byte", "truncated-png", "not-an-image", "truncated-jpeg"])
def test_corrupt_images_become_rows_with_an_error_not_a_crash(tmp_path, content, error):
    root = tmp_path / "in"
    root.mkdir()
    (root / "bad.png").write_bytes(content)
    a1111(root / "good")
    report = gallery.index([root], db_path=tmp_path / "g.sqlite3")
    rows = _rows(tmp_path / "g.sqlite3")
    assert report.found == 2 and rows["good.png"].seed == 1
    bad = rows["bad.png"]
    assert bad.generator is None
    if error:  # not an image at all
        assert bad.error and report.failed == 1
    else:      # a truncated image: read as far as it goes, the truncation is a warning
        assert bad.error is None and any("truncated" in w for w in bad.params["warnings"])


def test_unreadable_folder_is_reported_and_its_rows_are_kept(folder, tmp_path, monkeypatch):
    db = tmp_path / "g.sqlite3"
    gallery.index([folder], db_path=db)
    locked = str(folder / "txt2img")
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, so refuse the listing the way the OS would
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = gallery.index([folder], db_path=db)
    assert report.removed == 0 and any("Permission denied" in p for p in report.problems)
    assert {"a.png", "b.jpg"} <= set(_rows(db))


def test_symlink_loop_is_walked_once(folder, tmp_path):
    os.symlink(folder, folder / "txt2img" / "loop")
    report = gallery.index([folder], db_path=tmp_path / "g.sqlite3")
    assert report.found == 4


def test_file_changed_while_being_read_is_skipped_and_read_next_time(folder):
    path = folder / "c.png"
    st = path.stat()
    with open(path, "ab") as f:
        f.write(b"more bytes arriving")
    result = read_record(_FileStat(str(path), st.st_size, st.st_mtime_ns))
    assert isinstance(result, str) and "changed while being read" in result


def test_abandoned_scan_leaves_a_usable_index_and_the_next_scan_continues(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(30):
        a1111(root / f"{i:03d}", seed=i)
    db = tmp_path / "g.sqlite3"
    run = scan([root], db_path=db, batch_size=10, workers=1)
    next(run)          # walked
    next(run)          # first batch committed
    run.close()        # stop here, like a closed app window
    assert len(_rows(db)) == 10
    report = gallery.index([root], db_path=db)
    assert (report.to_read, report.added) == (20, 20) and len(_rows(db)) == 30


KILL_SCRIPT = """
import sys
from promptlab.gallery.scan import scan
for p in scan([sys.argv[1]], db_path=sys.argv[2], batch_size=20, workers=1):
    if p.read:
        print(p.read, flush=True)
"""


@pytest.mark.slow
def test_process_killed_mid_index(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(400):
        a1111(root / f"{i:03d}", seed=i)
    db = tmp_path / "g.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root), str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "20"
    proc.kill()
    proc.wait()
    conn = gallery.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done = conn.execute("SELECT count(*) FROM images").fetchone()[0]
    conn.close()
    assert 20 <= done < 400 and done % 20 == 0
    report = gallery.index([root], db_path=db)
    assert report.to_read == 400 - done and len(_rows(db)) == 400


def test_two_scans_at_once_on_the_same_index(folder, tmp_path):
    db = tmp_path / "g.sqlite3"
    for i in range(40):
        a1111(folder / f"x{i}", seed=i)
    errors: list[BaseException] = []

    def run():
        try:
            list(scan([folder], db_path=db, batch_size=5, workers=1))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(_rows(db)) == 44


def test_the_users_files_are_never_written(folder, tmp_path):
    from promptlab.gallery.thumbs import thumbnail

    before = _snapshot(folder)
    db = tmp_path / "g.sqlite3"
    gallery.index([folder], db_path=db)
    for rec in _rows(db).values():
        thumbnail(rec.path, rec.mtime_ns)
    gallery.index([folder], db_path=db)
    assert _snapshot(folder) == before


@pytest.mark.slow
def test_ten_thousand_files_in_one_folder(tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    data = a1111(tmp_path / "one").read_bytes()
    for i in range(10_000):
        (root / f"{i:05d}.png").write_bytes(data)
    db = tmp_path / "g.sqlite3"
    report = gallery.index([root], db_path=db)
    assert (report.found, report.added) == (10_000, 10_000)
    again = gallery.index([root], db_path=db)
    assert again.to_read == 0


def test_not_a_folder_is_a_clear_error(tmp_path):
    with pytest.raises(gallery.GalleryError, match="is not a folder"):
        gallery.index([tmp_path / "missing"], db_path=tmp_path / "g.sqlite3")


def test_index_from_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "g.sqlite3"
    conn = store.connect(db)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(gallery.GalleryError, match="schema version 99"):
        store.connect(db)
