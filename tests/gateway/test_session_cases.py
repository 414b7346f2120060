"""FIX session-layer test cases (issue 18, section 3) as sans-IO scenarios against one Session."""
import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.apps import EchoApp
from wirespeed.gateway.fix import tags as T

from .sessionkit import NOS, Peer, types


def _header(seq, sender="CLIENT1", target="GW", sending_time=None, skip=()):
    fields = [("49", sender), ("56", target), ("34", str(seq)), ("52", sending_time or fix_timestamp())]
    return "".join(f"{t}={v}\x01" for t, v in fields if t not in skip).encode()


def test_logout_while_a_gap_is_open_is_answered_with_logout_and_close():
    p = Peer()
    p.logon()
    out = p.send("1", [(112, "x")], seq=3)                 # 2 is missing: a gap opens
    assert types(out) == ["2"] and out[0][T.BeginSeqNo] == "2"
    out = p.send("5", [], seq=4)                           # Logout while the gap is open
    assert types(out) == ["5"] and "while expecting 2" in out[0][T.Text]
    assert p.closed and p.session._write is None


def test_logout_with_msgseqnum_too_high_is_answered_with_logout_and_close():
    p = Peer()
    p.logon()
    out = p.send("5", [], seq=9)
    assert types(out) == ["5"] and p.closed


def test_first_three_fields_not_8_9_35_is_garbled_and_its_number_not_consumed():
    p = Peer()
    p.logon()
    body = _header(2) + b"35=1\x01112=early\x01"            # MsgType is not the third field
    assert p.send_body(body) == [] and not p.closed
    assert p.session.parser.garbled == 1
    out = p.send("1", [(112, "next")], seq=2)              # 2 is still the expected number
    assert types(out) == ["0"] and out[0][T.TestReqID] == "next"


@pytest.mark.parametrize("skip,tag", [(("56",), 56), (("49",), 49), (("52",), 52)])
def test_missing_required_header_field_gets_reject_and_the_session_stays_up(skip, tag):
    p = Peer()
    p.logon()
    out = p.send_body(b"35=1\x01" + _header(2, skip=skip) + b"112=a\x01")
    assert types(out) == ["3"], out
    assert out[0][T.SessionRejectReason] == "1" and out[0][T.RefTagID] == str(tag)
    assert not p.closed
    assert types(p.send("1", [(112, "b")], seq=3)) == ["0"]   # the rejected message consumed 2


def test_empty_header_field_gets_reject_tag_without_value():
    p = Peer()
    p.logon()
    body = b"35=1\x01" + _header(2).replace(b"56=GW", b"56=") + b"112=a\x01"
    out = p.send_body(body)
    assert types(out) == ["3"] and out[0][T.SessionRejectReason] == "4" and out[0][T.RefTagID] == "56"
    assert not p.closed


def test_wrong_compid_still_gets_reject_and_logout():
    p = Peer()
    p.logon()
    out = p.send_body(b"35=1\x01" + _header(2, target="OTHER") + b"112=a\x01")
    assert types(out) == ["3", "5"] and out[0][T.SessionRejectReason] == "9"
    assert p.closed


def test_possdup_with_orig_sending_time_later_than_sending_time_rejects_then_logs_out():
    p = Peer()
    p.logon()
    out = p.send("1", [(112, "a")], header_extra=[(43, "Y"), (122, "21000101-00:00:00.000")])
    assert types(out) == ["3", "5"]
    assert out[0][T.SessionRejectReason] == "10" and out[0][T.RefTagID] == "122"
    assert p.closed


@pytest.mark.parametrize("msg_type,fields", [("1", [(112, "a")]), ("D", NOS)])
def test_possdup_without_orig_sending_time_is_rejected_required_tag_missing(msg_type, fields):
    p = Peer()
    p.logon()
    out = p.send(msg_type, fields, header_extra=[(43, "Y")])   # admin or application alike
    assert types(out) == ["3"] and out[0][T.SessionRejectReason] == "1" and out[0][T.RefTagID] == "122"
    assert not p.closed


def test_possdup_gap_fill_needs_no_orig_sending_time():
    p = Peer()
    p.logon()
    out = p.send("4", [(123, "Y"), (36, 5)], header_extra=[(43, "Y")])
    assert out == [] and p.session.store.next_target_seq == 5


def test_reject_reverses_on_behalf_of_into_deliver_to_when_present():
    p = Peer()
    p.logon()
    # An order missing Side (required in FIX 4.4; Symbol is not), on behalf of BROKER/DESK, is rejected to DeliverTo BROKER/DESK.
    out = p.send("D", [f for f in NOS if f[0] != 54], header_extra=[(115, "BROKER"), (116, "DESK")])
    rej = out[0]
    assert rej.msg_type == "3" and rej[T.RefTagID] == "54"
    assert rej.get(128) == "BROKER" and rej.get(129) == "DESK" and rej.get(115) is None
    # And back: a message delivered to a third party is answered on its behalf.
    rej = p.send("D", [f for f in NOS if f[0] != 54], header_extra=[(128, "VENUE")])[0]
    assert rej.get(115) == "VENUE" and rej.get(128) is None


def test_reject_carries_no_routing_fields_when_absent_or_empty():
    p = Peer()
    p.logon()
    rej = p.send("D", [f for f in NOS if f[0] != 54])[0]
    assert all(rej.get(t) is None for t in (115, 116, 128, 129))
    body = p.build("D", NOS, header_extra=[(115, "X")]).replace(b"115=X", b"115=")
    body = body[body.index(b"35="):body.rindex(b"10=")]
    rej = p.send_body(body)[0]                            # 115 present but empty
    assert rej.msg_type == "3" and rej[T.SessionRejectReason] == "4"
    assert rej.get(128) is None


def test_echo_drops_a_poss_resend_order_already_seen_and_keeps_poss_resend():
    p = Peer(app=EchoApp())
    p.logon()
    first = p.send("D", NOS)
    assert types(first) == ["D"] and first[0].get(T.PossResend) is None
    assert p.send("D", NOS, header_extra=[(97, "Y")]) == []              # A1 again, PossResend: dropped
    again = p.send("D", [(11, "B2")] + NOS[1:], header_extra=[(97, "Y")])   # new ClOrdID: echoed
    assert types(again) == ["D"] and again[0][T.ClOrdID] == "B2" and again[0].get(T.PossResend) == "Y"


def test_reject_routing_read_back_by_simplefix():
    """An order written by simplefix (not our encoder) on behalf of BROKER; simplefix reads our Reject."""
    import simplefix
    p = Peer()
    p.logon()
    order = simplefix.FixMessage()
    for tag, value in [(8, "FIX.4.4"), (35, "D"), (49, "CLIENT1"), (56, "GW"), (34, 2), (52, fix_timestamp()),
                       (115, "BROKER"), (144, "LDN")] + [f for f in NOS if f[0] != 54]:
        order.append_pair(tag, value)
    p.session.data_received(order.encode())
    parser = simplefix.FixParser()
    sent = p.session.store.get_sent(2, 2)[0][1]          # the Reject as it went on the wire
    parser.append_buffer(sent)
    rej = parser.get_message()
    assert rej.get(35) == b"3" and rej.get(373) == b"1" and rej.get(371) == b"54"
    assert rej.get(128) == b"BROKER" and rej.get(145) == b"LDN" and rej.get(115) is None
