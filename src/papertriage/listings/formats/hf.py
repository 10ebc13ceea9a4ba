"""Text copied from a Hugging Face papers page: page chrome, then a title line and an abstract line
per paper. The daily, weekly, monthly, trending and search pages share their chrome (navigation,
headings, switches, pager, search box, footer), and all of it is dropped.

Only titles and abstracts survive the copy, so records from this format have no arXiv id and take
a title hash as their id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from papertriage.listings.formats.common import LineBlock, ParseReport

# Dates as the pages print them: "Aug 20", "Aug 19, 2025", "Published on Nov 3, 2024".
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = rf"{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
# What a paper's line of links may hold, any of them, in any order: "GitHub 11.3k arXiv Page".
_LINK = r"(?:(?:github|stars?)\s*[\d.,]+\s*k?|arxiv page|project page|pdf|code|github|[·•])"

# Lines of page chrome, by the kind the parse report counts them under. Each pattern describes a
# kind of line (a date, a count, a button), never a particular paper, and must match the whole
# line, stripped and lower-cased, so a title that merely contains these words ("Next-Token
# Prediction", "Search-R1") is never dropped. The daily, weekly, monthly, trending and search
# pages share this chrome.
NOISE_PATTERNS: dict[str, str] = {
    "banner": r"get trending papers in your email inbox(?: once a day)?!?",
    # The page's heading and the line under it, which a copy may split at the link on "AK".
    "header": (
        r"(?:daily|weekly|monthly|trending) papers(?: - hugging face)?|"
        r"trending papers ranked by github stars(?: activity)?|"
        r"by(?:\s*ak)?(?:\s+and the research community)?|ak|and the research community"
    ),
    "switch": (
        r"(?:daily|weekly|monthly|trending)(?:\s*[|/·•]?\s*(?:daily|weekly|monthly|trending))*"
    ),
    # Moving between days, weeks and months, or on through a long list.
    "pager": (
        r"(?:[←‹«]\s*)?(?:previous|prev|next)(?:\s+(?:day|week|month|page))?(?:\s*[→›»])?|"
        r"[←→‹›«»]|view all(?:\s+\d[\d,]*)?(?:\s+papers)?|(?:load|show|see) (?:more|all)"
    ),
    "button": r"submit(?:\s+(?:a|your|new))?(?:\s+papers?)?(?:\s+here)?",
    # The search box: its placeholder (cut short with an ellipsis or not) and its button.
    "search": (
        r"search(?:\s+(?:any\s+papers?(?:\s+with\s+ai)?|papers?|models,?\s+datasets,?\s+users))?"
        r"\s*(?:\.\.\.|…)?|search\s[^.…]{1,40}(?:\.\.\.|…)"
    ),
    "count": r"(?:showing\s+)?\d[\d,]*\s+(?:papers?|results?)(?:\s+found)?",
    "submitted-by": r"submitted by(?:\s+\S+)?",
    "upvotes": r"(?:▲\s*|upvote\s*)?\d[\d,.]*k?|upvote",
    # A date, or the heading of a day, week or month: "Aug 18 - Aug 24", "Week 34, 2025",
    # "2025-W34", "August 2025" (a date after a name, "Google · Oct 23, 2025", see _NAMED_DATE).
    "date": (
        rf"(?:published on\s+)?{_DAY}|"
        rf"{_DAY}\s*[-–—]\s*(?:{_DAY}|\d{{1,2}}(?:,?\s+\d{{4}})?)|{_MONTH}\s+\d{{4}}|"
        r"week\s+\d{1,2}(?:(?:,|\s+of)?\s+\d{4})?|(?:\d{4}-)?w\d{2}|\d{4}-\d{2}(?:-\d{2})?|"
        r"\d+\s+(?:minutes?|hours?|days?|weeks?|months?)\s+ago|today|yesterday"
    ),
    "author-count": rf"\d+\s+authors?(?:\s*[·•]\s*(?:published on\s+)?{_DAY})?",
    "link": rf"{_LINK}(?:\s+{_LINK})*",
    "navigation": (
        r"(?:hugging face(?:'s logo(?: hugging face)?)?|models|datasets|spaces|buckets|posts|"
        r"docs|enterprise|pricing|log ?in|sign ?up|papers|collections?|community|blog|learn|"
        r"discord|forum|tasks|huggingchat|languages|organizations|solutions|team & enterprise|"
        r"hugging face pro|enterprise support|inference providers|inference endpoints|"
        r"storage buckets)(?:\s+new)?|"
        r"new|subscribe|add to collection|copy link|"
        r"models citing this paper.*|datasets citing this paper.*|spaces citing this paper.*|"
        r"collections including this paper.*|cite arxiv\.org/abs/\S+.*"
    ),
    "footer": (
        r"system theme|company|tos|terms of service|privacy(?: policy)?|about|careers|website|"
        r"(?:©|\(c\))\s*(?:\d{4}\s+)?hugging\s*face(?:,?\s+inc\.?)?"
    ),
}
# A name and a date on one line: who listed the paper, and when ("Kandinsky Lab · Oct 4, 2026").
# Tried only on lines holding a separator: its open start would slow the test of every title.
_NAMED_DATE = re.compile(rf"[^·•]{{1,48}}[·•]\s*(?:published on\s+)?{_DAY}")
_SEPARATORS = ("·", "•")
# List markers a copy may keep before a line of chrome ("· 4 authors", "- Daily").
_MARKERS = "-*·•–"
# "Subscribe" as the page copies it, glued to the first title (which may start in lower case, as
# "iTransformer" does), but not the start of a word such as "Subscribers".
GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?!(?:r|rs|d|s)\b)(?=\S)")
MAX_NOISE_CHARS = (
    64  # page chrome is short (the longest, the banner, has 51); longer lines are content
)
# What str.split() treats as white space, besides the plain space and the line end (a test checks
# this list against str.isspace over all of Unicode; computing it here would slow every start-up).
_OTHER_SPACE = list(
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_OTHER_ASCII_SPACE = [c for c in _OTHER_SPACE if c.isascii()]
# Abstracts run to several sentences; titles are short and rarely end in a full stop.
MAX_TITLE_CHARS = 300
# Code and markup, told by how a line starts or ends: a tag ("<entry>", "</summary>",
# "<link .../>"), a comment, or an opened block, call, list or string, a statement's end, an
# assignment, a continued line. A title or an abstract line ends in none of these.
_CODE_OR_MARKUP = re.compile(r"^(?:<[A-Za-z/?!]|//|/\*)|(?:</[\w:.-]+>|/>|[{(\[;=`,\\])$")
# One sentence ending and the next starting within a line ("datanature. In the"), as prose
# wrapped at a fixed width has; a title's abbreviations ("vs. Humans", "Dr. No") are too short.
_SENTENCE_BREAK = re.compile(r"[a-z]{3}\. [A-Z]")


# One alternation tried once per line is several times faster than trying each pattern in turn.
# Matching the lower-cased line without IGNORECASE halves the time again (15 ms against 8 ms over
# the 6,600 short titles of bench/parse_bench.py's 20,000-paper listing): Python's matcher can
# only skip a branch on its first letter when the pattern is case-sensitive.
_ANY_NOISE = re.compile(
    "|".join(f"(?P<{kind.replace('-', '_')}>{pattern})" for kind, pattern in NOISE_PATTERNS.items())
)


def noise_kind(line: str) -> str | None:
    """The kind of page chrome `line` (stripped) is, or None for a line that may be a title or
    abstract."""
    if line and line[0] in _MARKERS:
        line = line.lstrip(_MARKERS + " ")
        if not line:  # "·" alone, between a paper's details; "-", a count of no upvotes
            return "separator"
    lowered = line.lower()
    match = _ANY_NOISE.fullmatch(lowered)
    if match and match.lastgroup:
        return match.lastgroup.replace("_", "-")
    if ("·" in line or "•" in line) and _NAMED_DATE.fullmatch(lowered):
        return "date"
    return None


def looks_like_abstract(line: str) -> bool:
    size = len(line)
    return size > MAX_TITLE_CHARS or (
        size >= 100 and (line.endswith((".", "!", "?")) or ". " in line)
    )


def _looks_like_code_or_markup(line: str) -> bool:
    """A line of a program or of markup: neither a title nor an abstract, which a copied page
    gives as plain text."""
    return _CODE_OR_MARKUP.search(line) is not None


def looks_like_title(line: str) -> bool:
    """Short, and not a line of code, of markup or of prose wrapped at a fixed width (which
    holds the end of one sentence and the start of the next)."""
    return not (
        looks_like_abstract(line)
        or _looks_like_code_or_markup(line)
        or _SENTENCE_BREAK.search(line) is not None
    )


def is_sentence(line: str) -> bool:
    """Prose rather than a title: long, or ending like a sentence (a short abstract does); never
    a line of code or markup."""
    return (line.endswith(".") or looks_like_abstract(line)) and not _looks_like_code_or_markup(
        line
    )


def needs_spacing(text: str) -> bool:
    """Whether `text` holds white space that normalising its lines could change: a run of
    spaces, or any white space but the plain space and the line end (leading and trailing spaces
    aside, which stripping takes off).

    The single-character searches run at memory speed. The double space is the slow one, since
    prose has a space every few characters; CPython 3.11 finds it a third faster searching
    backwards (rfind: 0.11 s against 0.16 s with `in` over bench/parse_bench.py's 115 MB listing).
    """
    if text.rfind("  ") >= 0:
        return True
    others = _OTHER_ASCII_SPACE if text.isascii() else _OTHER_SPACE
    return any(space in text for space in others)


def normalized_lines(block: LineBlock) -> list[str]:
    """The lines of `block` with their white space normalised.

    One search over the block's text shows that most blocks need nothing more than stripping,
    which spares splitting every long abstract into words: this is most of the parser's speed.
    """
    lines = list(map(str.strip, block.lines))
    if needs_spacing("\n".join(lines) if block.text is None else block.text):
        return [" ".join(line.split()) for line in lines]
    return lines


def parse_hf(blocks: Iterable[LineBlock], report: ParseReport) -> None:
    """Parse the raw lines (line ends already removed) of a copied Hugging Face papers page.

    Page chrome is dropped and counted; the remaining lines pair up as title and abstract, except
    where a title is directly followed by another title (its abstract was not copied).
    """
    dropped = report.dropped
    # The papers of the current block, made records together at its end: one call per block
    # instead of several per paper (this loop runs once per line of a listing).
    titles: list[str] = []
    abstracts: list[str] = []
    pending = ""  # a title waiting for its abstract
    pending_at = 0
    chrome_at = 0  # the line number of the last chrome line dropped
    last_title = last_abstract = ""
    drop_next_as = ""
    first = True  # only the first content line can have "Subscribe" glued to it

    def emit(number: int, title: str, abstract: str) -> None:
        nonlocal last_title, last_abstract
        # A page copied twice over repeats entries verbatim, so comparing the lines suffices.
        if title == last_title and abstract in (last_abstract, ""):
            report.skipped["repeated"] += 1
            return
        if not abstract:
            report.warn(number, f"title without an abstract: {title[:80]!r}")
        if len(title) > MAX_TITLE_CHARS:
            report.warn(number, f"unusually long title ({len(title)} characters)")
        titles.append(title)
        abstracts.append(abstract)
        last_title, last_abstract = title, abstract

    number = 0
    for block in blocks:
        for line in normalized_lines(block):
            number += 1
            if not line:
                continue
            if first and (glued := GLUED_SUBSCRIBE.match(line)):
                dropped["navigation"] += 1
                line = line[glued.end() :].lstrip()
            if len(line) < MAX_NOISE_CHARS:
                if drop_next_as:  # "Submitted by" on its own line is followed by the user name
                    dropped[drop_next_as] += 1
                    drop_next_as = ""
                    continue
                if kind := noise_kind(line):
                    if pending and pending_at > chrome_at and line in _SEPARATORS:
                        # "Google", "·", "Oct 23, 2025": a short line directly before a lone
                        # separator names who listed the paper; it is not a title.
                        dropped["organization"] += 1
                        pending = ""
                    chrome_at = number
                    dropped[kind] += 1
                    if kind == "submitted-by" and line.lower() == "submitted by":
                        drop_next_as = kind
                    continue
            first = False
            if not pending:
                if len(line) > MAX_TITLE_CHARS and (titles or report.records):
                    # A second paragraph of the previous abstract: keep it rather than lose it.
                    report.warn(number, "joined a second abstract paragraph to the paper before it")
                    if not titles:  # the paper is in a record already (from an earlier block)
                        previous = report.records.pop()
                        titles.append(previous.title)
                        abstracts.append(previous.abstract)
                    abstracts[-1] = f"{abstracts[-1]} {line}"
                else:
                    pending, pending_at = line, number
            elif line[-1] == "." or looks_like_abstract(line):  # is_sentence, spelt out
                emit(pending_at, pending, line)
                pending = ""
            else:  # a second title in a row: the pending paper has no abstract
                emit(pending_at, pending, "")
                pending, pending_at = line, number
        report.add_papers(titles, abstracts)
        titles.clear()
        abstracts.clear()
    if pending:
        emit(pending_at, pending, "")
        report.add_papers(titles, abstracts)
