"""``load_json`` declines non-JSON texts (every infotext, asked by several readers) with one
anchored match instead of two stripped copies: the same answer as the plain strip-then-look rule."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from promptlab.metadata.readers._util import load_json


def _load_json_reference(text):
    if not text:
        return None
    text = text.strip().strip("\x00")
    if not text or text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


PIECES = [" ", "\t", "\n", "\r", "\x00", "\x1c", "\u00a0", "\u3000", "{", "}", "[", "]", '"a"', ":", "1", ",", "x",
          "Steps: 20", '{"a": 1}', "[1, 2]"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=10).map("".join))
def test_same_as_strip_then_look(text):
    assert load_json(text) == _load_json_reference(text)


def test_none_and_empty():
    assert load_json(None) is None and load_json("") is None and load_json(" \x00 ") is None
    assert load_json('\x00\x00{"a": 1}\x00') == {"a": 1} and load_json(' \x00 {"a": 1}') is None
