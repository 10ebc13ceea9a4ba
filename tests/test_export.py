"""export: Markdown reading lists that render as written, BibTeX a parser accepts, data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser
from markdown_it import MarkdownIt

from papertriage.models import Record
from papertriage.output.export import Item, bibtex_entries, groups, markdown_reading_list
from papertriage.output.render import jsonl_lines
from tests.helpers import GOLDEN, run

HF = str(GOLDEN / "hf-page.txt")


def items() -> list[Item]:
    return [
        Item(
            Record.create(
                "Routing *Experts* <i>fast</i>",
                "We route. Then we <b>win</b>.",
                arxiv_id="2402.00001",
                tags=["moe", "llm"],
                authors=["A. Author"],
                date="2024-02-01",
                categories=["cs.LG"],
            ),
            "read",
            True,
            ("see §3",),
        ),
        Item(
            Record.create("# Graph Nets & {Braces} 100%", "Message passing.", tags=["gnn"]),
            "to-read",
        ),
        Item(Record.create("No Tags Here", "")),
    ]


def test_groups_by_tag_status_and_none() -> None:
    assert [(name, len(members)) for name, members in groups(items(), "tag")] == [
        ("gnn", 1),
        ("llm", 1),
        ("moe", 1),
        ("untagged", 1),
    ]
    assert [name for name, _ in groups(items(), "status")] == ["to-read", "read", "no status"]
    assert [len(m) for _, m in groups(items(), "none")] == [3]


def test_markdown_is_commonmark_that_shows_titles_as_written() -> None:
    text = "".join(markdown_reading_list(items(), group_by="tag", date="2026-11-27"))
    html = MarkdownIt("commonmark").render(text)
    assert html.startswith("<h1>Reading list</h1>\n<p>2026-11-27 · 3 papers</p>")
    assert "<h2>moe (1)</h2>" in html and "<h2>untagged (1)</h2>" in html
    assert (
        '<a href="https://arxiv.org/abs/2402.00001">Routing *Experts* &lt;i&gt;fast&lt;/i&gt;</a>'
        in html
    )
    assert "# Graph Nets &amp; {Braces} 100%" in html  # not a heading, nothing eaten
    assert "<i>" not in html and "<b>" not in html  # user text never becomes markup
    assert "[x] " in html and "[ ] " in html  # read papers are checked
    # One per listed paper with an abstract: the moe+llm paper is listed under both tags.
    assert html.count("<details><summary>Abstract</summary>") == 3
    assert "We route. Then we &lt;b&gt;win&lt;/b&gt;." in html


TEX_ABSTRACTS = [
    "TeX quotes ``like this'' and ``again'' stay quotes.",
    r"The step $\eta_t^*$ is optimal; with $\eta_t^*$ known, |x|_{a} and |y|_{b} are bounded.",
    r"R\'enyi divergences, Schr\"odinger bridges & <b>tags</b>, a [link](http://x) and `code`.",
    "1. A start that is a list, ~struck~ and trailing \\",
    "A note from JSON\n\n# with a heading inside",
]


def details_text(markdown: str) -> list[str]:
    """The text a CommonMark renderer shows in each <details> block, one string per block."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    texts, inside = [], False
    for token in tokens:
        if token.type == "html_block":
            inside = "<details>" in token.content and "</details>" not in token.content
            if inside:
                texts.append("")
        elif inside and token.type == "inline" and token.children is not None:
            assert {child.type for child in token.children} <= {"text", "softbreak"}, token
            texts[-1] += "".join(
                " " if child.type == "softbreak" else child.content for child in token.children
            )
    return texts


def test_markdown_shows_abstracts_as_written_tex_included() -> None:
    listed = [Item(Record(id=f"p{i}", title="T", abstract=a)) for i, a in enumerate(TEX_ABSTRACTS)]
    text = "".join(markdown_reading_list(listed, group_by="none"))
    assert details_text(text) == [" ".join(a.split()) for a in TEX_ABSTRACTS]
    html = MarkdownIt("commonmark").render(text)
    assert "<code>" not in html and "<em>" not in html and "<h1>" not in html.split("</h1>", 1)[1]


def test_bibtex_is_accepted_by_a_parser() -> None:
    text = "".join(bibtex_entries(items()))
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    first = library.entries[0]
    assert first.key == "arXiv:2402.00001"
    assert first["eprint"] == "2402.00001" and first["archivePrefix"] == "arXiv"
    assert first["year"] == "2024" and first["primaryClass"] == "cs.LG"
    assert len(library.entries) == 3


def test_bibtex_gives_as_much_of_a_date_as_a_record_has() -> None:
    """papertriage's own JSON read back may hold a month, a year or no date at all."""
    dated = [
        Item(Record(id=f"p{n}", title=f"T{n}", date=d))
        for n, d in enumerate(["2024-05-06", "2024-05", "2024", "sometime"])
    ]
    entries = bibtexparser.parse_string("".join(bibtex_entries(dated))).entries
    fields = [
        {k: e.fields_dict[k].value for k in ("date", "year", "month") if k in e} for e in entries
    ]
    assert fields == [
        {"date": "2024-05-06", "year": "2024", "month": "may"},
        {"year": "2024", "month": "may"},
        {"year": "2024"},
        {},
    ]


def test_export_command_from_files_and_from_the_library(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "list.md"
    code, out, _ = run("export", HF, "-o", str(target), "-q")
    assert (code, out) == (0, "")
    assert target.read_text().startswith("# Reading list\n")
    assert run("export", HF, "-o", str(target), "-q")[0] == 3  # never overwritten silently
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    run("add", HF, "-q")
    code, out, _ = run("export", "--format", "jsonl", "-q")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4 and {"status", "starred", "notes"} <= set(rows[0])
    paper = rows[0]["id"]
    run("mark", paper, "--status", "read", "--star", "-q")
    code, out, _ = run("export", "--starred", "--format", "json", "-q")
    assert [r["id"] for r in json.loads(out)] == [paper]
    code, out, _ = run("export", "--status", "to-read", "-q")
    assert code == 1  # nothing to read yet: like grep
    code, out, _ = run("export", "--search", "message passing", "--format", "jsonl", "-q")
    assert [json.loads(line)["tags"] for line in out.splitlines()] == [["gnn"]]


def test_export_without_format_writes_what_the_file_name_says(tmp_path: Path) -> None:
    starts = {
        "list.json": "[\n",
        "list.jsonl": '{"schema_version": 1,',
        "list.csv": "id,title,",
        "list.bib": "@misc{",
        "list.md": "# Reading list\n",
        "list.markdown": "# Reading list\n",
        "list.txt": "# Reading list\n",
    }
    for name, start in starts.items():
        assert run("export", HF, "-o", str(tmp_path / name), "-q")[:2] == (0, ""), name
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name
    # An explicit --format wins over the name, and stdout stays Markdown.
    assert run("export", HF, "-f", "md", "-o", str(tmp_path / "md.json"), "-q")[0] == 0
    assert (tmp_path / "md.json").read_text(encoding="utf-8").startswith("# Reading list\n")
    assert run("export", HF, "-q")[1].startswith("# Reading list\n")


def test_export_csv_is_the_records_csv_plus_the_reading_state(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTRIAGE_DB", str(tmp_path / "lib.sqlite3"))
    run("add", HF, "-q")
    paper = json.loads(run("export", "-f", "jsonl", "-q")[1].splitlines()[0])["id"]
    run("mark", paper, "--status", "read", "--star", "-q")
    run("note", paper, "see §3; then §4", "-q")
    run("note", paper, "compare", "-q")
    code, out, _ = run("export", "-f", "csv", "-q")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 4
    assert out.splitlines()[0] == (
        "id,title,authors,arxiv_id,url,categories,date,source,position,tags,abstract,"
        "status,starred,notes"
    )
    state = {row["id"]: (row["status"], row["starred"], row["notes"]) for row in rows}
    assert state.pop(paper) == ("read", "true", "see §3; then §4\ncompare")
    assert set(state.values()) == {("", "false", "")}


ROUND_TRIP = [
    Record.create(
        r"$\mathcal{O}(n)$ Attention for Schrödinger Bridges: ``Fast'' -- and Exact",
        r"We bound R\'enyi divergences by $\eta_t^*$ (here $\|x\|_{a} \le 1$ ~ 100% & #3) -- "
        r"the {braced} part---and ``quoted'' text stay; a_b, x^2 and C:\path too.",
        authors=[
            "Søren Kierkegaard",
            "Zoë Ångström-Lévy",
            "Smith, Jr.",
            "Jean-Pierre de la Fontaine",
        ],
        arxiv_id="2601.01234",
        date="2026-01-17",
        categories=["cs.LG"],
    ),
    Record.create(
        "Mixture-of-Experts without arXiv",
        "Plain words.",
        authors=["East China University of Science and Technology", "Bo Li"],
        date="2025-12-03",
    ),
    Record.create("No Abstract, No Date", ""),
]


def test_bibtex_export_parses_back_to_the_same_papers(tmp_path: Path) -> None:
    listing = tmp_path / "papers.jsonl"
    listing.write_text("".join(jsonl_lines(ROUND_TRIP)), encoding="utf-8")
    assert run("export", str(listing), "-o", str(tmp_path / "papers.bib"), "-q")[0] == 0
    code, out, err = run("parse", str(tmp_path / "papers.bib"), "-f", "jsonl")
    assert code == 0 and "warning" not in err.lower(), err
    fields = ("title", "abstract", "authors", "arxiv_id", "date")
    back = [json.loads(line) for line in out.splitlines()]
    assert [[row[f] for f in fields] for row in back] == [
        [record.to_dict()[f] for f in fields] for record in ROUND_TRIP
    ]
