"""`import promptlab` and `import tagdb` stay light: no torch, no streamlit, no heavy ML stacks."""

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "diffusers", "transformers", "onnxruntime", "streamlit", "open_clip", "clip_interrogator", "pandas")

LIGHT_MODULES = [
    "promptlab",
    "tagdb",
    "promptlab.cli",
    "promptlab.params",
    "promptlab.backend",
    "promptlab.serve",
    "promptlab.syntax",
    "promptlab.tokens",
    "promptlab.metadata",
    "promptlab.wildcards",
    "promptlab.grid",
    "promptlab.library",
    "promptlab.interrogate",
]


@pytest.mark.parametrize("module", LIGHT_MODULES, ids=LIGHT_MODULES)
def test_import_loads_no_heavy_module(module):
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if out.returncode != 0 and "ModuleNotFoundError" in out.stderr and module not in ("promptlab", "tagdb"):
        pytest.skip(f"{module} not written yet")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_cli_help_is_light():
    code = (
        "import sys, json\n"
        "from promptlab.cli import build_parser\n"
        "build_parser()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
