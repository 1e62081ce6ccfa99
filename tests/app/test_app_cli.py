"""`promptlab app` and `promptlab doctor`: the script they start exists in both layouts (checkout and an
installed wheel), the server answers, and the fix commands are written for the user's OS."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from promptlab import doctor
from promptlab.cli import main
from promptlab.cli.app_cmds import app_command, app_script

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from appserver import start_app  # noqa: E402


def test_app_help_works(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["app", "--help"])
    assert exit_info.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_app_script_resolves_to_the_checkouts_server_script():
    script = app_script()
    assert script.is_file() and script == REPO / "app_server.py"


def test_print_command_turns_the_file_watcher_off_and_passes_extra_args(capsys):
    assert main(["app", "--print-command", "--port", "8765", "--", "--theme.base", "dark"]) == 0
    out = capsys.readouterr().out
    assert "-m streamlit run" in out and str(REPO / "app_server.py") in out
    assert "--server.fileWatcherType=none" in out and "--server.port=8765" in out
    assert out.rstrip().endswith("--theme.base dark")


@pytest.mark.parametrize("port", [0, 70000], ids=["zero", "too-big"])
def test_app_refuses_a_bad_port(port, capsys):
    assert main(["app", "--port", str(port)]) == 1
    assert "is not a TCP port" in capsys.readouterr().err


def test_doctor_json_lists_packages_extras_models_and_fixes(capsys, tmp_path, monkeypatch):
    models = tmp_path / "models"
    (models / "Stable-diffusion").mkdir(parents=True)
    (models / "Stable-diffusion" / "a.safetensors").write_bytes(b"x")
    monkeypatch.setenv("PROMPTLAB_MODELS", str(models))
    assert main(["doctor", "--json", "--no-torch"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["packages"]["streamlit"]  # the dev install has the app extra
    assert set(report["extras"]) == set(doctor.EXTRAS)
    assert report["models"]["Stable-diffusion"] == 1 and report["models"]["taggers"] == 0
    problems = [fix["problem"] for fix in report["fixes"]]
    assert not any("checkpoint" in p for p in problems)
    assert any("tagger" in p for p in problems)


def test_doctor_text_names_each_fix_command(capsys):
    assert main(["doctor", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "extras:" in out and "device:" in out and "to fix" in out
    assert "cp my_model.safetensors" in out or "Copy-Item" in out


@pytest.mark.parametrize(
    ("os_name", "expected", "forbidden"),
    [
        ("posix", ["mkdir -p", "cp my_model.safetensors", "/Stable-diffusion/"], ["Copy-Item", "New-Item"]),
        ("nt", ["New-Item -ItemType Directory -Force", "Copy-Item \"my_model.safetensors\""], ["mkdir -p", "cp "]),
    ],
    ids=["posix-sh", "windows-powershell"],
)
def test_fix_commands_are_written_for_the_users_shell(os_name, expected, forbidden):
    command = doctor.fix_checkpoint("/m", os_name)
    for part in expected:
        assert part in command
    for part in forbidden:
        assert part not in command


@pytest.mark.parametrize(
    ("os_name", "checkout", "expected"),
    [
        ("posix", None, "-m pip install 'promptlab[diffusion]'"),
        ("nt", None, '-m pip install "promptlab[diffusion]"'),
        ("posix", Path("/src/promptlab"), "-m pip install -e '/src/promptlab[diffusion]'"),
    ],
    ids=["posix-installed", "windows-installed", "posix-checkout"],
)
def test_install_command(os_name, checkout, expected):
    command = doctor.install_command("diffusion", os_name, python="/py", checkout=checkout)
    assert command.endswith(expected)
    assert command.startswith("& " if os_name == "nt" else "/py")


def test_tagger_extra_is_complete_with_either_onnx_runtime(monkeypatch):
    installed = {"onnxruntime-gpu": "1.0"}
    monkeypatch.setattr(doctor, "version_of", lambda dist: installed.get(dist))
    assert doctor.missing_extras()["tagger"] == ()


def _health(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
        return response.status


def _tag_search(url: str, query: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/tags/search?q={query}&lang=en", timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_promptlab_app_serves_the_app_and_its_search_endpoint(tmp_path):
    home, models = tmp_path / "home", tmp_path / "models"
    home.mkdir()
    models.mkdir()
    command = [sys.executable, "-c", "from promptlab.cli import main; raise SystemExit(main())",
               "app", "--port", "{port}"]
    server = start_app(home, models, command=command, cwd=tmp_path)
    try:
        assert _health(server.url) == 200
        assert "results" in _tag_search(server.url, "hair") or _tag_search(server.url, "hair")
    finally:
        server.close()


@pytest.mark.slow
def test_installed_wheel_ships_the_app_and_promptlab_app_starts_it(tmp_path):
    """Regression: app.py / app_server.py / app_pages/ were outside the installed package, so a
    `pip install "promptlab[all]"` had no app to start."""
    wheels, target, source = tmp_path / "wheels", tmp_path / "site", tmp_path / "source"
    # a copy: setuptools writes build/ into the source folder, which must stay the checkout's own
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "tests", "benchmarks", "docs", "models", "test-artifacts"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(wheels)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("promptlab-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("promptlab_app.py", "promptlab_app_server.py", "app_pages/shell.py", "app_pages/build.py",
                   "app_pages/components/tag_search.js", "app_pages/components/tag_search.css"):
        assert needed in names, needed
    zipfile.ZipFile(wheel).extractall(target)
    env = {"PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "from promptlab.cli.app_cmds import app_script; print(app_script())"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env={**__import__("os").environ, **env})
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == target / "promptlab_app_server.py"
    home, models = tmp_path / "home", tmp_path / "models"
    home.mkdir()
    models.mkdir()
    command = [sys.executable, "-c", "from promptlab.cli import main; raise SystemExit(main())",
               "app", "--port", "{port}"]
    server = start_app(home, models, command=command, cwd=tmp_path, env_extra=env)
    try:
        assert _health(server.url) == 200
        assert _tag_search(server.url, "hair")
    finally:
        server.close()


def test_flags_of_promptlab_app_match_the_checkouts_streamlit_config():
    """`promptlab app` passes .streamlit/config.toml's settings as flags (an installed app has no such file)."""
    import tomllib

    from promptlab.cli.app_cmds import STREAMLIT_FLAGS

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    settings = {f"{section}.{name}": str(value).lower() for section, values in config.items()
                for name, value in values.items()}
    flags = dict(STREAMLIT_FLAGS)
    assert {name: flags.get(name) for name in settings} == settings
