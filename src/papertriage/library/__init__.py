"""The library: the SQLite store, its migrations, and its stored search index."""
