"""log: the encrypted append-only log, the source of truth.

Frames, the HEAD anchor, recovery of torn tails, locking and the one file-ops module through which
all store I/O goes. Imports only `crypto` and `errors`.
"""
