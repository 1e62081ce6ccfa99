"""Search quality measured on queries derived from the data itself (benchmark and tests share this).

A query is derived from a tag the way a user would reach it, and it *hits* when that tag is among
the first five results. Tags are drawn from the most-posted ``pool`` tags with weight
``1 / (rank + 10)`` (popular tags are looked for more often, but the tail is not ignored), with a
seeded RNG, so a run is reproducible. The classes:

* ``prefix``  the first letters of the name: at least half of it and at least 3 characters
              ("hatsune_" for hatsune_miku), in the search form (spaces).
* ``word``    one later word of a multi-word name, 3+ letters, not inside a qualifier's parentheses
              and not a stop word; what it means is the most-posted tag that has this word as a later
              word ("luka" -> megurine_luka, "shoulder" -> off_shoulder, "jacket" -> open_jacket: who
              wants military_jacket types "military").
* ``typo``    the name (5+ characters) with one edit after its first letter: a swap of neighbours,
              a deleted letter, an inserted or a replaced one.
* ``alias``   one of the tag's aliases, as written ("/hm" for hatsune_miku).
* ``chinese`` one of its Chinese labels, whole (初音未来).
* ``pinyin``  that label's full pinyin without spaces (chuyinweilai), with the label's letters and
              digits kept where they stand (瓶Miku -> pingmiku; dropping them gave "ping", which nobody
              types for 瓶Miku).

A label carried by more tags than a result page shows (``SHARED_LABEL_TAGS``: BooruTagCart gives
"（蔚蓝档案）游戏" to 100 Blue Archive characters, 表情符号 to 83 emoticons, 原神 to 40 tags) names none
of them: its ``chinese`` and ``pinyin`` queries mean the most-posted tag carrying it (原神 ->
genshin_impact), as a later word means the most-posted tag having it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tagdb.index import TagTable
from tagdb.normalize import has_cjk, pinyin, search_key, typed_pinyin

CLASSES = ("prefix", "word", "typo", "alias", "chinese", "pinyin")
SHARED_LABEL_TAGS = 5  # a label carried by more tags than this names none of them
STOP_WORDS = frozenset({"the", "and", "with", "from", "for", "into", "onto", "own"})
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class DerivedQuery:
    kind: str  # one of CLASSES
    query: str
    wanted: int  # tag index in the table


def _inner_words(name: str) -> list[str]:
    words, depth = [], 0
    for j, word in enumerate(name.split("_")):
        inside = depth > 0 or word.startswith("(")
        depth += word.count("(") - word.count(")")
        if j and not inside and len(word) >= 3 and word.isalpha() and word not in STOP_WORDS:
            words.append(word)
    return words


def _typo(name: str, rng: random.Random) -> str:
    s = list(name)
    j = rng.randrange(1, len(s) - 1)
    op = rng.randrange(4)
    if op == 0:
        s[j], s[j + 1] = s[j + 1], s[j]
    elif op == 1:
        del s[j]
    elif op == 2:
        s.insert(j, rng.choice(_LETTERS))
    else:
        s[j] = rng.choice(_LETTERS.replace(s[j], "") if s[j] in _LETTERS else _LETTERS)
    return "".join(s)


def _word_owners(table: TagTable, candidates: Sequence[int]) -> dict[str, int]:
    """Later word -> the most-posted tag (of all) having it as a later word, for the candidates' words."""
    wanted = {w for i in candidates for w in _inner_words(table.names[i])}
    best: dict[str, int] = {}
    for i, name in enumerate(table.names):
        if table.deprecated[i] or "_" not in name:
            continue
        for w in _inner_words(name):
            if w in wanted and (w not in best or table.post_counts[i] > table.post_counts[best[w]]):
                best[w] = i
    return best


def _zh_labels(table: TagTable, i: int) -> list[str]:
    return [text for lang, text in table.translations.get(i, ()) if lang == "zh" and has_cjk(text)]


def _shared_label_owners(table: TagTable) -> dict[str, int]:
    """Chinese label (search form) carried by more than SHARED_LABEL_TAGS tags -> its most-posted carrier."""
    carriers: dict[str, list[int]] = {}
    for i in table.translations:
        if not table.deprecated[i]:
            for key in {search_key(text) for text in _zh_labels(table, i)}:
                carriers.setdefault(key, []).append(i)
    return {key: max(tags, key=lambda i: (int(table.post_counts[i]), -i))
            for key, tags in carriers.items() if len(tags) > SHARED_LABEL_TAGS}


def _derive(kind: str, i: int, table: TagTable, rng: random.Random) -> tuple[str | None, str]:
    """(query, the Chinese label it comes from or "")."""
    name = table.names[i]
    if kind == "prefix":
        key = search_key(name)
        return key[: rng.randint(min(len(key), max(3, (len(key) + 1) // 2)), len(key))], ""
    if kind == "word":
        words = _inner_words(name)
        return (rng.choice(words) if words else None), ""
    if kind == "typo":
        return (_typo(name, rng) if len(name) >= 5 else None), ""
    if kind == "alias":
        aliases = table.aliases.get(i, ())
        return (rng.choice(aliases) if aliases else None), ""
    labels = _zh_labels(table, i)
    if not labels:
        return None, ""
    label = rng.choice(labels)
    if kind == "chinese":
        return label, label
    full = "".join((typed_pinyin(label) or pinyin(label)).split())
    return (full if len(full) >= 2 else None), label


def derive_queries(table: TagTable, per_class: int, *, seed: int = 1, pool: int = 20_000,
                   classes: Sequence[str] = CLASSES) -> list[DerivedQuery]:
    """``per_class`` queries of each class (fewer when the data cannot give that many)."""
    rng = random.Random(seed)
    counts = table.post_counts
    popular = sorted((i for i in range(len(table.names)) if not table.deprecated[i]),
                     key=lambda i: (-int(counts[i]), table.names[i]))[:pool]
    weights = [1.0 / (rank + 10) for rank in range(len(popular))]
    owners = _word_owners(table, popular) if "word" in classes else {}
    label_owners = _shared_label_owners(table) if {"chinese", "pinyin"} & set(classes) else {}
    out: list[DerivedQuery] = []
    for kind in classes:
        seen: set[str] = set()
        for _ in range(per_class * 50):  # tags that cannot give this kind are drawn again
            if len(seen) >= per_class:
                break
            i = rng.choices(popular, weights)[0]
            q, label = _derive(kind, i, table, rng)
            if q and q.strip() and q not in seen:
                seen.add(q)
                wanted = owners[q] if kind == "word" else label_owners.get(search_key(label), i) if label else i
                out.append(DerivedQuery(kind, q, wanted))
    return out


def hit_rates(queries: Sequence[DerivedQuery], top5: Callable[[str], Sequence[int]]) -> dict[str, float]:
    """Share of queries per class (and ``all``) whose wanted tag is in ``top5(query)``."""
    hits: dict[str, list[bool]] = {}
    for dq in queries:
        hits.setdefault(dq.kind, []).append(dq.wanted in list(top5(dq.query))[:5])
    rates = {kind: sum(v) / len(v) for kind, v in hits.items()}
    every = [h for v in hits.values() for h in v]
    rates["all"] = sum(every) / len(every) if every else 0.0
    return rates


def misses(queries: Sequence[DerivedQuery], top5: Callable[[str], Sequence[int]]) -> list[DerivedQuery]:
    return [dq for dq in queries if dq.wanted not in list(top5(dq.query))[:5]]
