"""Whether a fetch brought the day's papers: fresh, quiet, stale or incomplete.

A stale or cut-short feed looks, to a reader, exactly like a day without papers; so every fetch
says which it was, on stderr and in its exit code (README, "Fetching papers"):

- incomplete: fewer papers arrived than the answer says it has (the API's totalResults, as far
  as --max asked for them);
- quiet: a valid answer without papers (a weekend, a holiday);
- stale: the same papers as the last fetch of that source, or only papers older than its newest;
- fresh: papers the last fetch of that source did not have.

The last fetch of each source (its papers' ids and newest date, and its verdict) is kept in the
cache directory, by the source's first address. A fetch answered from the cache repeats the
verdict of the fetch that filled it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from papertriage.errors import ExitCode
from papertriage.models import Record, paper_key
from papertriage.output.files import keep_cache_file

EXIT_CODES = {
    "fresh": ExitCode.OK,
    "quiet": ExitCode.NO_RESULTS,
    "stale": ExitCode.STALE,
    "incomplete": ExitCode.INCOMPLETE,
}
_TOTAL = re.compile(rb"<opensearch:totalResults[^>]*>\s*(\d+)\s*</opensearch:totalResults>")


@dataclass(frozen=True)
class Verdict:
    name: str  # fresh, quiet, stale or incomplete
    reason: str

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.name]


@dataclass(frozen=True)
class LastFetch:
    ids: list[str]
    newest: str  # the newest paper's date ("" if none has one)
    verdict: str
    reason: str
    when: str  # ISO time of the fetch


def declared_total(body: bytes) -> int | None:
    """How many results an arXiv API answer says the query has (None if it does not say)."""
    match = _TOTAL.search(body[:4096])
    return int(match.group(1)) if match else None


def judge(
    records: Sequence[Record], last: LastFetch | None, declared: int | None, asked: int | None
) -> Verdict:
    """The verdict on a fetch's papers, given the last fetch of its source; `declared` is what
    the answer says it holds and `asked` the most papers asked for (None: no such count)."""
    if declared is not None and asked is not None and len(records) < min(declared, asked):
        return Verdict(
            "incomplete", f"{len(records)} papers arrived of the {min(declared, asked)} announced"
        )
    if not records:
        return Verdict(
            "quiet", "a valid answer without papers (on a feed: a day without announcements)"
        )
    ids, newest = _ids_and_newest(records)
    if last is not None and ids == last.ids:
        return Verdict("stale", f"the same {len(ids)} papers as the fetch of {last.when}")
    if last is not None and newest and last.newest and newest < last.newest:
        return Verdict(
            "stale", f"its newest paper ({newest}) is older than the last fetch's ({last.newest})"
        )
    new = len(set(ids) - set(last.ids)) if last is not None else len(ids)
    return Verdict("fresh", f"{new} paper{'' if new == 1 else 's'} not in the last fetch of it")


def _ids_and_newest(records: Sequence[Record]) -> tuple[list[str], str]:
    """What a fetch is compared by: its papers' bare ids, sorted, and its newest date ("")."""
    ids = sorted(paper_key(record) for record in records)
    return ids, max((record.date or "" for record in records), default="")


def _path(cache_dir: Path, source: str) -> Path:
    return cache_dir / "fetch" / (hashlib.sha256(source.encode()).hexdigest()[:32] + ".json")


def last_fetch(cache_dir: Path | None, source: str) -> LastFetch | None:
    if cache_dir is None:
        return None
    try:
        data = json.loads(_path(cache_dir, source).read_text(encoding="utf-8"))
        return LastFetch(**data)
    except (OSError, ValueError, TypeError):
        return None


def remember(
    cache_dir: Path | None, source: str, records: Sequence[Record], verdict: Verdict
) -> None:
    """Keep this fetch as the last of its source (nothing kept without a cache directory)."""
    if cache_dir is None:
        return
    ids, newest = _ids_and_newest(records)
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    data = LastFetch(ids, newest, verdict.name, verdict.reason, when)
    keep_cache_file(_path(cache_dir, source), [json.dumps(asdict(data))])  # or judged without
