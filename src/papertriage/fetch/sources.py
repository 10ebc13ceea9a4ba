"""Where each source's papers are asked for, and how its answers are read.

The addresses default to the real services; $PAPERTRIAGE_ARXIV_API (the API's query endpoint),
$PAPERTRIAGE_ARXIV_RSS (the base before /rss/) and $PAPERTRIAGE_HF_API (the base before
/daily_papers) replace them, which is how the tests point every fetch at a local server. The
answers are read by the listing parsers (arXiv's Atom and RSS, Hugging Face's API JSON), so a
fetched paper is the record `parse` would give for the same text.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from papertriage.errors import UsageError
from papertriage.listings.parse import ParseReport, iter_lines, parse_lines
from papertriage.models import ARXIV_ID

ARXIV_API = "https://export.arxiv.org/api/query"
ARXIV_RSS = "https://rss.arxiv.org"
HF_API = "https://huggingface.co/api"
ARXIV_DELAY = 3.0  # seconds between two requests to arXiv, as its terms of use ask
ARXIV_PAGE = 2000  # at most this many results per API call, as arXiv asks
CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")  # cs.LG, math.OC, hep-th


@dataclass(frozen=True)
class Endpoints:
    arxiv_api: str
    arxiv_rss: str
    hf_api: str
    arxiv_delay: float  # seconds between requests to the arXiv hosts
    arxiv_page: int  # results per API call

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Endpoints:
        return cls(
            _address(environ, "PAPERTRIAGE_ARXIV_API", ARXIV_API),
            _address(environ, "PAPERTRIAGE_ARXIV_RSS", ARXIV_RSS).rstrip("/"),
            _address(environ, "PAPERTRIAGE_HF_API", HF_API).rstrip("/"),
            _number(environ, "PAPERTRIAGE_ARXIV_DELAY", ARXIV_DELAY),
            int(_number(environ, "PAPERTRIAGE_ARXIV_PAGE", ARXIV_PAGE, high=ARXIV_PAGE)),
        )

    def delays(self) -> dict[str, float]:
        """Host -> seconds between requests: arXiv's hosts get their delay."""
        hosts = {urllib.parse.urlsplit(url).netloc for url in (self.arxiv_api, self.arxiv_rss)}
        return dict.fromkeys(hosts, self.arxiv_delay)


def _address(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name) or default
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"${name} must be an http(s) address (got {value!r})", hint=f"e.g. {default}"
        )
    return value


def _number(environ: Mapping[str, str], name: str, default: float, high: float = 1e9) -> float:
    value = environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise UsageError(f"${name} must be a number (got {value!r})") from None
    if not 0 <= number <= high:
        raise UsageError(f"${name} must be between 0 and {high:g} (got {value!r})")
    return number


# -- checks, made before any request ----------------------------------------------------------


def check_categories(categories: list[str]) -> list[str]:
    if not categories:
        raise UsageError("no category given", hint="e.g. cs.LG, or several: cs.LG cs.CL")
    for category in categories:
        if not CATEGORY.fullmatch(category):
            raise UsageError(
                f"{category!r} is not an arXiv category", hint="e.g. cs.LG, math.OC, hep-th"
            )
    return categories


def check_date(value: str, what: str = "--date") -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date", hint="give YYYY-MM-DD") from None


def check_week(value: str) -> str:
    match = re.fullmatch(r"(\d{4})-W(\d{2})", value)
    if not match or not 1 <= int(match.group(2)) <= 53:
        raise UsageError(f"--week {value!r} is not a week", hint="give YYYY-Www, e.g. 2025-W07")
    return value


def check_month(value: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--month {value!r} is not a month", hint="give YYYY-MM, e.g. 2025-02")
    return value


def check_ids(ids: list[str]) -> list[str]:
    for paper_id in ids:
        if not ARXIV_ID.fullmatch(paper_id):  # the ids records carry, checked alike
            raise UsageError(
                f"{paper_id!r} is not an arXiv id", hint="e.g. 2303.08867 or hep-th/9901001"
            )
    return ids


# -- addresses ----------------------------------------------------------------------------------


def rss_url(endpoints: Endpoints, categories: list[str]) -> str:
    return f"{endpoints.arxiv_rss}/rss/{'+'.join(categories)}"


def hf_url(endpoints: Endpoints, date: str | None, week: str | None, month: str | None) -> str:
    query = (
        {"date": date} if date else {"week": week} if week else {"month": month} if month else {}
    )
    suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
    return f"{endpoints.hf_api}/daily_papers{suffix}"


def api_query(categories: list[str], text: str | None, ids: list[str]) -> dict[str, str]:
    """The API's query parameters, without paging: categories OR-ed, and the query's words."""
    parts = [f"cat:{c}" for c in categories]
    query = " OR ".join(parts)
    if text:
        words = f"all:{text}" if not parts else f"({query}) AND all:{text}"
        query = words
    params = {"sortBy": "submittedDate", "sortOrder": "descending"}
    if query:
        params["search_query"] = query
    if ids:
        params["id_list"] = ",".join(ids)
    return params


def api_pages(endpoints: Endpoints, params: dict[str, str], most: int) -> Iterator[tuple[str, int]]:
    """The URLs of the API pages for at most `most` results, and each page's size."""
    start = 0
    while start < most:
        size = min(endpoints.arxiv_page, most - start)
        page = {**params, "start": str(start), "max_results": str(size)}
        yield f"{endpoints.arxiv_api}?{urllib.parse.urlencode(page)}", size
        start += size


def parsed(body: bytes, format: str, source: str) -> ParseReport:
    """A service's answer read as a listing of that format (errors as parse raises them)."""
    text = body.decode("utf-8", errors="replace")
    return parse_lines(iter_lines(text), format, source=source)
