"""Tiny taggers with WD14's and DeepDanbooru's signatures; solid colours select known probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from promptlab.interrogate.testing import logit, make_deepdanbooru_tagger, make_wd_tagger

# (name, category, p for a pure red image, p for a pure blue image)
WD_TABLE = [
    ("general", 9, 0.80, 0.05),
    ("sensitive", 9, 0.15, 0.10),
    ("questionable", 9, 0.04, 0.25),
    ("explicit", 9, 0.01, 0.60),
    ("long_hair", 0, 0.95, 0.05),
    ("smile", 0, 0.60, 0.36),
    ("^_^", 0, 0.50, 0.05),
    ("holding_bow_(weapon)", 0, 0.40, 0.05),
    ("open_mouth", 0, 0.30, 0.05),
    ("blue_sky", 0, 0.10, 0.99),
    ("hatsune_miku", 4, 0.90, 0.10),
    ("kaname_madoka", 4, 0.50, 0.10),
    ("saber_(fate)", 4, 0.86, 0.10),
]
RED = (255, 0, 0)
BLUE = (0, 0, 255)

DDB_TAGS = ["1girl", "long_hair", "smile", "hatsune_miku", "rating:safe", "rating:questionable", "rating:explicit"]
DDB_RED = [0.97, 0.70, 0.50, 0.80, 0.90, 0.08, 0.02]


def wd_weights(table=WD_TABLE) -> np.ndarray:
    red = logit([row[2] for row in table])
    blue = logit([row[3] for row in table])
    # BGR channel means: blue image -> (1, 0, 0), red image -> (0, 0, 1)
    return np.stack([blue, np.zeros_like(red), red])


def ddb_weights() -> np.ndarray:
    red = logit(DDB_RED)
    return np.stack([red, np.zeros_like(red), np.zeros_like(red)])  # RGB: red image -> (1, 0, 0)


def solid(color, size=(64, 64), mode="RGB") -> Image.Image:
    return Image.new(mode, size, color)


@pytest.fixture(scope="session")
def wd_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("taggers") / "tiny-wd"
    return make_wd_tagger(folder, [(n, c) for n, c, *_ in WD_TABLE], wd_weights(), size=64)


@pytest.fixture(scope="session")
def wd_tagger(wd_dir):
    from promptlab.interrogate import load_tagger

    return load_tagger(wd_dir, device="cpu", threads=1)


@pytest.fixture(scope="session")
def ddb_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("taggers") / "tiny-ddb"
    return make_deepdanbooru_tagger(folder, DDB_TAGS, ddb_weights(), size=64, characters=["hatsune_miku"])
