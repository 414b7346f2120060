"""Streaming FIX parser, sans-IO: ``feed(bytes)`` then ``poll()`` for messages.

Framing follows the FIX session protocol: a frame is ``8=<BeginString>|9=<len>|``,
``len`` bytes of body, then ``10=<3 digits>|``. A frame whose BodyLength or CheckSum
is wrong is *garbled*: it is dropped without an answer and without consuming a
sequence number, and parsing resumes at the next ``8=FIX`` (after a wrong CheckSum,
at the end of the frame its BodyLength gave: no byte is scanned twice, so a flood of
garbage costs time linear in its length). A frame whose third field is not MsgType(35)
is garbled too (the FIX test cases: its MsgSeqNum is not consumed). A frame that is intact
but malformed inside (a non-numeric tag, a tag without a value, fields out of
order) is returned with ``error`` set so the session can send a Reject.

Given the session's ``Dictionary``, a frame matching one of the shapes it has
learned is parsed and validated in one step and comes back as a ``ShapedMessage``
marked ``validated``. When a read holds whole frames (the usual case on a busy
connection), they are matched straight out of the bytes read, without copying them
into the stream buffer: only a frame that is cut off at the end of the read, or
that no shape matches, goes through the buffer and the general path.
"""
from __future__ import annotations

import re
import time
from zlib import adler32

from .checksum import ADLER_EXACT as _ADLER_EXACT, checksum
from .message import FixMessage, ShapedMessage
from .tags import HEADER_TAG_TEXT
from .tags import SessionRejectReasons as SRR
from wirespeed.ascii import digits

from ..native import native_fix

_START = b"8=FIX"
_SOH = 1  # byte value


_SKIPPED = object()   # _frame dropped a whole garbled frame: go on with what follows it
_BEGIN_MAX = 16       # "8=" + the longest BeginString we could accept + SOH: searched no further
_LENGTH_MAX = 11      # "9=" + 7 digits + SOH


class ParseError(Exception):
    """The stream cannot continue (e.g. a frame larger than the allowed maximum)."""


class FixParser:
    __slots__ = ("_buf", "max_message_bytes", "garbled", "begin_strings", "last_garbled", "_dictionary",
                 "_data", "_text", "_pos", "_last")

    def __init__(self, max_message_bytes: int = 8192, begin_strings=("FIX.4.2", "FIX.4.4"), dictionary=None):
        self._buf = bytearray()
        self.max_message_bytes = max_message_bytes
        self.begin_strings = tuple(begin_strings)
        self.garbled = 0          # frames dropped
        self.last_garbled = ""    # why the last one was dropped (for the log)
        # Shapes are proven for one BeginString: only a dictionary of an accepted version is used.
        self._dictionary = dictionary if dictionary is not None and dictionary.version in self.begin_strings \
            else None
        # The last read while the buffer was empty: its bytes, their text (decoded on first use),
        # how far the fast path has consumed them, and the shape that matched last.
        self._data: bytes | None = None
        self._text: str | None = None
        self._pos = 0
        self._last = None

    def feed(self, data: bytes) -> None:
        if self._data is not None:
            self._spill()
        if self._buf or self._dictionary is None:
            self._buf += data
        else:
            self._data = data if type(data) is bytes else bytes(data)
            self._text = None
            self._pos = 0

    def idle(self) -> bool:
        """Nothing of an earlier read waits here: the next read starts at a frame boundary."""
        return self._data is None and not self._buf

    def _spill(self) -> None:
        """Hand what the fast path has not consumed of the last read to the stream buffer."""
        self._buf += self._data[self._pos:]
        self._data = self._text = None

    def _drop(self, why: str) -> None:
        """Discard a garbled frame: resume at the next frame start after this one's."""
        self.garbled += 1
        self.last_garbled = why
        nxt = self._buf.find(_START, 1)
        # No next frame yet: keep a tail that may be the start of one cut off by the read.
        del self._buf[: nxt if nxt >= 0 else max(len(self._buf) - (len(_START) - 1), 1)]

    def poll(self, recv_ns: int = 0) -> FixMessage | None:
        """The next complete message, or None until more bytes arrive."""
        data = self._data
        if data is not None:
            # Fast path: the next frame of the last read, if it matches a learned shape in full
            # and has the BodyLength and CheckSum it states. (Written out here, not called: this
            # runs once per message on the engine's path from read to reply.)
            pos = self._pos
            text = self._text
            if text is None:
                text = self._text = data.decode("latin-1")   # every byte maps; FIX content is ASCII
            shape = self._last
            m = shape.match(text, pos) if shape is not None else None
            if m is None:
                shape, m = self._shape_at(text, pos)
                if m is not None:
                    self._last = shape
            if m is not None:
                end = m.end()
                if _FRAME_OK is not None:
                    # BodyLength and CheckSum in one C pass over the read (gateway/native/fix.c)
                    ok = end - pos <= self.max_message_bytes and _FRAME_OK(data, pos, end, m.end(2) + 1,
                                                                           int(m.group(2)))
                    raw = data if pos == 0 and end == len(data) else data[pos:end]
                else:
                    n = end - 7 - pos   # the bytes CheckSum covers: all but "10=xxx|"
                    raw = data if pos == 0 and end == len(data) else data[pos:end]
                    # (checksum() inlined for the usual frame of at most 256 bytes)
                    total = ((adler32(raw[:n]) & 0xFFFF) - 1) & 0xFF if n <= _ADLER_EXACT else checksum(raw, n)
                    ok = (int(m.group(2)) == end - 8 - m.end(2) and end - pos <= self.max_message_bytes
                          and raw[-4:-1] == _CHECKSUM_TEXT[total])
                if ok:
                    if end == len(data):
                        self._data = self._text = None
                    else:
                        self._pos = end
                    return ShapedMessage(m, shape, raw, recv_ns or time.perf_counter_ns(), self._dictionary)
            self._spill()   # the general path takes over from here
        while self._buf:
            head = _HEAD(self._buf)
            if head is not None:
                # Fast path: the buffer starts with a well-formed 4.2/4.4 header.
                result = self._frame(head.end(), int(head.group(2)), _BEGIN[head.group(1)], recv_ns)
            else:
                result = self._resync(recv_ns)
            if result is _SKIPPED:
                continue
            if not isinstance(result, str):
                return result
            self._drop(result)
        return None

    def _shape_at(self, text: str, pos: int):
        """(shape, match) for the first learned shape of the frame's MsgType that matches the
        frame at ``pos``, or (None, None)."""
        head = _HEAD_TEXT(text, pos)
        if head is not None and text.startswith("35=", head.end()):
            start = head.end() + 3
            for shape in self._dictionary.shapes.get(text[start:text.find("\x01", start)], ()):
                m = shape.match(text, pos)
                if m is not None:
                    return shape, m
        return None, None

    def _resync(self, recv_ns: int):
        """Slow path: noise before a frame, partial headers, other BeginStrings, bad BodyLength.
        Returns what ``_frame`` returns."""
        buf = self._buf
        start = buf.find(_START)
        if start < 0:
            # Drop noise, keeping a tail that may be the start of a partial "8=FIX".
            del buf[: max(len(buf) - (len(_START) - 1), 0)]
            return None
        if start:
            del buf[:start]
        # Searches bounded by what a valid header can be: a flood of "8=FIX" without the rest
        # costs a constant per start, not a scan of the whole buffer each.
        soh1 = buf.find(b"\x01", 0, _BEGIN_MAX)
        if soh1 < 0:
            return "BeginString(8) too long" if len(buf) >= _BEGIN_MAX else self._incomplete()
        if len(buf) < soh1 + 3:
            return self._incomplete()
        begin = bytes(buf[2:soh1]).decode("ascii", "replace")
        if not buf.startswith(b"9=", soh1 + 1):
            return "BodyLength(9) is not the second field"
        soh2 = buf.find(b"\x01", soh1 + 1, soh1 + 1 + _LENGTH_MAX)
        if soh2 < 0:
            return "BodyLength(9) too long" if len(buf) >= soh1 + 1 + _LENGTH_MAX else self._incomplete()
        length_text = bytes(buf[soh1 + 3:soh2])
        if not length_text.isdigit() or len(length_text) > 7:
            return f"BodyLength(9) {length_text!r} is not a number"
        return self._frame(soh2 + 1, int(length_text), begin, recv_ns)

    def _frame(self, body_start: int, body_length: int, begin: str, recv_ns: int):
        """The frame whose body starts at ``body_start``: the message (taken off the buffer),
        None while bytes are missing, or why it is garbled (a str)."""
        buf = self._buf
        body_end = body_start + body_length
        frame_end = body_end + 7  # "10=xxx\x01"
        if frame_end > self.max_message_bytes:
            return f"message of {frame_end} bytes exceeds the maximum {self.max_message_bytes}"
        if len(buf) < frame_end:
            return None
        raw = bytes(buf) if len(buf) == frame_end else bytes(buf[:frame_end])
        if raw[body_end:body_end + 3] != b"10=" or raw[frame_end - 1] != _SOH or raw[body_end - 1] != _SOH:
            return "BodyLength(9) does not match the message"
        why = None
        if raw[body_end + 3:frame_end - 1] != _CHECKSUM_TEXT[checksum(raw, body_end)]:
            why = f"CheckSum(10) {raw[body_end + 3:frame_end - 1].decode('ascii', 'replace')} is wrong"
        elif raw[body_start:body_start + 3] != b"35=":
            why = "MsgType(35) is not the third field"
        del buf[:frame_end]
        if why is not None:
            # The frame is whole (its BodyLength led to its CheckSum field): drop all of it.
            self.garbled += 1
            self.last_garbled = why
            return _SKIPPED
        text = raw.decode("latin-1")  # every byte maps; FIX content is ASCII
        recv_ns = recv_ns or time.perf_counter_ns()
        if self._dictionary is not None:
            # Fast path: a shape the dictionary has learned parses and validates in one match
            # (of the whole frame: a shorter match ends at a CheckSum inside it).
            shape, m = self._shape_at(text, 0)
            if m is not None and m.end() == len(text):
                return ShapedMessage(m, shape, raw, recv_ns, self._dictionary)
        return self._parse_fields(text, raw, begin, recv_ns)

    def _incomplete(self):
        """More bytes are needed to finish the header, unless it is already over the maximum."""
        if len(self._buf) > self.max_message_bytes:
            return "header never completed within the maximum message size"
        return None

    def _parse_fields(self, text: str, raw: bytes, begin: str, recv_ns: int) -> FixMessage:
        if _WELL_FORMED(text):
            # Fast path: every field is tag=value with a numeric tag and a non-empty value
            # free of '=', so one split yields [tag, value, tag, value, ...].
            flat = text.replace("\x01", "=").split("=")
            del flat[-1]
            it = iter(flat)
            fields = dict(zip(it, it))
            if len(fields) * 2 != len(flat):
                # A repeated tag: the first value is the one validated and acted on (as below).
                fields = {}
                for i in range(0, len(flat), 2):
                    fields.setdefault(flat[i], flat[i + 1])
            error = _check_order(flat[0::2], begin, self.begin_strings)
            return FixMessage(fields, flat, raw, error, recv_ns, len(fields) * 2 != len(flat))
        return self._parse_slow(text, raw, begin, recv_ns)

    def _parse_slow(self, text: str, raw: bytes, begin: str, recv_ns: int) -> FixMessage:
        flat: list[str] = []
        error = None
        for field in text.split("\x01")[:-1]:
            tag, eq, value = field.partition("=")
            if not eq or not digits(tag) or tag.startswith("0"):
                if error is None:
                    error = (SRR.INVALID_TAG_NUMBER, None, f"invalid tag number {tag!r}")
                continue
            if value == "" and error is None:
                # (RefTagID of a tag of any length: refused, not converted; no tag has 10 digits)
                error = (SRR.TAG_WITHOUT_VALUE, int(tag) if len(tag) <= 9 else None, f"tag {tag[:12]} has no value")
            flat += (tag, value)
        fields: dict[str, str] = {}
        for i in range(0, len(flat), 2):
            fields.setdefault(flat[i], flat[i + 1])
        if error is None:
            error = _check_order(flat[0::2], begin, self.begin_strings)
        return FixMessage(fields, flat, raw, error, recv_ns, len(fields) * 2 != len(flat))


_HEADER = HEADER_TAG_TEXT
_HEAD = re.compile(rb"8=(FIX\.4\.[24])\x019=([0-9]{1,7})\x01").match
_BEGIN = {b"FIX.4.2": "FIX.4.2", b"FIX.4.4": "FIX.4.4"}
_HEAD_TEXT = re.compile("8=FIX\\.4\\.[24]\x019=[0-9]{1,7}\x01").match
_CHECKSUM_TEXT = [b"%03d" % i for i in range(256)]
_FRAME_OK = None if native_fix() is None else native_fix().frame_ok
_WELL_FORMED = re.compile(r"(?:[1-9][0-9]*=[^=\x01]+\x01)+").fullmatch


def _check_order(tags: list[str], begin: str, begin_strings) -> tuple | None:
    """8, 9, 35 first in that order, the rest of the header before the body, CheckSum last."""
    if len(tags) < 4 or tags[0] != "8" or tags[1] != "9" or tags[-1] != "10":
        return (SRR.TAG_OUT_OF_ORDER, None, "header or trailer out of order")
    i, last = 3, len(tags) - 1
    header = _HEADER
    while i < last and tags[i] in header:
        i += 1
    if not header.isdisjoint(tags[i:]):
        bad = next(t for t in tags[i:] if t in header)
        return (SRR.TAG_OUT_OF_ORDER, int(bad), f"header tag {bad} after the body")
    # A CheckSum(10) before the end is a repeated tag: the dictionary's structure check reports it.
    if begin not in begin_strings:
        return (SRR.VALUE_INCORRECT, 8, f"unsupported BeginString {begin}")
    return None
