"""Data types of the tag database: frozen dataclasses and enums, no behaviour beyond small helpers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class TagDBError(Exception):
    """Base of every error tagdb raises on purpose. Messages say what to do next."""


class TagImportError(TagDBError, ValueError):
    """An input file or feed cannot be imported as given (the database is left unchanged)."""


class TagDBNotFoundError(TagDBError, FileNotFoundError):
    """The database file does not exist."""


class NetworkError(TagDBError, ConnectionError):
    """A remote source (Danbooru's API) could not be reached or answered badly."""


class Category(enum.IntEnum):
    """Danbooru tag categories (codes as in Danbooru's API and the autocomplete CSVs)."""

    GENERAL = 0
    ARTIST = 1
    COPYRIGHT = 3
    CHARACTER = 4
    META = 5
    SD = 8  # Stable Diffusion prompt vocabulary that is not a Danbooru tag ("8k", "octane render"): starter set
    RATING = 9  # WD14 label files only

    @classmethod
    def parse(cls, value: str | int) -> Category:
        """Accept a code (``1``) or a name (``artist``)."""
        if isinstance(value, int) or str(value).strip().isdigit():
            return cls(int(value))
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(c.name.lower() for c in cls)
            raise TagDBError(f"Unknown category {value!r}; use one of {names} or its number.") from None


#: e621's own codes, kept as-is in the "e621" tag set.
E621_CATEGORIES = {0: "general", 1: "artist", 2: "contributor", 3: "copyright", 4: "character",
                   5: "species", 6: "invalid", 7: "meta", 8: "lore"}


class Via(str, enum.Enum):
    """What part of a tag's record matched a search query."""

    NAME = "name"
    ALIAS = "alias"
    TRANSLATION = "translation"
    PINYIN = "pinyin"


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    category: int
    post_count: int | None
    aliases: tuple[str, ...] = ()
    translations: tuple[tuple[str, str], ...] = ()  # (lang, text), best first
    deprecated: bool = False
    tagset: str = "danbooru"

    def label(self, lang: str) -> str | None:
        """First translation in ``lang`` ("zh"), or None."""
        return next((text for code, text in self.translations if code == lang), None)

    @property
    def category_name(self) -> str:
        if self.tagset == "e621":
            return E621_CATEGORIES.get(self.category, str(self.category))
        try:
            return Category(self.category).name.lower()
        except ValueError:
            return str(self.category)


@dataclass(frozen=True)
class SearchHit:
    tag: Tag
    score: float  # 0-100: 100 exact, 95 prefix, 85 word prefix / substring, below: fuzzy
    matched: str  # the text that matched (name, alias, translation or the translation a pinyin matched)
    via: Via

    def to_json(self) -> dict:
        return {"name": self.tag.name, "category": self.tag.category, "post_count": self.tag.post_count,
                "matched": self.matched, "via": self.via.value, "score": round(self.score, 1)}


class IssueKind(str, enum.Enum):
    UNKNOWN = "unknown"
    ALIAS = "alias"
    DEPRECATED = "deprecated"


@dataclass(frozen=True)
class TagIssue:
    """One finding of ``TagDB.validate``."""

    tag: str  # as given
    kind: IssueKind
    canonical: str | None = None  # for aliases: the tag to use instead
    suggestions: tuple[str, ...] = ()  # for unknown tags: close known tags
    message: str = ""


@dataclass(frozen=True)
class Preset:
    kind: str  # "quality" | "negative" | "style" | ... (free text, lower case)
    name: str
    prompt: str
    negative_prompt: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # (lang, label)
    source: str = ""

    def label(self, lang: str) -> str:
        return next((text for code, text in self.labels if code == lang), self.name)


@dataclass(frozen=True)
class TaxonomyGroup:
    key: str
    label: str
    tags: tuple[tuple[str, str], ...]  # (tag name, label in the requested language or "")
    color: str = ""


@dataclass(frozen=True)
class TaxonomyCategory:
    key: str
    label: str
    groups: tuple[TaxonomyGroup, ...]


@dataclass(frozen=True)
class ImportReport:
    """What an importer did. ``bad_rows`` holds (line number, reason) for the first problems."""

    source: str
    format: str
    rows_read: int = 0
    tags_added: int = 0
    tags_updated: int = 0
    aliases: int = 0
    translations: int = 0
    presets: int = 0
    taxonomy_entries: int = 0
    skipped: int = 0
    bad_rows: tuple[tuple[int, str], ...] = ()
    bad_row_count: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    def summary(self) -> str:
        parts = [f"{self.format}: read {self.rows_read} rows"]
        for label, value in (("tags added", self.tags_added), ("tags updated", self.tags_updated),
                             ("aliases", self.aliases), ("translations", self.translations),
                             ("presets", self.presets), ("taxonomy entries", self.taxonomy_entries),
                             ("skipped", self.skipped), ("malformed", self.bad_row_count)):
            if value:
                parts.append(f"{label} {value}")
        return ", ".join(parts) + f" in {self.seconds:.1f} s"
