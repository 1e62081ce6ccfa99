"""`promptlab app` (start the Streamlit app from any install) and `promptlab doctor` (what is there,
what is missing, the command that fixes each gap)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from promptlab.errors import InvalidInputError, MissingDependencyError

# Entry scripts in the folder that holds app_pages/: the checkout's, else the installed twin.
SERVER_SCRIPTS = ("app_server.py", "promptlab_app_server.py")
# Streamlit settings that .streamlit/config.toml holds in a checkout; passed as flags so an installed
# app (started from any folder) behaves the same.
STREAMLIT_FLAGS = (
    ("server.headless", "true"), ("browser.gatherUsageStats", "false"), ("server.fileWatcherType", "none"),
    ("server.maxUploadSize", "64"), ("client.toolbarMode", "minimal"), ("runner.fastReruns", "true"),
)


def app_script() -> Path:
    """The server script to hand to ``streamlit run`` (checkout or installed layout)."""
    spec = importlib.util.find_spec("app_pages")
    if spec is None or spec.origin is None:
        raise MissingDependencyError(
            "The app's pages (app_pages) are not installed with this promptlab. Reinstall it with: "
            "pip install 'promptlab[app]' (or pip install -e '.[app]' in a checkout)."
        )
    root = Path(spec.origin).resolve().parents[1]
    for name in SERVER_SCRIPTS:
        if (root / name).is_file():
            return root / name
    raise MissingDependencyError(
        f"No app entry script ({' or '.join(SERVER_SCRIPTS)}) found in {root}. Reinstall promptlab: "
        "pip install --force-reinstall 'promptlab[app]'."
    )


def app_command(host: str, port: int, extra: list[str] | None = None) -> list[str]:
    flags = [f"--{name}={value}" for name, value in STREAMLIT_FLAGS]
    return [sys.executable, "-m", "streamlit", "run", str(app_script()), *flags,
            f"--server.address={host}", f"--server.port={port}", *(extra or [])]


def _app(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InvalidInputError(f"--port {args.port} is not a TCP port; use a number from 1 to 65535 (e.g. 8501).")
    if importlib.util.find_spec("streamlit") is None:
        from promptlab.doctor import checkout_root, install_command

        raise MissingDependencyError(
            "The app needs Streamlit, which is not installed. Install it with: "
            + install_command("app", checkout=checkout_root())
        )
    extra = list(args.streamlit_args or [])
    command = app_command(args.host, args.port, extra[1:] if extra[:1] == ["--"] else extra)
    if args.print_command:
        print(subprocess.list2cmdline(command) if sys.platform == "win32" else " ".join(command))
        return 0
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    print(f"promptlab: opening http://{shown}:{args.port}  (Ctrl+C stops it)", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130


def _doctor(args: argparse.Namespace) -> int:
    from promptlab.doctor import diagnose, format_report

    report = diagnose(import_torch=not args.no_torch)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    app = subparsers.add_parser(
        "app", help="start the web app (Streamlit) in this environment",
        description="Start the promptlab web app. Extra arguments after -- go to `streamlit run`.",
    )
    app.add_argument("--port", type=int, default=8501, help="TCP port (default 8501)")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1; 0.0.0.0 to reach it from other machines)")
    app.add_argument("--print-command", action="store_true", help="print the streamlit command instead of running it")
    app.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="-- then options for streamlit run")
    app.set_defaults(func=_app)

    doctor = subparsers.add_parser(
        "doctor", help="what is installed, what is missing, and the command that fixes each gap",
        description="Installed versions, missing extras, the device, models found per folder, and the exact "
                    "command (for this OS) that fixes each gap.",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--no-torch", action="store_true", help="do not import torch to probe CUDA/MPS (faster)")
    doctor.set_defaults(func=_doctor)
