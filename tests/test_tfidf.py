"""The plain-Python TF-IDF of small batches gives the numpy path's numbers, bit for bit."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils import murmurhash3_32

from papertriage.topics import tagger as tagger_module
from papertriage.topics import tfidf, tfidf_arrays
from papertriage.topics.stopwords import ENGLISH_STOP_WORDS as OUR_STOP_WORDS
from papertriage.topics.tagger import Tagger
from papertriage.topics.taxonomy import default_taxonomy
from tests.helpers import example_records


def random_tokens(rng: random.Random, count: int) -> list[str]:
    letters = string.ascii_letters + string.digits + "éßλ€-"
    return ["".join(rng.choices(letters, k=rng.randint(0, 14))) for _ in range(count)]


def test_murmurhash_matches_scikit_learn_on_every_length_and_alphabet():
    rng = random.Random(7)
    for token in [*random_tokens(rng, 3000), "", "a", "ab", "abc", "abcd", "abcde"]:
        data = token.encode("utf-8")
        assert tfidf.murmurhash3_32(data) == murmurhash3_32(data, seed=0), token


def test_stop_words_are_scikit_learns():
    # The TF-IDF thresholds of topics.yaml were set with this list.
    assert frozenset(ENGLISH_STOP_WORDS) == OUR_STOP_WORDS


def contents_of_example() -> tuple[Tagger, list[str]]:
    tagger = Tagger(default_taxonomy())
    return tagger, [tagger.scan(record)[1] for record in example_records()]


def test_plain_similarities_of_the_example_equal_the_numpy_ones_exactly(monkeypatch):
    tagger, contents = contents_of_example()
    plain = tagger.similarities(contents)
    assert isinstance(plain, tfidf.Matrix)  # the example is a small batch
    monkeypatch.setattr(tagger_module, "ARRAYS_MIN_RECORDS", 1)  # every batch goes to numpy
    expected = tagger.similarities(contents)
    assert isinstance(expected, np.ndarray)
    assert plain.shape == expected.shape
    assert np.array_equal(np.array(plain.rows), expected)
    assert expected.max() > 0.1  # the comparison is not between two empty matrices


def test_tokens_sharing_a_column_add_up_as_in_the_hashing_vectorizer(monkeypatch):
    # With 64 columns most tokens collide: the counts, document frequencies and sums of both
    # paths must still agree, including the order in which the products are added.
    monkeypatch.setattr(tfidf, "N_FEATURES", 64)
    monkeypatch.setattr(tfidf_arrays, "N_FEATURES", 64)
    rng = random.Random(3)
    vocabulary = [t for t in random_tokens(rng, 300) if t]
    documents = [" ".join(rng.choices(vocabulary, k=rng.randint(0, 40))) for _ in range(60)]
    prototypes = [" ".join(rng.choices(vocabulary, k=12)) for _ in range(5)]
    plain = tfidf.prototype_similarities(documents, prototypes)
    expected = tfidf_arrays.prototype_similarities(documents, prototypes)
    assert np.array_equal(np.array(plain.rows), expected)
    collided = {tfidf.Columns()[t] for t in vocabulary}
    assert len(collided) < len(set(vocabulary))  # the test did exercise collisions


def test_a_batch_tags_the_same_either_side_of_the_arrays_threshold(monkeypatch):
    records = example_records()
    plain = Tagger(default_taxonomy()).tag(records)
    monkeypatch.setattr(tagger_module, "ARRAYS_MIN_RECORDS", 1)  # every batch goes to numpy
    with_arrays = Tagger(default_taxonomy()).tag(records)
    assert [r.tag_details for r in plain] == [r.tag_details for r in with_arrays]
    assert any("tfidf" in d for r in plain for d in (r.tag_details or {}).values())


@pytest.mark.parametrize("documents", [[], [""], ["", ""]])
def test_no_content_is_similar_to_nothing(documents):
    tagger = Tagger(default_taxonomy())
    assert tagger.similarities(documents) is None
    similarity = tfidf.prototype_similarities([*documents, "sparse expert"], ["expert"])
    assert [row[0] for row in similarity][:-1] == [0.0] * len(documents)
    assert similarity[len(documents), 0] > 0
