"""Start the Streamlit app on a free port and a headless Chromium for it (used by the e2e test
and by benchmarks/bench_app.py). Everything started here is stopped by the caller's ``close()``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PROMPTLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (install it with `make browser`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    process: subprocess.Popen
    url: str
    log: Path
    started: float   # time.perf_counter() when the process was started
    healthy: float   # ... when /_stcore/health first answered

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_app(home: Path, models: Path, *, timeout: float = 90.0, script: str = "app_server.py",
              command: list[str] | None = None, cwd: Path = REPO, env_extra: dict | None = None) -> AppServer:
    """Start what `make run` serves (``app_server.py``: the app and its tag-search endpoint), or
    ``script="app.py"`` (the app alone: the search box then asks through Streamlit), or ``command``
    (e.g. ``promptlab app``; ``{port}`` in it is replaced by the free port chosen here)."""
    port = free_port()
    env = {**os.environ, "PROMPTLAB_HOME": str(home), "PROMPTLAB_MODELS": str(models),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env_extra or {})}
    log = home / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    if command is not None:
        cmd = [part.replace("{port}", str(port)) for part in command]
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                if resp.status == 200:
                    return AppServer(process, url, log, started, time.perf_counter())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"streamlit did not answer within {timeout} s:\n{log.read_text(errors='replace')}")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


SEARCHBOX = "input.pl-ts-input"       # the tag search box (our v2 component, in a shadow root)
SUGGESTION = ".pl-ts-option"


def searchbox(page):
    """The tag search box's input. Playwright's CSS selectors reach into the component's shadow root."""
    return page.locator(SEARCHBOX)


def suggestions(page):
    return page.locator(SUGGESTION)
