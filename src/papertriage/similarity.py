"""TF-IDF similarity between documents and prototype texts (scikit-learn, imported on use).

Documents arrive as strings of content tokens separated by spaces (the tagger has tokenised and
stemmed them already), so the vectorizer only splits on spaces. Features are hashed rather than
kept in a vocabulary, so nothing grows with the corpus and the same code serves five records or a
million. IDF is fitted on the records together with the prototypes, which keeps it meaningful on a
listing of a handful of papers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

N_FEATURES = 2**20  # hash buckets: collisions are rare at this size for paper vocabularies


def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def prototype_similarities(documents: list[str], prototypes: list[str]) -> np.ndarray:
    """Cosine similarity (documents x prototypes) of sublinear TF-IDF vectors."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    vectorizer = HashingVectorizer(
        analyzer=str.split,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
    )
    counts = vectorizer.transform(documents)
    prototype_counts = vectorizer.transform(prototypes)
    tfidf = TfidfTransformer(sublinear_tf=True, smooth_idf=True)
    tfidf.fit(sp.vstack([counts, prototype_counts]))
    return (tfidf.transform(counts) @ tfidf.transform(prototype_counts).T).toarray()
