"""index: derived, rebuildable state built from the log.

Vectors in usearch; metadata, the FTS5 lexical index and links in an in-memory SQLite database;
both serialised into encrypted snapshots. Never the source of truth: anything here can be rebuilt.
"""
