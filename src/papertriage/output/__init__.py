"""Output: records rendered as JSON, CSV, Markdown, BibTeX and tables; files written atomically."""
