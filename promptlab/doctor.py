"""What is installed, what is missing, and the exact command that fixes each gap, for this OS.

Used by ``promptlab doctor`` and by the app's sidebar (the same commands in both places). Nothing heavy
is imported here: versions come from package metadata, and torch is imported only by ``probe_device``
when it is installed (and only when asked). Commands are written for the user's shell: PowerShell on
Windows (``Copy-Item``, ``New-Item``, ``.venv\\Scripts\\python``), POSIX sh elsewhere.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from promptlab.paths import MODEL_KINDS, models_root, user_home

# The extras a user chooses between, in the order they matter for a first run.
EXTRAS = ("app", "diffusion", "tagger", "interrogate", "serve", "cluster")
# Distributions whose version is worth showing (beyond the extras' own requirements).
KEY_PACKAGES = ("streamlit", "torch", "diffusers", "transformers", "onnxruntime", "onnxruntime-gpu",
                "spandrel", "clip-interrogator", "fastapi", "ray", "huggingface-hub")
MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".onnx")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Fix:
    """One gap and the command that closes it (``shell`` names the shell the command is written for)."""
    problem: str
    command: str
    shell: str


@dataclass(frozen=True)
class Report:
    python: str
    platform: str
    promptlab: str
    packages: dict[str, str | None]              # distribution -> version (None: not installed)
    extras: dict[str, tuple[str, ...]]           # extra -> its missing distributions (empty: complete)
    device: str
    models_root: str
    models: dict[str, int]                       # A1111 folder -> model files found
    home: str
    hf_endpoint: str
    fixes: tuple[Fix, ...] = field(default=())

    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "fixes"}
        data["extras"] = {k: list(v) for k, v in self.extras.items()}
        data["fixes"] = [{"problem": f.problem, "command": f.command, "shell": f.shell} for f in self.fixes]
        return data


# -- OS-specific commands -------------------------------------------------------------------------------
def is_windows(os_name: str | None = None) -> bool:
    return (os_name or os.name) == "nt"


def shell_name(os_name: str | None = None) -> str:
    """The language tag of the commands (for st.code)."""
    return "powershell" if is_windows(os_name) else "bash"


def quote(path: str | Path, os_name: str | None = None) -> str:
    text = str(path)
    if is_windows(os_name):
        return f'"{text}"'
    return text if re.fullmatch(r"[A-Za-z0-9_./~+:-]+", text) else "'" + text.replace("'", "'\"'\"'") + "'"


def checkout_root() -> Path | None:
    """The source checkout promptlab runs from (an editable install), or None for a normal install."""
    root = Path(__file__).resolve().parents[1]
    project = root / "pyproject.toml"
    if project.is_file() and 'name = "promptlab"' in project.read_text(encoding="utf-8", errors="replace"):
        return root
    return None


def install_command(extra: str, os_name: str | None = None, *, python: str | None = None,
                    checkout: Path | None = None) -> str:
    """`pip install` of one extra with this very interpreter (so it lands where promptlab runs)."""
    py = quote(python or sys.executable, os_name)
    if checkout is not None:
        target = quote(f"{checkout}[{extra}]", os_name)
        return f"{'& ' if is_windows(os_name) else ''}{py} -m pip install -e {target}"
    target = f'"promptlab[{extra}]"' if is_windows(os_name) else f"'promptlab[{extra}]'"
    return f"{'& ' if is_windows(os_name) else ''}{py} -m pip install {target}"


def copy_command(files: tuple[str, ...], folder: str | Path, os_name: str | None = None) -> str:
    """Create ``folder`` and copy ``files`` into it."""
    if is_windows(os_name):
        return (f"New-Item -ItemType Directory -Force {quote(folder, os_name)} | Out-Null; "
                f"Copy-Item {', '.join(quote(f, os_name) for f in files)} {quote(folder, os_name)}")
    return f"mkdir -p {quote(folder)} && cp {' '.join(quote(f) for f in files)} {quote(folder)}/"


def fix_checkpoint(root: str | Path, os_name: str | None = None) -> str:
    return copy_command(("my_model.safetensors",), Path(root) / "Stable-diffusion", os_name)


def fix_tagger(root: str | Path, os_name: str | None = None) -> str:
    return copy_command(("model.onnx", "selected_tags.csv"), Path(root) / "taggers" / "wd-v3", os_name)


def set_env_command(name: str, value: str, os_name: str | None = None) -> str:
    return f'$env:{name} = "{value}"' if is_windows(os_name) else f"export {name}={quote(value)}"


# -- what is installed -----------------------------------------------------------------------------------
def version_of(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def extra_requirements(extra: str) -> tuple[str, ...]:
    """Distribution names the ``extra`` asks for (from promptlab's own metadata, so never out of date)."""
    try:
        requires = importlib.metadata.requires("promptlab") or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    names = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        if re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", marker):
            match = _NAME.match(requirement)
            if match and match.group(1) != "promptlab":
                names.append(match.group(1))
    return tuple(names)


def missing_extras() -> dict[str, tuple[str, ...]]:
    result = {}
    for extra in EXTRAS:
        wanted = extra_requirements(extra)
        missing = tuple(name for name in wanted if version_of(name) is None)
        # the two ONNX runtimes are alternatives (never both): either one completes the tagger extra
        if extra == "tagger" and version_of("onnxruntime-gpu") is not None:
            missing = tuple(name for name in missing if name != "onnxruntime")
        result[extra] = missing
    return result


def probe_device(*, import_torch: bool = True) -> str:
    """"cuda (NVIDIA ...)", "mps", "cpu", or why none is known; torch is imported only when installed."""
    if importlib.util.find_spec("torch") is None:
        return "cpu (torch is not installed)"
    if not import_torch:
        return "unknown (torch installed, not probed)"
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def count_models(root: str | Path) -> dict[str, int]:
    """Model files per A1111 folder (taggers: folders holding a model.onnx)."""
    base = Path(root)
    counts = {}
    for kind in MODEL_KINDS:
        n = 0
        folder = base / kind
        if folder.is_dir():
            for _dirpath, _dirs, files in os.walk(folder):
                if kind == "taggers":
                    n += "model.onnx" in files
                elif kind == "wildcards":
                    n += sum(f.endswith((".txt", ".yaml", ".yml", ".json")) for f in files)
                else:
                    n += sum(f.lower().endswith(MODEL_SUFFIXES) for f in files)
        counts[kind] = n
    return counts


def hf_endpoint() -> str:
    """The download host in use (HF_ENDPOINT: a mirror for users who cannot reach huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or "https://huggingface.co"


def diagnose(*, os_name: str | None = None, import_torch: bool = True) -> Report:
    packages = {name: version_of(name) for name in KEY_PACKAGES}
    extras = missing_extras()
    root = models_root()
    models = count_models(root)
    checkout = checkout_root()
    shell = shell_name(os_name)
    fixes = []
    for extra, missing in extras.items():
        if missing:
            fixes.append(Fix(f"extra '{extra}' is incomplete (missing: {', '.join(missing)})",
                             install_command(extra, os_name, checkout=checkout), shell))
    if models["Stable-diffusion"] == 0:
        fixes.append(Fix(f"no checkpoint in {root / 'Stable-diffusion'}", fix_checkpoint(root, os_name), shell))
    if models["taggers"] == 0:
        fixes.append(Fix(f"no tagger model in {root / 'taggers'}", fix_tagger(root, os_name), shell))
    return Report(
        python=sys.version.split()[0], platform=sys.platform, promptlab=version_of("promptlab") or "?",
        packages=packages, extras=extras, device=probe_device(import_torch=import_torch),
        models_root=str(root), models=models, home=str(user_home()), hf_endpoint=hf_endpoint(),
        fixes=tuple(fixes),
    )


def format_report(report: Report) -> str:
    """The human-readable form ``promptlab doctor`` prints (English, one fact a line)."""
    lines = [f"promptlab {report.promptlab} · Python {report.python} · {report.platform}", "", "packages:"]
    lines += [f"  {name:<18} {version or '-'}" for name, version in report.packages.items()]
    lines += ["", "extras:"]
    lines += [f"  {extra:<12} {'ok' if not missing else 'missing ' + ', '.join(missing)}"
              for extra, missing in report.extras.items()]
    lines += ["", f"device:      {report.device}", f"models:      {report.models_root}"]
    lines += [f"  {kind:<18} {count}" for kind, count in report.models.items()]
    lines += [f"user data:   {report.home}", f"downloads:   {report.hf_endpoint} (set HF_ENDPOINT for a mirror)", ""]
    if report.fixes:
        lines.append(f"to fix ({len(report.fixes)}):")
        for fix in report.fixes:
            lines += [f"  - {fix.problem}", f"      {fix.command}"]
    else:
        lines.append("nothing to fix")
    return "\n".join(lines)
