"""A BibTeX file, as Zotero, Mendeley, JabRef or ASReview export a library (issue 11).

Read with bibtexparser 2, imported only when a BibTeX file is read: its splitter, which keeps
going past a broken entry, and its middlewares for @string references, braces, months and
names. The title, abstract and author names become plain text (`{\\"o}` -> ö, `{BERT}` ->
BERT, `\\&` -> &, `\\emph{x}` -> x, `\\-` -> nothing, `&amp;` -> &); inline math loses its
dollars and its common symbols become characters (`2.1$\\mu$W` -> 2.1μW), the rest of it kept
as written (`$O(\\log n)$` -> O(\\log n)). Machine fields (url, doi, eprint) only lose their
escapes, since a URL's `~` or `%` is no LaTeX.

An entry is a paper whatever its key: Mendeley writes `@article{,` for each paper without
one, and merged libraries give two papers one key. Only the same key with the same title again
is the same paper, skipped with a warning. A field written twice in one entry is read once,
with a warning (see `_one_of_each_field`).

A record's date is a full YYYY-MM-DD or nothing: `year` alone (or `year` and `month`, as
Zotero writes them) leaves it None rather than inventing a day.
"""

from __future__ import annotations

import re
from itertools import count
from typing import TYPE_CHECKING, Any

from papertriage.errors import InputError
from papertriage.listings.formats.common import (
    ARXIV_CATEGORY,
    Lines,
    ParseReport,
    decode_entities,
)
from papertriage.listings.formats.references import (
    arxiv_id_in_doi,
    arxiv_id_in_text,
    arxiv_id_in_url,
    first_last,
    full_date,
)
from papertriage.models import ARXIV_ID, normalize_title

if TYPE_CHECKING:
    from bibtexparser.model import Entry

# Fields whose LaTeX is decoded; the rest are machine values.
TEXT_FIELDS = frozenset({"title", "abstract", "author"})
_LATEX_MARK = re.compile(r"[\\$~]|--|``|''")
_SIMPLE_ESCAPE = re.compile(r"\\([&%_#$])")
_BARE_TEXT_CHARACTER = re.compile(r"(?<!\\)([%&])")
# Text styles still written out once decoded: Zotero writes an abstract's `\emph{x}` as
# `\textbackslash emph\{x\}`. The command goes, its words stay.
_TEXT_STYLE = re.compile(
    r"\\(?:emph|text(?:it|bf|tt|sc|rm|sf|sl|up)|mbox)\{([^{}]*)\}|\{\\(?:em|it|bf|sl|tt)\s+([^{}]*)\}"
)
# The math symbols written most in titles and abstracts, as characters; other math stays as written.
# fmt: off
_MATH_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "varrho": "ϱ",
    "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "pm": "±", "times": "×", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "approx": "≈",
    "sim": "∼", "infty": "∞", "cdot": "·", "to": "→",
    "ast": "∗", "star": "⋆", "ell": "ℓ", "partial": "∂", "nabla": "∇", "neq": "≠", "ne": "≠",
    "ll": "≪", "gg": "≫", "in": "∈", "rightarrow": "→", "quad": " ", "qquad": " ",
}
# fmt: on
_MATH_SYMBOL = re.compile(
    rf"\^\s*(?:\\circ(?![A-Za-z])|\{{\s*\\circ\s*\}})|\\({'|'.join(_MATH_SYMBOLS)})(?![A-Za-z])"
)

_ARXIV_EPRINT = re.compile(rf"^(?:arXiv:)?{ARXIV_ID.pattern}$", re.IGNORECASE)
_CATEGORY = re.compile(ARXIV_CATEGORY)
_EXTENDED_NAME = re.compile(r"^(?:family|given|prefix|suffix|useprefix|juniorcomma)=")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\b")
_KEY = "papertriage_key"  # the parser metadata under which a repeated key is kept
_REPEATS = "papertriage_repeats"  # ... and an entry's repeated fields, for the warnings


def parse_bibtex(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    import bibtexparser
    from bibtexparser.middlewares.parsestack import default_parse_stack
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, MiddlewareErrorBlock

    _quiet_library_logging()
    library = bibtexparser.parse_string(
        "\n".join(text for _, text in lines),
        parse_stack=[_read_repeats(), *default_parse_stack(), *_middlewares()],
    )
    for block in library.failed_blocks:
        line = _line(block)
        if isinstance(block, DuplicateBlockKeyBlock):  # only @string: entries are read
            report.warn(line, f"@string {block.key!r} repeats an earlier one; skipped")
        elif isinstance(block, MiddlewareErrorBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            key = _key(block.ignore_error_block)
            report.warn(line, f"entry {key!r} not understood ({_reason(block.error)}); skipped")
        else:
            kind = (block.raw or "").split("{", 1)[0].split("(", 1)[0].strip() or "an"
            report.warn(line, f"{kind} entry not read: {_reason(block.error)}; skipped")
    untitled = _add_entries(library.entries, report)
    if not report.count:
        found = len(library.entries) + len(library.failed_blocks)
        if not found:
            raise InputError(
                f"{report.source}: no BibTeX entries found",
                hint="a BibTeX file has entries such as @article{key, title = {...}}",
            )
        # The error ends the command before any warning is shown: it names the first problem.
        raise InputError(
            f"{report.source}: none of its {found} BibTeX entries could be read "
            f"({len(library.failed_blocks)} broken, {untitled} without a title)",
            hint=f"the first: {report.warnings[0]}" if report.warnings else None,
        )


def _add_entries(entries: list[Entry], report: ParseReport) -> int:
    """Add a record per entry with a title, and say how many had none. An entry whose key and
    title both repeat an earlier entry's is that paper again, and is skipped; one that only
    shares the key (Mendeley writes `@article{,` for every paper without one) is another paper."""
    untitled = 0
    first_line: dict[tuple[str, str], int] = {}  # (key, normalised title) -> the line it was on
    for entry in entries:
        line, key = _line(entry), _key(entry)
        for field, at, first, kept in entry.get_parser_metadata(_REPEATS) or ():
            report.warn(at, f"entry {key!r} repeats its field {field!r} of line {first}; {kept}")
        fields = {field.key.lower(): field.value for field in entry.fields}
        title = _text(fields.get("title"))
        if not title:
            untitled += 1
            report.warn(line, f"entry {key!r} has no title; skipped")
            continue
        paper = (key, normalize_title(title))
        if paper in first_line:
            report.warn(
                line, f"entry {key!r} repeats the paper of line {first_line[paper]}; skipped"
            )
            continue
        first_line[paper] = line
        _add_entry(fields, title, report)
    return untitled


def _add_entry(fields: dict[str, Any], title: str, report: ParseReport) -> None:
    url = decode_entities(_machine(fields.get("url")))  # an address copied from a page's HTML
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
        categories=[primary] if arxiv_id and _CATEGORY.fullmatch(primary) else [],
        date=_date(fields),
        url=url or None,
    )


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
    # DBLP writes `journal = {CoRR}, volume = {abs/2303.08867}`, Semantic Scholar `{ArXiv}`.
    if found is None and journal.lower() in ("corr", "arxiv"):
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
    """A text field's LaTeX as plain text with `decoder` (pylatexenc, see `_latex_decoder`),
    skipped where a value has no LaTeX at all but simple escapes: decoding costs about 10 ms
    over a long abstract. A bare `%` or `&` is text in a BibTeX field (Mendeley writes them,
    and its HTML entities), not the start of a LaTeX comment or a table's column."""
    if "%" in value or "&" in value:
        value = _BARE_TEXT_CHARACTER.sub(r"\\\1", value)
    if not _LATEX_MARK.search(_SIMPLE_ESCAPE.sub("", value)):  # at most braces to drop
        text = _SIMPLE_ESCAPE.sub(r"\1", value.replace("{", "").replace("}", ""))
    else:
        text = decoder.latex_to_text(value)
    if "\\" in text:
        text = _TEXT_STYLE.sub(lambda match: match.group(1) or match.group(2) or "", text)
    return decode_entities(text)


def _inline_math(latex: str) -> str:
    """`$\\mu$`, `\\(\\mu\\)` or `$$\\mu$$` -> `μ`: the symbols of _MATH_SYMBOLS (and `^\\circ`, °)
    as characters, the rest as written, without the dollars."""
    inside = latex[1:-1] if latex.startswith("$") and not latex.startswith("$$") else latex[2:-2]
    return _MATH_SYMBOL.sub(lambda match: _MATH_SYMBOLS.get(match.group(1) or "", "°"), inside)


def _latex_decoder() -> Any:
    """bibtexparser's decoder (braces dropped, `\\url{x}` as x) with inline math read by
    `_inline_math`, the text styles pylatexenc drops with their words (`\\texttt`, `\\mbox`) kept,
    `\\-` (where a word may be hyphenated) removed rather than made a soft hyphen, and
    `\\textasciicircum` as `^`."""
    from pylatexenc.latex2text import (  # type: ignore[import-untyped]
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )
    from pylatexenc.latexwalker import LatexMathNode  # type: ignore[import-untyped]

    context = get_default_latex_context_db()
    kept = ("texttt", "textsf", "textup", "mbox")
    context.add_context_category(
        "papertriage",
        prepend=True,
        macros=[
            MacroTextSpec("url", simplify_repl="%s"),
            MacroTextSpec("-", discard=True),
            # The ASCII caret it names (Zotero's N{\textasciicircum}2, papertriage's export),
            # not pylatexenc's modifier letter ˆ.
            MacroTextSpec("textasciicircum", simplify_repl="^"),
            *(MacroTextSpec(name, discard=False) for name in kept),
        ],
    )

    class Decoder(LatexNodes2Text):  # type: ignore[misc]
        def math_node_to_text(self, node: Any) -> str:
            # `$$...$$` too: in a title or an abstract it is never an equation set apart
            # (Mendeley writes a title's `$\\phi$` so), and reading it as one adds spaces.
            verbatim = node.latex_verbatim() if node.isNodeType(LatexMathNode) else ""
            if node.isNodeType(LatexMathNode) and (
                node.displaytype == "inline" or verbatim.startswith("$$")
            ):
                return _inline_math(verbatim)
            return super().math_node_to_text(node)  # type: ignore[no-any-return]

    return Decoder(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


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
        DecodeTextFields(decoder=_latex_decoder()),
    ]


def _read_repeats() -> Any:
    """A middleware, first in the stack, for what the library sets aside as failed blocks:
    an entry whose key repeats an earlier one, and an entry that repeats a field. Each becomes
    an entry again, under a key of its own so that the library holds it (`_key` gives back the
    key as written), the second with one of each field."""
    from bibtexparser import middlewares
    from bibtexparser.library import Library
    from bibtexparser.model import (
        Block,
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ParsingFailedBlock,
    )

    class ReadRepeats(middlewares.BlockMiddleware):
        renamed = count(1)

        def transform_entry(self, entry: Entry, library: Library) -> Block:
            _one_of_each_field(entry)  # `Title` and `title`, which the library lets through
            return entry

        def transform_failed_block(self, block: ParsingFailedBlock, library: Library) -> Block:
            entry = block.ignore_error_block
            if not isinstance(entry, Entry):
                return block
            if isinstance(block, DuplicateFieldKeyBlock):
                _one_of_each_field(entry)
            elif not isinstance(block, DuplicateBlockKeyBlock):
                return block
            entry.set_parser_metadata(_KEY, entry.key)
            entry.key = f"{entry.key}\n{next(self.renamed)}"  # no key has a line break
            return entry

    return ReadRepeats()


def _one_of_each_field(entry: Entry) -> None:
    """Keep one field of each name (in any case), noting the repeats in the entry's metadata.

    The longer value is kept, the first of two as long: a field written twice is most often one
    value again or a copy cut short (Zotero wrote `doi = {10.1007}`, then the whole DOI, in one
    user's library). BibTeX's own rule, the first wins, would have kept a DOI that leads nowhere.
    """
    kept: dict[str, Any] = {}  # name -> the Field kept
    first: dict[str, Any] = {}  # name -> its first Field
    repeats: list[tuple[str, int, int, str]] = []  # (name, its line, its first line, which kept)
    for field in entry.fields:
        name = field.key.lower()
        if name not in kept:
            kept[name] = first[name] = field
            continue
        longer = len(str(field.value)) - len(str(kept[name].value))
        if longer > 0:
            kept[name], which = field, "this value, the longer, is kept"
        elif kept[name] is first[name]:
            which = "the first value is kept"
        else:
            which = f"the value of line {_line(kept[name])} is kept"
        which += ", the longer" if longer < 0 else ""
        repeats.append((name, _line(field), _line(first[name]), which))
    if repeats:
        entry.fields = list(kept.values())
        entry.set_parser_metadata(_REPEATS, repeats)


def _line(block: Any) -> int:
    """The line a block or a field starts on (the library counts from 0)."""
    return (block.start_line or 0) + 1


def _key(entry: Entry) -> str:
    """The entry's key as written in the file."""
    written = entry.get_parser_metadata(_KEY)
    return entry.key if written is None else str(written)


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
