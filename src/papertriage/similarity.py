"""TF-IDF similarity between token lists and prototype texts (scikit-learn, imported on use).

Features are hashed rather than kept in a vocabulary, so nothing grows with the corpus and the same
code serves five records or a million. IDF is fitted on the records together with the prototypes,
which keeps it meaningful on a listing of a handful of papers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

N_FEATURES = 2**20  # hash buckets: collisions are rare at this size for paper vocabularies


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def prototype_similarities(documents: list[list[str]], prototypes: list[list[str]]) -> np.ndarray:
    """Cosine similarity (documents x prototypes) of sublinear TF-IDF vectors of token lists."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import (
        ENGLISH_STOP_WORDS,
        HashingVectorizer,
        TfidfTransformer,
    )

    def content(tokens: list[str]) -> list[str]:
        return [t for t in tokens if t not in ENGLISH_STOP_WORDS and not t.isdigit()]

    vectorizer = HashingVectorizer(
        analyzer=content,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
    )
    counts = vectorizer.transform(documents)
    prototype_counts = vectorizer.transform(prototypes)
    tfidf = TfidfTransformer(sublinear_tf=True, smooth_idf=True)
    tfidf.fit(sp.vstack([counts, prototype_counts]))
    return (tfidf.transform(counts) @ tfidf.transform(prototype_counts).T).toarray()
