"""Listings: read files, detect the format, parse into Records, merge duplicates, cache."""
