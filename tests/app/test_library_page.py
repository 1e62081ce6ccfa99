"""Library page (AppTest): list, search, rename, favorite, delete, hand-off, bad library files."""

from __future__ import annotations

import sqlite3

import pytest
from app_helpers import texts

from promptlab.library import Library


@pytest.fixture
def lib(_isolated_home):
    lib = Library()
    lib.save_prompt("Portrait", "1girl, smile", "lowres", labels=["people"])
    lib.save_prompt("City", "cityscape, night", labels=["scenery"], favorite=True)
    lib.add_history("1girl, solo", source="build")
    return lib


def test_lists_searches_and_filters(app_test, lib):
    at = app_test("app_pages/library.py").run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert any("Portrait" in x for x in labels) and any("★ City" in x for x in labels)
    at.text_input(key="library.query").set_value("smile").run()
    assert [e.label for e in at.expander if "·" in e.label] == ["Portrait  ·  people"]
    at.text_input(key="library.query").set_value("").run()
    at.toggle(key="library.favs").set_value(True).run()
    assert [e.label for e in at.expander if "·" in e.label] == ["★ City  ·  scenery"]


def test_rename_favorite_delete(app_test, lib):
    pid = next(p.id for p in lib.prompts() if p.name == "Portrait")
    at = app_test("app_pages/library.py").run()
    at.text_input(key=f"library.name.{pid}").set_value("Portrait v2")
    at.text_input(key=f"library.labels.{pid}").set_value("people, best")
    portrait = next(e for e in at.expander if e.label.startswith("Portrait"))
    next(b for b in portrait.button if b.label == "Save changes").click().run()
    got = lib.get(pid)
    assert (got.name, got.labels) == ("Portrait v2", ("people", "best"))
    at.button(key=f"library.fav.{pid}").click().run()
    assert lib.get(pid).favorite
    at.button(key=f"library.del.{pid}").click().run()
    assert [p.name for p in lib.prompts()] == ["City"]


def test_send_to_build(app_test, lib):
    pid = next(p.id for p in lib.prompts() if p.name == "Portrait")
    at = app_test("app_pages/library.py").run()
    at.button(key=f"library.build.{pid}").click().run()
    assert at.session_state["build.pending"] == {"prompt": "1girl, smile", "negative_prompt": "lowres"}


def test_history_and_export(app_test, lib):
    at = app_test("app_pages/library.py").run()
    assert "1girl, solo" in texts(at)
    assert at.get("download_button")


def test_corrupt_library_is_reported_kept_and_can_be_moved_aside(app_test, _isolated_home):
    path = _isolated_home / "library.sqlite"
    path.write_bytes(b"not a database" * 500)
    at = app_test("app_pages/library.py").run()
    assert not at.exception
    assert "damaged" in at.error[0].value
    assert path.read_bytes() == b"not a database" * 500
    at.button(key="library.quarantine").click().run()
    moved = [p for p in _isolated_home.iterdir() if p.name.startswith("library.sqlite.damaged-")]
    assert len(moved) == 1 and moved[0].read_bytes() == b"not a database" * 500
    assert "moved" in at.success[0].value


def test_locked_library_is_reported(app_test, lib):
    holder = sqlite3.connect(lib.path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        at = app_test("app_pages/library.py", timeout=60)
        at.run()
        assert not at.exception
        assert "locked" in at.error[0].value
    finally:
        holder.rollback()
        holder.close()
    assert len(lib.prompts()) == 2


def test_configurable_path(app_test, lib, tmp_path):
    other = tmp_path / "elsewhere" / "mine.sqlite"
    at = app_test("app_pages/library.py").run()
    at.text_input(key="library.path_input").set_value(str(other))
    at.button(key="library.path_apply").click().run()
    assert at.session_state["library.path"] == str(other)
    assert other.exists() and "Nothing saved yet" in texts(at)


def test_chinese(app_test, lib):
    at = app_test("app_pages/library.py", lang="zh").run()
    assert "收藏库" in texts(at) and "Saved prompts" not in texts(at)


def test_import_json(app_test, lib, tmp_path):
    data = lib.export_json().encode()
    other = tmp_path / "other.sqlite"
    at = app_test("app_pages/library.py", library__path=str(other)).run()
    at.file_uploader(key="library.import_file").set_value(("lib.json", data, "application/json"))
    at.run()
    at.button(key="library.import_go").click().run()
    assert "Imported 2 prompts" in at.success[0].value
    assert len(Library(other).prompts()) == 2
    at.file_uploader(key="library.import_file").set_value(("bad.json", b"[1, 2]", "application/json"))
    at.run()
    at.button(key="library.import_go").click().run()
    assert "not a promptlab library export" in at.error[0].value
    assert len(Library(other).prompts()) == 2
