"""Batch captioning: caption files, options, existing-file policies, resume, bad images."""

from __future__ import annotations

import pytest

from promptlab.errors import InvalidInputError
from promptlab.interrogate import CaptionOptions, ExistingPolicy, caption_folder
from promptlab.interrogate.caption import JOURNAL_NAME, parse_replacements

from .conftest import BLUE, RED, solid

RED_CAPTION = r"hatsune miku, saber \(fate\), long hair, smile, ^_^, holding bow \(weapon\)"


@pytest.fixture()
def dataset(tmp_path):
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    solid(RED).save(folder / "a.png")
    solid(BLUE).save(folder / "b.jpg", quality=100)
    solid(RED).save(folder / "sub" / "c.webp", lossless=True)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (folder / "notes.md").write_text("not an image")
    return folder


def test_captions_written_beside_images(dataset, wd_tagger):
    report = caption_folder(dataset, wd_tagger)
    assert (dataset / "a.txt").read_text() == RED_CAPTION + "\n"
    assert (dataset / "b.txt").read_text() == "blue sky, smile\n"
    assert not (dataset / "sub" / "c.txt").exists()
    assert [p.name for p, _ in report.failed] == ["broken.png"]
    assert "broken.png" in report.failed[0][1]
    assert report.total == 3 and len(report.written) == 2
    assert (dataset / JOURNAL_NAME).exists()  # a failure keeps the journal for the next run


def test_recursive(dataset, wd_tagger):
    (dataset / "broken.png").unlink()
    report = caption_folder(dataset, wd_tagger, options=CaptionOptions(recursive=True, batch_size=2))
    assert (dataset / "sub" / "c.txt").read_text() == RED_CAPTION + "\n"
    assert len(report.written) == 3 and not report.failed
    assert not (dataset / JOURNAL_NAME).exists()


def test_prepend_append_replace_ext(dataset, wd_tagger):
    options = CaptionOptions(prepend="mytrigger, ", append="best quality", ext=".caption",
                             replace=parse_replacements(["long hair=very long hair", "smile=", "^_^=happy"]))
    caption_folder(dataset, wd_tagger, options=options)
    assert (dataset / "a.caption").read_text() == (
        "mytrigger, hatsune miku, saber \\(fate\\), very long hair, happy, holding bow \\(weapon\\), best quality\n")
    assert (dataset / "b.caption").read_text() == "mytrigger, blue sky, best quality\n"


def test_prepend_does_not_duplicate_a_tag(dataset, wd_tagger):
    caption_folder(dataset, wd_tagger, options=CaptionOptions(prepend="long hair"))
    assert (dataset / "a.txt").read_text().split(", ").count("long hair") == 1


def test_exclude_and_threshold(dataset, wd_tagger):
    options = wd_tagger.default_options(general_threshold=0.55, exclude=frozenset({"long_hair"}),
                                        include_characters=False)
    caption_folder(dataset, wd_tagger, options)
    assert (dataset / "a.txt").read_text() == "smile\n"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (ExistingPolicy.SKIP, "my own caption, smile\n"),
        (ExistingPolicy.OVERWRITE, "blue sky, smile\n"),
        (ExistingPolicy.APPEND, "my own caption, smile, blue sky\n"),
    ],
    ids=["skip", "overwrite", "append"],
)
def test_existing_policies(dataset, wd_tagger, policy, expected):
    (dataset / "b.txt").write_text("my own caption, smile\n")
    report = caption_folder(dataset, wd_tagger, options=CaptionOptions(existing=policy))
    assert (dataset / "b.txt").read_text() == expected
    assert len(report.skipped_existing) == (1 if policy is ExistingPolicy.SKIP else 0)


def test_interrupted_run_resumes(dataset, wd_tagger):
    (dataset / "broken.png").unlink()
    for i in range(6):
        solid(RED if i % 2 else BLUE).save(dataset / f"x{i}.png")
    calls = []
    options = CaptionOptions(existing=ExistingPolicy.OVERWRITE, batch_size=2, workers=1)
    first = caption_folder(dataset, wd_tagger, options=options, should_stop=lambda: len(calls) >= 3,
                           progress=lambda done, total, path: calls.append(path))
    assert first.cancelled and 0 < len(first.written) < 8
    assert (dataset / JOURNAL_NAME).exists()
    second = caption_folder(dataset, wd_tagger, options=options)
    assert len(second.resumed) == len(first.written)
    assert len(second.written) == 8 - len(first.written)
    assert not (dataset / JOURNAL_NAME).exists()


def test_changed_settings_do_not_resume(dataset, wd_tagger):
    (dataset / "broken.png").unlink()
    options = CaptionOptions(existing=ExistingPolicy.OVERWRITE)
    caption_folder(dataset, wd_tagger, options=options, should_stop=lambda: True)
    report = caption_folder(dataset, wd_tagger, options=CaptionOptions(existing=ExistingPolicy.OVERWRITE,
                                                                       prepend="other"))
    assert not report.resumed and len(report.written) == 2


def test_two_images_sharing_a_caption_name(dataset, wd_tagger):
    solid(BLUE).save(dataset / "a.jpg")
    report = caption_folder(dataset, wd_tagger)
    assert any(p.name == "a.png" and "a.txt" in why for p, why in report.failed)
    assert (dataset / "a.txt").read_text() == "blue sky, smile\n"  # a.jpg sorts first and owns a.txt


@pytest.mark.parametrize(
    "kw",
    [{"ext": "txt"}, {"ext": ".png"}, {"ext": "../x"}, {"batch_size": 0}],
    ids=["no-dot", "image-ext", "path", "batch0"],
)
def test_bad_options(kw):
    with pytest.raises(InvalidInputError):
        CaptionOptions(**kw)


@pytest.mark.parametrize("item", ["noequals", "=x"], ids=["no-equals", "empty-old"])
def test_bad_replacement(item):
    with pytest.raises(InvalidInputError, match="--replace"):
        parse_replacements([item])


def test_not_a_folder(tmp_path, wd_tagger):
    with pytest.raises(InvalidInputError, match="not a folder"):
        caption_folder(tmp_path / "missing", wd_tagger)
