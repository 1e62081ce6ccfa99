"""A file cache of the built search index, so a restarted app searches in a second, not after a rebuild.

``<db>.<tagset>.index.npz`` sits next to the database and holds every array and string list of a
``SearchIndex`` (numpy ``savez``, no pickle: loading it never runs code). It records the database
file's (inode, mtime, size) and a format number; any mismatch means "rebuild", so an import (which
replaces the file) invalidates it. Writing is best effort: a read-only folder just means no cache.
"""

from __future__ import annotations

import os
import zipfile
from array import array
from pathlib import Path

import numpy as np

from tagdb.index import Entries, SearchIndex, TagTable

FORMAT = 6  # 2: ranking by score + popularity (row_rank changed); 3: typed pinyin keys (瓶Miku: pingmiku);
# 4: one-deletion variants of short keys (del_keys, del_rows), Han readings for mixed queries; 5: ü-as-u pinyin keys;
# 6: phrase-aware pinyin keys (角色扮演: juesebanyan)
_ARRAYS = ("row_tag", "row_level", "row_via", "row_lang", "row_rank", "row_cat", "trans_start", "trans_tag",
           "trans_len", "trans_lang", "fuzzy_rows", "gram_keys", "gram_starts", "gram_rows", "word_rows", "_pops",
           "del_keys", "del_rows")
_STRINGS = ("keys", "row_text", "word_keys")


def cache_path(db_path: Path, tagset: str) -> Path:
    return db_path.with_name(f"{db_path.name}.{tagset}.index.npz")


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    blob = "".join(strings).encode("utf-8", "surrogatepass")
    return np.frombuffer(blob, dtype=np.uint8), np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))


def _unpack(blob: np.ndarray, lengths: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8", "surrogatepass")
    ends = np.cumsum(lengths).tolist()
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]


def _ints(values: np.ndarray, code: str) -> array:
    out = array(code)
    out.frombytes(values.astype(np.int32 if code == "i" else np.int8).tobytes())
    return out


def save(index: SearchIndex, path: Path, stamp: tuple[int, int, int]) -> bool:
    """Write the cache; False when the folder is not writable (the index still works, uncached)."""
    t = index.table
    data: dict[str, np.ndarray] = {"meta": np.array([FORMAT, *stamp], dtype=np.int64)}
    for name in _ARRAYS:
        data[name] = getattr(index, name)
    for name in _STRINGS:
        data[f"{name}_blob"], data[f"{name}_len"] = _pack(getattr(index, name))
    data["t_ids"], data["t_cat"], data["t_posts"], data["t_dep"] = t.ids, t.categories, t.post_counts, t.deprecated
    data["t_names_blob"], data["t_names_len"] = _pack(t.names)
    alias_owner = [i for i, names in t.aliases.items() for _ in names]
    data["alias_owner"] = np.array(alias_owner, dtype=np.int32)
    data["alias_blob"], data["alias_len"] = _pack([a for names in t.aliases.values() for a in names])
    tr_owner = [i for i, pairs in t.translations.items() for _ in pairs]
    data["tr_owner"] = np.array(tr_owner, dtype=np.int32)
    data["tr_lang_blob"], data["tr_lang_len"] = _pack([lang for pairs in t.translations.values() for lang, _ in pairs])
    data["tr_text_blob"], data["tr_text_len"] = _pack([text for pairs in t.translations.values() for _, text in pairs])
    tr = index.trans
    for name in ("keys", "texts", "langs"):
        data[f"e_{name}_blob"], data[f"e_{name}_len"] = _pack(getattr(tr, name))
    for name in ("tags", "levels", "vias"):
        data[f"e_{name}"] = np.frombuffer(getattr(tr, name), dtype=np.int32 if name == "tags" else np.int8)
    langs = sorted(index.lang_codes, key=index.lang_codes.get)
    data["lang_blob"], data["lang_len"] = _pack(langs)
    data["hr_chars_blob"], data["hr_chars_len"] = _pack(list(index.han_readings))
    data["hr_syll_blob"], data["hr_syll_len"] = _pack(list(index.han_readings.values()))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def load(path: Path, stamp: tuple[int, int, int], tagset: str) -> SearchIndex | None:
    """The cached index when it matches ``stamp`` and this format, else None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if z["meta"].tolist() != [FORMAT, *stamp]:
                return None
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing/truncated/foreign: rebuild
        return None
    names = _unpack(data["t_names_blob"], data["t_names_len"])
    aliases: dict[int, list[str]] = {}
    for owner, alias in zip(data["alias_owner"].tolist(), _unpack(data["alias_blob"], data["alias_len"])):
        aliases.setdefault(owner, []).append(alias)
    translations: dict[int, list[tuple[str, str]]] = {}
    for owner, lang, text in zip(data["tr_owner"].tolist(), _unpack(data["tr_lang_blob"], data["tr_lang_len"]),
                                 _unpack(data["tr_text_blob"], data["tr_text_len"])):
        translations.setdefault(owner, []).append((lang, text))
    table = TagTable(ids=data["t_ids"], names=names, categories=data["t_cat"], post_counts=data["t_posts"],
                     deprecated=data["t_dep"], aliases={i: tuple(v) for i, v in aliases.items()},
                     translations={i: tuple(v) for i, v in translations.items()}, tagset=tagset)
    index = SearchIndex.__new__(SearchIndex)
    index.table = table
    index.tag_by_name = {n: i for i, n in enumerate(names)}
    index.alias_target = {a: names[i] for i, v in table.aliases.items() for a in v}
    for name in _ARRAYS:
        setattr(index, name, data[name])
    index.set_popularity(data["_pops"])
    for name in _STRINGS:
        setattr(index, name, _unpack(data[f"{name}_blob"], data[f"{name}_len"]))
    index.trans = Entries(keys=_unpack(data["e_keys_blob"], data["e_keys_len"]), tags=_ints(data["e_tags"], "i"),
                          levels=_ints(data["e_levels"], "b"), vias=_ints(data["e_vias"], "b"),
                          texts=_unpack(data["e_texts_blob"], data["e_texts_len"]),
                          langs=_unpack(data["e_langs_blob"], data["e_langs_len"]))
    index.trans_text = "\x00".join(index.trans.keys) + "\x00"
    index.lang_codes = {lang: code for code, lang in enumerate(_unpack(data["lang_blob"], data["lang_len"]))}
    index.lang_names = {v: k for k, v in index.lang_codes.items()}
    index.han_readings = dict(zip(_unpack(data["hr_chars_blob"], data["hr_chars_len"]),
                                  _unpack(data["hr_syll_blob"], data["hr_syll_len"])))
    index.loaded_from_cache = True
    return index
