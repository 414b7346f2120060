"""The venue-report fast path (gateway/native/path.c ``FastPath.reports``, gateway/report_fast.py)
against the Python path it stands in for.

The rig of test_fast_path.py: one sans-IO ``OrderGateway`` with the ``native`` risk core, the same
script twice, fast paths on and off, and every byte to the client and the venues, every audit
record, every order's state, the counts and the stores' numbers compared. Here the venue's
reports come several to a read (an ack and its fills, fills of several orders), and one frame per
reason the report path leaves to Python is followed, in the same read, by a report it takes."""
import random

import pytest

from wirespeed.gateway import report_fast
from wirespeed.gateway.fix.dictionary import Dictionary
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.native import _path

from .test_fast_path import Rig, _both, _msgs, order, pinned_time  # noqa: F401 (the autouse fixture)
from . import test_fast_path as base

pytestmark = pytest.mark.skipif(_path is None, reason="gateway/native not built")


def own_dictionaries(rig):
    """Each venue session its own dictionary (the shared one may have learned shapes in other
    tests): the first report of a shape is the Python path's, which teaches it."""
    for name, v in rig.venues.items():
        v.dictionary = Dictionary("FIX.4.4")
        v.parser = FixParser(v.config.max_message_bytes, (v.config.begin_string,), v.dictionary)
        rig.gw._venue_fast(rig.gw.venues[name])


def er(vcl, exec_type, status, qty, last=0, cum=0, px="190.25", exec_id="", sym="AAPL", side="1", extra=()):
    return [(37, f"V{vcl}"), (11, vcl), (17, exec_id or f"E{vcl}{exec_type}{cum}"), (150, exec_type), (39, status),
            (55, sym), (54, side), (38, qty), (32, last), (31, px), (151, qty - cum), (14, cum), (6, px), *extra]


def venue_read(rig, *frames, name="VENUE1"):
    rig.venues[name].data_received(b"".join(frames))


def vframe(rig, fields, msg_type="8", name="VENUE1", **kw):
    return rig.frame(msg_type, fields, sender=name, **kw)


def place(rig, n, tag, qty="100"):
    """n orders through the client fast path; their venue ClOrdIDs."""
    # (buys and sells in turn: the fills keep the position inside the limits)
    rig.read(*[rig.frame("D", order(f"{tag}{k}", qty=qty, side="12"[k % 2])) for k in range(n)])
    return [m.get(11) for m in rig.venue_got() if m.msg_type == "D"]


def _stream(rig, seed):
    """Orders and their venue reports in reads of one to five: acks, partial and full fills,
    an ack and its fills in one read, fills of several orders in one read."""
    own_dictionaries(rig)
    rng = random.Random(seed)
    open_ = {}       # vcl -> [qty, cum, acked]
    for k in range(120):
        rig.now[0] += 50_000
        if rng.random() < 0.35 or not open_:
            qty = rng.choice([100, 100, 300, 7])
            for vcl in place(rig, 2, f"S{k}.", qty=str(qty)):
                open_[vcl] = [qty, 0, False]
            continue
        frames = []
        for vcl in rng.sample(sorted(open_), min(len(open_), rng.choice([1, 2, 3]))):
            o = open_[vcl]
            for _ in range(rng.choice([1, 1, 2, 3])):
                if not o[2]:
                    o[2] = True
                    frames.append(vframe(rig, er(vcl, "0", "0", o[0], exec_id=f"A{vcl}")))
                    continue
                last = o[0] - o[1] if rng.random() < 0.4 else max((o[0] - o[1]) // 3, 1)
                o[1] += last
                frames.append(vframe(rig, er(vcl, "F", "2" if o[1] == o[0] else "1", o[0], last, o[1],
                                             exec_id=f"F{k}{vcl}{o[1]}")))
                if o[1] == o[0]:
                    del open_[vcl]
                    break
        venue_read(rig, *frames)


def test_reports_in_reads_of_several_give_the_same_bytes_trail_and_state_through_both_paths():
    rig, result = _both(lambda r: _stream(r, 11))
    fp = rig.venues["VENUE1"].fast
    assert isinstance(fp, report_fast.VenueFastPath)
    counts = result["counts"]
    # the comparison is worth something: C took the reports, fills went out, orders finished
    assert fp.reports > 150 and counts["fills"] > 80 and counts["filled"] > 20, (fp.reports, counts)
    assert counts["illegal"] == 0 and counts["duplicate_reports"] == 0, counts
    # C wrote the one copy of the order state: filled orders are gone from the live table, risk released
    assert not any(s.reserved for s in rig.gw.orders.values() if s.status.name == "FILLED")
    states = {m.get(39) for m in _msgs(result["client"]) if m.msg_type == "8"}
    assert {"0", "1", "2"} <= states, states


def _fallback_script(rig):
    """One frame per fallback reason that leaves the session up, each followed in the same read by a
    report the C path takes (an ack of a fresh order), which Python then takes as the rest."""
    own_dictionaries(rig)
    fresh = iter(place(rig, 24, "F"))

    def then():
        return vframe(rig, er(next(fresh), "0", "0", 100, exec_id=f"A{rig.seq['VENUE1']}"))

    a, b, c, d = place(rig, 4, "W")
    venue_read(rig, vframe(rig, er(a, "0", "0", 100)), vframe(rig, er(b, "0", "0", 100)),
               vframe(rig, er(c, "0", "0", 100)), vframe(rig, er(d, "0", "0", 100)))
    venue_read(rig, vframe(rig, [(112, "hb")], msg_type="0"), then())                     # admin
    venue_read(rig, vframe(rig, [(45, 1), (372, "8"), (380, 0), (58, "x")], msg_type="j"), then())  # other_type
    venue_read(rig, vframe(rig, er(a, "F", "1", 100, 10, 10, extra=[(1, "ACCT")])), then())  # unlearned_shape
    bad = bytearray(vframe(rig, er(a, "F", "1", 100, 5, 15), seq=rig.seq["VENUE1"]))
    bad[-3] = ord("0") + (bad[-3] - ord("0") + 1) % 10                                 # frame: a wrong CheckSum
    venue_read(rig, bytes(bad), then())
    ahead = then()
    whole = vframe(rig, er(a, "F", "1", 100, 5, 15))
    venue_read(rig, ahead, whole[:50])                                                  # partial
    venue_read(rig, whole[50:])
    for k in range(2):                                       # poss_dup (the shape learned the first time)
        old = rig.seq["VENUE1"] - 2
        venue_read(rig, vframe(rig, er(a, "F", "1", 100, 5, 15), seq=old, header=[(43, "Y"), (122, base.SENT)]),
                   then())
    gap = rig.seq["VENUE1"]
    rig.seq["VENUE1"] += 1
    venue_read(rig, vframe(rig, er(b, "F", "1", 100, 5, 5)))                             # seq: a gap
    venue_read(rig, vframe(rig, er(b, "F", "1", 100, 5, 10), seq=gap, header=[(43, "Y"), (122, base.SENT)]))
    venue_read(rig, vframe(rig, er(a, "H", "1", 100, 5, 10)), then())                    # exec_type: a bust
    venue_read(rig, vframe(rig, er("0000FFFF", "F", "1", 100, 5, 5)), then())            # unknown_order
    venue_read(rig, vframe(rig, er("nothex", "0", "0", 100)), then())                    # unknown_order
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 5, 5, exec_id="DUP")), then())     # (taken)
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 5, 10, exec_id="DUP")), then())    # duplicate_report
    venue_read(rig, vframe(rig, er(c, "0", "0", 100)), then())                           # illegal: a second ack
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 500, 505)), then())                 # qty: over the order
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 5, 10, px="190.255")), then())      # price: off tick
    rig.read(rig.frame("F", [(41, "CW3"), (11, "XW3"), (55, "AAPL"), (54, "1"), (60, base.SENT), (38, 100)]))
    assert "F" in [m.msg_type for m in rig.venue_got()]
    venue_read(rig, vframe(rig, er(d, "F", "1", 100, 5, 5)), then())                     # pending (PendingCancel)
    venue_read(rig, vframe(rig, er(d, "4", "4", 100, 0, 5, extra=[(41, d)])), then())    # exec_type: canceled
    venue_read(rig, vframe(rig, er(d, "F", "2", 100, 95, 100)), then())                  # illegal: after Canceled
    venue_read(rig, vframe(rig, er(c, "F", "2", 100, 95, 100)), then())                  # a full fill, fast


def test_every_fallback_reason_keeps_the_same_bytes_trail_and_state():
    rig, result = _both(_fallback_script, second_venue=True)
    gw = rig.gw
    # C took the reads' first reports (the report before a cut frame, the first DUP fill, the last full
    # fill; the first four acks teach the venue's shape); what follows a fallback in its read is Python's
    assert rig.venues["VENUE1"].fast.reports >= 5
    want = {"admin", "other_type", "unlearned_shape", "frame", "partial", "poss_dup", "seq", "exec_type",
            "unknown_order", "duplicate_report", "illegal", "qty", "price", "pending"}
    assert want <= set(gw.report_fallbacks), gw.report_fallbacks
    assert set(gw.report_fallbacks) <= set(_path.REPORT_REASONS), gw.report_fallbacks
    counts = result["counts"]
    assert counts["duplicate_reports"] == 1 and counts["busts"] == 1 and counts["canceled"] == 1, counts
    assert counts["illegal"] >= 3 and counts["filled"] == 1, counts


@pytest.mark.parametrize("how", ["comp_id", "sending_time"])
def test_a_report_that_ends_the_session_is_the_python_path_s(how):
    def script(rig):
        own_dictionaries(rig)
        first, a = place(rig, 2, "E")
        venue_read(rig, vframe(rig, er(first, "0", "0", 100)))      # (teaches the shape)
        good = vframe(rig, er(a, "0", "0", 100))
        if how == "comp_id":
            bad = base.encode_message("FIX.4.4", "8", "OTHER", "GW", rig.seq["VENUE1"], er(a, "F", "1", 100, 5, 5),
                                      base.SENT)
        else:
            bad = vframe(rig, er(a, "F", "1", 100, 5, 5), sending_time="20200101-00:00:00.000")
        venue_read(rig, good, bad)
    rig, result = _both(script)
    assert rig.gw.report_fallbacks == {"unlearned_shape": 1, how: 1}
    assert rig.venues["VENUE1"].fast.reports == 1


def test_reports_held_while_the_journal_fails_stay_held_and_go_out_in_order():
    seen = {}

    def script(rig):
        own_dictionaries(rig)
        orders = place(rig, 3, "J")
        venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))               # (teaches the shape)
        venue_read(rig, *[vframe(rig, er(v, "0", "0", 100)) for v in orders[1:]])

        def broken():
            raise OSError("disk full")
        rig.audit.flush = broken
        before = len(rig.cout)
        venue_read(rig, *[vframe(rig, er(v, "F", "2", 100, 100, 100)) for v in orders])
        seen[rig.gw.fast_path] = (len(rig.cout) - before, len(rig.gw._held), rig.venues["VENUE1"].fast)
        del rig.audit.flush
        assert rig.gw.release_held() == 3
    rig, result = _both(script)
    sent, held, fp = seen[True]
    assert (sent, held) == (0, 3) and seen[False][:2] == (0, 3)
    assert fp.reports >= 5 and result["counts"]["filled"] == 3
    fills = [m for m in _msgs(result["client"]) if m.msg_type == "8" and m.get(39) == "2"]
    assert [m.get(11) for m in fills] == ["CJ0", "CJ1", "CJ2"]


def test_an_on_change_hook_sees_each_report_s_state_as_the_python_path_shows_it():
    seen = {}

    def script(rig):
        own_dictionaries(rig)
        log = seen[rig.gw.fast_path] = []
        rig.gw.on_change = lambda s: log.append((s.order.cl_ord_id, s.status.name, s.cum_qty, s.reserved))
        orders = place(rig, 2, "K")
        venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))               # (teaches the shape)
        venue_read(rig, vframe(rig, er(orders[1], "0", "0", 100)), vframe(rig, er(orders[1], "F", "1", 100, 40, 40)),
                   vframe(rig, er(orders[1], "F", "2", 100, 60, 100)), vframe(rig, er(orders[0], "F", "1", 100, 1, 1)))
    rig, _ = _both(script)
    assert seen[True] == seen[False] and len(seen[True]) == 5, seen
    assert rig.venues["VENUE1"].fast.reports == 4


def test_canceled_for_the_client_s_pending_cancel_is_taken_and_unsolicited_ones_are_python_s():
    def script(rig):
        own_dictionaries(rig)
        orders = place(rig, 6, "X")
        venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))               # (teaches the shape)
        venue_read(rig, *[vframe(rig, er(v, "0", "0", 100)) for v in orders[1:]])
        venue_read(rig, vframe(rig, er(orders[0], "F", "1", 100, 30, 30)))
        for k in range(4):
            rig.read(rig.frame("F", [(41, f"CX{k}"), (11, f"Q{k}"), (55, "AAPL"), (54, "12"[k % 2]), (60, base.SENT),
                                     (38, 100)]))
        cancels = [m.get(11) for m in rig.venue_got() if m.msg_type == "F"]
        assert len(cancels) == 4

        def done(k, cum):
            return vframe(rig, er(cancels[k], "4", "4", 100, 0, cum, exec_id=f"K{k}", extra=[(41, orders[k])]))
        venue_read(rig, done(3, 0))                                               # (teaches the shape)
        # two confirmations and a fill of another order in one read, then an unsolicited cancel
        venue_read(rig, done(0, 30), done(1, 0), vframe(rig, er(orders[5], "F", "1", 100, 10, 10)),
                   vframe(rig, er(orders[4], "4", "4", 100, 0, 0, exec_id="U4", extra=[(41, orders[4])])))
        venue_read(rig, done(2, 0))
    rig, result = _both(script)
    assert rig.venues["VENUE1"].fast.reports >= 10
    assert rig.gw.report_fallbacks["exec_type"] == 1, rig.gw.report_fallbacks
    assert result["counts"]["canceled"] == 5
    by_cl = {m.get(11): m for m in _msgs(result["client"]) if m.msg_type == "8" and m.get(150) == "4"}
    assert by_cl["Q0"].get(41) == "CX0" and by_cl["Q0"].get(14) == "30" and by_cl["Q0"].get(151) == "0"
    assert "unsolicited" in by_cl["CX4"].get(58)


def _raise_once_then_more(fast):
    rig = Rig(fast)
    own_dictionaries(rig)
    a, b, c = place(rig, 3, "H")
    venue_read(rig, vframe(rig, er(a, "0", "0", 100)))
    venue_read(rig, vframe(rig, er(b, "0", "0", 100)), vframe(rig, er(c, "0", "0", 100)))
    boom = [True]

    def hook(state):
        if boom[0]:
            boom[0] = False
            raise RuntimeError("hook failed once")
    rig.gw.on_change = hook
    with pytest.raises(RuntimeError, match="hook failed once"):
        venue_read(rig, vframe(rig, er(a, "F", "1", 100, 5, 5)), vframe(rig, er(b, "F", "1", 100, 7, 7)),
                   vframe(rig, er(c, "F", "1", 100, 9, 9)))
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 1, 10)))      # the venue's next read
    venue = rig.venues["VENUE1"]
    return (sorted((s.order.cl_ord_id, s.cum_qty) for s in rig.gw.orders.values()), venue.store.next_target_seq,
            [m.msg_type for m in rig.venue_got()])


def test_a_report_whose_booking_raises_keeps_the_rest_of_the_read_as_the_python_path_does():
    # The reports after the failing one stay in the parser (taken with the next read), not lost to a gap.
    fast, slow = _raise_once_then_more(True), _raise_once_then_more(False)
    assert fast == slow
    states, _, to_venue = fast
    assert [q for _, q in states] == [5, 7, 10] and "2" not in to_venue        # no ResendRequest


class _FailingIds:
    """ExecIDs that fail once, at the n-th: an error while a report is applied (past the point of no return)."""

    def __init__(self, ids, fail_at):
        self.ids, self.n, self.fail_at = ids, 0, fail_at

    def __iter__(self):
        return self

    def __next__(self):
        self.n += 1
        if self.n == self.fail_at:
            raise RuntimeError("no ExecID this once")
        return next(self.ids)


def _apply_raises_then_more(fast):
    rig = Rig(fast)
    own_dictionaries(rig)
    a, b, c = place(rig, 3, "K")
    venue_read(rig, vframe(rig, er(a, "0", "0", 100)))      # (the shapes learned: the Python path's)
    venue_read(rig, vframe(rig, er(b, "0", "0", 100)), vframe(rig, er(c, "0", "0", 100)))
    rig.venue_got()
    rig.gw._exec_ids = _FailingIds(rig.gw._exec_ids, 2)
    rig.gw._venue_fast(rig.gw.venues["VENUE1"])            # (bound to the gateway's ExecIDs as they are now)
    with pytest.raises(RuntimeError, match="no ExecID this once"):
        venue_read(rig, vframe(rig, er(a, "F", "1", 100, 5, 5)), vframe(rig, er(b, "F", "1", 100, 7, 7)),
                   vframe(rig, er(c, "F", "1", 100, 9, 9)))
    venue_read(rig, vframe(rig, er(c, "F", "1", 100, 1, 10)))      # the venue's next read
    venue = rig.venues["VENUE1"]
    return (sorted((s.order.cl_ord_id, s.cum_qty, s.status, sorted(s.exec_ids), s.reserved)
                   for s in rig.gw.orders.values()),
            venue.store.next_target_seq, [m.msg_type for m in rig.venue_got()], [m.get(11) for m in _msgs(
                b"".join(rig.cout)) if m.msg_type == "8" and m.get(150) == "F"], dict(rig.gw.counts),
            dict(rig.gw._client_open), sorted(h[:3] for h in rig.gw.buffered_hops()[0]))


def test_an_error_while_a_report_is_applied_consumes_its_number_and_keeps_the_rest_of_the_read():
    # The failing report's number is consumed (as Session._to_app consumes it); the reports after it
    # stay in the parser for the next read: no MsgSeqNum-too-low, no gap, no ResendRequest.
    fast, slow = _apply_raises_then_more(True), _apply_raises_then_more(False)
    assert fast == slow
    states, _, to_venue, filled, counts = fast[:5]
    assert [st[1] for st in states] == [5, 7, 10] and "2" not in to_venue and "5" not in to_venue
    assert filled == ["CK0", "CK2", "CK2"] and counts["fills"] == 4     # (the failing one counted, not reported)
