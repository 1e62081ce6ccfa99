"""In the Chinese UI every message is Chinese: each page and its main states are rendered with AppTest in
中文, all rendered text is collected, and no English-only catalogue string may appear in it."""

from __future__ import annotations

import re

import pytest
from app_helpers import texts

from app_pages.common import PAGES
from promptlab.i18n import catalog

PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _english_only_fragments() -> dict[str, str]:
    """Literal pieces (>= 12 chars, with a word) of each English catalogue text whose Chinese differs."""
    fragments: dict[str, str] = {}
    for key, texts_ in catalog().items():
        en, zh = texts_.get("en", ""), texts_.get("zh", "")
        if not en or en == zh:
            continue
        for piece in PLACEHOLDER.split(en):
            piece = piece.strip(" .:,;()—-·*`'\"")
            if len(piece) >= 12 and re.search(r"[A-Za-z]{3}", piece) and piece not in zh:
                fragments.setdefault(piece, key)
    return fragments


def _widget_texts(at) -> list[str]:
    parts = texts(at).split("\n")
    for kind in ("selectbox", "multiselect", "radio"):
        for widget in getattr(at, kind):
            parts += [str(o) for o in widget.options]
            parts.append(str(widget.help or ""))
    for kind in ("button", "text_input", "text_area", "checkbox", "number_input", "toggle"):
        parts += [str(getattr(w, "help", "") or "") for w in getattr(at, kind)]
    parts += [str(tab.label) for tab in at.tabs]
    return parts


def _english_details(at) -> set[str]:
    """Lines of the "Details (English)" expanders: the exception's own English, shown on purpose below the
    translated sentence (show_error, the Read page's unreadable uploads)."""
    from promptlab.i18n import LANGUAGES, t

    labels = {t("app.error.details", lang) for lang in LANGUAGES}
    return {line for exp in at.expander if exp.label in labels for c in exp.code for line in str(c.value).split("\n")}


# An English sentence: five or more words in a row (prompts, tag names and A1111 keys are not in these states'
# messages: the states below use prompts of single tags).
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:['’]?[A-Za-z]+)?(?: [A-Za-z]+(?:['’][A-Za-z]+)?){4,}\b")
VERBATIM = ("Stable Diffusion", "Hugging Face")   # product names users know in English


def _verbatim(text: str) -> bool:
    """An A1111 parameter line (infotext), shown as A1111 writes it: its keys stay English by design."""
    return "Steps: " in text and "Sampler: " in text


def leaks(at) -> list[str]:
    details = _english_details(at)
    rendered = [text for text in _widget_texts(at) if text not in details and not _verbatim(text)]
    fragments = _english_only_fragments()
    found = []
    for text in rendered:
        for piece, key in fragments.items():
            if piece in text:
                found.append(f"{key}: {piece!r} in {text[:120]!r}")
    return found


def english_sentences(at) -> list[str]:
    """English left over in the Chinese UI that is no catalogue text: library notes, reader details, exceptions."""
    details = _english_details(at)
    found = []
    for text in _widget_texts(at):
        if text in details or _verbatim(text):
            continue
        for name in VERBATIM:
            text = text.replace(name, "")
        found += [m.group(0) for m in ENGLISH_SENTENCE.finditer(text)]
    return found


def _page(slug: str) -> str:
    return next(path for s, path, _k, _i in PAGES if s == slug)


# (id, page file, session state) — every page plus the states a new user meets first
STATES = [
    ("frame", "app.py", {}),
    *[(slug, path, {}) for slug, path, _k, _i in PAGES],
    ("generate-no-backend", _page("generate"), {"generate.backends.local": False}),
    ("compare-axis", _page("compare"), {"compare.X.type": "steps", "compare.X.values": "10, 20"}),
]


def _convert_nai_prompt(at) -> None:
    """Convert with a NovelAI prompt whose conversion writes notes (an unbalanced brace, ComfyUI's weights)."""
    at.selectbox(key="build.convert.src").set_value("nai3")
    at.selectbox(key="build.convert.dst").set_value("comfy")
    at.run()
    at.button(key="build.convert.go").click().run()


def _upload_text_file(at) -> None:
    at.file_uploader(key="read.files").set_value(("notes.txt", b"hello, not an image", "text/plain"))
    at.run()


def _upload_damaged_png(at) -> None:
    """A PNG whose metadata reads with a warning (a tEXt chunk without its keyword separator)."""
    import io
    import struct
    import zlib

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "1girl\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG", pnginfo=info)
    data, chunk = buf.getvalue(), b"tEXtnokeyword"
    damaged = data[:-12] + struct.pack(">I", 9) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[-12:]
    at.file_uploader(key="read.files").set_value(("damaged.png", damaged, "image/png"))
    at.run()


def _tiny_tagger():
    """A local tagger in the test's models folder; every tag at p = 0.5 (above WD's 0.35), one of them unknown
    to the tag database."""
    import os
    from pathlib import Path

    import numpy as np

    from promptlab.interrogate.testing import make_wd_tagger

    models = Path(os.environ["PROMPTLAB_MODELS"])
    rows = [("general", 9), ("sensitive", 9), ("questionable", 9), ("explicit", 9), ("long_hair", 0),
            ("zzz_no_such_tag", 0)]
    make_wd_tagger(models / "taggers" / "tiny", rows, np.zeros((3, len(rows))), size=16)
    return models


def _tag_an_upload(at) -> None:
    """Tag an uploaded image with a local tagger: the result, and the tag database's check of its tags."""
    import io

    from PIL import Image

    _tiny_tagger()
    png = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(png, format="PNG")
    at.file_uploader(key="read.files").set_value(("red.png", png.getvalue(), "image/png"))
    at.run()
    at.selectbox(key="interrogate.img.tagger").set_value("tiny").run()
    at.button(key="interrogate.run").click().run()


def _caption_folder_with_a_broken_image(at) -> None:
    """A local tagger captions a folder where one file is no image: the report and the failure list."""
    from PIL import Image

    models = _tiny_tagger()
    folder = models.parent / "train"
    folder.mkdir()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(folder / "red.png")
    (folder / "broken.png").write_bytes(b"not a png at all")
    at.run()
    at.selectbox(key="interrogate.dir.tagger").set_value("tiny")
    at.text_input(key="interrogate.folder").input(str(folder)).run()
    at.button(key="interrogate.caption").click().run()


def _download_tagger(at) -> None:
    at.button(key="interrogate.img.download").click().run()


def _clip_offline(at) -> None:
    """CLIP interrogation with no weights downloaded (HF_HUB_OFFLINE is set in tests)."""
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(png, format="PNG")
    at.file_uploader(key="read.files").set_value(("red.png", png.getvalue(), "image/png"))
    at.run()
    at.radio(key="interrogate.engine").set_value("clip").run()
    at.button(key="interrogate.run").click().run()


# (id, page file, session state, what the user does) — the states whose text comes from library code
ACTIONS = [
    ("build-convert-notes", _page("build"), {"build.prompt": "{{masterpiece}}, 1girl, [blurry]}, <lora:x:1>"},
     _convert_nai_prompt),
    ("build-syntax-warnings", _page("build"), {"build.prompt": "(1girl:abc), smile)"}, None),
    ("read-not-an-image", _page("read"), {}, _upload_text_file),
    ("read-damaged-metadata", _page("read"), {}, _upload_damaged_png),
    ("read-tagger-download-offline", _page("read"), {}, _download_tagger),
    ("read-clip-offline", _page("read"), {}, _clip_offline),
    ("read-tag-an-upload", _page("read"), {}, _tag_an_upload),
    ("read-caption-folder-report", _page("read"), {}, _caption_folder_with_a_broken_image),
]


@pytest.mark.parametrize(("page", "state"), [(p, s) for _i, p, s in STATES], ids=[i for i, _p, _s in STATES])
def test_page_in_chinese_shows_no_english_catalogue_text(app_test, page, state):
    at = app_test(page, lang="zh", **{k.replace(".", "__"): v for k, v in state.items()})
    at.run()
    assert not at.exception, at.exception
    assert leaks(at) == []
    assert english_sentences(at) == []


def _run_action(app_test, page, state, action, lang):
    from promptlab.i18n import t

    if page == _page("build"):
        state = {**state, "build.tab": t("build.tab.convert", lang)}
    at = app_test(page, lang=lang, **{k.replace(".", "__"): v for k, v in state.items()})
    at.run()
    if action is not None:
        action(at)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("page", "state", "action"), [(p, s, a) for _i, p, s, a in ACTIONS],
                         ids=[i for i, *_ in ACTIONS])
def test_library_notes_and_errors_in_chinese_are_chinese(app_test, page, state, action):
    at = _run_action(app_test, page, state, action, "zh")
    assert leaks(at) == []
    assert english_sentences(at) == []


@pytest.mark.parametrize(("page", "state", "action"), [(p, s, a) for _i, p, s, a in ACTIONS],
                         ids=[i for i, *_ in ACTIONS])
def test_the_same_states_in_english_show_the_english_the_checker_looks_for(app_test, page, state, action):
    """The checks above can fail: each state shows library English when the UI is English."""
    at = _run_action(app_test, page, state, action, "en")
    assert leaks(at) or english_sentences(at)


def test_the_checker_finds_an_english_leak(app_test):
    """The test above can fail: the same page in English is full of catalogue text."""
    at = app_test(_page("generate"), lang="en").run()
    assert leaks(at)


def test_no_page_asks_the_catalogue_for_english_by_name():
    """A `t(key, "en")` in a page would show English in the Chinese UI whatever the switch says."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "app_pages"
    pattern = re.compile(r"""\bt\([^()]*,\s*["']en["']""")
    offenders = [f"{path.relative_to(root)}:{n}" for path in sorted(root.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_an_error_in_chinese_is_a_chinese_sentence_with_the_english_detail_below(app_test, _isolated_home):
    (_isolated_home / "library.sqlite").write_bytes(b"not a database" * 500)
    at = app_test("app_pages/library.py", lang="zh").run()
    assert not at.exception
    assert "收藏库文件已损坏" in at.error[0].value
    assert any("LibraryCorruptError" in c.value for c in at.code)   # the English detail, in the expander
    assert leaks(at) == []
