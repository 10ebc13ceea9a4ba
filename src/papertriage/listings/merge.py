"""Merge records of the same paper: same arXiv id, same normalised title, or near-identical titles.

Near-duplicate titles are found without comparing every pair: a title is only compared with titles
that share its first or its last three words (a "block") and have a similar length. Two titles that
differ in both their first and last three words are not near-identical at the threshold used here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from papertriage.models import Record, normalize_title

NEAR_DUPLICATE_SCORE = 95.0  # rapidfuzz ratio (0-100) at or above which two titles are one paper
MAX_BLOCK = 200  # a block larger than this is too generic to say anything (e.g. "a survey of")
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


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        root_i, root_j = self.find(i), self.find(j)
        if root_i != root_j:
            self.parent[max(root_i, root_j)] = min(root_i, root_j)


def merge_duplicates(records: list[Record], *, fuzzy: bool = True) -> MergeResult:
    """Fold records of the same paper into one, keeping the first one's place in the order."""
    groups = _UnionFind(len(records))
    first_by_key: dict[str, int] = {}
    titles = [normalize_title(record.title) for record in records]
    for index, record in enumerate(records):
        keys = [f"title:{titles[index]}"]
        if record.arxiv_id:
            keys.append(f"arxiv:{record.arxiv_id.lower()}")
        for key in keys:
            if key in first_by_key:
                if not _different_papers(records[first_by_key[key]], record):
                    groups.union(first_by_key[key], index)
            else:
                first_by_key[key] = index
    if fuzzy:
        _link_near_duplicates(titles, records, groups)

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


def _link_near_duplicates(titles: list[str], records: list[Record], groups: _UnionFind) -> None:
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, title in enumerate(titles):
        for block in _blocks(title):
            blocks[block].append(index)
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for position, i in enumerate(members):
            for j in members[position + 1 :]:
                if titles[i] == titles[j] or groups.find(i) == groups.find(j):
                    continue
                if _different_papers(records[i], records[j]):
                    continue
                if near_identical(titles[i], titles[j]):
                    groups.union(i, j)


def _different_papers(a: Record, b: Record) -> bool:
    """Two different arXiv ids are two papers, however alike their titles ("Part I"/"Part II")."""
    return bool(a.arxiv_id and b.arxiv_id and a.arxiv_id.lower() != b.arxiv_id.lower())


def combine(kept: Record, other: Record) -> Record:
    """`kept` and `other` as one record: the richer one, its gaps filled from the other."""
    return _combine(kept, other)


class MergeIndex:
    """Records already known, to find the one a new record duplicates (incrementally): by arXiv
    id, by normalised title, or by a near-identical title within the same block of titles."""

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
    """Normalised titles of about the same length and a rapidfuzz ratio of at least
    NEAR_DUPLICATE_SCORE: one paper, however it was typed."""
    shorter, longer = sorted((len(title), len(other)))
    if shorter < longer * 0.9:
        return False
    if _bound.left > 0:
        _bound.left -= 1
        if not _may_reach(title, other):
            return False
    from rapidfuzz import fuzz

    return bool(fuzz.ratio(title, other, score_cutoff=NEAR_DUPLICATE_SCORE))


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


def _blocks(title: str) -> list[str]:
    """The blocks a title is compared within: its first and its last three words."""
    words = title.split()
    if len(words) < 3:
        return []  # short titles only merge when equal
    return ["<" + " ".join(words[:3]), ">" + " ".join(words[-3:])]
