"""FIX encoder: header, BodyLength and CheckSum around a body of (tag, value) pairs.

The per-session prefix (BeginString and CompIDs) is rendered once; each message
renders only its own fields. Values must already be strings or ints (prices are
formatted by ``TickSize.format``: no float is ever formatted here).
"""
from __future__ import annotations

from typing import Iterable

from wirespeed.clock import fix_timestamp

Field = tuple[int, "str | int"]


def _render(fields: Iterable[Field]) -> bytes:
    return "".join(f"{t}={v}\x01" for t, v in fields).encode("ascii")


def _frame(begin: bytes, body: bytes) -> bytes:
    head = b"8=" + begin + b"\x019=" + str(len(body)).encode() + b"\x01"
    msg = head + body
    return msg + b"10=%03d\x01" % (sum(msg) & 0xFF)


def encode_message(begin: str, msg_type: str, sender: str, target: str, seq: int,
                   fields: Iterable[Field] = (), sending_time: str | None = None,
                   header_extra: Iterable[Field] = ()) -> bytes:
    body = (f"35={msg_type}\x0149={sender}\x0156={target}\x0134={seq}\x01"
            f"52={sending_time or fix_timestamp()}\x01").encode("ascii") + _render(header_extra) + _render(fields)
    return _frame(begin.encode("ascii"), body)


class Encoder:
    """Encodes messages for one session direction (fixed BeginString and CompIDs)."""

    __slots__ = ("begin", "_comp")

    def __init__(self, begin: str, sender: str, target: str):
        self.begin = begin.encode("ascii")
        self._comp = f"\x0149={sender}\x0156={target}\x0134=".encode("ascii")

    def encode(self, msg_type: str, seq: int, fields: Iterable[Field] = (),
               sending_time: str | None = None, header_extra: Iterable[Field] = ()) -> bytes:
        body = (b"35=" + msg_type.encode("ascii") + self._comp + str(seq).encode() +
                b"\x0152=" + (sending_time or fix_timestamp()).encode("ascii") + b"\x01" +
                _render(header_extra) + _render(fields))
        return _frame(self.begin, body)
