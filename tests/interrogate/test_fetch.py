"""Tagger downloads against a local stand-in hub: files land in models/taggers/<name>/, progress reports sizes,
HF_ENDPOINT is the server asked, a stalled or cut connection fails in time and leaves no partial file, and the
error names the files and the folder in both UI languages."""

from __future__ import annotations

import io
import pickle

import pytest

from promptlab.errors import ModelNotFoundError
from promptlab.i18n import t
from promptlab.interrogate import load_tagger
from promptlab.interrogate.fetch import FileProgress, download_tagger, stderr_progress
from promptlab.interrogate.sources import resolve_tagger
from promptlab.interrogate.testing import make_wd_tagger

from .conftest import RED, WD_TABLE, solid, wd_weights
from .hub_server import Hub, closed_port_url, serve

REPO_ID = "SmilingWolf/wd-vit-tagger-v3"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The files of a tiny WD tagger, as the hub would serve them."""
    return make_wd_tagger(tmp_path_factory.mktemp("upstream") / "wd", [(n, c) for n, c, *_ in WD_TABLE],
                          wd_weights(), size=16)


@pytest.fixture
def hub(upstream, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with serve(Hub({REPO_ID: upstream, "me/other-tagger": upstream})) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url + "/")   # a mirror; the trailing slash is tolerated
        yield server


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("name", ["wd-vit-tagger-v3", REPO_ID], ids=["short-name", "repo-id"])
def test_hub_tagger_lands_in_models_taggers_with_progress(hub, upstream, tmp_path, name):
    seen: list[FileProgress] = []
    tagger = load_tagger(name, device="cpu", threads=1, progress=seen.append)
    folder = tmp_path / "models" / "taggers" / "wd-vit-tagger-v3"
    assert _leftovers(folder) == ["model.onnx", "selected_tags.csv"]
    assert (folder / "model.onnx").read_bytes() == (upstream / "model.onnx").read_bytes()
    assert hub.requests == ["/SmilingWolf/wd-vit-tagger-v3/resolve/main/selected_tags.csv",
                            "/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx"]
    size = (upstream / "model.onnx").stat().st_size
    assert (seen[-1].filename, seen[-1].index, seen[-1].count) == ("model.onnx", 2, 2)
    assert seen[-1].rate.done == seen[-1].rate.total == size and seen[-1].fraction == 1.0
    assert "model.onnx (2/2)" in seen[-1].text()
    assert tagger.name == "wd-vit-tagger-v3" and tagger.tag(solid(RED, size=(16, 16)))[0].prompt
    # the second time it is a local tagger: no request
    assert load_tagger("wd-vit-tagger-v3", device="cpu", threads=1).name == "wd-vit-tagger-v3"
    assert len(hub.requests) == 2


def test_progress_reports_every_chunk_with_the_size(hub, upstream, tmp_path):
    seen: list[FileProgress] = []
    download_tagger(REPO_ID, tmp_path / "t", progress=seen.append, chunk=64)
    for index, name in enumerate(("selected_tags.csv", "model.onnx"), 1):
        size = (upstream / name).stat().st_size
        mine = [p for p in seen if p.filename == name]
        assert len(mine) == -(-size // 64) and all(p.rate.total == size and p.index == index for p in mine)
        assert [p.rate.done for p in mine] == [min(size, 64 * (i + 1)) for i in range(len(mine))]


def test_any_repo_id_uses_its_last_part_as_folder(hub, tmp_path):
    folder, name = resolve_tagger("me/other-tagger")
    assert (folder, name) == (tmp_path / "models" / "taggers" / "other-tagger", "other-tagger")


@pytest.mark.parametrize("how", ["stall", "truncate"], ids=["stalled-connection", "connection-cut"])
def test_broken_download_fails_in_time_and_leaves_no_partial_file(hub, tmp_path, how):
    import time

    getattr(hub, how).add("model.onnx")
    folder = tmp_path / "models" / "taggers" / "wd-vit-tagger-v3"
    started = time.monotonic()
    with pytest.raises(ModelNotFoundError, match="model.onnx") as info:
        download_tagger(REPO_ID, folder, timeout=0.5, chunk=1024)
    assert time.monotonic() - started < 2.5   # the read timeout, not the server's 3 s stall
    assert _leftovers(folder) == ["selected_tags.csv"]   # complete files stay, no model.onnx(.part)
    assert info.value.ui_params["files"] == "model.onnx"
    # the next attempt fetches only what is missing, and the incomplete folder does not block it
    getattr(hub, how).clear()
    hub.requests.clear()
    assert load_tagger("wd-vit-tagger-v3", device="cpu", threads=1).name == "wd-vit-tagger-v3"
    assert hub.requests == ["/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx"]


def test_missing_repo_is_a_clear_error_and_creates_no_folder(hub, tmp_path):
    with pytest.raises(ModelNotFoundError, match="HTTP Error 404") as info:
        resolve_tagger("me/no-such-tagger")
    assert not (tmp_path / "models" / "taggers" / "no-such-tagger").exists()
    assert info.value.ui_params["files"] == "selected_tags.csv, model.onnx"


@pytest.mark.parametrize("env", [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "closed"}], ids=["hf-hub-offline", "refused"])
def test_offline_error_names_files_folder_and_mirror_in_both_languages(monkeypatch, tmp_path, env):
    monkeypatch.setenv("PROMPTLAB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", env.get("HF_HUB_OFFLINE", "0"))
    endpoint = closed_port_url() if "HF_ENDPOINT" in env else "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", endpoint if "HF_ENDPOINT" in env else "")
    with pytest.raises(ModelNotFoundError) as info:
        load_tagger("wd-eva02-large-tagger-v3", device="cpu")
    exc = info.value
    folder = str(tmp_path / "models" / "taggers" / "wd-eva02-large-tagger-v3")
    assert exc.ui_key == "firsthour.tagger.download_failed"
    for lang in ("en", "zh"):
        text = t(exc.ui_key, lang, **exc.ui_params)
        for part in ("model.onnx", "selected_tags.csv", folder, endpoint, "HF_ENDPOINT",
                     f"{endpoint}/SmilingWolf/wd-eva02-large-tagger-v3"):
            assert part in text, (lang, part)
    assert "无法" in t(exc.ui_key, "zh", **exc.ui_params)
    assert folder in str(exc) and "models/taggers/wd-eva02-large-tagger-v3" in str(exc)   # the English detail
    again = pickle.loads(pickle.dumps(exc))   # Ray carries errors between processes
    assert (again.ui_key, again.ui_params) == (exc.ui_key, exc.ui_params)


def test_copy_in_the_huggingface_cache_is_used_without_a_request(hub, upstream, tmp_path, monkeypatch):
    """Taggers fetched by earlier versions sit in huggingface_hub's cache; they must not be fetched again."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    snapshot = cache / "models--SmilingWolf--wd-vit-tagger-v3" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (cache / "models--SmilingWolf--wd-vit-tagger-v3" / "refs").mkdir()
    (cache / "models--SmilingWolf--wd-vit-tagger-v3" / "refs" / "main").write_text("abc123")
    for name in ("model.onnx", "selected_tags.csv"):
        (snapshot / name).write_bytes((upstream / name).read_bytes())
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert resolve_tagger("wd-vit-tagger-v3")[0] == snapshot
    assert hub.requests == []


def test_local_copy_wins_over_hub(hub, tmp_path):
    make_wd_tagger(tmp_path / "models" / "taggers" / "wd-vit-tagger-v3", [(n, c) for n, c, *_ in WD_TABLE],
                   wd_weights(), size=16)
    assert load_tagger(REPO_ID, device="cpu").size == 16
    assert load_tagger("wd-vit-tagger-v3", device="cpu").size == 16
    assert hub.requests == []


def test_cli_prints_a_progress_line_on_stderr(hub, tmp_path, capsys):
    from promptlab.cli import main

    solid(RED, size=(16, 16)).save(tmp_path / "red.png")
    assert main(["interrogate", str(tmp_path / "red.png"), "--tagger", "wd-vit-tagger-v3", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "downloading selected_tags.csv (1/2)" in captured.err
    assert "downloading model.onnx (2/2)" in captured.err and "/s" in captured.err
    assert "downloading" not in captured.out and "hatsune miku" in captured.out


def test_progress_line_on_a_terminal_is_rewritten_in_place():
    from promptlab.backend.download import Rate

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    show = stderr_progress(out, every_s=0.0)
    for done in (512, 1024):
        show(FileProgress("model.onnx", 1, 1, Rate(done, 1024, 1.0)))
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")
    assert "1.0 KiB / 1.0 KiB" in out.getvalue()


def test_download_interrupted_by_the_page_leaves_no_partial_file(hub, tmp_path):
    """A Streamlit rerun (or Ctrl+C) raises inside the progress callback, mid-file."""
    class Rerun(BaseException):
        pass

    def stop(p: FileProgress) -> None:
        if p.filename == "model.onnx":
            raise Rerun

    with pytest.raises(Rerun):
        download_tagger(REPO_ID, tmp_path / "t", progress=stop, chunk=64)
    assert _leftovers(tmp_path / "t") == ["selected_tags.csv"]
