"""First run: tagcomplete's files in an A1111/Forge install, found and imported (library and CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tagdb
from promptlab.cli import main
from tagdb import TagImportError
from tagdb.importers.a1111 import find_tag_files, import_a1111, usual_roots
from tagdb_testutil import dump

FILES = {
    "danbooru.csv": '1girl,0,6008644,"1girls,sole_female"\nhatsune_miku,4,113003,/hm\nmy_rare_tag,0,30,\n',
    "e621.csv": "mammal,5,3437444,mammals\n",
    "zh_cn.csv": "\ufeffmy_rare_tag,我的稀有标签\r\nhatsune_miku,初音未来|miku\r\n",
    "extra-quality-tags.csv": "masterpiece,5,Quality tag,,\nbest_quality,5,Quality tag,,\n",
    "derpibooru.csv": "safe,9,2000000,\n",
}


def make_install(root: Path, files: dict[str, str] = FILES) -> Path:
    tags = root / "extensions" / "a1111-sd-webui-tagcomplete" / "tags"
    tags.mkdir(parents=True)
    for name, text in files.items():
        (tags / name).write_text(text, encoding="utf-8")
    (root / "extensions" / "other-extension").mkdir()
    return root


def test_files_are_told_apart(tmp_path):
    found = find_tag_files(make_install(tmp_path / "webui"))
    kinds = {f.path.name: f.format for f in found.files}
    assert kinds == {"danbooru.csv": "autocomplete", "e621.csv": "e621", "zh_cn.csv": "translations",
                     "extra-quality-tags.csv": "skip", "derpibooru.csv": "skip"}
    assert all(f.reason for f in found.skipped)


def test_import_all_at_once(tmp_path):
    db = tmp_path / "tags.sqlite"
    reports = import_a1111(find_tag_files(make_install(tmp_path / "webui")), db=db)
    assert [r.format for r in reports] == ["autocomplete", "e621", "translations"]
    t = tagdb.open_db(db)
    assert t.search("我的稀有")[0].tag.name == "my_rare_tag"
    assert t.get("sole_female").name == "1girl" and t.stats()["tagsets"]["e621"]["tags"] == 1


@pytest.mark.parametrize("files", [{}, {"extra-quality-tags.csv": FILES["extra-quality-tags.csv"]}],
                         ids=["no-files", "nothing-importable"])
def test_nothing_to_import_is_an_error_and_writes_nothing(tmp_path, files):
    db = tmp_path / "tags.sqlite"
    tagdb.ensure_starter_db(db)
    before = dump(db)
    with pytest.raises(TagImportError, match="extensions/\\*/tags"):
        import_a1111(find_tag_files(make_install(tmp_path / "webui", files)), db=db)
    assert dump(db) == before


def test_not_an_install(tmp_path):
    with pytest.raises(TagImportError, match="no extensions/"):
        find_tag_files(tmp_path)


def test_usual_places(tmp_path):
    make_install(tmp_path / "stable-diffusion-webui-forge")
    make_install(tmp_path / "Desktop" / "sd-webui-aki-v4")
    assert usual_roots(tmp_path) == [tmp_path / "stable-diffusion-webui-forge", tmp_path / "Desktop" / "sd-webui-aki-v4"]


def test_cli_init_from_a1111(tmp_path, capsys):
    db = tmp_path / "tags.sqlite"
    root = make_install(tmp_path / "webui")
    assert main(["tags", "init", "--db", str(db), "--from-a1111", str(root)]) == 0
    captured = capsys.readouterr()
    assert "danbooru.csv" in captured.out and "skipped" in captured.err and "derpibooru.csv" in captured.err
    assert tagdb.open_db(db).get("my_rare_tag").post_count == 30


def test_cli_init_finds_the_usual_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "nowhere" / "models"))
    make_install(tmp_path / "stable-diffusion-webui")
    db = tmp_path / "tags.sqlite"
    assert main(["tags", "init", "--db", str(db), "--from-a1111"]) == 0
    assert tagdb.open_db(db).get("my_rare_tag") is not None


def test_cli_init_without_an_install_fails_before_writing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    db = tmp_path / "tags.sqlite"
    assert main(["tags", "init", "--db", str(db), "--from-a1111"]) != 0
    err = capsys.readouterr().err
    assert "--from-a1111 DIR" in err and f"{tmp_path}/Desktop/" in err
    assert not db.exists()
