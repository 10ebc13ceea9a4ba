"""Papers fetched from the services that announce them: arXiv (its API and its RSS feeds) and Hugging Face."""
