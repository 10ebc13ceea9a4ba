r"""arXiv's daily e-mail digest: entries between `\\` lines, header fields, then the abstract.

An entry looks like this (fields may wrap onto indented lines):

    \\
    arXiv:2303.08867
    Date: Wed, 15 Mar 2023 18:34:08 GMT   (243kb,D)

    Title: A Bayesian derivation of ...
    Authors: Louis Saddier and Matteo Marsili
    Categories: q-fin.TR cond-mat.stat-mech
    \\
      We show that ...
    \\ ( https://arxiv.org/abs/2303.08867 ,  243kb)

Fields are TeX, as the authors typed them: accents are read (`Schr\"odinger` is "Schrödinger"),
math is kept as written. Entries of the "replaced" section carry `replaced with revised version DATE` instead of `Date:` and
no abstract: they are skipped unless the caller asks for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from papertriage.listings.formats.common import (
    Lines,
    ParseReport,
    announce_type,
    email_date_to_iso,
    split_authors,
)
from papertriage.listings.formats.texaccents import tex_accents

ENTRY_ID = re.compile(r"arXiv:(?P<id>\S+)(?P<rest>.*)$")
FIELD = re.compile(r"(?P<name>[A-Za-z][A-Za-z\- ]{0,20}):\s?(?P<value>.*)$")
REPLACED = re.compile(r"replaced with revised version\s+(?P<date>.*?)\s*(?:\(\d+kb.*\))?$")
DATE_LINE = re.compile(r"Date:\s*(?P<date>.*?)\s*(?:\(\d+kb.*\))?$")
SIGNATURE = re.compile(
    r"\\\\ \(\s*https?://\S+"
)  # the closing `\\ ( https://arxiv.org/abs/ID , NNkb)`


@dataclass
class _Entry:
    line: int
    arxiv_id: str
    cross_listed: bool = False
    replaced: bool = False
    date: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    abstract: list[str] = field(default_factory=list)


def parse_arxiv_email(lines: Lines, report: ParseReport, *, include_replaced: bool) -> None:
    entry: _Entry | None = None
    state = "outside"  # outside -> id -> header -> abstract -> outside
    last_field = ""
    for number, raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if state == "outside":
            if stripped == "\\\\":
                state = "id"
            elif stripped and not set(stripped) <= set("-%"):
                report.dropped["mail-header"] += 1
            continue
        if state == "id":
            match = ENTRY_ID.match(stripped)
            if match is None:
                report.warn(number, "expected 'arXiv:ID' after a '\\\\' line; skipped")
                state = "outside"
                continue
            entry = _Entry(number, match["id"], cross_listed="cross-list" in match["rest"])
            state, last_field = "header", ""
            continue
        assert entry is not None
        if SIGNATURE.match(stripped) or (state == "abstract" and stripped == "\\\\"):
            _finish(entry, report, include_replaced)
            entry, state = None, "outside"
            continue
        if state == "abstract":
            entry.abstract.append(stripped)
            continue
        # header
        if stripped == "\\\\":
            state = "abstract"
        elif not stripped:
            continue
        elif (replaced := REPLACED.match(stripped)) is not None:
            entry.replaced = True
            entry.date = entry.date or email_date_to_iso(replaced["date"])
        elif line[:1].isspace() and last_field:
            entry.fields[last_field] += " " + stripped
        elif (date := DATE_LINE.match(stripped)) is not None and "date" not in entry.fields:
            entry.fields["date"] = date["date"]
            entry.date = email_date_to_iso(date["date"])
        elif (match := FIELD.match(stripped)) is not None:
            last_field = match["name"].lower()
            entry.fields[last_field] = match["value"].strip()
        else:
            report.warn(number, f"unexpected line in the entry header of arXiv:{entry.arxiv_id}")
    if entry is not None:
        report.warn(entry.line, f"arXiv:{entry.arxiv_id}: listing ends inside this entry")
        _finish(entry, report, include_replaced)


def _finish(entry: _Entry, report: ParseReport, include_replaced: bool) -> None:
    title = entry.fields.get("title", "")
    if not title:
        report.warn(entry.line, f"arXiv:{entry.arxiv_id} has no title; skipped")
        return
    if entry.replaced and not include_replaced:
        report.skipped["replaced"] += 1
        return
    if not entry.abstract and not entry.replaced:
        report.warn(entry.line, f"arXiv:{entry.arxiv_id} has no abstract")
    report.add(
        tex_accents(title),
        tex_accents(" ".join(entry.abstract)),
        arxiv_id=entry.arxiv_id,
        authors=split_authors(entry.fields.get("authors", "")),
        categories=entry.fields.get("categories", "").split(),
        date=entry.date,
        announce_type=announce_type(entry.replaced, entry.cross_listed),
    )
