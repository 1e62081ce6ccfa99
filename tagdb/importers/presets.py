"""Preset files: named prompt fragments.

* styles JSON (twri/sdxl_prompt_styler, A1111-like): ``[{name, prompt, negative_prompt}]``, where
  ``prompt`` may hold ``{prompt}`` -> kind ``style``;
* chants JSON (tagcomplete): ``[{name, terms, content, color}]`` -> kind ``chant`` (content as prompt);
* YAML in the starter set's shape: ``[{kind, name, prompt, negative_prompt?, en?, zh?}]``.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tagdb.importers.csvutil import BadRows
from tagdb.model import TagImportError
from tagdb.store import Writer


def import_presets(writer: Writer, path: Path, *, kind: str | None = None) -> dict:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TagImportError(f"{path} is not valid JSON/YAML ({exc}). Nothing was imported.") from None
    if not isinstance(data, list):
        raise TagImportError(f"{path}: expected a list of presets.")
    bad = BadRows()
    count = 0
    for pos, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            bad.add(pos, "entry without a name")
            continue
        if "content" in item:  # chant
            prompt, negative, item_kind = str(item["content"]), "", kind or "chant"
        elif "prompt" in item:
            prompt = str(item["prompt"])
            negative = str(item.get("negative_prompt") or "")
            item_kind = kind or str(item.get("kind") or "style")
        else:
            bad.add(pos, f"{item.get('name')!r} has neither prompt nor content")
            continue
        labels = {k: str(item[k]) for k in ("en", "zh") if item.get(k)}
        writer.upsert_preset(item_kind, str(item["name"]).strip(), prompt, negative, labels, position=pos)
        count += 1
    return {"rows_read": len(data), "presets": count, "bad": bad}
