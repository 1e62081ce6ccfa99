"""What every page shares: the UI language, the cached tag database, the user library, the sidebar.

Heavy immutable things (the tag DB and its search index) sit in ``st.cache_resource`` and are
never mutated per user; everything per user lives in ``st.session_state`` under namespaced keys.
Nothing here imports torch.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from promptlab.errors import PromptlabError
from promptlab.i18n import LANGUAGE_NAMES, LANGUAGES, t
from promptlab.library import Library, default_library_path
from promptlab.paths import MODEL_KINDS, models_root, user_home

LANG_KEY = "ui.lang"
BACKENDS_IN_USE = "app.backends_in_use"   # names of the backends the Generate/Compare page chose (for the sidebar)
LOCAL_UNREADY = "app.local_unready"   # True when "this machine" is ticked but cannot run (no model, no diffusers)
LIBRARY_PATH_KEY = "library.path"
INDEX_WARMUP_DELAY_S = 1.5
MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf")

# Streamlit page files, in navigation order: (slug, file, i18n key, icon)
PAGES = (
    ("build", "app_pages/build.py", "app.page.build", ":material/construction:"),
    ("read", "app_pages/read.py", "app.page.read", ":material/image_search:"),
    ("generate", "app_pages/generate.py", "app.page.generate", ":material/brush:"),
    ("compare", "app_pages/compare.py", "app.page.compare", ":material/grid_view:"),
    ("tags", "app_pages/tags.py", "app.page.tags", ":material/sell:"),
    ("library", "app_pages/library.py", "app.page.library", ":material/bookmarks:"),
    ("gallery", "app_pages/gallery.py", "gallery.page_title", ":material/photo_library:"),
)


def lang() -> str:
    """The UI language of this session ("en" or "zh")."""
    value = st.session_state.get(LANG_KEY, "en")
    return value if value in LANGUAGES else "en"


SHOWN_LANG_KEY = "ui.lang_shown"   # the language the page was last drawn in
# Tabs remember the *label* of the open tab; on a language switch it is carried over to the new label.
TAB_KEYS = ("build.tab", "tags.tab", "library.tab")


def _language_changed() -> None:
    """Keep the page as it was across a language switch: widgets are keyed by stable ids (their state
    survives on its own); open tabs are stored by translated label, so they are renamed here."""
    state = st.session_state
    new, old = state.get(LANG_KEY), state.get(SHOWN_LANG_KEY, "en")
    if new not in LANGUAGES:   # clicking the selected language again would deselect it: keep it
        state[LANG_KEY] = new = old if old in LANGUAGES else "en"
    if new == old:
        return
    # The browser sends a radio's or select's choice back as its *label*, which the new language no
    # longer has: the choice would be lost. Writing those values back here makes Streamlit send the
    # kept value (an option id) to the browser instead. Only choice-like values: buttons (bool) and
    # uploads refuse to be written.
    for key in list(state.keys()):
        if isinstance(key, str) and key not in (LANG_KEY, SHOWN_LANG_KEY) and _choice_like(state[key]):
            state[key] = state[key]
    by_text = {texts.get(old): texts.get(new) for texts in catalog_texts()}
    for key in TAB_KEYS:
        if isinstance(state.get(key), str) and by_text.get(state[key]):
            state[key] = by_text[state[key]]
    state[SHOWN_LANG_KEY] = new


def _choice_like(value: Any) -> bool:
    from enum import Enum

    def plain(v: Any) -> bool:
        return isinstance(v, (str, int, float, Enum)) and not isinstance(v, bool)

    return plain(value) or (isinstance(value, (list, tuple)) and bool(value) and all(plain(v) for v in value))


def catalog_texts() -> list[dict]:
    from promptlab.i18n import catalog

    return [dict(texts) for key, texts in catalog().items() if ".tab." in key]


def language_switch() -> str:
    st.session_state.setdefault(SHOWN_LANG_KEY, st.session_state.get(LANG_KEY, "en"))
    _language_changed()   # also when the language was set without the switch (a link, a test)
    st.sidebar.segmented_control(
        t("common.language", lang()), options=list(LANGUAGES), format_func=LANGUAGE_NAMES.get,
        key=LANG_KEY, selection_mode="single", on_change=_language_changed, required=True,
    )
    st.session_state[SHOWN_LANG_KEY] = lang()
    return lang()


# -- tag database ---------------------------------------------------------------------------
def tag_db_path() -> Path:
    return user_home() / "tags.sqlite"


@st.cache_resource(show_spinner=False)
def _open_tag_db(path: str) -> Any:
    import tagdb

    tagdb.ensure_starter_db(Path(path))
    return tagdb.open_db(Path(path), readonly=True)


def shared_tag_db() -> Any:
    """The process-wide read-only TagDB (raises when it cannot be opened). Safe outside a script run:
    the tag-search endpoint shares it, and its search index, with every session."""
    return _open_tag_db(str(tag_db_path()))


def tag_db() -> Any | None:
    """The shared read-only TagDB, or None when it cannot be opened (the reason is in tag_db_error())."""
    try:
        return shared_tag_db()
    except (PromptlabError, ImportError, OSError, ValueError, RuntimeError) as exc:
        st.session_state["app.tagdb_error"] = str(exc)
        return None
    except Exception as exc:  # sqlite3.DatabaseError and tagdb's own errors: report, keep the app alive
        st.session_state["app.tagdb_error"] = f"{type(exc).__name__}: {exc}"
        return None


class _IndexWarmup:
    """Builds a TagDB's search index once, in a background thread. ``start(delay)`` may be called
    any number of times: a pending delayed start is brought forward when someone needs it now."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._running = False

    def _work(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
        try:
            self.db.index()
        except Exception:  # noqa: BLE001 - the page that next uses the index reports the error itself
            pass
        finally:
            self.done.set()

    def start(self, delay: float) -> None:
        with self._lock:
            if self._running:
                return
            if self._timer is not None:
                if delay > 0:
                    return
                self._timer.cancel()
            self._timer = threading.Timer(delay, self._work)
            self._timer.name, self._timer.daemon = "promptlab-tag-index", True
            self._timer.start()


@st.cache_resource(show_spinner=False, max_entries=4)
def _index_warmup(path: str, stamp: tuple[int, int, int]) -> _IndexWarmup:
    return _IndexWarmup(_open_tag_db(path))


def tag_index_ready(db: Any, wait: float = 0.5) -> bool:
    """Whether the search index is built, starting its background build if needed.

    ``wait > 0``: the caller needs it now (build at once, wait up to ``wait`` seconds — enough for
    small databases). ``wait == 0``: build soon, after the page being drawn reached the browser
    (loading holds the GIL for ~0.5 s on 140k tags, building for seconds)."""
    try:
        stamp = _file_stamp(db.path)
    except OSError:
        return False
    warmup = _index_warmup(str(db.path), stamp)
    warmup.start(INDEX_WARMUP_DELAY_S if wait <= 0 else 0.0)
    return warmup.done.wait(wait) if wait > 0 else warmup.done.is_set()


def tag_db_error() -> str:
    return st.session_state.get("app.tagdb_error", "")


def tag_db_or_message(lang: str) -> Any | None:
    """The TagDB, or None after showing a clear message with the command that fixes it."""
    db = tag_db()
    if db is None:
        st.error(t("app.tagdb.unavailable", lang, path=tag_db_path(), error=tag_db_error()))
        st.code(TAGDB_FIX_COMMAND, language="bash")
    return db


TAGDB_FIX_COMMAND = "promptlab tags import <file.csv>   # or delete the broken tags.sqlite to rebuild the starter set"


def _file_stamp(path: Path) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns, info.st_size


# TagDB.stats / taxonomy / presets run SQL over the whole database (seconds on 150k tags): cached
# per file version, so a rerun costs nothing and an import shows up at once.
@st.cache_resource(show_spinner=False, max_entries=4)
def _stats(path: str, stamp: tuple[int, int, int]) -> Future:
    """``stats()`` computed in the background (about a second on 150k tags), once per file version."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promptlab-tag-stats")
    future = pool.submit(lambda: _open_tag_db(path).stats())
    pool.shutdown(wait=False)
    return future


@st.cache_resource(show_spinner=False, max_entries=4)
def _probe(path: str, stamp: tuple[int, int, int]) -> bool:
    """One cheap query: raises when the file is not a readable tag database."""
    _open_tag_db(path).taxonomies()
    return True


@st.cache_resource(show_spinner=False, max_entries=8)
def _taxonomy(path: str, stamp: tuple[int, int, int], lang: str) -> tuple:
    return tuple(_open_tag_db(path).taxonomy(lang))


@st.cache_resource(show_spinner=False, max_entries=4)
def _presets(path: str, stamp: tuple[int, int, int]) -> tuple:
    return tuple(_open_tag_db(path).presets())


def tag_db_stats(db: Any, wait: float | None = None) -> dict | None:
    """``db.stats()`` (cached per file version), or None after noting why it failed.

    Raises ``TimeoutError`` when the figures are not ready within ``wait`` seconds (None: wait)."""
    try:
        return _stats(str(db.path), _file_stamp(db.path)).result(timeout=wait)
    except FutureTimeout as exc:
        raise TimeoutError("tag statistics are still being computed") from exc
    except Exception as exc:  # a damaged file shows up on first query
        st.session_state["app.tagdb_error"] = f"{type(exc).__name__}: {exc}"
        return None


def tag_db_usable(db: Any) -> bool:
    """Whether the database answers queries (cheap; cached per file version)."""
    try:
        return _probe(str(db.path), _file_stamp(db.path))
    except Exception as exc:  # sqlite3.DatabaseError, tagdb errors: report, keep the app alive
        st.session_state["app.tagdb_error"] = f"{type(exc).__name__}: {exc}"
        return False


def tag_taxonomy(db: Any, lang: str) -> tuple:
    return _taxonomy(str(db.path), _file_stamp(db.path), lang)


def tag_presets(db: Any) -> tuple:
    return _presets(str(db.path), _file_stamp(db.path))


# -- user library ---------------------------------------------------------------------------
def library() -> Library:
    """The library of this session (the path is configurable on the Library page)."""
    path = st.session_state.get(LIBRARY_PATH_KEY) or str(default_library_path())
    return Library(path)


def show_error(exc: BaseException, lang: str, *, container: Any = None, warning: bool = False,
               sentence: str | None = None) -> None:
    """``sentence`` (what failed, optional) and a sentence in the UI language that says what to do (chosen
    for the exception by app_pages/error_text.py), the exception's English detail in an expander below.

    In the English UI a PromptlabError's own message is that second sentence (it names the file, the
    value, what to do). Bad input opens its detail at once: it says what to change."""
    from app_pages.error_text import error_detail, error_key, error_params

    box = container if container is not None else st
    show = box.warning if warning else box.error
    lead = f"{sentence} " if sentence else ""
    if lang == "en" and isinstance(exc, PromptlabError):
        show(f"{lead}{exc}")
        return
    show(f"{lead}{t(error_key(exc), lang, **error_params(exc))}")
    english_details(error_detail(exc), lang, container=box, expanded=isinstance(exc, ValueError))


def english_details(text: str, lang: str, *, container: Any = None, expanded: bool = False) -> None:
    """Library English under a translated sentence (an error's message, readers' notes), in an expander."""
    box = container if container is not None else st
    with box.expander(t("app.error.details", lang), expanded=expanded):
        st.code(text, language=None, wrap_lines=True)


# -- what is installed ------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelCounts:
    root: str
    counts: tuple[tuple[str, int], ...]

    def get(self, kind: str) -> int:
        return dict(self.counts).get(kind, 0)


@st.cache_data(ttl=30, show_spinner=False)
def scan_models(root: str) -> ModelCounts:
    base = Path(root)
    counts = []
    for kind in MODEL_KINDS:
        folder = base / kind
        n = 0
        if folder.is_dir():
            for dirpath, _dirs, files in os.walk(folder):
                if kind == "taggers":
                    n += "model.onnx" in files
                elif kind == "wildcards":
                    n += sum(f.endswith((".txt", ".yaml", ".yml", ".json")) for f in files)
                else:
                    n += sum(f.lower().endswith(MODEL_SUFFIXES) for f in files)
        counts.append((kind, n))
    return ModelCounts(root=root, counts=tuple(counts))


def installed(module: str) -> bool:
    """Whether a module can be imported, without importing it (find_spec loads nothing heavy)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def render_sidebar(lang: str) -> None:
    """What is available and what is missing, each missing thing with the command that fixes it."""
    sb = st.sidebar
    sb.caption(t("app.sidebar.status", lang))
    missing: list[tuple[str, str]] = []
    db = tag_db()
    try:
        stats = tag_db_stats(db, wait=0.3) if db is not None and tag_db_usable(db) else None
    except TimeoutError:
        stats = {"tags": None}  # shown on the next run; the first paint does not wait for it
    if stats is None:
        missing.append((t("app.sidebar.no_tagdb", lang, error=tag_db_error()), TAGDB_FIX_COMMAND))
    elif stats["tags"] is None:
        sb.markdown(t("app.sidebar.tagdb_counting", lang))
    else:
        total = _stat(stats, "tags", "total", "tag_count")
        sb.markdown(t("app.sidebar.tagdb", lang, count=f"{total:,}" if isinstance(total, int) else "?"))
        if total == 0:
            missing.append((t("app.sidebar.empty_tagdb", lang), "promptlab tags import <file.csv>"))
    counts = scan_models(str(models_root()))
    sb.markdown(t("app.sidebar.models", lang, ckpt=counts.get("Stable-diffusion"), lora=counts.get("Lora"),
                  vae=counts.get("VAE"), emb=counts.get("embeddings"), taggers=counts.get("taggers")))
    from promptlab import doctor   # the same OS-specific fix commands as `promptlab doctor`

    has_diffusers = installed("diffusers") and installed("torch")
    chosen = st.session_state.get(BACKENDS_IN_USE)
    if chosen is not None:   # what the Generate/Compare page actually uses, not just what is installed
        if st.session_state.get(LOCAL_UNREADY):   # ticked, but not usable: say so rather than "none chosen"
            chosen = [*chosen, t("app.sidebar.local_unready", lang)]
        sb.markdown(t("app.sidebar.backend_chosen", lang, names=", ".join(chosen)) if chosen
                    else t("app.sidebar.backend_unchosen", lang))
    else:
        sb.markdown(t("app.sidebar.backend_local", lang) if has_diffusers else t("app.sidebar.backend_none", lang))
    checkout = doctor.checkout_root()
    if not has_diffusers:
        missing.append((t("app.sidebar.no_diffusers", lang), doctor.install_command("diffusion", checkout=checkout)))
    if counts.get("Stable-diffusion") == 0:
        missing.append((t("app.sidebar.no_checkpoint", lang, root=counts.root), doctor.fix_checkpoint(counts.root)))
    if not installed("onnxruntime"):
        missing.append((t("app.sidebar.no_onnx", lang), doctor.install_command("tagger", checkout=checkout)))
    if counts.get("taggers") == 0:
        missing.append((t("app.sidebar.no_tagger", lang, root=counts.root), doctor.fix_tagger(counts.root)))
    sb.caption(t("app.sidebar.mirror", lang, endpoint=doctor.hf_endpoint()))
    if missing:
        with sb.expander(t("app.sidebar.missing", lang, n=len(missing))):
            for message, command in missing:
                st.markdown(message)
                st.code(command, language=doctor.shell_name(), wrap_lines=True)
            st.caption(t("app.sidebar.doctor", lang))


def _stat(stats: Any, *names: str) -> Any:
    for name in names:
        if isinstance(stats, dict) and name in stats:
            return stats[name]
        if hasattr(stats, name):
            return getattr(stats, name)
    return None
