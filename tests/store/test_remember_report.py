"""`RememberReport`'s wire format: written by the agent and read by the command line through the
one pair `to_wire`/`from_wire`, so a report crosses the socket unchanged."""

from __future__ import annotations

from mnemo_cli.memories import Memory
from mnemo_cli.server import protocol
from mnemo_cli.store.remembering import RememberReport

NEW = Memory("a" * 32, "Dana prefers email", "2025-01-01T00:00:00Z", ("people",), {"k": [1, "v"]}, "chat")
OLD = Memory(
    "b" * 32,
    "Dana prefers e-mail\u2028really",
    "2024-01-01T00:00:00Z",
    expires_at="2030-01-01T00:00:00Z",
    supersedes="c" * 32,
    session="s-1",
)


def test_a_report_survives_the_wire_unchanged() -> None:
    report = RememberReport(
        added=[NEW], skipped=["d" * 32], existing=[OLD], similar=[(NEW, OLD, 0.98765)], links_added=2
    )
    sent = protocol.decode(protocol.encode(protocol.answer(report.to_wire(), []))[4:])
    assert RememberReport.from_wire(protocol.parse_response(sent).result) == report
    assert RememberReport.from_wire(RememberReport().to_wire()) == RememberReport()


def test_a_memory_reads_back_from_its_json() -> None:
    for memory in (NEW, OLD):
        assert Memory.from_json(memory.to_json()) == memory
