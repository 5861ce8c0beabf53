"""The salvage scan: every frame of a damaged log that still authenticates, and where the rest is.

A reader stops at the first frame that fails (docs/format.md, section 12). The chain allows more.
Frame i's associated data binds the store id, the generation, i, its length and `prev`, the tag of
the frame before it; that tag is the last 16 bytes of the frame *as stored*, readable whether or
not that frame authenticates. So a frame can be authenticated on its own: given its index and the
16 bytes before it (or the genesis tag, for frame 0). Damage to one frame's ciphertext loses that
frame only; damage to its tag loses it and the next one (whose `prev` no longer exists anywhere);
damage to a length field loses the frames until the scan finds the next boundary again.

The scan walks the file from the header to its end (beyond HEAD too):

1. At each boundary it tries the expected index with the stored `prev`.
2. If that fails, it tries the indexes within `WINDOW` of the expected one, with the tags of the
   frames within `WINDOW` before and after it as `prev`: a deleted, duplicated or moved frame
   still authenticates at its own index.
3. If no frame authenticates at the boundary the length field points to, it looks for the next
   offset where one does, trying only offsets whose length field is possible (section 8.2) and
   whose padded size is one PADMÉ produces (section 7), with indexes up to the most frames the
   skipped bytes can hold.

What authenticates is certain (a tag check under the log key); where it sat is not: bytes no frame
was found in are reported as lost stretches. Pure function over the log's bytes; never writes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from mnemo_cli.crypto.padding import FLOOR, padme
from mnemo_cli.log import frames
from mnemo_cli.log.frames import ChainPoint, FrameError, LogHeader

#: How far (in frames) a frame may sit from where the chain expects it and still be found at once.
WINDOW = 8
#: The smallest a frame can be on disk: length field, nonce, a padded plaintext, tag.
MIN_FRAME = frames.LENGTH_SIZE + frames.MIN_SEALED
_OVERHEAD = frames.MIN_SEALED - FLOOR  # nonce + tag
_LENGTH = struct.Struct("<I")


@dataclass(frozen=True)
class Found:
    """A frame that authenticated: its index in the chain, where it sits, its body and tag."""

    index: int
    offset: int
    size: int
    body: bytes
    tag: bytes


@dataclass(frozen=True)
class Lost:
    """A stretch of the file in which no frame authenticated."""

    offset: int
    size: int


@dataclass
class Scan:
    #: Frames that authenticated, by index (a frame stored twice is listed once).
    found: list[Found] = field(default_factory=list)
    #: Stretches of the file no frame authenticated in, in file order.
    lost: list[Lost] = field(default_factory=list)
    #: Bytes scanned: the whole file.
    size: int = 0


def scan(log_key: bytes, data: bytes, header: LogHeader) -> Scan:
    """Every authentic frame of `data` (a whole log file) for the generation `header` names.

    `header` is the one the log must have (from MNEMO and HEAD): its genesis tag is computed from
    it, not from the file's first 48 bytes, so a damaged log header costs nothing."""
    return _Scanner(log_key, memoryview(data), header).run()


def plausible_length(length: int) -> bool:
    """A length field a writer can have produced: in bounds, and nonce + tag + a PADMÉ size."""
    padded = length - _OVERHEAD
    return frames.MIN_SEALED <= length <= frames.MAX_SEALED and padme(padded) == padded


class _Scanner:
    def __init__(self, log_key: bytes, data: memoryview, header: LogHeader) -> None:
        self.key = log_key
        self.data = data
        self.header = header
        self.genesis = frames.genesis(log_key, frames.encode_header(header)).tag
        self.result = Scan(size=len(data))
        self.indexes: set[int] = set()

    def run(self) -> Scan:
        offset, expect = frames.HEADER_SIZE, 0
        end = len(self.data)
        while offset < end:
            hit = self._at(offset, [expect], [self._prev(offset)]) or self._at(
                offset, self._near(expect), self._tags_near(offset)
            )
            if hit is not None:
                expect = self._take(hit)
                offset = hit.offset + hit.size
                continue
            offset, expect = self._resync(offset, expect)
        self.result.found.sort(key=lambda f: f.index)
        return self.result

    # -- one boundary -----------------------------------------------------------------------------

    def _length(self, offset: int) -> int | None:
        """The frame length at `offset` if it is plausible and the frame fits in the file."""
        if offset + frames.LENGTH_SIZE > len(self.data):
            return None
        (length,) = _LENGTH.unpack_from(self.data, offset)
        if not plausible_length(length) or offset + frames.LENGTH_SIZE + length > len(self.data):
            return None
        return length

    def _prev(self, offset: int) -> bytes:
        """The tag stored just before `offset`: the previous frame's, whether or not it is intact."""
        if offset <= frames.HEADER_SIZE:
            return self.genesis
        return bytes(self.data[offset - frames.TAG_SIZE : offset])

    def _at(self, offset: int, indexes: Iterable[int], prevs: Iterable[bytes]) -> Found | None:
        length = self._length(offset)
        if length is None:
            return None
        end = offset + frames.LENGTH_SIZE + length
        prevs = list(dict.fromkeys(prevs))
        for index in indexes:
            for prev in prevs:
                try:
                    body, _point = frames.open_frame(
                        self.key, self.header, ChainPoint(index, offset, prev), self.data[:end], offset
                    )
                except FrameError:
                    continue
                return Found(index, offset, end - offset, body, bytes(self.data[end - frames.TAG_SIZE : end]))
        return None

    def _take(self, hit: Found) -> int:
        if hit.index not in self.indexes:  # a second copy of a frame adds nothing
            self.indexes.add(hit.index)
            self.result.found.append(hit)
        return hit.index + 1

    @staticmethod
    def _near(expect: int) -> list[int]:
        """Indexes around the expected one, nearest first (the expected one was tried already)."""
        out = []
        for d in range(1, WINDOW + 1):
            out += [i for i in (expect + d, expect - d) if i >= 0]
        return out

    def _tags_near(self, offset: int) -> list[bytes]:
        """The stored tags of up to WINDOW frames before `offset` (by the frames found so far) and
        after it (by walking length fields), plus the genesis tag: `prev` candidates for a frame
        that is out of place."""
        before = [f.tag for f in self.result.found[-WINDOW:] if f.offset < offset]
        after = []
        at = offset
        for _ in range(WINDOW):
            length = self._length(at)
            if length is None:
                break
            at += frames.LENGTH_SIZE + length
            after.append(bytes(self.data[at - frames.TAG_SIZE : at]))
        return [self._prev(offset), *reversed(before), *after, self.genesis]

    # -- lost boundaries ---------------------------------------------------------------------------

    def _resync(self, start: int, expect: int) -> tuple[int, int]:
        """No frame authenticates at `start`: find the next offset where one does. Returns that
        offset and the index found there (or the file's end), and records the lost stretch."""
        end = len(self.data)
        for offset in range(start + 1, end - MIN_FRAME + 1):
            if self._length(offset) is None or not self._boundary_follows(offset):
                continue
            most = expect + (offset - start) // MIN_FRAME + WINDOW
            hit = self._at(offset, range(max(0, expect - WINDOW), most + 1), [self._prev(offset)])
            if hit is not None:
                self.result.lost.append(Lost(start, offset - start))
                return offset, hit.index
        self.result.lost.append(Lost(start, end - start))
        return end, expect

    def _boundary_follows(self, offset: int) -> bool:
        """After the frame at `offset` comes the end of the file, the start of a torn frame, or another
        plausible frame: a cheap filter before trying tags."""
        length = self._length(offset)
        assert length is not None
        after = offset + frames.LENGTH_SIZE + length
        if after + frames.LENGTH_SIZE > len(self.data):
            return True
        (following,) = _LENGTH.unpack_from(self.data, after)
        return plausible_length(following)
