"""A parsed FIX message: ordered (tag, value) pairs with first-occurrence lookup."""
from __future__ import annotations


class FixMessage:
    """Field values are kept as ``str`` (FIX is ASCII); order is preserved for groups.

    ``error`` is set by the parser when the frame is intact (length and checksum
    good) but its content is not well formed; the session answers it with a
    Reject: (SessionRejectReason, RefTagID or None, text).
    """

    __slots__ = ("pairs", "fields", "raw", "error", "recv_ns")

    def __init__(self, pairs: list[tuple[int, str]], raw: bytes = b"", error=None, recv_ns: int = 0):
        self.pairs = pairs
        self.fields: dict[int, str] = {}
        for tag, value in pairs:
            self.fields.setdefault(tag, value)
        self.raw = raw
        self.error = error
        self.recv_ns = recv_ns

    @property
    def msg_type(self) -> str | None:
        return self.fields.get(35)

    @property
    def seq_num(self) -> int | None:
        v = self.fields.get(34)
        return int(v) if v is not None and v.isdigit() else None

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self.fields.get(tag, default)

    def __getitem__(self, tag: int) -> str:
        return self.fields[tag]

    def __contains__(self, tag: int) -> bool:
        return tag in self.fields

    def count(self, tag: int) -> int:
        return sum(1 for t, _ in self.pairs if t == tag)

    def body(self) -> list[tuple[int, str]]:
        """Fields other than the standard header and trailer, in order."""
        from .tags import HEADER_TAGS
        return [(t, v) for t, v in self.pairs if t not in HEADER_TAGS and t != 10]

    def __repr__(self) -> str:
        return "FixMessage(" + "|".join(f"{t}={v}" for t, v in self.pairs) + ")"
