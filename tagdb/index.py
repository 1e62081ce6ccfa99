"""The in-memory search index: built once per database file, immutable, shared by all threads.

Why not SQLite FTS5: its trigram tokenizer cannot match 1-2 character queries (the common case while
typing), and ranking by post count over a large MATCH set is slow. Instead:

* **Prefix table**: every searchable key in one sorted Python list (``bisect`` finds a prefix range in
  microseconds) with aligned numpy arrays (tag, rank value, category, language). Keys are the search
  form of names and aliases, their space-free form ("longhair"), every later word-suffix ("hair" for
  "long hair"), and the pinyin of Chinese labels in full ("changfa"), initials ("cf"), with a mixed
  label's letters kept ("pingmiku" for 瓶Miku) and with ü as u ("nuhai"). Pinyin rows are compared with
  the query without spaces ("chang fa"), or with a Chinese-then-pinyin query's pinyin ("初音wei"). The best
  rows of a range come from ``argpartition`` on the rank value (tier, then post count), so a one-letter
  prefix over 150k tags costs about as much as a ten-letter one.
* **Chinese**: labels are joined into one string and searched with ``str.find`` semantics
  (``re.finditer``), so substrings ("长发" in "黑长发") are found at C speed.
* **Fuzzy** (typos, word order): a trigram posting list in numpy picks ~200 candidates sharing the
  most trigrams with the query, and names of up to 8 characters within one edit come from their
  one-deletion variants (a short name shares too few trigrams with its typo); rapidfuzz's WRatio
  ranks them. A naive ``process.extract`` over all
  names takes ~150 ms; this takes ~1-3 ms.

``search_slow`` in ``tagdb.reference`` implements the same ranking by brute force; a differential
test keeps the two in step.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from tagdb.model import Tag, Via
from tagdb.normalize import (han_chars, han_readings, has_cjk, has_latin, pinyin_keys, pinyin_query, search_key,
                             split_stored_pinyin, typed_pinyin)

# Row levels and their scores (prefix match / exact match). The public meaning of a score is in
# SearchHit: 100 exact, 95 prefix or a whole later word, 85 a later word's prefix, 80 pinyin, <=80 fuzzy.
# LEVEL_PINYIN_PART: the pinyin of only the Han part of a label that also has letters ("ping" of 瓶Miku,
# whose LEVEL_PINYIN key is "pingmiku"): typing it is typing the start of the label, never all of it,
# so it scores as a prefix even when equal ("nvhai" is 女孩 before "Oro（Zetsubou女孩）").
LEVEL_FULL, LEVEL_COMPACT, LEVEL_WORD, LEVEL_PINYIN, LEVEL_INITIALS, LEVEL_PINYIN_PART = range(6)
PREFIX_SCORE = {LEVEL_FULL: 95, LEVEL_COMPACT: 95, LEVEL_WORD: 85, LEVEL_PINYIN: 80, LEVEL_INITIALS: 70,
                LEVEL_PINYIN_PART: 80}
EXACT_SCORE = {LEVEL_FULL: 100, LEVEL_COMPACT: 98, LEVEL_WORD: 95, LEVEL_PINYIN: 90, LEVEL_INITIALS: 75,
               LEVEL_PINYIN_PART: 80}
TRANS_EXACT, TRANS_PREFIX, TRANS_SUBSTRING = 100, 95, 80
FUZZY_WEIGHT = 0.8  # fuzzy scores are WRatio * 0.8, so any direct match outranks any fuzzy one
FUZZY_CUTOFF = 60.0
FUZZY_CANDIDATES = 200
# Keys of up to this many characters are also found by their one-deletion variants (SymSpell's idea):
# a short name shares too few trigrams with its typo ("patns" and "pants" share only " pa"), so the
# trigram candidates, led by names sharing "pat", missed it. Deletion variants of both sides meet
# for any one insertion, deletion, substitution or swap of neighbours.
DELETION_MAX_CHARS = 8
VIA_CODES = (Via.NAME, Via.ALIAS, Via.TRANSLATION, Via.PINYIN)

# Ranking. Hits fall in three bands: exact (the whole name, alias or Chinese label), direct (a prefix
# of the name, of a later word, of a label or its pinyin) and fuzzy. Within a band a hit ranks by
# score + POP_WEIGHT * log10(posts): a later-word match ("luka" in megurine_luka, 12k posts) beats
# a name prefix (luka_(alien_stage), 700 posts) when the tag is used ~10x more per 10 points of score.
# This is why a pure "score, then posts" order missed inner words (tagcomplete's rule, words by posts
# alone, is the other extreme and loses prefixes). Measured: benchmarks/bench_tagdb.py.
BAND_FUZZY, BAND_DIRECT, BAND_EXACT = range(3)
EXACT_BAND_MIN_SCORE = 98  # exact name / compact name / alias / Chinese label
# The whole pinyin of a label is the label typed with an IME, so exact too: "biaoqingfuhao" (表情符号) is
# emoji, not the popular ":d" whose label begins with it. Only from 7 letters (two syllables at least):
# a lone syllable ("mei", "ping") is an English word or a prefix too often.
PINYIN_EXACT_BAND_CHARS = 7
# A shorter whole pinyin (one syllable: "cha" for 茶 tea, "dong" for 洞 hole) is still what an IME user
# types for that label, but also an English prefix ("long" -> long_hair, "cha" -> chair) and often the
# pinyin of many labels: the most-used tag whose label it is gets a reserved place, the fifth
# (PINYIN_RESERVED_SLOT), when it ranks lower — the English readings keep the first four places (the
# first suggestion is what Enter adds). Measured: benchmarks/bench_tagdb.py.
PINYIN_EXACT_FRONT = 1
PINYIN_RESERVED_SLOT = 4   # index: the fifth suggestion


def reserve_slot(ranked: list, tag: int | None, slot: int = PINYIN_RESERVED_SLOT) -> list:
    """``ranked`` (tag, ...) items with ``tag`` moved up to ``slot`` when it ranks below it."""
    if tag is None:
        return ranked
    pos = next((k for k, item in enumerate(ranked) if item[0] == tag), None)
    if pos is None or pos <= slot:
        return ranked
    item = ranked.pop(pos)
    ranked.insert(slot, item)
    return ranked


def pinyin_is_whole_label(label: str) -> bool:
    """Whether a label's pinyin spells all of it: "瓶Miku" or "ryuuichi（f龙）" read "ping" / "long", which
    is not that label typed with an IME, so such labels never go to the front for a short pinyin."""
    return not any(ch.isascii() and ch.isalnum() for ch in label)
POP_WEIGHT = 10.0  # score points per tenfold post count
FUZZY_POP_WEIGHT = 2.0
BAND_SHIFT, REL_SHIFT = 58, 36


def pop_points(post_counts: np.ndarray, weight: float = POP_WEIGHT) -> np.ndarray:
    """Tenths of a score point each tag's popularity adds (the same array for the fast and slow path)."""
    pops = np.maximum(np.asarray(post_counts, dtype=np.float64), 0.0)
    return np.floor(np.log10(pops + 1.0) * weight * 10.0).astype(np.int64)


def band_of(score: float, fuzzy: bool = False) -> int:
    return BAND_FUZZY if fuzzy else BAND_EXACT if score >= EXACT_BAND_MIN_SCORE else BAND_DIRECT


def rank_value(score: float, points: int, post_count: int, band: int) -> int:
    """One integer ordering hits by band, then score plus popularity, then post count (all descending)."""
    rel = int(round(score * 10)) + int(points)
    return (band << BAND_SHIFT) | (rel << REL_SHIFT) | min(max(post_count, 0), (1 << REL_SHIFT) - 1)


def fuzzy_score(query: str, key: str, **kwargs) -> float:
    """WRatio, except that a choice much shorter than the query is compared whole or word by word, not
    as any substring: WRatio's partial match scores "hat" 90 against "hatsune miku", so "did you mean"
    offered hat and sun_hat; "hatsune miku (append)" still finds hatsune_miku (all its words are there)."""
    cutoff = kwargs.get("score_cutoff") or 0
    if len(key) * 3 < len(query) * 2:  # every word of the key among the query's still counts (0.9)
        score = max(fuzz.ratio(query, key), fuzz.token_sort_ratio(query, key), 0.9 * fuzz.token_set_ratio(query, key))
    else:
        score = fuzz.WRatio(query, key)
    return score if score >= cutoff else 0.0


@dataclass(frozen=True)
class TagTable:
    """Column arrays of one tag set, in database order."""

    ids: np.ndarray
    names: list[str]
    categories: np.ndarray
    post_counts: np.ndarray  # -1 when unknown
    deprecated: np.ndarray
    aliases: dict[int, tuple[str, ...]]
    translations: dict[int, tuple[tuple[str, str], ...]]
    tagset: str

    def tag(self, i: int) -> Tag:
        count = int(self.post_counts[i])
        return Tag(id=int(self.ids[i]), name=self.names[i], category=int(self.categories[i]),
                   post_count=None if count < 0 else count, aliases=self.aliases.get(i, ()),
                   translations=self.translations.get(i, ()), deprecated=bool(self.deprecated[i]),
                   tagset=self.tagset)


def deletion_variants(key: str) -> set[str]:
    """``key`` and every string one character shorter than it."""
    return {key} | {key[:p] + key[p + 1:] for p in range(len(key))}


def label_typed_key(text: str, syllables: str) -> str:
    """The pinyin key of a label with its letters and digits kept ("pingmiku" for 瓶Miku), or "" when
    that is just its pinyin ("ping"). Spelt from the stored ``syllables``, not pypinyin's table (~60 MB)."""
    if not has_latin(text):  # most labels
        return ""
    pairs = han_readings(text, syllables)
    typed = "".join(typed_pinyin(text, dict(pairs)).split()) if pairs else ""
    return typed if typed != "".join(syllables.split()) else ""


def alt_pinyin_keys(alt: str, full: str, initials: str, typed: str) -> list[tuple[int, str]]:
    """The keys of a label's phrase-aware reading where it differs from the character-by-character one
    (角色扮演: "juesebanyan", "jsby" besides "jiaosebanyan", "jsby"), at the same levels. Labels with
    letters keep only their typed key (their Han part alone is a partial reading anyway)."""
    if not alt or typed:
        return []
    alt_full, alt_initials = pinyin_keys(alt)
    keys = [(LEVEL_PINYIN, alt_full)] if alt_full != full else []
    if alt_initials != initials and len(alt_initials) >= 2:
        keys.append((LEVEL_INITIALS, alt_initials))
    return keys


def readings_of(pinyins: dict[tuple[int, str], str]) -> dict[str, str]:
    """Han character -> the syllable its labels were imported with (the first label by (tag, text) wins):
    how a query such as "初音wei" is spelt in pinyin without loading pypinyin's table."""
    readings: dict[str, str] = {}
    for key in sorted(pinyins):
        text = key[1]
        if not readings.keys() >= set(han_chars(text)):  # most labels add nothing new
            for ch, syllable in han_readings(text, split_stored_pinyin(pinyins[key])[0]):
                readings.setdefault(ch, syllable)
    return readings


def _fast_key(name: str) -> str:
    """``search_key`` for names already in Danbooru form (the common case), much faster."""
    if (name.isascii() and name.islower() is not False and "\\" not in name and "__" not in name
            and " " not in name and "\t" not in name and not name.startswith("_") and not name.endswith("_")
            and name.lower() == name):
        return name.replace("_", " ")
    return search_key(name)


@dataclass
class Entries:
    """Searchable strings before indexing, as parallel columns (an object per row would cost ~1 KB)."""

    keys: list[str]
    tags: array  # "i"
    levels: array  # "b"
    vias: array  # "b", index into VIA_CODES
    texts: list[str]  # what a hit reports as ``matched``
    langs: list[str]  # "en" for names and aliases

    def add(self, key: str, tag: int, level: int, via: int, text: str, lang: str) -> None:
        self.keys.append(key)
        self.tags.append(tag)
        self.levels.append(level)
        self.vias.append(via)
        self.texts.append(text)
        self.langs.append(lang)


def build_entries(table: TagTable, pinyins: dict[tuple[int, str], str]) -> tuple[Entries, Entries]:
    """(latin entries, translation entries). Deprecated tags are not searchable (validate flags them)."""
    latin = Entries([], array("i"), array("b"), array("b"), [], [])
    trans = Entries([], array("i"), array("b"), array("b"), [], [])
    add = latin.add
    aliases, translations, deprecated = table.aliases, table.translations, table.deprecated
    for i, name in enumerate(table.names):
        if deprecated[i]:
            continue
        key = _fast_key(name)
        add(key, i, LEVEL_FULL, 0, name, "en")
        if " " in key:
            add(key.replace(" ", ""), i, LEVEL_COMPACT, 0, name, "en")
        for alias in aliases.get(i, ()):
            alias_key = _fast_key(alias)
            add(alias_key, i, LEVEL_FULL, 1, alias, "en")
            if " " in alias_key:  # "reimuhakurei" as well as "reimu hakurei", as for names
                add(alias_key.replace(" ", ""), i, LEVEL_COMPACT, 1, alias, "en")
        for lang, text in translations.get(i, ()):
            if not has_cjk(text):
                continue  # romanised "translations" (mostly machine-made artist names) add only noise
            trans.add(search_key(text), i, LEVEL_FULL, 2, text, lang)
            syllables, alt = split_stored_pinyin(pinyins.get((i, text), ""))
            if syllables:
                full, initials = pinyin_keys(syllables)
                typed = label_typed_key(text, syllables)  # "pingmiku" for 瓶Miku, whose full is "ping"
                add(full, i, LEVEL_PINYIN_PART if typed else LEVEL_PINYIN, 3, text, lang)
                if len(initials) >= 2:
                    add(initials, i, LEVEL_INITIALS, 3, text, lang)
                if typed:
                    add(typed, i, LEVEL_PINYIN, 3, text, lang)
                if "v" in full:  # ü: "nuhai" for 女孩 (nvhai), as a prefix only: nu, lu are syllables too
                    add(full.replace("v", "u"), i, LEVEL_PINYIN_PART, 3, text, lang)
                for level, key in alt_pinyin_keys(alt, full, initials, typed):
                    add(key, i, level, 3, text, lang)
    return latin, trans


class SearchIndex:
    loaded_from_cache = False  # True when tagdb.index_cache restored it from disk

    def __init__(self, table: TagTable, pinyins: dict[tuple[int, str], str], *,
                 tag_by_name: dict[str, int] | None = None, alias_target: dict[str, str] | None = None):
        self.table = table
        self.tag_by_name = tag_by_name if tag_by_name is not None else {n: i for i, n in enumerate(table.names)}
        self.alias_target = alias_target or {}
        latin, trans = build_entries(table, pinyins)
        self.han_readings = readings_of(pinyins)
        pops = np.where(table.post_counts < 0, 0, table.post_counts).astype(np.int64)
        self._pops = pops
        self.set_popularity(pops)
        self.lang_codes = {"en": 0}
        for lang in set(latin.langs) | set(trans.langs):
            self.lang_codes.setdefault(lang, len(self.lang_codes))
        # Prefix table
        n = len(latin.keys)
        order = np.array(sorted(range(n), key=latin.keys.__getitem__), dtype=np.int64)
        self.keys = [latin.keys[j] for j in order]
        self.row_text = [latin.texts[j] for j in order]
        self.row_tag = np.frombuffer(latin.tags, dtype=np.int32)[order]
        self.row_level = np.frombuffer(latin.levels, dtype=np.int8)[order]
        self.row_via = np.frombuffer(latin.vias, dtype=np.int8)[order]
        codes = self.lang_codes
        self.row_lang = np.array([codes[x] for x in latin.langs], dtype=np.int8)[order]
        self.lang_names = {v: k for k, v in codes.items()}
        self.row_rank = self._values(np.array([PREFIX_SCORE[lv] for lv in range(len(PREFIX_SCORE))])[self.row_level],
                                     self.row_tag, BAND_DIRECT)
        self.row_cat = table.categories[self.row_tag]
        # Chinese substring store
        self.trans = trans
        self.trans_text = "\x00".join(trans.keys) + "\x00"
        lengths = np.array([len(k) + 1 for k in trans.keys], dtype=np.int64)
        self.trans_start = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if len(lengths) else lengths
        self.trans_tag = np.frombuffer(trans.tags, dtype=np.int32).copy()
        self.trans_len = lengths - 1
        self.trans_lang = np.array([codes[x] for x in trans.langs], dtype=np.int8)
        # Fuzzy trigram index over full names and aliases
        self.fuzzy_rows = np.flatnonzero((self.row_level == LEVEL_FULL) & (self.row_lang == 0))
        full_keys = [self.keys[r] for r in self.fuzzy_rows]
        self._build_trigrams(full_keys)
        self._build_deletions(full_keys)
        # Word-prefix table: "hair" finds "long hair" (searched only when prefixes do not fill the page)
        suffixes: list[str] = []
        owners: list[int] = []
        for r in np.flatnonzero((self.row_level == LEVEL_FULL) & (self.row_via == 0)).tolist():
            key = self.keys[r]
            pos = key.find(" ")
            while pos >= 0:
                if pos + 1 < len(key) and key[pos + 1] != " ":
                    suffixes.append(key[pos + 1:])
                    owners.append(r)
                pos = key.find(" ", pos + 1)
        word_order = sorted(range(len(suffixes)), key=suffixes.__getitem__)
        self.word_keys = [suffixes[j] for j in word_order]
        self.word_rows = np.array(owners, dtype=np.int64)[np.array(word_order, dtype=np.int64)] \
            if owners else np.zeros(0, np.int64)

    def set_popularity(self, pops: np.ndarray) -> None:
        """Post counts and the ranking points derived from them (also called by the cache loader)."""
        self._pops = pops
        self._points = pop_points(pops)
        self._fuzzy_points = pop_points(pops, FUZZY_POP_WEIGHT)

    # ---------------------------------------------------------------- trigram index
    def _build_trigrams(self, keys: list[str]) -> None:
        joined = "\x01".join(f" {k} " for k in keys) + "\x01"
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        lens = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)) + 3
        owner = np.repeat(np.arange(len(keys), dtype=np.int32), lens)
        if len(codes) < 3:
            self.gram_keys = np.zeros(0, np.int64)
            self.gram_starts = np.zeros(1, np.int64)
            self.gram_rows = np.zeros(0, np.int32)
            return
        grams = (codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:]
        valid = (codes[:-2] != 1) & (codes[1:-1] != 1) & (codes[2:] != 1)
        grams, rows = grams[valid], owner[:-2][valid]
        order = np.argsort(grams, kind="stable")  # positions run in row order, so rows stay sorted per gram
        grams, rows = grams[order], rows[order]
        del order
        keep = np.ones(len(grams), dtype=bool)
        keep[1:] = (grams[1:] != grams[:-1]) | (rows[1:] != rows[:-1])
        grams, rows = grams[keep], rows[keep]
        self.gram_keys, first = np.unique(grams, return_index=True)
        self.gram_starts = np.append(first, len(grams))
        self.gram_rows = rows

    def _build_deletions(self, keys: list[str]) -> None:
        variants: list[str] = []
        owners: list[int] = []
        for j, key in enumerate(keys):
            if len(key) <= DELETION_MAX_CHARS:
                for v in deletion_variants(key):
                    variants.append(v)
                    owners.append(j)
        arr = np.array(variants, dtype=f"<U{DELETION_MAX_CHARS}")
        order = np.argsort(arr, kind="stable")
        self.del_keys = arr[order]
        self.del_rows = np.array(owners, dtype=np.int32)[order]

    def _deletion_candidates(self, q: str) -> np.ndarray:
        """Fuzzy rows within one edit of ``q`` by shared one-deletion variants (short keys only)."""
        if len(q) > DELETION_MAX_CHARS + 1 or not len(self.del_keys):
            return np.zeros(0, np.int64)
        probes = np.array(sorted(v for v in deletion_variants(q) if len(v) <= DELETION_MAX_CHARS),
                          dtype=f"<U{DELETION_MAX_CHARS}")
        lo = np.searchsorted(self.del_keys, probes, side="left")
        hi = np.searchsorted(self.del_keys, probes, side="right")
        found = [self.del_rows[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
        return self.fuzzy_rows[np.unique(np.concatenate(found))] if found else np.zeros(0, np.int64)

    def _trigram_candidates(self, q: str, n: int) -> np.ndarray:
        padded = f" {q} "
        found = []
        for k in {padded[i:i + 3] for i in range(len(padded) - 2)}:
            a, b, c = (ord(ch) for ch in k)
            g = (a << 42) | (b << 21) | c
            pos = np.searchsorted(self.gram_keys, g)
            if pos < len(self.gram_keys) and self.gram_keys[pos] == g:
                found.append(self.gram_rows[self.gram_starts[pos]:self.gram_starts[pos + 1]])
        if not found:
            return np.zeros(0, np.int64)
        counts = np.bincount(np.concatenate(found), minlength=len(self.fuzzy_rows))
        # Lowest shared-trigram count that still leaves at least n candidates (histogram, not a sort).
        hist = np.bincount(counts)
        above = np.cumsum(hist[::-1])[::-1]  # above[t] = rows with count >= t
        threshold = max(1, int(np.flatnonzero(above >= n)[-1]) if (above >= n).any() else 1)
        rows = np.flatnonzero(counts >= threshold)
        if len(rows) > n:  # most shared trigrams first, then the most-posted ("diess" -> dress)
            pops = self._pops[self.row_tag[self.fuzzy_rows[rows]]]
            order = (counts[rows].astype(np.int64) << REL_SHIFT) | np.minimum(pops, (1 << REL_SHIFT) - 1)
            rows = rows[np.argpartition(-order, n - 1)[:n]]
        return self.fuzzy_rows[rows]

    # ---------------------------------------------------------------- search
    def search(self, query: str, *, limit: int, categories: frozenset[int] | None,
               langs: frozenset[str] | None, score_cutoff: float | None,
               fuzzy: bool = True) -> list[tuple[int, float, str, Via]]:
        """Return up to ``limit`` (tag index, score, matched text, via), best first.

        ``fuzzy=False`` skips the typo stage (differential tests compare the exact stages alone).
        """
        q = search_key(query.replace("\x00", ""))
        if not q or limit <= 0:
            return []
        best: dict[int, tuple[int, float, str, Via]] = {}  # tag -> (rank value, score, matched, via)

        def offer(tag: int, score: float, text: str, via: Via, band: int) -> None:
            if score_cutoff is not None and score < score_cutoff:
                return
            points = self._fuzzy_points[tag] if band == BAND_FUZZY else self._points[tag]
            value = rank_value(score, int(points), int(self._pops[tag]), band)
            old = best.get(tag)
            if old is None or value > old[0] or (value == old[0] and via is Via.NAME and old[3] is not Via.NAME):
                best[tag] = (value, score, text, via)

        allow_en = langs is None or "en" in langs
        reserved = None
        qp = pinyin_query(q, self.han_readings)  # pinyin keys see "chang fa" as changfa, "初音wei" as chuyinwei
        if has_cjk(q):
            self._search_translations(q, limit, categories, langs, offer)
            if qp:
                reserved = self._search_prefix(qp, limit, categories, langs, score_cutoff, offer, pinyin_only=True)
        else:
            reserved = self._search_prefix(q, limit, categories, langs, score_cutoff, offer)
            if qp != q:  # q has spaces: no pinyin key has one, so pinyin rows are looked up without them
                reserved = self._search_prefix(qp, limit, categories, langs, score_cutoff, offer, pinyin_only=True)
            if allow_en:  # always: a later word of a popular tag may outrank a rare name prefix
                self._search_words(q, limit, categories, score_cutoff, offer)
            if fuzzy and len(best) < limit and len(q) >= 3 and allow_en:
                self._search_fuzzy(q, limit, categories, offer)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.table.names[kv[0]]))
        ranked = reserve_slot(ranked, reserved)[:limit]
        return [(tag, score, text, via) for tag, (_, score, text, via) in ranked]

    def _values(self, scores: np.ndarray, tags: np.ndarray, band: int) -> np.ndarray:
        """``rank_value`` over arrays."""
        rel = np.rint(np.asarray(scores, dtype=np.float64) * 10).astype(np.int64) + self._points[tags]
        return ((np.int64(band) << BAND_SHIFT) | (rel << REL_SHIFT)
                | np.minimum(self._pops[tags], (1 << REL_SHIFT) - 1))

    def _lang_mask(self, codes: np.ndarray, langs: frozenset[str] | None) -> np.ndarray | None:
        if langs is None:
            return None
        wanted = np.array([self.lang_codes[x] for x in langs if x in self.lang_codes], dtype=np.int8)
        return np.isin(codes, wanted)

    @staticmethod
    def _top(values: np.ndarray, tags: np.ndarray, limit: int) -> np.ndarray:
        """Positions of the best ``values``, best first, enough to cover ``limit`` distinct tags.

        Rows tied with the last one taken are all included, so the result never depends on how
        argpartition orders equal values (the reference path sees every row).
        """
        want = min(len(values), limit * 4)
        while True:
            if want < len(values):
                top = np.argpartition(-values, want - 1)[:want]
            else:
                top = np.arange(len(values))
            if want >= len(values) or len(np.unique(tags[top])) >= limit:
                break
            want = min(len(values), want * 4)
        if len(top) < len(values):
            top = np.flatnonzero(values >= values[top].min())
        return top[np.argsort(-values[top], kind="stable")]

    def _search_prefix(self, q, limit, categories, langs, score_cutoff, offer, pinyin_only=False) -> int | None:
        """Offer the rows whose key starts with ``q`` (only pinyin ones with ``pinyin_only``); return the
        tag to reserve a place for (a short whole pinyin), or None."""
        lo = bisect_left(self.keys, q)
        hi = bisect_left(self.keys, q + "\U0010ffff", lo)
        if lo == hi:
            return None
        exact_hi = bisect_right(self.keys, q, lo, hi)
        rows = np.arange(lo, hi)
        if pinyin_only:
            rows = rows[self.row_level[rows] >= LEVEL_PINYIN]
        mask = self._lang_mask(self.row_lang[rows], langs)
        if categories is not None:
            cat_mask = np.isin(self.row_cat[rows], np.fromiter(categories, dtype=np.int64))
            mask = cat_mask if mask is None else mask & cat_mask
        if mask is not None:
            rows = rows[mask]
        if len(rows) == 0:
            return None
        levels = self.row_level[rows]
        exact = rows < exact_hi
        scores = np.where(exact, _EXACT[levels], _PREFIX[levels])
        whole_pinyin = len(q) >= PINYIN_EXACT_BAND_CHARS
        top_band = exact & ((scores >= EXACT_BAND_MIN_SCORE) | ((levels == LEVEL_PINYIN) & whole_pinyin))
        values = self.row_rank[rows].copy()
        if exact.any():  # exact matches rank as such (few rows: the range's first ones)
            tags = self.row_tag[rows[exact]]
            values[exact] = self._values(scores[exact], tags, BAND_DIRECT) \
                + np.where(top_band[exact], np.int64(BAND_EXACT - BAND_DIRECT) << BAND_SHIFT, 0)
        if score_cutoff is not None:
            keep = scores >= score_cutoff
            rows, values, scores, top_band = rows[keep], values[keep], scores[keep], top_band[keep]
            if not len(rows):
                return None
        for j in self._top(values, self.row_tag[rows], limit):
            r = int(rows[j])
            score = int(scores[j])
            offer(int(self.row_tag[r]), score, self.row_text[r], VIA_CODES[self.row_via[r]],
                  BAND_EXACT if top_band[j] else band_of(score))
        if whole_pinyin:
            return None
        j = self._short_pinyin_choice(rows, values, top_band, exact_hi)
        if j is None:
            return None
        r = int(rows[j])   # offered as it ranks (it may be outside the top rows); search() reserves its place
        offer(int(self.row_tag[r]), int(scores[j]), self.row_text[r], VIA_CODES[self.row_via[r]], band_of(int(scores[j])))
        return int(self.row_tag[r])

    def _short_pinyin_choice(self, rows: np.ndarray, values: np.ndarray, top_band: np.ndarray,
                             exact_hi: int) -> int | None:
        """The position (in ``rows``) of the most-used tag whose label's whole pinyin is the (short)
        query, or None. Exact rows are the range's first ones, so this looks at few rows."""
        exact = np.flatnonzero((rows < exact_hi) & (self.row_level[rows] == LEVEL_PINYIN) & ~top_band)
        exact = exact[[pinyin_is_whole_label(self.row_text[int(rows[j])]) for j in exact.tolist()]] \
            if len(exact) else exact
        if not len(exact):
            return None
        names = self.table.names
        return min(exact.tolist(), key=lambda j: (-int(values[j]), names[int(self.row_tag[rows[j]])]))

    def _search_words(self, q, limit, categories, score_cutoff, offer) -> None:
        lo = bisect_left(self.word_keys, q)
        hi = bisect_left(self.word_keys, q + "\U0010ffff", lo)
        if lo == hi:
            return
        # Whole-word matches ("eye" in "one eye closed", not only as the last word) are the suffixes
        # equal to q or continuing with a space, which sorts before every other character of a key.
        exact_hi = bisect_left(self.word_keys, q + "!", lo, hi)
        positions = np.arange(lo, hi)
        rows = self.word_rows[lo:hi]
        if categories is not None:
            keep = np.isin(self.row_cat[rows], np.fromiter(categories, dtype=np.int64))
            rows, positions = rows[keep], positions[keep]
        if not len(rows):
            return
        scores = np.where(positions < exact_hi, EXACT_SCORE[LEVEL_WORD], PREFIX_SCORE[LEVEL_WORD])
        if score_cutoff is not None:
            keep = scores >= score_cutoff
            rows, scores = rows[keep], scores[keep]
            if not len(rows):
                return
        tags = self.row_tag[rows]
        values = self._values(scores, tags, BAND_DIRECT)
        for j in self._top(values, tags, limit):
            r = int(rows[j])
            offer(int(self.row_tag[r]), int(scores[j]), self.row_text[r], VIA_CODES[self.row_via[r]], BAND_DIRECT)

    def _search_translations(self, q, limit, categories, langs, offer) -> None:
        starts = [m.start() for m in re.finditer(re.escape(q), self.trans_text)]
        if not starts:
            return
        offsets = np.asarray(starts, dtype=np.int64)
        idx = np.unique(np.searchsorted(self.trans_start, offsets, side="right") - 1)
        at_start = np.isin(self.trans_start[idx], offsets)
        exact = at_start & (self.trans_len[idx] == len(q))
        scores = np.where(exact, TRANS_EXACT, np.where(at_start, TRANS_PREFIX, TRANS_SUBSTRING))
        mask = self._lang_mask(self.trans_lang[idx], langs)
        if categories is not None:
            cat_mask = np.isin(self.table.categories[self.trans_tag[idx]], np.fromiter(categories, dtype=np.int64))
            mask = cat_mask if mask is None else mask & cat_mask
        if mask is not None:
            idx, scores = idx[mask], scores[mask]
        if not len(idx):
            return
        tags = self.trans_tag[idx]
        values = self._values(scores, tags, BAND_DIRECT) + np.where(
            scores >= EXACT_BAND_MIN_SCORE, np.int64(BAND_EXACT - BAND_DIRECT) << BAND_SHIFT, 0)
        for j in self._top(values, tags, limit):
            k = int(idx[j])
            score = int(scores[j])
            offer(self.trans.tags[k], score, self.trans.texts[k], Via.TRANSLATION, band_of(score))

    def _search_fuzzy(self, q, limit, categories, offer) -> None:
        rows = np.union1d(self._trigram_candidates(q, FUZZY_CANDIDATES), self._deletion_candidates(q))
        if categories is not None and len(rows):
            rows = rows[np.isin(self.row_cat[rows], np.fromiter(categories, dtype=np.int64))]
        if not len(rows):
            return
        choices = [self.keys[r] for r in rows]
        for _, score, j in process.extract(q, choices, scorer=fuzzy_score, limit=limit * 3,
                                           score_cutoff=FUZZY_CUTOFF):
            r = int(rows[j])
            offer(int(self.row_tag[r]), round(score * FUZZY_WEIGHT, 1), self.row_text[r],
                  VIA_CODES[self.row_via[r]], BAND_FUZZY)


def _frozen(values: list[int]) -> np.ndarray:
    out = np.array(values, dtype=np.int64)
    out.setflags(write=False)  # shared by every thread: never written
    return out


_PREFIX = _frozen([PREFIX_SCORE[lv] for lv in range(len(PREFIX_SCORE))])
_EXACT = _frozen([EXACT_SCORE[lv] for lv in range(len(EXACT_SCORE))])
