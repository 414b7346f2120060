"""The desk's own venue sessions with a file store (``PathEndpoint.store_path``, QuickFIX's
FileStorePath): a desk killed mid-day and started again logs on with the numbers it had (no
reset), and the fills the venue made while it was down arrive by ResendRequest, PossDupFlag=Y,
each once; a store folder that cannot be made is an error naming the key."""
import asyncio
import dataclasses
import datetime

import pytest

from wirespeed.control.service import DeskService
from wirespeed.control.venues import PathEndpoint
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T

from tests.control.desk_rig import SPEC, DeskRig, Recorder, desk_config, spy, take
from tests.gateway.conftest import run_async, until


def desk(port: int, store: str) -> DeskService:
    return DeskService(desk_config(port, store=store))


def fills(messages):
    return [m for m in messages if m.get(T.ExecType) == "F"]


@run_async(timeout=60)
async def test_a_killed_desk_resumes_its_numbers_and_gets_the_fills_it_missed_by_resend(tmp_path):
    async with DeskRig(relay_seed=2) as rig:
        venue, path = rig.venue, rig.path
        store = str(tmp_path / "store")
        svc = rig.desk(desk_config(path.port, store=store))
        port = await svc.start()
        c = rig.client = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port)
        await c.start()
        px = venue.books["MSFT"].best_bid() + 1
        c.new_order("R1", "MSFT", "1", 50, svc.symbols.by_name("MSFT").tick.format(px))
        assert (await c.wait_report("R1"))[0][T.ExecType] == "0"
        take(venue, 10, px)
        await c.wait_report("R1", 1, predicate=lambda r: r[T.ExecType] == "F")
        sent_before = svc.managers[0].owned["XNAS"].session.store.next_sender_seq
        # the desk dies: its link goes first (nothing it says reaches the venue), then the process
        await rig.cut(kill=False)
        for qty in (15, 25):                                          # fills while the desk is down
            take(venue, qty, px)
        await path.enable()

        svc = rig.desk(desk_config(path.port, store=store))           # a new process, the same store
        session = svc.managers[0].owned["XNAS"].session
        assert session.store.next_sender_seq >= sent_before           # its numbers, read from the folder
        logons = spy(session)
        rec = session.app = Recorder(session.app)
        await svc.start()
        m = svc.managers[0]
        await until(lambda: len(fills(rec.messages)) >= 2, "the missed fills by resend")
        await asyncio.sleep(0.2)
        got = fills(rec.messages)
        assert [x.get(T.LastQty) for x in got] == ["15", "25"]        # each once, in order
        assert all(x.get(43) == "Y" for x in got)                     # resent (PossDupFlag=Y)
        assert logons and all(T.ResetSeqNumFlag not in x for x in logons)
        assert session.store.next_sender_seq > sent_before            # numbers resumed, not from 1
        assert "sequence reset" not in [e.what for e in m.events]
        assert m.state == "up"
        # Not yet applied: the new process's gateway does not know the orders (they were in memory),
        # so the resent fills are reported loudly (ERROR, a count of their own), not silently dropped.
        gw = svc.gateway.orders
        assert gw.counts["unknown_order_fills"] == 2 and gw.counts["fills"] == 0


def test_a_store_folder_that_cannot_be_made_names_the_key(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match=r"paths\.XNAS\.store_path: .*cannot create the store folder"):
        desk(9, str(blocker / "store"))
    with pytest.raises(ValueError, match="store_path: an OUCH path keeps no FIX store"):
        PathEndpoint("XOUC", 9, protocol="ouch", username="u", store_path=str(tmp_path))


def test_a_second_desk_on_the_same_store_path_names_the_key_and_the_lock(tmp_path):
    store = str(tmp_path / "store")
    first = desk(9, store)
    with pytest.raises(ValueError, match=r"paths\.XNAS\.store_path: .*FIX\.4\.4-\S+: another process "
                                         r"\(pid \d+\) holds this store"):
        desk(9, store)
    for s in first.managers[0]._stores:                  # (never started: its stores closed by hand)
        s.close()
    second = desk(9, store)                              # the lock went with the first desk's stores
    for s in second.managers[0]._stores:
        s.close()


@run_async(timeout=60)
async def test_the_store_starts_a_new_session_day_on_the_schedule_and_stays_bounded(tmp_path):
    """QuickFIX StartTime / EndTime on a shortened day: the window closes 2-3 s from now and the
    next session day begins a second later (times of day are whole seconds); the day's numbers and messages go, the session logs on
    again for the new day, and what the store holds is that day's only. The sim venue keeps the
    same window, so it starts the day from 1 too: the day's first Logon is not refused."""
    now = datetime.datetime.now(datetime.timezone.utc)
    at = lambda s: (now + datetime.timedelta(seconds=s)).strftime("%H:%M:%S")  # noqa: E731
    async with DeskRig(spec=dataclasses.replace(SPEC, start_time=at(4), end_time=at(3))) as rig:
        venue = rig.venue
        svc = rig.desk(desk_config(venue.port, store=tmp_path / "store", start_time=at(4), end_time=at(3)))
        port = await svc.start()
        session = svc.managers[0].owned["XNAS"].session
        c = rig.client = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port)
        await c.start()
        px = svc.symbols.by_name("MSFT").tick.format(venue.books["MSFT"].best_bid() - 1)
        for k in range(20):
            c.new_order(f"R{k}", "MSFT", "1", 10, px)
        await c.wait_report("R19")
        for k in range(20):
            c.cancel(f"X{k}", f"R{k}", "MSFT", "1", 10)
        await c.wait_report("X19", predicate=lambda r: r[T.ExecType] == "4")
        day1 = session.store.next_sender_seq
        assert day1 > 40 and len(session.store.get_sent(1, day1)) > 40
        created = session.store.creation_time
        await until(lambda: session.store.creation_time > created, "the new session day", 1000)
        assert session.store.next_sender_seq < day1 and not session.store.get_sent(2, day1)
        await until(lambda: session.active, "logged on for the new day", 1000)
        # numbered from 1 again (nothing working to reconcile: the Logon, a heartbeat at most)
        assert session.store.next_sender_seq <= 3 and session.config.in_schedule()
        assert len(session.store.get_sent(1, 100)) <= 2
        # the venue's session started the day from 1 as well: nothing refused, nothing reset
        # (a venue keeping no window refuses it as too low and the manager resets with it)
        events = [e.what for e in svc.managers[0].events]
        assert "sequence reset" not in events and session.logon_failure == ""
        theirs = venue.acceptor.sessions[session.config.sender_comp_id].store
        assert theirs.next_target_seq <= 3 and theirs.creation_time > created


def test_a_session_window_names_its_key():
    with pytest.raises(ValueError, match=r"start_time: must be a time of day HH:MM:SS"):
        PathEndpoint("XNAS", 9, start_time="8am", end_time="17:00:00")
    with pytest.raises(ValueError, match=r"end_time: must be a time of day"):
        PathEndpoint("XNAS", 9, start_time="08:00:00")
    with pytest.raises(ValueError, match=r"time_zone: unknown time zone 'Mars/Base'"):
        PathEndpoint("XNAS", 9, start_time="08:00:00", end_time="17:00:00", time_zone="Mars/Base")
    with pytest.raises(ValueError, match=r"time_zone: only with start_time and end_time"):
        PathEndpoint("XNAS", 9, time_zone="UTC")
