"""Gallery page: index folders, search 100,000 images by prompt and parameters, look at one, diff two,
send one on to Build / Generate / img2img / Replay. The work is promptlab.gallery's; this draws it."""

from __future__ import annotations

import datetime as dt
import math
import re

import streamlit as st

from app_pages.common import PAGES, lang, tag_db
from app_pages.components.gallery_view import DETAIL, SELECTED, detail, grid, show_diff
from promptlab import gallery
from promptlab.gallery.query import SORTS
from promptlab.gallery.scan import check_roots
from promptlab.gallery.store import get as get_record
from promptlab.i18n import t

L = lang()
S = st.session_state
PAGE = {slug: path for slug, path, _k, _i in PAGES}
PAGE_SIZE = 48
_CJK = re.compile(r"[\u3400-\u9fff]")


@st.cache_data(ttl=30, show_spinner=False)
def facets(db_path: str, version: int) -> gallery.Stats:
    """The filter choices; ``version`` (row count and last id) makes a new scan show up at once."""
    conn = gallery.connect(db_path)
    try:
        return gallery.stats(conn, top=200)
    finally:
        conn.close()


def translator():
    """Chinese word -> tags, from the shared tag database (None when it cannot be opened)."""
    db = tag_db()
    if db is None:
        return None
    return lambda word: [hit.tag.name for hit in db.search(word, limit=5, langs=["zh"], score_cutoff=95)]


def quoted(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


st.title(t("gallery.page_title", L))
st.caption(t("gallery.intro", L))
db_path = str(S.get("gallery.db") or gallery.default_db_path())

# -- indexing (in a background thread; a fragment polls its progress) --------------------------
with st.expander(t("gallery.index_btn", L), expanded=not gallery.default_db_path().exists()):
    folders = st.text_area(t("gallery.folders", L), key="gallery.folders", height=80)
    running: gallery.BackgroundScan | None = S.get("gallery.scan")
    if st.button(t("gallery.index_btn", L), key="gallery.index", disabled=bool(running and running.running)):
        roots = [line.strip() for line in folders.splitlines() if line.strip()]
        try:
            check_roots(roots)  # a clear error now, not in the background thread
            S["gallery.scan"] = running = gallery.BackgroundScan(tuple(roots), db_path=db_path).start()
        except gallery.GalleryError as exc:
            st.error(exc.message(L))

    @st.fragment(run_every=1.0)
    def scan_progress() -> None:
        job: gallery.BackgroundScan | None = S.get("gallery.scan")
        if job is None:
            return
        p = job.progress
        if job.error is not None:
            st.error(job.error.message(L) if isinstance(job.error, gallery.GalleryError) else str(job.error))
        elif job.running:
            st.progress(p.read / p.to_read if p.to_read else 0.0,
                        text=t("gallery.indexing", L, read=p.read, to_read=p.to_read, found=p.found))
            if st.button(t("gallery.cancel_btn", L), key="gallery.cancel"):
                job.cancel()
        else:
            st.success(t("gallery.indexed", L, **{k: v for k, v in p.as_dict().items() if k != "problems"}))
        if p.problems:
            with st.expander(t("gallery.problems", L, n=len(p.problems))):
                st.code("\n".join(p.problems[:200]), language=None)

    scan_progress()

# -- search -------------------------------------------------------------------------------------
try:
    conn = gallery.connect(db_path)
except gallery.GalleryError as exc:  # an index from another version, a file that is not SQLite
    st.error(exc.message(L))
    st.stop()
version = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM images").fetchone()
info = facets(db_path, hash(tuple(version)))
query = st.text_input(t("gallery.query", L), key="gallery.query", placeholder=t("gallery.query_ph", L),
                      help=t("gallery.query_help", L))
any_ = t("gallery.any", L)
c1, c2, c3, c4, c5 = st.columns(5)
model = c1.selectbox(t("gallery.filter_model", L), [any_, *(m for m, _ in info.models)], key="gallery.model")
lora = c2.selectbox(t("gallery.filter_lora", L), [any_, *(m for m, _ in info.loras)], key="gallery.lora")
tool = c3.selectbox(t("gallery.filter_tool", L), [any_, *(m for m, _ in info.generators)], key="gallery.tool")
after = c4.date_input(t("gallery.filter_after", L), value=None, key="gallery.after")
sort = c5.selectbox(t("gallery.sort", L), list(SORTS), format_func=lambda s: t(f"gallery.sort.{s}", L),
                    key="gallery.sort")
full = " ".join([query] + [f"{field}:{quoted(value)}" for field, value in
                           (("model", model), ("lora", lora), ("tool", tool)) if value != any_]
                + ([f"after:{after.isoformat()}"] if isinstance(after, dt.date) else []))
page_no = int(S.get("gallery.page", 1))
try:
    translate = translator() if _CJK.search(full) else None
    result = gallery.search(conn, full, sort=sort, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                            translate=translate)
    if page_no > 1 and not result.records:  # the query changed and has fewer pages now
        S["gallery.page"] = page_no = 1
        result = gallery.search(conn, full, sort=sort, limit=PAGE_SIZE, translate=translate)
except gallery.GalleryError as exc:
    st.error(exc.message(L))
    result = None

if result is not None:
    pages = max(1, math.ceil((result.total or 0) / PAGE_SIZE))
    left, right = st.columns([1, 3])
    left.number_input(t("gallery.page", L), min_value=1, max_value=pages, step=1, key="gallery.page")
    right.caption(t("gallery.count", L, total=result.total_text, page=min(page_no, pages), pages=pages))
    selected: list[int] = S.setdefault(SELECTED, [])
    if selected:
        st.caption(t("gallery.selected", L, n=len(selected)))
    if st.button(t("gallery.diff_btn", L), key="gallery.diff", disabled=len(selected) != 2):
        S["gallery.diff_pair"] = tuple(selected)
    pair = S.get("gallery.diff_pair")
    if pair:
        recs = [get_record(conn, i) for i in pair]
        if all(recs):
            show_diff(recs[0], recs[1], L)
    if S.get(DETAIL):
        rec = get_record(conn, S[DETAIL])
        if rec is not None:
            detail(rec, L, PAGE)
    if result.records:
        grid(result.records, L)
    else:
        st.info(t("gallery.empty", L))
conn.close()
