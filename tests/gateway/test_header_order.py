"""Header fields in the standard order (issue 18, section 3): 8, 9, 35, then the rest of the header
by tag (34, 43, 49, 52, 56, 97, 122, 128, ...), as QuickFIX writes them, on every message type
the engine writes: session messages, resends, rejects with routing, templates and the apps'."""
from wirespeed.gateway.apps import AckApp, EchoApp
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import Encoder, encode_message

from .sessionkit import NOS, Peer

HEADER = {int(t) for t in T.HEADER_TAGS}


def header_in_standard_order(raw: bytes) -> list[int]:
    """The frame's header tags after 8, 9, 35, asserting the standard order."""
    tags = [int(f.split(b"=", 1)[0]) for f in raw.split(b"\x01")[:-1]]
    assert tags[:3] == [8, 9, 35] and tags[-1] == 10, raw
    n = 3
    while n < len(tags) and tags[n] in HEADER:
        n += 1
    header = tags[3:n]
    assert header == sorted(header), raw
    assert not HEADER & set(tags[n:-1]), raw          # no header field after the body
    return header


class Wire(Peer):
    """A Peer that keeps every frame the session writes."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.frames = []
        self.session.connection_made(self._write, self._close)

    def _write(self, raw: bytes) -> None:
        self.frames.append(raw)
        self.parser.feed(raw)


def test_every_session_message_type_has_its_header_in_standard_order():
    p = Wire(app=EchoApp())
    p.logon()                                                     # A
    p.send("1", [(112, "ping")])                                  # 0 (answer)
    p.session.send_test_request("ours")                           # 1
    p.send("D", NOS, header_extra=[(115, "BROKER"), (116, "DESK")])   # D echoed
    p.send("D", [(11, "B2")] + NOS[1:], header_extra=[(97, "Y")])    # D echoed with PossResend
    p.send("D", [f for f in NOS if f[0] != 54], header_extra=[(115, "BROKER"), (116, "DESK")])  # 3, DeliverTo*
    p.send("F", [(41, "A1"), (11, "C1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00")])   # j
    p.send("2", [(7, 1), (16, 0)])                                # 4 (GapFill) and PossDup resends with 122
    p.send("0", [], seq=p.seq + 2)                                # 2: a gap
    p.send("5", [])                                               # 5
    seen = {}
    for raw in p.frames:
        mt = raw.split(b"\x0135=", 1)[1].split(b"\x01", 1)[0].decode()
        seen.setdefault(mt, set()).update(header_in_standard_order(raw))
    assert set(seen) >= {"A", "0", "1", "D", "3", "j", "4", "2", "5"}
    assert {43, 122} <= seen["4"] and {43, 122, 97} <= seen["D"] and {128, 129} <= seen["3"]


def test_templates_and_the_ack_app_write_the_standard_order():
    p = Wire(app=AckApp())
    p.logon()
    p.send("D", NOS)
    acks = [raw for raw in p.frames if b"\x0135=8\x01" in raw]
    assert acks and all(header_in_standard_order(raw) == [34, 49, 52, 56] for raw in acks)
    enc = Encoder("FIX.4.2", "S", "T")
    for raw in (enc.template("8", [37, 11]).encode(7, ("o", "c"), "20261201-10:00:00.000"),
                enc.template("0", []).encode(8, (), "20261201-10:00:00.000"),
                enc.encode("D", 9, NOS, header_extra=[(128, "X"), (43, "Y"), (122, "20261201-09:00:00")]),
                encode_message("FIX.4.4", "A", "S", "T", 1, [(98, 0)], header_extra=[(97, "Y")])):
        header_in_standard_order(raw)


def test_the_order_is_quickfixs_byte_for_byte():
    """The frame QuickFIX's own serializer writes for the same fields (quickfix-py, test extra)."""
    import pytest
    fix = pytest.importorskip("quickfix")
    ts = "20261201-10:00:00.000"
    body = sorted(NOS)    # (without a dictionary QuickFIX orders the body by tag too)
    ours = Encoder("FIX.4.4", "GW", "CLIENT1").encode("D", 7, body, sending_time=ts,
                                                    header_extra=[(122, ts), (43, "Y"), (128, "BROKER")])
    msg = fix.Message()
    header = msg.getHeader()
    # set in a scrambled order: QuickFIX orders the header itself
    for tag, value in ((56, "CLIENT1"), (128, "BROKER"), (52, ts), (43, "Y"), (35, "D"), (122, ts),
                       (49, "GW"), (34, "7"), (8, "FIX.4.4")):
        header.setField(tag, value)
    for tag, value in body:
        msg.setField(tag, str(value))
    assert msg.toString().encode() == ours
