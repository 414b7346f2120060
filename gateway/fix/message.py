"""A parsed FIX message.

Fields are held as a ``str`` -> ``str`` dict keyed by the tag's text (what the
parser produces without converting anything); accessors take int tags, as the
rest of the code names them, through a precomputed int -> str table. The ordered
pairs, needed only for repeating groups, repeated tags and resends, are built on
demand from the flat token list, itself split from the raw frame on first use
when the parser took the fast path (a learned shape, see ``Dictionary``).
"""
from __future__ import annotations
from wirespeed.ascii import digits

_TAG_TEXT = [str(i) for i in range(10_000)]


def tag_text(tag: int) -> str:
    return _TAG_TEXT[tag] if 0 <= tag < 10_000 else str(tag)


class FixMessage:
    """``error`` is set by the parser when the frame is intact (length and checksum
    good) but its content is not well formed; the session answers it with a
    Reject: (SessionRejectReason, RefTagID or None, text)."""

    __slots__ = ("fields", "_flat", "raw", "error", "recv_ns", "has_duplicates", "_pairs", "validated")

    def __init__(self, fields: dict[str, str], flat: list[str] | None = None, raw: bytes = b"", error=None,
                 recv_ns: int = 0, has_duplicates: bool = False, validated=None):
        self.fields = fields
        self._flat = flat           # [tag, value, tag, value, ...] in wire order
        self.raw = raw
        self.error = error
        self.recv_ns = recv_ns
        self.has_duplicates = has_duplicates
        self._pairs = None
        self.validated = validated  # the Dictionary that already validated this message, if any

    @property
    def flat(self) -> list[str] | None:
        if self._flat is None and self.raw:
            # Only fast-path messages arrive without it: well formed, so every field splits at its first '='.
            flat: list[str] = []
            for field in self.raw.decode("latin-1").split("\x01")[:-1]:
                tag, _, value = field.partition("=")
                flat += (tag, value)
            self._flat = flat
        return self._flat

    @classmethod
    def from_pairs(cls, pairs, **kw) -> "FixMessage":
        flat: list[str] = []
        for t, v in pairs:
            flat += (str(t), str(v))
        fields: dict[str, str] = {}
        for i in range(0, len(flat), 2):
            fields.setdefault(flat[i], flat[i + 1])
        return cls(fields, flat, has_duplicates=len(fields) * 2 != len(flat), **kw)

    @property
    def msg_type(self) -> str | None:
        return self.fields.get("35")

    @property
    def seq_num(self) -> int | None:
        v = self.fields.get("34")
        return int(v) if v is not None and digits(v) else None

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self.fields.get(_TAG_TEXT[tag] if tag < 10_000 else str(tag), default)

    def __getitem__(self, tag: int) -> str:
        return self.fields[tag_text(tag)]

    def __contains__(self, tag: int) -> bool:
        return tag_text(tag) in self.fields

    @property
    def str_pairs(self) -> list[tuple[str, str]]:
        flat = self.flat or []
        return list(zip(flat[0::2], flat[1::2]))

    @property
    def pairs(self) -> list[tuple[int, str]]:
        if self._pairs is None:
            self._pairs = [(int(t), v) for t, v in self.str_pairs]
        return self._pairs

    def count(self, tag: int) -> int:
        t = tag_text(tag)
        return sum(1 for x, _ in self.str_pairs if x == t)

    def body(self) -> list[tuple[int, str]]:
        """Fields other than the standard header and trailer, in order."""
        from .tags import HEADER_TAGS
        return [(t, v) for t, v in self.pairs if t not in HEADER_TAGS and t != 10]

    def __repr__(self) -> str:
        return "FixMessage(" + "|".join(f"{t}={v}" for t, v in self.str_pairs) + ")"
