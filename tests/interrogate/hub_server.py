"""A local stand-in for the Hugging Face hub (or a mirror such as hf-mirror.com): serves
``/<owner>/<repo>/resolve/main/<file>`` from a folder, logs every request, and can misbehave on purpose
(stall mid-file, close early, answer 404) so tests see what a real flaky connection does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Hub:
    repos: dict[str, Path]                       # "owner/name" -> folder with its files
    stall: set[str] = field(default_factory=set)     # files that send half, then go silent
    truncate: set[str] = field(default_factory=set)  # files that send half, then close
    requests: list[str] = field(default_factory=list)
    url: str = ""
    stall_s: float = 3.0
    chunk_delay_s: float = 0.0   # a slow line: progress can be watched (browser walks)


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            hub.requests.append(self.path)
            parts = self.path.strip("/").split("/")
            if len(parts) != 5 or parts[2:4] != ["resolve", "main"] or "/".join(parts[:2]) not in hub.repos:
                self.send_error(404)
                return
            path = hub.repos["/".join(parts[:2])] / parts[4]
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if parts[4] in hub.stall or parts[4] in hub.truncate:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                if parts[4] in hub.stall:
                    time.sleep(hub.stall_s)
                return
            for start in range(0, len(data), 4096):  # several chunks: progress is reported more than once
                self.wfile.write(data[start:start + 4096])
                if hub.chunk_delay_s:
                    time.sleep(hub.chunk_delay_s)

    return Handler


@contextmanager
def serve(hub: Hub) -> Iterator[Hub]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield hub
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once (an offline machine, fast)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
