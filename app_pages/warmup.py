"""Start-up work done once per server, in the background, so that the first page and the first
keystroke do not pay for it: import the Build page's modules, open the tag database, load (or
build) its search index, start its statistics, load the CLIP tokenizer. Used as the lifespan of
``app_server.py``; every step is best effort (a failure here shows up, with its message, where the
page uses the thing)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger("promptlab.warmup")
INDEX_DELAY_S = 3.0


def warm_up() -> dict[str, float]:
    """Run every step; returns seconds per step (for the log and the tests)."""
    timings: dict[str, float] = {}

    def step(name: str, work: Any) -> None:
        t0 = time.perf_counter()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - best effort; the page reports the same error itself
            log.info("warm-up step %s failed: %s: %s", name, type(exc).__name__, exc)
        timings[name] = time.perf_counter() - t0

    def imports() -> None:
        # Streamlit's own first-use cost: its emoji pattern (~0.35 s), compiled for the first
        # pills / segmented control
        from streamlit.string_util import extract_leading_emoji

        extract_leading_emoji("🔵 warm-up")
        import app_pages.components.build_panels  # noqa: F401
        import app_pages.components.tag_search  # noqa: F401
        import promptlab.syntax  # noqa: F401

    def tag_db() -> None:
        from app_pages.common import _file_stamp, _probe, _stats, shared_tag_db, tag_index_ready

        db = shared_tag_db()
        path, stamp = str(db.path), _file_stamp(db.path)
        _probe(path, stamp)
        _stats(path, stamp)               # runs in its own thread
        # the search index (loaded from its cache file in ~0.5 s on 140k tags, else built) once the
        # first page is likely drawn: loading it now would hold the GIL while the page is served
        tag_index_ready(db, wait=0, delay=INDEX_DELAY_S)

    def tokenizer() -> None:
        from app_pages.components.prompt_tools import token_view

        token_view("1girl, solo", positive=True)

    # While this runs, the server is sending the browser its page: hand the GIL over more often
    # (1 ms instead of 5 ms) so that those requests do not queue behind the warm-up.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
    try:
        step("tag database", tag_db)   # first: the sidebar's statistics query runs in its own thread
        step("imports", imports)
        step("tokenizer", tokenizer)
    finally:
        sys.setswitchinterval(interval)
    log.info("warm-up: %s", ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return timings


@asynccontextmanager
async def lifespan(_app: Any):
    """Starlette lifespan: start the warm-up and serve at once (it never delays the health check)."""
    threading.Thread(target=warm_up, name="promptlab-warmup", daemon=True).start()
    yield None


def skip_component_scan() -> bool:
    """Skip Streamlit's start-up scan of every installed package for v2 component manifests.

    Why: promptlab uses no installed v2 component (its own is registered inline), and the scan
    parses the metadata of every installed distribution — ~0.5 s of a 2-core machine's start-up,
    a sixth of the 3 s first-paint goal. Returns False (and changes nothing) where this Streamlit
    version has no such scan; tests/app/test_app_server.py pins the name."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return False
    if not callable(getattr(manifest_scanner, "scan_component_manifests", None)):
        return False
    manifest_scanner.scan_component_manifests = _no_manifests
    return True


def _no_manifests(*_args: Any, **_kwargs: Any) -> list:
    return []
