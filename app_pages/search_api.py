"""The tag-search endpoint the search box asks on every keystroke: ``GET <base>/api/tags/search``.

Query parameters: ``q`` (the text typed), ``lang`` (en|zh, for the labels), ``cats`` (comma-separated
category numbers), ``limit`` (1-50). Answer: JSON ``{"query", "items": [{"label", "name"}], "ready",
"error"}`` — the same that the Streamlit path of the box gets (``tag_search.answer``).

Why an endpoint: asking through Streamlit costs a fragment rerun and two websocket round trips per
keystroke (~400 ms measured with streamlit-searchbox); a small GET answered from the shared index
costs a few milliseconds. ``app_server.py`` mounts it; ``endpoint_path()`` tells the box whether it is
there (under a plain ``streamlit run app.py`` it is not, and the box falls back to Streamlit).
"""

from __future__ import annotations

import os
from typing import Any

ENV_FLAG = "PROMPTLAB_TAG_SEARCH_ENDPOINT"   # set by routes(): the path the endpoint is served at
ROUTE = "api/tags/search"
LANGS = ("en", "zh")


def _base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def endpoint_path() -> str | None:
    """Where the browser finds the endpoint, or None when this server does not serve it."""
    return os.environ.get(ENV_FLAG) or None


def parse_query(params: Any) -> tuple[str, str, list[int], int]:
    """(query, lang, categories, limit) from the request's query parameters; bad values are replaced
    by defaults (a search box must not fail on a stray character)."""
    from app_pages.components.tag_search import MAX_QUERY_CHARS, MAX_SUGGESTIONS, SUGGESTIONS

    query = str(params.get("q", ""))[:MAX_QUERY_CHARS]
    lang = params.get("lang", "en")
    lang = lang if lang in LANGS else "en"
    categories = []
    for part in str(params.get("cats", "")).split(","):
        if part.strip().isdecimal():  # not isdigit: "²" is a digit that int() refuses
            categories.append(int(part))
    try:
        limit = max(1, min(int(params.get("limit", SUGGESTIONS)), MAX_SUGGESTIONS))
    except ValueError:
        limit = SUGGESTIONS
    return query, lang, categories, limit


def search(request: Any) -> Any:
    """The route's handler (synchronous: Starlette runs it in its thread pool, off the event loop)."""
    from starlette.responses import JSONResponse

    from app_pages.components.tag_search import answer

    query, lang, categories, limit = parse_query(request.query_params)
    return JSONResponse(answer(query, lang, categories, limit), headers={"Cache-Control": "no-store"})


def routes() -> list:
    """The routes to mount beside Streamlit's own; marks the endpoint as served for the box."""
    from starlette.routing import Route

    path = f"{_base_path()}/{ROUTE}"
    os.environ[ENV_FLAG] = path
    return [Route(path, search, methods=["GET"])]
