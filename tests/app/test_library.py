"""promptlab.library: saved prompts, favorites, history, generations, export/import, bad files."""

from __future__ import annotations

import json
import sqlite3

import pytest

from promptlab.errors import InvalidInputError
from promptlab.library import (
    Library,
    LibraryCorruptError,
    LibraryLockedError,
    default_library_path,
    quarantine,
)
from promptlab.params import GenerationParams


@pytest.fixture
def lib(tmp_path):
    return Library(tmp_path / "sub" / "library.sqlite", timeout=0.05)


def test_created_on_first_use_in_user_home(_isolated_home):
    path = default_library_path()
    assert path.parent == _isolated_home and not path.exists()
    Library().prompts()
    assert path.exists()


def test_env_overrides_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMPTLAB_LIBRARY", str(tmp_path / "x.sqlite"))
    assert Library().path == tmp_path / "x.sqlite"


def test_save_search_rename_favorite_labels_delete(lib):
    a = lib.save_prompt("Portrait", "1girl, solo, (smile:1.2)", "lowres", labels=["people", "people", " "])
    b = lib.save_prompt("城市夜景", "cityscape, night, neon lights", labels=["scenery"])
    assert a.labels == ("people",) and not a.favorite
    assert [p.id for p in lib.prompts()] == [b.id, a.id]
    assert [p.name for p in lib.prompts("SMILE")] == ["Portrait"]
    assert [p.name for p in lib.prompts("夜景")] == ["城市夜景"]
    assert [p.name for p in lib.prompts("lowres")] == ["Portrait"]
    assert [p.name for p in lib.prompts("people")] == ["Portrait"]
    assert lib.prompts("100%") == []  # LIKE wildcards are literal
    assert [p.name for p in lib.prompts(label="scenery")] == ["城市夜景"]
    lib.rename(a.id, "  Portrait v2 ")
    lib.set_favorite(a.id)
    lib.set_labels(a.id, ["people", "best"])
    got = lib.get(a.id)
    assert (got.name, got.favorite, got.labels) == ("Portrait v2", True, ("people", "best"))
    assert [p.id for p in lib.prompts(favorites_only=True)] == [a.id]
    assert lib.labels() == ["best", "people", "scenery"]
    lib.delete(b.id)
    assert [p.id for p in lib.prompts()] == [a.id]
    with pytest.raises(InvalidInputError, match="No saved prompt"):
        lib.get(b.id)


@pytest.mark.parametrize(
    ("name", "prompt", "match"),
    [("", "1girl", "name"), ("  ", "1girl", "name"), ("x", "  ", "empty")],
    ids=["no-name", "blank-name", "empty-prompt"],
)
def test_save_rejects_bad_input(lib, name, prompt, match):
    with pytest.raises(InvalidInputError, match=match):
        lib.save_prompt(name, prompt)


def test_history_dedups_consecutive_and_is_bounded(tmp_path):
    lib = Library(tmp_path / "l.sqlite", history_limit=3)
    assert lib.add_history("a", source="build") is not None
    assert lib.add_history("a", source="build") is None
    for text in ("b", "c", "d"):
        lib.add_history(text, "neg", source="read")
    assert [h.prompt for h in lib.history()] == ["d", "c", "b"]
    assert [h.prompt for h in lib.history("C")] == ["c"]
    with pytest.raises(ValueError):
        lib.add_history("e", source="nowhere")
    assert lib.clear_history() == 3 and lib.history() == []


def test_generations_store_infotext(lib):
    if not hasattr(GenerationParams, "to_infotext"):
        pytest.skip("GenerationParams.to_infotext not written yet")
    params = GenerationParams(prompt="1girl", negative_prompt="lowres", seed=5)
    gen = lib.add_generation(params, "/tmp/out.png")
    assert (gen.prompt, gen.negative_prompt, gen.image_path) == ("1girl", "lowres", "/tmp/out.png")
    assert lib.generations()[0].params == gen.params


def test_export_import_round_trip(lib, tmp_path):
    lib.save_prompt("A", "1girl", "lowres", labels=["x"], favorite=True, params="Steps: 20")
    lib.add_history("h1", source="build")
    exported = lib.export_json()
    other = Library(tmp_path / "other.sqlite")
    report = other.import_json(exported)
    assert (report.added, report.skipped, report.history_added) == (1, 0, 1)
    p = other.prompts()[0]
    assert (p.name, p.prompt, p.negative_prompt, p.labels, p.favorite, p.params) == ("A", "1girl", "lowres", ("x",), True, "Steps: 20")
    again = other.import_json(exported)
    assert (again.added, again.skipped, again.history_added) == (0, 1, 0)
    assert other.import_json(json.loads(exported), on_conflict="duplicate").added == 1
    assert len(other.prompts()) == 2


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps({"prompts": []}),
        json.dumps({"format": "promptlab-library", "version": 1, "prompts": [{"name": "ok", "prompt": "a"}, {"prompt": "no name"}]}),
        json.dumps({"format": "promptlab-library", "version": 1, "prompts": [{"name": "ok", "prompt": "a"}], "history": [{}]}),
        json.dumps({"format": "promptlab-library", "version": 99}),
    ],
    ids=["not-json", "no-format", "bad-prompt", "bad-history", "newer-version"],
)
def test_bad_import_adds_nothing(lib, payload):
    lib.save_prompt("keep", "1girl")
    with pytest.raises(InvalidInputError):
        lib.import_json(payload)
    assert [p.name for p in lib.prompts()] == ["keep"]
    assert lib.history() == []


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 2000],
    ids=["text-file", "broken-header"],
)
def test_corrupt_file_is_reported_and_never_changed(tmp_path, content):
    path = tmp_path / "library.sqlite"
    path.write_bytes(content)
    lib = Library(path)
    with pytest.raises(LibraryCorruptError, match="has not been changed"):
        lib.prompts()
    with pytest.raises(LibraryCorruptError):
        lib.save_prompt("x", "1girl")
    assert path.read_bytes() == content
    moved = quarantine(path)
    assert moved.read_bytes() == content and not path.exists()
    assert lib.save_prompt("x", "1girl").name == "x"
    assert quarantine(path) != moved  # a second quarantine never overwrites the first


def test_foreign_sqlite_file_is_not_taken_over(tmp_path):
    path = tmp_path / "tags.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE tags (name TEXT)")
    before = path.read_bytes()
    with pytest.raises(LibraryCorruptError, match="not a promptlab library"):
        Library(path).prompts()
    assert path.read_bytes() == before


def test_locked_file_gives_clear_error_and_loses_nothing(lib):
    lib.save_prompt("keep", "1girl")
    holder = sqlite3.connect(lib.path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LibraryLockedError, match="locked"):
            lib.save_prompt("new", "2girls")
    finally:
        holder.rollback()
        holder.close()
    assert [p.name for p in lib.prompts()] == ["keep"]


def test_folder_path_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="folder"):
        Library(tmp_path).prompts()
