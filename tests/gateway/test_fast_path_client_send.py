"""The client's ExecutionReport written from the report fast path's C call (native/path.c
``client_send``, report_fast.py) against Python's send (the Python path, fast paths off): the
same bytes, the same store files and numbers, a resend after a reconnect serving the C-sent
messages, and Python's send whenever the client session is not in a plain state, by reason."""
import pytest

from wirespeed.gateway.native import _path
from wirespeed.gateway.store import FileStore

from .test_fast_path import Rig, _msgs, pinned_time  # noqa: F401 (the autouse fixture)
from .test_report_fast_path import er, own_dictionaries, place, venue_read, vframe

pytestmark = pytest.mark.skipif(_path is None, reason="gateway/native not built")


def _fills(rig, tag, n=4):
    """n orders acked, then filled in two reads of two fills each (several reports a read)."""
    orders = place(rig, n, tag)
    venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))        # (teaches the shape: Python's)
    venue_read(rig, *[vframe(rig, er(v, "0", "0", 100)) for v in orders[1:]])
    venue_read(rig, *[vframe(rig, er(v, "F", "1", 100, 40, 40)) for v in orders[:2]])
    venue_read(rig, *[vframe(rig, er(v, "F", "2", 100, 60, 100)) for v in orders[:2]])
    return orders


def _run(fast, tmp_path, script, **kw):
    rig = Rig(fast, tmp_path=tmp_path / ("fast" if fast else "python"), **kw)
    own_dictionaries(rig)
    out = script(rig)
    return rig, rig.result(), out


def _compare(tmp_path, script, **kw):
    (frig, fres, fout), (prig, pres, pout) = (_run(f, tmp_path, script, **kw) for f in (True, False))
    for key in fres:
        assert fres[key] == pres[key], key
    assert fout == pout
    for rig in (frig, prig):
        for s in (rig.client, *rig.venues.values()):
            s.store.close()
    for name in ("client", "VENUE1"):
        assert (tmp_path / "fast" / name / "messages").read_bytes() == \
            (tmp_path / "python" / name / "messages").read_bytes(), name
        assert (tmp_path / "fast" / name / "seqnums").read_bytes() == \
            (tmp_path / "python" / name / "seqnums").read_bytes(), name
    return frig, fres


def test_reports_written_from_c_are_python_s_bytes_store_and_numbers(tmp_path):
    rig, result = _compare(tmp_path, lambda r: _fills(r, "S"))
    fp = rig.venues["VENUE1"].fast
    assert fp.sent >= 5 and not rig.gw.client_send_fallbacks, (fp.sent, rig.gw.client_send_fallbacks)
    assert rig.client.messages_out == len(_msgs(result["client"]))
    again = FileStore(tmp_path / "fast", "client")
    assert again.next_sender_seq == rig.client.store.next_sender_seq
    assert [raw for _, raw in again.get_sent(1, again.next_sender_seq)] == rig.cout


def test_a_resend_after_a_reconnect_serves_the_reports_c_wrote(tmp_path):
    def script(rig):
        _fills(rig, "R")
        sent = len(rig.cout)
        c = rig.client
        c.connection_lost()
        c.connection_made(rig.cout.append, lambda: None)
        c.data_received(rig.frame("A", [(98, 0), (108, 30)]))
        c.data_received(rig.frame("2", [(7, 1), (16, 0)]))      # everything again
        return [(m.msg_type, m.get(34), m.get(43), m.get(11), m.get(150)) for m in _msgs(b"".join(rig.cout[sent:]))]
    rig, _ = _compare(tmp_path, script)
    assert rig.venues["VENUE1"].fast.sent >= 5
    resent = [m for m in _msgs(b"".join(rig.cout)) if m.get(43) == "Y" and m.msg_type == "8"]
    assert len([m for m in resent if m.get(150) == "F"]) == 4       # the C-written fills among them


def _not_plain(rig, how):
    orders = place(rig, 3, "N")
    venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))
    c = rig.client
    if how == "paused":
        c.pause_writing()
    elif how == "resend":
        c._resend_job = [1, 1, None]       # a resend being served (its pump waits for the timer)
    elif how == "not_active":
        c.logout("bye")                    # LogoutSent: Python's send refuses (logged), as before
    elif how == "no_connection":
        c._write = None
    venue_read(rig, vframe(rig, er(orders[1], "0", "0", 100)), vframe(rig, er(orders[2], "0", "0", 100)))
    if how == "paused":
        c.resume_writing()
    elif how == "resend":
        c._resend_job = None
    venue_read(rig, vframe(rig, er(orders[1], "F", "2", 100, 100, 100)))     # plain again (but not_active, ...)
    return [m.msg_type for m in _msgs(b"".join(rig.cout))]


@pytest.mark.parametrize("how", ["paused", "resend", "not_active", "no_connection"])
def test_a_session_not_in_a_plain_state_gets_python_s_send_counted_by_reason(tmp_path, how):
    rig, _ = _compare(tmp_path, lambda r: _not_plain(r, how))
    counts = rig.gw.client_send_fallbacks
    # the first of the read by its reason, the one behind it in the same read after it (the order kept)
    assert counts[how] >= 1 and counts["behind_python_send"] >= 1, counts
    assert set(counts) <= set(_path.SEND_REASONS)
    if how in ("paused", "resend"):
        assert rig.venues["VENUE1"].fast.sent >= 1      # plain again: written from C


def test_a_store_that_holds_sends_for_their_fsync_is_python_s(tmp_path):
    def script(rig):
        old = rig.client.store
        new = FileStore(tmp_path / ("fast" if rig.gw.fast_path else "python") / "always", "client", fsync="always")
        new.next_sender_seq = old.next_sender_seq
        new.set_next_target(old.next_target_seq)
        rig.client.store = new
        orders = place(rig, 3, "F")
        venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))       # (teaches the shape)
        venue_read(rig, vframe(rig, er(orders[1], "0", "0", 100)), vframe(rig, er(orders[2], "0", "0", 100)))
        new.close()
        rig.client.store = old
        return [raw for _, raw in FileStore(new.dir.parent, "client").get_sent(1, 10**6)]
    rig, _ = _compare(tmp_path, script)
    assert rig.gw.client_send_fallbacks["fsync_held"] >= 1 and rig.venues["VENUE1"].fast.sent == 0


def test_switched_off_every_report_is_python_s(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESPEED_C_CLIENT_SEND", "0")
    rig, _ = _compare(tmp_path, lambda r: _fills(r, "O"))
    assert rig.venues["VENUE1"].fast.sent == 0 and rig.venues["VENUE1"].fast.reports >= 5


def test_a_write_that_refuses_is_logged_as_python_s_send_logs_it(tmp_path, caplog):
    def script(rig):
        orders = place(rig, 3, "W")
        venue_read(rig, vframe(rig, er(orders[0], "0", "0", 100)))
        good = rig.client._write

        def refuse(raw):
            raise RuntimeError("transport refused")
        rig.client._write = refuse
        venue_read(rig, vframe(rig, er(orders[1], "0", "0", 100)))         # stored, not written
        rig.client._write = good
        venue_read(rig, vframe(rig, er(orders[2], "0", "0", 100)))
        return rig.client.messages_out, rig.client.store.next_sender_seq
    with caplog.at_level("WARNING", logger="wirespeed.orders"):
        rig, _ = _compare(tmp_path, script)
    assert rig.venues["VENUE1"].fast.sent == 1
    assert sum("not sent: transport refused" in r.getMessage() for r in caplog.records) == 2     # (both runs)
