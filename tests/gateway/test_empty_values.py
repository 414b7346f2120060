"""An empty value (``tag=``) is not FIX: the encoder refuses it naming the tag, the session leaves an
optional Text out when it has none, and the order path answers an order message without the
identifiers it would echo with a BusinessMessageReject. What goes out is read by simplefix."""
import re

import pytest
import simplefix

from wirespeed.clock import fix_timestamp as ts
from wirespeed.config import load_config
from wirespeed.gateway.fix.encoder import EmptyValueError, Encoder, encode_message
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.store import MemoryStore
from wirespeed.symbols import table_from_config

from .sessionkit import Peer

_EMPTY = re.compile(rb"(?:^|\x01)[0-9]+=\x01")


def _read(out: list[bytes]) -> list:
    """Every frame written, as simplefix reads it (None if it refuses one); no ``tag=`` anywhere."""
    data = b"".join(out)
    assert _EMPTY.search(data) is None, data
    p = simplefix.FixParser()
    p.append_buffer(data)
    msgs = []
    while (m := p.get_message()) is not None:
        msgs.append(m)
    assert len(msgs) == data.count(b"\x0110=")
    return msgs


def test_the_encoder_refuses_an_empty_value_naming_the_tag_and_numbers_nothing():
    enc = Encoder("FIX.4.4", "GW", "C")
    with pytest.raises(EmptyValueError, match="tag 58: an empty value is not FIX"):
        enc.encode("8", 5, [(11, "A"), (58, "")])
    with pytest.raises(EmptyValueError, match="tag 1:"):
        enc.encode("D", 2, [(1, ""), (11, "A")])
    assert b"\x011=\x01" in encode_message("FIX.4.4", "D", "C", "GW", 2, [(1, "")])   # (a peer's frame, as given)
    with pytest.raises(EmptyValueError, match="tag 115:"):
        enc.encode("8", 5, [(11, "A")], header_extra=[(115, "")])
    assert b"\x0196=ab=\x01" in enc.encode("8", 5, [(96, "ab=")])     # (a value may end with '=')
    store = MemoryStore()
    peer = Peer(store=store)
    peer.logon()
    before = store.next_sender_seq
    with pytest.raises(EmptyValueError):
        peer.session.send("8", [(11, "A"), (58, "")])
    assert store.next_sender_seq == before and peer.received() == []      # nothing numbered, nothing sent
    peer.session.send("8", [(11, "A"), (58, "x")])
    assert [m.seq_num for m in peer.received()] == [before]


def test_the_session_leaves_an_empty_text_out_of_its_rejects_and_logout():
    out = []
    s = Session(SessionConfig("GW", "CLIENT1", role="acceptor"), Peer().app, MemoryStore())
    s.connection_made(out.append, lambda: None)
    s.data_received(encode_message("FIX.4.4", "A", "CLIENT1", "GW", 1, [(98, 0), (108, 30)], ts()))
    p = Peer()
    msg = p.parser.feed(p.build("D", [(11, "A")])) or p.parser.poll()
    s.business_reject(msg, 3, "")
    s._reject(msg, 5, 11, "")
    s._logout_and_disconnect("")
    msgs = _read(out)
    assert [m.get(35) for m in msgs] == [b"A", b"j", b"3", b"5"]
    assert all(m.get(58) is None for m in msgs[1:])


def test_an_order_message_without_the_ids_it_is_answered_with_gets_a_business_reject():
    cfg = load_config()
    symbols = table_from_config(cfg.symbols)
    gw = OrderGateway(symbols, make_backend(cfg.risk, symbols, sessions=1))
    # (no dictionary: nothing before the order path checks the fields)
    client = Session(SessionConfig("GW", "CLIENT1", role="acceptor", use_data_dictionary=False), gw.client_app)
    out = []
    client.connection_made(out.append, lambda: None)
    sent = [("A", [(98, 0), (108, 30)]),
            ("F", [(11, "X1"), (55, "AAPL"), (54, "1"), (60, ts()), (38, 10)]),          # no OrigClOrdID
            ("G", [(41, "X0"), (55, "AAPL"), (54, "1"), (60, ts()), (38, 10), (40, "2"), (44, "190.00")]),
            ("H", [(55, "AAPL"), (54, "1")]),
            ("D", [(55, "AAPL"), (54, "1"), (60, ts()), (38, 10), (40, "2"), (44, "190.00")])]
    for seq, (mt, fields) in enumerate(sent, 1):
        client.data_received(encode_message("FIX.4.4", mt, "CLIENT1", "GW", seq, fields, ts()))
    msgs = _read(out)
    assert [m.get(35) for m in msgs] == [b"A", b"j", b"j", b"j", b"j"]
    assert [m.get(380) for m in msgs[1:]] == [b"5"] * 4
    assert [m.get(58) for m in msgs[1:]] == [b"conditionally required field missing: tag %d" % t
                                            for t in (41, 11, 11, 11)]
    assert msgs[1].get(379) == b"X1" and client.active
    gw.audit.close()
