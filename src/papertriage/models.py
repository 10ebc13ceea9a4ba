"""The record: one paper from a listing, and its stable JSON form.

This module imports nothing from the rest of the package, so every other module can depend on it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, NamedTuple

# Bump when a field changes meaning or disappears; adding a field keeps the version.
SCHEMA_VERSION = 1

_NON_WORD = re.compile(r"[\W_]+")
# For ASCII titles, the same as _NON_WORD but several times faster.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
# New-style ids (2303.08867, 0704.0001) and old-style ids (hep-th/9901001, math.GT/0309136).
ARXIV_ID = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.\-]*[a-z]/\d{7})(?P<version>v\d+)?", re.IGNORECASE
)


def normalize_space(text: str) -> str:
    """Collapse runs of white space to one space and strip the ends."""
    # Most lines need nothing: isprintable() is False for every white space but the plain space,
    # and these C-speed checks cost far less than splitting a long abstract into words.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def normalize_title(title: str) -> str:
    """The key two listings agree on for the same title: case, accents' forms and punctuation ignored."""
    if title.isascii():
        return " ".join(title.lower().translate(_ASCII_NON_WORD).split())
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


# Letters no Unicode decomposition takes apart, as a reader types them without the accent key.
_PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i"}
)
_NAME_WORD = re.compile(r"[^\W_]+")


def name_words(name: str) -> tuple[str, ...]:
    """A person's name as words to compare, case, accents, hyphens and dots aside: 'Raphaël
    Bonnet-Guerrini' is ('raphael', 'bonnet', 'guerrini'). Merging (a surname in common) and
    `filter --author` both compare names so."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_PLAIN_LETTERS))
    return tuple(_NAME_WORD.findall("".join(c for c in folded if not unicodedata.combining(c))))


# For the fast ASCII path of title_hash: letters to lower case, other non-alphanumerics to space,
# in one bytes.translate.
_ASCII_KEY_BYTES = bytes(
    ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else 32 for c in range(256)
)


def title_hash(title: str) -> str:
    """A short stable id for a paper without an arXiv id: 12 hex digits of the normalised title."""
    if title.isascii():  # the same key as normalize_title, built on bytes: parsing calls this a lot
        key = title.encode().translate(_ASCII_KEY_BYTES)  # only letters, digits and spaces left
        # Runs of spaces collapse; a title without any (no punctuation) only needs its ends cut.
        key = b" ".join(key.split()) if b"  " in key else key.strip()
    else:
        key = normalize_title(title).encode("utf-8")
    return hashlib.sha1(key).hexdigest()[:12]


def split_arxiv_id(text: str) -> tuple[str, str] | None:
    """('2303.08867', 'v2') from '2303.08867v2', 'arXiv:2303.08867' or an abs/pdf URL; None if absent."""
    match = ARXIV_ID.search(text)
    if match is None:
        return None
    return match.group("id"), match.group("version") or ""


def paper_key(record: Record) -> str:
    """A paper's identity across versions: its bare arXiv id (a v2 is the same paper), else its
    id."""
    if record.arxiv_id:
        found = split_arxiv_id(record.arxiv_id)
        return found[0] if found else record.arxiv_id
    return record.id


class Record(NamedTuple):
    """One paper. Titles and abstracts are white-space normalised, otherwise as in the listing.

    Immutable; a NamedTuple rather than a frozen dataclass because parsing builds one per paper
    and a tuple is three times cheaper to build. `with_changes` returns a changed copy.
    """

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    url: str | None = None
    categories: tuple[str, ...] = ()
    date: str | None = None
    source: str = ""
    position: int = 0
    tags: tuple[str, ...] = ()
    tag_details: dict[str, Any] | None = None  # None and {} both mean "no details"
    # Added after schema version 1's first fields, so they come last (the JSON form keeps order).
    announce_type: str | None = None  # arXiv's: "new", "cross", "replace" or "replace-cross"
    ai_summary: str | None = None  # the machine-written one-liner Hugging Face shows
    upvotes: int | None = None  # Hugging Face's count

    @classmethod
    def create(
        cls,
        title: str,
        abstract: str = "",
        *,
        arxiv_id: str | None = None,
        **other: Any,
    ) -> Record:
        """Build a record from raw fields: normalises white space and derives the id."""
        title = normalize_space(title)
        abstract = normalize_space(abstract)
        if arxiv_id:
            parts = split_arxiv_id(arxiv_id)
            arxiv_id = parts[0] if parts else arxiv_id
        record_id = arxiv_id or title_hash(title)
        if arxiv_id and not other.get("url"):
            other["url"] = f"https://arxiv.org/abs/{arxiv_id}"
        for name in ("authors", "categories", "tags"):
            if name in other and not isinstance(other[name], tuple):
                other[name] = tuple(other[name])
        return cls(id=record_id, title=title, abstract=abstract, arxiv_id=arxiv_id or None, **other)

    def richness(self) -> tuple[int, int]:
        """How much a record knows: filled fields first, then abstract length (for merging)."""
        filled = sum(
            1
            for value in (
                self.abstract,
                self.authors,
                self.arxiv_id,
                self.url,
                self.categories,
                self.date,
            )
            if value
        )
        return filled, len(self.abstract)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form (see README, "Record schema")."""
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for name, value in zip(self._fields, self, strict=True):
            data[name] = list(value) if isinstance(value, tuple) else value
        data["tag_details"] = self.tag_details or {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Inverse of to_dict; missing optional fields take their defaults, unknown keys are ignored.

        Raises ValueError or TypeError with a readable message when a field has the wrong type.
        """
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        version = data.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {version!r} is newer than this papertriage understands "
                f"({SCHEMA_VERSION}); upgrade papertriage"
            )
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValueError("record has no 'title' string")
        values: dict[str, Any] = {}
        for name in cls._fields:
            if name not in data or data[name] is None:
                continue
            value = data[name]
            if name in ("authors", "categories", "tags"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"'{name}' must be a list of strings")
                value = tuple(value)
            elif name in ("position", "upvotes"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError(f"'{name}' must be an integer")
            elif name == "tag_details":
                if not isinstance(value, dict):
                    raise TypeError("'tag_details' must be an object")
                value = value or None
            elif not isinstance(value, str):
                raise TypeError(f"'{name}' must be a string")
            values[name] = value
        if not values.get("id"):
            arxiv = values.get("arxiv_id")
            values["id"] = arxiv or title_hash(title)
        return cls(**values)

    def with_changes(self, **changes: Any) -> Record:
        return self._replace(**changes)
