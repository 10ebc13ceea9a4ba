"""fetch against a local server: records as parse gives them, politeness, the cache, and every
network fault ending in one clear error (no test touches the internet)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from papertriage import __version__
from papertriage.fetch import http
from papertriage.listings.parse import parse_text
from tests.helpers import DATA, run
from tests.helpers.server import Answer, Script, free_port, serving

RSS = DATA / "formats" / "arxiv_rss" / "cs-lg-ai.rss.xml"
HF_JSON = DATA / "formats" / "json" / "hf-daily-papers.json"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    with serving() as (base, script):
        monkeypatch.setenv("PAPERTRIAGE_ARXIV_RSS", base)
        monkeypatch.setenv("PAPERTRIAGE_ARXIV_API", f"{base}/api/query")
        monkeypatch.setenv("PAPERTRIAGE_HF_API", f"{base}/hf")
        monkeypatch.setenv("PAPERTRIAGE_ARXIV_DELAY", "0.3")
        monkeypatch.setattr(http, "BACKOFF", 0.01)  # retries without the real backoff's wait
        yield script


def ids(out: str) -> list[str]:
    return [json.loads(line)["id"] for line in out.splitlines()]


def test_an_rss_fetch_gives_what_parse_gives_politely_and_once(server: Script) -> None:
    server.answers["/rss/cs.LG+cs.AI"] = [Answer(body=RSS.read_bytes())]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "cs.AI", "--format", "jsonl")
    assert code == 0, err
    expected = parse_text(RSS.read_text(encoding="utf-8"), "arxiv-rss")
    assert ids(out) == [r.id for r in expected] and ids(out)
    assert server.requests[0].headers["User-Agent"].startswith(f"papertriage/{__version__}")
    # Again within the freshness window: answered from the cache, the server not asked.
    code, again, err = run("fetch", "arxiv-rss", "cs.LG", "cs.AI", "--format", "jsonl")
    assert code == 0 and again == out and "answered from the cache" in err
    assert len(server.requests) == 1
    # Asked again, the server answers the same feed: stale, and said so.
    code, again, err = run("fetch", "arxiv-rss", "cs.LG", "cs.AI", "--refresh", "--format", "jsonl")
    assert code == 5 and again == out and "stale: the same" in err
    assert len(server.requests) == 2


def test_a_stale_cache_entry_is_revalidated_with_its_etag(server: Script, tmp_path: Path) -> None:
    body = RSS.read_bytes()
    server.answers["/rss/cs.LG"] = [
        Answer(body=body, headers={"ETag": '"v1"'}),
        Answer(304, headers={"ETag": '"v1"'}),
    ]
    first = run("fetch", "arxiv-rss", "cs.LG", "--format", "jsonl")
    for meta in tmp_path.rglob("http/*.json"):  # age the entry past its freshness
        data = json.loads(meta.read_text())
        meta.write_text(json.dumps(data | {"fetched": data["fetched"] - 3600}))
    second = run("fetch", "arxiv-rss", "cs.LG", "--format", "jsonl")
    assert first[0] == 0 and second[0] == 5  # not modified since: the same papers, stale
    assert second[1] == first[1]
    assert server.requests[1].headers.get("If-None-Match") == '"v1"'


def test_429_with_retry_after_is_waited_for_then_the_answer_used(server: Script) -> None:
    server.answers["/rss/cs.LG"] = [
        Answer(429, b"slow down", {"Retry-After": "1"}),
        Answer(body=RSS.read_bytes()),
    ]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "--format", "jsonl")
    assert code == 0, err
    assert ids(out)
    first, second = server.requests
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize(
    ("answer", "args", "message"),
    [
        (Answer(503, b"down"), (), "HTTP 503, still after 5 attempts"),
        (Answer(body=b"<rss/>", hang=2.0), ("--timeout", "0.5"), "no answer within 0.5 s"),
        (Answer(body=RSS.read_bytes(), cut=True), (), "the answer was cut off"),
        (Answer(404, b"no"), (), "HTTP 404"),
        (Answer(body=b"<html>not a feed"), (), "/rss/cs.LG:"),
    ],
)
def test_a_fault_is_one_error_line_and_no_output(
    server: Script, answer: Answer, args: tuple[str, ...], message: str
) -> None:
    server.answers["/rss/cs.LG"] = [answer]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", *args)
    assert code in (2, 4) and not out, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    if answer.status == 503:
        assert code == 4 and len(server.requests) == 1 + http.RETRIES


def test_nothing_listening_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_ARXIV_RSS", f"http://127.0.0.1:{free_port()}")
    code, out, err = run("fetch", "arxiv-rss", "cs.LG")
    assert code == 4 and not out and "the connection was refused" in err


@pytest.mark.parametrize(
    "args",
    [
        ("arxiv-rss", "cs LG"),
        ("arxiv-rss",),
        ("hf", "--date", "2025-02-30"),
        ("hf", "--week", "2025-W60"),
        ("hf", "--date", "2025-02-01", "--month", "2025-02"),
        ("arxiv",),
        ("arxiv", "--id", "not-an-id"),
    ],
)
def test_bad_arguments_are_usage_errors_before_any_request(
    server: Script, args: tuple[str, ...]
) -> None:
    code, out, err = run("fetch", *args)
    assert code == 2 and not out and err.startswith("Error:")
    assert server.requests == []


def atom_page(numbers: range) -> bytes:
    """An API page of papers numbered `numbers`, paper n submitted on February (29 - n), 2024:
    newest first, as the API sorts them."""
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/2402.{n:05d}v1</id><title>Paper {n}</title>"
        f"<summary>Abstract {n}.</summary><published>2024-02-{29 - n:02d}T00:00:00Z</published>"
        "</entry>"
        for n in numbers
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<title>arXiv Query</title><opensearch:totalResults>5</opensearch:totalResults>{entries}"
        "</feed>"
    ).encode()


def test_the_api_is_paged_in_order_once_with_the_delay_between_pages(
    server: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTRIAGE_ARXIV_PAGE", "2")
    server.answers["/api/query"] = [
        Answer(body=atom_page(range(1, 3))),
        Answer(body=atom_page(range(3, 5))),
        Answer(body=atom_page(range(5, 6))),
    ]
    code, out, err = run("fetch", "arxiv", "--category", "cs.LG", "--max", "5", "--format", "jsonl")
    assert code == 0, err
    titles = [json.loads(line)["title"] for line in out.splitlines()]
    assert titles == [f"Paper {n}" for n in range(1, 6)]
    starts = [r.path.split("start=")[1].split("&")[0] for r in server.requests]
    assert starts == ["0", "2", "4"]
    assert all("search_query=cat%3Acs.LG" in r.path for r in server.requests)
    gaps = [b.at - a.at for a, b in pairwise(server.requests)]
    assert min(gaps) >= 0.3


def test_hf_daily_papers_of_a_day(server: Script) -> None:
    server.answers["/hf/daily_papers"] = [Answer(body=HF_JSON.read_bytes())]
    code, out, err = run("fetch", "hf", "--date", "2025-02-03", "--format", "jsonl")
    assert code == 0, err
    assert server.requests[0].path == "/hf/daily_papers?date=2025-02-03"
    expected = parse_text(HF_JSON.read_text(encoding="utf-8"), "hf-api")
    assert ids(out) == [r.id for r in expected] and ids(out)


def test_the_cache_keys_by_url(server: Script) -> None:
    server.answers["/rss/cs.LG"] = [Answer(body=RSS.read_bytes())]
    server.answers["/rss/cs.AI"] = [Answer(body=RSS.read_bytes())]
    run("fetch", "arxiv-rss", "cs.LG", "-q")
    run("fetch", "arxiv-rss", "cs.AI", "-q")
    assert [r.path for r in server.requests] == ["/rss/cs.LG", "/rss/cs.AI"]
    started = time.monotonic()
    run("fetch", "arxiv-rss", "cs.LG", "-q")
    assert len(server.requests) == 2 and time.monotonic() - started < 5


def library_ids(path: Path) -> set[str]:
    from papertriage.library.store import Library

    return {record.id for record in Library(path).records()}


def test_add_stores_the_papers_in_one_transaction(
    server: Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    server.answers["/rss/cs.LG"] = [Answer(body=RSS.read_bytes())]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "--add")
    assert code == 0 and not out and "2 new, 0 updated, 0 unchanged" in err
    expected = {r.id for r in parse_text(RSS.read_text(encoding="utf-8"), "arxiv-rss")}
    assert library_ids(tmp_path / "lib.sqlite3") == expected
    assert "0 new, 0 updated, 2 unchanged" in run("fetch", "arxiv-rss", "cs.LG", "--add")[2]


def test_a_fetch_failing_on_its_second_page_adds_nothing(
    server: Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(library))
    monkeypatch.setenv("PAPERTRIAGE_ARXIV_PAGE", "2")
    monkeypatch.setenv("PAPERTRIAGE_ARXIV_DELAY", "0")
    server.answers["/rss/cs.LG"] = [Answer(body=RSS.read_bytes())]
    assert run("fetch", "arxiv-rss", "cs.LG", "--add", "-q")[0] == 0
    before = library_ids(library)
    server.answers["/api/query"] = [Answer(body=atom_page(range(1, 3))), Answer(503, b"down")]
    code, out, err = run("fetch", "arxiv", "--category", "cs.LG", "--max", "4", "--add")
    assert code == 4 and not out and "HTTP 503" in err
    assert library_ids(library) == before  # the first page's papers were not stored


def test_since_stops_paging_at_the_first_older_paper(
    server: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTRIAGE_ARXIV_PAGE", "2")
    server.answers["/api/query"] = [
        Answer(body=atom_page(range(1, 3))),  # Feb 28 and 27
        Answer(body=atom_page(range(3, 5))),  # Feb 26 and 25
        Answer(body=atom_page(range(5, 7))),  # never asked for
    ]
    args = ("fetch", "arxiv", "--category", "cs.LG", "--max", "6", "--since", "2024-02-26")
    code, out, err = run(*args, "--format", "jsonl")
    assert code == 0, err
    assert [json.loads(line)["title"] for line in out.splitlines()] == [
        "Paper 1",
        "Paper 2",
        "Paper 3",
    ]
    assert len(server.requests) == 2
    code, _, err = run("fetch", "hf", "--since", "2024-02-26")
    assert code == 2 and "--since DATE goes with the arxiv source" in err


def test_an_empty_day_is_quiet_exit_1(server: Script) -> None:
    empty = DATA / "formats" / "arxiv_rss" / "empty-day.rss.xml"
    server.answers["/rss/cs.LG"] = [Answer(body=empty.read_bytes())]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG")
    assert code == 1 and not out and "quiet: a valid answer without papers" in err


def test_an_answer_holding_fewer_papers_than_it_says_is_incomplete_exit_6(server: Script) -> None:
    server.answers["/api/query"] = [Answer(body=atom_page(range(1, 3)))]  # says 5, holds 2
    code, out, err = run("fetch", "arxiv", "--category", "cs.LG", "--max", "10")
    assert code == 6 and "incomplete: 2 papers arrived of the 5 announced" in err
    assert len(out.splitlines()) == 2  # what did arrive is still given


def test_new_papers_are_fresh_and_older_ones_stale(server: Script) -> None:
    server.answers["/api/query"] = [
        Answer(body=atom_page(range(3, 5))),  # Feb 26 and 25
        Answer(body=atom_page(range(1, 3))),  # Feb 28 and 27: newer papers
        Answer(body=atom_page(range(5, 7))),  # Feb 24 and 23: older than the last fetch's
    ]
    args = ("fetch", "arxiv", "--category", "cs.LG", "--max", "2", "--refresh", "-q")
    assert [run(*args)[0] for _ in range(3)] == [0, 0, 5]


def test_since_last_leaves_out_what_the_last_fetch_add_stored(
    server: Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    server.answers["/rss/cs.LG"] = [Answer(body=RSS.read_bytes())]
    code, _, err = run("fetch", "arxiv-rss", "cs.LG", "--since", "last", "--add")
    assert code == 0 and "fetching all" in err and "2 new" in err
    # The same feed again: nothing newer than the last fetch --add, so nothing at all.
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "--since", "last", "--refresh")
    assert code == 1 and not out and "quiet: nothing newer than the last fetch --add" in err
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "--since", "last")  # from the cache
    assert code == 1 and not out and "quiet: nothing newer" in err
    # A later day's feed: only its new paper.
    later = RSS.read_text(encoding="utf-8").replace("2508.14001", "2508.19999")
    server.answers["/rss/cs.LG"] = [Answer(body=later.encode())]
    code, out, err = run("fetch", "arxiv-rss", "cs.LG", "--since", "last", "--refresh")
    assert code == 0, err
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["2508.19999"]


@pytest.mark.parametrize(
    "answer", [Answer(503, b"down"), Answer(body=RSS.read_bytes(), cut=True), Answer(404, b"no")]
)
def test_a_failed_fetch_add_leaves_the_library_as_it_was(
    server: Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: Answer
) -> None:
    library = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(library))
    assert run("add", str(DATA / "golden" / "hf-page.txt"), "-q")[0] == 0
    before = library_ids(library)
    server.answers["/rss/cs.LG"] = [answer]
    code, out, _ = run("fetch", "arxiv-rss", "cs.LG", "--add")
    assert code == 4 and not out
    assert library_ids(library) == before


def test_ctrl_c_during_a_fetch_add_leaves_the_library_as_it_was(
    server: Script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "lib.sqlite3"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(library))
    assert run("add", str(DATA / "golden" / "hf-page.txt"), "-q")[0] == 0
    before = library_ids(library)

    def interrupted(self: object, url: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(http.Client, "get", interrupted)
    code, out, _ = run("fetch", "arxiv-rss", "cs.LG", "--add")
    assert code == 130 and not out
    assert library_ids(library) == before


@pytest.mark.parametrize(
    "name", ["PAPERTRIAGE_ARXIV_RSS", "PAPERTRIAGE_ARXIV_API", "PAPERTRIAGE_HF_API"]
)
def test_an_address_that_is_no_http_url_is_a_usage_error(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, "not a url")
    code, out, err = run("fetch", "arxiv-rss", "cs.LG")
    assert code == 2 and not out and err.startswith(f"Error: ${name} must be an http(s) address")
