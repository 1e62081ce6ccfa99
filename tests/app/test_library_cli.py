"""``promptlab library``: list, add, history, export, import, errors."""

from __future__ import annotations

import json

import pytest

from promptlab.cli import main
from promptlab.library import Library


def test_add_list_export_import(capsys, tmp_path):
    assert main(["library", "add", "portrait", "1girl, (smile:1.2)", "--negative", "lowres", "--label", "people",
                 "--favorite"]) == 0
    assert "saved #1 portrait" in capsys.readouterr().out
    assert main(["library", "list", "smile", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["labels"], r["favorite"]) for r in rows] == [("portrait", ["people"], True)]
    out = tmp_path / "lib.json"
    assert main(["library", "export", str(out)]) == 0
    other = tmp_path / "other.sqlite"
    assert main(["library", "--file", str(other), "import", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 1
    assert main(["library", "--file", str(other), "import", str(out)]) == 0
    assert "added 0 prompts (1 already there)" in capsys.readouterr().out
    assert [p.name for p in Library(other).prompts()] == ["portrait"]


def test_history_lists_recent_prompts(capsys):
    Library().add_history("1girl, solo", source="build")
    assert main(["library", "history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["prompt"] == "1girl, solo"


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["library", "add", "", "1girl"], "name"), (["library", "import", "/nonexistent/x.json"], "Cannot read"),
     (["library", "import", "BAD"], "Cannot read")],
    ids=["empty-name", "missing-file", "missing-relative"],
)
def test_errors_are_clear(capsys, argv, message):
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_corrupt_library_file_is_an_error_not_a_traceback(capsys, tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 100)
    assert main(["library", "--file", str(bad), "list"]) == 1
    assert "damaged" in capsys.readouterr().err
    assert bad.read_bytes() == b"garbage" * 100
