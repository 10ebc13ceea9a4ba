"""Topics: the YAML taxonomy, the tagger that applies it (with TF-IDF and workers), evaluation."""
