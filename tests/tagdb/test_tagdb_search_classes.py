"""What people type, per query class (prefix, inner word, typo, alias, Chinese, pinyin), on a small
database with Danbooru's real 2025 counts for the tags that compete for each query."""

from __future__ import annotations

import math

import pytest

import tagdb
from tagdb import IssueKind, Via
from tagdb.index import POP_WEIGHT

TAGS = """\
1girl,0,6421189,"1girls,sole_female"
long_hair,0,4677240,longhair
bare_shoulders,0,1042392,"bare_shoulder,bareshoulders"
off_shoulder,0,259237,"off-shoulder,off_shoulders"
shoulder_armor,0,72511,shoulder_armour
shoulder_bag,0,34219,
shoulder_cutout,0,23142,
shoulder_tattoo,0,17992,
shoulder_blades,0,14650,
hatsune_miku,4,113003,/hm
megurine_luka,4,12175,
happy_birthday,0,45787,
birthday,0,11761,
birthday_cake,0,4470,
birthday_sash,0,450,
birthday_party,0,365,
nakano_miku,4,3637,
aisaka_taiga,4,3256,
miku_day,0,1586,mikupa
hatsune_miku_(append),4,1575,miku_append
mikuma_(kancolle),4,1291,
mikumo_guynemer,4,785,
mikumikudance_(medium),5,767,
luka_(alien_stage),4,696,
luka_(mon-musu_quest!),4,591,
lukas_(fire_emblem),4,300,
taiga_hiroyuki,1,244,"hiroyuki_taiga,hyu-tai"
taiga_takeru,4,218,
taigei_(kancolle),4,900,
hat,0,600000,
sun_hat,0,60000,
genshin_impact,3,700000,
arknights,3,300000,
touhou,3,900000,
rem_(re:zero),4,9284,
emoji,0,4000,
:d,0,591041,
"""
ZH = """\
hatsune_miku,初音未来
megurine_luka,巡音流歌
genshin_impact,原神
arknights,明日方舟
touhou,东方Project|东方
rem_(re:zero),蕾姆
long_hair,长发
bare_shoulders,露肩
off_shoulder,露肩装
hat,帽子
sun_hat,遮阳帽
emoji,表情符号
:d,表情符号大笑
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes")
    (folder / "tags.csv").write_text(TAGS, encoding="utf-8")
    (folder / "zh.csv").write_text(ZH, encoding="utf-8")
    path = folder / "tags.sqlite"
    tagdb.import_file(folder / "tags.csv", "autocomplete", db=path)
    tagdb.import_file(folder / "zh.csv", "translations", db=path)
    return tagdb.open_db(path, readonly=True)


def top5(db, query: str) -> list[str]:
    return [h.tag.name for h in db.search(query, limit=5)]


@pytest.mark.parametrize("query, wanted", [
    # inner words: a later word of a popular tag beats the prefix of a rare one (the reported misses)
    ("luka", "megurine_luka"), ("taiga", "aisaka_taiga"), ("shoulder", "off_shoulder"),
    ("birthday", "happy_birthday"), ("miku", "hatsune_miku"), ("miku", "nakano_miku"),
    # prefixes
    ("hatsune", "hatsune_miku"), ("shoulder_b", "shoulder_bag"), ("birthday_c", "birthday_cake"), ("mikum", "mikuma_(kancolle)"),
    # one-letter typos
    ("megurine lukq", "megurine_luka"), ("aisaka taig", "aisaka_taiga"), ("hapy birthday", "happy_birthday"),
    ("off shuolder", "off_shoulder"),
    # aliases
    ("/hm", "hatsune_miku"), ("miku_append", "hatsune_miku_(append)"), ("off-shoulder", "off_shoulder"),
    # Chinese names, pinyin
    ("初音未来", "hatsune_miku"), ("原神", "genshin_impact"), ("明日方舟", "arknights"), ("东方", "touhou"), ("蕾姆", "rem_(re:zero)"),
    ("chuyinweilai", "hatsune_miku"), ("yuanshen", "genshin_impact"), ("mingrifangzhou", "arknights"), ("leimu", "rem_(re:zero)"),
], ids=lambda v: v)
def test_wanted_tag_in_top5(db, query, wanted):
    assert wanted in top5(db, query)


@pytest.mark.parametrize("query, first", [
    ("luka", "megurine_luka"), ("taiga", "aisaka_taiga"), ("miku", "hatsune_miku"),
    ("birthday", "birthday"),  # an exact name stays first whatever its count
    ("hat", "hat"), ("初音未来", "hatsune_miku"), ("chuyinweilai", "hatsune_miku"),
    ("biaoqingfuhao", "emoji"),  # a label's whole pinyin is exact, before longer labels of popular tags
], ids=lambda v: v)
def test_first_hit(db, query, first):
    assert top5(db, query)[0] == first


def test_ranking_is_band_then_score_plus_popularity(db):
    hits = db.search("shoulder", limit=12)
    rel = [h.score + POP_WEIGHT * math.log10((h.tag.post_count or 0) + 1) for h in hits]
    assert all(h.score < 98 for h in hits)  # no exact match for "shoulder": one band
    assert rel == sorted(rel, reverse=True)
    assert [h.tag.name for h in hits[:3]] == ["off_shoulder", "bare_shoulders", "shoulder_armor"]
    assert [h.score for h in hits[:3]] == [95, 85, 95]  # a whole later word ranks as a prefix; "shoulders" less


def test_fuzzy_hits_stay_below_direct_ones(db):
    hits = db.search("luka", limit=10)
    direct = [h for h in hits if h.score >= 85]
    assert [h.tag.name for h in direct] == ["megurine_luka", "luka_(alien_stage)", "luka_(mon-musu_quest!)",
                                            "lukas_(fire_emblem)"]
    assert hits[: len(direct)] == direct


@pytest.mark.parametrize("text, suggestion", [
    ("hatsune mkiu", "hatsune_miku"), ("miku hatsune", "hatsune_miku"), ("hatsunemiku", "hatsune_miku"),
    ("megurine  luk", "megurine_luka"),
], ids=["typo", "word-order", "no-space", "cut-short"])
def test_did_you_mean_offers_the_tag_the_words_make(db, text, suggestion):
    issue, = db.validate([text])
    assert issue.kind is IssueKind.UNKNOWN and issue.suggestions[0] == suggestion
    assert "hat" not in issue.suggestions and "sun_hat" not in issue.suggestions


def test_regression_hatsune_miku_suggested_hat_and_sun_hat(tmp_path, write):
    """A starter database without the character offered hat / sun_hat for "hatsune miku"."""
    path = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", "hat,0,600000,\nsun_hat,0,60000,\nhatsune_miku,4,113003,\n"), "autocomplete", db=path)
    issue, = tagdb.open_db(path).validate(["hatsune miku (append)"])
    assert issue.suggestions[0] == "hatsune_miku"
    assert "hatsune miku" not in [i.tag for i in tagdb.open_db(path).validate(["hatsune miku"])]


# One-syllable pinyin (the bench's remaining pinyin misses): "cha" is 茶 tea, but also the start of
# popular English names and of the pinyin of 长发 / 超高分辨率; "long" is 龙 dragon but means long_hair.
PINYIN_TAGS = """\
long_hair,0,4677240,longhair
absurdres,5,1991465,
character_name,0,220853,
chain,0,111032,chains
chair,0,97793,chairs
dragon,0,29059,
tea,0,13136,
charm_(object),0,12744,keychain
chalkboard,0,10764,blackboard
chaldea_uniform,0,7180,
tea_(nakenashi),1,467,
wyrm,0,300,
lying,0,476751,
bottle,0,76935,
bottle_miku,4,684,
"""
PINYIN_ZH = """\
long_hair,长发
absurdres,超高分辨率
tea,茶
tea_(nakenashi),茶
dragon,龙
wyrm,龙
lying,平躺
bottle,瓶子
bottle_miku,瓶Miku
"""


def _tags_with_chinese(tmp_path_factory, name: str, tags: str, zh: str):
    """A database from an autocomplete CSV and a translations CSV."""
    folder = tmp_path_factory.mktemp(name)
    (folder / "tags.csv").write_text(tags, encoding="utf-8")
    (folder / "zh.csv").write_text(zh, encoding="utf-8")
    path = folder / "tags.sqlite"
    tagdb.import_file(folder / "tags.csv", "autocomplete", db=path)
    tagdb.import_file(folder / "zh.csv", "translations", db=path)
    return path


@pytest.fixture(scope="module")
def pinyin_db(tmp_path_factory):
    return _tags_with_chinese(tmp_path_factory, "pinyin", PINYIN_TAGS, PINYIN_ZH)


def test_regression_one_syllable_pinyin_of_a_label_missed_the_first_five(pinyin_db):
    """"cha" gave character_name, long_hair, chain, chair, absurdres: tea (茶) came sixth. The most-used
    tag with that exact pinyin now gets the reserved fifth place; the English readings keep the first
    four (the first suggestion is what Enter adds)."""
    db = tagdb.open_db(pinyin_db, readonly=True)
    hits = db.search("cha", limit=5)
    assert [h.tag.name for h in hits] == ["character_name", "long_hair", "chain", "chair", "tea"]
    assert hits[4].via is Via.PINYIN and hits[4].score == 90
    # only the most-used tag with that exact pinyin is reserved a place; the rarer one ranks by score + posts
    assert "tea_(nakenashi)" not in [h.tag.name for h in hits]


def test_regression_one_syllable_pinyin_put_dragon_before_long_hair(pinyin_db):
    """The first fix ranked 龙's tag first for "long", so Enter after "long" added dragon, not long_hair."""
    names = top5(tagdb.open_db(pinyin_db, readonly=True), "long")
    assert names[0] == "long_hair" and "dragon" in names


@pytest.mark.parametrize("query, first_two", [
    ("changfa", ["long_hair"]),  # whole pinyin of two syllables: exact band (unchanged)
    ("ping", ["lying", "bottle"]),  # 瓶Miku reads "ping" but is not 瓶 typed whole: no reserved place
], ids=lambda v: v if isinstance(v, str) else None)
def test_short_pinyin_front_is_one_tag(pinyin_db, query, first_two):
    names = top5(tagdb.open_db(pinyin_db, readonly=True), query)
    assert names[: len(first_two)] == first_two


@pytest.mark.parametrize("filters", [
    {}, {"categories": frozenset({1})}, {"langs": frozenset({"zh"})}, {"langs": frozenset({"en"})},
    {"score_cutoff": 91.0},
], ids=["none", "artist", "zh", "en", "cutoff"])
def test_short_pinyin_front_matches_reference(pinyin_db, filters):
    from tagdb_testutil import assert_same_as_reference

    assert_same_as_reference(pinyin_db, ("cha", "long", "ch", "c", "changfa", "lo", "ping"), filters=filters)


# Labels that mix Han characters with letters (13 % of BooruTagCart's): 瓶Miku is typed "pingmiku".
MIXED_TAGS = """\
long_hair,0,4677240,longhair
bottle,0,76935,
bottle_miku,4,684,
spread_legs,0,200000,
m_legs,0,40000,
girl,0,1000,
oro_(zetsubou_girl),4,5000,
hatsune_miku,4,113003,/hm
miku_day,0,1586,
"""
MIXED_ZH = """\
long_hair,长发
bottle,瓶子
bottle_miku,瓶Miku
spread_legs,M字开腿
m_legs,M字腿
girl,女孩
oro_(zetsubou_girl),Oro（Zetsubou女孩）
hatsune_miku,初音未来
miku_day,初音未来日
"""


@pytest.fixture(scope="module")
def mixed_label_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed_labels")
    (folder / "tags.csv").write_text(MIXED_TAGS, encoding="utf-8")
    (folder / "zh.csv").write_text(MIXED_ZH, encoding="utf-8")
    path = folder / "tags.sqlite"
    tagdb.import_file(folder / "tags.csv", "autocomplete", db=path)
    tagdb.import_file(folder / "zh.csv", "translations", db=path)
    return path


@pytest.mark.parametrize("query, first, label", [
    ("pingmiku", "bottle_miku", "瓶Miku"), ("ping miku", "bottle_miku", "瓶Miku"),
    ("mzikaitui", "spread_legs", "M字开腿"), ("mzi", "spread_legs", "M字开腿"),
], ids=lambda v: v)
def test_regression_mixed_label_pinyin_dropped_its_letters(mixed_label_db, query, first, label):
    """瓶Miku's only pinyin key was "ping" (the letters dropped), so "pingmiku" found nothing by pinyin."""
    hit = tagdb.open_db(mixed_label_db, readonly=True).search(query, limit=5)[0]
    assert (hit.tag.name, hit.via, hit.matched) == (first, Via.PINYIN, label)


def test_regression_han_part_of_a_mixed_label_ranked_as_its_whole_pinyin(mixed_label_db):
    """"nvhai" equalled the pinyin of Oro（Zetsubou女孩）'s Han part and scored 90 like 女孩 itself, so the
    more-posted character came first; the Han part of a mixed label is only its start: a prefix (80)."""
    hits = tagdb.open_db(mixed_label_db, readonly=True).search("nvhai", limit=5)
    assert [(h.tag.name, h.score) for h in hits[:2]] == [("girl", 90), ("oro_(zetsubou_girl)", 80)]
    names = top5(tagdb.open_db(mixed_label_db, readonly=True), "ping")
    assert names == ["bottle", "bottle_miku"]  # still found by the Han part, after the whole 瓶子 reading


def test_v_for_u_typed_as_u(mixed_label_db):
    """Pinyin keys spell ü as v, as IMEs do (女孩 nvhai); who types "nuhai" found nothing by pinyin. The u
    spelling now finds it, as a prefix (80: nu and lu are syllables of their own)."""
    db = tagdb.open_db(mixed_label_db, readonly=True)
    hits = {h.tag.name: h for h in db.search("nuhai", limit=5)}
    assert hits["girl"].via is Via.PINYIN and hits["girl"].score == 80 and hits["girl"].matched == "女孩"
    assert db.search("nvhai", limit=1)[0].score == 90  # the v spelling is still the whole label


@pytest.mark.parametrize("query, first", [
    ("chang fa", "long_hair"), ("chu yin wei lai", "hatsune_miku"), ("chu yin", "hatsune_miku"),
    ("m zi", "spread_legs"),
], ids=lambda v: v)
def test_regression_pinyin_with_spaces_between_syllables_found_nothing(mixed_label_db, query, first):
    """Pinyin keys have no spaces, so "chang fa" (some type a space between syllables) matched no key."""
    hit = tagdb.open_db(mixed_label_db, readonly=True).search(query, limit=5)[0]
    assert (hit.tag.name, hit.via) == (first, Via.PINYIN)


@pytest.mark.parametrize("query, wanted", [
    ("初音wei", ["hatsune_miku", "miku_day"]),  # a label's start in Chinese, then pinyin
    ("初音weilairi", ["miku_day"]),
    ("瓶mi", ["bottle_miku"]),  # the label itself, letters included (a translation prefix)
], ids=lambda v: v if isinstance(v, str) else None)
def test_chinese_then_pinyin_query(mixed_label_db, query, wanted):
    assert top5(tagdb.open_db(mixed_label_db, readonly=True), query) == wanted


@pytest.mark.parametrize("filters", [
    {}, {"categories": frozenset({4})}, {"langs": frozenset({"zh"})}, {"langs": frozenset({"en"})},
    {"score_cutoff": 85.0},
], ids=["none", "character", "zh", "en", "cutoff"])
def test_mixed_and_spaced_pinyin_match_reference(mixed_label_db, filters):
    from tagdb_testutil import assert_same_as_reference

    queries = ("pingmiku", "ping miku", "ping", "p", "pingm", "nvhai", "nv", "nuhai", "nu", "m", "mz", "mzikaitui", "m zi",
               "chang fa", "c f", "初音wei", "初音", "瓶mi", "瓶m", "女h", "long hair", "miku")
    assert_same_as_reference(mixed_label_db, queries, filters=filters)


@pytest.mark.parametrize("typo, wanted", [
    ("patns", "pants"), ("simle", "smile"), ("pnats", "pants"), ("smle", "smile"), ("smiile", "smile"),
    ("smilr", "smile"),
], ids=lambda v: v)
def test_regression_short_name_typo_missed_by_trigram_candidates(tmp_path, write, typo, wanted):
    """"patns" shares one trigram with pants (" pa") but two with every name starting "pat", so the 200
    trigram candidates were all "pat..." names and pants was never scored; "simle" likewise."""
    from tagdb.reference import search_slow

    rows = ["pants,0,300000,", "smile,0,1500000,"] + [f"{stem}{k:03d}_artist,1,{10 + k}," for k in range(250)
                                                       for stem in ("pat", "sim")]
    path = tmp_path / "t.sqlite"
    tagdb.import_file(write("a.csv", "\n".join(rows) + "\n"), "autocomplete", db=path)
    index = tagdb.open_db(path, readonly=True).index()
    fast = index.search(typo, limit=5, categories=None, langs=None, score_cutoff=None)
    assert index.table.names[fast[0][0]] == wanted
    assert fast[0][:2] == search_slow(index.table, {}, typo, limit=5)[0][:2]  # as the full scan ranks it


HETERONYM_TAGS = """\
cosplay,0,166000,
instrument,0,98000,
ponytail,0,1200000,
hair_bun,0,400000,
"""
HETERONYM_ZH = """\
cosplay,角色扮演
instrument,乐器
ponytail,单马尾
hair_bun,发髻
"""


@pytest.fixture(scope="module")
def heteronym_db(tmp_path_factory):
    return _tags_with_chinese(tmp_path_factory, "heteronym", HETERONYM_TAGS, HETERONYM_ZH)


@pytest.mark.parametrize("query, name", [
    ("juesebanyan", "cosplay"),   # the word's reading, as an IME spells 角色扮演
    ("jiaosebanyan", "cosplay"),  # character by character, as before
    ("juese", "cosplay"),
    ("yueqi", "instrument"),      # 乐器: yue qi, not le qi
    ("leqi", "instrument"),
    ("danmawei", "ponytail"),     # the phrase dictionary's "ma yi" must not replace the usual reading
], ids=lambda v: v)
def test_regression_heteronym_labels_searched_by_their_word_reading(heteronym_db, query, name):
    """角色扮演 was indexed only as jiaosebanyan (角 read alone), so juesebanyan, what an IME user types,
    missed cosplay. Both readings are indexed now, at the same level."""
    hits = tagdb.open_db(heteronym_db, readonly=True).search(query, limit=5)
    assert hits and hits[0].tag.name == name and hits[0].via is Via.PINYIN


def test_heteronym_keys_match_reference(heteronym_db):
    from tagdb_testutil import assert_same_as_reference

    queries = ("j", "ju", "jue", "juesebanyan", "jsby", "jiao", "yue", "yq", "lq", "dan", "dmy", "dmw", "fa", "faji")
    pinyins = assert_same_as_reference(heteronym_db, queries, limits=(5,))
    assert any("|" in v for v in pinyins.values())  # the alternative readings are stored
