"""Name normalisation: one place decides how user text, CSV keys and search keys compare.

- ``canonical_name``: the Danbooru spelling (lower case, underscores, no prompt escapes):
  ``"Hatsune Miku \\(Append\\)"`` -> ``"hatsune_miku_(append)"``.
- ``search_key``: what the index compares: lower case, underscores as spaces, one space between
  words, backslash escapes removed (``"long_hair"`` and ``"Long  Hair"`` -> ``"long hair"``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"[\s_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _fold(text: str) -> str:
    # NFKC turns full-width letters and brackets (common in Chinese input) into ASCII ones.
    return unicodedata.normalize("NFKC", text).replace("\\", "").strip().lower()


def canonical_name(text: str) -> str:
    """The Danbooru form of a tag as typed in a prompt or a CSV key."""
    return _SPACES.sub("_", _fold(text)).strip("_") or _fold(text)


def search_key(text: str) -> str:
    """The comparison form used by the search index (also applied to queries)."""
    key = _SPACES.sub(" ", _fold(text)).strip()
    return key or _fold(text)  # "_" alone stays "_"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def pinyin(text: str) -> str:
    """Tone-less pinyin syllables of the Han characters in ``text``, space separated ("" if none).

    Non-Han characters are dropped and ü is written ``v`` as IMEs do: "黑色长发(女)" -> "hei se chang fa nv".
    Characters are read one by one with their most common reading (pypinyin's character table):
    phrase-level heteronym resolution costs ~130 us a string, 30x this, and toneless heteronyms in
    tag labels are rare.
    """
    if not has_han(text):
        return ""
    table = _char_pinyin()
    return " ".join(table[c] for c in text if c in table)


# Heteronyms whose first table reading is not the one tag labels use (长发 is chang fa, not zhang fa).
_READING_OVERRIDES = {"长": "chang", "发": "fa", "重": "zhong", "乐": "le", "行": "xing", "着": "zhe",
                      "了": "le", "得": "de", "地": "di", "藏": "cang", "卷": "juan", "弹": "dan",
                      "背": "bei", "露": "lu", "扎": "zha", "系": "xi", "少": "shao", "调": "tiao"}


_TONELESS = str.maketrans({**{c: "a" for c in "āáǎà"}, **{c: "e" for c in "ēéěèếềḿ"}, **{c: "i" for c in "īíǐì"},
                           **{c: "o" for c in "ōóǒò"}, **{c: "u" for c in "ūúǔù"}, **{c: "v" for c in "üǖǘǚǜ"},
                           **{c: "n" for c in "ńňǹ"}, "ḿ": "m"})


@functools.lru_cache(maxsize=1)
def _char_pinyin() -> dict[str, str]:
    from pypinyin.pinyin_dict import pinyin_dict  # immutable table; loaded once, on first use

    table = {}
    for code, readings in pinyin_dict.items():
        plain = readings.split(",", 1)[0].translate(_TONELESS)
        if plain.isascii() and plain.isalpha():
            table[chr(code)] = plain
    table.update(_READING_OVERRIDES)
    return table


def pinyin_keys(syllables: str) -> tuple[str, str]:
    """(full, initials) search keys from ``pinyin()`` output: "chang fa" -> ("changfa", "cf")."""
    parts = syllables.split()
    return "".join(parts), "".join(p[0] for p in parts)
