"""Text copied from a Hugging Face papers page: page chrome, then a title line and an abstract line
per paper.

Only titles and abstracts survive the copy, so records from this format have no arXiv id and take
a title hash as their id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from papertriage.formats.common import Lines, ParseReport
from papertriage.models import normalize_space, normalize_title

# Lines of page chrome, by the kind the parse report counts them under. Matched against the whole
# stripped line, so a title that merely contains these words is never dropped.
NOISE_PATTERNS: dict[str, re.Pattern[str]] = {
    "banner": re.compile(r"get trending papers in your email inbox(?: once a day)?!?", re.I),
    "submitted-by": re.compile(r"submitted by(?:\s+\S+)?", re.I),
    "upvotes": re.compile(r"(?:▲|upvote\s*)?\s*\d[\d,.]*k?|upvote", re.I),
    "date": re.compile(
        r"(?:published on\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}"
        r"(?:,?\s+\d{4})?|\d+\s+(?:minutes?|hours?|days?|weeks?|months?)\s+ago",
        re.I,
    ),
    "author-count": re.compile(r"[·•]?\s*\d+\s+authors?", re.I),
    "link": re.compile(
        r"(?:github|stars?)\s*[\d.,]+\s*k?|arxiv page|project page|pdf|code|github|"
        r"[·•]",
        re.I,
    ),
    "navigation": re.compile(
        r"hugging face|models|datasets|spaces|posts|docs|enterprise|pricing|log ?in|sign ?up|"
        r"papers|daily papers|daily|weekly|monthly|trending|collections?|search|"
        r"add to collection|copy link|view all|previous|next|new|community|subscribe|"
        r"models citing this paper.*|datasets citing this paper.*|spaces citing this paper.*|"
        r"collections including this paper.*|cite arxiv\.org/abs/\S+.*",
        re.I,
    ),
}
# "Subscribe" as the page copies it, glued to the first title (which may start in lower case, as
# "iTransformer" does), but not the start of a word such as "Subscribers".
GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?!(?:r|rs|d|s)\b)(?=\S)")
# Abstracts run to several sentences; titles are short and rarely end in a full stop.
MAX_TITLE_CHARS = 300


# One alternation tried once per line is several times faster than trying each pattern in turn.
_ANY_NOISE = re.compile(
    "|".join(
        f"(?P<{kind.replace('-', '_')}>{pattern.pattern})"
        for kind, pattern in NOISE_PATTERNS.items()
    ),
    re.I,
)


def noise_kind(line: str) -> str | None:
    """The kind of page chrome `line` is, or None for a line that may be a title or abstract."""
    match = _ANY_NOISE.fullmatch(line)
    return match.lastgroup.replace("_", "-") if match and match.lastgroup else None


def looks_like_abstract(line: str) -> bool:
    if len(line) > MAX_TITLE_CHARS:
        return True
    return len(line) >= 100 and (line.endswith((".", "!", "?")) or ". " in line)


def looks_like_title(line: str) -> bool:
    return not looks_like_abstract(line)


def is_sentence(line: str) -> bool:
    """Prose rather than a title: long, or ending like a sentence (a short abstract does)."""
    return looks_like_abstract(line) or line.endswith(".")


def _content_lines(lines: Lines, report: ParseReport) -> Iterator[tuple[int, str]]:
    """The lines that carry titles and abstracts, with page chrome dropped and counted."""
    drop_next_as = None
    first = True  # only the first content line can have "Subscribe" glued to it
    for number, raw in lines:
        line = raw.strip()
        if not line:
            continue
        if drop_next_as:  # "Submitted by" on its own line is followed by the user name
            report.dropped[drop_next_as] += 1
            drop_next_as = None
            continue
        glued = GLUED_SUBSCRIBE.match(line) if first else None
        if glued:
            report.dropped["navigation"] += 1
            line = line[glued.end() :].lstrip()
        kind = noise_kind(line) if len(line) < 120 else None
        if kind:
            report.dropped[kind] += 1
            if kind == "submitted-by" and line.lower() == "submitted by":
                drop_next_as = kind
            continue
        first = False
        yield number, line


def parse_hf(lines: Lines, report: ParseReport) -> None:
    content = _content_lines(lines, report)
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    last_key: tuple[str, str] | None = None

    def emit(title_at: tuple[int, str], abstract: str) -> None:
        nonlocal last_key
        number, title = title_at
        key = (normalize_title(title), normalize_space(abstract))
        if last_key is not None and key[0] == last_key[0] and key[1] in (last_key[1], ""):
            report.skipped["repeated"] += 1
            return
        if not abstract:
            report.warn(number, f"title without an abstract: {title[:80]!r}")
        if len(title) > MAX_TITLE_CHARS:
            report.warn(number, f"unusually long title ({len(title)} characters)")
        report.add(title, abstract)
        last_key = key

    for item in content:
        number, line = item
        if pending is None:
            if looks_like_abstract(line) and report.records and len(line) > MAX_TITLE_CHARS:
                # A second paragraph of the previous abstract: keep it rather than lose it.
                previous = report.records.pop()
                report.warn(number, "joined a second abstract paragraph to the paper before it")
                report.add(previous.title, f"{previous.abstract} {line}")
                continue
            pending = item
        elif is_sentence(line):
            emit(pending, line)
            pending = None
        else:  # a second title in a row: the pending paper has no abstract
            emit(pending, "")
            pending = item
    if pending is not None:
        emit(pending, "")
