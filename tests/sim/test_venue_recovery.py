"""The sim FIX venue keeps a session's numbers and sent messages across connections (in memory
for the process; on disk with ``store_path``, QuickFIX's FileStorePath): what it reports while
the counterparty is away comes after its next Logon by ResendRequest with PossDupFlag=Y; a request
the counterparty resends and the venue already took is ignored; a store that cannot be opened is
an error naming its folder."""
import asyncio
import json
import sys
from pathlib import Path

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.session import SessionConfig
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

from tests.gateway.conftest import run_async

SYMBOLS = (VenueSymbol("AAPL", "0.01", "100.00", levels=2, level_qty=100),)


class _Taker:
    def on_report(self, r):
        pass


def client(port: int) -> FixClient:
    # Numbers kept across connections (ResetOnLogon=N) and reconnecting at once.
    cfg = SessionConfig(sender_comp_id="CLIENTA", target_comp_id="ALPHA", role="initiator", reset_on_logon=False)
    return FixClient("CLIENTA", "ALPHA", "127.0.0.1", port, config=cfg, reconnect=True, backoff_initial=0.05,
                     backoff_max=0.05)


async def until(cond, what: str, tries: int = 400):
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


def fills(c: FixClient, cl: str):
    return [m for m in c.reports[cl] if m.get(T.ExecType) == "F"]


@run_async(timeout=30)
async def test_reports_made_while_the_link_is_down_come_by_resend_once_and_duplicates_are_ignored():
    venue = SimVenue(VenueSpec("ALPHA", ouch=False, symbols=SYMBOLS))
    await venue.start()
    c = client(venue.port)
    try:
        await c.start()
        c.new_order("B1", "AAPL", "1", 50, "100.00")                  # alone at the top of the bid
        assert (await c.wait_report("B1"))[0][T.ExecType] == "0"
        c.initiator._transport.close()                                # the link drops
        owner = next(iter(venue.fix.owners.values()))
        await until(lambda: not owner.session.active, "venue sees the link down")
        for qty in (20, 30):                                          # fills while nobody is connected
            venue.core.new_order(_Taker(), None, "T", "AAPL", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, qty,
                                 venue.books["AAPL"].best_bid())
        stored = owner.session.store.next_sender_seq
        await until(lambda: c.session.active and len(fills(c, "B1")) == 2, "both fills after the reconnect")
        got = fills(c, "B1")
        assert [m[T.LastQty] for m in got] == ["20", "30"] and got[-1][T.OrdStatus] == "2"
        assert all(m.get(43) == "Y" and m.get(T.OrigSendingTime) for m in got)    # by resend
        assert c.session.store.next_target_seq > stored - 1          # the numbers went on, no reset
        # a second resend of everything: duplicates the session already processed, not applied twice
        c.session.send("2", [(T.BeginSeqNo, 1), (T.EndSeqNo, 0)])
        await asyncio.sleep(0.2)
        assert len(fills(c, "B1")) == 2 and c.session.active
        # a NewOrderSingle the client resends (PossDupFlag=Y) that the venue took: ignored, not refused
        c.new_order("B2", "AAPL", "1", 10, "99.00")
        await c.wait_report("B2")
        c.session.send("D", [(T.ClOrdID, "B2"), (T.Symbol, "AAPL"), (T.Side, "1"),
                             (T.TransactTime, fix_timestamp()), (T.OrderQty, 10), (T.OrdType, "2"),
                             (T.Price, "99.00")], header_extra=[(43, "Y"), (T.OrigSendingTime, fix_timestamp())])
        await until(lambda: venue.fix.duplicates == 1, "the resent order seen")
        await asyncio.sleep(0.05)
        assert [m[T.ExecType] for m in c.reports["B2"]] == ["0"]      # no duplicate ClOrdID reject
    finally:
        await c.stop()
        await venue.stop()


@run_async(timeout=30)
async def test_a_venue_with_a_store_path_restarts_with_its_numbers_and_messages(tmp_path):
    spec = VenueSpec("ALPHA", ouch=False, symbols=SYMBOLS, store_path=str(tmp_path / "store"))
    venue = SimVenue(spec)
    await venue.start()
    c = client(venue.port)
    try:
        await c.start()
        c.new_order("S1", "AAPL", "1", 10, "99.00")
        await c.wait_report("S1")
        sent = next(iter(venue.fix.owners.values())).session.store.next_sender_seq
        assert (tmp_path / "store" / "FIX.4.4-ALPHA-CLIENTA" / "seqnums").exists()
        port = venue.port
        await venue.stop()
        await until(lambda: not c.session.active, "client sees the venue gone")
        venue = SimVenue(VenueSpec("ALPHA", ouch=False, fix_port=port, symbols=SYMBOLS, store_path=spec.store_path))
        await venue.start()
        await until(lambda: c.session.active, "logged on to the restarted venue", 600)
        restored = next(iter(venue.fix.owners.values())).session.store
        assert restored.next_sender_seq > sent                        # went on from its file, not from 1
        assert "too low" not in c.session.last_error
        c.session.send("H", [(T.ClOrdID, "S1"), (T.Symbol, "AAPL"), (T.Side, "1")])
        # the restarted venue lost its book (not its numbers): the order is unknown to it
        rep = (await c.wait_report("S1", 2))[1]
        assert rep[T.ExecType] == "I" and rep[T.OrdStatus] == "8"
    finally:
        await c.stop()
        await venue.stop()


def test_a_bad_store_path_names_its_key():
    with pytest.raises(ValueError, match=r"store_path: must be a folder path"):
        VenueSpec("ALPHA", store_path=3)


PEER = Path(__file__).with_name("quickfix_resend_peer.py")   # QuickFIX in a process of its own


@run_async(timeout=60)
async def test_quickfix_gets_the_fills_made_while_it_was_away_by_resend(tmp_path):
    """QuickFIX's own initiator (quickfix-py, ResetOnLogon=N, its FileStore) against the venue: the
    fills the venue made while it was logged out reach it after its next Logon, by its own
    ResendRequest, with PossDupFlag=Y."""
    pytest.importorskip("quickfix")
    from tests.gateway.test_quickfix_acceptor import quickfix_spec
    venue = SimVenue(VenueSpec("ALPHA", ouch=False, symbols=SYMBOLS))
    await venue.start()
    cfg = tmp_path / "qf.cfg"
    cfg.write_text("[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\nResetOnLogon=N\nResetOnLogout=N\n"
                   f"ResetOnDisconnect=N\nFileStorePath={tmp_path / 'qfstore'}\nStartTime=00:00:00\n"
                   f"EndTime=00:00:00\nHeartBtInt=30\nUseDataDictionary=Y\nDataDictionary={quickfix_spec('FIX44.xml')}\n"
                   "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=QF\nTargetCompID=ALPHA\n"
                   f"SocketConnectHost=127.0.0.1\nSocketConnectPort={venue.port}\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, str(PEER), str(cfg), str(tmp_path / "qflog"), "100.00",
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() == b"acked"
        assert (await asyncio.wait_for(proc.stdout.readline(), 20)).strip() == b"away"
        owner = venue.fix.owners["ALPHA->QF"]
        await until(lambda: not owner.session.active, "QuickFIX gone")
        for qty in (20, 30):
            venue.core.new_order(_Taker(), None, "T", "AAPL", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, qty, 10_000)
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
        result = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
    finally:
        if proc.returncode is None:
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                proc.kill()
        await venue.stop()
    assert result["logon"], result
    got = [r for r in result["reports"] if r.get("150") == "F"]
    assert [(r["11"], r["32"], r.get("43")) for r in got] == [("Q1", "20", "Y"), ("Q1", "30", "Y")], result
    assert got[-1]["39"] == "2" and "122" in got[-1]
