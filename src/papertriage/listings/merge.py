"""Merge records of the same paper: same arXiv id, same normalised title, or near-identical titles.

Near-duplicate titles are found without comparing every pair: a title is only compared with titles
that share its first or its last three words (a "block") and have a similar length. Two titles that
differ in both their first and last three words are not near-identical at the threshold used here.

Alike is not enough, for a title or for a group: near-identical titles must differ by slips of
spelling, never by a word ("TPC-C"/"TPC-E", "... : Reply"), and records whose authors are both
known but share no surname are two papers, as are two arXiv ids. A group of merged records is
checked as a whole, so a record without authors or id cannot join two papers through itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from papertriage.models import Record, name_words, normalize_title

NEAR_DUPLICATE_SCORE = 95.0  # rapidfuzz ratio (0-100) at or above which two titles are one paper
MAX_BLOCK = 200  # a block larger than this is too generic to say anything (e.g. "a survey of")
_DIGITS = frozenset("0123456789")
_MERGEABLE = [name for name in Record._fields if name not in ("id", "source", "position")]


@dataclass(frozen=True)
class MergeResult:
    records: list[Record]
    merged: int  # how many input records were folded into another


def _richer_first(a: Record, b: Record) -> tuple[Record, Record]:
    return (b, a) if b.richness() > a.richness() else (a, b)


def _combine(a: Record, b: Record) -> Record:
    """The richer record, with any field it lacks filled from the other; keeps the first place seen."""
    rich, poor = _richer_first(a, b)
    changes = {
        name: getattr(poor, name)
        for name in _MERGEABLE
        if not getattr(rich, name) and getattr(poor, name)
    }
    if changes.get("arxiv_id"):
        changes["id"] = changes["arxiv_id"]
    changes["source"], changes["position"] = a.source, a.position
    return rich.with_changes(**changes)


class _Marks(NamedTuple):
    """What tells one paper from another beside its title: its arXiv id and author surnames."""

    arxiv_id: str | None
    surnames: frozenset[str]


def _marks(record: Record) -> _Marks:
    arxiv_id = record.arxiv_id.lower() if record.arxiv_id else None
    return _Marks(arxiv_id, frozenset(filter(None, map(_surname, record.authors))))


def _surname(name: str) -> str:
    """The last word of a name ('Last' of 'Last, First'), folded as models.name_words folds."""
    words = name_words(name.split(",")[0] if "," in name else name)
    return words[-1] if words else ""


def _two_papers(a: _Marks, b: _Marks) -> bool:
    """Two arXiv ids are two papers, however alike their titles ("Part I"/"Part II"); so are two
    known author lists without a surname in common. One id, or one list, says nothing."""
    if a.arxiv_id and b.arxiv_id:
        return a.arxiv_id != b.arxiv_id
    return bool(a.surnames and b.surnames and a.surnames.isdisjoint(b.surnames))


class _Groups:
    """Records found to be one paper so far (a union-find). A group's marks are its members'
    together (its arXiv id, every surname), and two groups join only if theirs agree: a record
    without authors joins one of two same-titled papers, never both."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.parent = list(range(len(records)))
        self.marks: dict[int, _Marks] = {}  # root -> its group's marks, made when first needed

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int, *, always: bool = False) -> bool:
        """Make i's and j's groups one unless they hold two papers (`always`: one arXiv id)."""
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j:
            return True
        marks_i, marks_j = self._marks_of(root_i), self._marks_of(root_j)
        if not always and _two_papers(marks_i, marks_j):
            return False
        root, other = min(root_i, root_j), max(root_i, root_j)
        self.parent[other] = root
        self.marks[root] = _Marks(
            marks_i.arxiv_id or marks_j.arxiv_id, marks_i.surnames | marks_j.surnames
        )
        del self.marks[other]
        return True

    def _marks_of(self, root: int) -> _Marks:
        if root not in self.marks:  # a record not joined to any yet
            self.marks[root] = _marks(self.records[root])
        return self.marks[root]


def merge_duplicates(records: list[Record], *, fuzzy: bool = True) -> MergeResult:
    """Fold records of the same paper into one, keeping the first one's place in the order."""
    groups = _Groups(records)
    titles = [normalize_title(record.title) for record in records]
    first_by_arxiv: dict[str, int] = {}
    first_by_title: dict[str, int] = {}
    # The first record of every other paper a title names ("Introduction"), up to MAX_BLOCK.
    others_by_title: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record.arxiv_id:
            first = first_by_arxiv.setdefault(record.arxiv_id.lower(), index)
            groups.join(first, index, always=True)
        first = first_by_title.setdefault(titles[index], index)
        if first != index and not groups.join(first, index):
            others = others_by_title.setdefault(titles[index], [])
            if not any(groups.join(other, index) for other in others) and len(others) < MAX_BLOCK:
                others.append(index)
    if fuzzy:
        _link_near_duplicates(titles, groups)

    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(records)):
        members[groups.find(index)].append(index)
    merged_records = []
    for root in sorted(members):
        record = records[members[root][0]]
        for other in members[root][1:]:
            record = _combine(record, records[other])
        merged_records.append(record)
    return MergeResult(merged_records, len(records) - len(merged_records))


def _link_near_duplicates(titles: list[str], groups: _Groups) -> None:
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, title in enumerate(titles):
        for block in _blocks(title):
            blocks[block].append(index)
    digits: dict[int, frozenset[str]] = {}
    for indices in blocks.values():
        if len(indices) < 2 or len(indices) > MAX_BLOCK:
            continue
        # Near-identical titles have the same digits (numbers must match), so a block of
        # numbered titles ("... benchmark 2019", "... 2020") is compared number by number.
        by_digits: dict[frozenset[str], list[int]] = defaultdict(list)
        for i in indices:
            if i not in digits:
                digits[i] = frozenset(_DIGITS.intersection(titles[i]))
            by_digits[digits[i]].append(i)
        for members in by_digits.values():
            _link_within(members, titles, groups)


def _link_within(members: list[int], titles: list[str], groups: _Groups) -> None:
    for position, i in enumerate(members):
        for j in members[position + 1 :]:
            if titles[i] == titles[j] or groups.find(i) == groups.find(j):
                continue
            if near_identical(titles[i], titles[j]):
                groups.join(i, j)


def combine(kept: Record, other: Record) -> Record:
    """`kept` and `other` as one record: the richer one, its gaps filled from the other."""
    return _combine(kept, other)


class MergeIndex:
    """Records already known, to find the one a new record duplicates (incrementally): by arXiv
    id, by normalised title, or by a near-identical title within the same block of titles.
    It holds no authors (the library keeps none beside the titles), so here only arXiv ids
    and the words of near-identical titles tell two papers apart."""

    def __init__(self) -> None:
        self.by_arxiv: dict[str, str] = {}
        self.by_title: dict[str, tuple[str, str | None]] = {}  # -> (key, its arXiv id if known)
        self.blocks: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)

    def add_keys(self, key: str, title: str, arxiv_id: str | None) -> None:
        """Know a paper by its normalised title and arXiv id alone (what the library stores)."""
        if arxiv_id:
            self.by_arxiv.setdefault(arxiv_id.lower(), key)
        known = self.by_title.get(title)
        if known is None or (known[0] == key and arxiv_id):  # the first paper of that title
            self.by_title[title] = (key, arxiv_id)
        for block in _blocks(title):
            self.blocks[block].append((title, key, arxiv_id))

    def find(self, record: Record, title: str | None = None) -> str | None:
        """The key of the paper `record` duplicates, or None (`title`: its normalised title,
        when the caller has it already)."""
        if title is None:
            title = normalize_title(record.title)
        found = self.find_exact(record, title)
        if found is not None:
            return found
        for block in _blocks(title):
            candidates = self.blocks.get(block, ())
            if len(candidates) > MAX_BLOCK:
                continue
            for other_title, key, arxiv_id in candidates:
                if record.arxiv_id and arxiv_id and record.arxiv_id.lower() != arxiv_id.lower():
                    continue
                if near_identical(title, other_title):
                    return key
        return None

    def find_exact(self, record: Record, title: str) -> str | None:
        """The key of the paper with `record`'s arXiv id or normalised `title`, or None: what
        `find` answers without comparing titles for near-identity."""
        if record.arxiv_id and record.arxiv_id.lower() in self.by_arxiv:
            return self.by_arxiv[record.arxiv_id.lower()]
        known = self.by_title.get(title)
        if known is None:
            return None
        key, arxiv_id = known
        if record.arxiv_id and arxiv_id and record.arxiv_id.lower() != arxiv_id.lower():
            return None  # two arXiv ids are two papers, as merge_duplicates has it
        return key


def near_identical(title: str, other: str) -> bool:
    """Normalised titles of about the same length, a rapidfuzz ratio of at least
    NEAR_DUPLICATE_SCORE and every word spelt alike (see _spelt_alike): one paper, however it
    was typed."""
    shorter, longer = sorted((len(title), len(other)))
    if shorter < longer * 0.9:
        return False
    if _bound.left > 0:
        _bound.left -= 1
        if not _may_reach(title, other):
            return False
    from rapidfuzz import fuzz

    if not fuzz.ratio(title, other, score_cutoff=NEAR_DUPLICATE_SCORE):
        return False
    return _spelt_alike(title, other)


class _Bound:
    """How many comparisons may still try the bound first. Importing rapidfuzz costs ~18 ms
    and the bound ~17 us a pair against rapidfuzz's 0.5 us: a day's listing compares a few
    dozen pairs, all told apart by the bound, and never imports it; a library's thousands
    soon stop paying for the bound."""

    left = 1_000


_bound = _Bound()


def _may_reach(title: str, other: str) -> bool:
    """Whether the ratio can reach NEAR_DUPLICATE_SCORE. It is 100 * (1 - d / n), d the Indel
    distance (n - 2 * the longest common subsequence, n the two lengths): the subsequence has
    at most the characters both titles have, counted with repeats, so d has a floor."""
    total = len(title) + len(other)
    shared = sum((Counter(title) & Counter(other)).values())
    return (total - 2 * shared) * 100 <= (100 - NEAR_DUPLICATE_SCORE) * total


# A ratio of 95 lets "specification of tpc c benchmark" be "... tpc e ...", and a long title be
# the same title and one more word (": Reply"): characters alike, papers not. So every word of
# either title needs a counterpart in the other: the same word, its plural, its hyphenated or
# joined form ("multi head"/"multihead"), or a slip of it (one edit, two from 8 letters). Words
# of up to 4 letters, often acronyms (TPC-C/E, Part I/II, CNNs/RNNs, BERT/BART), and words with
# a digit (years, versions) have no slips: they must be the same, or a plural.
def _spelt_alike(title: str, other: str) -> bool:
    """Whether the words of two titles are the same words, as far as spelling goes (see above)."""
    words, other_words = title.split(), other.split()
    here, there = set(words), set(other_words)
    return all(_counterpart(word, words, there) for word in here - there) and all(
        _counterpart(word, other_words, here) for word in there - here
    )


def _counterpart(word: str, words: list[str], others: set[str]) -> bool:
    """Whether `word`, one of `words`, has a counterpart among the other title's words."""
    if _plural(word, others):
        return True
    if any(word[:cut] in others and word[cut:] in others for cut in range(1, len(word))):
        return True  # "multihead" here, "multi head" there
    place = words.index(word)
    if {"".join(words[place - 1 : place + 1]), "".join(words[place : place + 2])} & others:
        return True  # "multi head" here, "multihead" there
    if len(word) <= 4 or not word.isalpha():
        return False
    from rapidfuzz.distance import OSA

    for other in others:
        if len(other) > 4 and other.isalpha():
            edits = 1 if min(len(word), len(other)) < 8 else 2
            if OSA.distance(word, other, score_cutoff=edits) <= edits:
                return True
    return False


def _plural(word: str, others: set[str]) -> bool:
    """Whether one of `others` is `word`'s plural or singular (-s, -es, -y/-ies), of 3 letters
    at least ("part i" is not "part is")."""
    forms = {word + "s", word + "es"}
    if word.endswith("s"):
        forms.update((word[:-1], word[:-2] if word.endswith("es") else word[:-1]))
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    return any(min(len(word), len(form)) >= 3 for form in forms & others)


def _blocks(title: str) -> list[str]:
    """The blocks a title is compared within: its first and its last three words."""
    words = title.split()
    if len(words) < 3:
        return []  # short titles only merge when equal
    return ["<" + " ".join(words[:3]), ">" + " ".join(words[-3:])]
