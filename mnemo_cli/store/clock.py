"""Hybrid logical clocks: the order of records that travel between a store's devices (docs/sync.md).

A stamp is (milliseconds of wall time, a counter, the device id). A device's clock gives each record
it writes a stamp later than every stamp it has given or seen (Kulkarni et al., "Logical Physical
Clocks", 2014): wall time when the wall clock moves on, the counter when it does not (or goes
back), and after a record of another device, a stamp later than that one's. So a record is always
ordered after the records its device had seen when it wrote it, and stamps stay close to wall time.
Ties between devices are broken by device id: the order is total and the same everywhere.

A stamp from a device whose clock runs more than `MAX_AHEAD_MS` ahead of this one's is refused
(`ClockAhead`): taken in, it would drag every later stamp of every device with it. The text form
(`Stamp.text`) sorts as the stamps do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: The counter's range; at its end the clock moves to the next millisecond.
COUNTER_LIMIT = 1 << 16
#: How far ahead of this device's wall clock another's stamps may be: a day.
MAX_AHEAD_MS = 24 * 3600 * 1000
DEVICE_BYTES = 16
_WALL_DIGITS, _COUNTER_DIGITS = 12, 4


class ClockAhead(ValueError):
    """A stamp lies further in the future than any honest clock could."""


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    device: bytes

    def __post_init__(self) -> None:
        if not (0 <= self.wall_ms < 16**_WALL_DIGITS and 0 <= self.counter < COUNTER_LIMIT):
            raise ValueError(f"not a clock stamp: {self.wall_ms}, {self.counter}")
        if len(self.device) != DEVICE_BYTES:
            raise ValueError("a device id is 16 bytes")

    @property
    def text(self) -> str:
        """`<wall ms, 12 hex>.<counter, 4 hex>.<device, 32 hex>`: sorts as the stamps do."""
        return f"{self.wall_ms:0{_WALL_DIGITS}x}.{self.counter:0{_COUNTER_DIGITS}x}.{self.device.hex()}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """The stamp `text` gives; ValueError if it is not one."""
        parts = text.split(".")
        widths = (_WALL_DIGITS, _COUNTER_DIGITS, 2 * DEVICE_BYTES)
        if len(parts) != 3 or any(len(p) != w for p, w in zip(parts, widths, strict=True)):
            raise ValueError(f"not a clock stamp: {text!r}")
        if any(not all(c in "0123456789abcdef" for c in p) for p in parts):
            raise ValueError(f"not a clock stamp: {text!r}")
        return cls(int(parts[0], 16), int(parts[1], 16), bytes.fromhex(parts[2]))


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """One device's clock. `last` is the latest stamp it gave or saw (kept with the store, so a
    restart never goes back); `now` reads the wall clock (tests give their own)."""

    def __init__(self, device: bytes, last: Stamp | None = None, now: Callable[[], int] = wall_ms) -> None:
        self.device = device
        self._now = now
        self._wall, self._counter = (last.wall_ms, last.counter) if last is not None else (0, 0)

    @property
    def last(self) -> Stamp:
        return Stamp(self._wall, self._counter, self.device)

    def tick(self) -> Stamp:
        """The stamp of a record this device writes now: later than every stamp before."""
        wall = max(self._wall, self._now())
        self._advance(wall, self._counter + 1 if wall == self._wall else 0)
        return self.last

    def observe(self, seen: Stamp) -> None:
        """Take in another device's stamp: every later `tick` is later than it. `ClockAhead` if it
        is more than `MAX_AHEAD_MS` ahead of this device's wall clock (nothing changes then)."""
        now = self._now()
        if seen.wall_ms > now + MAX_AHEAD_MS:
            raise ClockAhead(f"a record is stamped {(seen.wall_ms - now) / 3_600_000:.1f} hours in the future")
        wall = max(self._wall, seen.wall_ms)
        if wall == self._wall == seen.wall_ms:
            counter = max(self._counter, seen.counter)
        elif wall == seen.wall_ms:
            counter = seen.counter
        else:
            counter = self._counter
        self._advance(wall, counter)

    def _advance(self, wall: int, counter: int) -> None:
        if counter >= COUNTER_LIMIT:  # 65,536 stamps in one millisecond: borrow the next one
            wall, counter = wall + 1, 0
        self._wall, self._counter = wall, counter
