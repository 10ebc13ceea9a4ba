"""A BibTeX file, as Zotero, Mendeley, JabRef or ASReview export a library (issue 11).

Read with bibtexparser 2, imported only when a BibTeX file is read: its splitter, which keeps
going past a broken entry, and its middlewares for @string references, braces, months and
names. LaTeX is decoded in the title, abstract and author names only (`{\\"o}` -> ö,
`{BERT}` -> BERT, `\\&` -> &), math (`$...$`) kept as written; machine fields (url, doi,
eprint) only lose their escapes, since a URL's `~` or `%` is no LaTeX.

A record's date is a full YYYY-MM-DD or nothing: `year` alone (or `year` and `month`, as
Zotero writes them) leaves it None rather than inventing a day.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from papertriage.errors import InputError
from papertriage.listings.formats.common import Lines, ParseReport
from papertriage.listings.formats.references import (
    arxiv_id_in_doi,
    arxiv_id_in_text,
    arxiv_id_in_url,
    first_last,
    full_date,
)
from papertriage.models import ARXIV_ID

if TYPE_CHECKING:
    from bibtexparser.model import Entry

# Fields whose LaTeX is decoded; the rest are machine values.
TEXT_FIELDS = frozenset({"title", "abstract", "author"})
_LATEX_MARK = re.compile(r"[\\$~]|--|``|''")
_SIMPLE_ESCAPE = re.compile(r"\\([&%_#$])")
_BARE_PERCENT = re.compile(r"(?<!\\)%")

_ARXIV_EPRINT = re.compile(rf"^(?:arXiv:)?{ARXIV_ID.pattern}$", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")
_EXTENDED_NAME = re.compile(r"^(?:family|given|prefix|suffix|useprefix|juniorcomma)=")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\b")


def parse_bibtex(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, MiddlewareErrorBlock

    _quiet_library_logging()
    library = bibtexparser.parse_string(
        "\n".join(text for _, text in lines), append_middleware=_middlewares()
    )
    # The library's line numbers count from 0.
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            report.warn(line, f"entry {block.key!r} repeats an earlier key; skipped")
        elif isinstance(block, MiddlewareErrorBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            key = block.ignore_error_block.key
            report.warn(line, f"entry {key!r} not understood ({_reason(block.error)}); skipped")
        else:
            kind = (block.raw or "").split("{", 1)[0].split("(", 1)[0].strip() or "an"
            report.warn(line, f"{kind} entry not read: {_reason(block.error)}; skipped")
    untitled = 0
    for entry in library.entries:
        if not _add_entry(entry, report):
            untitled += 1
            report.warn((entry.start_line or 0) + 1, f"entry {entry.key!r} has no title; skipped")
    if not report.count:
        found = len(library.entries) + len(library.failed_blocks)
        if not found:
            raise InputError(
                f"{report.source}: no BibTeX entries found",
                hint="a BibTeX file has entries such as @article{key, title = {...}}",
            )
        raise InputError(
            f"{report.source}: none of its {found} BibTeX entries could be read "
            f"({len(library.failed_blocks)} broken, {untitled} without a title)",
            hint="the warnings above say where",
        )


def _add_entry(entry: Entry, report: ParseReport) -> bool:
    fields = {field.key.lower(): field.value for field in entry.fields}
    title = _text(fields.get("title"))
    if not title:
        return False
    url = _machine(fields.get("url"))
    doi = _machine(fields.get("doi"))
    arxiv_id = _arxiv_id(fields, url, doi)
    primary = _machine(fields.get("primaryclass"))
    if not url and not arxiv_id and doi:
        url = doi if doi.startswith("http") else f"https://doi.org/{doi}"
    report.add(
        title,
        _text(fields.get("abstract")),
        arxiv_id=arxiv_id,
        authors=_authors(fields.get("author")),
        categories=[primary] if arxiv_id and _CATEGORY.match(primary) else [],
        date=_date(fields),
        url=url or None,
    )
    return True


def _arxiv_id(fields: dict[str, Any], url: str, doi: str) -> str | None:
    prefix = _machine(fields.get("archiveprefix") or fields.get("eprinttype")).lower()
    eprint = _machine(fields.get("eprint"))
    if eprint and prefix in ("", "arxiv"):
        match = _ARXIV_EPRINT.match(eprint)
        if match:
            return match.group("id")
    journal = _text(fields.get("journal"))
    found = (
        arxiv_id_in_url(url)
        or arxiv_id_in_doi(doi)
        or arxiv_id_in_text(journal)
        or arxiv_id_in_text(_text(fields.get("howpublished")))
    )
    if found is None and journal.lower() == "corr":  # DBLP: volume = {abs/2303.08867}
        match = _ARXIV_EPRINT.match(_machine(fields.get("volume")).removeprefix("abs/"))
        found = match.group("id") if match else None
    return found


def _date(fields: dict[str, Any]) -> str | None:
    match = _ISO_DATE.match(_machine(fields.get("date")))
    if match:
        return full_date(*match.groups())
    if "day" in fields:
        return full_date(_machine(fields.get("year")), fields.get("month"), fields.get("day"))
    return None


def _authors(value: object) -> list[str]:
    """Names as NameParts (split by the middlewares), first name first; 'others' dropped."""
    from bibtexparser.middlewares.names import NameParts

    if not isinstance(value, list):
        return []
    names = []
    for name in value:
        text = name.merge_first_name_first if isinstance(name, NameParts) else str(name)
        text = " ".join(text.split())
        if text and text.lower() != "others":
            names.append(text)
    return names


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _machine(value: object) -> str:
    """A machine field (url, doi, eprint) without LaTeX escapes or braces."""
    if value is None:
        return ""
    text = re.sub(r"\\url\{([^{}]*)\}", r"\1", str(value))
    text = _SIMPLE_ESCAPE.sub(r"\1", text).replace("\\~{}", "~").replace("{\\textasciitilde}", "~")
    return text.replace("{", "").replace("}", "").strip()


def split_name(name: str) -> Any:
    """One author's NameParts (bibtexparser's rules), or the name as a string 'First Last'
    when those rules refuse it: a stray comma ('Dawson,') or biblatex's extended form
    ('family=Oord, given=Aaron, prefix=van den') loses no entry."""
    from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

    parts = [part.strip() for part in name.split(",")]
    extended = dict(part.split("=", 1) for part in parts if _EXTENDED_NAME.match(part))
    if len(extended) == len(parts) and "family" in extended:
        order = ("given", "prefix", "family", "suffix")
        return " ".join(extended[key].strip() for key in order if extended.get(key, "").strip())
    try:
        return parse_single_name_into_parts(name)
    except InvalidNameError:
        return first_last(name.strip().strip(","))


def decode_latex(value: str, decoder: Any) -> str:
    """LaTeX to text with `decoder` (pylatexenc), skipped where a value has no LaTeX at all
    but simple escapes: decoding costs about 10 ms over a long abstract. A bare `%` is text
    in a BibTeX field (Mendeley writes them), not the start of a LaTeX comment."""
    if "%" in value:
        value = _BARE_PERCENT.sub(r"\\%", value)
    if not _LATEX_MARK.search(_SIMPLE_ESCAPE.sub("", value)):  # at most braces to drop
        return _SIMPLE_ESCAPE.sub(r"\1", value.replace("{", "").replace("}", ""))
    return decoder.latex_to_text(value)  # type: ignore[no-any-return]


def _middlewares() -> list[Any]:
    """After the default stack (@string references resolved, enclosing braces removed):
    field names in lower case, months to numbers, authors split on ' and ' into name parts (braces still there, so
    `{Google Brain Team}` stays one name), then LaTeX decoded in the text fields."""
    from bibtexparser import middlewares
    from bibtexparser.exceptions import PartialMiddlewareException
    from bibtexparser.library import Library
    from bibtexparser.middlewares.names import NameParts
    from bibtexparser.model import Block, MiddlewareErrorBlock

    class DecodeTextFields(middlewares.LatexDecodingMiddleware):
        """The library's decoder on the text fields only, names (lists of NameParts) included,
        which the library's own middleware passes over."""

        def transform_entry(self, entry: Entry, library: Library) -> Block:
            errors: list[str] = []

            def decode(text: str) -> str:
                try:
                    return decode_latex(text, self._decoder)
                except Exception as error:  # pylatexenc's errors have no common base
                    errors.append(f"{text!r}: {error}")
                    return text

            for field in entry.fields:
                if field.key.lower() not in TEXT_FIELDS:
                    continue
                if isinstance(field.value, str):
                    enclosing = field.enclosing  # the value setter resets it
                    field.value = decode(field.value)
                    field.enclosing = enclosing
                elif isinstance(field.value, list):
                    for place, name in enumerate(field.value):
                        if isinstance(name, NameParts):
                            for part in ("first", "von", "last", "jr"):
                                setattr(name, part, [decode(t) for t in getattr(name, part)])
                        elif isinstance(name, str):
                            field.value[place] = decode(name)
            if errors:
                return MiddlewareErrorBlock(entry, PartialMiddlewareException(errors))
            return entry

    class SplitNames(middlewares.SplitNameParts):
        def _transform_field_value(self, name: list[str]) -> list[Any]:
            return [split_name(one) for one in name]

    return [
        middlewares.NormalizeFieldKeys(),  # `Author` as older JabRef writes it is `author`
        middlewares.MonthIntMiddleware(),
        middlewares.SeparateCoAuthors(),
        SplitNames(),
        DecodeTextFields(),
    ]


def _reason(error: object) -> str:
    reason = getattr(error, "abort_reason", None) or str(error)
    return " ".join(str(reason).split()).rstrip(".")


def _quiet_library_logging() -> None:
    """bibtexparser logs each broken block; without a handler Python would print that on
    stderr, which belongs to the CLI. The report's warnings say it instead."""
    import logging

    logger = logging.getLogger("bibtexparser")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
