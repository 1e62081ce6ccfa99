"""Tags page: the first-run offer to import an A1111/Forge install's tagcomplete files, and the same
import from a folder the user names. The work is tagdb's (``tagdb.importers.a1111``); this draws it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from promptlab.i18n import t

FOUND_KEY = "tags.a1111_found"  # session cache of the folder scan: (root, file names) or None
DISMISSED_KEY = "tags.a1111_done"


def _scan():
    """The first usual install with importable tag files, or None (scanned once per session)."""
    if FOUND_KEY not in st.session_state:
        from promptlab.cli.tags_cmds import a1111_candidates
        from tagdb.importers.a1111 import find_tag_files

        found = None
        for root in a1111_candidates():
            candidate = find_tag_files(root)
            if candidate.importable:
                found = candidate
                break
        st.session_state[FOUND_KEY] = found
    return st.session_state[FOUND_KEY]


def _run_import(found, db_path: Path, lang: str) -> bool:
    import tagdb
    from tagdb.importers.a1111 import import_a1111

    try:
        with st.spinner(t("tags.import.running", lang)):
            reports = import_a1111(found, db=db_path)
    except (tagdb.TagDBError, OSError) as exc:
        st.error(t("tags.a1111.failed", lang, error=exc))
        return False
    summary = "; ".join(f"{Path(r.source).name}: {r.summary()}" for r in reports)
    st.success(t("tags.a1111.done", lang, root=found.root, summary=summary))
    for skipped in found.skipped:
        st.caption(t("tags.a1111.skipped", lang, file=skipped.path.name, reason=skipped.reason))
    return True


def first_run_offer(stats: dict, db_path: Path, lang: str, on_import) -> None:
    """Offer the import while the database holds only the starter set and an install is found."""
    only_starter = all(s["kind"] == "starter" for s in stats.get("sources", []))
    if not only_starter or st.session_state.get(DISMISSED_KEY):
        return
    found = _scan()
    if found is None:
        return
    with st.container(border=True):
        st.info(t("tags.a1111.found", lang, root=found.root, files=", ".join(f.path.name for f in found.importable)))
        if st.button(t("tags.a1111.go", lang), key="tags.a1111_go", type="primary") and _run_import(found, db_path, lang):
            st.session_state[DISMISSED_KEY] = True
            on_import()


def import_from_folder(db_path: Path, lang: str, on_import) -> None:
    """The Import tab's "from an A1111 folder" row."""
    import tagdb
    from tagdb.importers.a1111 import find_tag_files

    c0, c1 = st.columns([4, 1], vertical_alignment="bottom")
    folder = c0.text_input(t("tags.a1111.folder", lang), key="tags.a1111_folder", help=t("tags.a1111.folder_help", lang))
    if c1.button(t("tags.a1111.go", lang), key="tags.a1111_folder_go", disabled=not folder.strip()):
        try:
            found = find_tag_files(folder.strip())
        except tagdb.TagDBError as exc:
            st.error(t("tags.a1111.failed", lang, error=exc))
            return
        if _run_import(found, db_path, lang):
            on_import()
