"""The tag database as a pandas table (built once per database file, shared read-only) and the
filters and summaries the Tags page shows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from promptlab.i18n import t

CATEGORIES = (0, 1, 3, 4, 5, 8)  # 8: SD vocabulary (tagdb.Category.SD)
POST_BUCKETS = ((None, None, "?"), (0, 0, "0"), (1, 9, "1–9"), (10, 99, "10–99"), (100, 999, "100–999"),
                (1_000, 9_999, "1k–10k"), (10_000, 99_999, "10k–100k"), (100_000, None, "100k+"))


def _stamp(db: Any) -> tuple:
    st_ = db.path.stat()
    return (str(db.path), st_.st_ino, st_.st_mtime_ns, st_.st_size)


@st.cache_resource(show_spinner=False, max_entries=2)
def _frame(stamp: tuple, _db: Any) -> pd.DataFrame:
    table = _db.index().table
    n = len(table.names)
    zh = [next((text for code, text in table.translations.get(i, ()) if code == "zh"), "") for i in range(n)]
    counts = np.asarray(table.post_counts, dtype=np.int64)
    frame = pd.DataFrame({
        "name": table.names,
        "category": np.asarray(table.categories, dtype=np.int64),
        "post_count": pd.array(np.where(counts < 0, 0, counts), dtype="Int64").astype("Int64"),
        "zh": zh,
        "aliases": [", ".join(table.aliases.get(i, ())) for i in range(n)],
        "deprecated": np.asarray(table.deprecated, dtype=bool),
    })
    frame.loc[counts < 0, "post_count"] = pd.NA
    return frame


class _FrameCache:
    """``tag_frame(db)``: the table of the database file as it is now (rebuilt when the file changes)."""

    def __call__(self, db: Any) -> pd.DataFrame:
        return _frame(_stamp(db), db)

    @staticmethod
    def clear() -> None:
        _frame.clear()


tag_frame = _FrameCache()


def filter_frame(frame: pd.DataFrame, *, text: str = "", categories: list[int] | None = None, min_posts: int = 0,
                 coverage: str = "any", limit: int = 2000) -> tuple[pd.DataFrame, int]:
    """Rows matching the filters, most used first (at most ``limit``), and how many matched."""
    mask = np.ones(len(frame), dtype=bool)
    if text.strip():
        needle = text.strip().lower().replace(" ", "_")
        mask &= (frame["name"].str.contains(needle, regex=False)
                 | frame["zh"].str.contains(text.strip(), regex=False)
                 | frame["aliases"].str.contains(needle, regex=False)).to_numpy()
    if categories:
        mask &= frame["category"].isin(categories).to_numpy()
    if min_posts > 0:
        mask &= (frame["post_count"].fillna(0) >= min_posts).to_numpy()
    if coverage == "zh":
        mask &= (frame["zh"] != "").to_numpy()
    elif coverage == "no_zh":
        mask &= (frame["zh"] == "").to_numpy()
    matched = frame[mask]
    return matched.sort_values("post_count", ascending=False, na_position="last").head(limit), int(mask.sum())


def localize(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy()
    out["category"] = out["category"].map(lambda c: t(f"build.cat.{c}", lang) if c in CATEGORIES else str(c))
    return out.rename(columns={col: t(f"tags.col.{col}", lang) for col in out.columns})


def per_category(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    counts = frame["category"].value_counts()
    return pd.DataFrame({
        "category": [t(f"build.cat.{c}", lang) if c in CATEGORIES else str(c) for c in counts.index],
        "tags": counts.to_numpy(),
    })


def post_histogram(frame: pd.DataFrame) -> pd.DataFrame:
    posts = frame["post_count"]
    rows = []
    for low, high, label in POST_BUCKETS:
        if low is None:
            n = int(posts.isna().sum())
        else:
            sel = posts.fillna(-1) >= low
            if high is not None:
                sel &= posts.fillna(-1) <= high
            n = int(sel.sum())
        if n or label != "?":
            rows.append({"posts": label, "tags": n})
    out = pd.DataFrame(rows)
    out["posts"] = pd.Categorical(out["posts"], categories=[r["posts"] for r in rows], ordered=True)
    return out


def coverage(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Chinese translation coverage per category: tags, translated, percent (also weighted by use)."""
    rows = []
    for cat, group in frame.groupby("category"):
        has = group["zh"] != ""
        posts = group["post_count"].fillna(0).astype("int64")
        weighted = float(posts[has].sum()) / float(posts.sum()) * 100 if posts.sum() else 0.0
        rows.append({
            t("tags.col.category", lang): t(f"build.cat.{cat}", lang) if cat in CATEGORIES else str(cat),
            t("tags.cov.tags", lang): len(group),
            t("tags.cov.translated", lang): int(has.sum()),
            t("tags.cov.percent", lang): round(float(has.mean()) * 100, 1),
            t("tags.cov.weighted", lang): round(weighted, 1),
        })
    return pd.DataFrame(rows)
