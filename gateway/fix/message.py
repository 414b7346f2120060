"""A parsed FIX message.

Fields are held as a ``str`` -> ``str`` dict keyed by the tag's text (what the
parser produces without converting anything); accessors take int tags, as the
rest of the code names them, through a precomputed int -> str table. The ordered
pairs, needed only for repeating groups, repeated tags and resends, are built on
demand from the flat token list. A message the parser matched against a learned
shape (see ``Dictionary``) is a ``ShapedMessage``: its values stay in the match.
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

    __slots__ = ("_fields", "_flat", "raw", "error", "recv_ns", "has_duplicates", "_pairs", "validated")
    shape = None    # the learned shape a ShapedMessage matched

    def __init__(self, fields: dict[str, str], flat: list[str] | None = None, raw: bytes = b"", error=None,
                 recv_ns: int = 0, has_duplicates: bool = False, validated=None):
        self._fields = fields
        self._flat = flat           # [tag, value, tag, value, ...] in wire order
        self.raw = raw
        self.error = error
        self.recv_ns = recv_ns
        self.has_duplicates = has_duplicates
        self._pairs = None
        self.validated = validated  # the Dictionary that already validated this message, if any

    @property
    def fields(self) -> dict[str, str]:
        return self._fields

    @property
    def flat(self) -> list[str] | None:
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
        return self._fields.get("35")

    @property
    def seq_num(self) -> int | None:
        v = self.get(34)
        # At most 18 digits: what a store records (a bigger number is refused, never converted).
        return int(v) if v is not None and len(v) <= 18 and digits(v) else None

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self._fields.get(_TAG_TEXT[tag] if tag < 10_000 else str(tag), default)

    def values(self, tags: tuple[int, ...], default: str | None = None) -> tuple:
        """The values of ``tags`` (``default`` where one is absent), as a tuple."""
        get = self.get
        return tuple(get(t, default) for t in tags)

    def __getitem__(self, tag: int) -> str:
        return self._fields[tag_text(tag)]

    def __contains__(self, tag: int) -> bool:
        return tag_text(tag) in self._fields

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


class ShapedMessage(FixMessage):
    """A message the parser matched against one of the dictionary's learned shapes: parsed
    and validated by that one match. The values stay in the match object; ``get`` reads
    one by its group number, and the dict and token list are built only if asked for."""

    __slots__ = ("_match", "shape", "msg_type")

    def __init__(self, match, shape, raw: bytes, recv_ns: int, validated):
        self._match = match
        self.shape = shape
        self.msg_type = shape.msg_type   # (a slot: read per message, faster than the base's property)
        self.raw = raw
        self.recv_ns = recv_ns
        self.validated = validated
        self._fields = self._flat = self._pairs = self.error = None
        self.has_duplicates = False

    @property
    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = dict(zip(self.shape.tags, self._match.groups()))
        return self._fields

    @property
    def flat(self) -> list[str]:
        if self._flat is None:
            flat: list[str] = []
            for tag, value in zip(self.shape.tags, self._match.groups()):
                flat += (tag, value)
            self._flat = flat
        return self._flat

    def get(self, tag: int, default: str | None = None) -> str | None:
        k = self.shape.index.get(_TAG_TEXT[tag] if tag < 10_000 else str(tag))
        return default if k is None else self._match.group(k)

    def values(self, tags: tuple[int, ...], default: str | None = None) -> tuple:
        groups = self.shape.known_groups.get(tags)   # (asked before: no call to groups())
        if groups is None:
            groups = self.shape.groups(tags)
            if groups is None:   # a tag the shape lacks (or fewer than two tags): from all the groups
                return self.shape.group_index(tags)((default,) + self._match.groups())
        return self._match.group(*groups)

    def session_values(self) -> tuple[str, str, str, str]:
        """MsgSeqNum, SenderCompID, TargetCompID, SendingTime of a ``shape.for_app`` message."""
        return self._match.group(*self.shape.session_groups)

    def __getitem__(self, tag: int) -> str:
        return self._match.group(self.shape.index[tag_text(tag)])

    def __contains__(self, tag: int) -> bool:
        return tag_text(tag) in self.shape.index
