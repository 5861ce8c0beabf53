"""Key derivation: Argon2id for passphrases, keyed BLAKE2b for full-entropy secrets and subkeys.

Argon2id parameters are stored per key slot and checked against `CAPS` before anything runs, so a
planted slot cannot make mnemo allocate terabytes or spin for hours. Creating a slot weaker than
`DEFAULT` is refused unless the test suite's switch `MNEMO_TESTONLY_WEAKEN_KDF=1` is set and armed
(`mnemo_cli/testonly.py`: never in a real install). A passphrase slot weaker than `DEFAULT` is
reported wherever slots are shown (`KeySlot.weak`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mnemo_cli import testonly
from mnemo_cli.errors import IntegrityError, UsageError

SALT_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: `time_cost` passes over `memory_kib` KiB with `parallelism` lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def weaker_than(self, other: KdfParams) -> bool:
        return (
            self.time_cost < other.time_cost
            or self.memory_kib < other.memory_kib
            or self.parallelism < other.parallelism
        )

    def describe(self) -> str:
        return f"argon2id t={self.time_cost} m={self.memory_kib} KiB p={self.parallelism}"


#: RFC 9106 second recommendation (argon2-cffi's and borg 2's default): ~0.15 s, 64 MiB.
DEFAULT = KdfParams(time_cost=3, memory_kib=64 * 1024, parallelism=4)
#: `--kdf sensitive`: for stores that an attacker may get a copy of. ~1 GiB of memory per guess.
SENSITIVE = KdfParams(time_cost=4, memory_kib=1024 * 1024, parallelism=4)
#: Only with MNEMO_TESTONLY_WEAKEN_KDF=1: fast enough for thousands of test unlocks.
TESTONLY = KdfParams(time_cost=1, memory_kib=64, parallelism=1)
#: Upper bounds checked on read, before Argon2 runs.
CAPS = KdfParams(time_cost=16, memory_kib=4 * 1024 * 1024, parallelism=16)

PROFILES = {"default": DEFAULT, "sensitive": SENSITIVE}


def weakening_allowed() -> bool:
    return testonly.get("MNEMO_TESTONLY_WEAKEN_KDF") == "1"


def params_for_profile(profile: str) -> KdfParams:
    """The parameters a new passphrase slot gets; the test switch makes every profile cheap."""
    if profile not in PROFILES:
        raise UsageError(f"unknown KDF profile {profile!r} (choose from: {', '.join(PROFILES)})")
    return TESTONLY if weakening_allowed() else PROFILES[profile]


def check_creatable(params: KdfParams) -> None:
    """Refuse to create a slot weaker than the default (unless the test switch is on) or over the caps."""
    check_within_caps(params)
    if params.weaker_than(DEFAULT) and not weakening_allowed():
        raise UsageError(f"refusing KDF parameters weaker than the default: {params.describe()}")


def check_within_caps(params: KdfParams) -> None:
    """Raise before any work if a stored slot asks for more than mnemo will ever spend."""
    problems = []
    if not 1 <= params.time_cost <= CAPS.time_cost:
        problems.append(f"t={params.time_cost} (allowed 1..{CAPS.time_cost})")
    if not 1 <= params.parallelism <= CAPS.parallelism:
        problems.append(f"p={params.parallelism} (allowed 1..{CAPS.parallelism})")
    if not 8 * max(params.parallelism, 1) <= params.memory_kib <= CAPS.memory_kib:
        problems.append(f"m={params.memory_kib} KiB (allowed {8 * max(params.parallelism, 1)}..{CAPS.memory_kib})")
    if problems:
        raise IntegrityError(f"key slot asks for Argon2id parameters outside the caps: {', '.join(problems)}")


def passphrase_kek(passphrase: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) → 32-byte key-encryption key. Check the caps first."""
    from argon2.low_level import Type, hash_secret_raw

    check_within_caps(params)
    return hash_secret_raw(
        passphrase,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def keyed_hash(key: bytes, person: bytes, data: bytes = b"", salt: bytes = b"", size: int = KEY_BYTES) -> bytes:
    """BLAKE2b keyed with `key`, personalised with `person` (≤ 16 bytes): subkeys, KEKs, checksums."""
    from nacl.encoding import RawEncoder
    from nacl.hash import blake2b

    return blake2b(data, digest_size=size, key=key, salt=salt, person=person, encoder=RawEncoder)


def checksum(person: bytes, data: bytes) -> bytes:
    """Unkeyed BLAKE2b-256: detects accidental damage of plaintext structures (not an attacker)."""
    return keyed_hash(b"", person, data)


#: One personalisation per purpose, so no two subkeys can ever coincide.
SUBKEY_PURPOSES = {
    "log": b"mnemo-log-v1",
    "head": b"mnemo-head-v1",
    "index": b"mnemo-index-v1",
    "id": b"mnemo-id-v1",
    "seen": b"mnemo-seen-v1",
    "remote": b"mnemo-remote-v1",
}


def subkey(data_key: bytes, purpose: str) -> bytes:
    return keyed_hash(data_key, SUBKEY_PURPOSES[purpose])
