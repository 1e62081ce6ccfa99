import pytest
from hypothesis import given, strategies as st

from tagdb.normalize import canonical_name, has_cjk, pinyin, pinyin_keys, search_key


@pytest.mark.parametrize("text, expected", [
    ("long_hair", "long_hair"),
    ("Long Hair", "long_hair"),
    ("  long   hair ", "long_hair"),
    (r"hatsune_miku_\(append\)", "hatsune_miku_(append)"),
    ("Ｌｏｎｇ　Ｈａｉｒ", "long_hair"),  # full-width input from a Chinese IME
    (":d", ":d"),
    ("^_^", "^_^"),
    ("_", "_"),
], ids=["canonical", "spaces-case", "extra-spaces", "escaped-parens", "full-width", "emoticon", "caret-emoticon",
        "underscore-only"])
def test_canonical_name(text, expected):
    assert canonical_name(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("long_hair", "long hair"),
    (r"mouse_\(animal\)", "mouse (animal)"),
    ("Blonde__Hair", "blonde hair"),
    ("猫耳", "猫耳"),
], ids=["underscores", "escapes", "double-underscore", "chinese"])
def test_search_key(text, expected):
    assert search_key(text) == expected


@pytest.mark.parametrize("text, syllables, keys", [
    ("长发", "chang fa", ("changfa", "cf")),
    ("黑色长发(女)", "hei se chang fa nv", ("heisechangfanv", "hscfn")),
    ("绿色眼睛", "lv se yan jing", ("lvseyanjing", "lsyj")),
    ("cat", "", ("", "")),
], ids=["heteronym-chang", "mixed-punctuation", "lv-as-v", "no-han"])
def test_pinyin(text, syllables, keys):
    assert pinyin(text) == syllables
    assert pinyin_keys(syllables) == keys


def test_has_cjk():
    assert has_cjk("猫耳") and has_cjk("ねこ") and not has_cjk("cat_ears")


@given(st.text(max_size=30))
def test_normalisation_is_idempotent(text):
    assert search_key(search_key(text)) == search_key(text)
    assert canonical_name(canonical_name(text)) == canonical_name(text)
