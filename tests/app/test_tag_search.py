"""The tag search box: its answers (shared by the endpoint and the Streamlit path), the endpoint's
parameter handling, the Streamlit fallback path in AppTest, and the start-up's component-scan skip."""

from __future__ import annotations

import json

import pytest

PAGE = "app_pages/build.py"


@pytest.fixture
def home(app_test, _isolated_home):
    """PROMPTLAB_HOME holding the starter tag database (app_test copies it there), its search index
    built: the answers give up after 0.2 s while the index builds, which a busy 2-core machine can
    exceed on the ~9k-tag starter set (the box then asks again; here the test would see ready=False)."""
    from app_pages.common import shared_tag_db, tag_index_ready

    assert tag_index_ready(shared_tag_db(), wait=120)
    return _isolated_home


def test_answer_finds_english_chinese_and_filters_categories(home):
    from app_pages.components.tag_search import answer

    english = answer("1gir", "en")
    assert english["ready"] and english["error"] is None and english["query"] == "1gir"
    assert english["items"][0]["name"] == "1girl" and english["items"][0]["label"].startswith("🔵 1girl")
    chinese = answer("  单人 ", "zh")
    assert chinese["query"] == "单人" and chinese["items"][0]["name"] == "solo"
    only_meta = answer("a", "en", [5])
    assert only_meta["items"] and all(item["label"].startswith("🟠") for item in only_meta["items"])


def test_answer_bounds_limit_and_query(home):
    from app_pages.components.tag_search import MAX_QUERY_CHARS, MAX_SUGGESTIONS, answer

    assert len(answer("a", "en", limit=10_000)["items"]) <= MAX_SUGGESTIONS
    assert len(answer("a", "en", limit=0)["items"]) == 1
    assert answer("   ", "en") == {"query": "", "items": [], "ready": True, "error": None}
    long = answer("x" * 10_000, "en")
    assert len(long["query"]) == MAX_QUERY_CHARS and long["error"] is None


def test_answer_says_not_ready_while_the_index_is_built(home, monkeypatch):
    import app_pages.common as common
    from app_pages.components.tag_search import answer

    monkeypatch.setattr(common, "tag_index_ready", lambda db, wait=0.5, **kw: False)
    out = answer("1gir", "en")
    assert out["ready"] is False and out["items"] == [] and out["error"] is None


def test_answer_reports_a_damaged_database_without_raising(tmp_path, monkeypatch):
    from app_pages.components.tag_search import answer

    broken = tmp_path / "broken-home"
    broken.mkdir()
    (broken / "tags.sqlite").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("PROMPTLAB_HOME", str(broken))
    out = answer("1gir", "en")
    assert out["items"] == [] and out["error"] and out["error"].startswith("Tag search failed")
    assert (broken / "tags.sqlite").read_bytes().startswith(b"this is not a database")  # left as it was


def test_endpoint_parameters_fall_back_to_defaults():
    from app_pages.components.tag_search import MAX_QUERY_CHARS, SUGGESTIONS
    from app_pages.search_api import parse_query

    assert parse_query({"q": "x" * 999, "lang": "fr", "cats": "1,,x, 4,-3,²", "limit": "abc"}) == (
        "x" * MAX_QUERY_CHARS, "en", [1, 4], SUGGESTIONS)
    assert parse_query({}) == ("", "en", [], SUGGESTIONS)
    assert parse_query({"q": "单人", "lang": "zh", "limit": "99"}) == ("单人", "zh", [], 50)


def _box_data(at) -> dict:
    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", "") == "bidi_component":
                return child
            found = find(child)
            if found is not None:
                return found
        return None

    box = find(at.main)
    assert box is not None, "the search box was not drawn"
    return json.loads(box.proto.json)[0]


def test_box_without_endpoint_is_answered_through_streamlit(home, app_test, monkeypatch):
    """Under a plain `streamlit run app.py` the box sends its query as state; the fragment answers."""
    from app_pages.search_api import ENV_FLAG

    monkeypatch.delenv(ENV_FLAG, raising=False)
    at = app_test(PAGE).run()
    data = _box_data(at)
    assert data["endpoint"] is None and data["results"] is None and data["label"] == "Search tags"
    at.session_state["build.search"] = {"query": "1gir"}
    at.run()
    assert not at.exception
    results = _box_data(at)["results"]
    assert results["query"] == "1gir" and results["items"][0]["name"] == "1girl"


def test_box_is_told_where_the_endpoint_is_and_speaks_chinese(app_test, monkeypatch):
    from app_pages.search_api import ENV_FLAG

    monkeypatch.setenv(ENV_FLAG, "/api/tags/search")
    at = app_test(PAGE, lang="zh", build__cats=[4]).run()
    data = _box_data(at)
    assert data["endpoint"] == "/api/tags/search" and data["lang"] == "zh" and data["categories"] == [4]
    assert data["label"] == "搜索标签"


def test_typed_text_is_added_as_typed_and_tags_the_prompt_way(app_test):
    at = app_test(PAGE).run()
    at.session_state["build.to_add"] = [("prompt", "long_hair", "tag"), ("prompt", "(masterpiece:1.2)", "text"),
                                        ("negative", "<lora:detail:0.5>", "text")]
    at.run()
    assert not at.exception
    assert at.text_area(key="build.prompt").value == "long hair, (masterpiece:1.2)"
    assert at.text_area(key="build.negative").value == "<lora:detail:0.5>"


def test_component_scan_skip_targets_the_streamlit_function(monkeypatch):
    """Pins the Streamlit internal that app_server.py replaces: an upgrade that renames it fails here
    (start-up would only be slower, never broken)."""
    from streamlit.components.v2 import manifest_scanner

    from app_pages.startup import skip_component_scan

    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", manifest_scanner.scan_component_manifests)
    assert skip_component_scan() is True
    assert manifest_scanner.scan_component_manifests() == []
