"""Compare page: build an X/Y/Z grid spec, see the cell count and time estimate, run it with progress
and cancel, then browse the results (any two axes as rows/columns, slide through the third), open a
cell's parameters and send it to Generate. The work is done by ``promptlab.grid``."""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from app_pages.common import PAGES, installed, lang, show_error
from promptlab.errors import PromptlabError
from promptlab.grid import DEFAULT_MAX_CELLS, AxisType, GridSpec, TimingModel, describe, format_duration, make_plan
from promptlab.grid.job import GridJob, is_ok, view
from promptlab.grid.spec import default_choices
from promptlab.i18n import t
from promptlab.paths import model_dir, user_home

L = lang()
PAGE = {slug: path for slug, path, _k, _i in PAGES}
JOB, RESOLVED, SELECTED, YAML_SPEC = "compare.job", "compare.resolved", "compare.selected", "compare.yaml_spec"
AXIS_NAMES = ("X", "Y", "Z")
LISTED = {AxisType.CHECKPOINT: "Stable-diffusion", AxisType.VAE: "VAE"}


def _model_names(kind: str) -> list[str]:
    folder = model_dir(kind)
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.suffix.lower() in (".safetensors", ".ckpt", ".pt", ".bin", ".gguf"))


def _base_form() -> dict:
    with st.expander(t("compare.base", L), expanded=True):
        base = {
            "prompt": st.text_area(t("compare.prompt", L), key="compare.prompt", height=80),
            "negative_prompt": st.text_area(t("compare.negative", L), key="compare.negative", height=68),
        }
        c = st.columns(5)
        base["steps"] = c[0].number_input(t("compare.steps", L), 1, 1000, 20, key="compare.steps")
        base["cfg_scale"] = c[1].number_input(t("compare.cfg", L), 0.0, 100.0, 7.0, 0.5, key="compare.cfg")
        base["seed"] = c[2].number_input(t("compare.seed", L), -1, 2**32 - 1, -1, key="compare.seed")
        base["width"] = c[3].number_input(t("compare.width", L), 64, 8192, 512, 8, key="compare.width")
        base["height"] = c[4].number_input(t("compare.height", L), 64, 8192, 512, 8, key="compare.height")
        c = st.columns(2)
        samplers = default_choices().samplers or ("Euler a",)
        base["sampler"] = c[0].selectbox(t("compare.sampler", L), samplers, key="compare.sampler")
        models = _model_names("Stable-diffusion")
        model = c[1].selectbox(t("compare.checkpoint", L), ["", *models], key="compare.model",
                              placeholder=t("common.choose_one", L))
        if model:
            base["model"] = model
    return base


def _axis_form(name: str, column) -> dict | None:
    with column:
        kind = st.selectbox(t("compare.axis", L, name=name), ["", *(a.value for a in AxisType)], key=f"compare.{name}.type",
                            format_func=lambda v: t(f"compare.axis.{v}", L) if v else t("compare.axis_none", L))
        if not kind:
            return None
        axis_type = AxisType(kind)
        label = t("compare.values", L, name=name)
        options = _model_names(LISTED[axis_type]) if axis_type in LISTED else None
        if axis_type is AxisType.SAMPLER:
            options = list(default_choices().samplers or ()) or None
        if options:
            values = st.multiselect(label, options, key=f"compare.{name}.pick", placeholder=t("common.choose_many", L))
        else:
            values = st.text_input(label, key=f"compare.{name}.values", help=t("compare.values_help", L))
        axis: dict = {"type": kind, "values": values}
        if axis_type is AxisType.LORA_WEIGHT:
            axis["lora"] = st.text_input(t("compare.lora_name", L), key=f"compare.{name}.lora").strip() or None
        elif axis_type is AxisType.WILDCARD:
            axis["wildcard"] = st.text_input(t("compare.wildcard_name", L), key=f"compare.{name}.wildcard").strip()
        elif axis_type is AxisType.VARIANT:
            axis["replace"] = st.text_input(t("compare.variant_replace", L), key=f"compare.{name}.replace") or None
            axis["template"] = st.text_input(t("compare.variant_template", L), key=f"compare.{name}.template") or None
        return {k: v for k, v in axis.items() if v is not None}


def _spec_data() -> dict | str:
    """The form's spec as a dict, or the pasted YAML text when the user applied one."""
    base = _base_form()
    columns = st.columns(3)
    data = {"base": base}
    for name, column in zip(AXIS_NAMES, columns):
        axis = _axis_form(name, column)
        if axis:
            data[name.lower()] = axis
    with st.expander(t("compare.spec_yaml", L)):
        import yaml

        pasted = st.text_area("YAML", key="compare.yaml_text", height=160, label_visibility="collapsed",
                              placeholder=yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        if st.button(t("compare.apply_yaml", L), key="compare.apply_yaml"):
            st.session_state[YAML_SPEC] = pasted
        if st.session_state.get(YAML_SPEC) and pasted.strip():
            st.caption(t("compare.yaml_applied", L))
            return st.session_state[YAML_SPEC]
        st.session_state.pop(YAML_SPEC, None)
    return data


def _resolved(spec: GridSpec) -> GridSpec:
    """Seed -1 fixed once per spec, and kept while the spec is unchanged, so a restart resumes."""
    source = json.dumps(spec.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    saved = st.session_state.get(RESOLVED)
    if saved and saved[0] == source:
        return saved[1]
    resolved = spec.with_fixed_seeds()
    st.session_state[RESOLVED] = (source, resolved)
    return resolved


def _backends() -> tuple[list, list[str]]:
    """The backends the grid will use, and (translated) why its cells could not run — then it is not started."""
    custom = st.session_state.get("compare.backend")       # a Backend object another page (or a test) placed here
    if custom is not None:
        return (custom if isinstance(custom, list) else [custom]), []
    from app_pages.common import BACKENDS_IN_USE, LOCAL_UNREADY
    from app_pages.components import backends_panel

    local_ok = installed("diffusers") and installed("torch")
    has_checkpoint = bool(_model_names("Stable-diffusion"))
    if not local_ok:
        st.info(t("compare.no_backend", L))
    # this machine and/or servers added by URL (A1111, promptlab serve, ComfyUI), each with its state
    chosen = backends_panel.render(L, "compare", _local_backend if local_ok else None, include_local=local_ok)
    blockers = []
    unready = local_ok and not has_checkpoint and st.session_state.get("compare.backends.local", True)
    st.session_state[LOCAL_UNREADY] = bool(unready)
    if unready:
        # every cell on this machine would fail: leave it out, and say so when nothing else is left
        chosen = [b for b in chosen if b is not _local_backend()]
        if not chosen:
            blockers.append(t("compare.blocked.no_checkpoint", L, folder=model_dir("Stable-diffusion")))
    states = st.session_state.get("backends.state", {})
    down = [spec.url for spec in st.session_state.get("backends.remote", [])
            if str(states.get(spec.url, "")).startswith("down")]
    if down:
        blockers.append(t("compare.blocked.unreachable", L, urls=", ".join(down)))
    if not chosen and not blockers:
        blockers.append(t("compare.blocked.no_backend", L))
    st.session_state[BACKENDS_IN_USE] = [getattr(b, "name", type(b).__name__) for b in chosen]
    return chosen, blockers


def _servers_answer() -> bool:
    """Check every added server again right before a grid starts (its state may be minutes old)."""
    from app_pages.components.backends_panel import check

    states = st.session_state.setdefault("backends.state", {})
    down = []
    for spec in st.session_state.get("backends.remote", []):
        states[spec.url] = check(spec)
        if states[spec.url].startswith("down"):
            down.append(spec.url)
    if down:
        st.error(t("compare.blocked.unreachable", L, urls=", ".join(down)))
    return not down


@st.cache_resource(show_spinner=False)
def _local_backend():
    from promptlab.backend.diffusers_backend import DiffusersBackend

    return DiffusersBackend()


@st.fragment(run_every=1.0)
def _progress(job: GridJob) -> None:
    p = job.progress
    if p is not None:
        cell = " / ".join(label for label in (p.cell.labels if p.cell else ()) if label)
        eta = t("compare.eta", L, time=format_duration(p.eta_seconds)) if p.eta_seconds is not None else ""
        st.progress(job.fraction(), text=t("compare.progress", L, done=p.done, total=p.total, cell=cell, eta=eta))
    else:
        st.progress(0.0)
    if st.button(t("compare.cancel", L), key="compare.cancel"):
        job.cancel()
    if job.done:
        st.rerun(scope="app")


def _show_job(job: GridJob) -> None:
    if not job.done:
        _progress(job)
        return
    if job.error is not None:
        show_error(job.error, L, sentence=t("compare.job_stopped", L))
        return
    counts = job.run.counts()
    if job.run.cancelled:
        st.warning(t("compare.cancelled", L, done=counts["done"] + counts["reused"], total=len(job.run.results)))
    elif counts["failed"]:   # never a green "Done" over failed cells
        text = t("compare.finished", L, made=counts["done"], reused=counts["reused"], failed=counts["failed"],
                 seconds=job.run.seconds)
        (st.error if not counts["done"] + counts["reused"] else st.warning)(text + " " + t("compare.failed_hint", L))
    else:
        st.success(t("compare.finished", L, made=counts["done"], reused=counts["reused"], failed=counts["failed"],
                     seconds=job.run.seconds))
    _results(job)


def _results(job: GridJob) -> None:
    run, spec = job.run, job.run.plan.spec
    st.subheader(t("compare.results", L))
    present = [i for i, a in enumerate(spec.axes) if a]
    title = {i: f"{AXIS_NAMES[i]}: {spec.axes[i].title}" for i in present}
    c = st.columns(2)
    cols = c[0].selectbox(t("compare.cols", L), present, format_func=title.get, key="compare.view_cols")
    rest = [i for i in present if i != cols]
    rows = c[1].selectbox(t("compare.rows", L), [None, *rest], index=1 if rest else 0, key="compare.view_rows",
                          format_func=lambda i: t("compare.axis_none", L) if i is None else title[i])
    fixed = {}
    for i in present:
        if i not in (rows, cols):
            labels = list(spec.axes[i].labels)
            pick = st.select_slider(title[i], options=list(range(len(labels))), format_func=labels.__getitem__,
                                    key=f"compare.view_fixed.{i}")
            fixed[i] = pick
    grid = view(run, rows, cols, fixed)
    col_labels = spec.axes[cols].labels
    header = st.columns([1] + [2] * len(col_labels))
    for col, label in zip(header[1:], col_labels):
        col.markdown(f"**{label}**")
    for r, line in enumerate(grid):
        row = st.columns([1] + [2] * len(line))
        row[0].markdown(f"**{spec.axes[rows].labels[r]}**" if rows is not None else "")
        for col, result in zip(row[1:], line):
            key = "-".join(map(str, result.cell.index))
            if is_ok(result):
                col.image(result.image, width="stretch")
            elif result.error:
                col.error(t("compare.failed", L, error=result.error))
            else:
                col.caption(t("compare.not_made", L))
            if col.button(t("compare.details", L), key=f"compare.cell.{key}"):
                st.session_state[SELECTED] = result.cell.index
    _selected(job)
    st.caption(t("compare.output_folder", L, path=job.out_dir))
    if job.outputs:
        with st.expander(t("compare.grid_images", L)):
            for path in job.outputs.grids:
                st.image(str(path))
        for path in job.outputs.grids + ((job.outputs.sheet,) if job.outputs.sheet else ()):
            st.download_button(t("compare.download_grid", L, name=path.name), path.read_bytes(), file_name=path.name,
                               mime="image/png", key=f"compare.download.{path.name}")


def _selected(job: GridJob) -> None:
    index = st.session_state.get(SELECTED)
    match = [r for r in job.run.results if r.cell.index == tuple(index or ())]
    if not match:
        return
    result = match[0]
    params = result.params or result.cell.params
    st.divider()
    c = st.columns([1, 2])
    if is_ok(result):
        c[0].image(result.image)
    with c[1]:
        st.markdown(" · ".join(f"**{label}**" for label in result.cell.labels if label))
        st.caption(t("compare.infotext", L))
        infotext = result.infotext or (params.to_infotext() if hasattr(params, "to_infotext") else repr(params))
        st.code(infotext, language=None)
        if st.button(t("compare.send_generate", L), key="compare.send_generate", type="primary"):
            st.session_state["generate.pending"] = params
            st.switch_page(PAGE["generate"])


st.title(t("compare.title", L))
st.caption(t("compare.intro", L))
job: GridJob | None = st.session_state.get(JOB)
running = job is not None and not job.done
data = _spec_data()
max_cells = st.number_input(t("compare.max_cells", L), 1, 1_000_000, DEFAULT_MAX_CELLS, key="compare.max_cells")
plan = None
if isinstance(data, dict) and not any(data.get(n.lower()) for n in AXIS_NAMES):
    st.info(t("compare.pick_axis", L))
else:
    try:
        spec = GridSpec.from_yaml(data) if isinstance(data, str) else GridSpec.from_dict(data)
        plan = make_plan(_resolved(spec), max_cells=int(max_cells))
    except PromptlabError as exc:
        show_error(exc, L)
backends, blockers = _backends()
if plan is not None:
    timing = TimingModel.load(backends[0].name) if backends else TimingModel()
    info = describe(plan, timing, backends=max(1, len(backends)))
    st.markdown(t("compare.plan_summary", L, cells=info["cells"], shape=" x ".join(map(str, info["shape"])),
                  loads=info["model_loads"], time=format_duration(info["estimated_seconds"]),
                  rough="" if timing.measured else t("compare.estimate_rough", L)))
    if st.button(t("compare.start", L), key="compare.start", type="primary",
                 disabled=running or not backends or bool(blockers)) and _servers_answer():
        digest = hashlib.sha256(json.dumps(plan.spec.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:12]
        st.session_state[JOB] = GridJob.start(plan, backends, user_home() / "grids" / digest, resume=True)
        st.session_state.pop(SELECTED, None)
        st.rerun()
    for reason in blockers:   # a grid whose cells cannot run is not started; say what to fix
        st.warning(reason)
if job is not None:
    _show_job(job)
