r"""TeX's accents as the letters they make: `Schr\"odinger` is "Schrödinger", `Pito\v{n}\'ak`
"Pitoňák", `S{\o}ren` "Søren".

arXiv keeps a paper's metadata as its authors typed it, in TeX, and its e-mail digests print it
so: a reader searching "Jónsson" should find `J\'onsson`. Only accents and the few letters TeX
spells as commands are read; everything else (math such as `$\alpha$`, `\cite`, `\&`) stays as
written, as the other arXiv formats keep it. The BibTeX reader decodes all of LaTeX (with
pylatexenc); this is the small, fast part a digest of a thousand entries needs.
"""

from __future__ import annotations

import re
import unicodedata

# The accent commands and the combining character each puts over (or under) its letter.
_SYMBOL_ACCENTS = {
    '"': "\u0308",  # umlaut
    "'": "\u0301",  # acute
    "`": "\u0300",  # grave
    "^": "\u0302",  # circumflex
    "~": "\u0303",  # tilde
    "=": "\u0304",  # macron
    ".": "\u0307",  # dot above
}
_LETTER_ACCENTS = {
    "u": "\u0306",  # breve
    "v": "\u030c",  # caron
    "H": "\u030b",  # double acute
    "c": "\u0327",  # cedilla
    "k": "\u0328",  # ogonek
    "r": "\u030a",  # ring
    "d": "\u0323",  # dot below
    "b": "\u0331",  # bar below
}
_LETTERS = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "ı",  # dotless, as in Turkish (an accent over `\\i` makes "í" instead)
    "j": "ȷ",
}

# The letter an accent sits on: a letter, or a dotless i or j (`\'\i` is "í").
_BASE = r"(?:\\[ij](?![A-Za-z]) ?|[A-Za-z])"  # TeX's space after `\i` goes with it
# `\"o`, `\"{o}` or `\" o`; a letter command needs a brace or a space (`\v{c}`, `\c c`), so
# that `\varepsilon` or `\cdot` is never read as one. Either may be wrapped in braces: `{\"o}`.
_ACCENT = re.compile(
    r"(\{)?\\(?:"
    rf"(?P<symbol>[{re.escape(''.join(_SYMBOL_ACCENTS))}])\s*(?:\{{\s*(?P<sbase>{_BASE})\s*\}}|(?P<sbare>{_BASE}))"
    rf"|(?P<letter>[{''.join(_LETTER_ACCENTS)}])(?:\s*\{{\s*(?P<lbase>{_BASE})\s*\}}|\s+(?P<lbare>{_BASE}))"
    r")(?(1)\})"
)
# `\o`, `{\o}`, `\o{}`; a space after the bare command is TeX's and goes with it (`Bj\o rn`).
_LETTER = re.compile(
    rf"\{{\\(?P<braced>{'|'.join(_LETTERS)})\}}|\\(?P<bare>{'|'.join(_LETTERS)})(?![A-Za-z])(?:\{{\}}| )?"
)


def tex_accents(text: str) -> str:
    """`text` with TeX accents and letter commands as Unicode letters (composed, NFC)."""
    if "\\" not in text:
        return text
    decoded = _LETTER.sub(
        lambda m: _LETTERS[m["braced"] or m["bare"]], _ACCENT.sub(_accented, text)
    )
    return unicodedata.normalize("NFC", decoded)


def _accented(match: re.Match[str]) -> str:
    base = match["sbase"] or match["sbare"] or match["lbase"] or match["lbare"]
    mark = _SYMBOL_ACCENTS[match["symbol"]] if match["symbol"] else _LETTER_ACCENTS[match["letter"]]
    return base.strip().lstrip("\\") + mark
