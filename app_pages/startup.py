"""Start-up of the server that `make run` starts (app_server.py).

No background warm-up: measured with bench_app.py on a 2-core machine, warming the tag database,
tokenizer and imports in a thread while the browser loads the page made the first paint slower
(heading 2.8-4.1 s vs 2.3-2.9 s without), because the warm-up competes with the browser for the CPU
and with the first script run for the GIL. The pages load what they need on first use, and the Build
page loads the search index in the background after it is drawn."""

from __future__ import annotations

from typing import Any


def skip_component_scan() -> bool:
    """Skip Streamlit's start-up scan of every installed package for v2 component manifests.

    Why: promptlab uses no installed v2 component (its own is registered inline), and the scan
    parses the metadata of every installed distribution — ~0.5 s of a 2-core machine's start-up,
    a sixth of the 3 s first-paint goal. Returns False (and changes nothing) where this Streamlit
    version has no such scan; tests/app/test_tag_search.py pins the name."""
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
