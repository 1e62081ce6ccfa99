"""``caption_folder`` on Ray Data: the same captions, files and rules as the local pipeline, on many nodes.

1. Check before any work: the folder exists on every node and the tagger loads there (a cluster whose
   workers lack the model, or see another file system, is refused with the node named).
2. List the images in shards: the driver reads only the top folder; each subfolder is listed by a Ray
   task, and each listing applies the local rules (journal -> resumed, caption exists -> skipped, two
   images owning one caption file -> failed) with :func:`promptlab.interrogate.caption.classify`.
3. Decode and preprocess in Ray Data tasks; tag in ``map_batches`` over an actor pool (one ONNX session
   per GPU, or per ``cpus_per_actor`` CPUs: each actor loads the model once). Ray restarts an actor that
   dies and retries its batch.
4. The actors write each caption atomically (a fixed temporary name, then rename), so a retried batch
   rewrites the same file and never leaves half a caption; APPEND merges are idempotent.
5. The driver streams the results: progress (images/s, ETA), the journal (so a local run or another Ray
   run resumes), and the manifest (Parquet: path, status, caption, tags, scores) written as results come.

A shared file system is assumed (NFS, a cluster volume, or one machine): the paths the driver sees are
the paths the workers see; step 1 checks it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from promptlab.errors import ClusterError, InvalidInputError, PromptlabError
from promptlab.interrogate.caption import (
    JOURNAL_NAME, CaptionOptions, CaptionReport, _Journal, classify, journal_key, write_caption,
)
from promptlab.interrogate.images import IMAGE_EXTENSIONS
from promptlab.interrogate.postprocess import TagOptions

MANIFEST_NAME = "promptlab-captions.parquet"
DEFAULT_BATCH = 8


@dataclass(frozen=True)
class TaggerOnCluster:
    """What the driver needs to know of a tagger that only the workers load."""

    spec: str                # what each worker passes to load_tagger (a path, a name, a hub id)
    name: str
    flavor: str
    size: int
    default: TagOptions      # the tagger's own defaults

    def default_options(self, **overrides) -> TagOptions:
        return replace(self.default, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class RayProgress:
    done: int
    total: int
    images_per_second: float
    eta_seconds: float | None


def _check_node(folder: str, spec: str, device: str) -> dict:
    """Runs on every node before work starts."""
    import socket

    from promptlab.interrogate.sources import load_tagger

    node = socket.gethostname()
    if not os.path.isdir(folder):
        return {"node": node, "error": f"folder {folder} does not exist on node {node}"}
    try:
        tagger = load_tagger(spec, device="cpu" if device == "auto" else device, threads=1)
    except PromptlabError as exc:
        return {"node": node, "error": f"the tagger cannot be loaded on node {node}: {exc}"}
    return {"node": node, "error": "", "name": tagger.name, "flavor": tagger.flavor.value, "size": tagger.size,
            "default": tagger.default_options()}


def check_cluster(ray, folder: Path, spec: str, device: str) -> TaggerOnCluster:
    from promptlab.cluster.runtime import on_every_node

    answers = on_every_node(ray, _check_node, str(folder), spec, device)
    problems = [a["error"] for a in answers if a["error"]]
    if problems:
        raise ClusterError("Nothing was started: " + "; ".join(problems) + ". Put the folder and the tagger "
                           "(models/taggers/<name>/model.onnx and its labels) where every node sees them.")
    first = answers[0]
    return TaggerOnCluster(spec, first["name"], first["flavor"], first["size"], first["default"])


def _visible(rel_parts: tuple[str, ...]) -> bool:
    return not any(part.startswith(".") for part in rel_parts)


def _list_shard(row: dict, *, folder: str, recursive: bool, options: CaptionOptions, done_ref) -> list[dict]:
    """One shard (the top folder's own files, or one subfolder's tree) -> classified rows."""
    import ray

    root = Path(folder)
    done = ray.get(done_ref) if done_ref is not None else set()
    base = Path(row["dir"])
    if row["top"]:
        found = [p for p in base.iterdir() if p.is_file()]
    else:
        found = [p for p in base.rglob("*") if p.is_file()] if recursive else []
    images = sorted(p for p in found if p.suffix.lower() in IMAGE_EXTENSIONS
                    and _visible(p.relative_to(root).parts))
    # classify per folder: the images that can share a caption file always sit in the same folder
    by_dir: dict[Path, list[Path]] = {}
    for p in images:
        by_dir.setdefault(p.parent, []).append(p)
    rows = []
    for paths in by_dir.values():
        resumed, skipped, todo, failed = classify(paths, root, done, options)
        rows += [{"path": str(p), "state": "resumed", "error": ""} for p in resumed]
        rows += [{"path": str(p), "state": "skipped", "error": ""} for p in skipped]
        rows += [{"path": str(p), "state": "todo", "error": ""} for p in todo]
        rows += [{"path": str(p), "state": "failed", "error": e} for p, e in failed]
    return rows


def _decode(batch: dict, *, flavor: str, size: int) -> dict:
    """Decode + preprocess (Ray Data task). A file that cannot be read keeps its error and a blank array."""
    import numpy as np

    from promptlab.interrogate.images import load_image
    from promptlab.interrogate.preprocess import deepdanbooru_array, wd_array

    arrays, errors = [], []
    for path in batch["path"]:
        try:
            img = load_image(Path(str(path)), target=size)
            arrays.append(wd_array(img, size) if flavor == "wd" else deepdanbooru_array(img, size))
            errors.append("")
        except PromptlabError as exc:
            arrays.append(np.zeros((size, size, 3), dtype=np.float32))
            errors.append(str(exc))
    return {"path": np.asarray(batch["path"], dtype=object), "error": np.asarray(errors, dtype=object),
            "image": np.stack(arrays)}


class _TagActor:
    """One loaded tagger per actor; tags a batch and writes its captions (atomically)."""

    def __init__(self, spec: str, device: str, threads: int | None, tag_options: TagOptions,
                 options: CaptionOptions) -> None:
        from promptlab.interrogate.sources import load_tagger

        self.tagger = load_tagger(spec, device=device, threads=threads)
        self.tag_options = tag_options
        self.options = options

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        paths = [str(p) for p in batch["path"]]
        errors = [str(e) for e in batch["error"]]
        ok = [i for i, e in enumerate(errors) if not e]
        probs = self.tagger.predict([batch["image"][i] for i in ok]) if ok else []
        captions, tags, scores = [""] * len(paths), [[] for _ in paths], [[] for _ in paths]
        for i, p in zip(ok, probs):
            result = self.tagger.postprocess(p, self.tag_options)
            try:
                caption_path = write_caption(Path(paths[i]), result, self.options)
                captions[i] = caption_path.read_text(encoding="utf-8").rstrip("\n")
            except OSError as exc:
                errors[i] = f"cannot write {Path(paths[i]).with_suffix(self.options.ext).name}: {exc}"
                continue
            tags[i] = [t.text for t in result.tags]
            scores[i] = [float(t.confidence) for t in result.tags]
        return {"path": np.asarray(paths, dtype=object), "error": np.asarray(errors, dtype=object),
                "caption": np.asarray(captions, dtype=object),
                # lists travel as JSON text: ragged lists make awkward Arrow columns between stages
                "tags": np.asarray([json.dumps(t, ensure_ascii=False) for t in tags], dtype=object),
                "scores": np.asarray([json.dumps(s) for s in scores], dtype=object)}


class _Manifest:
    """Parquet rows written as results arrive (a killed run leaves a readable file up to its last batch)."""

    def __init__(self, path: Path | None, folder: Path) -> None:
        self.path, self.folder, self._writer = path, folder, None

    def write(self, rows: list[dict]) -> None:
        if self.path is None or not rows:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({
            "path": [Path(r["path"]).relative_to(self.folder).as_posix() for r in rows],
            "status": [r["status"] for r in rows],
            "caption": [r.get("caption", "") for r in rows],
            "tags": pa.array([list(r.get("tags") or []) for r in rows], type=pa.list_(pa.string())),
            "scores": pa.array([list(r.get("scores") or []) for r in rows], type=pa.list_(pa.float32())),
            "error": [r.get("error", "") for r in rows],
        })
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = self.path.with_name(f".{self.path.name}.tmp")
            self._writer = pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            os.replace(self._tmp, self.path)


def _actor_plan(info, device: str, actors: int | None, cpus_per_actor: float) -> tuple[int, dict]:
    """How many tagger actors and what each reserves: a GPU each when the cluster has GPUs (and the
    device allows), else ``cpus_per_actor`` CPUs each, leaving at least one CPU for decoding."""
    if info.gpus >= 1 and device in ("auto", "cuda"):
        return actors or int(info.gpus), {"num_gpus": 1, "num_cpus": 1}
    slots = max(1, int(max(1.0, info.cpus - 1) // cpus_per_actor))
    return actors or slots, {"num_cpus": cpus_per_actor}


def caption_folder_ray(
    folder: str | Path,
    tagger: str | Path,
    tag_options: TagOptions | Callable[[TaggerOnCluster], TagOptions] | None = None,
    options: CaptionOptions = CaptionOptions(),
    *,
    address: str | None = None,
    device: str = "auto",
    actors: int | None = None,
    cpus_per_actor: float = 1.0,
    threads: int | None = None,
    manifest: str | Path | None = "",
    progress: Callable[[RayProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CaptionReport:
    """Caption every image in ``folder`` on Ray (see the module doc). ``tagger`` is what each worker
    loads (a folder, a name under models/taggers, a hub id). ``tag_options`` may be a function of the
    tagger's defaults (the driver need not have the model). ``manifest``: a Parquet path, ``""`` for
    ``<folder>/promptlab-captions.parquet``, None for none."""
    from promptlab.cluster.runtime import quiet_ray_data, ray_session, require_ray

    # 1. check inputs
    started = time.perf_counter()
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder.")
    spec = str(tagger)
    if Path(spec).expanduser().exists():
        spec = str(Path(spec).expanduser().resolve())
    manifest_path = (folder / MANIFEST_NAME if manifest == "" else Path(manifest)) if manifest is not None else None
    ray = require_ray()
    with ray_session(address) as info:
        quiet_ray_data()
        remote = check_cluster(ray, folder, spec, device)
        opts = tag_options(remote) if callable(tag_options) else (tag_options or remote.default)
        journal = _Journal(folder, journal_key(remote.name, opts, options), options.restart)
        cancelled = False
        written, skipped, resumed, failed = [], [], [], []
        listing: list[dict] | None = None
        try:
            # 2. list in shards
            listing = _listing(ray, folder, options, journal.done)
            todo = [r["path"] for r in listing if r["state"] == "todo"]
            for r in listing:
                path = Path(r["path"])
                {"resumed": resumed, "skipped": skipped}.get(r["state"], []).append(path)
                if r["state"] == "failed":
                    failed.append((path, r["error"]))
            total = len(listing)
            count, resources = _actor_plan(info, device, actors, cpus_per_actor)
            batch = options.batch_size if isinstance(options.batch_size, int) else DEFAULT_BATCH
            # 3. decode in tasks, tag in actors, 4. actors write
            book = _Manifest(manifest_path, folder)
            book.write([{"path": str(p), "status": "failed", "error": e} for p, e in failed])
            done = total - len(todo)
            t0 = time.perf_counter()
            if todo:
                ds = (ray.data.from_items([{"path": p} for p in todo], override_num_blocks=max(1, min(len(todo), 4 * count * 8)))
                      .map_batches(_decode, fn_kwargs={"flavor": remote.flavor, "size": remote.size},
                                   batch_size=batch, num_cpus=1)
                      .map_batches(_TagActor, fn_constructor_kwargs={
                          "spec": spec, "device": "cpu" if "num_gpus" not in resources else "cuda",
                          "threads": threads, "tag_options": opts, "options": options},
                          batch_size=batch, compute=ray.data.ActorPoolStrategy(size=count),
                          max_restarts=-1, max_task_retries=-1, **resources))
                # 5. stream results: journal, manifest, progress
                batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy"))
                for out in batches:
                    rows = []
                    for i, path in enumerate(out["path"]):
                        path = Path(str(path))
                        error = str(out["error"][i])
                        if error:
                            failed.append((path, error))
                            rows.append({"path": str(path), "status": "failed", "error": error})
                        else:
                            written.append(path)
                            journal.mark(path.relative_to(folder).as_posix())
                            rows.append({"path": str(path), "status": "written", "caption": str(out["caption"][i]),
                                         "tags": json.loads(str(out["tags"][i])),
                                         "scores": json.loads(str(out["scores"][i]))})
                    book.write(rows)
                    done += len(rows)
                    if progress:
                        rate = (len(written) + len(failed)) / max(time.perf_counter() - t0, 1e-9)
                        left = total - done
                        progress(RayProgress(done, total, rate, left / rate if rate > 0 else None))
                    if should_stop and should_stop():
                        cancelled = True
                        break
                if hasattr(batches, "close"):
                    batches.close()  # stops the pipeline (and its actors) now, not at garbage collection
            book.close()
        except KeyboardInterrupt:
            cancelled = True
            raise
        finally:
            if cancelled and listing:
                # an actor stopped in the middle of a write leaves its temporary file, never a half caption
                _remove_temp_files([Path(r["path"]) for r in listing if r["state"] == "todo"], options)
            complete = listing is not None and len(written) + len(resumed) + len(skipped) == len(listing)
            journal.close(remove=complete and not cancelled and not failed)
    return CaptionReport(
        total=total, written=tuple(written), skipped_existing=tuple(skipped), resumed=tuple(resumed),
        failed=tuple(failed), provider=f"ray ({count} actor{'s' if count != 1 else ''}, "
        f"{'GPU' if 'num_gpus' in resources else 'CPU'})", seconds=time.perf_counter() - started,
        cancelled=cancelled, batch_size=batch, batch_auto=False, decode_threads=0,
    )


def _remove_temp_files(paths: list[Path], options: CaptionOptions) -> None:
    for path in paths:
        caption = path.with_suffix(options.ext)
        caption.with_name(f".{caption.name}.tmp").unlink(missing_ok=True)


def _listing(ray, folder: Path, options: CaptionOptions, done: set[str]) -> list[dict]:
    """Classified rows of every image, listed in shards (top folder + one task per subfolder)."""
    shards = [{"dir": str(folder), "top": True}]
    if options.recursive:
        shards += [{"dir": str(p), "top": False} for p in sorted(folder.iterdir())
                   if p.is_dir() and not p.name.startswith(".")]
    done_ref = ray.put(done) if done else None
    rows = (ray.data.from_items(shards, override_num_blocks=len(shards))
            .flat_map(_list_shard, fn_kwargs={"folder": str(folder), "recursive": options.recursive,
                                              "options": options, "done_ref": done_ref})
            .take_all())
    rows.sort(key=lambda r: r["path"])
    return rows


__all__ = ["JOURNAL_NAME", "MANIFEST_NAME", "RayProgress", "TaggerOnCluster", "caption_folder_ray", "check_cluster"]
