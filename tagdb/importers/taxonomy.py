"""Taxonomy YAML in the shape of Physton's group_tags (sd-webui-prompt-all-in-one):

    - name: 人物                      # top category
      groups:
        - name: 对象                  # group
          color: rgba(...)
          tags: {1girl: 1女孩, long hair: 长发, ...}
        - type: wrap                  # layout separator: ignored

Keys may use spaces or underscores. Entries that are whole prompt fragments (commas, weights
``(x:1.2)``, ``<lora:..>``, brackets) or have no label (embedding names) become presets of kind
``fragment`` (``negative`` under a negative-prompt category), not tags. Labels are stored as
translations in ``lang`` and as the taxonomy's display labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tagdb.importers.csvutil import BadRows
from tagdb.model import TagImportError
from tagdb.normalize import canonical_name
from tagdb.store import Writer

_FRAGMENT = re.compile(r"[,<>{}\[\]]|\([^()]*:\s*-?[\d.]+\s*\)|^\(|\)$")
_NEGATIVE_HINTS = ("反向", "负面", "negative", "負面")


def is_fragment(key: str, label) -> bool:
    if label is None:
        return True
    if key.endswith(")") and re.search(r"_\([^()]+\)$", canonical_name(key)) and not _FRAGMENT.search(key[:-1]):
        return False  # a qualifier like mouse_(animal)
    return bool(_FRAGMENT.search(key))


def import_taxonomy(writer: Writer, path: Path, *, lang: str = "zh", name: str | None = None) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TagImportError(f"{path} is not a readable YAML file ({exc}). Nothing was imported.") from None
    if not isinstance(data, list):
        raise TagImportError(f"{path}: expected a list of categories (`- name: ...`, `groups: [...]`).")
    taxonomy = name or path.stem
    bad = BadRows()
    read = members = presets = 0
    translations: list[tuple[str, str, str, str, int]] = []
    for pos, top in enumerate(data, start=1):
        if not isinstance(top, dict) or not top.get("name"):
            bad.add(pos, "top-level entry without a name")
            continue
        top_name = str(top["name"])
        negative = any(h in top_name.lower() for h in _NEGATIVE_HINTS)
        top_id = writer.tax_node(taxonomy, None, top_name, pos, {lang: top_name})
        for gpos, group in enumerate(top.get("groups") or [], start=1):
            if not isinstance(group, dict) or group.get("type") == "wrap" or not group.get("name"):
                continue
            gname = str(group["name"])
            gid = writer.tax_node(taxonomy, top_id, gname, gpos, {lang: gname}, str(group.get("color") or ""))
            tags = group.get("tags") or {}
            if not isinstance(tags, dict):
                bad.add(pos, f"group {gname!r}: tags is not a mapping")
                continue
            names = []
            for key, label in tags.items():
                read += 1
                key = str(key).strip()
                if not key:
                    bad.add(pos, f"group {gname!r}: empty key")
                    continue
                if is_fragment(key, label):
                    kind = "negative" if negative else "fragment"
                    writer.upsert_preset(kind, str(label or key), key, labels={lang: str(label or key)},
                                         position=read)
                    presets += 1
                    continue
                tag = canonical_name(key)
                names.append(tag)
                translations.append((tag, lang, str(label).strip(), "", 1))
            members += writer.tax_members(gid, names)
    n_trans = writer.upsert_translations((t for t in translations if t[2]))
    return {"rows_read": read, "taxonomy_entries": members, "presets": presets, "translations": n_trans,
            "bad": bad}
