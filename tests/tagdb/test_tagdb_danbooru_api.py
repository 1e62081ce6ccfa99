"""The Danbooru API updater against a local HTTP server serving pages in the API's shape."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

import tagdb
from tagdb import NetworkError
from tagdb.importers.danbooru_api import DanbooruUpdate

TAGS = [{"id": 1000 + i, "name": f"tag_{i}", "category": i % 2, "post_count": 10 * i, "is_deprecated": i == 7,
         "created_at": "2020-01-01T00:00:00.000-05:00", "words": [f"tag_{i}"]} for i in range(1, 26)]
ALIASES = [{"id": 50 + i, "antecedent_name": f"old_{i}", "consequent_name": f"tag_{i}", "status": "active"}
           for i in range(10, 16)] + [{"id": 40, "antecedent_name": "gone", "consequent_name": "tag_20",
                                        "status": "deleted"}]


class FakeDanbooru(BaseHTTPRequestHandler):
    fail_on: set[int] = set()  # request numbers answered with HTTP 503
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).requests.append({"path": url.path, **params})
        if len(type(self).requests) in type(self).fail_on:
            self.send_error(503, "busy")
            return
        records = {"/tags.json": TAGS, "/tag_aliases.json": ALIASES}.get(url.path)
        if records is None:
            self.send_error(404)
            return
        if "search[post_count]" in params:
            minimum = int(params["search[post_count]"].removeprefix(">="))
            records = [r for r in records if r["post_count"] >= minimum]
        if "search[status]" in params:
            records = [r for r in records if r["status"] == params["search[status]"]]
        records = sorted(records, key=lambda r: -r["id"])  # newest first, like Danbooru
        page = params.get("page", "")
        if page.startswith("b"):
            records = [r for r in records if r["id"] < int(page[1:])]
        body = json.dumps(records[: int(params.get("limit", 20))]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    FakeDanbooru.fail_on = set()
    FakeDanbooru.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeDanbooru)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _update(db, url, **kwargs):
    return DanbooruUpdate(db, base_url=url, interval=0, backoff=0, page_size=4, **kwargs)


def test_full_update(tmp_path, server):
    db = tmp_path / "tags.sqlite"
    report = _update(db, server, min_posts=50).run()
    t = tagdb.open_db(db)
    names = {r["name"] for r in TAGS if r["post_count"] >= 50}
    assert t.stats()["tags"] == len(names) == 21
    assert t.get("old_12").name == "tag_12"  # active alias
    assert t.get("gone") is None  # deleted alias
    assert t.get("tag_7").deprecated
    assert t.get("tag_3") is None  # below the minimum post count
    assert report.aliases == 6 and report.extra["requests"] == len(FakeDanbooru.requests)
    tag_pages = [r for r in FakeDanbooru.requests if r["path"] == "/tags.json"]
    assert tag_pages[0].get("page") is None and tag_pages[1]["page"] == "b1022"
    assert all(r["limit"] == "4" for r in FakeDanbooru.requests)
    assert not (tmp_path / "tags.sqlite.danbooru-staging").exists()


def test_interrupted_update_resumes_from_checkpoint(tmp_path, server):
    db = tmp_path / "tags.sqlite"
    tagdb.import_file(tmp_path.joinpath("a.csv").write_text("keep_me,0,5,\n") and tmp_path / "a.csv",
                      "autocomplete", db=db)
    FakeDanbooru.fail_on = {3, 4}  # page 3 fails twice: with retries=1 the run gives up there
    with pytest.raises(NetworkError, match="resume"):
        _update(db, server, min_posts=0, retries=1).run()
    assert tagdb.open_db(db).stats()["tags"] == 1  # nothing merged yet
    assert (tmp_path / "tags.sqlite.danbooru-staging").exists()
    done_before = len(FakeDanbooru.requests)
    FakeDanbooru.fail_on = set()
    _update(db, server, min_posts=0).run()
    resumed = FakeDanbooru.requests[done_before]
    assert resumed["path"] == "/tags.json" and resumed["page"] == "b1018"  # continues after page 2
    assert tagdb.open_db(db).stats()["tags"] == 26


def test_retry_then_success(tmp_path, server):
    FakeDanbooru.fail_on = {1}
    _update(tmp_path / "t.sqlite", server, min_posts=0, retries=2).run()
    assert tagdb.open_db(tmp_path / "t.sqlite").stats()["tags"] == 25


def test_offline_is_a_clear_error(tmp_path):
    with pytest.raises(NetworkError, match="database is unchanged"):
        DanbooruUpdate(tmp_path / "t.sqlite", base_url="http://127.0.0.1:9", interval=0, backoff=0,
                       retries=0).run()
    assert not (tmp_path / "t.sqlite").exists()


def test_rate_limit_spaces_requests(tmp_path, server, monkeypatch):
    import tagdb.importers.danbooru_api as api

    sleeps = []
    monkeypatch.setattr(api.time, "sleep", lambda s: sleeps.append(s))
    DanbooruUpdate(tmp_path / "t.sqlite", base_url=server, interval=5.0, page_size=100, min_posts=0).run()
    assert len(sleeps) == len(FakeDanbooru.requests) - 1 and all(0 < s <= 5.0 for s in sleeps)


def test_full_list_reports_progress_for_a_bar(tmp_path, server):
    """"Get the full Danbooru list" (every tag, min_posts 0) drives a progress bar: shares rise to 1."""
    shares: list[float] = []
    report = _update(tmp_path / "tags.sqlite", server, min_posts=0, fraction=shares.append).run()
    assert report.tags_added == len(TAGS)
    assert shares == sorted(shares) and shares[-1] == 1.0 and 0 < shares[0] < 0.8
    assert {r.get("search[post_count]") for r in FakeDanbooru.requests if r["path"] == "/tags.json"} == {">=0"}
