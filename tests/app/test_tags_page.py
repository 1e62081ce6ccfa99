"""Tags page (AppTest): stats, filters, charts, both languages, a broken database."""

from __future__ import annotations

import pytest

from app_helpers import texts

from promptlab.i18n import t


def _open_tab(at, name: str, lang: str = "en"):
    at.session_state["tags.tab"] = t(f"tags.tab.{name}", lang)
    return at.run()


def test_stats_table_and_charts(app_test):
    at = app_test("app_pages/tags.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Tags"].replace(",", "")) > 100
    table = at.dataframe[0].value
    assert {"Tag", "Category", "Posts", "Chinese"} <= set(table.columns)
    posts = table["Posts"].dropna().tolist()
    assert posts == sorted(posts, reverse=True)  # most used first
    assert "1girl" in table["Tag"].tolist()
    assert not at.get("vega_lite_chart")  # lazy tabs: the charts are computed only when opened
    _open_tab(at, "charts")
    assert len(at.get("vega_lite_chart")) == 2
    coverage = at.dataframe[0].value
    assert set(coverage["% of tags"]) and coverage["% of tags"].between(0, 100).all()


@pytest.mark.parametrize(
    ("widget", "value", "check"),
    [
        ("tags.cats", [1], lambda df: set(df["Category"]) == {"Artist"}),
        ("tags.min_posts", 1_000_000, lambda df: (df["Posts"] >= 1_000_000).all()),
        ("tags.lang", "no_zh", lambda df: (df["Chinese"] == "").all()),
        ("tags.text", "girl", lambda df: (df["Tag"].str.contains("girl") | df["Aliases"].str.contains("girl")).all()),
    ],
    ids=["category", "post-count", "untranslated", "text"],
)
def test_filters(app_test, widget, value, check, _isolated_home, tmp_path):
    import tagdb

    csv = tmp_path / "extra.csv"
    csv.write_text("painter_artist_x,1,4321,\nanother_artist_y,1,120,\n", encoding="utf-8")
    tagdb.import_file(csv, "autocomplete", db=_isolated_home / "tags.sqlite")
    at = app_test("app_pages/tags.py").run()
    before = _matching(at)  # the table shows at most 2,000 rows; the caption counts them all
    kinds = {"tags.cats": at.multiselect, "tags.min_posts": at.number_input, "tags.lang": at.selectbox,
             "tags.text": at.text_input}
    kinds[widget](key=widget).set_value(value)
    at.run()
    assert not at.exception
    df = at.dataframe[0].value
    assert 0 < len(df) and _matching(at) < before and check(df)


def _matching(at) -> int:
    import re

    caption = next(c.value for c in at.caption if c.value.startswith("Showing"))
    return int(re.search(r"of ([\d,]+) matching", caption).group(1).replace(",", ""))


def test_switching_language_translates_the_page(app_test):
    en = app_test("app_pages/tags.py").run()
    zh = app_test("app_pages/tags.py", lang="zh").run()
    assert "Tag database" in texts(en) and "标签数据库" in texts(zh)
    assert "标签" in zh.dataframe[0].value.columns and "一般" in set(zh.dataframe[0].value["类别"])


def test_unreadable_database_gives_a_message(app_test, _isolated_home):
    at = app_test("app_pages/tags.py")
    (_isolated_home / "tags.sqlite").write_bytes(b"garbage" * 1000)
    at.run()
    assert not at.exception
    assert "cannot be used" in at.error[0].value


def test_import_a_tag_file(app_test):
    at = _open_tab(app_test("app_pages/tags.py").run(), "import")
    before = int(at.metric[0].value.replace(",", ""))
    at.selectbox(key="tags.fmt").set_value("autocomplete")
    at.file_uploader(key="tags.upload").set_value(("more.csv", b"brand_new_tag_q,0,50,\nsecond_new_tag_q,4,70,\n", "text/csv"))
    at.run()
    at.button(key="tags.import_go").click().run()
    assert not at.exception
    assert "tags added 2" in at.success[0].value
    at.run()
    assert int(at.metric[0].value.replace(",", "")) == before + 2


def test_import_of_a_bad_file_leaves_the_database_alone(app_test):
    at = _open_tab(app_test("app_pages/tags.py").run(), "import")
    before = at.metric[0].value
    at.selectbox(key="tags.fmt").set_value("presets")
    at.file_uploader(key="tags.upload").set_value(("bad.json", b"{not json", "application/json"))
    at.run()
    at.button(key="tags.import_go").click().run()
    assert not at.exception
    assert "database is unchanged" in at.error[0].value
    assert at.run().metric[0].value == before


def test_update_offline_reports_and_keeps_the_database(app_test):
    import socket

    with socket.socket() as s:  # a port nobody listens on: connection refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    at = _open_tab(app_test("app_pages/tags.py").run(), "import")
    before = at.metric[0].value
    at.text_input(key="tags.update_url").set_value(f"http://127.0.0.1:{port}")
    at.button(key="tags.update_go").click().run()
    assert not at.exception
    assert "database is unchanged" in at.error[0].value
    assert at.run().metric[0].value == before
