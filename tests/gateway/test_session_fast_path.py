"""The session's fast path (shape-proven, in-sequence application messages) must act exactly as the
general path: these drive a sans-IO Session directly and check both that the fast path is taken and
that every message it must not take still gets the general path's answer."""
from wirespeed.clock import fix_timestamp
from wirespeed.gateway.apps import AckApp
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.session import Session
from wirespeed.gateway.session.config import SessionConfig


class Spy(AckApp):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_message(self, session, msg):
        self.seen.append(msg.validated is not None)
        super().on_message(session, msg)


def order(seq, sender="BENCH", sending_time=None, header_extra=()):
    fields = [(11, f"C{seq}"), (55, "AAPL"), (54, "1"), (60, fix_timestamp()), (38, "100"), (40, "2"),
              (44, "190.25"), (59, "0")]
    return encode_message("FIX.4.4", "D", sender, "GW", seq, fields, sending_time or fix_timestamp(), header_extra)


def session():
    app = Spy()
    s = Session(SessionConfig("GW", "BENCH"), app)
    out = []
    s.connection_made(out.append, lambda: None)
    s.data_received(encode_message("FIX.4.4", "A", "BENCH", "GW", 1, [(98, 0), (108, 30)]))
    for seq in (2, 3, 4):   # the first teaches the (process-wide) dictionary the shape, if it is new
        s.data_received(order(seq))
    assert len(app.seen) == 3 and app.seen[1:] == [True, True]
    out.clear()
    return s, app, out


def replies(out):
    p = FixParser()
    for raw in out:
        p.feed(raw)
    msgs = []
    while (m := p.poll()) is not None:
        msgs.append(m)
    return msgs


def test_fast_path_answers_and_advances_the_inbound_number():
    s, app, out = session()
    s.data_received(order(5))
    (er,) = replies(out)
    assert er.msg_type == "8" and er.get(11) == "C5" and s.store.next_target_seq == 6 and app.seen[-1]


def test_wrong_comp_id_through_a_known_shape_is_rejected_and_logged_out():
    s, app, out = session()
    s.data_received(order(5, sender="INTRUDER"))
    reject, logout = replies(out)
    assert (reject.msg_type, reject.get(373)) == ("3", "9") and logout.msg_type == "5"
    assert len(app.seen) == 3


def test_stale_sending_time_through_a_known_shape_is_rejected():
    s, app, out = session()
    s.data_received(order(5, sending_time="20200101-00:00:00.000"))
    reject, logout = replies(out)
    assert (reject.msg_type, reject.get(373)) == ("3", "10") and logout.get(58) == "SendingTime accuracy problem"


def test_gap_through_a_known_shape_asks_for_a_resend_and_queues():
    s, app, out = session()
    s.data_received(order(7))
    (rr,) = replies(out)
    assert rr.msg_type == "2" and rr.get(7) == "5" and len(app.seen) == 3 and 7 in s._queue


def test_possdup_duplicate_through_a_known_shape_is_ignored():
    s, app, out = session()
    s.data_received(order(3, header_extra=[(43, "Y"), (122, fix_timestamp())]))
    assert replies(out) == [] and len(app.seen) == 3 and s.store.next_target_seq == 5
