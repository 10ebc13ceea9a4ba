"""Words as the tagger and the search index see them: one definition for both."""

from __future__ import annotations

import re
from collections.abc import Sequence

TOKEN = re.compile(r"[^\W_]+")  # letters and digits; punctuation, hyphens and "_" separate words

# Which tokens `stem` makes: tags, cached listings and a library's search index made with other
# tokens are made again (the taxonomy's content hash and the library's index carry it).
# 2: "-es" after s, x, ch and sh dropped too ("processes" is "process").
TOKENS_VERSION = 2

# A plural in "-es" drops it after these endings ("processes", "boxes", "approaches", "meshes"),
# except for words whose singular ends in "e" ("caches" is "cache").
_ES_PLURALS = ("sses", "xes", "ches", "shes")
_ES_SINGULAR_E = frozenset({"caches", "niches", "headaches", "avalanches", "axes", "moustaches"})


def stem(token: str) -> str:
    """Drop a plural -s (or -es after s, x, ch, sh) so that "experts" matches "expert" and
    "processes" matches "process" (and "loss" stays "loss")."""
    # "-us" is mostly singular ("corpus", "status"), except short plurals like "gpus".
    plural = len(token) > 3 and token[-1] == "s" and token[-2] not in "si"
    if plural and (token[-2] != "u" or len(token) == 4):
        if token.endswith(_ES_PLURALS) and token not in _ES_SINGULAR_E:
            return token[:-2]
        return token[:-1]
    return token


class StemCache(dict[str, str]):
    """word -> stemmed lower-case token, computed once per distinct word."""

    def __missing__(self, word: str) -> str:
        token = self[word] = stem(word.lower())
        return token


_STEMS = StemCache()


def tokenize(text: str) -> list[str]:
    """The tokens of a text: lower-case words, a plural -s or -es dropped (shared stem cache)."""
    return list(map(_STEMS.__getitem__, TOKEN.findall(text)))


def content_words(tokens: list[str], stop_words: frozenset[str]) -> str:
    """The tokens that carry meaning (no stop words, no bare numbers), space-separated: the
    document form the TF-IDF similarity reads."""
    return " ".join(t for t in tokens if t not in stop_words and not t.isdigit())


def paper_content(title: str, abstract: str, stop_words: frozenset[str]) -> str:
    """A paper's content words, title then abstract: what its TF-IDF vector is made of."""
    return content_words(tokenize(f"{title} {abstract}"), stop_words)


def phrase_regex(phrase: str, *, plural: bool = False) -> str:
    """A case-insensitive-ready pattern for a phrase's words with any punctuation or space
    between them ("mixture of experts" matches "Mixture-of-Experts"), on word boundaries."""
    words = TOKEN.findall(phrase)
    body = r"[\W_]+".join(map(re.escape, words))
    return r"(?<![^\W_])" + body + (r"(?:e?s)?" if plural else "") + r"(?![^\W_])"


def holds_in_a_row(text: str, words: Sequence[str]) -> bool:
    """Whether the tokens of `text` hold the tokens `words` in a row (as `tokenize` sees them).

    Search asks this of the best papers of a query (quoted phrases, words in a row); instead
    of tokenising each whole text, an ASCII text is only read from each place where the first
    word starts a token (the same tokens, as lower-casing ASCII keeps every length and
    boundary)."""
    if not words:
        return True
    if not text.isascii():
        needle = f" {' '.join(words)} "
        return needle in f" {' '.join(tokenize(text))} "
    lowered, first = text.lower(), words[0]
    start = lowered.find(first)
    while start != -1:
        if start == 0 or not lowered[start - 1].isalnum():
            following = TOKEN.finditer(lowered, start)
            tokens = [stem(match.group()) for match, _ in zip(following, words, strict=False)]
            if tokens == list(words):
                return True
        start = lowered.find(first, start + 1)
    return False
