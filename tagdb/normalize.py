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
from collections.abc import Mapping

_SPACES = re.compile(r"[\s_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUNS = re.compile(_HAN.pattern + "+")


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


def stored_pinyin(text: str) -> str:
    """What the translations table keeps for a Chinese label: ``pinyin(text)``, then ``|`` and the
    phrase-aware reading (pypinyin's word dictionary) when that differs: "jiao se ban yan|jue se ban yan"
    for 角色扮演. Neither reading is always right (the phrase one reads 马尾 as "ma yi"), and IME users
    type the word's reading, so the index searches both; character by character stays the first."""
    first = pinyin(text)
    if not first:
        return ""
    from pypinyin import Style, lazy_pinyin  # the word dictionary: only at import, never in the index

    words = [w for w in lazy_pinyin(" ".join(_HAN_RUNS.findall(text)), style=Style.NORMAL, errors="ignore")
             if w.isascii() and w.isalpha()]
    phrase = " ".join(words)
    return f"{first}|{phrase}" if phrase and phrase != first and len(words) == len(first.split()) else first


def split_stored_pinyin(value: str) -> tuple[str, str]:
    """(character-by-character syllables, phrase-aware alternative or "") of a stored pinyin value."""
    first, _, alt = value.partition("|")
    return first, alt



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


_LATIN_RUN = re.compile(r"[a-z0-9]+")
_LATIN_ANY = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # before folding: Ｍ is M
_TOKENS = re.compile(r"[a-z0-9]+|.", re.DOTALL)


def typed_pinyin(text: str, readings: Mapping[str, str] | None = None) -> str:
    """How a label that mixes Han characters with Latin letters or digits is typed in a pinyin search:
    the syllables of its Han characters with its letters and digits kept where they stand, space
    separated ("瓶Miku" -> "ping miku", "M字开腿" -> "m zi kai tui", "1个女孩" -> "1 ge nv hai"). ``pinyin()``
    drops the letters, so "瓶Miku" read "ping", which nobody types for it. "" when ``text`` has no Han
    character or no Latin letter or digit (then ``pinyin()`` already spells all of it).

    ``readings`` (character -> syllable) replaces pypinyin's table, whose loading costs ~60 MB: the
    search index passes the readings its own labels were imported with. Characters it lacks are dropped,
    as ``pinyin()`` drops characters without a reading.
    """
    if not _LATIN_ANY.search(text):  # most labels: checked before the costlier folding
        return ""
    folded = _fold(text)  # full-width letters and digits (Ｍ, １) are typed as ASCII ones
    if not has_han(folded) or not _LATIN_RUN.search(folded):
        return ""
    table = _char_pinyin() if readings is None else readings
    words: list[str] = []
    for token in _TOKENS.findall(folded):
        if token in table:
            words.append(table[token])
        elif token[0].isascii() and token[0].isalnum():
            words.append(token)
    return " ".join(words)


def has_latin(text: str) -> bool:
    """Whether ``text`` has a Latin letter or digit, full-width ones included."""
    return _LATIN_ANY.search(text) is not None


def han_chars(text: str) -> list[str]:
    return _HAN.findall(text)


def han_readings(text: str, syllables: str) -> list[tuple[str, str]]:
    """(Han character, syllable) pairs of a label and its ``pinyin()`` output, [] when they do not pair
    up (a reading stored by another tool): one syllable per Han character, in order."""
    chars, parts = _HAN.findall(_fold(text)), syllables.split()
    return list(zip(chars, parts)) if len(chars) == len(parts) else []


def pinyin_query(key: str, readings: Mapping[str, str] | None = None) -> str:
    """What a search key is compared with pinyin keys as: without spaces ("chang fa" -> "changfa": some
    type a space between syllables), and a key mixing Han characters with letters as its typed pinyin
    ("初音wei" -> "chuyinwei": the start of a label, then its pinyin). "" for a key in CJK alone."""
    if has_cjk(key):
        return "".join(typed_pinyin(key, readings).split())
    return key.replace(" ", "")


def pinyin_keys(syllables: str) -> tuple[str, str]:
    """(full, initials) search keys from ``pinyin()`` output: "chang fa" -> ("changfa", "cf")."""
    parts = syllables.split()
    return "".join(parts), "".join(p[0] for p in parts)
