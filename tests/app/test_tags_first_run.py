"""Tags page, first run: an A1111/Forge install with tagcomplete files is offered for import (AppTest)."""

from __future__ import annotations

import pytest



def _install(root, rows="my_rare_tag,0,30,\nhatsune_miku,4,113003,/hm\n"):
    tags = root / "stable-diffusion-webui" / "extensions" / "a1111-sd-webui-tagcomplete" / "tags"
    tags.mkdir(parents=True)
    (tags / "danbooru.csv").write_text(rows, encoding="utf-8")
    (tags / "zh.csv").write_text("my_rare_tag,我的稀有标签\n", encoding="utf-8")
    return root / "stable-diffusion-webui"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_offer_then_import(app_test, monkeypatch, tmp_path, lang, _isolated_home):
    import tagdb

    monkeypatch.setenv("HOME", str(tmp_path))
    root = _install(tmp_path)
    at = app_test("app_pages/tags.py", lang=lang).run()
    assert not at.exception
    assert any(str(root) in i.value for i in at.info)
    at.button(key="tags.a1111_go").click().run()
    assert not at.exception
    assert any(str(root) in s.value for s in at.success)
    assert tagdb.open_db(_isolated_home / "tags.sqlite").get("my_rare_tag").label("zh") == "我的稀有标签"
    at.run()
    assert not any(b.key == "tags.a1111_go" for b in at.button)  # offered once: the database is no longer starter-only


def test_no_install_no_offer(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    at = app_test("app_pages/tags.py").run()
    assert not at.exception
    assert not any(b.key == "tags.a1111_go" for b in at.button)
