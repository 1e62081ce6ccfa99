"""The slow, obviously correct search: a linear scan implementing the ranking rules literally.

``SearchIndex.search`` must return the same (tag, score) list for exact, prefix, word-prefix,
pinyin and Chinese queries; for fuzzy queries the fast path only scores ~200 trigram candidates,
so tests compare its top hits with this full scan. Used by tests and the benchmark, never by the app.
"""

from __future__ import annotations

from tagdb.index import (BAND_DIRECT, BAND_EXACT, BAND_FUZZY, EXACT_SCORE, FUZZY_CUTOFF, FUZZY_POP_WEIGHT, FUZZY_WEIGHT,
                         LEVEL_COMPACT, LEVEL_FULL, LEVEL_INITIALS, LEVEL_PINYIN, LEVEL_PINYIN_PART, LEVEL_WORD,
                         PINYIN_EXACT_BAND_CHARS, PINYIN_EXACT_FRONT, PREFIX_SCORE, TRANS_EXACT, TRANS_PREFIX,
                         TRANS_SUBSTRING, TagTable, band_of, fuzzy_score, label_typed_key, pinyin_is_whole_label,
                         pop_points, rank_value, readings_of, reserve_slot)
from tagdb.model import Via
from tagdb.normalize import has_cjk, pinyin_keys, pinyin_query, search_key, split_stored_pinyin


def search_slow(table: TagTable, pinyins: dict[tuple[int, str], str], query: str, *, limit: int,
                categories: frozenset[int] | None = None, langs: frozenset[str] | None = None,
                score_cutoff: float | None = None, fuzzy: bool = True) -> list[tuple[int, float, str, Via]]:
    q = search_key(query.replace("\x00", ""))
    if not q or limit <= 0:
        return []
    best: dict[int, tuple[int, float, str, Via]] = {}
    points, fuzzy_points = pop_points(table.post_counts), pop_points(table.post_counts, FUZZY_POP_WEIGHT)

    def offer(tag: int, score: float, text: str, via: Via, band: int | None = None) -> None:
        if table.deprecated[tag]:
            return
        if categories is not None and int(table.categories[tag]) not in categories:
            return
        if score_cutoff is not None and score < score_cutoff:
            return
        band = band_of(score) if band is None else band
        value = rank_value(score, int((fuzzy_points if band == BAND_FUZZY else points)[tag]),
                           max(int(table.post_counts[tag]), 0), band)
        old = best.get(tag)
        if old is None or value > old[0] or (value == old[0] and via is Via.NAME and old[3] is not Via.NAME):
            best[tag] = (value, score, text, via)

    allow_en = langs is None or "en" in langs
    short_exact_pinyin: dict[int, str] = {}  # tag -> label whose whole pinyin is a short query
    qp = pinyin_query(q, readings_of(pinyins))  # pinyin keys see the query without spaces, a mixed one as pinyin
    cjk = has_cjk(q)
    if cjk:
        for i in range(len(table.names)):
            for lang, text in table.translations.get(i, ()):
                key = search_key(text)
                if not has_cjk(text) or (langs is not None and lang not in langs) or q not in key:
                    continue
                score = TRANS_EXACT if key == q else TRANS_PREFIX if key.startswith(q) else TRANS_SUBSTRING
                offer(i, score, text, Via.TRANSLATION)
    for i, name in enumerate(table.names):
        texts = [(name, Via.NAME)] + [(a, Via.ALIAS) for a in table.aliases.get(i, ())]
        if allow_en and not cjk:
            for text, via in texts:
                key = search_key(text)
                for level, k in ((LEVEL_FULL, key), (LEVEL_COMPACT, key.replace(" ", ""))):
                    if level == LEVEL_COMPACT and " " not in key:
                        continue
                    if k.startswith(q):
                        offer(i, (EXACT_SCORE if k == q else PREFIX_SCORE)[level], text, via)
        for lang, text in table.translations.get(i, ()):
            syllables, alt = split_stored_pinyin(pinyins.get((i, text), ""))
            if not qp or not syllables or not has_cjk(text) or (langs is not None and lang not in langs):
                continue
            full, initials = pinyin_keys(syllables)
            typed = label_typed_key(text, syllables)  # "pingmiku" for 瓶Miku, whose full ("ping") is only part
            keys = ((LEVEL_PINYIN_PART, full), (LEVEL_PINYIN, typed)) if typed else ((LEVEL_PINYIN, full),)
            keys += ((LEVEL_PINYIN_PART, full.replace("v", "u")),) if "v" in full else ()  # ü typed as u
            if alt and not typed:  # the phrase-aware reading, where it differs (角色扮演: juesebanyan, jsby)
                alt_full, alt_initials = pinyin_keys(alt)
                keys += ((LEVEL_PINYIN, alt_full),) if alt_full != full else ()
                keys += ((LEVEL_INITIALS, alt_initials),) if alt_initials != initials else ()
            for level, k in (*keys, (LEVEL_INITIALS, initials)):
                if (level == LEVEL_INITIALS and len(initials) < 2) or not k:
                    continue
                if k.startswith(qp):
                    whole = k == qp and level == LEVEL_PINYIN and len(qp) >= PINYIN_EXACT_BAND_CHARS
                    offer(i, (EXACT_SCORE if k == qp else PREFIX_SCORE)[level], text, Via.PINYIN,
                          BAND_EXACT if whole else None)
                    if k == qp and level == LEVEL_PINYIN and not whole and pinyin_is_whole_label(text) \
                            and not table.deprecated[i] \
                            and (categories is None or int(table.categories[i]) in categories) \
                            and (score_cutoff is None or EXACT_SCORE[level] >= score_cutoff):
                        short_exact_pinyin.setdefault(i, text)
    # The most-used tag whose label's whole pinyin is a short query gets the reserved fifth place.
    front = sorted(short_exact_pinyin, key=lambda i: (-rank_value(EXACT_SCORE[LEVEL_PINYIN], int(points[i]),
                                                                  max(int(table.post_counts[i]), 0), BAND_DIRECT),
                                                       table.names[i]))[:PINYIN_EXACT_FRONT]
    reserved = front[0] if front else None
    if allow_en and not cjk:
        for i, name in enumerate(table.names):
            words = search_key(name).split(" ")
            for j in range(1, len(words)):
                suffix = " ".join(words[j:])
                if suffix.startswith(q):
                    whole = suffix == q or suffix.startswith(q + " ")
                    offer(i, (EXACT_SCORE if whole else PREFIX_SCORE)[LEVEL_WORD], name, Via.NAME, BAND_DIRECT)
    if fuzzy and len(best) < limit and len(q) >= 3 and allow_en and not cjk:
        for i, name in enumerate(table.names):
            for text, via in [(name, Via.NAME)] + [(a, Via.ALIAS) for a in table.aliases.get(i, ())]:
                score = fuzzy_score(q, search_key(text), score_cutoff=FUZZY_CUTOFF)
                if score:
                    offer(i, round(score * FUZZY_WEIGHT, 1), text, via, BAND_FUZZY)
    ranked = reserve_slot(sorted(best.items(), key=lambda kv: (-kv[1][0], table.names[kv[0]])), reserved)[:limit]
    return [(tag, score, text, via) for tag, (_, score, text, via) in ranked]
