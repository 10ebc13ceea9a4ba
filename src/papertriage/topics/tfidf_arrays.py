"""TF-IDF similarity between documents and prototype texts, for large batches (scikit-learn).

The numbers of papertriage.topics.tfidf (see there), computed with scikit-learn's
HashingVectorizer and scipy's sparse matrices: importing them costs more than a second, which
pays off only on batches of thousands of papers, and the tagging workers share these parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from papertriage.topics.tfidf import N_FEATURES


def prepare() -> None:
    """Import and run the arithmetic once now (before forking workers): scikit-learn and scipy
    load and set up more on their first call, which each worker would otherwise do again."""
    prototype_similarities(["warm up"], ["warm up"])


def prototype_similarities(documents: list[str], prototypes: list[str]) -> np.ndarray:
    """Cosine similarity (documents x prototypes) of sublinear TF-IDF vectors."""
    counts = hashed_counts(documents)
    prototype_counts = hashed_counts(prototypes)
    frequencies = document_frequencies(counts) + document_frequencies(prototype_counts)
    idf = idf_weights(frequencies, counts.shape[0] + prototype_counts.shape[0])
    return similarities_to(counts, tfidf_rows(prototype_counts, idf), idf)


# The computation in parts, so that several processes can share it: each hashes its own
# documents and counts their document frequencies; one adds the counts up into IDF weights; each
# then scores its documents. The arithmetic is scikit-learn's TfidfTransformer(sublinear_tf=True,
# smooth_idf=True) followed by L2 normalisation, step for step.


def hashed_counts(documents: list[str], columns: object = None) -> Any:
    """Term counts of space-separated documents in N_FEATURES hashed columns (sparse CSR);
    `columns` (papertriage.topics.tfidf's cache of them) is not needed: the vectorizer hashes."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(
        analyzer=str.split, n_features=N_FEATURES, alternate_sign=False, norm=None
    )
    return vectorizer.transform(documents)


def document_frequencies(counts: Any) -> np.ndarray:
    """How many documents have each column (int64, N_FEATURES)."""
    import numpy as np

    return np.bincount(counts.indices, minlength=N_FEATURES)


def add_frequencies(parts: list[np.ndarray]) -> np.ndarray:
    """The document frequencies of several slices of documents, as of one."""
    total: np.ndarray = sum(parts[1:], parts[0])
    return total


def no_similarities(rows: int, width: int) -> np.ndarray:
    """The similarities of documents without content: nothing."""
    import numpy as np

    return np.zeros((rows, width))


def idf_weights(frequencies: np.ndarray, documents: int) -> np.ndarray:
    """Smoothed IDF: ln((1 + n) / (1 + df)) + 1."""
    import numpy as np

    return np.log((1 + documents) / (1 + frequencies)) + 1.0


def tfidf_rows(counts: Any, idf: np.ndarray) -> Any:
    """L2-normalised sublinear TF-IDF rows."""
    import numpy as np
    from sklearn.preprocessing import normalize

    weighted = counts.astype(np.float64)
    weighted.data = np.log(weighted.data) + 1.0
    weighted.data *= idf[weighted.indices]
    return normalize(weighted, norm="l2", copy=False)


def similarities_to(counts: Any, prototype_rows: Any, idf: np.ndarray) -> np.ndarray:
    """Cosine similarity of documents (their counts) to prototypes (their TF-IDF rows)."""
    similarity: np.ndarray = (tfidf_rows(counts, idf) @ prototype_rows.T).toarray()
    return similarity
