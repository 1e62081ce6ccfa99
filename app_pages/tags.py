"""Tags page: browse the tag database (filters, stats, charts), import tag files, update from Danbooru."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages.common import lang, show_error, tag_db, tag_db_error, tag_db_path, tag_db_stats, tag_index_ready
from app_pages.components import tag_first_run, tag_table
from app_pages.components.prompt_tools import CATEGORY_DOT
from promptlab.i18n import t

L = lang()
st.title(t("tags.title", L))

db = tag_db()
stats = tag_db_stats(db) if db is not None else None
if stats is None:
    st.error(t("app.tagdb.unavailable", L, path=tag_db_path(), error=tag_db_error()))
else:
    m = st.columns(4)
    m[0].metric(t("tags.stat.tags", L), f"{stats['tags']:,}")
    m[1].metric(t("tags.stat.aliases", L), f"{stats['aliases']:,}")
    m[2].metric(t("tags.stat.translations", L), f"{sum(stats['translations'].values()):,}")
    m[3].metric(t("tags.stat.presets", L), f"{sum(stats['presets'].values()):,}")
    if stats["tags"] == 0:
        st.warning(t("app.tagdb.empty", L))
    tag_first_run.first_run_offer(stats, tag_db_path(), L, on_import=tag_table.tag_frame.clear)

# Lazy tabs: only the open one is computed.
tab_browse, tab_charts, tab_import = st.tabs([t("tags.tab.browse", L), t("tags.tab.charts", L), t("tags.tab.import", L)],
                                             key="tags.tab", on_change="rerun")


def _browse(frame) -> None:
    if frame is None:
        st.info(t("tags.nothing", L))
    else:
        c1, c2, c3, c4 = st.columns([2, 3, 2, 2])
        text = c1.text_input(t("tags.filter.text", L), key="tags.text")
        cats = c2.multiselect(t("tags.filter.category", L), options=list(tag_table.CATEGORIES), key="tags.cats",
                              placeholder=t("common.choose_many", L),
                              format_func=lambda c: f"{CATEGORY_DOT.get(c, '')} {t(f'build.cat.{c}', L)}")
        min_posts = c3.number_input(t("tags.filter.min_posts", L), min_value=0, value=0, step=100, key="tags.min_posts")
        coverage = c4.selectbox(t("tags.filter.lang", L), options=("any", "zh", "no_zh"), key="tags.lang",
                                format_func=lambda x: t(f"tags.lang.{x}", L))
        shown, total = tag_table.filter_frame(frame, text=text, categories=cats, min_posts=int(min_posts),
                                              coverage=coverage, limit=2000)
        st.caption(t("tags.shown", L, shown=len(shown), total=f"{total:,}"))
        st.dataframe(tag_table.localize(shown, L), hide_index=True, width="stretch", height=420)


def _charts(frame) -> None:
    if frame is None:
        st.info(t("tags.nothing", L))
    else:
        st.subheader(t("tags.chart.per_category", L))
        st.bar_chart(tag_table.per_category(frame, L), x="category", y="tags", horizontal=True)
        st.subheader(t("tags.chart.posts", L))
        st.bar_chart(tag_table.post_histogram(frame), x="posts", y="tags")
        st.subheader(t("tags.chart.coverage", L))
        st.dataframe(tag_table.coverage(frame, L), hide_index=True, width="stretch")


def _import_and_update() -> None:
    import tagdb

    formats = [f.value for f in tagdb.Format]
    fmt = st.selectbox(t("tags.import.format", L), formats, key="tags.fmt", format_func=lambda f: t(f"tags.fmt.{f}", L))
    upload = st.file_uploader(t("tags.import.file", L), key="tags.upload", type=["csv", "txt", "json", "yaml", "yml"])
    if upload is not None and st.button(t("tags.import.go", L), key="tags.import_go"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            try:
                with st.spinner(t("tags.import.running", L)):
                    report = tagdb.import_file(path, fmt, db=tag_db_path())
                st.success(report.summary())
                for line, reason in report.bad_rows[:10]:
                    st.warning(t("tags.import.bad_row", L, line=line, reason=reason))
                tag_table.tag_frame.clear()
            except (tagdb.TagDBError, OSError, ValueError) as exc:
                show_error(exc, L, sentence=t("tags.import.failed", L))
    tag_first_run.import_from_folder(tag_db_path(), L, on_import=tag_table.tag_frame.clear)
    st.divider()
    st.subheader(t("tags.full.title", L))
    st.caption(t("tags.update.help", L))
    u0, u1, u2 = st.columns([3, 2, 1], vertical_alignment="bottom")
    base_url = u0.text_input(t("tags.update.url", L), value="https://danbooru.donmai.us", key="tags.update_url")
    min_count = u1.number_input(t("tags.update.min_posts", L), min_value=0, value=25, step=25, key="tags.update_min")
    restart = u2.toggle(t("tags.update.restart", L), key="tags.update_restart", help=t("tags.update.restart_help", L))
    if st.button(t("tags.update.go", L), key="tags.update_go"):
        from tagdb.importers.danbooru_api import DanbooruUpdate

        bar = st.progress(0.0)
        status = st.status(t("tags.update.running", L), expanded=True)
        try:
            updater = DanbooruUpdate(tag_db_path(), base_url=base_url.strip(), min_posts=int(min_count),
                                     retries=1, progress=status.write, fraction=lambda share: bar.progress(
                                         share, text=t("tags.full.progress", L, percent=int(share * 100))))
            report = updater.run(restart=restart)
            status.update(label=report.summary(), state="complete")
            tag_table.tag_frame.clear()
        except (tagdb.TagDBError, OSError) as exc:
            status.update(label=t("tags.update.failed", L), state="error")
            show_error(exc, L, sentence=t("tags.update.failed", L))
    st.caption(t("tags.update.cli", L))
    st.code("promptlab tags update --min-posts 25", language="bash")


frame = None
if stats is not None and stats["tags"] and not tab_import.open:
    with st.spinner(t("build.indexing", L)):
        tag_index_ready(db, wait=300)
    frame = tag_table.tag_frame(db)
if tab_browse.open:
    with tab_browse:
        _browse(frame)
if tab_charts.open:
    with tab_charts:
        _charts(frame)
if tab_import.open:
    with tab_import:
        _import_and_update()
