"""`promptlab tags ...`: the tag database from the command line (joins promptlab and tagdb)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from promptlab.cli.io import print_json
from promptlab.errors import InvalidInputError, PromptlabError

FORMATS = ("autocomplete", "e621", "translations", "wd14", "taxonomy", "presets")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tags", help="the Danbooru tag database: init, import, search, show, validate, stats, update",
        description="The tag database (SQLite, default $PROMPTLAB_HOME/tags.sqlite): search as you type in "
        "English, Chinese or pinyin, look tags up, check prompts, import tag lists and translations.")
    sub = p.add_subparsers(dest="tags_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    def add(name: str, help_text: str, func, **kwargs) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text, **kwargs)
        sp.add_argument("--db", metavar="PATH", help="database file (default $PROMPTLAB_HOME/tags.sqlite)")
        sp.set_defaults(func=func)
        return sp

    sp = add("init", "build the database from the shipped starter set (general tags, the most-posted characters, "
             "copyrights and artists, SD vocabulary, Chinese names, presets); optionally import an A1111 install's "
             "tagcomplete files", run_init)
    sp.add_argument("--fresh", action="store_true",
                    help="start from an empty database instead of adding to the existing one")
    sp.add_argument("--from-a1111", "--a1111-root", dest="from_a1111", nargs="?", const="", metavar="DIR",
                    help="also import the tag lists and translations of tagcomplete (extensions/*/tags/*.csv) "
                    "from this A1111/Forge folder; without DIR, look in the usual places")

    sp = add("import", "import a tag list, translations, WD14 labels, a taxonomy or presets", run_import)
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--format", required=True, choices=FORMATS,
                    help="autocomplete: name,category,post_count,aliases (Danbooru); e621: the same with e621 "
                    "categories; translations: tag,text[,note]; wd14: selected_tags.csv; taxonomy: group_tags "
                    "YAML; presets: styles/chants JSON or YAML")
    sp.add_argument("--lang", default=None, help="language of translations / taxonomy labels (default zh)")
    sp.add_argument("--reversed", action="store_true", help="translations: the text comes first, the tag second")
    sp.add_argument("--min-posts", type=int, default=0, help="autocomplete/e621: skip tags with fewer posts")
    sp.add_argument("--name", help="taxonomy: its name (default the file name)")
    sp.add_argument("--kind", help="presets: the kind to file them under (default style/chant)")
    sp.add_argument("--json", action="store_true", help="print the import report as JSON")

    sp = add("search", "search tags by name, alias, Chinese label or pinyin (typos allowed)", run_search)
    sp.add_argument("query", metavar="QUERY")
    sp.add_argument("--json", action="store_true",
                    help="rows of {name, category, post_count, matched, via, score, label}")
    sp.add_argument("--category", action="append",
                    help="general, artist, copyright, character, meta, sd (SD vocabulary) or a number (repeatable)")
    sp.add_argument("--limit", type=int, default=10)
    sp.add_argument("--lang", action="append", help="texts that may match: en (names, aliases), zh (repeatable)")
    sp.add_argument("--artists", action="store_true", help="artists only")
    sp.add_argument("--tagset", default="danbooru", help="danbooru (default) or e621")

    sp = add("show", "show one tag: category, post count, aliases, translations", run_show)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--tagset", default="danbooru")

    sp = add("validate", "check a comma-separated prompt: unknown tags, aliases, deprecated tags", run_validate)
    sp.add_argument("prompt", metavar="PROMPT", help="the prompt, or - to read stdin")
    sp.add_argument("--json", action="store_true")

    sp = add("presets", "list presets (quality, negative, style, ...)", run_presets)
    sp.add_argument("--kind")
    sp.add_argument("--json", action="store_true")

    sp = add("stats", "counts by category, translations, presets, and the import history", run_stats)
    sp.add_argument("--json", action="store_true")

    sp = add("update", "download the current tag list and aliases from Danbooru's API (resumable)", run_update)
    sp.add_argument("--min-posts", type=int, default=25, help="skip tags with fewer posts (default 25)")
    sp.add_argument("--url", default="https://danbooru.donmai.us", help="the Danbooru server")
    sp.add_argument("--interval", type=float, default=0.5, help="seconds between requests (default 0.5)")
    sp.add_argument("--restart", action="store_true", help="discard a saved partial download and start over")
    sp.add_argument("--json", action="store_true")


def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db).expanduser()
    from promptlab.paths import user_home

    return user_home() / "tags.sqlite"


def _open(args: argparse.Namespace):
    import tagdb

    path = _db_path(args)
    if not path.is_file():
        raise InvalidInputError(f"No tag database at {path}. Run `promptlab tags init` (starter set, offline) "
                                "or `promptlab tags import FILE --format autocomplete`.")
    return tagdb.TagDB(path)


def _guard(func):
    """Turn tagdb's errors into promptlab's, so the CLI prints one line instead of a traceback."""
    def wrapper(args: argparse.Namespace) -> int:
        import tagdb

        try:
            return func(args)
        except tagdb.TagDBError as exc:
            raise PromptlabError(str(exc)) from None
    wrapper.__name__ = func.__name__
    return wrapper


def _report(report, as_json: bool) -> None:
    if as_json:
        print_json({k: v for k, v in report.__dict__.items()})
        return
    print(report.summary())
    for lineno, reason in report.bad_rows:
        print(f"  line {lineno}: {reason}", file=sys.stderr)
    if report.bad_row_count > len(report.bad_rows):
        print(f"  ... and {report.bad_row_count - len(report.bad_rows)} more malformed rows", file=sys.stderr)


def a1111_candidates() -> list[Path]:
    """Where an A1111/Forge install may be: the usual folders, and the webui above a models folder
    that $PROMPTLAB_MODELS points into (``.../stable-diffusion-webui/models``)."""
    from promptlab.paths import models_root
    from tagdb.importers.a1111 import usual_roots

    found = usual_roots()
    above = models_root().parent
    if (above / "extensions").is_dir() and above not in found:
        found.append(above)
    return found


def find_a1111(root: str | None):
    """The tagcomplete files of ``root``, or of the first usual install that has some."""
    from promptlab.i18n import t
    from tagdb.importers.a1111 import find_tag_files

    if root:
        return find_tag_files(root)
    candidates = a1111_candidates()
    for candidate in candidates:
        found = find_tag_files(candidate)
        if found.importable:
            return found
    from tagdb.importers.a1111 import USUAL_NAMES, usual_bases

    places = [str(c) for c in candidates] or [f"{b}/{{{','.join(USUAL_NAMES[:3])},...}}" for b in usual_bases()]
    raise InvalidInputError(t("tags.a1111.none", "en", places="; ".join(places)))


@_guard
def run_init(args: argparse.Namespace) -> int:
    from tagdb.starter_build import build_starter

    path = _db_path(args)
    found = find_a1111(args.from_a1111) if args.from_a1111 is not None else None  # fail before writing
    report = build_starter(path, fresh=args.fresh)
    print(f"{path}: {report.summary()}")
    if found is not None:
        from tagdb.importers.a1111 import import_a1111

        for skipped in found.skipped:
            print(f"  skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
        for sub in import_a1111(found, db=path):
            print(f"{sub.source}: {sub.summary()}")
    return 0


@_guard
def run_import(args: argparse.Namespace) -> int:
    import tagdb

    options = {}
    if args.lang and args.format in ("translations", "taxonomy"):
        options["lang"] = args.lang
    if args.reversed:
        if args.format != "translations":
            raise InvalidInputError("--reversed only applies to --format translations.")
        options["reversed"] = True
    if args.min_posts and args.format in ("autocomplete", "e621"):
        options["min_posts"] = args.min_posts
    if args.name and args.format == "taxonomy":
        options["name"] = args.name
    if args.kind and args.format == "presets":
        options["kind"] = args.kind
    report = tagdb.import_file(args.file, args.format, db=_db_path(args), **options)
    _report(report, args.json)
    return 0


def _category_name(tag) -> str:
    return tag.category_name


@_guard
def run_search(args: argparse.Namespace) -> int:
    db = _open(args)
    if args.limit < 1:
        raise InvalidInputError("--limit must be at least 1.")
    hits = db.search(args.query, limit=args.limit, categories=args.category, langs=args.lang,
                     artists_only=args.artists, tagset=args.tagset)
    if args.json:
        print_json([{**h.to_json(), "label": h.tag.label("zh")} for h in hits])
        return 0
    if not hits:
        print(f"no tags match {args.query!r}", file=sys.stderr)
        return 1
    for h in hits:
        count = "" if h.tag.post_count is None else f"{h.tag.post_count:,}"
        via = "" if h.via.value == "name" else f"  <- {h.via.value}: {h.matched}"
        label = h.tag.label("zh") or ""
        print(f"{h.tag.name:<40} {_category_name(h.tag):<10} {count:>10}  {label}{via}")
    return 0


@_guard
def run_show(args: argparse.Namespace) -> int:
    db = _open(args)
    tag = db.get(args.name, tagset=args.tagset)
    if tag is None:
        hits = db.search(args.name, limit=5, tagset=args.tagset)
        hint = f" Did you mean: {', '.join(h.tag.name for h in hits)}?" if hits else ""
        raise InvalidInputError(f"No tag {args.name!r} in {db.path}.{hint}")
    if args.json:
        print_json({"name": tag.name, "category": tag.category, "category_name": tag.category_name,
                    "post_count": tag.post_count, "aliases": list(tag.aliases), "deprecated": tag.deprecated,
                    "translations": [{"lang": lang, "text": text} for lang, text in tag.translations],
                    "tagset": tag.tagset})
        return 0
    print(f"{tag.name}  ({tag.category_name}, {tag.post_count if tag.post_count is not None else '?'} posts)"
          + ("  DEPRECATED" if tag.deprecated else ""))
    if tag.aliases:
        print(f"aliases: {', '.join(tag.aliases)}")
    for lang, text in tag.translations:
        print(f"{lang}: {text}")
    return 0


@_guard
def run_validate(args: argparse.Namespace) -> int:
    from promptlab.cli.io import read_text_arg

    db = _open(args)
    issues = db.validate(read_text_arg(args.prompt))
    if args.json:
        print_json([{"tag": i.tag, "kind": i.kind.value, "canonical": i.canonical,
                     "suggestions": list(i.suggestions), "message": i.message} for i in issues])
    else:
        for i in issues:
            extra = f" (did you mean {', '.join(i.suggestions)}?)" if i.suggestions else ""
            print(f"{i.kind.value:<10} {i.message}{extra}")
    return 1 if issues else 0


@_guard
def run_presets(args: argparse.Namespace) -> int:
    presets = _open(args).presets(args.kind)
    if args.json:
        print_json([{"kind": p.kind, "name": p.name, "prompt": p.prompt, "negative_prompt": p.negative_prompt,
                     "labels": dict(p.labels)} for p in presets])
        return 0
    for p in presets:
        print(f"[{p.kind}] {p.name}: {p.prompt}" + (f"\n    negative: {p.negative_prompt}" if p.negative_prompt else ""))
    return 0


@_guard
def run_stats(args: argparse.Namespace) -> int:
    stats = _open(args).stats()
    if args.json:
        print_json(stats)
        return 0
    print(f"{stats['path']}  ({stats['size_bytes'] / 1e6:.1f} MB)")
    for tagset, info in stats["tagsets"].items():
        cats = ", ".join(f"{k}: {v:,}" for k, v in info["categories"].items())
        print(f"{tagset}: {info['tags']:,} tags ({cats})")
    print(f"aliases: {stats['aliases']:,}; deprecated: {stats['deprecated']:,}")
    print("translations: " + (", ".join(f"{k} {v:,}" for k, v in stats["translations"].items()) or "none"))
    print("presets: " + (", ".join(f"{k} {v}" for k, v in stats["presets"].items()) or "none"))
    for s in stats["sources"][:5]:
        print(f"  {s['imported_at']}  {s['kind']:<13} {s['rows_read']:>7} rows, {s['bad_rows']} malformed  {s['path']}")
    return 0


@_guard
def run_update(args: argparse.Namespace) -> int:
    from tagdb.importers.danbooru_api import DanbooruUpdate

    updater = DanbooruUpdate(_db_path(args), base_url=args.url, min_posts=args.min_posts,
                             interval=args.interval, progress=lambda msg: print(msg, file=sys.stderr))
    report = updater.run(restart=args.restart)
    _report(report, args.json)
    return 0
