"""Authors as a reader names them: "Jónsson", "jonsson", "H. Jonsson" and "Hannes Jónsson" all
name Hannes Jónsson. Case, accents, hyphens and dots do not count, and an initial stands for any
name it begins, on either side (a listing may write "H. Jónsson" as well).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from papertriage.models import Record, name_words


def names_match(wanted: Sequence[str], author: Sequence[str]) -> bool:
    """Whether each of the `wanted` words (name_words') is a word of the `author`'s, each a
    different one, in any order ("Jonsson, Hannes" too). A one-letter word on either side
    matches a word it begins, once some whole word has matched: "H. Jonsson" is Hannes
    Jónsson, but "Jonsson" is not J. Smith."""
    left, initials = list(author), []
    for word in wanted:
        if word in left and len(word) > 1:
            left.remove(word)
        else:
            initials.append(word)
    if len(initials) == len(wanted):  # no whole word in common
        return False
    for word in initials:
        at = next((i for i, other in enumerate(left) if _initial_of(word, other)), None)
        if at is None:
            return False
        del left[at]
    return True


def _initial_of(word: str, other: str) -> bool:
    return (len(word) == 1 or len(other) == 1) and word[0] == other[0]


def by_any_of(names: Iterable[str]) -> AuthorFilter:
    """A test of records: written by someone any of `names` names ("Hinton et al." is
    Hinton)."""
    return AuthorFilter([words for name in names if (words := _without_et_al(name_words(name)))])


def _without_et_al(words: tuple[str, ...]) -> tuple[str, ...]:
    return words[:-2] if len(words) > 2 and words[-2:] == ("et", "al") else words


class AuthorFilter:
    def __init__(self, wanted: list[tuple[str, ...]]) -> None:
        self.wanted = wanted

    def __call__(self, record: Record) -> bool:
        for author in record.authors:
            words = name_words(author)  # once per author, whatever the number of names asked
            if any(names_match(wanted, words) for wanted in self.wanted):
                return True
        return False
