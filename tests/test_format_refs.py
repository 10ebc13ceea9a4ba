"""Reference-manager exports: BibTeX (Zotero, Mendeley, JabRef) and RIS, and their detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertriage.errors import InputError
from papertriage.listings.formats import refmarks
from papertriage.listings.parse import detect_format, iter_lines, parse_lines
from tests.helpers import DATA, GOLDEN, imported_by, run

REFS = DATA / "formats" / "refs"


def parse(text: str, format: str = "auto", source: str = "refs") -> tuple[list, list[str]]:
    report = parse_lines(iter_lines(text), format, source=source)
    return report.records, report.warnings


def test_a_zotero_export_decodes_latex() -> None:
    records, warnings = parse((REFS / "zotero.bib").read_text(), source="zotero.bib")
    assert warnings == []
    moe, bert, survey = records
    assert moe.title == (
        "Sparse Mixture-of-Experts für Öffentliche BERT Models with \\mathcal{O}(\\log n) Routing"
    )  # math without its dollars, as written inside
    assert moe.abstract == (
        "We route tokens to experts in O(\\log n) steps and cut costs by 40% & more."
    )
    assert moe.authors == ("Jörg Müller", "Ana García", "OpenAI Research Team", "Piet van der Berg")
    assert (moe.id, moe.arxiv_id, moe.categories) == ("2303.08867", "2303.08867", ("cs.LG",))
    assert (moe.url, moe.date) == ("https://arxiv.org/abs/2303.08867", None)  # year+month only
    assert bert.title == (
        "BERT: Pre-Training of Deep Bidirectional Transformers for Language Understanding"
    )
    assert bert.authors[:2] == ("Jacob Devlin", "Ming-Wei Chang")
    assert (bert.arxiv_id, bert.date) == (None, "2019-06-02")
    assert bert.url == "https://doi.org/10.18653/v1/N19-1423"  # no URL, a DOI
    assert bert.abstract == "We introduce a new language representation model called BERT."
    assert survey.title == "Graph Networks – a Survey"
    assert survey.arxiv_id == "2001.00001"  # from `journal = {arXiv preprint arXiv:...}`
    # A URL is no LaTeX: its `~` and `%` stay as written.
    assert survey.url == "https://example.org/papers/~smith/graph%20networks.pdf"


def test_a_mendeley_export_with_its_banner() -> None:
    text = (REFS / "mendeley.bib").read_text()
    assert detect_format(text.splitlines()) == "bibtex"
    (record,), warnings = parse(text)
    assert warnings == []
    assert (record.title, record.authors) == (
        "Linear Attention for Long Documents",
        ("Kim Lee", "Soo Park"),
    )
    assert record.abstract == "Attention costs grow with length; we show a 50% cut."  # bare %
    assert (record.arxiv_id, record.url) == ("2101.00002", "http://arxiv.org/abs/2101.00002")


@pytest.mark.parametrize(
    ("fields", "arxiv_id"),
    [
        ("eprint = {arXiv:1706.03762v5}, eprinttype = {arxiv}", "1706.03762"),
        ("eprint = {hep-th/9901001}, archivePrefix = {arXiv}", "hep-th/9901001"),
        ("eprint = {12345678}, archivePrefix = {PubMed}", None),
        ("url = {https://arxiv.org/pdf/2303.08867v2}", "2303.08867"),
        ("doi = {10.48550/ARXIV.2303.08867}", "2303.08867"),
        ("doi = {10.1145/1234.56789}", None),
        ("journal = {CoRR}, volume = {abs/1810.04805}", "1810.04805"),
        ("journal = {ArXiv}, volume = {abs/2101.06569}", "2101.06569"),  # Semantic Scholar
        ("journal = {Nature}, volume = {abs/2101.06569}", None),
        ("url = {https://doi.org/10.48550/arXiv.2502.01229}", "2502.01229"),
    ],
)
def test_where_an_arxiv_id_is_found(fields: str, arxiv_id: str | None) -> None:
    (record,), _ = parse(f"@article{{k, title = {{T}}, {fields}}}\n")
    assert record.arxiv_id == arxiv_id


@pytest.mark.parametrize(
    ("written", "text"),
    [
        (
            r"Finding equilibria in \emph{sequential} games",
            "Finding equilibria in sequential games",
        ),
        (r"\textit{a} \textbf{b} \texttt{c} \textsc{d} \textrm{e} \mbox{f}", "a b c d e f"),
        (r"{\em Deep} {\it and} {\bf wide}", "Deep and wide"),
        # Zotero's escape of an abstract's own LaTeX: decoded, it is the command again.
        (r"in \textbackslash emph\{sequential\} games", "in sequential games"),
        (
            r"Imperial metabolism in the pre\-{C}olumbian {A}ndes",
            "Imperial metabolism in the preColumbian Andes",
        ),
        (r"A 2.{{1$\mu$W}} controller within 8{$\mu$}s", "A 2.1μW controller within 8μs"),
        (r"200 {$\mu$}m (width) \texttimes{} 300 {$\mu$}m", "200 μm (width) × 300 μm"),
        (
            r"$\alpha$-stable, $\pm 3$, $5^\circ$C, $90^{\circ}$ and $n \to \infty$",
            "α-stable, ± 3, 5°C, 90° and n → ∞",
        ),
        (
            r"$\Omega(n) \leq x \approx y \sim z \cdot w \times v \geq u$",
            "Ω(n) ≤ x ≈ y ∼ z · w × v ≥ u",
        ),
        (
            r"in $O(\log n)$ steps, $x^2$ and $\mathcal{L}_\theta$",
            r"in O(\log n) steps, x^2 and \mathcal{L}_θ",
        ),
        (r"costs \$5 or \$10, $\mu$", "costs $5 or $10, μ"),  # escaped dollars are no math
        # Zotero's caret (and papertriage's export's) is the ASCII one, not the modifier letter ˆ.
        (
            r"\$p N\$ over N{\textasciicircum}\{2/3\}, x\textasciicircum{}2",
            "$p N$ over N^{2/3}, x^2",
        ),
        # Mendeley's `$$`, and symbols beyond the Greek letters.
        (r"The $$\phi$$ Accrual Detector, B$$\epsilon$$-trees", "The ϕ Accrual Detector, Bϵ-trees"),
        (r"K{$\ast$}, $\ell_1$, $\partial f$, $a \neq b$", "K∗, ℓ_1, ∂ f, a ≠ b"),
        (
            "&ldquo;revisioning&rdquo; (Clement &amp; others 78)",
            "“revisioning” (Clement & others 78)",
        ),
        (r"R&D at AT&T; {\"o} -- 50% &notanentity;", "R&D at AT&T; ö – 50% &notanentity;"),
    ],
)
def test_text_fields_are_plain_text(written: str, text: str) -> None:
    (record,), warnings = parse(f"@article{{k, title = {{T}}, abstract = {{{written}}}}}\n")
    assert (record.abstract, warnings) == (text, [])


def test_a_bibtex_url_copied_from_html_loses_its_entities() -> None:
    (record,), _ = parse("@misc{k, title = {T}, url = {http://example.org/a?x=1&amp;y=2}}\n")
    assert record.url == "http://example.org/a?x=1&y=2"


def test_names_bibtexparser_refuses_lose_no_entry() -> None:
    text = (
        "@article{a, title = {One}, author = {Dawson, and Smith, J.}}\n"
        "@article{b, title = {Two}, author = {family=Oord, given=Aaron, prefix=van den}}\n"
        "@article{c, Title = {Three}, Author = {N{\\'u}{\\~n}ez, Ana and others}}\n"
    )
    records, warnings = parse(text)
    assert warnings == []
    assert [r.authors for r in records] == [
        ("Dawson", "J. Smith"),
        ("Aaron van den Oord",),
        ("Ana Núñez",),  # JabRef's capitalised field names; 'others' dropped
    ]


def test_a_broken_entry_is_a_warning_with_its_line_and_the_rest_are_read() -> None:
    entries = [
        f"@article{{key{n},\n  title = {{Paper number {n}}},\n  year = {{2020}}\n}}\n"
        for n in range(1, 46)
    ]
    entries[39] = "@article{key40,\n  title = {Paper number 40,\n  year = {2020}\n}\n"
    records, warnings = parse("".join(entries), source="big.bib")
    assert warnings == [
        "big.bib:157: @article entry not read: Unexpected block start: `@article`. Was still"
        " looking for field-value closing `,` or `}`; skipped"
    ]
    assert (39 * 4 + 1) == 157  # the 40th entry starts after 39 entries of 4 lines
    assert len(records) == 44
    assert "Paper number 40" not in {r.title for r in records}
    assert records[39].title == "Paper number 41"


def test_untitled_and_repeated_entries_are_warnings() -> None:
    text = "@misc{a, title = {Kept}}\n@misc{b, author = {No Title}}\n@misc{a, title = {K{e}pt}}\n"
    records, warnings = parse(text, source="w.bib")
    assert [r.title for r in records] == ["Kept"]
    assert warnings == [
        "w.bib:2: entry 'b' has no title; skipped",
        "w.bib:3: entry 'a' repeats the paper of line 1; skipped",
    ]


def test_entries_sharing_a_key_are_each_a_paper() -> None:
    """Mendeley writes `@article{,` for every paper without a key, and libraries merged by
    hand give two papers the key `Smith2018`: papers matter, keys don't."""
    text = (
        "@string{ann = {Smith, Ann}}\n"
        "@article{,\n  title = {Keyless One}\n}\n"
        "@article{Smith2018,\n  title = {Sparse Routing}\n}\n"
        "@article{,\n  title = {Keyless Two}\n}\n"
        '@inproceedings{Smith2018,\n  title = {M{\\"u}ller Attention},\n  author = ann\n}\n'
        "@article{,\n  title = {keyless  one}\n}\n"  # the first paper again
        "@string{ann = {Jones, Bob}}\n"
    )
    records, warnings = parse(text, source="m.bib")
    assert [(r.title, r.authors) for r in records] == [
        ("Keyless One", ()),
        ("Sparse Routing", ()),
        ("Keyless Two", ()),
        ("Müller Attention", ("Ann Smith",)),  # read like any other entry
    ]
    assert warnings == [
        "m.bib:18: @string 'ann' repeats an earlier one; skipped",
        "m.bib:15: entry '' repeats the paper of line 2; skipped",
    ]


def test_a_field_written_twice_is_read_once_with_a_warning() -> None:
    """Zotero wrote `doi` twice, the first cut short: the entry is read, with the longer value."""
    records, warnings = parse((REFS / "repeated-fields.bib").read_text(), source="z.bib")
    nerf, two = records
    assert (nerf.title, nerf.url) == ("NeRF", "https://doi.org/10.1007/978-3-030-58452-8_24")
    assert two.title == "Two"  # its key repeats too, and it is another paper
    assert warnings == [
        "z.bib:5: entry 'nerf' repeats its field 'doi' of line 3; this value, the longer, is kept",
        "z.bib:6: entry 'nerf' repeats its field 'title' of line 2; the first value is kept",
        "z.bib:8: entry 'nerf' repeats its field 'note' of line 8; the first value is kept",
    ]


def test_a_bibtex_file_with_nothing_readable_is_an_error() -> None:
    with pytest.raises(
        InputError,
        match=r"^x\.bib: none of its 2 BibTeX entries could be read \(1 broken, 1 without a title\)"
        r" \(the first: x\.bib:2: @misc entry not read: Unexpectedly reached end of file; skipped\)$",
    ):
        parse("@misc{a, author = {X}}\n@misc{b, title = {Open\n", source="x.bib")
    with pytest.raises(
        InputError,
        match=r"^x\.bib: no BibTeX entries found \(a BibTeX file has entries such as @article",
    ):
        parse("just some words\nand more\n", "bibtex", source="x.bib")


def test_a_ris_file_whose_last_entry_has_no_end() -> None:
    records, warnings = parse((REFS / "three.ris").read_text(), source="three.ris")
    assert warnings == ["three.ris:21: the last entry has no 'ER  - ' line; read anyway"]
    routing, retrieval, last = records
    assert routing.title == "Expert Routing at Scale"
    assert routing.abstract == "We study expert routing over many devices."
    assert routing.authors == ("Lise Meitner", "Chien-Shiung Wu")
    assert (routing.arxiv_id, routing.date) == ("2303.10001", "2023-03-15")
    assert routing.url == "http://arxiv.org/abs/2303.10001"
    assert (retrieval.title, retrieval.authors) == ("Retrieval for Everyone", ("Marie Curie",))
    assert retrieval.abstract == "Dense retrieval, cheaply."  # N2
    assert (retrieval.arxiv_id, retrieval.date) == ("2210.00003", None)  # N1; a year only
    assert (last.title, last.authors) == ("The Last Entry Has No End", ("Emmy Noether",))
    assert (last.arxiv_id, last.url) == (None, "https://doi.org/10.1000/last")


def test_a_ris_entry_without_title_or_without_er_before_the_next() -> None:
    text = (
        "TY  - JOUR\nAU  - Nobody, Anne\nAB  - No title here.\nER  - \n"
        "TY  - JOUR\nTI  - Runs On\n"
        "TY  - JOUR\nTI  - Next One\nER  - \n"
    )
    records, warnings = parse(text, source="r.ris")
    assert [r.title for r in records] == ["Runs On", "Next One"]
    assert warnings == [
        "r.ris:5: entry has no 'ER  - ' line before the next entry (line 7); read anyway",
        "r.ris:1: entry has no title (TI or T1); skipped",
    ]


def test_a_ris_entry_with_html_entities() -> None:
    text = (
        "TY  - JOUR\nTI  - Gut &amp; brain\nAU  - M&uuml;ller, J&ouml;rg\n"
        "AB  - Effects were small (p &lt; .001; &#8220;robust&#x201D;), AT&T &foo; R&D;\nER  - \n"
    )
    (record,), warnings = parse(text, source="s.ris")
    assert (record.title, record.authors, warnings) == ("Gut & brain", ("Jörg Müller",), [])
    assert record.abstract == "Effects were small (p < .001; “robust”), AT&T &foo; R&D;"


@pytest.mark.parametrize(
    ("tag", "url"),
    [
        (
            "UR  - https://doi.org/10.48550/arXiv.2502.01229",
            "https://doi.org/10.48550/arXiv.2502.01229",
        ),
        ("DO  - https://doi.org/10.48550/ARXIV.2502.01229", "https://arxiv.org/abs/2502.01229"),
        ("DO  - 10.48550/arXiv.2502.01229v2", "https://arxiv.org/abs/2502.01229"),
    ],
)
def test_arxiv_doi_in_a_ris_entry(tag: str, url: str) -> None:
    (record,), _ = parse(f"TY  - JOUR\nTI  - T\n{tag}\nER  - \n")
    assert (record.id, record.arxiv_id, record.url) == ("2502.01229", "2502.01229", url)


def test_a_ris_file_with_one_space_before_the_dash() -> None:
    """`TY - JOUR`, `AU - Zou, Yuanqiang`, as some tools write RIS: read as the standard form."""
    text = (REFS / "one-space.ris").read_text()
    assert detect_format(text.splitlines()) == "ris"
    genomes, collection = records_and_no_warnings(text)
    assert genomes.title == "1,520 reference genomes from cultivated human gut bacteria"
    assert genomes.abstract == (
        "Reference genomes matter for gut studies. We present a collection of cultured genomes."
    )
    assert genomes.authors == ("Yuanqiang Zou", "Wenbin Xue")
    assert genomes.url == "http://www.nature.com/articles/s41587-018-0008-8"
    assert (collection.authors, collection.arxiv_id) == (("Samuel C. Forster",), "1902.00001")


def test_only_a_one_space_entry_has_its_lines_read_as_one_space_tags() -> None:
    """In a standard entry, a wrapped abstract line starting `US - ` is still the abstract."""
    text = "TY  - JOUR\nTI  - T\nAB  - Studies of\nUS - based firms.\nER  - \n"
    (record,) = records_and_no_warnings(text)
    assert record.abstract == "Studies of US - based firms."


def test_several_ris_authors_on_one_line() -> None:
    text = (
        "TY  - JOUR\nTI  - T\nAU  - Elliot, T; Almenar, JB; Rugani, B\n"
        "A1  - M&uuml;ller, J&ouml;rg;Rugani, B\nER  - \n"
    )
    (record,) = records_and_no_warnings(text)
    assert record.authors == ("T Elliot", "JB Almenar", "B Rugani", "Jörg Müller")


def records_and_no_warnings(text: str) -> list:
    records, warnings = parse(text)
    assert warnings == []
    return records


def test_a_ris_file_with_nothing_readable_is_an_error() -> None:
    with pytest.raises(
        InputError,
        match=r"^r\.ris: none of its 1 RIS entries has a title \(titles are in TI or T1 lines\)$",
    ):
        parse("TY  - JOUR\nAU  - Nobody, Anne\nER  - \n", source="r.ris")
    with pytest.raises(
        InputError,
        match=r"^r\.ris: no RIS entries found \(no 'TY  - ' line\) \(a RIS entry starts with",
    ):
        parse("garbage\nmore garbage\n", "ris", source="r.ris")


def test_detection_marks() -> None:
    for name in ("zotero.bib", "mendeley.bib"):
        sample = (REFS / name).read_text()
        assert refmarks.looks_like_bibtex(sample) and not refmarks.looks_like_ris(sample)
    sample = (REFS / "three.ris").read_text()
    assert refmarks.looks_like_ris(sample) and not refmarks.looks_like_bibtex(sample)
    assert refmarks.looks_like_bibtex(
        "% This file was created with JabRef 2.10.\n% Encoding: UTF-8\n\n@ARTICLE{k,\n"
    )
    assert refmarks.looks_like_bibtex(
        "@online{Agilent(2022)Type,\n"
    )  # any type, keys with parentheses
    assert refmarks.looks_like_bibtex("@article{kuhne2006\n, author = {X}\n")  # Qiqqa's comma first
    assert refmarks.looks_like_ris(
        "Provider: Elsevier\nDatabase: ScienceDirect\n\nTY  - JOUR\nT1  - A\n"
    )
    assert refmarks.looks_like_ris("TY - JOUR\nAU - Zou, Yuanqiang\n")
    for path in GOLDEN.iterdir():
        text = path.read_text()
        assert not refmarks.looks_like_bibtex(text) and not refmarks.looks_like_ris(text), path
    never = [
        '{"title": "@article{x, y}"}',
        "Mail me @misc{not, here}\n" * 1,
        "A Title About Things\n" * 10 + "@misc{late,\n  title = {Cited at the end}\n}\n",
        "TY - thanks for the draft\nAB - see you at noon\n",  # one space, and no type
        "TY - JOUR\nSee you at noon.\n",  # one space, and no other tag
        "TY  - JOUR\n",  # a type line and nothing else
    ]
    for text in never:
        assert not refmarks.looks_like_bibtex(text) and not refmarks.looks_like_ris(text), text


def test_parse_on_the_command_line(tmp_path: Path) -> None:
    code, out, err = run("parse", str(REFS / "three.ris"), "-f", "jsonl")
    assert code == 0
    assert [json.loads(line)["title"] for line in out.splitlines()] == [
        "Expert Routing at Scale",
        "Retrieval for Everyone",
        "The Last Entry Has No End",
    ]
    ris_path = REFS / "three.ris"
    assert err == (
        f"{ris_path}: 3 records (ris)\n"
        f"warning: {ris_path}:21: the last entry has no 'ER  - ' line; read anyway\n"
    )
    garbage = tmp_path / "garbage.bib"
    garbage.write_text("}{ not bibtex at all\n")
    code, out, err = run("parse", str(garbage), "--from", "bibtex")
    assert (code, out) == (2, "")
    assert err == (
        f"Error: {garbage}: no BibTeX entries found (a BibTeX file has entries such as"
        " @article{key, title = {...}})\n"
    )
    empty = tmp_path / "empty.ris"
    empty.write_text("\n\n")
    code, out, err = run("parse", str(empty), "--from", "ris")
    assert (code, out) == (2, "")
    assert err == f"Error: {empty}: the file is empty (give a listing with papers in it)\n"


def test_the_parsers_import_their_libraries_only_when_used() -> None:
    program = (
        "from papertriage.listings.parse import detect_format\n"
        "assert detect_format(['@article{k,', 'title = {T}}']) == 'bibtex'\n"
        "assert detect_format(['TY  - JOUR', 'TI  - T', 'ER  - ']) == 'ris'\n"
    )
    assert imported_by(program, ("bibtexparser", "rispy", "pylatexenc")) == []
