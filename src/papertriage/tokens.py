"""Words as the tagger and the search index see them: one definition for both."""

from __future__ import annotations

import re

TOKEN = re.compile(r"[^\W_]+")  # letters and digits; punctuation, hyphens and "_" separate words


def stem(token: str) -> str:
    """Drop a plural -s so that "experts" matches "expert" (and "loss" stays "loss")."""
    # "-us" is mostly singular ("corpus", "status"), except short plurals like "gpus".
    plural = len(token) > 3 and token[-1] == "s" and token[-2] not in "si"
    if plural and (token[-2] != "u" or len(token) == 4):
        return token[:-1]
    return token
