"""A sans-IO counterparty for one Session: builds messages, feeds them, reads the answers.

No socket and no event loop: a scenario is a few lines, runs in microseconds, and an exception
inside the session fails the test (over a socket the transport would log it and disconnect)."""
from __future__ import annotations

import time

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.fix.encoder import encode_message, frame
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.store import MemoryStore

NOS = [(11, "A1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "189.00")]


class Recorder:
    """An application that keeps what it is given (and answers nothing)."""

    def __init__(self):
        self.messages, self.logons = [], 0

    def on_logon(self, session):
        self.logons += 1

    def on_logout(self, session):
        pass

    def on_message(self, session, msg):
        self.messages.append(msg)


class Peer:
    def __init__(self, app=None, store=None, clock=time.monotonic, **config):
        self.app = app or Recorder()
        self.session = Session(SessionConfig("GW", "CLIENT1", **config), self.app, store or MemoryStore(), clock)
        self.parser = FixParser(1 << 20)
        self.closed = False
        self.seq = 1
        self.session.connection_made(self.parser.feed, self._close)

    def _close(self):
        self.closed = True

    def build(self, msg_type, fields=(), seq=None, header_extra=(), sending_time=None) -> bytes:
        if seq is None:
            seq, self.seq = self.seq, self.seq + 1
        return encode_message("FIX.4.4", msg_type, "CLIENT1", "GW", seq, fields, sending_time or fix_timestamp(),
                              header_extra)

    def send(self, msg_type, fields=(), **kw) -> list:
        return self.feed(self.build(msg_type, fields, **kw))

    def send_body(self, body: bytes) -> list:
        """A frame with correct BodyLength and CheckSum around ``body`` (from 35=... to its last SOH)."""
        return self.feed(frame(b"FIX.4.4", body))

    def send_edited(self, msg_type, fields, old: bytes, new: bytes, **kw) -> list:
        """A message with ``old`` replaced by ``new``, framed again (BodyLength, CheckSum right)."""
        raw = self.build(msg_type, fields, **kw)
        return self.send_body(raw[raw.index(b"35="):raw.rindex(b"10=")].replace(old, new))

    def feed(self, raw: bytes) -> list:
        self.session.data_received(raw)
        return self.received()

    def received(self) -> list:
        out = []
        while (msg := self.parser.poll()) is not None:
            out.append(msg)
        return out

    def logon(self) -> list:
        out = self.send("A", [(98, 0), (108, 30), (141, "Y")])
        assert [m.msg_type for m in out] == ["A"], out
        return out


def types(msgs) -> list[str]:
    return [m.msg_type for m in msgs]
