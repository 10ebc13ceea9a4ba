"""The postings of a small corpus, counted in its papers' token texts when a term is first asked
for.

A query reads the postings of a handful of terms, so inverting a whole listing up front (a few
hundred thousand insertions for 2,000 abstracts, after splitting every text into its tokens)
costs far more than the search. Each paper keeps its title's and abstract's tokens as text,
joined by spaces (tokens have none: papertriage.tokens); a term's postings are counted in those
texts by str.count, in C, once per term, and remembered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from papertriage.search.scoring import TITLE_WEIGHT

Fields = tuple[str, str]  # a paper's title and abstract tokens, each joined by single spaces


def token_count(text: str) -> int:
    """The tokens in a text of tokens joined by single spaces."""
    return text.count(" ") + 1 if text else 0


def _padded(text: str) -> str:
    # Tokens two spaces apart, and one space at each end: " term " then matches whole tokens
    # only, and two occurrences side by side do not share a space (str.count never overlaps).
    return " " + text.replace(" ", "  ") + " "


class GatheredPostings(Mapping[str, dict[int, float]]):
    """term -> {paper number: weighted frequency (a title word counts TITLE_WEIGHT times)}."""

    def __init__(self, fields: Sequence[Fields]) -> None:
        self.fields = fields
        self._padded: list[tuple[str, str]] | None = None
        self._gathered: dict[str, dict[int, float]] = {}
        self._vocabulary: set[str] | None = None

    def padded(self) -> list[tuple[str, str]]:
        if self._padded is None:
            self._padded = [(_padded(title), _padded(abstract)) for title, abstract in self.fields]
        return self._padded

    def __getitem__(self, term: str) -> dict[int, float]:
        entry = self._gathered.get(term)
        if entry is None:  # counted once, found or not: scoring asks again for every paper
            needle, entry = f" {term} ", {}
            for number, (title, abstract) in enumerate(self.padded()):
                if needle in abstract or needle in title:
                    entry[number] = TITLE_WEIGHT * title.count(needle) + abstract.count(needle)
            self._gathered[term] = entry
        if not entry:
            raise KeyError(term)
        return entry

    def in_title(self, number: int, term: str) -> bool:
        """Whether paper `number`'s title has the term."""
        return f" {term} " in self.padded()[number][0]

    def in_a_row_places(self, number: int, words: Sequence[str]) -> tuple[bool, bool]:
        """Whether paper `number`'s title, and its abstract, hold the terms `words` in a row."""
        needle = " " + "  ".join(words) + " "  # the padded texts' spacing
        title, abstract = self.padded()[number]
        return needle in title, needle in abstract

    @property
    def vocabulary(self) -> set[str]:
        """Every term, for what needs them all (correcting a typo): split out on first use."""
        if self._vocabulary is None:
            self._vocabulary = set()
            for title, abstract in self.fields:
                self._vocabulary.update(title.split(), abstract.split())
        return self._vocabulary

    def __iter__(self) -> Iterator[str]:
        return iter(self.vocabulary)

    def __len__(self) -> int:
        return len(self.vocabulary)
