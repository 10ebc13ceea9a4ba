r"""Author lists and TeX accents as arXiv writes them: affiliations in parentheses, an Oxford
comma, "et al.", and names typed in TeX (`J\'onsson`), read from its e-mail digests, API and feeds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertriage.listings.formats.common import split_authors
from papertriage.listings.formats.texaccents import tex_accents
from papertriage.listings.parse import parse_lines


@pytest.mark.parametrize(
    ("written", "names"),
    [
        (
            "Ada Lovelace, Charles Babbage and Mary Somerville",
            ["Ada Lovelace", "Charles Babbage", "Mary Somerville"],
        ),
        (
            "Zeyu Mu, Shangtong Zhang, and B. Brian Park",
            ["Zeyu Mu", "Shangtong Zhang", "B. Brian Park"],
        ),
        ("A. One and B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
        (
            "Valentin Lafargue (ANITI, IMT), Mathieu Serrurier (IRIT-MISFIT)",
            ["Valentin Lafargue", "Mathieu Serrurier"],
        ),
        (
            "Jordi Gonzalez, and Ahmed Hemani (Department of Electronics and Embedded Systems, KTH)",
            ["Jordi Gonzalez", "Ahmed Hemani"],
        ),
        ("A. Gilad Kusne (1, 3), Rohit Goswami (1, 2)", ["A. Gilad Kusne", "Rohit Goswami"]),
        ("Alan Turing ((1) Imaginary University, (2) Other Place)", ["Alan Turing"]),
        ("Grant Merz, et al. (25 additional authors not shown)", ["Grant Merz"]),
        ("Ann Author (University of Somewhere, cut short", ["Ann Author"]),
        ("Smith; Jones & Brown", ["Smith", "Jones", "Brown"]),
        (r"Hannes J\'onsson and Rado Pito\v{n}\'ak", ["Hannes Jónsson", "Rado Pitoňák"]),
        (
            "Martin Luther King Jr. and Sammy Davis, Jr. and Henry Ford, II",
            ["Martin Luther King Jr.", "Sammy Davis Jr.", "Henry Ford II"],
        ),
    ],
)
def test_names_are_split_without_affiliations(written: str, names: list[str]) -> None:
    assert split_authors(written) == names


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"Schr\"odinger", "Schrödinger"),
        (r"Schr\"{o}dinger", "Schrödinger"),
        (r"Schr{\"o}dinger", "Schrödinger"),
        (r"Karhunen-Lo\`eve", "Karhunen-Loève"),
        (r"Mu\~noz, Psych\=eChat, Pet\H{o}", "Muñoz, PsychēChat, Pető"),
        (r"Garc\'{\i}a and Garc\'\i a", "García and García"),
        (r"Dov\v{c}iak, \c{C}etin, \c c", "Dovčiak, Çetin, ç"),
        (
            r"S{\o}ren, Bj\o rn, \L ukasz, Stra\ss{}e, Balk{\i}r",
            "Søren, Bjørn, Łukasz, Straße, Balkır",
        ),
    ],
)
def test_tex_accents_are_letters(tex: str, text: str) -> None:
    assert tex_accents(tex) == text


def test_math_and_other_commands_stay_as_written() -> None:
    text = r"$\varepsilon_1 \cdot \delta$, \cite{x}, \uparrow, \int \infty, 26\%, Q\&A, \beta"
    assert tex_accents(text) == text


@given(st.text(alphabet=st.characters(blacklist_characters="\\")))
def test_text_without_a_backslash_is_unchanged(text: str) -> None:
    assert tex_accents(text) == text


DIGEST = r"""\\
arXiv:2601.00001
Date: Mon, 26 Jan 2026 10:00:00 GMT   (100kb)

Title: Schr\"odinger Bridges for Alfv\'en Waves
Authors: Hannes J\'onsson (KTH, Stockholm), Maria Sch\"onb\"achler, and
  Esma Balk{\i}r (1, 2), et al. (12 additional authors not shown)
Categories: physics.plasm-ph
\\
  We study Alfv\'en waves with $\varepsilon$-accuracy.
\\ ( https://arxiv.org/abs/2601.00001 ,  100kb)
"""


def test_a_digest_entry_reads_as_a_reader_sees_it() -> None:
    [record] = parse_lines(DIGEST.splitlines(), source="digest.txt").records
    assert record.title == "Schrödinger Bridges for Alfvén Waves"
    assert record.authors == ("Hannes Jónsson", "Maria Schönbächler", "Esma Balkır")
    assert record.abstract == r"We study Alfvén waves with $\varepsilon$-accuracy."


def test_api_names_in_tex_are_read() -> None:
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        '<id>http://arxiv.org/abs/2601.00002v1</id><title>On Schr\\"odinger</title>'
        "<summary>An abstract.</summary><author><name>J. Mel\\'endez</name></author>"
        "<published>2026-01-02T00:00:00Z</published></entry></feed>"
    )
    [record] = parse_lines([feed], source="q.xml").records
    assert (record.title, record.authors) == ("On Schrödinger", ("J. Meléndez",))
