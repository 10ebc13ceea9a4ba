"""Text copied from Hugging Face papers pages: every page's chrome is dropped and counted by kind,
and the papers between it come out unchanged.

The fixtures in tests/data/formats/hf are written in the shape a select-all copy of each page has:
site navigation, the e-mail banner, the heading, the day/week/month switch and pager, the papers
with their details, and the footer.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from papertriage.cli import app
from papertriage.errors import InputError
from papertriage.listings.formats.hf import noise_kind
from papertriage.listings.parse import detect_format, parse_lines, parse_text
from tests.helpers import DATA

PAGES = DATA / "formats" / "hf"

NEXT_TOKEN = (
    "Next-Token Prediction Is Not Enough for Long-Horizon Planning",
    "Language models trained only to predict the next token plan poorly over long horizons. We "
    "add a lookahead objective that scores whole continuations and show gains on three planning "
    "benchmarks.",
)
SEARCH_R1 = (
    "Search-R1: Training Language Models to Search While They Reason",
    "We train a language model with reinforcement learning to issue search queries in the middle "
    "of its reasoning. Rewards come from final answers only, and the model learns when a query "
    "helps.",
)
DAILY_ACTIVITY = (
    "Daily Activity Recognition from Wrist Sensors with Few Labels",
    "We recognise everyday activities from wrist-worn sensors with a handful of labelled days per "
    "person. A contrastive pretraining stage on unlabelled data closes most of the gap to full "
    "supervision.",
)
AGENTS = (
    "Agents That Write Their Own Tools: Planning with Small Models",
    "A small language model writes, tests and reuses its own helper functions while it plans, "
    "matching larger models on tool-use benchmarks at a tenth of the cost.",
)
PREVIOUS_TOKENS = (
    "Previous Tokens Matter: Caching Attention Across Turns",
    "Reusing the attention cache of earlier dialogue turns cuts the latency of long conversations "
    "by half, with a small eviction rule that keeps answer quality unchanged.",
)
CODE_REVIEW = (
    "Models of Code Review: What Reviewers Flag and Why",
    "A study of a million code review comments groups what reviewers flag into eleven kinds and "
    "trains a model that predicts which changes will draw each kind of comment.",
)
SPEECH = (
    "Sparse Mixtures for Speech Recognition at the Edge",
    "We route audio frames to a few small experts and run the result on a phone. Word error rates "
    "match a dense model of twice the size while using less power.",
)
WEATHER = (
    "Next Week's Weather from Satellite Images Alone",
    "A video model trained on twenty years of satellite images forecasts the weather a week ahead "
    "without any station data, rivalling physics-based forecasts in the tropics.",
)
ABSTAIN = (
    "Submit or Abstain: Teaching Models When Not to Answer",
    "We train a model to abstain when it is likely to be wrong and show that users trust its "
    "answers more. Abstention rates adapt to how costly a wrong answer is.",
)
SURVEY = (
    "Trending Topics in Retrieval: A Survey of Search Engines for Language Models",
    "We survey how language models use search engines, from query writing to reading the results, "
    "and list the open problems that remain for retrieval-augmented generation.",
)
CHATBOTS = (
    "Search Engines in the Age of Chatbots",
    "Chatbots answer many questions that people used to type into a search engine. We measure "
    "which queries moved, using two years of logs from a large engine.",
)

# Each page: the papers it holds and exactly what was dropped (and skipped) on the way.
CASES = {
    "daily-page.txt": (
        [NEXT_TOKEN, SEARCH_R1, DAILY_ACTIVITY],
        {
            "navigation": 18,
            "banner": 2,
            "header": 3,
            "search": 1,
            "switch": 3,
            "pager": 4,
            "date": 4,
            "button": 1,
            "submitted-by": 6,
            "upvotes": 8,
            "author-count": 1,
            "link": 3,
            "organization": 1,
            "separator": 1,
            "footer": 7,
        },
        {},
    ),
    "trending-page.txt": (
        [AGENTS, PREVIOUS_TOKENS, CODE_REVIEW],
        {
            "navigation": 18,
            "banner": 2,
            "header": 3,
            "search": 1,
            "submitted-by": 4,
            "date": 4,
            "upvotes": 8,
            "link": 4,
            "author-count": 2,
            "footer": 7,
        },
        {"repeated": 1},
    ),
    "weekly-page.txt": (
        [SPEECH, WEATHER],
        {
            "banner": 2,
            "navigation": 1,
            "header": 4,
            "search": 1,
            "switch": 3,
            "pager": 3,
            "date": 3,
            "button": 1,
            "upvotes": 4,
            "author-count": 2,
        },
        {},
    ),
    "monthly-page.txt": (
        [ABSTAIN],
        {"header": 2, "switch": 1, "pager": 3, "date": 2, "upvotes": 2, "author-count": 1},
        {},
    ),
    "search-page.txt": (
        [SURVEY, CHATBOTS],
        {
            "banner": 2,
            "navigation": 1,
            "header": 2,
            "search": 2,
            "count": 1,
            "author-count": 1,
            "separator": 3,
            "date": 2,
            "organization": 1,
            "upvotes": 1,
            "pager": 1,
        },
        {},
    ),
}


def _read(name: str) -> list[str]:
    return (PAGES / name).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_copied_page_gives_its_papers_and_counts_its_chrome_by_kind(name: str) -> None:
    papers, dropped, skipped = CASES[name]
    report = parse_lines(_read(name), source=name)
    assert report.format == "hf"
    assert [(r.title, r.abstract) for r in report.records] == papers
    assert [r.position for r in report.records] == list(range(1, len(papers) + 1))
    assert report.dropped == dropped
    assert report.skipped == skipped
    assert report.warnings == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_copied_page_is_detected_as_hf(name: str) -> None:
    assert detect_format(_read(name)) == "hf"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Daily Papers", "header"),
        ("Trending Papers", "header"),
        ("by AK and the research community", "header"),
        ("byAK and the research community", "header"),  # the link on "AK" copied without a space
        ("and the research community", "header"),
        ("Daily Papers - Hugging Face", "header"),
        ("Trending Papers ranked by GitHub stars activity", "header"),
        ("Weekly", "switch"),
        ("Daily Weekly Monthly", "switch"),
        ("Daily | Weekly | Monthly", "switch"),
        ("Previous", "pager"),
        ("Next day", "pager"),
        ("← Previous", "pager"),
        ("Next →", "pager"),
        ("View all", "pager"),
        ("Load more", "pager"),
        ("Aug 20", "date"),
        ("Aug 19, 2025", "date"),
        ("Sept. 3, 2025", "date"),
        ("Published on Nov 3, 2024", "date"),
        ("Aug 18 - Aug 24", "date"),
        ("Aug 18 – 24, 2025", "date"),
        ("Week 34", "date"),
        ("Week 34 of 2025", "date"),
        ("2025-W34", "date"),
        ("W34", "date"),
        ("August 2025", "date"),
        ("2025-08", "date"),
        ("2025-08-20", "date"),
        ("Google · Oct 23, 2025", "date"),
        ("Example Lab · Published on Aug 4, 2025", "date"),
        ("Submit", "button"),
        ("Submit paper", "button"),
        ("Submit a paper", "button"),
        ("Search", "search"),
        ("Search any paper with AI", "search"),
        ("Search any paper with AI...", "search"),
        ("Search papers…", "search"),
        ("Search models, datasets, users...", "search"),
        ("24 papers", "count"),
        ("1,204 results", "count"),
        ("Showing 50 papers", "count"),
        ("- 8 authors", "author-count"),
        ("· 4 authors · Published on Dec 28, 2024", "author-count"),
        ("GitHub 131 arXiv Page", "link"),
        ("Models", "navigation"),
        ("Log In", "navigation"),
        ("Sign Up", "navigation"),
        ("Buckets new", "navigation"),
        ("Hugging Face's logo", "navigation"),
        ("- Datasets", "navigation"),  # a copy that kept the list's markers
        ("System theme", "footer"),
        ("TOS", "footer"),
        ("© 2025 Hugging Face", "footer"),
        ("·", "separator"),
        ("-", "separator"),
    ],
)
def test_each_kind_of_chrome_line_is_recognised(line: str, kind: str) -> None:
    assert noise_kind(line) == kind


@pytest.mark.parametrize(
    "title",
    [
        "Next-Token Prediction Is All You Need",
        "Search-R1: Training LLMs to Reason and Leverage Search Engines",
        "Search for Efficient Large Language Models",
        "Daily-Omni: Towards Audio-Visual Reasoning",
        "Trending Topics in Sparse Attention",
        "Models Are Not Datasets",
        "Next Week's Weather from Satellite Images Alone",
        "Submit or Abstain: Teaching Models When Not to Answer",
        "Marathon 2025: A Benchmark of Long Runs",
        "Previous Tokens Matter",
        "About Time: Temporal Reasoning in Video Models",
        "Weekly Seasonality in Traffic Forecasting",
    ],
)
def test_a_title_made_of_chrome_words_is_a_paper(title: str) -> None:
    abstract = "We study this question on four benchmarks. Our method is simple and it works."
    assert noise_kind(title) is None
    records = parse_text(f"Daily Papers\n{title}\n{abstract}\nPrevious\nNext\n", format="hf")
    assert [(r.title, r.abstract) for r in records] == [(title, abstract)]


def test_a_name_before_a_lone_separator_is_who_listed_the_paper() -> None:
    """An organisation's line split up by the copy ("Google", "·", "Oct 23, 2025") is dropped;
    a title without an abstract before the paper's details ("2 authors", "·") is still a paper."""
    abstract = "We study this question on four benchmarks. Our method is simple and it works."
    text = (
        f"First Paper\n{abstract}\nGoogle\n·\nOct 23, 2025\n"
        "A Title Whose Abstract Was Not Copied\n2 authors\n·\nOct 7, 2024\n"
        f"Third Paper\n{abstract}\n"
    )
    report = parse_lines(text.splitlines(), format="hf", source="p.txt")
    assert [(r.title, r.abstract) for r in report.records] == [
        ("First Paper", abstract),
        ("A Title Whose Abstract Was Not Copied", ""),
        ("Third Paper", abstract),
    ]
    assert report.dropped["organization"] == 1
    assert report.warnings == [
        "p.txt:6: title without an abstract: 'A Title Whose Abstract Was Not Copied'"
    ]


def test_subscribe_glued_to_the_heading_is_cut_and_the_heading_dropped() -> None:
    abstract = "We study this question on four benchmarks. Our method is simple and it works."
    report = parse_lines(
        ["Get trending papers in your email inbox!", "SubscribeDaily Papers", "A Paper", abstract],
        source="s",
    )
    assert [r.title for r in report.records] == ["A Paper"]
    assert report.dropped == {"banner": 1, "navigation": 1, "header": 1}


def test_parse_names_the_kinds_dropped_from_a_daily_page() -> None:
    path = PAGES / "daily-page.txt"
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert result.exception is None
    assert result.exit_code == 0
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == [
        NEXT_TOKEN[0],
        SEARCH_R1[0],
        DAILY_ACTIVITY[0],
    ]
    assert result.stderr == (
        f"{path}: 3 records (hf); dropped 63 noise lines (author-count 1, banner 2, button 1, "
        "date 4, footer 7, header 3, link 3, navigation 18, organization 1, pager 4, search 1, "
        "separator 1, submitted-by 6, switch 3, upvotes 8)\n"
    )


# --- the property: chrome between papers never becomes a paper and never changes one ---------

# Chrome as it comes, a line or a few together ("Submitted by" is always followed by the name).
_PAGE_CHROME = {
    (line,)
    for name in CASES
    for line in _read(name)
    if line.strip() and noise_kind(line.strip()) and line.strip() != "Submitted by"
}
CHROME: list[tuple[str, ...]] = [
    *sorted(_PAGE_CHROME),
    ("Submitted by", "akhaliq"),
    ("Submitted by jdoe",),
    ("Upvote", "42"),
    ("Example Lab", "·", "Aug 18, 2025"),
    ("  Search any paper with AI  ",),
    ("\tView all",),
    ("",),
]

word = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12)
title = (
    st.lists(word, min_size=3, max_size=12)
    .map(lambda ws: " ".join(w.capitalize() for w in ws))
    .filter(lambda t: noise_kind(t) is None and not t.startswith("Subscribe"))
)
sentence = st.lists(word, min_size=6, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
abstract = st.lists(sentence, min_size=2, max_size=6).map(" ".join)
chrome_run = st.lists(st.sampled_from(CHROME), max_size=4).map(
    lambda units: [line for unit in units for line in unit]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(title, abstract), min_size=1, max_size=6, unique_by=lambda p: p[0]),
    st.lists(chrome_run, min_size=7, max_size=7),
)
def test_chrome_between_papers_never_becomes_or_changes_a_paper(
    papers: list[tuple[str, str]], runs: list[list[str]]
) -> None:
    bare = [line for pair in papers for line in pair]
    mixed = [*runs[0]]
    for (paper_title, paper_abstract), run in zip(papers, runs[1:], strict=False):
        mixed += [paper_title, paper_abstract, *run]
    expected = parse_lines(bare, format="hf", source="p")
    report = parse_lines(mixed, format="hf", source="p")
    assert report.records == expected.records
    assert report.warnings == []
    chrome = {line.strip() for run in runs for line in run}
    assert not chrome & {r.title for r in report.records}


# A test double in a program's source: a feed held in a string, its abstracts wrapped at a fixed
# width. Each kind of line once passed for a title and its abstract.
SOURCE_CODE = """\
export const CannedFeed: string = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <title>Counting Sheep With Small Models</title>
    <summary>  We count sheep in aerial photographs with a model small enough
for a drone, trained on synthetic flocks and tested on three real farms.
</summary>
    <link title="doi" href="https://doi.org/10.0000/example-1" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://example.org/atom">Talk at a workshop. 12 pages</arxiv:comment>
    <arxiv:comment xmlns:arxiv="http://example.org/atom">Published by the Society of
Rural Computing (https://example.org)</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://example.org/atom">Rural Computing 3, No. 1, 1-12</arxiv:journal_ref>
  </entry>
  <entry>
    <summary>  Shepherds count by eye, which is slow on large farms. We train on
synthetic flocks. In the
field trials the counts stay within two percent of what shepherds report.
</summary>
  </entry>
</feed>`;
"""


def test_source_code_holding_markup_and_wrapped_prose_is_no_copied_page() -> None:
    assert detect_format(SOURCE_CODE.splitlines()) is None
    with pytest.raises(InputError, match=r"^Canned\.ts: not a listing papertriage knows"):
        parse_text(SOURCE_CODE, source="Canned.ts")


@pytest.mark.parametrize(
    "title",
    [
        "Humans vs. Machines at Chess Endgames",  # an abbreviation is no sentence break
        "Do Small Models Reason? A Study of Eleven Benchmarks",
        "Scaling Laws (Revisited)",
    ],
)
def test_a_title_and_its_abstract_without_a_banner_are_still_a_copied_page(title: str) -> None:
    assert detect_format(["", title, SPEECH[1], ""]) == "hf"
