"""What the gateway keeps of what is done, bounded: the last ``retain_finished`` finished orders
(for late venue reports, status requests and cancels) and the last ``stored_messages`` sent
messages of each session (for a ResendRequest; older ones are gap-filled)."""
import re

import pytest

from wirespeed.config import ConfigError, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.gateway.service import build_gateway
from wirespeed.gateway.service_config import load_service_config
from wirespeed.gateway.store import MemoryStore
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from .conftest import run_async
from .rawfix import RawFix
from .scripted_venue import ScriptedVenue
from .test_service import service_toml

NOS = [(55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "189.00")]


def _config():
    return load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})


def test_the_memory_store_keeps_the_last_max_messages():
    store = MemoryStore(max_messages=10)
    for seq in range(1, 101):
        store.save_sent(seq, b"m%d" % seq)
    assert sorted(store._sent) == list(range(91, 101)) and store.dropped == 90
    for seq in range(101, 131):         # as the fast path's C append does it: into the dict, no trim
        store._sent[seq] = b"m%d" % seq
        store.next_sender_seq = seq + 1
    store.flush()                       # (the session's timer)
    assert [s for s, _ in store.get_sent(1, 200)] == list(range(121, 131)) and store.dropped == 120
    store.reset()
    store.save_sent(1, b"x")
    assert store.get_sent(1, 1) == [(1, b"x")]
    unbounded = MemoryStore()
    for seq in range(1, 1001):
        unbounded.save_sent(seq, b"m")
    unbounded.flush()
    assert len(unbounded._sent) == 1000          # 0: QuickFIX's memory store, all of the day
    with pytest.raises(ValueError, match="max_messages: must be a non-negative integer, not -1"):
        MemoryStore(-1)


@run_async
async def test_a_resend_of_messages_past_the_bound_is_gap_filled(caplog):
    config = _config()
    symbols = table_from_config(config.symbols)
    venue = SimVenue(config.venue, symbols)
    await venue.start()
    gw = Gateway(config, venue.port, clients=("CLIENT1",), symbols=symbols, client_stored_messages=3)
    await gw.start()
    try:
        raw = await RawFix("CLIENT1", "WIRESPEED").connect(gw.port)
        await raw.logon()
        reports = []
        for k in range(6):
            await raw.send("D", [(11, f"B{k}"), *NOS])
            reports.append(await raw.expect("8"))
        session = gw.acceptor.sessions["CLIENT1"]
        session.store.flush()
        last = reports[-1].seq_num
        assert sorted(session.store._sent) == [last - 2, last - 1, last]
        await raw.send("2", [(7, 1), (16, 0)])
        gap = await raw.expect("4")          # the Logon and the three reports let go: one GapFill
        assert gap[T.GapFillFlag] == "Y" and gap[T.NewSeqNo] == str(last - 2) and gap.seq_num == 1
        again = [await raw.expect("8") for _ in range(3)]
        assert [m[T.ClOrdID] for m in again] == ["B3", "B4", "B5"]
        assert all(m[T.PossDupFlag] == "Y" for m in again)
        assert session.resend_trimmed == last - 3       # counted and logged: reports lost to the client
        assert "messages the store's bound let go are gap-filled" in caplog.text
        await raw.close()
    finally:
        await gw.stop()
        await venue.stop()


@run_async
async def test_an_evicted_finished_order_is_forgotten_and_answered_as_unknown():
    config = _config()
    symbols = table_from_config(config.symbols)
    venue = ScriptedVenue()
    await venue.start()
    gw = Gateway(config, venue.port, clients=("CLIENT1",), symbols=symbols, retain_finished=2)
    await gw.start()
    client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gw.port)
    await client.start()
    try:
        vcl, fills = {}, {}
        for k, cl in enumerate(("A", "B", "C")):
            client.new_order(cl, "AAPL", "1", 100, "190.00")
            await client.wait_report(cl)
            vcl[cl] = (await venue.wait_for("D", k + 1))[-1][T.ClOrdID]
            fills[cl] = venue.fill(vcl[cl], 100, "190.00")
            assert (await client.wait_report(cl, 2))[1][T.OrdStatus] == "2"
        orders = gw.orders
        assert len(orders.orders) == 2 and len(orders._finished) == 2 and len(orders._done) == 2   # A let go
        # A status request: the retained order's status from the gateway's state, the evicted one unknown.
        client.status("B", "AAPL", "1")
        client.status("A", "AAPL", "1")
        b = (await client.wait_report("B", 3))[2]
        a = (await client.wait_report("A", 3))[2]
        assert (b[T.ExecType], b[T.OrdStatus], b[T.CumQty]) == ("I", "2", "100")
        assert (a[T.ExecType], a[T.OrdStatus], a[T.Text]) == ("I", "8", "unknown order")
        # A cancel: too late for the retained one (0), unknown order (1) for the evicted one.
        client.cancel("XC", "C", "AAPL", "1", 100)
        client.cancel("XA", "A", "AAPL", "1", 100)
        assert (await client.wait_report("XC"))[0][T.CxlRejReason] == "0"
        assert (await client.wait_report("XA"))[0][T.CxlRejReason] == "1"
        # Late venue reports: the retained order's resent fill is a duplicate; a fill for the
        # evicted one is an unknown order's fill (logged as an error, in the trail, counted); none
        # reaches the client, and the session goes on.
        counts = dict(orders.counts)
        venue.report(vcl["C"], "F", "2", last_qty=100, last_px="190.00", cum=100, avg_px="190.00",
                     exec_id=fills["C"])
        venue.report(vcl["A"], "F", "2", last_qty=100, last_px="190.00", cum=100, avg_px="190.00", exec_id="LATE")
        client.new_order("D", "AAPL", "1", 100, "190.00")
        await client.wait_report("D")
        assert orders.counts["duplicate_reports"] == counts["duplicate_reports"] + 1
        assert orders.counts["unknown_order_fills"] == counts["unknown_order_fills"] + 1
        assert [len(client.reports[c]) for c in "ABC"] == [3, 3, 2]      # (ack, fill, and A and B a status)
        # The risk books are flat: nothing of the evicted order stays reserved.
        assert gw.risk.model.open_buy[symbols.by_name("AAPL").index] == 100      # (D's, working)
    finally:
        await client.stop()
        await gw.stop()
        await venue.stop()


def test_the_service_s_retention_keys(tmp_path):
    path = service_toml(tmp_path, (1, 2), audit=False,
                        extra="[retention]\nfinished_orders = 5\nstored_messages = 7\nclient_stored_messages = 9\n")
    gw = build_gateway(load_service_config(path))
    assert gw.orders._retain == 5
    assert {s.store.max_messages for s in gw.acceptor.sessions.values()} == {9}
    assert {link.session.store.max_messages for link in gw.orders.venues.values()} == {7}
    defaults = build_gateway(load_service_config(service_toml(tmp_path, (1, 2), audit=False)))
    assert defaults.orders._retain == 10_000
    assert defaults.acceptor.sessions["CLIENT1"].store.max_messages == 0          # a client's: all of the day
    assert {link.session.store.max_messages for link in defaults.orders.venues.values()} == {20_000}
    assert defaults.acceptor.sessions["CLIENT1"].store.window == 20_000     # of which in memory; the rest on disk
    spilled = build_gateway(load_service_config(service_toml(
        tmp_path, (1, 2), audit=False,
        extra=f'[retention]\nclient_memory_messages = 4\nclient_store_directory = "{tmp_path / "c"}"\n')))
    assert spilled.acceptor.sessions["CLIENT1"].store.window == 4 and spilled.spill_dir.root == str(tmp_path / "c")
    for bad, message in (("finished_orders = -1", "retention.finished_orders: must be a non-negative integer, not -1"),
                         ("finished_orders = 0", "retention.finished_orders: must be at least 1"),
                         ("client_stored_messages = -2",
                          "retention.client_stored_messages: must be a non-negative integer, not -2"),
                         ('stored_messages = "all"', "retention.stored_messages: must be an integer, not 'all'"),
                         ("client_memory_messages = -1",
                          "retention.client_memory_messages: must be a non-negative integer, not -1"),
                         ("client_store_directory = 5", "retention.client_store_directory: must be a string")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_service_config(service_toml(tmp_path, (1, 2), audit=False, extra=f"[retention]\n{bad}\n"))
