"""Learning a reader's taste from their decisions: TF-IDF features, a linear model, explanations.

The shape is the one arxiv-sanity and ASReview use: TF-IDF over title and abstract, and a
class-balanced logistic regression trained on the papers the reader liked (positive) and skipped
(negative). With liked papers but nothing skipped there is nothing to contrast, so the ranker falls
back to similarity with the liked papers (the centroid of their TF-IDF vectors).

`Features` fits the TF-IDF once over every paper of a session (the papers to learn from and the
papers to rank); training a `Ranker` after that only fits the small linear model on the labelled
rows, and scoring is one sparse matrix-vector product. That keeps a screening step fast at 10k
papers. scikit-learn and numpy are imported here only, so commands that do not learn never pay
for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from papertriage.errors import UsageError
from papertriage.listings.merge import MergeIndex
from papertriage.models import Record, normalize_title
from papertriage.search.index import Hit
from papertriage.tokens import paper_content

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp

MODEL = "model"  # a logistic regression: liked against skipped
SIMILARITY = "similarity"  # liked papers only: similarity to their centroid

C = 10.0  # inverse regularisation: with a handful of labels, weak regularisation ranks best
REASONS = 5  # words shown per paper


class NothingToLearn(UsageError):
    """No liked paper: the ranker cannot know what the reader wants."""


def document(record: Record, stop: frozenset[str]) -> list[str]:
    """The features of a paper: its content words and each pair of neighbouring ones."""
    words = [
        word
        for word in paper_content(record.title, record.abstract, stop).split()
        if len(word) > 1  # "e" and "g" of "e.g." say nothing
    ]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class Features:
    """Sublinear TF-IDF vectors (rows L2-normalised) of a fixed set of papers."""

    def __init__(self, records: Sequence[Record]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        from papertriage.topics.stopwords import ENGLISH_STOP_WORDS as stop

        self.records = list(records)
        self.row = {record.id: index for index, record in enumerate(self.records)}
        # A word of one paper only says nothing about another: drop those, but not on a listing
        # so small that little else is left.
        vectorizer = TfidfVectorizer(
            analyzer=lambda words: words,
            sublinear_tf=True,
            min_df=2 if len(self.records) >= 50 else 1,
            dtype=np.float32,
        )
        self.matrix: sp.csr_matrix = vectorizer.fit_transform(
            [document(record, stop) for record in self.records]
        ).tocsr()
        self.words = vectorizer.get_feature_names_out()

    def rows(self, ids: Collection[str]) -> list[int]:
        return [self.row[paper_id] for paper_id in ids]

    def train(self, positive: Collection[str], negative: Collection[str]) -> Ranker:
        """A ranker from liked and skipped paper ids (which must be among the records)."""
        import numpy as np

        if not positive:
            raise NothingToLearn(
                "nothing to learn from: no paper is starred or marked read",
                hint="star papers you like with `papertriage mark ID --star`, "
                "or mark those you read with --status read",
            )
        liked = self.matrix[self.rows(positive)]
        if not negative:
            centroid = np.asarray(liked.mean(axis=0)).ravel()
            return Ranker(SIMILARITY, centroid.astype(np.float64), 0.0, self)
        from sklearn.linear_model import LogisticRegression

        rows = self.rows(positive) + self.rows(negative)
        labels = np.array([1] * len(positive) + [0] * len(negative))
        model = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=200)
        model.fit(self.matrix[rows], labels)
        return Ranker(
            MODEL, model.coef_.ravel().astype(np.float64), float(model.intercept_[0]), self
        )


@dataclass(frozen=True)
class Reasons:
    """The words of one paper that pushed its score up (`for_`) and down (`against`)."""

    for_: tuple[tuple[str, float], ...]
    against: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, list[dict[str, object]]]:
        return {
            "for": [{"word": w, "weight": round(v, 4)} for w, v in self.for_],
            "against": [{"word": w, "weight": round(v, 4)} for w, v in self.against],
        }


@dataclass(frozen=True)
class Ranker:
    """A linear scorer over `features`: score = features . weights + intercept."""

    kind: str  # MODEL or SIMILARITY
    weights: np.ndarray
    intercept: float
    features: Features

    def margins(self) -> np.ndarray:
        """The raw linear score of every paper of the features, in their order."""
        # A sparse matrix times a vector: scipy is untyped, the product is a numpy vector.
        margins: np.ndarray = self.features.matrix @ self.weights + self.intercept
        return margins

    def scores(self, margins: np.ndarray | None = None) -> np.ndarray:
        """Per paper: the probability of relevance (model), or the similarity to the liked ones
        (from `margins`, when the caller has them already)."""
        import numpy as np

        if margins is None:
            margins = self.margins()
        if self.kind == SIMILARITY:
            return margins
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-margins))
        return probabilities

    def top_words(self, count: int = 10) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The words weighing most for relevance, and most against it (each strongest first)."""
        import numpy as np

        order = np.argsort(-self.weights, kind="stable")
        words = self.features.words
        favoured = [
            (str(words[i]), float(self.weights[i])) for i in order[:count] if self.weights[i] > 0
        ]
        against = [
            (str(words[i]), float(self.weights[i]))
            for i in order[::-1][:count]
            if self.weights[i] < 0
        ]
        return favoured, against

    def reasons(self, paper_id: str, count: int = REASONS) -> Reasons:
        """The words of a paper with the largest contributions (value x weight) to its score."""
        row = self.features.matrix[self.features.row[paper_id]]
        contributions = [
            (str(self.features.words[column]), float(value * self.weights[column]))
            for column, value in zip(row.indices, row.data, strict=True)
        ]
        contributions.sort(key=lambda item: (-abs(item[1]), item[0]))
        return Reasons(
            tuple((w, v) for w, v in contributions if v > 0)[:count],
            tuple((w, v) for w, v in contributions if v < 0)[:count],
        )


def placing_words(reasons: Reasons) -> tuple[str, ...]:
    """The single words behind the strongest reasons for a paper, for highlighting."""
    seen: dict[str, None] = {}
    for phrase, _ in reasons.for_:
        for word in phrase.split():
            seen.setdefault(word, None)
    return tuple(seen)[:REASONS]


def split_by_state(
    records: Sequence[Record], states: Mapping[str, tuple[str | None, bool, tuple[str, ...]]]
) -> tuple[list[Record], list[Record]]:
    """The liked papers (starred, or status read) and the skipped ones (status skip, unstarred)."""
    positive, negative = [], []
    for record in records:
        status, starred, _ = states.get(record.id, (None, False, ()))
        side = judgement(status, starred)
        if side == LIKED:
            positive.append(record)
        elif side == SKIPPED:
            negative.append(record)
    return positive, negative


LIKED, SKIPPED = "liked", "skipped"


JUDGING_STATUSES = ("read", "skip")  # the statuses judgement reads a liking or a skip from


def judgement(status: str | None, starred: bool) -> str | None:
    """What a paper's reading state says: LIKED (starred, or read), SKIPPED (status skip and
    not starred), or None."""
    if starred or status == "read":
        return LIKED
    return SKIPPED if status == "skip" else None


@dataclass(frozen=True)
class LearnedRanking:
    hits: list[Hit]
    ranker: Ranker
    reasons: dict[str, Reasons]  # paper id -> why it placed where it did


def rank_learned(
    candidates: Sequence[Record],
    positive: Sequence[Record],
    negative: Sequence[Record],
    *,
    limit: int | None = 10,
) -> LearnedRanking:
    """Candidates ordered by what the liked and skipped papers teach (score, then id).

    Papers among the positives or negatives are not ranked, also when a listing knows them under
    another id (same arXiv id, or the same title). Raises NothingToLearn without any positive."""
    judged = MergeIndex()  # recognised as merging recognises the same paper
    for record in [*positive, *negative]:
        judged.add_keys(record.id, normalize_title(record.title), record.arxiv_id)
    labelled = {record.id for record in [*positive, *negative]}
    others = [
        r
        for r in candidates
        if r.id not in labelled and judged.find_exact(r, normalize_title(r.title)) is None
    ]
    seen: set[str] = set()
    corpus = []
    for record in [*positive, *negative, *others]:
        if record.id not in seen:
            seen.add(record.id)
            corpus.append(record)
    features = Features(corpus)
    ranker = features.train([r.id for r in positive], [r.id for r in negative])
    margins = ranker.margins()
    scores = ranker.scores(margins)
    hits = []
    for record in others:
        row = features.row[record.id]
        hits.append(
            Hit(
                record,
                round(float(scores[row]), 6),
                (),
                {ranker.kind: round(float(margins[row]), 6)},
            )
        )
    hits.sort(key=lambda hit: (-hit.score, hit.record.id))
    if limit is not None:
        hits = hits[:limit]
    reasons = {hit.record.id: ranker.reasons(hit.record.id) for hit in hits}
    hits = [hit._replace(matched=placing_words(reasons[hit.record.id])) for hit in hits]
    return LearnedRanking(hits, ranker, reasons)


RELEVANT = "relevant"  # screen the paper most likely relevant next
UNCERTAINTY = "uncertainty"  # screen the paper the model is least sure about next


def pick(ranker: Ranker, done: np.ndarray, strategy: str = RELEVANT) -> int:
    """The row of the paper to screen next among those not `done` (a boolean mask); ties go to
    the earlier row. Uncertainty needs a model: with similarity alone it picks the most alike."""
    import numpy as np

    margins = ranker.margins()
    uncertain = strategy == UNCERTAINTY and ranker.kind == MODEL
    keys = np.where(done, -np.inf, -np.abs(margins) if uncertain else margins)
    return int(np.argmax(keys))
