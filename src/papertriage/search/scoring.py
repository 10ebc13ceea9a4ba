"""The BM25 formula, one named piece at a time, shared by every index.

The dictionary postings of papertriage.search.index, the numpy postings of
papertriage.search.arrayindex and the library's stored postings (papertriage.library.index) all
score with these functions, so there is one formula to read and to change. Each piece is pure and
takes either Python numbers or numpy arrays (the arithmetic is written once and numpy broadcasts
it), with the operations in a fixed order: the same inputs give the same bits on every path.

    score = text + in_a_row(text, ...) + topic_boost(best)
    text  = coordination(found, typed) * sum over terms of idf(df, count) * weight * saturation

where in_a_row adds a share of the text score to a paper holding the words typed in a row (among
the IN_A_ROW_POOL best papers), and topic_boost is for papers tagged with a topic the query names;

and saturation = saturation(tf, length_norm(length, average)).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

K1, B = 1.2, 0.75  # the usual BM25 constants
TITLE_WEIGHT = 3.0  # a title word counts as much as three abstract words
TYPED_WEIGHT = 1.0  # a word as the user typed it
CORRECTED_WEIGHT = 0.9  # a typo corrected to a word of the corpus counts a little less
EXPANSION_WEIGHT = 0.6  # synonyms and acronyms count a little less than the words typed
TOPIC_BOOST = 0.5  # papers tagged with the query's topic gain this share of the best score
# A paper holding the words typed in a row ("mixture of experts", not just its three words
# somewhere) is more likely about them: it gains these shares of its text score. Chosen on the
# tune split of bench/unseen.py (authors' keywords as queries): +0.011 nDCG@10 there.
TITLE_IN_A_ROW = 0.4
ABSTRACT_IN_A_ROW = 0.2
# Only the best papers by the rest of the score are looked at (one fetch of their text on the
# large indexes): since the gain only adds, they stay above all others, and every limit and
# every index gives the same order.
IN_A_ROW_POOL = 30

# A number, or a numpy array of them: each piece applies element-wise to arrays (numpy is named
# for the type checker only: the dictionary postings score without importing it). numpy's stubs
# type some mixed float-and-array arithmetic as Any, hence the few no-any-return ignores.
Number = TypeVar("Number", float, "np.ndarray")


def weighted_count(title: Number, abstract: Number) -> Number:
    """Title and abstract counts as one, title words counted TITLE_WEIGHT times: a document's
    weighted length, or a term's weighted frequency in it."""
    return TITLE_WEIGHT * title + abstract  # type: ignore[no-any-return]


def average_length(total: float, count: int) -> float:
    """The mean weighted length of `count` documents whose lengths sum to `total` (1.0 for an
    empty corpus, or one with no words, so that nothing is divided by zero)."""
    return (total / count if count else 0.0) or 1.0


def idf(df: int, count: int) -> float:
    """Inverse document frequency of a term held by `df` of `count` documents (BM25's, plus one
    inside the logarithm so that it is never negative)."""
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


def length_norm(length: Number, average: float) -> Number:
    """BM25's length normalisation: K1, scaled by how much longer than average a document is."""
    return K1 * (1 - B + B * length / average)


def saturation(tf: Number, norm: Number) -> Number:
    """BM25's term-frequency part: grows with tf, towards K1 + 1; `norm` is length_norm's. It
    depends on no query, so the array postings compute it once per posting."""
    return tf * (K1 + 1) / (tf + norm)  # type: ignore[no-any-return]


def term_score(idf_weight: float, tf: float, norm: float) -> float:
    """One term's score in one document, `idf_weight` being idf times the term's query weight.

    The dictionary postings score a posting in this order; the array postings multiply idf by a
    precomputed saturation instead, which may round differently in the last bit (well below the
    six decimals a score is shown with). Each path keeps its order so that its scores never move.
    """
    return idf_weight * tf * (K1 + 1) / (tf + norm)


def coordination(found: Number, typed: int) -> Number:
    """The factor a document's text score is multiplied by when it holds `found` of the `typed`
    words typed: a paper with all of them beats one with a rare word alone (from 0.5 to 1)."""
    return 0.5 + 0.5 * found / typed


def boost_base(best: float) -> float:
    """The score the topic boost is a share of: the best text score, or 1.0 if none is above 0
    (a query of tag filters only). Scores are never negative."""
    return best if best > 0 else 1.0


def topic_boost(best: float) -> float:
    """What a paper tagged with a topic the query names gains, `best` being boost_base's."""
    return TOPIC_BOOST * best


def in_a_row(text: float, in_title: bool, in_abstract: bool) -> float:
    """What a paper with text score `text` gains for holding the words typed in a row in its
    title and/or its abstract."""
    return text * (TITLE_IN_A_ROW * in_title + ABSTRACT_IN_A_ROW * in_abstract)


def final_score(text: Number, topic: Number) -> Number:
    """A document's score: its text score plus its topic boost (0.0 when it has none)."""
    return text + topic  # type: ignore[no-any-return]


def passes(score: Number, min_score: float, has_terms: bool) -> bool | np.ndarray:
    """Whether a score is kept: at least `min_score`, and above 0 when the query has words (a
    paper none of them matches is no answer). A bool array for an array of scores."""
    kept = score >= min_score
    return kept & (score > 0) if has_terms else kept


SCORE_DIGITS = 6  # scores and their parts are reported rounded to this many decimals


def shown(score: float) -> float:
    """A score as reported (rounded to SCORE_DIGITS decimals)."""
    return round(score, SCORE_DIGITS)
