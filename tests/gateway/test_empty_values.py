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


def _logged_on(app, **config):
    """An acceptor session for CLIENT1, logged on; what it writes collects in the list returned."""
    out = []
    s = Session(SessionConfig("GW", "CLIENT1", role="acceptor", **config), app, MemoryStore())
    s.connection_made(out.append, lambda: None)
    s.data_received(encode_message("FIX.4.4", "A", "CLIENT1", "GW", 1, [(98, 0), (108, 30)], ts()))
    return s, out


@pytest.mark.parametrize("dictionary", [True, False])
def test_a_test_request_with_an_empty_or_no_test_req_id_is_rejected_naming_tag_112(dictionary):
    # (ValidateFieldsHaveValues=N lets 112= in; without a dictionary nothing requires 112 at all.
    # Before: the Heartbeat's echo raised EmptyValueError out of data_received, and the transport
    # disconnected the session)
    s, out = _logged_on(Peer().app, use_data_dictionary=dictionary, validate_fields_have_values=False)
    sent = [[(112, "")], [], [(112, "T1")]]
    for seq, fields in enumerate(sent, 2):
        s.data_received(encode_message("FIX.4.4", "1", "CLIENT1", "GW", seq, fields, ts()))
    msgs = _read(out)
    assert [m.get(35) for m in msgs] == [b"A", b"3", b"3", b"0"]
    assert [(m.get(45), m.get(371), m.get(373)) for m in msgs[1:3]] == [(b"2", b"112", b"4"), (b"3", b"112", b"1")]
    assert msgs[3].get(112) == b"T1" and s.active and s.store.next_target_seq == 5


def _order_gateway():
    cfg = load_config()
    symbols = table_from_config(cfg.symbols)
    return OrderGateway(symbols, make_backend(cfg.risk, symbols, sessions=1))


@pytest.mark.parametrize("dictionary", [True, False])
def test_the_order_path_never_echoes_a_clients_empty_symbol_side_or_qty(dictionary):
    # (these answers go out through the session's templates, send_template: before, 55=, 54= and
    # 38= were written as the client sent them; with a dictionary an empty Side or OrderQty is
    # refused before, as a value of the wrong type, so only Symbol, free text, reaches the order path)
    gw = _order_gateway()
    s, out = _logged_on(gw.client_app, use_data_dictionary=dictionary, validate_fields_have_values=False)
    sent = [("D", [(11, "X1"), (55, ""), (54, "1"), (60, ts()), (38, 10), (40, "2"), (44, "190.00")]),
            ("H", [(11, "X9"), (55, ""), (54, "2")]),
            ("H", [(11, "X8"), (55, "AAPL"), (54, "2")])]
    expect = [(b"X1", b"8", b"?", b"1", b"10"), (b"X9", b"I", b"?", b"2", None), (b"X8", b"I", b"AAPL", b"2", None)]
    if not dictionary:
        sent += [("D", [(11, "X2"), (55, "NOPE"), (54, ""), (60, ts()), (38, ""), (40, "2"), (44, "190.00")]),
                 ("H", [(11, "X7"), (55, ""), (54, "")])]
        expect += [(b"X2", b"8", b"NOPE", b"1", b"0"), (b"X7", b"I", b"?", b"1", None)]
    for seq, (mt, fields) in enumerate(sent, 2):
        s.data_received(encode_message("FIX.4.4", mt, "CLIENT1", "GW", seq, fields, ts()))
    msgs = _read(out)
    assert [m.get(35) for m in msgs] == [b"A"] + [b"8"] * len(sent)
    assert [(m.get(11), m.get(150), m.get(55), m.get(54), m.get(38)) for m in msgs[1:]] == expect
    assert s.active and s.store.next_target_seq == len(sent) + 2
    gw.audit.close()


@pytest.mark.parametrize("which", ["native", "python"])
def test_send_template_refuses_an_empty_value_naming_the_tag_and_numbers_nothing(which):
    s, out = _logged_on(Peer().app)
    template = s.template("8", (11, 55, 54))
    if which == "python":
        template.encode = template.py_encode
    before = s.store.next_sender_seq
    with pytest.raises(EmptyValueError, match="tag 55:") as err:
        s.send_template(template, ("X1", "", "1"))
    assert err.value.tag == 55 and s.store.next_sender_seq == before and len(out) == 1
    with pytest.raises(EmptyValueError, match="tag 54:"):
        s.send_template(template, ("X1", "AAPL", ""))
    s.send_template(template, ("X1", "ab=", "1"))         # (a value may end with '=')
    msgs = _read(out)
    assert [(m.get(34), m.get(55)) for m in msgs[1:]] == [(b"%d" % before, b"ab=")]


class _Echo55:
    """An application answering each message through a template with the Symbol it came with, or
    (Symbol OWN) with an empty value of its own: the session's net for what the apps miss."""

    def on_logon(self, session):
        pass

    def on_message(self, session, msg):
        sym = msg.get(55)
        session.send_template(session.template("8", (11, 55, 58)), ("X", sym, "" if sym == "OWN" else "t"))


def test_an_answer_that_would_carry_an_empty_value_is_a_reject_and_the_session_goes_on():
    s, out = _logged_on(_Echo55(), use_data_dictionary=False, validate_fields_have_values=False)
    for seq, sym in enumerate(["", "OWN", "AAPL"], 2):
        s.data_received(encode_message("FIX.4.4", "D", "CLIENT1", "GW", seq, [(11, "C%d" % seq), (55, sym)], ts()))
    msgs = _read(out)
    assert [m.get(35) for m in msgs] == [b"A", b"3", b"j", b"8"]
    assert (msgs[1].get(45), msgs[1].get(371), msgs[1].get(373)) == (b"2", b"55", b"4")   # the client's empty 55=
    assert (msgs[2].get(45), msgs[2].get(380), msgs[2].get(379)) == (b"3", b"0", b"C3")   # our own empty 58=
    assert b"tag 58" in msgs[2].get(58)
    assert [m.get(34) for m in msgs] == [b"1", b"2", b"3", b"4"] and msgs[3].get(55) == b"AAPL"
    assert s.active and s.store.next_target_seq == 5


def test_a_parent_order_refused_by_the_desk_never_echoes_an_empty_value():
    # (a TargetStrategy(847) order goes to control's desk, whose reject echoed 55=, 54=, 38= too)
    from wirespeed.clock import ScaledClock
    from wirespeed.control.live import AlgoDesk
    from wirespeed.control.live.strategy import strategy_fields
    from wirespeed.control.routing import VenueInfo
    gw = _order_gateway()
    AlgoDesk(gw, gw.symbols, [VenueInfo("VENUE1", 0.3, 0.2)], ScaledClock(1.0))
    s, out = _logged_on(gw.client_app, use_data_dictionary=False, validate_fields_have_values=False)
    params = strategy_fields("twap", {"EndTime": ts(), "Urgency": "cross"})
    s.data_received(encode_message("FIX.4.4", "D", "CLIENT1", "GW", 2, [(11, "P1"), (55, ""), (54, ""), (60, ts()),
                                   (38, ""), (40, "2"), (44, "190.00")] + params, ts()))
    msgs = _read(out)
    assert [(m.get(35), m.get(11), m.get(150), m.get(55), m.get(54), m.get(38)) for m in msgs[1:]] == \
        [(b"8", b"P1", b"8", b"?", b"1", b"0")]
    assert s.active
    gw.audit.close()


def test_no_learned_shape_takes_a_frame_with_an_empty_value():
    """The C fast paths (gateway/native: the client's orders, the venue's reports and the client
    reports they write) take only frames a learned shape matched in full; a shape's every value
    has at least one character, so no peer's empty value reaches the C templates."""
    from wirespeed.gateway.fix.dictionary import Dictionary, load_spec
    from wirespeed.gateway.fix.parser import FixParser
    from wirespeed.gateway.fix.spec import __path__ as spec_path
    d = Dictionary(load_spec(f"{spec_path[0]}/FIX44.xml"))
    nos = [(11, "X1"), (55, "AAPL"), (54, "1"), (60, ts()), (38, 10), (40, "2"), (44, "190.00"), (59, "0"),
           (100, "V1"), (58, "t")]
    p = FixParser(1 << 20, dictionary=d)
    p.feed(encode_message("FIX.4.4", "D", "C", "GW", 1, nos, ts()))
    assert d.validate(p.poll()) is None and d.shapes["D"]          # (learned)
    p.feed(encode_message("FIX.4.4", "D", "C", "GW", 2, nos, ts()))
    assert p.poll().shape is not None                             # (the shape takes the same again)
    for k, (tag, _) in enumerate(nos):
        p.feed(encode_message("FIX.4.4", "D", "C", "GW", 3 + k, nos[:k] + [(tag, "")] + nos[k + 1:], ts()))
        assert p.poll().shape is None, tag
