"""The trail's gate at the client write (WriteBatcher.gate, OrderGateway.trail_gate): with an audit
trail, a venue read's client reports (the report fast path's sends from C) are journaled by one
flush before their bytes leave, not one flush each; a journal that cannot be written holds the
bytes, in order, until it can; nothing reaches a client that is not in the trail."""
import asyncio
import errno

import pytest

from wirespeed.config import load_config
from wirespeed.gateway import audit as audit_mod
from wirespeed.gateway import native
from wirespeed.gateway.audit import AuditTrail, read_trail
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.symbols import table_from_config

from .conftest import run_async, until
from .scripted_venue import ScriptedVenue

N = 40

pytestmark = pytest.mark.skipif(native._path is None or native._risk is None, reason="needs the C extension")


async def _stack(tmp_path, clients=("CLIENT1",)):
    config = load_config(overrides={"risk": {"backend": "native", "default": {"max_qty": 1000, "collar_ticks": 100}}})
    symbols = table_from_config(config.symbols)
    venue = ScriptedVenue()
    await venue.start()
    gw = Gateway(config, venue.port, clients=clients, symbols=symbols, audit=AuditTrail(tmp_path))
    await gw.start()
    client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gw.port)
    await client.start()
    cls = [f"G{k}" for k in range(N)]
    for k, cl in enumerate(cls):
        client.new_order(cl, "AAPL", "1", 10, "190.00")
    await venue.wait_for("D", N)
    for cl in cls:
        await client.wait_report(cl)            # (the venue's auto acks)
    vcls = [m[T.ClOrdID] for m in venue.received_of("D")]
    return venue, gw, client, cls, vcls


def _journal_writes(monkeypatch, fail: list):
    writes = []
    real = audit_mod._write_all

    def counted(fd, data):
        if data[:4] == audit_mod._MAGIC:        # a journal frame (not a settle's JSON lines)
            if fail:
                raise OSError(errno.ENOSPC, "No space left on device")
            writes.append(len(data))
        real(fd, data)
    monkeypatch.setattr(audit_mod, "_write_all", counted)
    return writes


@run_async(timeout=60)
async def test_one_journal_write_for_a_read_of_client_reports(tmp_path, monkeypatch):
    venue, gw, client, cls, vcls = await _stack(tmp_path)
    try:
        writes = _journal_writes(monkeypatch, [])
        sent_from_c = gw.orders.venues["VENUE1"].session.fast.sent
        for vcl in vcls:                    # one callback: the gateway reads them together
            venue.fill(vcl, 10, "190.00")
        for cl in cls:
            assert (await client.wait_report(cl, 2))[1][T.OrdStatus] == "2"
        assert gw.orders.venues["VENUE1"].session.fast.sent - sent_from_c == N     # (the C path wrote them)
        assert 1 <= len(writes) <= 3, writes        # (one a read; the 40 fills may take more than one read)
        outs = [r for r in read_trail(tmp_path) if r["kind"] == "out" and r.get("client") == "CLIENT1"]
        filled = {dict(map(tuple, r["fields"]))[11] for r in outs if dict(map(tuple, r["fields"])).get(39) == "2"}
        assert filled == set(cls)
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()


@run_async(timeout=60)
async def test_a_failing_journal_holds_the_client_s_bytes_until_it_writes(tmp_path, monkeypatch, caplog):
    venue, gw, client, cls, vcls = await _stack(tmp_path)
    try:
        fail = [True]
        _journal_writes(monkeypatch, fail)
        for vcl in vcls[:10]:
            venue.fill(vcl, 10, "190.00")
        # (the bytes the failure met are taken back, un-numbered: held with the later ones in _held)
        await until(lambda: len(gw.orders._held) == 10, "10 reports held")
        assert all(len(client.reports[cl]) == 1 for cl in cls[:10])     # nothing told: not in the trail
        assert gw.batcher.held() == 0
        for vcl in vcls[10:20]:                # more while it fails: behind the held ones
            venue.fill(vcl, 10, "190.00")
        await until(lambda: len(gw.orders._held) == 20, "20 reports held")
        assert all(len(client.reports[cl]) == 1 for cl in cls[:20])
        fail.clear()                           # the disk is back: the timer's release lets them out
        for cl in cls[:20]:
            assert (await client.wait_report(cl, 2, timeout=5))[1][T.OrdStatus] == "2"
        assert gw.batcher.held() == 0
        seqs = [m.seq_num for cl in cls[:20] for m in client.reports[cl][1:]]
        assert sorted(seqs) == list(range(min(seqs), min(seqs) + 20))      # each once, none lost
        trail_fills = [r for r in read_trail(tmp_path) if r["kind"] == "out" and r.get("client") == "CLIENT1"
                       and dict(map(tuple, r["fields"])).get(39) == "2"]
        assert len(trail_fills) == 20
        assert "client writes held until it can" in caplog.text and "held client writes sent" in caplog.text
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()


@run_async(timeout=60)
async def test_a_failing_journal_holds_reports_but_not_the_sessions_own_traffic(tmp_path, monkeypatch):
    """Session messages carry nothing for the trail. The journal's failure is met by one read's
    client bytes (CLIENT2's, already numbered: held behind the gate); from then on reports are held
    before they are numbered, so CLIENT1's TestRequest is answered while the journal fails, no
    report the trail lacks reaches either client, and after the disk is back every report arrives
    once, in order."""
    venue, gw, client, cls, vcls = await _stack(tmp_path, clients=("CLIENT1", "CLIENT2"))
    other = FixClient("CLIENT2", gw.config.gateway.comp_id, "127.0.0.1", gw.port)
    await other.start()
    try:
        other.new_order("X1", "AAPL", "1", 10, "190.00")
        await other.wait_report("X1")
        x1 = venue.received_of("D")[-1][T.ClOrdID]
        fail = [True]
        _journal_writes(monkeypatch, fail)
        venue.fill(x1, 10, "190.00")        # CLIENT2's fill meets the failure: its bytes taken back
        await until(lambda: len(gw.orders._held) == 1, "CLIENT2's fill held")
        assert len(other.reports["X1"]) == 1 and gw.batcher.held() == 0
        for vcl in vcls[:10]:               # CLIENT1's: held before they are numbered
            venue.fill(vcl, 10, "190.00")
        await until(lambda: len(gw.orders._held) == 11, "CLIENT1's fills held")
        await client.test_request("TR1", timeout=10.0)      # answered while the journal fails
        await other.test_request("TR1", timeout=10.0)       # (and CLIENT2's, whose write met it)
        assert all(len(client.reports[cl]) == 1 for cl in cls[:10])     # no report leaked
        fail.clear()
        assert (await other.wait_report("X1", 2, timeout=5))[1][T.OrdStatus] == "2"
        for cl in cls[:10]:
            assert (await client.wait_report(cl, 2, timeout=5))[1][T.OrdStatus] == "2"
        await client.test_request("TR2", timeout=10.0)
        assert all(len(client.reports[cl]) == 2 for cl in cls[:10])     # each once
        fills = [client.reports[cl][1].seq_num for cl in cls[:10]]
        assert fills == sorted(fills) and fills[-1] - fills[0] == 9     # in the venue's order, none lost
        assert not gw.batcher.failing and gw.batcher.held() == 0 and not gw.orders._held
        trail_fills = [r for r in read_trail(tmp_path) if r["kind"] == "out"
                       and dict(map(tuple, r["fields"])).get(39) == "2"]
        assert len(trail_fills) == 11
    finally:
        await other.stop()
        await client.stop()
        await gw.stop()
        await venue.stop()


@run_async(timeout=90)
async def test_the_connection_whose_read_meets_the_failure_keeps_its_session(tmp_path, monkeypatch):
    """The one connection whose bytes (already numbered) met the journal's failure: their numbers
    are taken back, its TestRequests are answered while the journal fails, and after it the client
    gets every report once, numbered on without a gap (it never asks for a resend), each in the
    trail."""
    venue, gw, client, cls, vcls = await _stack(tmp_path)
    ours = gw.acceptor.sessions["CLIENT1"]
    resends = []
    real_resend = ours._resend_requested
    monkeypatch.setattr(ours, "_resend_requested", lambda msg: resends.append(msg) or real_resend(msg))
    try:
        fills0 = gw.orders.counts["fills"]
        fail = [True]
        _journal_writes(monkeypatch, fail)
        for vcl in vcls[:10]:               # CLIENT1's fills meet the failure in its connection's write
            venue.fill(vcl, 10, "190.00")
        await until(lambda: gw.orders.counts["fills"] - fills0 == 10 and gw.batcher.failing, "10 fills booked")
        await client.test_request("TR1", timeout=10.0)      # answered while the journal fails
        assert all(len(client.reports[cl]) == 1 for cl in cls[:10])     # no report leaked
        for vcl in vcls[10:20]:             # more while it fails
            venue.fill(vcl, 10, "190.00")
        await until(lambda: gw.orders.counts["fills"] - fills0 == 20, "20 fills booked")
        await client.test_request("TR2", timeout=10.0)
        assert all(len(client.reports[cl]) == 1 for cl in cls[:20])
        assert gw.batcher.held() == 0
        fail.clear()                        # the disk is back
        for cl in cls[:20]:
            assert (await client.wait_report(cl, 2, timeout=10))[1][T.OrdStatus] == "2"
        await client.test_request("TR3", timeout=10.0)
        assert all(len(client.reports[cl]) == 2 for cl in cls[:20])     # each once
        seqs = [client.reports[cl][1].seq_num for cl in cls[:20]]
        assert seqs == list(range(seqs[0], seqs[0] + 20))       # in the venue's order, numbered on
        assert not resends and not client.session._queue and not client.session._resend_target
        assert client.session.store.next_target_seq == ours.store.next_sender_seq
        assert not gw.batcher.failing and gw.batcher.held() == 0 and not gw.orders._held
        outs = [dict(map(tuple, r["fields"])) for r in read_trail(tmp_path)
                if r["kind"] == "out" and r.get("client") == "CLIENT1"]
        got = [m.get(T.ExecID) for cl in cls for m in client.reports[cl]]
        assert sorted(got) == sorted(str(f[17]) for f in outs)      # what the client heard, all in the trail
        assert len({f[11] for f in outs if f.get(39) == "2"}) == 20
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()


@run_async(timeout=30)
async def test_the_timer_releases_held_writes_even_when_its_order_path_work_fails(tmp_path, monkeypatch, caplog):
    from wirespeed.gateway.transport.tcp import WriteBatcher
    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=table_from_config(config.symbols),
                 audit=AuditTrail(tmp_path))
    released = []

    def broken():
        raise RuntimeError("a bad tick")
    monkeypatch.setattr(gw.orders, "on_timer", broken)
    monkeypatch.setattr(WriteBatcher, "release", lambda self: released.append(self))
    task = asyncio.ensure_future(gw._tick())
    try:
        await asyncio.sleep(0.65)
    finally:
        task.cancel()
    assert released == [gw.batcher] and "order path timer failed" in caplog.text
    gw.orders.audit.close()


@run_async(timeout=60)
async def test_the_venue_to_client_hop_includes_the_journal_flush_the_client_waits_for(tmp_path, monkeypatch):
    """The gate's flush happens at the read's end, after the report was queued (by C or Python):
    the hop is stamped when the bytes reach the socket, so a 30 ms journal write is in it."""
    import time
    venue, gw, client, cls, vcls = await _stack(tmp_path)
    try:
        real = audit_mod._write_all

        def slow(fd, data):
            if data[:4] == audit_mod._MAGIC:
                time.sleep(0.03)
            real(fd, data)
        gw.orders.drain_latency()
        gw.orders.latency.histogram("venue->client").reset()
        monkeypatch.setattr(audit_mod, "_write_all", slow)
        for vcl, cl in zip(vcls[:3], cls[:3]):
            venue.fill(vcl, 10, "190.00")
            await client.wait_report(cl, 2)
        gw.orders.drain_latency()
        h = gw.orders.latency.histogram("venue->client")
        assert h.get_total_count() == 3 and h.get_min_value() >= 30_000_000, h.get_min_value()
        assert not gw.orders._gate_hops
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()
