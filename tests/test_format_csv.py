"""CSV input: papertriage's own CSV read back, reference managers' and databases' CSV exports,
how a CSV file is told from prose, and what a row that cannot be read becomes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from papertriage.errors import InputError
from papertriage.listings.formats import csvfmt
from papertriage.listings.parse import detect_format, iter_lines, parse_lines
from papertriage.models import Record
from tests.helpers import DATA, EXAMPLE, GOLDEN, ROOT, run

CSV_DATA = DATA / "formats" / "csv"
COMPARED = ("title", "abstract", "authors", "arxiv_id", "url", "date", "categories", "tags")


def parse(text: str, format: str = "auto") -> tuple[list[Record], list[str]]:
    report = parse_lines(iter_lines(text), format, source="t.csv")
    assert report.format == "csv"
    return report.records, report.warnings


def fields(jsonl: str) -> list[tuple[object, ...]]:
    return [tuple(json.loads(line)[name] for name in COMPARED) for line in jsonl.splitlines()]


@pytest.mark.parametrize("command", ["parse", "tag"])
def test_papertriage_s_own_csv_reads_back_as_the_same_papers(command: str) -> None:
    listings = (str(EXAMPLE), str(GOLDEN / "arxiv-email.txt"))
    code, original, _ = run(command, *listings, "--format", "jsonl")
    assert code == 0
    code, written, _ = run(command, *listings, "--format", "csv")
    assert code == 0
    code, read_back, err = run("parse", "--format", "jsonl", stdin=written)
    assert (code, err.splitlines()[0]) == (
        0,
        f"<stdin>: {len(original.splitlines())} records (csv)",
    )
    assert fields(read_back) == fields(original)
    # What there is to lose: arXiv ids, dates and categories; tags once tagged.
    assert all(any(paper[at] for paper in fields(original)) for at in (3, 5, 6))
    assert any(paper[7] for paper in fields(original)) == (command == "tag")


def test_the_id_source_and_position_are_made_here() -> None:
    text = "id,title,arxiv_id,source,position\nmine,A Paper,,elsewhere.txt,7\nx,B,2303.08867,,\n"
    (first, second), _ = parse(text)
    assert (first.id, first.source, first.position) == (Record.create("A Paper").id, "t.csv", 1)
    assert (second.id, second.position) == ("2303.08867", 2)


def test_a_zotero_export() -> None:
    code, out, err = run("parse", str(CSV_DATA / "zotero.csv"), "--format", "jsonl")
    assert (code, err) == (0, f"{CSV_DATA / 'zotero.csv'}: 3 records (csv)\n")
    moe, graphs, adapters = (json.loads(line) for line in out.splitlines())
    assert moe["title"] == "Sparse Routing for Mixture-of-Experts Models"
    assert moe["authors"] == ["Jörg Müller", "Ana García", "Piet van der Berg"]
    assert (
        moe["abstract"]
        == "We route each token to two experts. Costs fall by 40%, and quality holds."
    )
    assert (moe["arxiv_id"], moe["date"]) == ("2303.08867", "2023-03-15")
    assert moe["tags"] == []  # Zotero's own tags are no topics
    assert graphs["authors"] == ["Kim Lee"]
    assert graphs["abstract"] == 'We model "molecules" that do not exist, as graphs.'
    assert (graphs["arxiv_id"], graphs["date"]) == (None, None)  # a year alone is no date
    assert graphs["url"] == "https://doi.org/10.1000/jic.2021.042"
    assert (adapters["arxiv_id"], adapters["date"]) == ("2206.01234", None)  # from Extra


def test_a_web_of_science_tab_delimited_export() -> None:
    report = parse_lines((CSV_DATA / "wos.txt").read_text().splitlines(), source="wos.txt")
    assert (report.format, report.warnings) == ("csv", [])
    pruning, diffusion = report.records
    assert pruning.title == "Pruning Attention Heads without Retraining"
    assert pruning.authors == ("Li Chen", "Ngozi Okafor")  # AF's full names before AU's
    assert (pruning.arxiv_id, pruning.date) == (None, None)
    assert pruning.url == "https://doi.org/10.1234/jmr.2022.001"
    assert pruning.abstract.startswith("We prune half the heads")
    assert (diffusion.arxiv_id, diffusion.url) == ("2401.04567", "https://arxiv.org/abs/2401.04567")


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Müller, Jörg; García, Ana", ("Jörg Müller", "Ana García")),
        ("Jörg Müller; Ana García", ("Jörg Müller", "Ana García")),  # papertriage's own
        ("Vaswani, Ashish", ("Ashish Vaswani",)),
        (
            "Ashish Vaswani, Noam Shazeer and Niki Parmar",
            ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar"),
        ),
        ("Achenbach, T. M., Rescorla, L. A.", ("T. M. Achenbach", "L. A. Rescorla")),
        ("Smith, John (57190000001); Doe, Anne (57190000002)", ("John Smith", "Anne Doe")),
    ],
)
def test_authors_are_written_first_name_first(cell: str, names: tuple[str, ...]) -> None:
    (record,), _ = parse(f'title,authors\nT,"{cell}"\n')
    assert record.authors == names


def test_semicolons_separate_cells_too() -> None:
    (record,), _ = parse("Authors;Title;Year;Abstract\nLee, K;A Title;2020;Text, with a comma.\n")
    assert (record.title, record.authors, record.abstract) == (
        "A Title",
        ("K Lee",),
        "Text, with a comma.",
    )


@pytest.mark.parametrize("name", ["zotero.csv", "wos.txt"])
def test_the_fixtures_are_detected(name: str) -> None:
    assert detect_format((CSV_DATA / name).read_text(encoding="utf-8").splitlines()) == "csv"


@pytest.mark.parametrize(
    "text",
    [
        "title,abstract\nA,B\n",
        "\ufeffTitle,Authors\nA,B\n",
        "\n\nDocument Title\tAuthors\nA\tB\n",
        'title,abstract\n"A","B\nC"\n',  # a cell over two lines
        "TI\tAU\tPY\nA\tB\t2020\t\n",  # an empty cell past the header's, as a trailing tab
    ],
)
def test_what_is_csv(text: str) -> None:
    assert detect_format(text.splitlines()) == "csv"


@pytest.mark.parametrize(
    "text",
    [
        "Title, abstract and authors, all of them, are what a reader wants.\n"
        "We read them, we sort them, we keep a few, and we drop the rest.\n",
        "Title, then the abstract\nThe abstract, a paragraph, follows.\n",
        "Sparse Routing for Mixture-of-Experts Models\n"
        "We route each token to two experts, and costs fall by 40%.\n",
        "title,abstract\n",  # a header alone
        "title,abstract,authors\nA,B\n",  # a row narrower than the header
        "name,value\nA,B\n",  # no title column
    ],
)
def test_what_is_not_csv(text: str) -> None:
    assert detect_format(text.splitlines()) != "csv"


def test_the_readme_is_not_csv() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert detect_format(text.splitlines()[:400]) is None


def test_a_row_without_a_title_is_skipped_naming_its_line() -> None:
    text = 'title,abstract\nA,"two\nlines"\n,orphan abstract\nB,b\n'
    records, warnings = parse(text)
    assert [record.title for record in records] == ["A", "B"]
    assert warnings == ["t.csv:4: row has no title; skipped"]


def test_a_ragged_row_is_a_warning_and_read_by_its_places() -> None:
    records, warnings = parse("title,abstract,year\nA,a,2020\nB,b\nC,c,2021,extra\n")
    assert [(record.title, record.abstract) for record in records] == [
        ("A", "a"),
        ("B", "b"),
        ("C", "c"),
    ]
    assert warnings == [
        "t.csv:3: row has 2 cells where the header has 3; read by their places",
        "t.csv:4: row has 4 cells where the header has 3; read by their places",
    ]


def test_other_columns_are_left() -> None:
    text = "rank,score,title,status,starred\n1,0.5,A Paper,read,yes\n"
    (record,), warnings = parse(text)
    assert (record.title, record.abstract, record.tags, warnings) == ("A Paper", "", (), [])


def test_a_header_without_rows_is_a_warning() -> None:
    records, warnings = parse("title,abstract\n", "csv")
    assert (records, warnings) == ([], ["t.csv:1: the CSV file has a header but no rows"])


def test_a_header_without_a_title_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("name,abstract\nA,B\n")
    assert run("parse", str(path), "--from", "csv") == (
        2,
        "",
        f"Error: {path}:1: no title column in the CSV header"
        " (the column of titles is named title, Article Title, Document Title or TI)\n",
    )


def test_rows_none_of_which_has_a_title_are_refused() -> None:
    message = "t.csv: none of its 2 CSV rows has a title (titles are read from the column 'title')"
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse("title,abstract\n,a\n,b\n")


def test_a_quote_left_open_is_an_input_error_once_its_cell_is_too_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csvfmt, "MAX_CELL", 131072)  # 16 MiB in use: too much text to make
    message = (
        "t.csv:4: unreadable CSV (field larger than field limit (131072))"
        " (check the quotes of the rows before it)"
    )
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse('title,abstract\nA,"open\n' + "x" * 70_000 + "\n" + "y" * 70_000 + "\nB,b\n", "csv")


def test_a_stray_carriage_return_is_a_blank() -> None:
    (record,), warnings = parse("title,abstract\nA\rPaper,a\n")
    assert (record.title, warnings) == ("A Paper", [])


def test_another_tool_s_columns_as_scripts_write_them() -> None:
    """Authors as a Python list, arXiv ids in the `id` column, `a; b` keywords, `published`."""
    text = (
        "id,title,abstract,authors,categories,published\n"
        "1708.02190,Curious Goals,We explore.,\"['sébastien forestier', 'rémy portelas']\","
        "active learning; curiosity,2017-08-07\n"
    )
    (record,), warnings = parse(text)
    assert record.authors == ("sébastien forestier", "rémy portelas")
    assert (record.arxiv_id, record.date) == ("1708.02190", "2017-08-07")
    assert record.categories == ("active learning", "curiosity")
    assert warnings == []


def test_a_table_without_a_title_column_is_refused_by_name() -> None:
    """Its quoted cells wrap over lines and look like titles and abstracts: it is named as a
    table, never read as a Hugging Face page."""
    text = (
        "标题,中文标题,领域分类,论文链接\n"
        '"What, How, Where, and How Well? A Survey on Test-Time Scaling in Large\n'
        'Language Models",什么、如何、何处,LLM,https://arxiv.org/abs/2503.24235\n'
        '"Efficient Reasoning Models: A Survey of Methods That Think Less and Answer Better\n'
        'Under Budget",高效推理,LLM,https://arxiv.org/abs/2503.00001\n'
    )
    assert detect_format(text.splitlines()) is None
    with pytest.raises(
        InputError,
        match=r"^t\.csv: not a listing papertriage knows \(a CSV table whose columns \(标题, "
        r"中文标题, 领域分类, 论文链接\) include no title column",
    ):
        parse_lines(iter_lines(text), source="t.csv")


def test_a_cell_larger_than_the_csv_module_s_default_limit_is_read() -> None:
    """An abstract with a paper's text pasted in runs past 128 KiB; the file is still CSV."""
    text = "title,abstract\nBig paper," + "w" * 200_000 + "\nSmall paper,ok\n"
    (big, small), warnings = parse(text)
    assert (len(big.abstract), small.title, warnings) == (200_000, "Small paper", [])
