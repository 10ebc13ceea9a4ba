"""Search: the query language, BM25 scoring, the in-memory and array indexes, rankers."""
