"""Transactions: a failed, interrupted or killed import leaves the previous database readable and unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import tagdb
from tagdb import store
from tagdb_testutil import dump

BASE = "1girl,0,6000000,1girls\nsolo,0,5000000,\n"


def _big_csv(path, rows: int = 20_000):
    path.write_text("".join(f"tag_{i},0,{i},alias_{i}\n" for i in range(rows)), encoding="utf-8")
    return path


def test_exception_midway_leaves_db_unchanged(tmp_path, write, monkeypatch):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("base.csv", BASE), "autocomplete", db=db)
    before = dump(db)

    def explode(self, rows, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.Writer, "upsert_aliases", explode)
    with pytest.raises(RuntimeError):
        tagdb.import_file(_big_csv(tmp_path / "big.csv"), "autocomplete", db=db)
    assert dump(db) == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import tagdb
    from tagdb import store

    original = store.Writer.upsert_aliases

    def pause(self, rows, **kwargs):
        # Tags are written (uncommitted) in the private copy; tell the parent, then wait to be killed.
        self.conn.execute("SELECT count(*) FROM tags").fetchone()
        Path(sys.argv[3]).write_text("midway")
        time.sleep(600)

    store.Writer.upsert_aliases = pause
    tagdb.import_file(sys.argv[1], "autocomplete", db=sys.argv[2])
""")


def test_sigkill_midway_leaves_db_readable_and_unchanged(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("base.csv", BASE), "autocomplete", db=db)
    before = dump(db)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(_big_csv(tmp_path / "big.csv")), str(db),
                             str(marker)], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the import finished or crashed before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert dump(db) == before
    t = tagdb.open_db(db, readonly=True)
    assert t.get("1girls").name == "1girl" and t.get("tag_5") is None
    # The next import is not blocked by the dead one's lock or leftovers.
    tagdb.import_file(write("more.csv", "smile,0,3000000,\n"), "autocomplete", db=db)
    assert tagdb.open_db(db).get("smile") is not None


def test_concurrent_importers_serialise(tmp_path, write):
    """Two imports at once both land (the second waits for the first's lock)."""
    import threading

    db = tmp_path / "t.sqlite"
    files = [write(f"{i}.csv", f"tag_{i},0,{i},\n") for i in range(4)]
    threads = [threading.Thread(target=tagdb.import_file, args=(f, "autocomplete"), kwargs={"db": db})
               for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tagdb.open_db(db).stats()["tags"] == 4


def test_reader_sees_new_data_after_import(tmp_path, write):
    db = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", BASE), "autocomplete", db=db)
    reader = tagdb.open_db(db, readonly=True)
    assert reader.get("smile") is None
    tagdb.import_file(write("b.csv", "smile,0,3000000,\n"), "autocomplete", db=db)
    assert reader.get("smile").post_count == 3000000
    assert reader.search("smi")[0].tag.name == "smile"


def test_readonly_missing_db_is_a_clear_error(tmp_path):
    with pytest.raises(tagdb.TagDBNotFoundError, match="tags init"):
        tagdb.open_db(tmp_path / "none.sqlite", readonly=True)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(tagdb.TagDBError, match="not a promptlab tag database"):
        tagdb.open_db(path).stats()
