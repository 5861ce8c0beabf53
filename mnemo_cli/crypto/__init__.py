"""crypto: key slots, key derivation (Argon2id, keyed BLAKE2b subkeys) and XChaCha20-Poly1305 AEAD.

The bottom layer: it imports nothing of mnemo but `errors`. See ../shared/ARCHITECTURE.md and
docs/format.md (format v1 lands with the storage engine).
"""
